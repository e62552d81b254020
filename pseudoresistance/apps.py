from django.apps import AppConfig


class PseudoresistanceConfig(AppConfig):
    name = "pseudoresistance"
    verbose_name = "Pseudo-resistance and impasse review"

    def ready(self) -> None:
        # What records runs without importing this app (records.extensions; docs/adr/0007).
        from pseudoresistance import criteria, demo, selectors, services
        from records import extensions

        extensions.on_episode_change(services.impasse_flags_after_change)
        extensions.on_patient_reassigned(services.impasse_cases_reassigned_listener)
        extensions.on_patient_erasure(services.patient_impasse_records_erase)
        extensions.provide(extensions.Slot.IMPASSE_PANEL, selectors.impasse_panel_for)
        extensions.provide(extensions.Slot.PATIENT_IMPASSE_PANEL, selectors.patient_impasse_panel)
        extensions.provide(extensions.Slot.PATIENT_PAGE_PANEL, selectors.patient_page_panel)
        extensions.provide(
            extensions.Slot.FLAGGED_PATIENTS, selectors.patients_with_active_impasse_case
        )
        extensions.provide(extensions.Slot.VALUE_LABELS, criteria.criterion_labels)
        extensions.provide(extensions.Slot.CASELOAD_CASE, selectors.caseload_case_annotations)
        extensions.provide(extensions.Slot.SIGNED_REVIEWS, selectors.signed_reviews)
        extensions.provide(extensions.Slot.DEMO_DATA, demo.demo_review_create)
        extensions.add_settings_page(
            extensions.SettingsPage(
                section="impasse-flags",
                label="Impasse flags",
                url_name="pseudoresistance:settings-flag-rules",
            )
        )

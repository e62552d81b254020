from django.apps import AppConfig


class CohortConfig(AppConfig):
    name = "cohort"
    verbose_name = "Cohort view"

    def ready(self) -> None:
        # What records runs without importing this app (records.extensions; docs/adr/0007).
        from cohort import selectors, services
        from records import extensions

        extensions.on_episode_change(services.snapshots_after_change)
        extensions.provide(extensions.Slot.CASELOAD_STAGE, selectors.caseload_stage_annotations)

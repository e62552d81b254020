"""Every write to clinical data leaves an audit event naming who, when and what (HIPAA 164.312(b)).

The clinical models are generated from the app registry: every concrete model of records and
pseudoresistance but those in `NOT_CLINICAL`, each excluded with its reason, so a new model
fails `test_every_clinical_model_is_covered` until it is audited here. Each service of the
scenario below runs against the real database; around every call the test diffs every row of
every clinical model, and each row created, changed or deleted must have an audit event of
that call naming the acting user, the time, the object and the action. A model whose create,
update or delete path no scenario exercised must say in `NO_PATH` why there is none.

Reading is audited as well (the record-access log): every GET route of the URL configuration
that names a patient's record or shows one must write a view or export event (last tests).
"""

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.admin.sites import site
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, models, transaction
from django.test import RequestFactory
from django.utils import timezone

from pseudoresistance import services as impasse
from pseudoresistance.criteria import CHRONIC_DURATION_POINTS
from pseudoresistance.cssrs import ScreenAnswers
from pseudoresistance.models import (
    ChecklistAnswer,
    ChecklistItem,
    ChecklistReview,
    ChecklistVersion,
    CssrsScreen,
    ImpasseCase,
    ImpasseCaseEvent,
    ImpasseFlagRules,
    ImpasseReview,
    StatusConfirmation,
)
from pseudoresistance.selectors import episode_assessment
from records import services
from records.access import access_for_user
from records.csv_sample import sample_csv
from records.demo import vignettes
from records.models import (
    ACCESS_ACTIONS,
    Agent,
    AuditAction,
    AuditEvent,
    CaseloadVisit,
    Clinic,
    ClinicStagingDefaults,
    Episode,
    Invitation,
    Membership,
    Patient,
    PatientSeen,
    ReportPreparation,
    Role,
    ScaleAdministration,
    TreatmentTrial,
)
from records.services.csv_import import csv_import
from records.services.erasure import ErasureReason, patient_erase
from records.services.exchange import patient_history_import
from records.services.report_preparation import (
    LETTER_FIELDS,
    LetterInput,
    PreparationInput,
    report_letter_save,
    report_preparation_save,
)
from tests.factories import ClinicFactory, MembershipFactory, UserFactory, builtin_agent
from tests.integration.security import test_access_matrix as matrix
from tests.integration.security.clinic_a import ClinicA
from tests.shared_world import Sessions

# Models of records and pseudoresistance that hold no clinical data, and why.
NOT_CLINICAL: dict[type[models.Model], str] = {
    AuditEvent: "the audit trail itself (append-only, proven below)",
    Agent: "reference data: the agent catalogue (its edits are audited by the agent services)",
    ChecklistVersion: "reference data: checklist versions, loaded by data migrations only",
    ChecklistItem: "reference data: the items of a checklist version (data migrations only)",
    Clinic: "the organisation: name, address, letterhead; no patient data",
    Membership: "access control (who holds which role); its changes are audited as roles",
    Invitation: "access control: an invitation link's hash; issue and use are audited as account "
    "events (tests/integration/records/test_team.py)",
    ClinicStagingDefaults: "a clinic's staging parameters; no patient data",
    CaseloadVisit: "a user's own state: when they last opened the patient list; no patient data",
    PatientSeen: "a user's own state: when they last opened a patient (the opening itself is "
    "audited as a view event); no clinical data",
}
CREATE, UPDATE, DELETE = "create", "update", "delete"
AUDIT_WRITE_FAILED = "audit write failed for the test"
# What a row change may be recorded as.
ACTIONS = {
    CREATE: {AuditAction.CREATE, AuditAction.IMPORT},
    UPDATE: {AuditAction.UPDATE, AuditAction.OVERRIDE, AuditAction.OVERRIDE_CLEAR},
    DELETE: {AuditAction.DELETE},
}
# Paths that do not exist, and why: nothing in the application performs them.
NO_PATH: dict[tuple[type[models.Model], str], str] = {
    (ImpasseCaseEvent, UPDATE): "a case's state history is append-only",
    (StatusConfirmation, UPDATE): "a confirmation is append-only; a later one supersedes it",
    (CssrsScreen, UPDATE): "a screen records what was asked on its date; a new one is recorded",
    (ImpasseFlagRules, DELETE): "a clinic's flag rules are changed, never removed",
}


# The audit object type each clinical model's events carry.
OBJECT_TYPES: dict[type[models.Model], str] = {
    Patient: "patient",
    Episode: "episode",
    ScaleAdministration: "scale_administration",
    TreatmentTrial: "trial",
    ChecklistReview: "checklist_review",
    ChecklistAnswer: "checklist_answer",
    ImpasseCase: "impasse_case",
    # A transition's history row is recorded by the case's own event.
    ImpasseCaseEvent: "impasse_case",
    ImpasseReview: "impasse_review",
    ReportPreparation: "report_preparation",
    StatusConfirmation: "status_confirmation",
    CssrsScreen: "cssrs_screen",
    ImpasseFlagRules: "impasse_flag_rules",
}


def audited_as(model: type[models.Model], pk: int) -> set[tuple[str, int]]:
    """Return the (object type, id) pairs an audit event of this row may name."""
    if model is ImpasseCaseEvent:
        return {(OBJECT_TYPES[model], ImpasseCaseEvent.objects.get(pk=pk).case_id)}
    if model is ChecklistReview:
        # Later answers only stamp the review (updated_by); their own events record them.
        answers = ChecklistAnswer.objects.filter(review_id=pk).values_list("pk", flat=True)
        return {(OBJECT_TYPES[model], pk)} | {("checklist_answer", a) for a in answers}
    return {(OBJECT_TYPES[model], pk)}


def clinical_models() -> list[type[models.Model]]:
    return [
        model
        for app in ("records", "pseudoresistance")
        for model in apps.get_app_config(app).get_models()
        if model not in NOT_CLINICAL
    ]


def rows() -> dict[type[models.Model], dict[int, tuple[Any, ...]]]:
    """Return every row of every clinical model, by primary key."""
    return {
        model: {
            values[0]: values
            for values in model._default_manager.order_by("pk").values_list(
                "pk", *[f.attname for f in model._meta.concrete_fields]
            )
        }
        for model in clinical_models()
    }


@dataclass
class Trail:
    """The row changes each scenario step made, checked against the audit events it wrote."""

    exercised: set[tuple[type[models.Model], str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    steps: int = 0
    # Run each step first with the audit writer failing: it must raise and change nothing.
    fail_audit_first: bool = False

    def step(
        self, name: str, user: User, call: Callable[[], Any], erased_patient: int | None = None
    ) -> Any:
        if self.fail_audit_first:
            self.refused(name, call)
        before, last_event = rows(), AuditEvent.objects.order_by("-pk").first()
        started = timezone.now()
        result = call()
        finished = timezone.now()
        events = AuditEvent.objects.filter(pk__gt=last_event.pk if last_event else 0)
        after = rows()
        self.steps += 1
        for model in clinical_models():
            old, new = before[model], after[model]
            changes = [(CREATE, pk) for pk in new.keys() - old.keys()]
            changes += [(DELETE, pk) for pk in old.keys() - new.keys()]
            changes += [(UPDATE, pk) for pk in new.keys() & old.keys() if new[pk] != old[pk]]
            for kind, pk in changes:
                self.exercised.add((model, kind))
                names = {(OBJECT_TYPES[model], pk)} if kind == DELETE else audited_as(model, pk)
                if kind == DELETE and erased_patient is not None:
                    # An erasure records one event for everything of the patient it removes.
                    names.add((OBJECT_TYPES[Patient], erased_patient))
                allowed = ACTIONS[kind]
                if model is ImpasseCaseEvent and kind == CREATE:
                    # Its rows record the case's transitions: the case's create or update.
                    allowed = ACTIONS[CREATE] | ACTIONS[UPDATE]
                matching = [
                    event
                    for event in events
                    if (event.object_type, event.object_id) in names
                    and event.action in allowed
                    and event.actor_id == user.pk
                    and event.actor_username == user.username
                    and started <= event.occurred_at <= finished
                ]
                if not matching:
                    self.problems.append(f"{name}: {kind} of {model.__name__} {pk} not audited")
        return result

    def refused(self, name: str, call: Callable[[], Any]) -> None:
        before, events = rows(), AuditEvent.objects.count()
        # One event at a time (audit_event_write) or many at once (the CSV import).
        failure = DatabaseError(AUDIT_WRITE_FAILED)
        with (
            mock.patch.object(AuditEvent.objects, "create", side_effect=failure),
            mock.patch.object(AuditEvent.objects, "bulk_create", side_effect=failure),
            pytest.raises(DatabaseError, match=AUDIT_WRITE_FAILED),
        ):
            call()
        if rows() != before or AuditEvent.objects.count() != events:
            self.problems.append(f"{name}: saved although its audit event failed")


@pytest.fixture
def trail() -> Trail:
    return Trail()


def scenario(trail: Trail) -> None:
    """Drive every service that writes clinical data, as the views do."""
    clinic = ClinicFactory()
    psychiatrist, supervisor, admin = UserFactory(), UserFactory(), UserFactory()
    MembershipFactory(user=psychiatrist, clinic=clinic, role=Role.PSYCHIATRIST)
    MembershipFactory(user=supervisor, clinic=clinic, role=Role.SUPERVISOR)
    MembershipFactory(user=admin, clinic=clinic, role=Role.CLINIC_ADMIN)
    p = psychiatrist
    onset = timezone.localdate() - datetime.timedelta(days=150)

    patient_data = services.PatientInput(
        record_number="RN-A1",
        family_name="Okafor",
        given_name="Ben",
        date_of_birth=onset.replace(year=1980),
    )
    patient = trail.step(
        "patient_create",
        p,
        lambda: services.patient_create(acting_user=p, clinic=clinic, data=patient_data),
    )
    trail.step(
        "patient_update",
        p,
        lambda: services.patient_update(
            acting_user=p,
            patient_id=patient.pk,
            expected_version=1,
            data=services.PatientInput(**{**patient_data.__dict__, "given_name": "Benedict"}),
        ),
    )
    episode_data = services.EpisodeInput(
        onset_date=onset, baseline_scale="HAMD17", baseline_score=Decimal(22)
    )
    episode = trail.step(
        "episode_create",
        p,
        lambda: services.episode_create(acting_user=p, patient_id=patient.pk, data=episode_data),
    )
    trail.step(
        "episode_update",
        p,
        lambda: services.episode_update(
            acting_user=p,
            episode_id=episode.pk,
            expected_version=1,
            data=services.EpisodeInput(**{**episode_data.__dict__, "baseline_score": Decimal(24)}),
        ),
    )
    trail.step(
        "report_preparation_save",
        p,
        lambda: report_preparation_save(
            acting_user=p,
            episode_id=episode.pk,
            expected_version=0,
            data=PreparationInput(
                reason_for_referral="Second opinion",
                referrer="Dr Adeyemi",
                impression="Dose never optimised",
                plan="Optimise the dose",
            ),
        ),
    )
    trail.step(
        "report_letter_save",
        p,
        lambda: report_letter_save(
            acting_user=p,
            episode_id=episode.pk,
            expected_version=1,
            data=LetterInput(**dict.fromkeys(LETTER_FIELDS, "A paragraph of the letter.")),
        ),
    )
    score_data = services.ScaleInput(
        scale="HAMD17", administered_on=onset + datetime.timedelta(days=7), total=Decimal(20)
    )
    score = trail.step(
        "scale_record",
        p,
        lambda: services.scale_record(acting_user=p, episode_id=episode.pk, data=score_data),
    )
    trail.step(
        "scale_update",
        p,
        lambda: services.scale_update(
            acting_user=p,
            administration_id=score.pk,
            expected_version=1,
            data=services.ScaleInput(**{**score_data.__dict__, "total": Decimal(18)}),
        ),
    )
    trail.step(
        "scale_delete",
        p,
        lambda: services.scale_delete(
            acting_user=p, administration_id=score.pk, expected_version=2
        ),
    )
    trials = []
    for number, agent in enumerate(("sertraline", "venlafaxine", "mirtazapine"), start=1):
        data = services.TrialInput(
            kind="antidepressant",
            agent=builtin_agent(agent),
            dose_mg_per_day=builtin_agent(agent).minimum_dose_mg_per_day * 2,
            start_date=onset + datetime.timedelta(days=number * 40 - 39),
            weeks=Decimal(5),
            adherence="good",
            percent_symptom_reduction=Decimal(10),
        )
        trials.append(
            trail.step(
                f"trial_record {number}",
                p,
                lambda data=data: services.trial_record(
                    acting_user=p, episode_id=episode.pk, data=data
                ),
            )
        )
    first = trials[0]
    trail.step(
        "trial_update",
        p,
        lambda: services.trial_update(
            acting_user=p,
            trial_id=first.pk,
            expected_version=1,
            data=services.TrialInput(
                kind=first.kind,
                agent=first.agent,
                start_date=first.start_date,
                dose_mg_per_day=Decimal(150),
                weeks=Decimal(6),
            ),
        ),
    )
    trail.step(
        "trial_adequacy_override",
        p,
        lambda: services.trial_adequacy_override(
            acting_user=p, trial_id=first.pk, expected_version=2, adequate=True, reason="Pharmacy."
        ),
    )
    trail.step(
        "trial_adequacy_override_clear",
        p,
        lambda: services.trial_adequacy_override_clear(
            acting_user=p, trial_id=first.pk, expected_version=3
        ),
    )
    trail.step(
        "trial_delete",
        p,
        lambda: services.trial_delete(acting_user=p, trial_id=trials[2].pk, expected_version=1),
    )
    answers = [impasse.AnswerInput(item_code="B1", answer="no", evidence="Seen.")]
    trail.step(
        "checklist_answers_record (first)",
        p,
        lambda: impasse.checklist_answers_record(
            acting_user=p, episode_id=episode.pk, answers=answers
        ),
    )
    changed = [impasse.AnswerInput(item_code="B1", answer="yes", expected_version=1)]
    trail.step(
        "checklist_answers_record (change)",
        p,
        lambda: impasse.checklist_answers_record(
            acting_user=p, episode_id=episode.pk, answers=changed
        ),
    )
    trail.step(
        "checklist_status_confirm",
        p,
        lambda: impasse.checklist_status_confirm(
            acting_user=p,
            episode_id=episode.pk,
            status_text=episode_assessment(episode).status.text,
        ),
    )
    case = ImpasseCase.objects.filter(episode=episode).first() or trail.step(
        "impasse_case_flag",
        p,
        lambda: impasse.impasse_case_flag(
            acting_user=p, episode_id=episode.pk, reason="No remission after two trials."
        ),
    )
    s = supervisor
    trail.step(
        "impasse_review_start",
        s,
        lambda: impasse.impasse_review_start(acting_user=s, case_id=case.pk),
    )
    trail.step(
        "impasse_review_release",
        s,
        lambda: impasse.impasse_review_release(acting_user=s, case_id=case.pk, reason="Away."),
    )
    review = trail.step(
        "impasse_review_start (again)",
        s,
        lambda: impasse.impasse_review_start(acting_user=s, case_id=case.pk),
    )
    draft = impasse.ReviewInput(findings="Dose not optimised.", next_steps="Raise the dose.")
    trail.step(
        "impasse_review_save",
        s,
        lambda: impasse.impasse_review_save(
            acting_user=s, case_id=case.pk, data=draft, expected_version=review.version
        ),
    )
    trail.step(
        "impasse_review_sign_off",
        s,
        lambda: impasse.impasse_review_sign_off(
            acting_user=s, case_id=case.pk, data=draft, expected_version=review.version + 1
        ),
    )
    trail.step(
        "impasse_case_close",
        s,
        lambda: impasse.impasse_case_close(acting_user=s, case_id=case.pk, reason="Done."),
    )
    trail.step(
        "impasse_case_reopen",
        s,
        lambda: impasse.impasse_case_reopen(acting_user=s, case_id=case.pk, reason="Relapse."),
    )
    screen = impasse.ScreenInput(
        screened_on=timezone.localdate(),
        answers=ScreenAnswers(wish_to_be_dead=True, suicidal_thoughts=False),
    )
    trail.step(
        "cssrs_screen_record",
        s,
        lambda: impasse.cssrs_screen_record(acting_user=s, episode_id=episode.pk, data=screen),
    )
    rules = impasse.FlagRulesInput(
        fda_ema_met=True,
        msm_enabled=True,
        msm_min_score=9,
        red_concern=True,
        long_episode_enabled=True,
        long_episode_points=CHRONIC_DURATION_POINTS,
    )
    trail.step(
        "impasse_flag_rules_update (first change)",
        admin,
        lambda: impasse.impasse_flag_rules_update(
            acting_user=admin, clinic_id=clinic.pk, data=rules, expected_version=0
        ),
    )
    trail.step(
        "impasse_flag_rules_update",
        admin,
        lambda: impasse.impasse_flag_rules_update(
            acting_user=admin,
            clinic_id=clinic.pk,
            data=dataclasses.replace(rules, red_concern=False),
            expected_version=1,
        ),
    )

    access = access_for_user(p, clinic.pk)
    assert access is not None
    vignette = vignettes()[0]
    imported = services.patient_create(
        acting_user=p,
        clinic=clinic,
        data=services.PatientInput(
            record_number="RN-J1",
            family_name="Imported",
            given_name="Jo",
            date_of_birth=datetime.date(1970, 1, 1),
            diagnosis=vignette["patient"].get("diagnosis", "MDD"),
        ),
    )
    trail.step(
        "patient_history_import (JSON)",
        p,
        lambda: patient_history_import(
            access=access,
            patient=imported,
            data={"patient": vignette["patient"], "trials": vignette["trials"]},
            acting_user=p,
        ),
    )
    csv = sample_csv(rows=6, patients=2, seed=8).encode()
    trail.step(
        "csv_import",
        p,
        lambda: csv_import(acting_user=p, clinic=clinic, data=csv),
    )
    # Last: the legal erasure of the first patient, with everything recorded above.
    trail.step(
        "patient_erase",
        admin,
        lambda: patient_erase(
            acting_user=admin, patient_id=patient.pk, reason=ErasureReason.LEGAL_ORDER
        ),
        erased_patient=patient.pk,
    )


def required_paths() -> set[tuple[type[models.Model], str]]:
    """Return each clinical model's create, update and delete, less those that do not exist."""
    paths = {(model, kind) for model in clinical_models() for kind in (CREATE, UPDATE, DELETE)}
    return paths - set(NO_PATH)


def test_every_clinical_model_is_covered() -> None:
    """A model of records or pseudoresistance is either audited here or excluded with a reason."""
    registered = {
        model
        for app in ("records", "pseudoresistance")
        for model in apps.get_app_config(app).get_models()
    }
    assert set(NOT_CLINICAL) <= registered, "exclusions of models that are gone"
    unaudited = sorted(m.__name__ for m in registered - set(NOT_CLINICAL) - set(OBJECT_TYPES))
    assert unaudited == [], "clinical models without audit coverage"


def test_every_service_write_is_audited(db: None, trail: Trail) -> None:
    scenario(trail)
    assert trail.problems == []
    missing = sorted(f"{m.__name__} {kind}" for m, kind in required_paths() - trail.exercised)
    assert missing == [], "write paths no scenario exercised"
    stale = sorted(f"{model.__name__} {kind}" for model, kind in set(NO_PATH) & trail.exercised)
    assert stale == [], "NO_PATH entries for paths that exist"


def test_a_failed_audit_write_rolls_back_every_service_write(db: None) -> None:
    """Integrity (HIPAA 164.312(c)): no clinical change is saved without its audit event."""
    trail = Trail(fail_audit_first=True)
    scenario(trail)
    assert trail.problems == []
    assert required_paths() <= trail.exercised


@pytest.mark.parametrize(
    "statement", ["UPDATE records_auditevent SET action = 'view'", "DELETE FROM records_auditevent"]
)
def test_audit_rows_refuse_raw_sql_changes(db: None, trail: Trail, statement: str) -> None:
    scenario(trail)
    before = list(AuditEvent.objects.order_by("pk").values_list())
    assert len(before) >= trail.steps
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert list(AuditEvent.objects.order_by("pk").values_list()) == before


def test_the_admin_offers_no_way_to_change_the_audit_trail(db: None, clinic_admin: User) -> None:
    root = User.objects.create_superuser("root", password="x" * 16)
    event = AuditEvent.objects.create(clinic_id=1, object_type="patient", action=AuditAction.VIEW)
    audit_admin = site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = clinic_admin
    # Clinic admins cannot open the admin at all (issue 13); superusers only read the trail.
    assert not site.has_permission(request)
    request.user = root
    assert audit_admin.has_view_permission(request)
    assert not audit_admin.has_add_permission(request)
    assert not audit_admin.has_change_permission(request, event)
    assert not audit_admin.has_delete_permission(request, event)
    assert "delete_selected" not in audit_admin.get_actions(request)


# Reading is audited too: every page and download that shows a patient's identifiable data
# writes a view (or export) event naming the patient. The URL configuration is walked like the
# access matrix: each GET route is opened by every role the matrix lets see it. A route is
# patient-scoped when its URL names a patient's record (a patient, episode, trial, score or
# impasse case) or when its response shows the patient's record number or name; either way the
# request must have written an access event of the patient by that user. A new route without
# one fails here.
PATIENT_PARAMETERS = ("patient_id", "episode_id", "trial_id", "administration_id", "case_id")
STAFF = ("psychiatrist", "supervisor", "clinic admin")
# Shown by the list pages and the search, distinctive so no other text matches it.
FAMILY_NAME = "Qwertzuiop"
NOT_WALKED = {
    "admin/": "the Django admin registers no patient, episode, trial, score or case model",
}


def walked_routes() -> list[str]:
    return [
        route
        for route in matrix.ROUTES
        if not any(route.startswith(prefix) for prefix in NOT_WALKED)
    ]


def test_the_admin_shows_no_patient_record() -> None:
    shown = {model for model in site._registry if model in OBJECT_TYPES}
    assert shown == set()


@pytest.mark.parametrize("route", walked_routes())
def test_every_page_showing_a_patient_writes_an_access_event(
    clinic_a: ClinicA, clinic_a_sessions: Sessions, route: str
) -> None:
    patient = Patient.objects.get(pk=clinic_a.values["patient_id"])
    patient.family_name = FAMILY_NAME
    patient.save(update_fields=["family_name"])
    path = matrix.concrete(route, clinic_a.values)
    names_a_record = any(f":{name}>" in route for name in PATIENT_PARAMETERS)
    gets = matrix.EXPECTED[route][0]
    allowed = [v for v, got in zip(matrix.VISITORS, gets, strict=True) if v in STAFF and got == 200]
    for visitor in allowed:
        user = clinic_a.visitors[visitor]
        with matrix.rolled_back():
            last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            client = clinic_a_sessions.client(user)
            response = client.get(path)
            assert response.status_code == 200, f"{path} as {visitor}"
            body = b"".join(getattr(response, "streaming_content", [response.content]))
            shows = patient.record_number.encode() in body or FAMILY_NAME.encode() in body
            logged = AuditEvent.objects.filter(
                pk__gt=last,
                patient_id=patient.pk,
                clinic_id=patient.clinic_id,
                actor_id=user.pk,
                action__in=ACCESS_ACTIONS,
            ).exists()
        if names_a_record or shows:
            assert logged, f"GET {path} as {visitor} showed the patient without an access event"

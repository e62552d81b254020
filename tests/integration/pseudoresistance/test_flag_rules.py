"""A clinic's impasse flag rules: the settings page, the audit, and cases re-evaluated at once."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pseudoresistance.models import ImpasseCase, ImpasseFlagRules
from pseudoresistance.selectors import episode_assessment
from pseudoresistance.services import (
    FLAG_RULES_OBJECT,
    FlagRulesInput,
    impasse_flag_rules_update,
    impasse_flags_refresh,
)
from pseudoresistance.states import CaseState
from records.models import AuditEvent, Clinic, Patient, Role, SeverityCategory
from tests.factories import EpisodeFactory, PatientFactory, TrialFactory, builtin_agent

pytestmark = pytest.mark.django_db

URL = reverse("pseudoresistance:settings-flag-rules")
DEFAULTS = FlagRulesInput(
    fda_ema_met=True,
    msm_enabled=True,
    msm_min_score=7,
    red_concern=True,
    long_episode_enabled=True,
    long_episode_points=3,
)


def stricter(**changes: object) -> FlagRulesInput:
    return FlagRulesInput(**{**DEFAULTS.__dict__, **changes})


def long_episode_case(patient: Patient, psychiatrist: User) -> ImpasseCase:
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=800)
    )
    case = impasse_flags_refresh(episode=episode, acting_user=psychiatrist)
    assert case is not None
    assert case.criteria == ["long_episode"]
    return case


def test_switching_a_rule_off_closes_the_waiting_cases_it_alone_opened(
    patient: Patient, psychiatrist: User, clinic_admin: User, stranger: User, other_clinic: Clinic
) -> None:
    case = long_episode_case(patient, psychiatrist)
    outsider = long_episode_case(PatientFactory(clinic=other_clinic), stranger)

    rules = impasse_flag_rules_update(
        acting_user=clinic_admin,
        clinic_id=patient.clinic_id,
        data=stricter(long_episode_enabled=False),
        expected_version=0,
    )

    case.refresh_from_db()
    assert (case.state, case.criteria) == (CaseState.CLOSED, [])
    outsider.refresh_from_db()
    assert outsider.state == CaseState.OPEN
    [event] = AuditEvent.objects.filter(object_type=FLAG_RULES_OBJECT, object_id=rules.pk)
    assert event.changes == {"long_episode_enabled": ["yes", "no"]}
    assert event.actor_id == clinic_admin.pk


def test_a_stricter_msm_threshold_reads_in_the_case_and_a_looser_one_opens_cases(
    patient: Patient, psychiatrist: User, clinic_admin: User
) -> None:
    episode = EpisodeFactory(
        patient=patient,
        onset_date=timezone.localdate() - datetime.timedelta(days=150),
        baseline_severity_category=SeverityCategory.SEVERE,
    )
    TrialFactory(
        episode=episode,
        agent=builtin_agent("sertraline"),
        dose_mg_per_day=Decimal(100),
        start_date=episode.onset_date + datetime.timedelta(days=7),
    )
    assert impasse_flags_refresh(episode=episode, acting_user=psychiatrist) is None
    assert episode_assessment(episode).msm_score == 6
    impasse_flag_rules_update(
        acting_user=clinic_admin,
        clinic_id=patient.clinic_id,
        data=stricter(msm_min_score=6),
        expected_version=0,
    )
    case = ImpasseCase.objects.get(episode=episode)
    assert case.criteria == ["msm_at_least_6"]
    assert "score ≥ 6" in case.events.get().reason


def test_saving_the_same_rules_writes_nothing(patient: Patient, clinic_admin: User) -> None:
    impasse_flag_rules_update(
        acting_user=clinic_admin, clinic_id=patient.clinic_id, data=DEFAULTS, expected_version=0
    )
    assert not ImpasseFlagRules.objects.exists()
    assert not AuditEvent.objects.filter(object_type=FLAG_RULES_OBJECT).exists()


def test_a_stale_edit_is_refused_naming_the_change(patient: Patient, clinic_admin: User) -> None:
    impasse_flag_rules_update(
        acting_user=clinic_admin,
        clinic_id=patient.clinic_id,
        data=stricter(red_concern=False),
        expected_version=0,
    )
    with pytest.raises(ValidationError, match="changed by someone else"):
        impasse_flag_rules_update(
            acting_user=clinic_admin,
            clinic_id=patient.clinic_id,
            data=stricter(fda_ema_met=False),
            expected_version=0,
        )
    assert ImpasseFlagRules.objects.get().fda_ema_met is True


@pytest.mark.parametrize("score", [2, 16])
def test_an_msm_threshold_outside_the_total_is_a_field_error(
    patient: Patient, clinic_admin: User, score: int
) -> None:
    with pytest.raises(ValidationError) as error:
        impasse_flag_rules_update(
            acting_user=clinic_admin,
            clinic_id=patient.clinic_id,
            data=stricter(msm_min_score=score),
            expected_version=0,
        )
    assert "msm_min_score" in error.value.message_dict


def test_only_a_clinic_admin_changes_the_rules(patient: Patient, supervisor: User) -> None:
    with pytest.raises(PermissionDenied):
        impasse_flag_rules_update(
            acting_user=supervisor, clinic_id=patient.clinic_id, data=DEFAULTS, expected_version=0
        )


# --- the settings page -------------------------------------------------------------------------


def test_the_page_shows_the_defaults_and_sits_among_the_clinic_settings(
    signed_in: Callable[[User], Client], clinic_admin: User
) -> None:
    response = signed_in(clinic_admin).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This clinic uses the standard rules." in html
    assert 'value="7"' in html
    staging = signed_in(clinic_admin).get(reverse("records:clinic-staging-defaults")).content
    assert URL.encode() in staging
    assert b"Impasse flags" in staging


def test_the_page_saves_and_a_bad_threshold_is_shown_next_to_its_field(
    signed_in: Callable[[User], Client], clinic_admin: User
) -> None:
    client = signed_in(clinic_admin)
    posted = {
        "version": "0",
        "fda_ema_met": "on",
        "msm_enabled": "on",
        "msm_min_score": "99",
        "red_concern": "on",
        "long_episode_enabled": "on",
        "long_episode_points": "3",
    }
    response = client.post(URL, posted)
    assert response.status_code == 200
    assert response.context["form"].errors["msm_min_score"]
    assert 'value="99"' in response.content.decode()
    response = client.post(URL, {**posted, "msm_min_score": "9"})
    assert response.status_code == 302
    assert ImpasseFlagRules.objects.get().msm_min_score == 9


@pytest.mark.parametrize("role_user", ["supervisor", "psychiatrist"])
def test_other_roles_are_refused(
    signed_in: Callable[[User], Client], role_user: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(role_user)
    assert signed_in(user).get(URL).status_code == 403
    assert signed_in(user).post(URL, {"version": "0"}).status_code == 403


def test_an_admin_of_another_clinic_changes_only_their_own(
    signed_in: Callable[[User], Client],
    member: Callable[..., User],
    clinic: Clinic,
    other_clinic: Clinic,
) -> None:
    outsider = member(Role.CLINIC_ADMIN, in_clinic=other_clinic)
    response = signed_in(outsider).post(
        URL,
        {"version": "0", "msm_enabled": "on", "msm_min_score": "9", "long_episode_points": "3"},
    )
    assert response.status_code == 302
    assert list(ImpasseFlagRules.objects.values_list("clinic_id", flat=True)) == [other_clinic.pk]

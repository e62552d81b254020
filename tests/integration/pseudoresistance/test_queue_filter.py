"""The queue filtered by why a case was flagged: whitelisted, with the count of each reason."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from pseudoresistance.criteria import CriterionKind
from pseudoresistance.models import ImpasseCase
from records.models import Clinic
from tests.factories import EpisodeFactory, ImpasseCaseFactory, PatientFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("pseudoresistance:queue")


def case(clinic: Clinic, number: str, *, criteria: list[str], origin: str) -> ImpasseCase:
    patient = PatientFactory(clinic=clinic, record_number=number)
    return ImpasseCaseFactory(
        episode=EpisodeFactory(patient=patient), criteria=criteria, origin=origin
    )


@pytest.fixture
def cases(clinic: Clinic, other_clinic: Clinic) -> dict[str, ImpasseCase]:
    case(other_clinic, "RN-OTHER", criteria=["fda_ema_met"], origin="automatic")
    return {
        "fda": case(
            clinic, "RN-FDA", criteria=["fda_ema_met", "msm_at_least_7"], origin="automatic"
        ),
        "msm9": case(clinic, "RN-MSM", criteria=["msm_at_least_9"], origin="automatic"),
        "long": case(clinic, "RN-LONG", criteria=["long_episode_12"], origin="automatic"),
        "hand": case(clinic, "RN-HAND", criteria=[], origin="manual"),
    }


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ("fda_ema_met", {"fda"}),
        ("msm", {"fda", "msm9"}),
        ("long_episode", {"long"}),
        ("manual", {"hand"}),
        ("red_concern", set()),
        ("", {"fda", "msm9", "long", "hand"}),
    ],
)
def test_the_queue_lists_only_the_cases_flagged_for_the_criterion(
    signed_in: Callable[[User], Client],
    supervisor: User,
    cases: dict[str, ImpasseCase],
    criterion: str,
    expected: set[str],
) -> None:
    response = signed_in(supervisor).get(QUEUE, {"criterion": criterion})
    assert response.status_code == 200
    shown = {row.case.pk for row in response.context["rows"]}
    assert shown == {cases[name].pk for name in expected}


def test_each_reason_shows_how_many_cases_it_would_leave(
    signed_in: Callable[[User], Client], supervisor: User, cases: dict[str, ImpasseCase]
) -> None:
    response = signed_in(supervisor).get(QUEUE, {"criterion": "manual"})
    choices = dict(response.context["form"].fields["criterion"].choices)
    assert choices[CriterionKind.MSM.value] == "Maudsley Staging Method score (2)"
    assert choices[CriterionKind.RED_CONCERN.value] == "RED checklist concern (0)"
    assert "Maudsley Staging Method score (2)" in response.content.decode()


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", "fda_ema_met' OR 1=1", "x" * 500])
def test_a_value_off_the_list_is_a_field_error_and_filters_nothing(
    signed_in: Callable[[User], Client],
    supervisor: User,
    cases: dict[str, ImpasseCase],
    hostile: str,
) -> None:
    response = signed_in(supervisor).get(QUEUE, {"criterion": hostile})
    assert response.status_code == 200
    assert response.context["form"].errors["criterion"]
    assert len(response.context["rows"]) == 4
    assert "<script>alert(1)" not in response.content.decode()

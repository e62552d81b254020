"""The psychiatrist's caseload: the patient list's columns, order, filters and sign-off notices."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohort.models import EpisodeSnapshot
from pseudoresistance.models import ImpasseCase, ImpasseReview
from pseudoresistance.states import CaseState
from records import caseload, extensions
from records.caseload import CaseloadFilters, SortOrder, caseload_patients, caseload_rows
from records.models import AuditEvent, CaseloadVisit, Patient, PatientSeen, Role
from records.services import episode_changed
from tests.factories import (
    EpisodeFactory,
    ImpasseCaseFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    builtin_agent,
)

TODAY = timezone.localdate()
LIST = reverse("records:patient-list")


def madrs(episode, days_ago: int, total: int, suicide_item: int = 0):
    """Record a MADRS score `days_ago` days back with its suicide item (item 10)."""
    return ScaleAdministrationFactory(
        episode=episode,
        scale="MADRS",
        administered_on=TODAY - datetime.timedelta(days=days_ago),
        total=Decimal(total),
        items={"10": suicide_item},
    )


def staged_patient(clinic, psychiatrist, family_name: str, failures: int = 0, **patient):
    """A patient with an episode in progress, `failures` failed adequate trials, staged."""
    person = PatientFactory(
        clinic=clinic, psychiatrist=psychiatrist, family_name=family_name, **patient
    )
    episode = EpisodeFactory(patient=person, onset_date=TODAY - datetime.timedelta(days=400))
    for n, agent in enumerate(("sertraline", "venlafaxine", "mirtazapine")[:failures]):
        TrialFactory(
            episode=episode,
            agent=builtin_agent(agent),
            dose_mg_per_day=Decimal(
                {"sertraline": 150, "venlafaxine": 225, "mirtazapine": 45}[agent]
            ),
            start_date=episode.onset_date + datetime.timedelta(days=14 + 70 * n),
        )
    episode_changed(episode_ids=[episode.pk], acting_user=None)
    return person, episode


def sign_off(episode, reviewer, *, days_ago: int = 0, next_steps: str = "Lithium augmentation."):
    # The change path may have opened a case already: it is the one reviewed.
    case = ImpasseCase.objects.exclude(state=CaseState.CLOSED).filter(episode=episode).first()
    if case is None:
        case = ImpasseCaseFactory(episode=episode, state=CaseState.REVIEWED)
    else:
        ImpasseCase.objects.filter(pk=case.pk).update(state=CaseState.REVIEWED)
    at = timezone.now() - datetime.timedelta(days=days_ago)
    return ImpasseReview.objects.create(
        case=case,
        reviewer=reviewer,
        started_at=at - datetime.timedelta(hours=1),
        findings="Two adequate trials failed.",
        next_steps=next_steps,
        signed_off_at=at,
    )


def rows_of(access, **filters):
    order = filters.pop("order", SortOrder())
    patients = caseload_patients(access=access, filters=CaseloadFilters(**filters), order=order)
    return caseload_rows(access=access, patients=list(patients))


# --- the selector ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_caseload_row_words_stage_score_alert_case_and_review(
    clinic, psychiatrist, supervisor, access_of
):
    supervisor.first_name, supervisor.last_name = "Grace", "Hopper"
    supervisor.save(update_fields=["first_name", "last_name"])
    _, episode = staged_patient(clinic, psychiatrist, "Rivera", failures=2)
    madrs(episode, days_ago=60, total=30)
    madrs(episode, days_ago=40, total=24, suicide_item=4)
    sign_off(episode, supervisor, next_steps="Add lithium; rate again in 4 weeks.")
    snapshot = EpisodeSnapshot.objects.get(episode=episode)

    [row] = rows_of(access_of(psychiatrist))

    assert row.thase_rush == f"Thase-Rush stage {snapshot.results['thase_rush']['stage']} of V"
    assert row.thase_rush_meaning
    assert row.msm == f"MSM {snapshot.msm_score} of 15"
    assert row.msm_band == snapshot.results["msm"]["band"]
    assert row.score == "MADRS 24 of 60"
    assert row.score_on == TODAY - datetime.timedelta(days=40)
    assert row.overdue == "rated 40 days ago; due every 4 weeks"
    [alert] = row.alerts
    assert alert.text.startswith("MADRS item 10")
    assert "4 of 6" in alert.text
    assert row.case_status == "reviewed"
    assert row.review_text.startswith("Grace Hopper signed off the review on ")
    assert row.review_text.endswith(": Add lithium; rate again in 4 weeks.")
    assert row.review_is_new


@pytest.mark.django_db
def test_the_columns_compiled_once_read_what_their_expressions_read(
    clinic, psychiatrist, supervisor, access_of
):
    """Each user's columns from the SQL compiled once equal Django's own compilation of them."""
    _, reviewed = staged_patient(clinic, psychiatrist, "Rivera", failures=2)
    madrs(reviewed, days_ago=40, total=24, suicide_item=4)
    sign_off(reviewed, supervisor)
    seen, rated = staged_patient(clinic, psychiatrist, "Okafor", failures=1)
    madrs(rated, days_ago=3, total=12, suicide_item=1)
    PatientSeen.objects.create(user=psychiatrist, patient=seen, seen_at=timezone.now())
    PatientFactory(clinic=clinic, psychiatrist=psychiatrist, family_name="Unseen")
    names = [*caseload._annotations(psychiatrist.pk)]

    for user in (psychiatrist, supervisor, psychiatrist):
        built = Patient.objects.filter(clinic=clinic)
        for name, expression in caseload._annotations(user.pk).items():
            built = built.annotate(**{name: expression})
        compiled = caseload_patients(
            access=access_of(user), filters=CaseloadFilters(), order=SortOrder()
        )
        columns = list(compiled.values_list("family_name", *names))
        assert columns == list(built.order_by("family_name").values_list("family_name", *names))
        assert len(columns) == 3
        seen_at = [row[1 + names.index(caseload.SEEN_AT)] for row in columns]
        assert (seen_at[0] is not None) == (user == psychiatrist)
    for name in (caseload.SCORE_TOTAL, caseload.OPEN_ALERTS, extensions.CASELOAD_STAGE_THASE_RUSH):
        assert {row[1 + names.index(name)] for row in columns} - {None, 0}, name


@pytest.mark.django_db
def test_a_later_score_without_the_item_closes_the_alert_and_a_recent_score_is_not_overdue(
    clinic, psychiatrist, access_of
):
    _, episode = staged_patient(clinic, psychiatrist, "Rivera")
    madrs(episode, days_ago=20, total=24, suicide_item=4)
    madrs(episode, days_ago=3, total=12, suicide_item=1)

    [row] = rows_of(access_of(psychiatrist))

    assert row.alerts == ()
    assert row.overdue == ""
    assert row.thase_rush == "Thase-Rush stage 0 of V"


@pytest.mark.django_db
def test_caseload_filters_mine_alert_and_signed_off_since_the_last_visit(
    clinic, psychiatrist, supervisor, member, access_of
):
    colleague = member(Role.PSYCHIATRIST)
    _, alerting = staged_patient(clinic, psychiatrist, "Alerting")
    madrs(alerting, days_ago=5, total=30, suicide_item=3)
    _, reviewed = staged_patient(clinic, psychiatrist, "Reviewed")
    sign_off(reviewed, supervisor, days_ago=0)
    _, old_review = staged_patient(clinic, psychiatrist, "Oldreview")
    sign_off(old_review, supervisor, days_ago=10)
    staged_patient(clinic, colleague, "Theirs")
    access = access_of(psychiatrist)

    def names(**filters):
        return [row.patient.family_name for row in rows_of(access, **filters)]

    assert names() == ["Alerting", "Oldreview", "Reviewed", "Theirs"]
    assert names(psychiatrist_id=psychiatrist.pk) == ["Alerting", "Oldreview", "Reviewed"]
    assert names(alert_open=True) == ["Alerting"]
    last_visit = timezone.now() - datetime.timedelta(days=2)
    assert names(signed_off_filter=True, signed_off_since=last_visit) == ["Reviewed"]
    assert names(signed_off_filter=True) == ["Oldreview", "Reviewed"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("name", ["Adams", "Brown", "Clark"]),
        ("-name", ["Clark", "Brown", "Adams"]),
        ("stage", ["Brown", "Clark", "Adams"]),
        ("-stage", ["Adams", "Clark", "Brown"]),
        ("score", ["Clark", "Adams", "Brown"]),
        ("-score", ["Adams", "Clark", "Brown"]),
        ("-alerts", ["Adams", "Brown", "Clark"]),
        ("-review", ["Brown", "Adams", "Clark"]),
        ("case", ["Adams", "Brown", "Clark"]),
        ("drop table", ["Adams", "Brown", "Clark"]),
    ],
)
def test_caseload_sorts_on_whitelisted_keys_with_empty_values_last(
    clinic, psychiatrist, supervisor, access_of, order, expected
):
    _, adams = staged_patient(clinic, psychiatrist, "Adams", failures=3)
    madrs(adams, days_ago=10, total=20, suicide_item=5)
    _, brown = staged_patient(clinic, psychiatrist, "Brown")
    _, clark = staged_patient(clinic, psychiatrist, "Clark", failures=1)
    madrs(clark, days_ago=50, total=20)
    sign_off(adams, supervisor, days_ago=5)
    sign_off(brown, supervisor, days_ago=1)

    names = [
        row.patient.family_name
        for row in rows_of(access_of(psychiatrist), order=SortOrder.parse(order))
    ]

    assert names == expected


@pytest.mark.django_db
def test_another_clinics_patients_never_appear_whatever_the_filter(
    clinic, other_clinic, psychiatrist, stranger, supervisor, access_of
):
    staged_patient(clinic, psychiatrist, "Ours")
    _, theirs = staged_patient(other_clinic, stranger, "Theirs")
    madrs(theirs, days_ago=5, total=30, suicide_item=4)
    sign_off(theirs, supervisor)
    access = access_of(psychiatrist)
    for filters in (
        {},
        {"alert_open": True},
        {"signed_off_filter": True},
        {"psychiatrist_id": stranger.pk},
        {"query": "Theirs"},
    ):
        assert "Theirs" not in [row.patient.family_name for row in rows_of(access, **filters)]


# --- the page -------------------------------------------------------------------------------


def test_caseload_query_count_is_the_same_for_3_and_25_patients(
    signed_in, clinic, psychiatrist, supervisor
):
    client = signed_in(psychiatrist)
    client.get(LIST)
    counts = []
    for total in (3, 25):
        while len(psychiatrist.patients_responsible_for.all()) < total:
            n = len(psychiatrist.patients_responsible_for.all())
            _, episode = staged_patient(clinic, psychiatrist, f"P{n:02d}", failures=n % 3)
            madrs(episode, days_ago=n, total=20, suicide_item=n % 4)
            if n % 2:
                sign_off(episode, supervisor, days_ago=n % 5)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST)
        assert len(response.context["rows"]) == total
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 16


def test_psychiatrist_sees_own_patients_by_default_and_a_supervisor_everyones(
    signed_in, clinic, psychiatrist, supervisor, member
):
    colleague = member(Role.PSYCHIATRIST)
    staged_patient(clinic, psychiatrist, "Mine")
    staged_patient(clinic, colleague, "Theirs")

    mine = signed_in(psychiatrist).get(LIST).content.decode()
    assert "Mine" in mine
    assert "Theirs" not in mine
    everyone = signed_in(psychiatrist).get(LIST, {"psychiatrist": ""}).content.decode()
    assert "Mine" in everyone
    assert "Theirs" in everyone
    supervising = signed_in(supervisor).get(LIST).content.decode()
    assert "Mine" in supervising
    assert "Theirs" in supervising


def test_caseload_page_shows_columns_in_clinician_words(signed_in, clinic, psychiatrist):
    _, episode = staged_patient(clinic, psychiatrist, "Rivera", failures=2)
    madrs(episode, days_ago=35, total=24, suicide_item=4)

    page = signed_in(psychiatrist).get(LIST).content.decode()

    for words in ("Thase-Rush stage", "MSM ", "of 15", "MADRS 24 of 60", "Overdue", "1 open"):
        assert words in page
    assert "Maudsley Staging Method" in page
    assert "thase_rush" not in page
    assert "24.00" not in page


def test_caseload_sort_link_keeps_filters_and_drops_the_page(signed_in, clinic, psychiatrist):
    staged_patient(clinic, psychiatrist, "Rivera")
    page = signed_in(psychiatrist).get(LIST, {"alert": "on", "page": "1"}).content.decode()
    assert 'href="?alert=on&amp;sort=-stage"' in page


def test_visit_rolls_over_only_at_a_new_sign_in(signed_in, clinic, psychiatrist):
    client = signed_in(psychiatrist)
    client.get(LIST)
    first = CaseloadVisit.objects.get(user=psychiatrist)
    assert first.previous_visit_at is None
    client.get(LIST)
    again = CaseloadVisit.objects.get(user=psychiatrist)
    assert again.previous_visit_at is None
    assert again.visited_at > first.visited_at
    client.logout()
    signed_in(psychiatrist).get(LIST)
    later = CaseloadVisit.objects.get(user=psychiatrist)
    assert later.previous_visit_at == again.visited_at


# --- the notice -----------------------------------------------------------------------------


def test_sign_off_notice_shows_once_on_the_patient_page_and_then_leaves_the_list(
    signed_in, clinic, psychiatrist, supervisor
):
    person, episode = staged_patient(clinic, psychiatrist, "Rivera")
    sign_off(episode, supervisor, next_steps="Add lithium.")
    client = signed_in(psychiatrist)

    listing = client.get(LIST)
    assert [row.patient for row in listing.context["notices"]] == [person]
    detail_url = reverse("records:patient-detail", args=[person.pk])
    first = client.get(detail_url).content.decode()
    assert 'data-testid="sign-off-notice"' in first
    assert "Add lithium." in first
    second = client.get(detail_url).content.decode()
    assert 'data-testid="sign-off-notice"' not in second
    assert client.get(LIST).context["notices"] == []
    # No patient data in the state kept: a user, a patient id, a time.
    assert PatientSeen.objects.filter(user=psychiatrist, patient=person).exists()


def test_a_later_sign_off_brings_the_notice_back(signed_in, clinic, psychiatrist, supervisor):
    person, episode = staged_patient(clinic, psychiatrist, "Rivera")
    sign_off(episode, supervisor, days_ago=3)
    client = signed_in(psychiatrist)
    client.get(reverse("records:patient-detail", args=[person.pk]))
    assert client.get(LIST).context["notices"] == []
    ImpasseReview.objects.filter(case__episode=episode).update(signed_off_at=timezone.now())
    assert [row.patient for row in client.get(LIST).context["notices"]] == [person]


def test_dismiss_button_clears_the_notice_and_keeps_the_filters(
    signed_in, clinic, psychiatrist, supervisor
):
    person, episode = staged_patient(clinic, psychiatrist, "Rivera")
    sign_off(episode, supervisor)
    client = signed_in(psychiatrist)
    url = reverse("records:caseload-notice-dismiss", args=[person.pk])
    response = client.post(url, {"query": "alert=on&sort=-stage"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?alert=on&sort=-stage"
    assert client.get(LIST).context["notices"] == []


def test_dismiss_refuses_another_clinics_patient_and_a_get(
    signed_in, clinic, other_clinic, psychiatrist, stranger
):
    theirs = PatientFactory(clinic=other_clinic, psychiatrist=stranger)
    client = signed_in(psychiatrist)
    url = reverse("records:caseload-notice-dismiss", args=[theirs.pk])
    assert client.post(url).status_code == 404
    mine = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    assert client.get(reverse("records:caseload-notice-dismiss", args=[mine.pk])).status_code == 405
    assert not PatientSeen.objects.exists()


def test_notice_is_only_for_the_patients_psychiatrist(
    signed_in, clinic, psychiatrist, supervisor, member
):
    colleague = member(Role.PSYCHIATRIST)
    person, episode = staged_patient(clinic, colleague, "Theirs")
    sign_off(episode, supervisor)
    client = signed_in(psychiatrist)
    assert client.get(LIST, {"psychiatrist": ""}).context["notices"] == []
    page = client.get(reverse("records:patient-detail", args=[person.pk])).content.decode()
    assert 'data-testid="sign-off-notice"' not in page


def test_caseload_logs_no_patient_data_beyond_the_access_events(
    signed_in, clinic, psychiatrist, supervisor
):
    person, episode = staged_patient(clinic, psychiatrist, "Rivera")
    sign_off(episode, supervisor)
    before = AuditEvent.objects.count()
    signed_in(psychiatrist).get(LIST)
    events = AuditEvent.objects.order_by("pk")[before:]
    assert {event.patient_id for event in events} <= {person.pk, None}
    assert "Rivera" not in str([event.changes for event in events])


@pytest.mark.django_db
def test_an_urgent_alert_says_so_and_alerts_of_two_scales_count_twice(
    clinic, psychiatrist, access_of
):
    _, episode = staged_patient(clinic, psychiatrist, "Rivera")
    madrs(episode, days_ago=4, total=30, suicide_item=4)
    ScaleAdministrationFactory(
        episode=episode,
        scale="BDI_II",
        administered_on=TODAY - datetime.timedelta(days=2),
        total=Decimal(40),
        items={"9": 3},
    )

    [row] = rows_of(access_of(psychiatrist), order=SortOrder.parse("-alerts"))

    assert [alert.urgent for alert in row.alerts] == [False, True]
    assert row.alerts[1].text.startswith("Urgent: BDI-II item 9")
    assert row.alerts[1].text.endswith("3 of 3")

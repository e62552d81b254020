"""Trial pages: entry with live adequacy feedback, the earlier-episode offer, edits, deletion,
and the adequacy override."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from records.models import AuditEvent, Role, TreatmentTrial
from records.models.trial import UNKNOWN_AGENT_NEEDS_CLASS
from tests.factories import AgentFactory, EpisodeFactory, TrialFactory, builtin_agent
from tests.factories.clinic import DEFAULT_PASSWORD

from .conftest import ONSET


def field_error(response, name: str) -> str:
    """Return the error text shown beside a field (crispy-forms' invalid-feedback block)."""
    page = response.content.decode()
    match = re.search(
        rf'<div id="id_{name}_error" class="invalid-feedback">(.*?)</div>', page, re.S
    )
    return html.unescape(re.sub(r"<[^>]+>|\s+", " ", match.group(1))).strip() if match else ""


def input_value(response, name: str) -> str | None:
    """Return the value a text, number or date input is rendered with."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def trial_data(**changes: str) -> dict[str, str]:
    data = {
        "kind": "antidepressant",
        "agent_text": "Sertraline",
        "dose_mg_per_day": "150",
        "weeks": "8",
        "adherence": "good",
        "percent_symptom_reduction": "20",
        "start_date": (ONSET + datetime.timedelta(days=10)).isoformat(),
    }
    return {**data, **changes}


@pytest.fixture
def create_url(episode) -> str:
    return reverse("records:trial-create", args=[episode.patient_id, episode.pk])


@pytest.fixture
def trial(episode) -> TreatmentTrial:
    return TrialFactory(episode=episode, code="T1", seq=1)


def test_trial_form_suggests_the_catalogue_with_the_clinics_own_agents(
    signed_in, psychiatrist, clinic, create_url
):
    AgentFactory(clinic=clinic, name="clinicdrugx")
    page = signed_in(psychiatrist).get(create_url).content.decode()
    assert '<datalist id="agent-catalogue">' in page
    assert '<option value="sertraline">SSRI · minimum 50 mg/day</option>' in page
    assert '<option value="lithium">lithium · minimum serum level 0.5 mmol/L</option>' in page
    assert '<option value="clinicdrugx">' in page
    assert '<option value="Zoloft">brand of sertraline</option>' in page


def test_trial_is_recorded_with_the_catalogued_agent_and_audited(
    signed_in, psychiatrist, episode, create_url
):
    response = signed_in(psychiatrist).post(create_url, trial_data())
    trial = TreatmentTrial.objects.get(episode=episode)
    assert response.status_code == 302
    assert response["Location"].endswith("#trials")
    assert (trial.code, trial.agent, trial.agent_name) == ("T1", builtin_agent("sertraline"), "")
    assert AuditEvent.objects.filter(object_type="trial", object_id=trial.pk).count() == 1


def test_save_and_add_another_returns_to_an_empty_trial_form(
    signed_in, psychiatrist, episode, create_url
):
    response = signed_in(psychiatrist).post(create_url, {**trial_data(), "save_another": "1"})
    assert response["Location"] == create_url


def test_clinic_agent_typed_by_name_is_the_clinics_catalogue_entry(
    signed_in, psychiatrist, clinic, episode, create_url
):
    own = AgentFactory(clinic=clinic, name="Clinicdrug Z")
    data = trial_data(agent_text="clinicdrug  z", dose_mg_per_day="20")
    response = signed_in(psychiatrist).post(create_url, data)
    assert response.status_code == 302
    assert TreatmentTrial.objects.get(episode=episode).agent == own


def test_uncatalogued_agent_without_a_class_is_refused_beside_the_class_and_kept(
    signed_in, psychiatrist, create_url
):
    response = signed_in(psychiatrist).post(create_url, trial_data(agent_text="Newdrugamine"))
    assert response.status_code == 200
    assert field_error(response, "drug_class") == UNKNOWN_AGENT_NEEDS_CLASS.format(
        agent="Newdrugamine"
    )
    assert input_value(response, "agent_text") == "Newdrugamine"
    assert input_value(response, "dose_mg_per_day") == "150"
    assert not TreatmentTrial.objects.exists()


def test_live_feedback_judges_the_unsaved_trial_and_saves_nothing(
    signed_in, psychiatrist, create_url
):
    events = AuditEvent.objects.count()
    response = signed_in(psychiatrist).post(
        create_url, trial_data(dose_mg_per_day="25", weeks="3"), HTTP_HX_REQUEST="true"
    )
    page = html.unescape(response.content.decode())
    assert response.templates[0].name == "records/_trial_adequacy.html"
    assert not response.context["feedback"].adequate
    assert "dose 25 mg/day is below the minimum adequate 50 mg/day for sertraline" in page
    assert "3 weeks at dose is below the 6-week minimum" in page
    assert not TreatmentTrial.objects.exists()
    assert AuditEvent.objects.count() == events


def test_live_feedback_lists_the_services_errors_while_typing(signed_in, psychiatrist, create_url):
    response = signed_in(psychiatrist).post(
        create_url, trial_data(dose_mg_per_day="5000"), HTTP_HX_REQUEST="true"
    )
    errors = response.context["form"].errors
    assert "more than 10 × the minimum adequate dose of sertraline" in errors["dose_mg_per_day"][0]
    assert "Dose (mg/day)" in response.content.decode()


def test_live_feedback_names_malformed_fields(signed_in, psychiatrist, create_url):
    response = signed_in(psychiatrist).post(
        create_url, trial_data(weeks="eight"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.context["feedback"] is None
    assert "Weeks at dose</strong>: Enter a number." in response.content.decode()


def test_check_adequacy_without_javascript_renders_the_page_with_the_feedback(
    signed_in, psychiatrist, create_url
):
    response = signed_in(psychiatrist).post(create_url, {**trial_data(), "preview": "1"})
    assert response.templates[0].name == "records/trial_form.html"
    assert response.context["feedback"].adequate
    assert input_value(response, "agent_text") == "Sertraline"
    assert not TreatmentTrial.objects.exists()


def test_psychotherapy_feedback_counts_sessions(signed_in, psychiatrist, create_url):
    data = {
        "kind": "psychotherapy",
        "therapy_type": "CBT",
        "sessions": "4",
        "start_date": ONSET.isoformat(),
    }
    response = signed_in(psychiatrist).post(create_url, data, HTTP_HX_REQUEST="true")
    assert "4 sessions is below the 8-session minimum" in response.context["feedback"].reasons


def test_trial_before_onset_offers_marking_it_as_an_earlier_episode(
    signed_in, psychiatrist, episode, create_url
):
    client = signed_in(psychiatrist)
    early = trial_data(start_date="2023-01-10")
    response = client.post(create_url, early)
    assert response.status_code == 200
    assert "before the episode's onset" in field_error(response, "start_date")
    assert 'name="in_previous_episode" value="on"' in response.content.decode()
    assert not TreatmentTrial.objects.exists()

    response = client.post(create_url, {**early, "in_previous_episode": "on"})
    assert response.status_code == 302
    assert TreatmentTrial.objects.get(episode=episode).in_previous_episode


def test_edit_page_shows_the_saved_trials_adequacy(signed_in, psychiatrist, trial):
    url = reverse("records:trial-update", args=[trial.episode.patient_id, trial.pk])
    response = signed_in(psychiatrist).get(url)
    assert response.context["feedback"].adequate
    assert input_value(response, "agent_text") == "sertraline"


def test_trial_is_corrected(signed_in, psychiatrist, trial):
    url = reverse("records:trial-update", args=[trial.episode.patient_id, trial.pk])
    response = signed_in(psychiatrist).post(url, trial_data(weeks="12", version="1"))
    trial.refresh_from_db()
    assert response.status_code == 302
    assert (trial.weeks, trial.version, trial.code) == (Decimal(12), 2, "T1")


def test_stale_trial_edit_lists_the_change_and_keeps_the_entry(
    signed_in, psychiatrist, member, trial
):
    url = reverse("records:trial-update", args=[trial.episode.patient_id, trial.pk])
    signed_in(member(Role.PSYCHIATRIST)).post(url, trial_data(weeks="10", version="1"))
    response = signed_in(psychiatrist).post(url, trial_data(weeks="12", version="1"))
    page = html.unescape(response.content.decode())
    assert "Trial T1 was changed by someone else" in page
    assert "weeks at dose 8 → 10" in page
    assert input_value(response, "weeks") == "12"
    assert input_value(response, "version") == "2"
    trial.refresh_from_db()
    assert trial.weeks == Decimal(10)


def test_trial_is_deleted_after_confirmation(signed_in, psychiatrist, trial):
    url = reverse("records:trial-delete", args=[trial.episode.patient_id, trial.pk])
    client = signed_in(psychiatrist)
    assert client.get(url).status_code == 200
    refused = client.post(url, {"version": "1", "password": "not-my-password"})
    assert refused.context["form"].errors["password"]
    assert TreatmentTrial.objects.filter(pk=trial.pk).exists()
    response = client.post(url, {"version": "1", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert not TreatmentTrial.objects.filter(pk=trial.pk).exists()


def test_trial_with_an_augmentation_added_is_not_deleted(signed_in, psychiatrist, trial):
    TrialFactory(episode=trial.episode, kind="augmentation", augments=trial)
    url = reverse("records:trial-delete", args=[trial.episode.patient_id, trial.pk])
    response = signed_in(psychiatrist).post(url, {"version": "1", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "added to this trial: change or delete them first" in response.content.decode()
    assert TreatmentTrial.objects.filter(pk=trial.pk).exists()


def test_override_needs_a_reason_shown_beside_it(signed_in, psychiatrist, trial):
    url = reverse("records:trial-override", args=[trial.episode.patient_id, trial.pk])
    response = signed_in(psychiatrist).post(url, {"adequate": "no", "reason": " ", "version": "1"})
    assert response.status_code == 200
    assert field_error(response, "reason") == "This field is required."
    trial.refresh_from_db()
    assert trial.override_adequate is None


def test_override_is_recorded_beside_the_computed_adequacy_and_cleared(
    signed_in, psychiatrist, trial
):
    patient_id = trial.episode.patient_id
    client = signed_in(psychiatrist)
    page = client.get(reverse("records:trial-override", args=[patient_id, trial.pk]))
    assert page.context["computed"].adequate
    response = client.post(
        reverse("records:trial-override", args=[patient_id, trial.pk]),
        {"adequate": "no", "reason": "Took half the dose, per pharmacy.", "version": "1"},
    )
    trial.refresh_from_db()
    assert response.status_code == 302
    assert (trial.override_adequate, trial.override_by) == (False, psychiatrist)
    response = client.post(
        reverse("records:trial-override-clear", args=[patient_id, trial.pk]), {"version": "2"}
    )
    trial.refresh_from_db()
    assert response.status_code == 302
    assert trial.override_adequate is None


def trial_urls(trial: TreatmentTrial) -> list[str]:
    patient_id, episode_id = trial.episode.patient_id, trial.episode_id
    return [
        reverse("records:trial-create", args=[patient_id, episode_id]),
        reverse("records:trial-update", args=[patient_id, trial.pk]),
        reverse("records:trial-delete", args=[patient_id, trial.pk]),
        reverse("records:trial-override", args=[patient_id, trial.pk]),
    ]


def test_trial_pages_of_another_clinic_are_404(signed_in, stranger, trial):
    client = signed_in(stranger)
    for url in trial_urls(trial):
        assert client.get(url).status_code == 404
        assert client.post(url, trial_data(version="1")).status_code == 404
    clear = reverse("records:trial-override-clear", args=[trial.episode.patient_id, trial.pk])
    assert client.post(clear, {"version": "1"}).status_code == 404
    assert TreatmentTrial.objects.get(pk=trial.pk).version == 1


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CLINIC_ADMIN])
def test_trial_pages_refuse_roles_that_do_not_edit(signed_in, member, trial, role):
    client = signed_in(member(role))
    for url in trial_urls(trial):
        assert client.get(url).status_code == 403
        assert client.post(url, trial_data(version="1")).status_code == 403
    assert TreatmentTrial.objects.count() == 1


def test_trial_of_another_patients_episode_is_404(signed_in, psychiatrist, trial, clinic):
    other = EpisodeFactory(patient__clinic=clinic)
    client = signed_in(psychiatrist)
    foreign_trial = reverse("records:trial-update", args=[other.patient_id, trial.pk])
    assert client.get(foreign_trial).status_code == 404
    url = reverse("records:trial-create", args=[trial.episode.patient_id, other.pk])
    assert client.get(url).status_code == 404


OUT_OF_RANGE_END = {
    "percent_symptom_reduction": "",
    "outcome_scale": "MADRS",
    "outcome_baseline_score": "30",
    "outcome_end_score": "80",
}


@pytest.mark.parametrize(
    ("extra", "headers"),
    [({}, {"HTTP_HX_REQUEST": "true"}), ({"preview": "1"}, {}), ({"save": "1"}, {})],
    ids=["live", "check", "save"],
)
def test_out_of_range_end_score_is_a_field_error_with_everything_kept(
    signed_in, psychiatrist, create_url, extra, headers
):
    data = trial_data(**OUT_OF_RANGE_END)
    response = signed_in(psychiatrist).post(create_url, {**data, **extra}, **headers)
    assert response.status_code == 200
    assert response.context["form"].errors["outcome_end_score"] == [
        "MADRS total must be between 0 and 60"
    ]
    if not headers:
        assert field_error(response, "outcome_end_score") == "MADRS total must be between 0 and 60"
        assert input_value(response, "outcome_end_score") == "80"
        assert input_value(response, "agent_text") == "Sertraline"
    assert not TreatmentTrial.objects.exists()


def test_out_of_range_end_score_on_an_edit_is_a_field_error(signed_in, psychiatrist, trial):
    url = reverse("records:trial-update", args=[trial.episode.patient_id, trial.pk])
    data = trial_data(**OUT_OF_RANGE_END, version="1")
    client = signed_in(psychiatrist)
    for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
        response = client.post(url, data, **headers)
        assert response.status_code == 200
        assert (
            "MADRS total must be between 0 and 60"
            in response.context["form"].errors["outcome_end_score"]
        )
    assert TreatmentTrial.objects.get(pk=trial.pk).version == 1


def test_live_feedback_of_an_edit_does_not_find_the_trial_a_duplicate_of_itself(
    signed_in, psychiatrist, trial
):
    url = reverse("records:trial-update", args=[trial.episode.patient_id, trial.pk])
    response = signed_in(psychiatrist).post(
        url, trial_data(weeks="10", version="1"), HTTP_HX_REQUEST="true"
    )
    assert response.context["form"].errors == {}
    assert "already exists" not in response.content.decode()
    assert response.context["feedback"] is not None


def test_edit_form_shows_numbers_as_entered(signed_in, psychiatrist, episode):
    saved = TrialFactory(
        episode=episode, code="T1", seq=1, dose_mg_per_day=Decimal("100.00"), weeks=Decimal("24.5")
    )
    url = reverse("records:trial-update", args=[episode.patient_id, saved.pk])
    response = signed_in(psychiatrist).get(url)
    assert input_value(response, "dose_mg_per_day") == "100"
    assert input_value(response, "weeks") == "24.5"


def test_live_feedback_does_not_ask_for_fields_not_reached_yet(signed_in, psychiatrist, create_url):
    client = signed_in(psychiatrist)
    response = client.post(create_url, {"kind": "antidepressant"}, HTTP_HX_REQUEST="true")
    assert "This field is required" not in response.content.decode()
    response = client.post(create_url, {"kind": "antidepressant", "save": "1"})
    assert field_error(response, "start_date") == "This field is required."


def test_number_fields_post_what_was_typed_so_letters_are_a_field_error(
    signed_in, psychiatrist, create_url
):
    client = signed_in(psychiatrist)
    page = client.get(create_url).content.decode()
    dose = re.search(r'<input[^>]*name="dose_mg_per_day"[^>]*>', page).group(0)
    # A browser's number input drops letters and posts nothing: the trial saved without a dose.
    assert 'type="number"' not in dose
    assert 'inputmode="decimal"' in dose
    response = client.post(create_url, trial_data(dose_mg_per_day="15O"))
    assert field_error(response, "dose_mg_per_day") == "Enter a number."
    assert input_value(response, "dose_mg_per_day") == "15O"
    assert not TreatmentTrial.objects.exists()


@pytest.mark.parametrize(
    ("weeks", "end_days", "error"),
    [("500", 56, True), ("9.5", 56, True), ("9", 56, False), ("8", 56, False)],
)
def test_weeks_beyond_the_course_dates_are_a_field_error_on_weeks(
    signed_in, psychiatrist, create_url, weeks, end_days, error
):
    start = ONSET + datetime.timedelta(days=10)
    end = "" if end_days is None else (start + datetime.timedelta(days=end_days)).isoformat()
    data = trial_data(weeks=weeks, start_date=start.isoformat(), end_date=end)
    client = signed_in(psychiatrist)
    live = client.post(create_url, data, HTTP_HX_REQUEST="true")
    response = client.post(create_url, data)
    if error:
        assert "longer than the course" in live.context["form"].errors["weeks"][0]
        assert "longer than the course" in field_error(response, "weeks")
        assert not TreatmentTrial.objects.exists()
    else:
        assert response.status_code == 302


@pytest.mark.parametrize(
    ("typed", "generic"), [("Zoloft", "sertraline"), ("EFFEXOR XL", "venlafaxine")]
)
def test_a_brand_name_is_recorded_as_its_generic_saying_so(
    signed_in, psychiatrist, episode, create_url, typed, generic
):
    client = signed_in(psychiatrist)
    live = client.post(create_url, trial_data(agent_text=typed), HTTP_HX_REQUEST="true")
    assert live.context["form"].errors == {}
    assert f"{typed} → {generic}" in html.unescape(live.content.decode())
    response = client.post(create_url, trial_data(agent_text=typed))
    assert response.status_code == 302
    trial = TreatmentTrial.objects.get(episode=episode)
    assert (trial.agent, trial.agent_name) == (builtin_agent(generic), "")


def test_trial_notes_are_saved_shown_on_edit_and_audited(
    signed_in, psychiatrist, episode, create_url
):
    client = signed_in(psychiatrist)
    note = "Stopped early: nausea; patient prefers evening dosing."
    assert client.post(create_url, trial_data(notes=note)).status_code == 302
    trial = TreatmentTrial.objects.get(episode=episode)
    assert trial.notes == note
    created = AuditEvent.objects.get(object_type="trial", object_id=trial.pk, action="create")
    assert created.changes["notes"] == [None, note]
    url = reverse("records:trial-update", args=[episode.patient_id, trial.pk])
    assert note in client.get(url).content.decode()
    client.post(url, trial_data(notes="Tolerated well.", version="1"))
    updated = AuditEvent.objects.get(object_type="trial", object_id=trial.pk, action="update")
    assert updated.changes["notes"] == [note, "Tolerated well."]

"""The checklist page (issue 17): sections that load when opened, links to the record fields,
answers kept in collapsed sections, the confirm-status control, gaps by priority, no symbols."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from pseudoresistance.models import ChecklistAnswer, StatusConfirmation
from pseudoresistance.services import (
    STATUS_CHANGED,
    STATUS_CONFIRMATION_OBJECT,
    checklist_status_confirm,
)
from records.models import AuditEvent, Clinic, Episode, TreatmentTrial
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db
SYMBOLS = ("🔶", "✅", "⚠️", "🔴", "🟠")


def url(name: str, *args: object) -> str:
    return reverse(f"pseudoresistance:{name}", args=args)


def test_an_opened_trial_links_each_pre_answer_to_its_record_field(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    trial = failed_trial()
    section = signed_in(psychiatrist).get(url("checklist-section", episode.pk, f"t{trial.pk}"))
    assert section.status_code == 200
    page = section.content.decode()
    edit = reverse("records:trial-update", args=[episode.patient_id, trial.pk])
    assert f'href="{edit}#id_adherence"' in page
    assert f'href="{edit}#id_dose_mg_per_day"' in page
    assert "from the record" in page


def test_an_episode_pre_answer_links_to_the_episode_form(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode
) -> None:
    episode.psychotic_features = True
    episode.save(update_fields=["psychotic_features"])
    page = signed_in(psychiatrist).get(url("checklist-section", episode.pk, "dB")).content
    edit = reverse("records:episode-update", args=[episode.patient_id, episode.pk])
    assert f'href="{edit}#id_psychotic_features"' in page.decode()


def test_a_section_of_another_clinic_or_no_such_section_is_not_found(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode, other_clinic: Clinic
) -> None:
    client = signed_in(psychiatrist)
    assert client.get(url("checklist-section", episode.pk, "dZ")).status_code == 404
    assert client.get(url("checklist-section", episode.pk, "t999999")).status_code == 404
    other = EpisodeFactory(patient=PatientFactory(clinic=other_clinic))
    assert client.get(url("checklist-section", other.pk, "dB")).status_code == 404


def test_a_collapsed_section_posts_nothing_and_keeps_its_answers(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode
) -> None:
    client = signed_in(psychiatrist)
    client.post(url("checklist-answers", episode.pk), {"dC-answer_C2": "yes"})
    # dC is collapsed now: only dB's fields come back.
    response = client.post(
        url("checklist-answers", episode.pk), {"dB-answer_B9": "no", "dB-version_B9": "0"}
    )
    assert response.status_code == 302
    answers = dict(ChecklistAnswer.objects.values_list("item__code", "answer"))
    assert answers == {"C2": "yes", "B9": "no"}


def test_without_javascript_a_section_opens_by_saving_the_answers_given(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    trial = failed_trial()
    client = signed_in(psychiatrist)
    response = client.post(
        url("checklist-answers", episode.pk), {"dB-answer_B9": "no", "show": f"t{trial.pk}"}
    )
    assert response.status_code == 302
    assert "open=dB" in response["Location"]
    assert f"open=t{trial.pk}" in response["Location"]
    page = client.get(response["Location"])
    opened = {block.summary.prefix for block in page.context["trial_blocks"] if block.form}
    assert opened == {f"t{trial.pk}"}
    assert "Answers saved." in page.content.decode()
    assert ChecklistAnswer.objects.get(item__code="B9").answer == "no"


def test_the_table_of_contents_counts_open_items_and_gaps_per_section(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    failed_trial(adherence="")
    failed_trial("citalopram", 40)
    response = signed_in(psychiatrist).get(url("episode", episode.pk))
    summaries = {block.summary.prefix: block.summary for block in response.context["trial_blocks"]}
    # No adherence recorded: A5 is a gap, and A4 too (staging cannot call the trial adequate).
    gaps = sorted(summary.gaps for summary in summaries.values())
    assert gaps == [0, 2]
    domain_b = next(
        b.summary for b in response.context["domain_blocks"] if b.summary.prefix == "dB"
    )
    # B1 and B9 are unanswered gaps (B3 too: no psychotic features recorded).
    assert domain_b.gaps == 3
    assert domain_b.open_items == domain_b.items - domain_b.from_records
    assert 'data-testid="toc-dB"' in response.content.decode()


def test_the_status_is_unconfirmed_until_a_clinician_confirms_it_audited(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    failed_trial()
    client = signed_in(psychiatrist)
    page = client.get(url("episode", episode.pk))
    assert "Unconfirmed" in page.content.decode()
    status_text = page.context["assessment"].status.text
    response = client.post(url("status-confirm", episode.pk), {"status_text": status_text})
    assert response.status_code == 302
    confirmation = StatusConfirmation.objects.get()
    assert (confirmation.confirmed_by, confirmation.status_text) == (psychiatrist, status_text)
    event = AuditEvent.objects.get(object_type=STATUS_CONFIRMATION_OBJECT)
    assert (event.actor_id, event.patient_id) == (psychiatrist.pk, episode.patient_id)
    confirmed = client.get(url("episode", episode.pk)).content.decode()
    assert "Confirmed" in confirmed
    assert "Confirm this status" not in confirmed


def test_a_confirmation_goes_stale_when_the_status_changes_after_it(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    failed_trial()
    client = signed_in(psychiatrist)
    status_text = client.get(url("episode", episode.pk)).context["assessment"].status.text
    client.post(url("status-confirm", episode.pk), {"status_text": status_text})
    # A substance-induced picture: a case-level RED concern changes the status.
    client.post(url("checklist-answers", episode.pk), {"dB-answer_B9": "yes"})
    page = client.get(url("episode", episode.pk))
    assert page.context["confirmation"].stale
    text = page.content.decode()
    assert "Unconfirmed" in text
    assert "The status changed after" in text


def test_confirming_a_status_that_changed_meanwhile_is_refused_with_a_message(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode
) -> None:
    response = signed_in(psychiatrist).post(
        url("status-confirm", episode.pk), {"status_text": "What the page said an hour ago"}
    )
    assert response.status_code == 200
    assert STATUS_CHANGED in response.content.decode()
    assert not StatusConfirmation.objects.exists()


def test_confirming_is_forbidden_to_a_clinic_admin_and_unknown_to_another_clinic(
    signed_in: Callable[[User], Client],
    clinic_admin: User,
    psychiatrist: User,
    episode: Episode,
    other_clinic: Clinic,
) -> None:
    text = "anything"
    assert (
        signed_in(clinic_admin).post(url("status-confirm", episode.pk), {"status_text": text})
    ).status_code == 403
    other = EpisodeFactory(patient=PatientFactory(clinic=other_clinic))
    assert (
        signed_in(psychiatrist).post(url("status-confirm", other.pk), {"status_text": text})
    ).status_code == 404
    with pytest.raises(Exception, match="No such episode"):
        checklist_status_confirm(acting_user=psychiatrist, episode_id=other.pk, status_text=text)
    assert not StatusConfirmation.objects.exists()


def test_a_supervisor_confirms_from_the_review_page_too(
    signed_in: Callable[[User], Client], supervisor: User, episode: Episode
) -> None:
    client = signed_in(supervisor)
    status_text = client.get(url("episode", episode.pk)).context["assessment"].status.text
    response = client.post(url("status-confirm", episode.pk), {"status_text": status_text})
    assert response.status_code == 302
    assert StatusConfirmation.objects.get().confirmed_by == supervisor


def test_the_patient_panel_shows_the_counts_the_top_gaps_and_unconfirmed(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    failed_trial(adherence="")
    page = signed_in(psychiatrist).get(reverse("records:patient-detail", args=[episode.patient_id]))
    text = page.content.decode()
    panel = text.split('data-testid="impasse-panel"')[1].split("</section>")[0]
    assert "0 RED concerns · 3 high-priority gaps · 2 other gaps" in panel
    gaps = panel.split('data-testid="panel-gaps"')[1].split("</ul>")[0]
    assert gaps.index("B1") < gaps.index("A5 on")
    assert 'data-testid="panel-unconfirmed"' in panel
    assert not any(symbol in panel for symbol in SYMBOLS)


def test_no_symbol_is_left_on_the_checklist_page_nor_in_the_not_yet_tried_list(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    trial = failed_trial()
    client = signed_in(psychiatrist)
    opened = [f"t{trial.pk}", "dB", "dC", "dD", "dE", "dF"]
    page = client.get(url("episode", episode.pk), {"open": opened}).content.decode()
    main = page.split('id="main"')[1]
    assert not any(symbol in main for symbol in SYMBOLS)
    assert 'data-testid="provenance-badge"' in main

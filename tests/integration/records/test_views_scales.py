"""Rating-scale pages: choose a scale, enter total or items, see band, change and remission."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from records.models import Role, ScaleAdministration
from tests.factories import ScaleAdministrationFactory
from tests.factories.clinic import DEFAULT_PASSWORD

from .conftest import ONSET


def field_error(response, name: str) -> str:
    """Return the error text shown beside a field (crispy-forms' invalid-feedback block)."""
    page = response.content.decode()
    match = re.search(
        rf'<div id="id_{name}_error" class="invalid-feedback">(.*?)</div>', page, re.S
    )
    return html.unescape(re.sub(r"<[^>]+>|\s+", " ", match.group(1))).strip() if match else ""


def create_url(episode, scale: str = "") -> str:
    url = reverse("records:scale-create", args=[episode.patient_id, episode.pk])
    return f"{url}?scale={scale}" if scale else url


def day(offset: int) -> str:
    return (ONSET + datetime.timedelta(days=offset)).isoformat()


def test_scale_is_chosen_before_the_entry_form(signed_in, psychiatrist, episode):
    response = signed_in(psychiatrist).get(create_url(episode, "NOPE"))
    assert response.templates[0].name == "records/scale_choose.html"
    assert "?scale=MADRS" in response.content.decode()


def test_hamd_form_has_its_items_and_the_16a_16b_alternatives(signed_in, psychiatrist, episode):
    form = signed_in(psychiatrist).get(create_url(episode, "HAMD17")).context["form"]
    assert len(form.item_fields) == 18
    assert form.fields["item_16A"].help_text == "0–2; score 16A or 16B, not both"
    assert form.fields["item_3"].label == "Item 3 · suicide"


def test_score_from_items_is_totalled_and_the_patient_page_shows_band_change_remission(
    signed_in, psychiatrist, episode
):
    client = signed_in(psychiatrist)
    ScaleAdministrationFactory(episode=episode, total=Decimal(20), administered_on=ONSET)
    items = {f"item_{n}": "0" for n in range(1, 16)} | {"item_16A": "0", "item_17": "1"}
    response = client.post(create_url(episode, "HAMD17"), {"administered_on": day(60), **items})
    saved = ScaleAdministration.objects.get(administered_on=day(60))
    assert saved.total == 1
    assert response["Location"].endswith(f"?score={saved.pk}#scores")
    page = client.get(response["Location"])
    line = next(line for line in page.context["score_lines"] if line.highlighted)
    assert (line.row.band, line.row.in_remission) == ("no depression", True)
    assert line.change_label == "95 % reduction · response"


def test_wpai_has_no_total_field(signed_in, psychiatrist, episode):
    form = signed_in(psychiatrist).get(create_url(episode, "WPAI")).context["form"]
    assert "total" not in form.fields


def test_both_16a_and_16b_are_refused_beside_16a_and_kept(signed_in, psychiatrist, episode):
    data = {"administered_on": day(5), "total": "10", "item_16A": "1", "item_16B": "1"}
    response = signed_in(psychiatrist).post(create_url(episode, "HAMD17"), data)
    assert response.status_code == 200
    assert field_error(response, "item_16A").startswith("Item 16A and 16B cannot both be scored")
    assert response.context["form"]["item_16B"].value() == "1"
    assert not ScaleAdministration.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"total": "53"}, "total", "HAM-D17 total must be between 0 and 52"),
        ({"total": "10.5"}, "total", "HAM-D17 total must be a whole number"),
        ({"item_1": "7"}, "item_1", "HAM-D17 item 1 must be 0–4"),
        ({"total": "NaN"}, "total", "Enter a number."),
    ],
)
def test_out_of_range_scores_are_refused_beside_their_field(
    signed_in, psychiatrist, episode, data, field, message
):
    response = signed_in(psychiatrist).post(
        create_url(episode, "HAMD17"), {"administered_on": day(5), **data}
    )
    assert field_error(response, field) == message
    assert not ScaleAdministration.objects.exists()


def test_score_is_corrected_and_deleted(signed_in, psychiatrist, episode):
    score = ScaleAdministrationFactory(episode=episode, total=Decimal(20))
    client = signed_in(psychiatrist)
    edit = reverse("records:scale-update", args=[episode.patient_id, score.pk])
    assert client.get(edit).context["form"].initial["total"] == Decimal(20)
    response = client.post(edit, {"administered_on": day(7), "total": "18", "version": "1"})
    score.refresh_from_db()
    assert response.status_code == 302
    assert (score.total, score.version) == (Decimal(18), 2)
    delete = reverse("records:scale-delete", args=[episode.patient_id, score.pk])
    refused = client.post(delete, {"version": "2"})
    assert refused.context["form"].errors["password"]
    assert ScaleAdministration.objects.exists()
    assert client.post(delete, {"version": "2", "password": DEFAULT_PASSWORD}).status_code == 302
    assert not ScaleAdministration.objects.exists()


def test_stale_score_edit_is_refused(signed_in, psychiatrist, member, episode):
    score = ScaleAdministrationFactory(episode=episode, total=Decimal(20))
    edit = reverse("records:scale-update", args=[episode.patient_id, score.pk])
    signed_in(member(Role.PSYCHIATRIST)).post(
        edit, {"administered_on": day(7), "total": "19", "version": "1"}
    )
    response = signed_in(psychiatrist).post(
        edit, {"administered_on": day(7), "total": "17", "version": "1"}
    )
    assert "This score was changed by someone else" in html.unescape(response.content.decode())
    score.refresh_from_db()
    assert score.total == Decimal(19)


def scale_urls(score: ScaleAdministration) -> list[str]:
    patient_id = score.episode.patient_id
    return [
        create_url(score.episode, "HAMD17"),
        reverse("records:scale-update", args=[patient_id, score.pk]),
        reverse("records:scale-delete", args=[patient_id, score.pk]),
    ]


def test_scale_pages_of_another_clinic_are_404(signed_in, stranger, episode):
    score = ScaleAdministrationFactory(episode=episode)
    client = signed_in(stranger)
    for url in scale_urls(score):
        assert client.get(url).status_code == 404
        assert client.post(url, {"administered_on": day(3), "version": "1"}).status_code == 404
    assert ScaleAdministration.objects.count() == 1


def test_scale_pages_refuse_a_supervisor(signed_in, supervisor, episode):
    score = ScaleAdministrationFactory(episode=episode)
    client = signed_in(supervisor)
    for url in scale_urls(score):
        assert client.get(url).status_code == 403
        assert client.post(url, {"administered_on": day(3), "version": "1"}).status_code == 403
    assert ScaleAdministration.objects.get().version == 1

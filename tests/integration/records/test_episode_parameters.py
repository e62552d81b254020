"""An episode's own staging parameters: kept from an imported history, shown in clinic words,
changed by psychiatrists (audited), and used wherever the episode is staged."""

import datetime
import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from cohort.models import EpisodeSnapshot
from cohort.selectors import stale_episodes
from cohort.services import snapshots_restage
from pseudoresistance.criteria import Criterion
from pseudoresistance.selectors import episode_assessment
from pseudoresistance.services import impasse_flags_refresh
from records.access import ClinicAccess
from records.history import episode_params
from records.models import AuditAction, AuditEvent, ClinicStagingDefaults, Episode, Role
from records.models.staging_defaults import PARAMETER_NAMES
from records.selectors import patient_detail
from records.services import StaleEditError, episode_staging_parameters_update
from records.services.common import ObjectType
from staging.history import NonresponseRule, Params
from tests.factories import PatientFactory
from tests.integration.records.test_staging_page import (
    assessed,
    import_patient,
    staging_url,
    vignette_document,
    vignette_patient,
)

# A parameter name as the code spells it: two or more words joined by underscores.
PARAMETER_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
STRICT_WORDS = "25 % reduction or less"


@pytest.fixture
def access(psychiatrist, access_of) -> ClinicAccess:
    return access_of(psychiatrist)


def parameters_url(patient) -> str:
    return reverse("records:episode-staging-parameters", args=[patient.pk])


def visible_text(html: str) -> str:
    """Return the page's text as a reader sees it: no tags, scripts or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def params_form(params: Params, version: int) -> dict[str, object]:
    values = ClinicStagingDefaults()
    values.apply(params)
    data: dict[str, object] = {"version": version}
    for name in (field.name for field in ClinicStagingDefaults._meta.concrete_fields):
        if hasattr(params, name):
            value = getattr(values, name)
            if isinstance(value, bool):
                if value:
                    data[name] = "on"
            else:
                data[name] = value
    return data


def test_imported_parameters_become_the_episode_s_own(access):
    patient = vignette_patient(access, "V03-strict")
    episode = Episode.objects.get(patient=patient)

    assert episode.staging_parameters == {"nonresponse_rule": "le25"}
    assert episode_params(episode).nonresponse_rule is NonresponseRule.LE25
    event = AuditEvent.objects.get(
        action=AuditAction.IMPORT, object_type=ObjectType.EPISODE, object_id=episode.pk
    )
    kept = event.changes["staging_parameters"][1]
    assert STRICT_WORDS in kept
    assert not PARAMETER_NAME.search(kept)


def test_parameters_equal_to_the_clinic_s_follow_the_clinic(access, clinic):
    document = vignette_document("V01")
    document["parameters"] = {"nonresponse_rule": "lt50", "chronic_months": 12}
    patient = import_patient(access, document)
    assert Episode.objects.get(patient=patient).staging_parameters == {"chronic_months": 12}


def test_a_clinic_on_the_strict_rule_keeps_an_imported_default_rule(
    psychiatrist, access_of, clinic
):
    ClinicStagingDefaults.objects.create(clinic=clinic, nonresponse_rule="le25")
    access = access_of(psychiatrist)
    document = vignette_document("V01")
    document["parameters"] = {"nonresponse_rule": "lt50"}
    patient = import_patient(access, document)
    episode = Episode.objects.get(patient=patient)
    assert episode.staging_parameters == {"nonresponse_rule": "lt50"}
    assert episode_params(episode).nonresponse_rule is NonresponseRule.LT50
    # A file without parameters follows the clinic.
    other = import_patient(access, vignette_document("V01"), record_number="OTHER-1")
    assert Episode.objects.get(patient=other).staging_parameters == {}


def test_pages_flags_and_snapshot_stage_with_the_episode_s_parameters(access):
    patient = vignette_patient(access, "V03-strict")
    day = datetime.date.fromisoformat(assessed("V03-strict"))
    episode = Episode.objects.get(patient=patient)

    detail = patient_detail(access=access, patient_id=patient.pk, assessment_date=day)
    assessment = episode_assessment(episode, assessment_date=day)

    # V03-strict: under its own ≤ 25 % rule the partial responses are no failures.
    assert detail.staging()["fda"].met is False
    assert assessment.results["fda"].met is False
    assert Criterion.FDA_EMA_MET not in assessment.criteria
    snapshots_restage(clinic=access.clinic)
    snapshot = EpisodeSnapshot.objects.get(episode=episode)
    assert snapshot.params["nonresponse_rule"] == "le25"
    # The stored snapshot is current for the episode's own parameters, not out of date.
    assert not stale_episodes(access.clinic).filter(pk=episode.pk).exists()
    Episode.objects.filter(pk=episode.pk).update(staging_parameters={})
    assert stale_episodes(access.clinic).filter(pk=episode.pk).exists()


def test_changing_the_parameters_is_audited_and_refreshes_flags_and_snapshot(access, psychiatrist):
    patient = vignette_patient(access, "V03")
    episode = Episode.objects.get(patient=patient)
    # V03 under the clinic's default rule: FDA met, a case is flagged for it.
    case = impasse_flags_refresh(episode=episode, acting_user=psychiatrist)
    assert case is not None
    assert Criterion.FDA_EMA_MET in case.criteria

    saved = episode_staging_parameters_update(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        expected_version=episode.version,
        data=Params(nonresponse_rule=NonresponseRule.LE25),
    )

    assert saved.staging_parameters == {"nonresponse_rule": "le25"}
    assert saved.version == episode.version + 1
    # The episode's own event: an impasse case's may carry the same id (a fresh database).
    event = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="episode", object_id=episode.pk
    ).latest("occurred_at")
    old, new = event.changes["staging_parameters"]
    assert old is None
    assert STRICT_WORDS in new
    case.refresh_from_db()
    assert Criterion.FDA_EMA_MET not in case.criteria
    assert EpisodeSnapshot.objects.get(episode=episode).params["nonresponse_rule"] == "le25"
    with pytest.raises(StaleEditError):
        episode_staging_parameters_update(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            expected_version=episode.version,
            data=Params(),
        )


def test_supervisors_may_not_change_an_episode_s_parameters(access, supervisor):
    patient = vignette_patient(access, "V01")
    episode = Episode.objects.get(patient=patient)
    with pytest.raises(PermissionDenied):
        episode_staging_parameters_update(
            acting_user=supervisor,
            episode_id=episode.pk,
            expected_version=episode.version,
            data=Params(nonresponse_rule=NonresponseRule.LE25),
        )
    assert Episode.objects.get(pk=episode.pk).staging_parameters == {}


def test_staging_and_patient_pages_show_the_parameters_in_clinic_words(
    access, psychiatrist, signed_in
):
    patient = vignette_patient(access, "V08-rul")
    client = signed_in(psychiatrist)

    staging = client.get(staging_url(patient, on=assessed("V08-rul"))).content.decode()
    detail = client.get(reverse("records:patient-detail", args=[patient.pk])).content.decode()

    for page in (staging, detail):
        assert 'data-testid="own-parameters"' in page
        box = page.split('data-testid="own-parameters"')[1].split("</div>")[0]
        assert "Right-unilateral ECT counts for Thase-Rush stage V: <strong>yes</strong>" in box
        assert "(clinic default: no)" in box
        text = visible_text(page)
        assert not PARAMETER_NAME.search(text), PARAMETER_NAME.findall(text)
        assert not [name for name in PARAMETER_NAMES if name.lower() in text.lower()]


def test_psychiatrist_changes_and_resets_the_parameters_through_the_page(
    access, psychiatrist, signed_in
):
    patient = vignette_patient(access, "V01")
    episode = Episode.objects.get(patient=patient)
    client = signed_in(psychiatrist)
    page = client.get(parameters_url(patient))
    assert page.status_code == 200
    assert 'data-testid="episode-parameters-form"' in page.content.decode()

    data = params_form(Params(chronic_months=12, trsm_order_based=True), episode.version)
    response = client.post(parameters_url(patient), data)

    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.staging_parameters == {"chronic_months": 12, "trsm_order_based": True}
    reset = client.post(parameters_url(patient), {"reset": "1", "version": episode.version})
    assert reset.status_code == 302
    episode.refresh_from_db()
    assert episode.staging_parameters == {}


def test_bad_values_are_refused_beside_the_field(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V01")
    episode = Episode.objects.get(patient=patient)
    data = params_form(Params(), episode.version)
    data["chronic_months"] = 30
    response = signed_in(psychiatrist).post(parameters_url(patient), data)
    assert response.status_code == 200
    assert response.context["form"].errors["chronic_months"]
    assert Episode.objects.get(pk=episode.pk).staging_parameters == {}


def test_parameters_page_refuses_other_clinics_and_other_roles(access, signed_in, stranger, member):
    patient = vignette_patient(access, "V01")
    assert signed_in(stranger).get(parameters_url(patient)).status_code == 404
    for role in (Role.SUPERVISOR, Role.CLINIC_ADMIN):
        client = signed_in(member(role))
        assert client.get(parameters_url(patient)).status_code == 403
        assert client.post(parameters_url(patient), {"reset": "1", "version": 1}).status_code == 403
    assert Episode.objects.get(patient=patient).staging_parameters == {}


def test_json_import_preview_lists_the_parameters_before_confirming(
    psychiatrist, signed_in, clinic
):
    patient = PatientFactory(clinic=clinic, diagnosis="MDD")
    upload = SimpleUploadedFile(
        "history.json", json.dumps(vignette_document("V03-strict")).encode(), "application/json"
    )
    client = signed_in(psychiatrist)
    url = reverse("records:patient-json-import", args=[patient.pk])

    preview = client.post(url, {"file": upload})

    assert preview.status_code == 200
    html = preview.content.decode()
    box = html.split('data-testid="import-parameters"')[1].split("</div>")[0]
    assert STRICT_WORDS in box
    assert not PARAMETER_NAME.search(visible_text(html))
    assert not [name for name in PARAMETER_NAMES if name in visible_text(html)]
    assert not Episode.objects.filter(patient=patient).exists()
    token = preview.context["confirm_form"].initial["upload"]
    assert client.post(url, {"upload": token[:-2] + "xx"}).status_code == 200
    assert not Episode.objects.filter(patient=patient).exists()
    confirmed = client.post(url, {"upload": token})
    assert confirmed.status_code == 302
    episode = Episode.objects.get(patient=patient)
    assert episode.staging_parameters == {"nonresponse_rule": "le25"}
    # A confirmation is for this patient only.
    other = PatientFactory(clinic=clinic, diagnosis="MDD")
    elsewhere = client.post(
        reverse("records:patient-json-import", args=[other.pk]), {"upload": token}
    )
    assert elsewhere.status_code == 200
    assert not Episode.objects.filter(patient=other).exists()


def test_report_says_how_the_episode_is_staged(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V08-rul")
    response = signed_in(psychiatrist).get(reverse("records:patient-report", args=[patient.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    line = html.split('data-testid="report-own-parameters"')[1].split("</p>")[0]
    assert "Right-unilateral ECT counts for Thase-Rush stage V: yes (clinic default: no)" in line


def test_the_database_refuses_own_parameters_that_are_not_named_values(access):
    patient = vignette_patient(access, "V01")
    episode = Episode.objects.get(patient=patient)
    episode.staging_parameters = {"no_such_parameter": 1}
    with pytest.raises(ValidationError) as error:
        episode.full_clean()
    assert "is not a staging parameter" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.filter(pk=episode.pk).update(staging_parameters=["le25"])

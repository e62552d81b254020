"""The clinic group's COPY loader stores what the ORM loader stores (bench/copyload.py)."""

from django.db import transaction

from bench.clinic import load_clinic, plan_clinic
from bench.copyload import copy_clinic
from pseudoresistance.models import ImpasseCase
from pseudoresistance.states import CaseState
from records.models import Episode, Patient, ScaleAdministration, TreatmentTrial

TRIAL_FIELDS = (
    "episode__patient__record_number",
    "code",
    "seq",
    "kind",
    "agent_id",
    "dose_mg_per_day",
    "start_date",
    "end_date",
    "weeks",
    "sessions",
    "adherence",
    "percent_symptom_reduction",
    "notes",
    "override_adequate",
    "version",
)


def test_copy_stores_the_rows_the_orm_loader_stores(clinic, other_clinic, psychiatrist):
    plans = plan_clinic(8, 3)
    load_clinic(plans, clinic, psychiatrist)
    with transaction.atomic():
        copy_clinic(plans, other_clinic, psychiatrist, case_every=2)

    def rows(model, fields, **scope):  # type: ignore[no-untyped-def]
        return list(model.objects.filter(**scope).order_by(*fields[:3]).values_list(*fields))

    patient_fields = ("record_number", "family_name", "given_name", "date_of_birth", "version")
    assert rows(Patient, patient_fields, clinic=clinic) == rows(
        Patient, patient_fields, clinic=other_clinic
    )
    episode_fields = ("patient__record_number", "onset_date", "end_date", "psychotic_features")
    assert rows(Episode, episode_fields, patient__clinic=clinic) == rows(
        Episode, episode_fields, patient__clinic=other_clinic
    )
    assert rows(TreatmentTrial, TRIAL_FIELDS, episode__patient__clinic=clinic) == rows(
        TreatmentTrial, TRIAL_FIELDS, episode__patient__clinic=other_clinic
    )
    score_fields = ("episode__patient__record_number", "administered_on", "scale", "total")
    assert rows(ScaleAdministration, score_fields, episode__patient__clinic=clinic) == rows(
        ScaleAdministration, score_fields, episode__patient__clinic=other_clinic
    )
    cases = ImpasseCase.objects.filter(patient__clinic=other_clinic)
    assert cases.count() == (len(plans) + 1) // 2
    assert set(cases.values_list("state", flat=True)) == {CaseState.OPEN}
    for case in cases:
        case.full_clean()

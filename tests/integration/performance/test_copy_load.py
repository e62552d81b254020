"""The clinic group's COPY loader stores what the ORM loader stores (bench/copyload.py).

In bulk (the 100,000-patient group) it drops the tables' indexes and unique constraints and skips
the foreign-key triggers while the rows go in: afterwards the schema is what it was, and a row
that breaks a unique or foreign key is refused as the ORM would have it refused.
"""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction

from bench.clinic import load_clinic, plan_clinic
from bench.copyload import Member, copy_clinic, copy_group, loaded_tables
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


@pytest.mark.parametrize("bulk", [False, True], ids=["indexes kept", "bulk"])
def test_copy_stores_the_rows_the_orm_loader_stores(clinic, other_clinic, psychiatrist, bulk):
    plans = plan_clinic(8, 3)
    load_clinic(plans, clinic, psychiatrist)
    with transaction.atomic():
        copy_group([Member(other_clinic, psychiatrist, plans)], case_every=2, bulk=bulk)

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


def _schema() -> list[tuple[str, ...]]:
    """Return every index and constraint of the loaded tables, with its definition and state."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'index', i.relname, pg_get_indexdef(x.indexrelid), "
            "x.indisvalid::text || x.indisready::text FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) UNION ALL "
            "SELECT 'constraint', c.conname, pg_get_constraintdef(c.oid), c.convalidated::text "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE t.relname = ANY(%s) ORDER BY 1, 2",
            [loaded_tables(), loaded_tables()],
        )
        return list(cursor.fetchall())


def test_a_bulk_load_leaves_every_index_and_constraint_as_it_found_them(clinic, psychiatrist):
    before = _schema()
    with transaction.atomic():
        copy_group([Member(clinic, psychiatrist, plan_clinic(5, 2))], bulk=True)
    assert _schema() == before
    assert ("index", "trial_seq_unique_in_episode") in {row[:2] for row in before}


def test_a_bulk_load_refuses_a_record_number_the_clinic_already_holds(clinic, psychiatrist):
    plans = plan_clinic(3, 4)
    with transaction.atomic():
        copy_clinic(plans, clinic, psychiatrist)
    refused = pytest.raises(IntegrityError, match="patient_record_number_unique_in_clinic")
    with refused, transaction.atomic():
        copy_group([Member(clinic, psychiatrist, plans)], bulk=True)
    assert Patient.objects.filter(clinic=clinic).count() == len(plans)


def test_a_bulk_load_refuses_rows_that_point_at_no_user(clinic, psychiatrist):
    nobody = User(pk=psychiatrist.pk + 1000, username="nobody")
    refused = pytest.raises(IntegrityError, match="point at no auth_user row")
    with refused, transaction.atomic():
        copy_group([Member(clinic, nobody, plan_clinic(3, 5))], bulk=True)
    assert not Patient.objects.filter(clinic=clinic).exists()

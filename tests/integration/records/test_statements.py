"""A statement compiled once gives what its queryset gives, read afresh at every run."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F
from django.db.transaction import TransactionManagementError
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from records.access import Permission, access_for_user
from records.history_rows import any_of
from records.models import Clinic, ClinicStagingDefaults, Episode, Patient, Role, TreatmentTrial
from records.services.common import authorise
from records.statements import IDS_EXACTLY, NOT_COMPILABLE, Statement
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    MembershipFactory,
    PatientFactory,
    TrialFactory,
)


def _fields(instance: object) -> dict[str, object]:
    meta = type(instance)._meta  # type: ignore[attr-defined]
    return {field.attname: getattr(instance, field.attname) for field in meta.concrete_fields}


@pytest.fixture
def episodes(clinic: Clinic) -> list[Episode]:
    first = EpisodeFactory(
        patient=PatientFactory(clinic=clinic),
        staging_parameters={"ad_min_weeks": 8},
        baseline_score=Decimal("21.5"),
    )
    second = EpisodeFactory(patient=PatientFactory(clinic=ClinicFactory()))
    TrialFactory(episode=first, code="T1", seq=1, dose_steps=[])
    TrialFactory(episode=second, code="T1", seq=1)
    return [first, second]


def test_value_rows_are_the_querysets_converted_the_same(episodes: list[Episode]) -> None:
    def build(ids: list[int]):  # type: ignore[no-untyped-def]
        return (
            Episode.objects.filter(any_of("pk", ids))
            .order_by("-pk")
            .values_list("pk", "staging_parameters", "baseline_score", "onset_date")
        )

    statement = Statement(build)
    for ids in ([], [episodes[0].pk], [episode.pk for episode in episodes], [0]):
        rows = statement.rows(ids)
        assert rows == list(build(ids))
        assert all(type(row) is tuple for row in rows)
    # The JSON column decoded by its converter, as the queryset decodes it.
    assert statement.rows([episodes[0].pk])[0][1] == {"ad_min_weeks": 8}


def test_single_values_are_the_querysets(episodes: list[Episode]) -> None:
    statement = Statement(
        lambda ids: Episode.objects.filter(any_of("pk", ids)).values_list("patient_id", flat=True)
    )
    ids = [episode.pk for episode in episodes]
    assert sorted(statement.rows(ids)) == sorted(episode.patient_id for episode in episodes)


def test_model_instances_come_with_their_related_objects(episodes: list[Episode]) -> None:
    clinics = [episode.patient.clinic for episode in episodes]
    ClinicStagingDefaults.objects.create(clinic=clinics[0], ad_min_weeks=6)

    def build(ids: list[int]):  # type: ignore[no-untyped-def]
        return Clinic.objects.select_related("staging_defaults").filter(any_of("pk", ids))

    statement = Statement(build)
    ids = [clinic.pk for clinic in clinics]
    expected = build(ids).in_bulk()
    made = statement.by_pk(ids)
    assert made.keys() == expected.keys()
    for pk, clinic in made.items():
        assert _fields(clinic) == _fields(expected[pk])
        assert not clinic._state.adding
        with CaptureQueriesContext(connection) as queries:
            defaults = getattr(clinic, "staging_defaults", None)
        assert not queries.captured_queries, "the related row came with the clinic"
        if pk == clinics[0].pk:
            assert defaults is not None
            assert _fields(defaults) == _fields(expected[pk].staging_defaults)
        else:
            assert defaults is None


def test_a_locking_statement_locks_as_its_queryset(episodes: list[Episode]) -> None:
    def build(ids: list[int]):  # type: ignore[no-untyped-def]
        return (
            Patient.objects.select_for_update(of=("self",))
            .filter(any_of("pk", ids))
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    statement = Statement(build)
    ids = [episode.patient_id for episode in episodes]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert statement.rows(ids) == list(build(ids)) == sorted(ids)
    ours, djangos = (query["sql"] for query in queries.captured_queries)
    assert ours == djangos
    assert ours.endswith('FOR UPDATE OF "records_patient"')


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_locking_statement_is_refused_outside_a_transaction_as_django_refuses_it() -> None:
    def build(ids: list[int]):  # type: ignore[no-untyped-def]
        return Patient.objects.select_for_update().filter(any_of("pk", ids))

    statement = Statement(build)
    with transaction.atomic():
        assert statement.rows([0]) == []
    for run in (lambda: list(build([0])), lambda: statement.rows([0])):
        with pytest.raises(TransactionManagementError, match="outside of a transaction"):
            run()


def test_every_run_reads_the_rows_afresh(episodes: list[Episode]) -> None:
    statement = Statement(
        lambda ids: TreatmentTrial.objects.filter(any_of("episode_id", ids)).values_list(
            "code", "end_date"
        )
    )
    episode = episodes[0]
    assert statement.rows([episode.pk]) == [("T1", None)]
    trial = TreatmentTrial.objects.get(episode=episode)
    ended = trial.start_date + datetime.timedelta(weeks=8)
    TreatmentTrial.objects.filter(pk=trial.pk).update(end_date=ended)
    TrialFactory(episode=episode, code="T2", seq=2)
    assert sorted(statement.rows([episode.pk])) == [("T1", ended), ("T2", None)]


def test_a_statement_without_ids_is_run_without(episodes: list[Episode]) -> None:
    everyone = Statement(lambda _ids: Patient.objects.order_by("pk").values_list("pk", flat=True))
    assert everyone.rows() == [episode.patient_id for episode in episodes]
    with pytest.raises(TypeError, match=IDS_EXACTLY):
        everyone.rows([episodes[0].patient_id])
    some = Statement(lambda ids: Patient.objects.filter(any_of("pk", ids)).values_list("pk"))
    with pytest.raises(TypeError, match=IDS_EXACTLY):
        some.rows()


def test_what_a_statement_cannot_give_is_refused_at_its_first_run(db: None) -> None:
    dictionaries = Statement(lambda ids: Patient.objects.filter(any_of("pk", ids)).values("pk"))
    with pytest.raises(TypeError, match=NOT_COMPILABLE.split(":")[0]):
        dictionaries.rows([1])
    annotated = Statement(
        lambda ids: Patient.objects.filter(any_of("pk", ids)).annotate(twice=F("pk") * 2)
    )
    with pytest.raises(TypeError, match=NOT_COMPILABLE.split(":")[0]):
        annotated.rows([1])


def test_a_service_authorises_with_the_access_the_pages_read(
    clinic: Clinic, other_clinic: Clinic, member: Callable[..., User]
) -> None:
    ClinicStagingDefaults.objects.create(clinic=other_clinic, ad_min_weeks=6)
    user = member(Role.PSYCHIATRIST, Role.SUPERVISOR)
    MembershipFactory(user=user, clinic=other_clinic, role=Role.CLINIC_ADMIN)
    for each in (clinic, other_clinic):
        expected = access_for_user(user, each.pk)
        assert expected is not None
        with CaptureQueriesContext(connection) as queries:
            access = authorise(user, each.pk, *Permission, not_found="")
        assert len(queries.captured_queries) == 1
        assert (access.user, access.roles) == (expected.user, expected.roles)
        assert [_fields(c) for c in access.clinics] == [_fields(c) for c in expected.clinics]
        assert _fields(access.clinic) == _fields(expected.clinic)
        defaults = getattr(access.clinic, "staging_defaults", None)
        assert (defaults is None) == (each == clinic)
    with pytest.raises(Http404):
        authorise(user, ClinicFactory().pk, *Permission, not_found="")
    with pytest.raises(PermissionDenied):
        authorise(member(Role.CLINIC_ADMIN), clinic.pk, Permission.EDIT_CLINICAL_DATA, not_found="")
    with pytest.raises(Http404):
        authorise(AnonymousUser(), clinic.pk, *Permission, not_found="")

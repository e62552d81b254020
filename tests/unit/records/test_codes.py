"""Code tables: codes have their system's shape and check digit; catalogued items are coded."""

import pytest

from records import codes
from records.models.patient import Diagnosis
from records.scales import SCALES
from staging.catalogue import AGENTS, PSYCHOTHERAPY_SCHOOLS

MOLECULES = sorted({agent.molecule or agent.name for agent in AGENTS.values()})


@pytest.mark.parametrize("molecule", MOLECULES)
def test_every_catalogued_molecule_has_an_atc_code_or_a_reason(molecule):
    code = codes.ATC.get(molecule)
    assert (code is not None) != (molecule in codes.ATC_NOT_CODED)
    if code is not None:
        assert codes.atc_valid(code), code


@pytest.mark.parametrize("molecule", MOLECULES)
def test_every_catalogued_molecule_is_in_the_rxnorm_table(molecule):
    assert molecule in codes.RXNORM
    code = codes.RXNORM[molecule]
    if code is not None:
        assert codes.rxnorm_valid(code), code
    if molecule in codes.NOT_US_MARKETED:
        assert code is None


def test_the_tables_name_no_molecule_outside_the_catalogue():
    assert set(codes.ATC) | set(codes.ATC_NOT_CODED) == set(MOLECULES)
    assert set(codes.RXNORM) == set(MOLECULES)


def test_no_two_molecules_share_a_code():
    for table in (codes.ATC, codes.RXNORM):
        known = [code for code in table.values() if code is not None]
        assert len(known) == len(set(known))


def test_snomed_codes_carry_a_correct_verhoeff_check_digit():
    snomed = [
        *codes.PROCEDURE_SNOMED.values(),
        *codes.PSYCHOTHERAPY_SNOMED.values(),
        *codes.DIAGNOSIS_SNOMED.values(),
    ]
    for code in (code for code in snomed if code is not None):
        assert codes.snomed_valid(code), code


@pytest.mark.parametrize(
    ("code", "valid"),
    [("370143000", True), ("370143001", False), ("228557008", True), ("12", False)],
)
def test_the_verhoeff_check_refuses_a_wrong_digit(code, valid):
    assert codes.snomed_valid(code) is valid


@pytest.mark.parametrize(
    ("code", "valid"), [("44261-6", True), ("44261-5", False), ("4548-4", True), ("x-1", False)]
)
def test_the_loinc_check_refuses_a_wrong_digit(code, valid):
    assert codes.loinc_valid(code) is valid


def test_every_scale_is_in_the_loinc_table_with_valid_codes():
    assert set(codes.SCALE_LOINC) == set(SCALES)
    for code in codes.SCALE_LOINC.values():
        assert code is None or codes.loinc_valid(code), code
    assert codes.SCALE_LOINC[next(s for s in SCALES if s.value == "PHQ9")] == "44261-6"
    assert codes.SCALE_LOINC[next(s for s in SCALES if s.value == "BDI_II")] == "89209-1"


def test_every_diagnosis_has_an_icd10_code_and_a_snomed_entry():
    for diagnosis in Diagnosis.values:
        assert codes.icd10_valid(codes.DIAGNOSIS_ICD10[diagnosis])
        assert diagnosis in codes.DIAGNOSIS_SNOMED
    assert codes.DIAGNOSIS_SNOMED["MDD"] == "370143000"
    assert codes.icd10_valid(codes.ICD10_WITH_PSYCHOTIC_FEATURES)


def test_every_psychotherapy_school_and_procedure_kind_is_in_the_tables():
    assert set(codes.PSYCHOTHERAPY_SNOMED) == set(PSYCHOTHERAPY_SCHOOLS.values())
    non_medication = {"psychotherapy", "ECT", "rTMS", "esketamine", "ketamine"}
    assert non_medication <= set(codes.PROCEDURE_SNOMED)


def test_a_code_finds_its_molecule():
    assert codes.molecule_for_code(codes.ATC_SYSTEM, "N06AB06") == "sertraline"
    assert codes.molecule_for_code(codes.RXNORM_SYSTEM, "36437") == "sertraline"
    assert codes.molecule_for_code(codes.RXNORM_SYSTEM, "0") is None
    assert codes.molecule_for_code("urn:other", "36437") is None

"""Code tables: the catalogue, procedures, diagnoses and scales in standard code systems.

Plain data, no clinical numbers. Every code was looked up in a published table (docs/
interoperability.md names the source of each table); a code that could not be verified is None
and listed there as "not coded", never guessed. The format checks below let a test prove that
every code at least has the shape (and check digit) of its system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from records.scales import ScaleCode

ATC_SYSTEM: Final = "http://www.whocc.no/atc"
RXNORM_SYSTEM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED_SYSTEM: Final = "http://snomed.info/sct"
ICD10_SYSTEM: Final = "http://hl7.org/fhir/sid/icd-10"
LOINC_SYSTEM: Final = "http://loinc.org"

# WHO ATC, by catalogued molecule (staging/catalogue.py `molecule`); every molecule has one.
ATC: Mapping[str, str] = {
    "agomelatine": "N06AX22",
    "amitriptyline": "N06AA09",
    "amoxapine": "N06AA17",
    "aripiprazole": "N05AX12",
    "brexpiprazole": "N05AX16",
    "bupropion": "N06AX12",
    "cariprazine": "N05AX15",
    "citalopram": "N06AB04",
    "clomipramine": "N06AA04",
    "desipramine": "N06AA01",
    "desvenlafaxine": "N06AX23",
    "doxepin": "N06AA12",
    "duloxetine": "N06AX21",
    "escitalopram": "N06AB10",
    "fluoxetine": "N06AB03",
    "fluvoxamine": "N06AB08",
    "imipramine": "N06AA02",
    "isocarboxazid": "N06AF01",
    "levomilnacipran": "N06AX28",
    "liothyronine": "H03AA02",
    "lithium": "N05AN01",
    "maprotiline": "N06AA21",
    "mianserin": "N06AX03",
    "milnacipran": "N06AX17",
    "mirtazapine": "N06AX11",
    "moclobemide": "N06AG02",
    "nefazodone": "N06AX06",
    "nortriptyline": "N06AA10",
    "olanzapine": "N05AH03",
    "opipramol": "N06AA05",
    "paroxetine": "N06AB05",
    "phenelzine": "N06AF03",
    "protriptyline": "N06AA11",
    "quetiapine": "N05AH04",
    "reboxetine": "N06AX18",
    "selegiline transdermal": "N04BD01",
    "sertraline": "N06AB06",
    "tianeptine": "N06AX14",
    "tranylcypromine": "N06AF04",
    "trazodone": "N06AX05",
    "trimipramine": "N06AA06",
    "venlafaxine": "N06AX16",
    "vilazodone": "N06AX24",
    "vortioxetine": "N06AX26",
}
# Verified in no table we could consult (see docs/interoperability.md): left uncoded.
ATC_NOT_CODED: Mapping[str, str] = {
    "pirlindole": "no ATC table consulted lists it",
}

# RxNorm ingredient (TTY IN) codes. None: not verified (or, for medicines never marketed in the
# United States, RxNorm may hold no ingredient at all); docs/interoperability.md lists them.
RXNORM: Mapping[str, str | None] = {
    "agomelatine": None,
    "amitriptyline": "704",
    "amoxapine": None,
    "aripiprazole": "89013",
    "brexpiprazole": "1658314",
    "bupropion": "42347",
    "cariprazine": None,
    "citalopram": "2556",
    "clomipramine": "2597",
    "desipramine": "3247",
    "desvenlafaxine": None,
    "doxepin": "3638",
    "duloxetine": "72625",
    "escitalopram": "321988",
    "fluoxetine": "4493",
    "fluvoxamine": "42355",
    "imipramine": "5691",
    "isocarboxazid": None,
    "levomilnacipran": None,
    "liothyronine": None,
    "lithium": "6448",
    "maprotiline": None,
    "mianserin": None,
    "milnacipran": None,
    "mirtazapine": "15996",
    "moclobemide": None,
    "nefazodone": None,
    "nortriptyline": "7531",
    "olanzapine": "61381",
    "opipramol": None,
    "paroxetine": "32937",
    "phenelzine": None,
    "pirlindole": None,
    "protriptyline": "8886",
    "quetiapine": "51272",
    "reboxetine": None,
    "selegiline transdermal": None,
    "sertraline": "36437",
    "tianeptine": None,
    "tranylcypromine": None,
    "trazodone": "10737",
    "trimipramine": "10834",
    "venlafaxine": "39786",
    "vilazodone": None,
    "vortioxetine": "1455099",
}
# Not marketed in the United States, so RxNorm is not expected to hold an ingredient for them.
NOT_US_MARKETED = frozenset(
    {
        "agomelatine",
        "mianserin",
        "moclobemide",
        "opipramol",
        "pirlindole",
        "reboxetine",
        "tianeptine",
    }
)

# SNOMED CT procedures (regime/therapy) by trial kind, and by psychotherapy school.
# None: no code verified for that kind (docs/interoperability.md, "not coded").
PROCEDURE_SNOMED: Mapping[str, str | None] = {
    "psychotherapy": None,
    "ECT": None,
    "rTMS": None,
    "esketamine": None,
    "ketamine": None,
    "inpatient_admission": None,
    "day_treatment": None,
}
PSYCHOTHERAPY_SNOMED: Mapping[str, str | None] = {
    "CBT": "228557008",
    "IPT": None,
    "BA/BT": None,
    "PST": None,
    "STPP": None,
    "CBASP": None,
    "MBCT": None,
}

# Diagnoses the records use (records.models.patient.Diagnosis values).
DIAGNOSIS_SNOMED: Mapping[str, str | None] = {
    "MDD": "370143000",
    # A suspicion is not a diagnosis: the record's diagnosis is still major depressive disorder.
    "MDD_bipolarity_suspected": "370143000",
    "bipolar": None,
}
DIAGNOSIS_ICD10: Mapping[str, str] = {
    "MDD": "F32.9",
    "MDD_bipolarity_suspected": "F32.9",
    "bipolar": "F31.9",
}
# ICD-10 F32.3: severe depressive episode with psychotic symptoms.
ICD10_WITH_PSYCHOTIC_FEATURES: Final = "F32.3"

# LOINC total-score codes by rating scale; None: no LOINC total verified.
SCALE_LOINC: Mapping[ScaleCode, str | None] = {
    ScaleCode.HAMD17: None,
    ScaleCode.MADRS: None,
    ScaleCode.QIDS_SR16: None,
    ScaleCode.PHQ9: "44261-6",
    ScaleCode.BDI_II: "89209-1",
    ScaleCode.CGI_S: None,
    ScaleCode.WSAS: None,
    ScaleCode.QLES_Q_SF: None,
    ScaleCode.WPAI: None,
}

ATC_FORMAT = re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")
RXNORM_FORMAT = re.compile(r"^[1-9]\d{0,7}$")
SNOMED_FORMAT = re.compile(r"^[1-9]\d{5,17}$")
LOINC_FORMAT = re.compile(r"^\d{1,7}-\d$")
ICD10_FORMAT = re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$")

# Verhoeff's dihedral-group tables (SNOMED CT identifiers end in a Verhoeff check digit).
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def atc_valid(code: str) -> bool:
    """Return whether a code has the shape of a WHO ATC chemical substance (level 5)."""
    return bool(ATC_FORMAT.match(code))


def rxnorm_valid(code: str) -> bool:
    """Return whether a code has the shape of an RxNorm concept id (RxCUI)."""
    return bool(RXNORM_FORMAT.match(code))


def snomed_valid(code: str) -> bool:
    """Return whether a SNOMED CT concept id has its shape and a correct Verhoeff check digit."""
    if not SNOMED_FORMAT.match(code):
        return False
    check = 0
    for position, digit in enumerate(reversed(code)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


def loinc_valid(code: str) -> bool:
    """Return whether a LOINC code has its shape and a correct mod-10 check digit."""
    if not LOINC_FORMAT.match(code):
        return False
    body, check = code.split("-")
    total = 0
    # Luhn over the body: double every other digit from the right, starting with the last.
    for position, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(check)


def icd10_valid(code: str) -> bool:
    """Return whether a code has the shape of an ICD-10 category or subcategory."""
    return bool(ICD10_FORMAT.match(code))


def atc_for(molecule: str) -> str | None:
    """Return a catalogued molecule's ATC code, or None."""
    return ATC.get(molecule.lower())


def rxnorm_for(molecule: str) -> str | None:
    """Return a catalogued molecule's RxNorm ingredient code, or None."""
    return RXNORM.get(molecule.lower())


def molecule_for_code(system: str, code: str) -> str | None:
    """Return the catalogued molecule an ATC or RxNorm code names, or None."""
    table: Mapping[str, str | None] = (
        ATC if system == ATC_SYSTEM else RXNORM if system == RXNORM_SYSTEM else {}
    )
    for molecule, known in table.items():
        if known is not None and known == code.strip():
            return molecule
    return None

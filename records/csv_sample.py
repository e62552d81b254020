"""Seeded CSV files of valid treatment histories (docs/csv-import.md), for tests and benchmarks.

The same arguments always give the same file. Every date lies between 2019 and mid-2025, so the
rows stay valid (no date in the future) whenever they are imported. Plain Python, no Django:

    python -m records.csv_sample --rows 5000 --patients 1000 trials.csv
"""

import argparse
import csv
import datetime
import io
import random
from collections.abc import Sequence
from pathlib import Path

HEADER = (
    "record_number",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "diagnosis",
    "episode_onset_date",
    "baseline_scale",
    "baseline_score",
    "baseline_category",
    "psychotic_features",
    "functional_impairment",
    "comorbid_anxiety",
    "personality_disorder",
    "psychosocial_stressors",
    "trial_id",
    "kind",
    "start_date",
    "end_date",
    "previous_episode",
    "agent",
    "class",
    "dose_mg_per_day",
    "serum_level_mmol_per_l",
    "weeks",
    "sessions",
    "electrode_placement",
    "therapy_type",
    "therapist_trained",
    "adherence",
    "percent_symptom_reduction",
    "outcome_scale",
    "outcome_baseline_score",
    "outcome_end_score",
    "reason_stopped",
    "augments_trial",
    "information_source",
    "prospective",
)
# Catalogued antidepressants and the daily doses given (all within the import's dose guard).
ANTIDEPRESSANTS = (
    ("sertraline", ("50", "100", "150", "200")),
    ("fluoxetine", ("20", "40", "60")),
    ("escitalopram", ("10", "20")),
    ("venlafaxine", ("75", "150", "225")),
    ("duloxetine", ("60", "90", "120")),
    ("mirtazapine", ("15", "30", "45")),
    ("bupropion", ("150", "300")),
)
AUGMENTERS = (
    ("aripiprazole", ("2", "5", "10")),
    ("quetiapine", ("150", "300")),
    ("liothyronine", ("0.025", "0.05")),
)
# An antidepressant outside the catalogue, given with its class.
UNCATALOGUED = ("nomifensine", "NDRI", ("100", "150"))
THERAPIES = ("CBT", "IPT", "BA", "supportive")
FAMILY_NAMES = ("Abbott", "Banerjee", "Clarke", "Dubois", "Evans", "Fischer", "García", "Huang")
GIVEN_NAMES = ("Alex", "Bea", "Chidi", "Dana", "Eero", "Fatima", "Gus", "Hana", "Ines", "Jonas")
FIRST_ONSET = datetime.date(2021, 1, 1)
ONSET_DAYS = 730
LAST_DAY = datetime.date(2025, 6, 30)
PREVIOUS_EPISODE_START = datetime.date(2019, 3, 1)
DAYS_BETWEEN_TRIALS = 70


def _trial_dates(onset: datetime.date, count: int) -> list[datetime.date]:
    """Spread the current episode's trial starts from two weeks after onset up to LAST_DAY."""
    first = onset + datetime.timedelta(days=14)
    spacing = max(0, min(DAYS_BETWEEN_TRIALS, (LAST_DAY - first).days // max(count, 1)))
    return [first + datetime.timedelta(days=spacing * index) for index in range(count)]


def _outcome(rng: random.Random, row: dict[str, str]) -> None:
    """Give the outcome as a percent reduction or as HAM-D17 scores, as clinics record it."""
    if rng.random() < 0.7:
        row["percent_symptom_reduction"] = str(rng.randint(-10, 60))
    else:
        baseline = rng.randint(16, 32)
        row["outcome_scale"] = "HAM-D17"
        row["outcome_baseline_score"] = str(baseline)
        row["outcome_end_score"] = str(rng.randint(baseline // 3, baseline))


def _medication(
    rng: random.Random, row: dict[str, str], agents: Sequence[tuple[str, Sequence[str]]]
) -> None:
    agent, doses = rng.choice(agents)
    row["agent"] = agent
    row["dose_mg_per_day"] = rng.choice(doses)
    weeks = rng.randint(3, 14)
    row["weeks"] = str(weeks)
    row["adherence"] = rng.choice(("good", "good", "good", "poor"))
    if rng.random() < 0.5:
        start = datetime.date.fromisoformat(row["start_date"])
        row["end_date"] = (start + datetime.timedelta(weeks=weeks)).isoformat()
    row["reason_stopped"] = rng.choice(("ineffective", "adverse_effects", "patient_choice", ""))
    row["information_source"] = rng.choice(("records", "pharmacy", "patient_recall"))
    row["prospective"] = rng.choice(("yes", "no", ""))
    _outcome(rng, row)


def _trial(rng: random.Random, row: dict[str, str], medication_ids: list[str]) -> None:
    """Fill one current-episode trial: mostly antidepressants, some additions and therapies."""
    draw = rng.random()
    if draw < 0.15 and medication_ids:
        row["kind"] = "augmentation"
        row["augments_trial"] = rng.choice(medication_ids)
        if rng.random() < 0.3:
            row["agent"] = "lithium"
            row["dose_mg_per_day"] = rng.choice(("600", "800", "1000"))
            row["serum_level_mmol_per_l"] = rng.choice(("0.4", "0.6", "0.8"))
            row["weeks"] = str(rng.randint(2, 10))
            row["adherence"] = "good"
            _outcome(rng, row)
        else:
            _medication(rng, row, AUGMENTERS)
    elif draw < 0.3:
        row["kind"] = "psychotherapy"
        row["therapy_type"] = rng.choice(THERAPIES)
        row["sessions"] = str(rng.randint(4, 20))
        row["therapist_trained"] = rng.choice(("yes", "no"))
        row["adherence"] = rng.choice(("good", "poor"))
        _outcome(rng, row)
    elif draw < 0.35:
        row["kind"] = "ECT"
        row["sessions"] = str(rng.randint(4, 14))
        row["electrode_placement"] = rng.choice(("bitemporal", "bifrontal", "RUL"))
        _outcome(rng, row)
    elif draw < 0.38:
        row["kind"] = "antidepressant"
        agent, drug_class, doses = UNCATALOGUED
        _medication(rng, row, [(agent, doses)])
        row["class"] = drug_class
        medication_ids.append(row["trial_id"])
    else:
        row["kind"] = "antidepressant"
        _medication(rng, row, ANTIDEPRESSANTS)
        medication_ids.append(row["trial_id"])


def _patient_rows(rng: random.Random, number: str, count: int) -> list[dict[str, str]]:
    onset = FIRST_ONSET + datetime.timedelta(days=rng.randrange(ONSET_DAYS))
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(18_000))
    patient = {
        "record_number": number,
        "family_name": rng.choice(FAMILY_NAMES),
        "given_name": rng.choice(GIVEN_NAMES),
        "date_of_birth": birth.isoformat(),
        "sex": rng.choice(("female", "male", "other", "unknown")),
        "diagnosis": rng.choice(("MDD", "MDD", "MDD", "MDD_bipolarity_suspected")),
        "episode_onset_date": onset.isoformat(),
        "baseline_scale": "HAM-D17",
        "baseline_score": str(rng.randint(14, 35)),
        "baseline_category": rng.choice(("", "moderate", "severe")),
        "psychotic_features": rng.choice(("no", "no", "no", "yes")),
        "functional_impairment": rng.choice(("", "mild", "moderate", "severe")),
        "comorbid_anxiety": rng.choice(("", "none", "present")),
        "personality_disorder": rng.choice(("", "none", "traits")),
        "psychosocial_stressors": rng.choice(("", "none", "present")),
    }
    # A longer history starts with a trial of an earlier episode.
    previous = 1 if count >= 3 else 0
    starts = _trial_dates(onset, count - previous)
    rows: list[dict[str, str]] = []
    medication_ids: list[str] = []
    for index in range(count):
        row = dict.fromkeys(HEADER, "")
        # The patient's and episode's columns are given once; later rows repeat the onset only.
        if index == 0:
            row.update(patient)
        row["record_number"] = number
        row["episode_onset_date"] = onset.isoformat()
        row["trial_id"] = f"T{index + 1}"
        if index < previous:
            row["start_date"] = PREVIOUS_EPISODE_START.isoformat()
            row["previous_episode"] = "yes"
            row["kind"] = "antidepressant"
            _medication(rng, row, ANTIDEPRESSANTS)
        else:
            row["start_date"] = starts[index - previous].isoformat()
            row["previous_episode"] = "no"
            _trial(rng, row, medication_ids)
        rows.append(row)
    return rows


def sample_rows(
    *, rows: int, patients: int, seed: int = 0, prefix: str = "CSV"
) -> list[dict[str, str]]:
    """Return `rows` valid trial rows over `patients` new patients, the same for the same seed."""
    if not 1 <= patients <= rows:
        raise ValueError("need at least one patient and at least one row per patient")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    per_patient, extra = divmod(rows, patients)
    result: list[dict[str, str]] = []
    for index in range(patients):
        number = f"{prefix}-{index + 1:05d}"
        result.extend(_patient_rows(rng, number, per_patient + (index < extra)))
    return result


def sample_csv(*, rows: int, patients: int, seed: int = 0, prefix: str = "CSV") -> str:
    """Return the text of a seeded CSV file of valid trial rows (see `sample_rows`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sample_rows(rows=rows, patients=patients, seed=seed, prefix=prefix))
    return buffer.getvalue()


def write_sample_csv(
    path: Path, *, rows: int, patients: int, seed: int = 0, prefix: str = "CSV"
) -> None:
    """Write a seeded CSV file of valid trial rows, UTF-8 (see `sample_rows`)."""
    text = sample_csv(rows=rows, patients=patients, seed=seed, prefix=prefix)
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    """Write a sample file from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prefix", default="CSV")
    arguments = parser.parse_args(argv)
    write_sample_csv(
        arguments.path,
        rows=arguments.rows,
        patients=arguments.patients,
        seed=arguments.seed,
        prefix=arguments.prefix,
    )


if __name__ == "__main__":
    main()

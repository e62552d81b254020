"""Engine explanations in the clinic's words, for every page that shows them.

The engines' lines carry the specification's sources and rule numbers ("(MGH-ATRQ (COMP006) [S])",
"(12.1)") and plain float formatting ("8.82353 % reduction"). The lines stay as the engines
write them (tests, the JSON download and the cohort compare them); this module only splits each
into the sentence a clinician reads and the sources shown behind a "sources" disclosure, rounds
percentages and names sub-milligram doses in micrograms.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

# The specification's status tags (staging-models.md, "Status tags"), in words.
STATUS_WORDS = {
    "C": "confirmed in the source",
    "S": "secondary source",
    "R": "recalled, not checked against the source",
    "I": "this specification's interpretation",
    "M": "as published",
}
STATUS_TAG = re.compile(r"\s*\[([CSRIM])(?:[,/][^\]]*)?\]")
# A rule or section of the specification: "12.1", "1.3.3", "section 4", "step 7", "8.2 [I]".
RULE = re.compile(
    r"^(?:staging-models\s+)?(?:section\s+|step\s+|table\s+)?\d+(?:\.\d+)*(?:\s+step\s+\d+)?$",
    re.IGNORECASE,
)
PERCENT = re.compile(r"(-?\d+(?:\.\d+)?) %( reduction)?")
SUB_MILLIGRAM = re.compile(r"\b0\.(\d+) mg\b")
PARAMETER_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
MICROGRAMS_PER_MG = 1000


@dataclass(frozen=True)
class Reason:
    """One explanation line: what the clinician reads, and where it comes from."""

    text: str
    sources: tuple[str, ...] = ()


def percent_text(value: float) -> str:
    """Return a percentage as the clinic reads it: whole numbers, one decimal below 10 %."""
    size = abs(value)
    rounded = round(size, 1) if size < 10 else round(size)
    text = f"{rounded:g}"
    return f"-{text}" if value < 0 and text != "0" else text


def dose_text(milligrams: float | Decimal, per: str = "day") -> str:
    """Return a dose per day (or session): below 1 mg in micrograms, as prescriptions write it."""
    value = Decimal(milligrams)
    if 0 < value < 1:
        return f"{(value * MICROGRAMS_PER_MG).normalize():f} micrograms/{per}"
    return f"{value.normalize():f} mg/{per}"


def _percent(match: re.Match[str]) -> str:
    value = float(match.group(1))
    if match.group(2) and value < 0:
        return f"{percent_text(-value)} % increase"
    return f"{percent_text(value)} %{match.group(2) or ''}"


def _micrograms(match: re.Match[str]) -> str:
    return f"{float('0.' + match.group(1)) * MICROGRAMS_PER_MG:g} micrograms"


def _parameter_words(match: re.Match[str]) -> str:
    """Return a staging parameter's label as the settings page shows it, else plain words."""
    name = match.group(0)
    label = _parameter_labels().get(name)
    return label if label is not None else name.replace("_", " ")


@lru_cache(maxsize=1)
def _parameter_labels() -> dict[str, str]:
    # Imported here: the models import this module (a trial's dose text).
    from records.models import ClinicStagingDefaults

    return {
        field.name: str(field.verbose_name)
        for field in ClinicStagingDefaults._meta.concrete_fields
        if "_" in field.name
    }


def _top_level_parts(text: str, separators: str = ",;") -> list[str]:
    """Split at separators outside brackets: "a (b, c), d" gives "a (b, c)" and "d"."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char in separators and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _is_source(part: str) -> bool:
    return bool(STATUS_TAG.search(part)) or bool(RULE.match(part.strip()))


def _source_words(part: str) -> str:
    """Return a source with its status tags in words: "ATRQ [S]" → "ATRQ (secondary source)"."""
    statuses = [STATUS_WORDS[tag] for tag in STATUS_TAG.findall(part)]
    bare = STATUS_TAG.sub("", part).strip()
    if RULE.match(bare):
        bare = f"staging specification {bare}"
    if not bare:
        return "; ".join(statuses)
    return f"{bare} ({', '.join(statuses)})" if statuses else bare


def _parenthesised(text: str) -> list[tuple[int, int]]:
    """Return the spans of the top-level parentheses in the text."""
    spans, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = index
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, index + 1))
    return spans


@lru_cache(maxsize=4096)
def reason_words(line: str) -> Reason:
    """Split an engine's line into clinic words and its sources; round its numbers."""
    sources: list[str] = []
    text = line
    for start, end in reversed(_parenthesised(line)):
        parts = _top_level_parts(line[start + 1 : end - 1])
        kept = [part for part in parts if not _is_source(part)]
        moved = [part for part in parts if _is_source(part)]
        if not moved:
            continue
        sources[:0] = [_source_words(part) for part in moved]
        replacement = f" ({', '.join(kept)})" if kept else ""
        text = text[:start].rstrip() + replacement + text[end:]
    # A tag outside any parenthesis ("a third trial of any class [I]").
    for tag in STATUS_TAG.findall(text):
        sources.append(STATUS_WORDS[tag])
    text = STATUS_TAG.sub("", text)
    text = PERCENT.sub(_percent, text)
    text = SUB_MILLIGRAM.sub(_micrograms, text)
    text = PARAMETER_NAME.sub(_parameter_words, text)
    text = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
    return Reason(text, tuple(dict.fromkeys(sources)))

"""The identity-text rule as properties: any hidden character is refused, ordinary text kept."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from records.identity import (
    HIDDEN,
    RECORD_NUMBER,
    normalise_identity_text,
    validate_identity_text,
    validate_record_number,
)

CONTROLS = [chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
HIDDEN_CHARACTERS = st.sampled_from(sorted(chr(code) for code in HIDDEN) + CONTROLS)
VISIBLE = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp")), max_size=30
)


@given(before=VISIBLE, hidden=HIDDEN_CHARACTERS, after=VISIBLE)
def test_text_with_any_hidden_character_is_refused(before: str, hidden: str, after: str) -> None:
    with pytest.raises(ValidationError):
        validate_identity_text(before + hidden + after)


@given(text=VISIBLE)
def test_visible_text_passes_and_is_kept_in_nfc(text: str) -> None:
    kept = normalise_identity_text(text)
    validate_identity_text(kept)
    assert kept == unicodedata.normalize("NFC", kept)


@given(number=st.text(max_size=40))
def test_a_record_number_passes_exactly_when_the_allow_list_matches(number: str) -> None:
    allowed = 1 <= len(number) <= 32 and all(
        character.isascii() and (character.isalnum() or character in "-_/.") for character in number
    )
    assert (RECORD_NUMBER.fullmatch(number) is not None) == allowed
    if allowed:
        validate_record_number(number)
    else:
        with pytest.raises(ValidationError):
            validate_record_number(number)

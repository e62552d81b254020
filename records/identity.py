"""What the text that identifies a patient, a clinician, a clinic or an agent may hold.

Record numbers come from an allow-list; names are kept in Unicode NFC and refuse control and
invisible characters (line breaks, tabs, escapes, zero-width and bidirectional-override marks),
so no record number or name can look like another on a page or in a PDF (issue 13, defect 10;
Unicode Technical Report #36, sections 2 and 3, and UTS #39 on look-alikes).
"""

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    # The stubs' generic text field: values set and read as text.
    CharFieldBase = models.CharField[str, str]
else:
    CharFieldBase = models.CharField

RECORD_NUMBER_MAX_LENGTH = 32
# ASCII only: a Cyrillic "А" or a full-width "１" would make a look-alike of another number.
RECORD_NUMBER = re.compile(rf"[A-Za-z0-9_./-]{{1,{RECORD_NUMBER_MAX_LENGTH}}}")
RECORD_NUMBER_INVALID = (
    "A record number is 1 to 32 characters: letters A–Z, digits and - _ / . only "
    "(no spaces or other characters)."
)
HIDDEN_CHARACTER = (
    "Contains {character}, which is invisible or moves the text around it on screen and in "
    "reports: retype the text without it."
)
# Format characters that are invisible or reorder text: soft hyphen, the Arabic letter mark,
# the Mongolian vowel separator, zero-width space, non-joiner and joiner, the left-to-right
# and right-to-left marks, the bidirectional embeddings and overrides, the word joiner and
# invisible operators, the bidirectional isolates, the byte-order mark (UTR #36, 3.1; UAX #9).
HIDDEN = frozenset(
    {0x00AD, 0x061C, 0x180E, 0xFEFF}
    | set(range(0x200B, 0x2010))
    | set(range(0x2028, 0x202F))
    | set(range(0x2060, 0x2065))
    | set(range(0x2066, 0x206A))
)
# Control characters (CR, LF, TAB, ESC, NUL, DEL, C1) and unpaired surrogates.
REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})


def _character_name(character: str) -> str:
    code = f"U+{ord(character):04X}"
    name = unicodedata.name(character, "")
    if character in "\r\n":
        return f"a line break ({code})"
    if character == "\t":
        return f"a tab ({code})"
    return f"{code} {name.lower()}" if name else f"a control character ({code})"


def normalise_identity_text(value: str) -> str:
    """Return the text trimmed and in Unicode NFC (one form for every accented letter)."""
    return unicodedata.normalize("NFC", value.strip())


def validate_identity_text(value: str) -> None:
    """Refuse text holding a control, invisible or bidirectional-override character."""
    for character in value:
        if ord(character) in HIDDEN or unicodedata.category(character) in REFUSED_CATEGORIES:
            message = HIDDEN_CHARACTER.format(character=_character_name(character))
            raise ValidationError(message, code="hidden_character")


def identity_text(value: str) -> str:
    """Return the text normalised, or refuse it (for forms of models outside records: users)."""
    value = normalise_identity_text(value)
    validate_identity_text(value)
    return value


def validate_record_number(value: str) -> None:
    """Refuse a record number outside the allow-list."""
    if not RECORD_NUMBER.fullmatch(value):
        raise ValidationError(RECORD_NUMBER_INVALID, code="record_number_characters")


class IdentityTextField(CharFieldBase):
    """A name: cleaned to NFC, without control or invisible characters, whatever the path."""

    default_validators = [validate_identity_text]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalise_identity_text(value) if isinstance(value, str) else value


class RecordNumberField(CharFieldBase):
    """A patient's record number: the allow-list, checked whatever the path."""

    default_validators = [validate_record_number]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return value.strip() if isinstance(value, str) else value

"""Template filter: the reference material's symbols (✅ 🔶 ⚠️ 🔴 🟠) written as words."""

from django import template

from pseudoresistance.checklist_data import in_words as symbols_in_words

register = template.Library()


@register.filter
def in_words(text: object) -> str:
    """Return the text with its symbols as words (some browsers draw 🔶 as an empty box)."""
    return symbols_in_words(str(text)) if text else ""

"""Template filters that put engine text in the clinic's words (records/wording.py)."""

from django import template

from records.wording import Reason, reason_words

register = template.Library()


@register.filter
def in_words(line: str) -> Reason:
    """Return an engine's line as clinic words and its sources (templates/_partials/reason)."""
    return reason_words(str(line))

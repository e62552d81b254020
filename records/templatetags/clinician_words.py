"""Template filters that put engine text in the clinic's words (records/wording.py)."""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from records.wording import Reason, reason_words

register = template.Library()


@register.filter
def in_words(line: str) -> Reason:
    """Return an engine's line as clinic words and its sources (templates/_partials/reason)."""
    return reason_words(str(line))


@register.filter
def reason_html(line: str) -> SafeString:
    """Return an engine's line in clinic words with its sources folded away, as escaped HTML.

    templates/_partials/reason.html's markup, written in Python: the staging page shows a few
    hundred lines, and an include per line cost more than the rest of its rendering (issue 18).
    """
    reason = reason_words(str(line))
    if not reason.sources:
        return conditional_escape(reason.text)
    return format_html(
        '{} <details class="sources reason-sources"><summary>sources</summary>'
        '<span class="sources-list">{}</span></details>',
        reason.text,
        "; ".join(reason.sources),
    )

"""Cells for files a clinic opens in a spreadsheet: text that can never run as a formula."""

# OWASP "CSV Injection": a cell starting with one of these is read as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Return the text quoted so that a spreadsheet shows it rather than evaluating it."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text

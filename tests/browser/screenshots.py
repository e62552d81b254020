"""Screenshots for a person to look at, taken only when asked: TRDCLINIC_SCREENSHOTS=<folder>.

No test compares them, and a full-page screenshot is a whole extra render of the page, so the
suite takes none unless a folder is named.
"""

import os
from pathlib import Path

from playwright.sync_api import Locator, Page

SCREENSHOTS = os.environ.get("TRDCLINIC_SCREENSHOTS")


def screenshots_wanted() -> bool:
    """Return whether a folder for screenshots was named."""
    return bool(SCREENSHOTS)


def screenshot(target: Page | Locator, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot of the page (or of one element) as <name>.png, when asked for."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    path = str(folder / f"{name}.png")
    if isinstance(target, Page):
        target.screenshot(path=path, full_page=full_page)
    else:
        target.screenshot(path=path)

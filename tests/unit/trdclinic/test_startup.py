"""A web worker freezes what start-up loaded out of the collector's walks (issue 18)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# In a child interpreter: freezing is process-wide and the test run's own objects must not be.
SCRIPT = """
import gc, sys
import trdclinic.wsgi
print(gc.get_freeze_count(), "records.views.patients" in sys.modules)
"""


def test_loading_the_wsgi_application_imports_the_views_and_freezes_them() -> None:
    environment = {**os.environ, "TRDCLINIC_MODE": "test"}
    output = subprocess.run(  # noqa: S603 (our interpreter, our script)
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    frozen, views_loaded = int(output[0]), output[1]
    # Django, the URL conf and every view: well over 50,000 objects (146,000 when written).
    assert frozen > 50_000
    assert views_loaded == "True"

"""In CI a skipped test is a missing dependency, and so a failure; also with pytest-xdist.

Under xdist the workers' reports are replayed in the controlling process, whose terminal
reporter counts them: the controller decides, the workers do not.
"""

import os

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not os.environ.get("CI") or hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"CI: {skipped} test(s) skipped; every test must run in CI.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

"""`make run` (python -m trdclinic.run) stops the embedded PostgreSQL with the app on Ctrl-C or
SIGTERM to its process group, unless another trdclinic process still uses it; a server left
running by a killed run is found, joined and stopped by the next run (issue 18)."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
# Start-up on a fresh data folder (initdb, migrations, the demo clinic) on a loaded machine.
SERVED_WITHIN_SECONDS = 240
STOPPED_WITHIN_SECONDS = 60
# How often the test looks again: a start or a stop is seen within a tenth of a second of it.
POLL_SECONDS = 0.1
HOLDER = """
import sys
from pathlib import Path
from trdclinic.embedded_postgres.server import ensure_server
ensure_server(Path(sys.argv[1]), "trdclinic")
print("joined", flush=True)
sys.stdin.read()
"""


@pytest.fixture(scope="module")
def pgdata(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One data folder for the module: only the first run pays for initdb and migrations."""
    folder = tmp_path_factory.mktemp("run") / "pgdata"
    yield folder
    pid = postmaster_pid(folder)
    if pid is not None:
        psutil.Process(pid).terminate()


def environment(pgdata: Path) -> dict[str, str]:
    return {**os.environ, "TRDCLINIC_MODE": "local", "TRDCLINIC_PGDATA": str(pgdata)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_run(pgdata: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start make run's launcher in its own process group, as a terminal runs it; wait for it."""
    port = free_port()
    with log.open("ab") as output:
        run = subprocess.Popen(  # noqa: S603 - our interpreter, our module
            [sys.executable, "-m", "trdclinic.run", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=environment(pgdata),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + SERVED_WITHIN_SECONDS
    while time.monotonic() < deadline:
        assert run.poll() is None, log.read_text()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            status = connection.getresponse().status
            connection.close()
        except OSError:
            time.sleep(POLL_SECONDS)
            continue
        assert status == 302, status  # to the sign-in page
        return run, port
    os.killpg(run.pid, signal.SIGKILL)
    raise AssertionError(f"not served within {SERVED_WITHIN_SECONDS} s:\n{log.read_text()}")


def postmaster_pid(pgdata: Path) -> int | None:
    """Return the embedded server's process id while it runs, else None."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.is_file():
        return None
    pid = int(pid_file.read_text().split()[0])
    try:
        running = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return None
    return pid if running else None


def stopped(pgdata: Path) -> bool:
    deadline = time.monotonic() + STOPPED_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if postmaster_pid(pgdata) is None:
            return True
        time.sleep(POLL_SECONDS)
    return False


def stop(run: subprocess.Popen[bytes], number: signal.Signals) -> None:
    os.killpg(run.pid, number)
    run.wait(timeout=STOPPED_WITHIN_SECONDS)


def test_a_killed_runs_server_is_joined_and_ctrl_c_stops_it(pgdata, tmp_path):
    log = tmp_path / "run.log"
    run, _ = start_run(pgdata, log)
    server = postmaster_pid(pgdata)
    assert server is not None
    # Killed outright: no clean-up ran, the server is left behind (it has its own session).
    stop(run, signal.SIGKILL)
    assert postmaster_pid(pgdata) == server

    run, _ = start_run(pgdata, log)
    assert postmaster_pid(pgdata) == server, "the next run started a second server"
    stop(run, signal.SIGINT)
    assert stopped(pgdata), log.read_text()


def test_sigterm_leaves_the_server_to_a_process_still_using_it(pgdata, tmp_path):
    holder = subprocess.Popen(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", HOLDER, str(pgdata)],
        cwd=ROOT,
        env=environment(pgdata),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    assert holder.stdout.readline() == b"joined\n"
    log = tmp_path / "run.log"
    run, _ = start_run(pgdata, log)
    stop(run, signal.SIGTERM)
    assert postmaster_pid(pgdata) is not None, "stopped under another process"

    holder.stdin.close()
    holder.wait(timeout=STOPPED_WITHIN_SECONDS)
    assert stopped(pgdata)

"""The patient page under load: gunicorn with 2 workers on 127.0.0.1, wrk with 16 connections.

The bench process owns the synthetic clinic's database; gunicorn's workers reach the same
database through a DATABASE_URL built from the bench connection's own settings, so they serve
exactly the data the in-process measurements read.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from bench.measure import Row

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from records.models import Clinic

WORKERS = 2
CONNECTIONS = 16
SECONDS = 30
# One signed-in session per connection, as 16 clinicians would be; wrk's script rotates them.
SESSIONS = CONNECTIONS
START_TIMEOUT = 60.0
# Seconds before wrk counts a request as timed out (its default of 2 s hides slow answers).
TIMEOUT = 10
ROOT = Path(__file__).resolve().parent.parent

WRK_SCRIPT = """
local cookies = {%s}
local n = 0
request = function()
  n = n + 1
  wrk.headers["Cookie"] = "sessionid=" .. cookies[(n %% #cookies) + 1]
  return wrk.format("GET", "%s")
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%%d seconds=%%f errors=%%d p50_us=%%d p95_us=%%d p99_us=%%d\\n",
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def database_url() -> str:
    """Return a DATABASE_URL for the bench connection's server and database (embedded or not)."""
    from records.management.postgres import configured_server

    server = configured_server()
    credentials = quote(server.user, safe="")
    if server.password:
        credentials += ":" + quote(server.password, safe="")
    host = quote(server.host or "localhost", safe="")
    port = f":{server.port}" if server.port else ""
    return f"postgresql://{credentials}@{host}{port}/{quote(server.database, safe='')}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _session_keys(user: User) -> list[str]:
    from bench.web import signed_in_client

    keys = []
    for _ in range(SESSIONS):
        client = signed_in_client(user)
        keys.append(client.cookies["sessionid"].value)
    return keys


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            # Our own server on 127.0.0.1, over http.
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def _result(text: str) -> dict[str, float]:
    match = re.search(r"^RESULT (.*)$", text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{text}")
    return {
        key: float(value) for key, value in (pair.split("=") for pair in match.group(1).split())
    }


def load_rows(clinic: Clinic, user: User, patient_id: int, seconds: int = SECONDS) -> list[Row]:
    """Serve the page with gunicorn and load it with wrk; rows for requests/s and p95."""
    name = f"patient page under load ({WORKERS} gunicorn workers, {CONNECTIONS} connections)"
    wrk = shutil.which("wrk")
    if wrk is None:
        return [Row(name, None, "", note="wrk is not installed (apt-get install wrk)")]
    from django.urls import reverse

    path = reverse("records:patient-detail", args=[patient_id])
    port = _free_port()
    environment = {
        **os.environ,
        "TRDCLINIC_MODE": "local",
        "DATABASE_URL": database_url(),
        "TRDCLINIC_LOG_LEVEL": "WARNING",
    }
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "trdclinic.wsgi",
        f"--workers={WORKERS}",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
    ]
    keys = _session_keys(user)
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=environment)  # noqa: S603 (fixed argv)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % (", ".join(f'"{key}"' for key in keys), path))
        target = f"http://127.0.0.1:{port}"
        options = [f"-c{CONNECTIONS}", f"--timeout={TIMEOUT}s", "-s", script.name, target]
        # The warm-up lets each worker import and connect before the timed run.
        subprocess.run([wrk, "-t2", "-d3s", *options], check=True, capture_output=True)  # noqa: S603
        run = [wrk, "-t2", f"-d{seconds}s", *options]
        result = subprocess.run(run, check=True, capture_output=True, text=True)  # noqa: S603
        os.unlink(script.name)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    figures = _result(result.stdout)
    errors = int(figures["errors"])
    return [
        Row(
            f"{name}: requests/s",
            figures["requests"] / figures["seconds"],
            "req/s",
            note=f"wrk, {seconds} s; {errors} errors (socket errors, timeouts, non-2xx/3xx)",
            extra={"errors": errors, "requests": int(figures["requests"])},
        ),
        Row(
            f"{name}: p95 latency",
            figures["p95_us"] / 1000,
            "ms",
            note=f"p50 {figures['p50_us'] / 1000:.0f} ms, p99 {figures['p99_us'] / 1000:.0f} ms",
        ),
    ]

"""The patient page under load: gunicorn with 2 workers on 127.0.0.1, wrk with 16 connections.

    python -m bench.load --patients 1000 --runs 3    # the load row alone, each run and the median

The bench process owns the synthetic clinic's database; gunicorn's workers reach the same
database through a DATABASE_URL built from the bench connection's own settings, so they serve
exactly the data the in-process measurements read.

Beside requests/s, each run gives the CPU time one request cost in the web workers, in the
PostgreSQL server (when it runs on this machine) and in wrk: on a shared machine requests/s falls
with everyone else's load, the CPU per request much less. Two cores serve 150 requests/s only if
the three add up to at most 2,000 / 150 ≈ 13 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import psutil

from bench.measure import Row, django_started

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from records.models import Clinic

WORKERS = 2
GUNICORN_CONFIG = "trdclinic.gunicorn_conf"
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


def _cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """Return each live process's CPU seconds (user + system) by pid."""
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def _tree(pid: int) -> list[psutil.Process]:
    """Return the process and its descendants (gunicorn's master and workers)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _database_server() -> psutil.Process | None:
    """Return the PostgreSQL server's main process when it runs on this machine, else None."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    try:
        server = psutil.Process(backend).parent()
    except psutil.Error:
        return None
    return server if server is not None and "postgres" in server.name() else None


class CpuMeter:
    """CPU seconds spent by gunicorn's processes, the database server's and wrk between marks."""

    def __init__(self, gunicorn_pid: int) -> None:
        self.gunicorn_pid = gunicorn_pid
        self.database = _database_server()
        self.web: dict[int, float] = {}
        self.server: dict[int, float] = {}
        self.children = 0.0

    def _database_seconds(self) -> dict[int, float]:
        return _cpu_seconds(_tree(self.database.pid)) if self.database is not None else {}

    @staticmethod
    def _children_seconds() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return children.ru_utime + children.ru_stime

    def start(self) -> None:
        self.web = _cpu_seconds(_tree(self.gunicorn_pid))
        self.server = self._database_seconds()
        self.children = self._children_seconds()

    def stop(self) -> dict[str, float | None]:
        """Return the seconds spent since start: web workers, database (None if remote), wrk."""

        def spent(before: dict[int, float], after: dict[int, float]) -> float:
            return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())

        return {
            "web": spent(self.web, _cpu_seconds(_tree(self.gunicorn_pid))),
            "database": (
                spent(self.server, self._database_seconds()) if self.database is not None else None
            ),
            # wrk is the only child process that ends between the marks.
            "wrk": self._children_seconds() - self.children,
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
        # The production settings (README), with the two workers.
        f"--config=python:{GUNICORN_CONFIG}",
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
        meter = CpuMeter(server.pid)
        load_before = os.getloadavg()[0]
        meter.start()
        run = [wrk, "-t2", f"-d{seconds}s", *options]
        result = subprocess.run(run, check=True, capture_output=True, text=True)  # noqa: S603
        cpu = meter.stop()
        os.unlink(script.name)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    figures = _result(result.stdout)
    errors = int(figures["errors"])
    requests = int(figures["requests"])
    per_request = {
        part: None if value is None else value * 1000 / max(requests, 1)
        for part, value in cpu.items()
    }
    database = per_request["database"]
    cpu_note = (
        f"CPU per request: web {per_request['web']:.1f} ms, database "
        + ("not on this machine" if database is None else f"{database:.1f} ms")
        + f", wrk {per_request['wrk']:.1f} ms; load average {load_before:.1f} before"
    )
    return [
        Row(
            f"{name}: requests/s",
            figures["requests"] / figures["seconds"],
            "req/s",
            target="≥ 150 req/s, 0 errors",
            note=f"wrk, {seconds} s; {errors} errors (socket errors, timeouts, non-2xx/3xx)",
            extra={"errors": errors, "requests": requests},
        ),
        Row(
            f"{name}: p95 latency",
            figures["p95_us"] / 1000,
            "ms",
            target="≤ 150 ms",
            note=f"p50 {figures['p50_us'] / 1000:.0f} ms, p99 {figures['p99_us'] / 1000:.0f} ms",
        ),
        Row(
            f"{name}: CPU per request",
            sum(value for value in per_request.values() if value is not None),
            "ms",
            note=cpu_note,
            extra={f"{part}_ms": value for part, value in per_request.items()},
        ),
    ]


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=SECONDS)
    args = parser.parse_args(argv)
    django_started("trdclinic_bench_load")

    from bench import web
    from bench.__main__ import LOADED_PAGE

    with web.bench_database():
        clinic, user, _seconds = web.build_clinic(args.patients, args.seed)
        patient_id = web.page_patient_id(clinic, LOADED_PAGE)
        runs = []
        for run in range(1, args.runs + 1):
            rows = load_rows(clinic, user, patient_id, args.seconds)
            runs.append(rows)
            print(f"run {run}:")
            for row in rows:
                value = "—" if row.value is None else f"{row.value:,.1f}"
                print(f"  {row.name.split(': ')[-1]}: {value} {row.unit}  {row.note}")
        if all(len(rows) == len(runs[0]) and rows[0].value is not None for rows in runs):
            print(f"medians of {args.runs}:")
            for index, row in enumerate(runs[0]):
                median = statistics.median(rows[index].value or 0.0 for rows in runs)
                print(f"  {row.name.split(': ')[-1]}: {median:,.1f} {row.unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

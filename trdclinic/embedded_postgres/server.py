"""Start (or join) the embedded PostgreSQL server and make sure the app's database exists.

Every process that connects registers its process id with pgserver in the data folder; the
last one to exit stops the server. A process killed outright (SIGKILL, a crash) cannot
unregister, so each start first forgets the ids of processes that no longer run: a server left
behind by a killed run is then joined, and stopped by whichever process leaves it last.
SIGTERM and SIGHUP end manage.py's commands through a normal exit (manage.py), so they
unregister too.
"""

import json
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg2
from psycopg2 import sql

# pgserver's list of the processes using the server in a data folder.
HANDLES_FILE = ".handle_pids.json"


@dataclass(frozen=True)
class EmbeddedServer:
    socket_dir: str
    port: int
    user: str


_lock = threading.Lock()
_servers: dict[Path, EmbeddedServer] = {}


def ensure_server(data_dir: Path, database: str) -> EmbeddedServer:
    """Start the server in data_dir unless it runs already, and create the database if missing."""
    data_dir = data_dir.resolve()
    with _lock:
        if data_dir not in _servers:
            _servers[data_dir] = _start(data_dir, database)
        return _servers[data_dir]


@contextmanager
def _interprocess_lock() -> Iterator[None]:
    """Hold pgserver's own lock: it guards starting, stopping and the list of processes."""
    from pgserver.postgres_server import PostgresServer

    with PostgresServer._lock:
        yield


def forget_exited_processes(data_dir: Path) -> list[int]:
    """Drop the ids of processes that no longer run from the server's users; return the rest."""
    handles = data_dir / HANDLES_FILE
    if not handles.is_file():
        return []
    try:
        registered = [int(pid) for pid in json.loads(handles.read_text() or "[]")]
    except (ValueError, TypeError):
        registered = []
    running = [pid for pid in registered if _running(pid)]
    if running != registered:
        handles.write_text(json.dumps(running))
    return running


def _running(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _start(data_dir: Path, database: str) -> EmbeddedServer:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, cron); its fallback is fine.
        warnings.simplefilter("ignore")
        from pgserver import get_server  # type: ignore[attr-defined]

        data_dir.mkdir(parents=True, exist_ok=True)
        with _interprocess_lock():
            forget_exited_processes(data_dir)
        postgres = get_server(data_dir, cleanup_mode="stop")
    info = postgres.get_postmaster_info()
    server = EmbeddedServer(socket_dir=str(info.socket_dir), port=int(info.port), user="postgres")
    # Parallel test workers start together: one of them creates the database.
    with _interprocess_lock():
        _create_database(server, database)
    return server


def _create_database(server: EmbeddedServer, database: str) -> None:
    connection = psycopg2.connect(
        dbname="postgres", user=server.user, host=server.socket_dir, port=server.port
    )
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        connection.close()

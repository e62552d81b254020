"""Start (or join) the embedded PostgreSQL server and make sure the app's database exists."""

import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql


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


def _start(data_dir: Path, database: str) -> EmbeddedServer:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, cron); its fallback is fine.
        warnings.simplefilter("ignore")
        from pgserver import get_server  # type: ignore[attr-defined]

        data_dir.mkdir(parents=True, exist_ok=True)
        postgres = get_server(data_dir, cleanup_mode="stop")
    info = postgres.get_postmaster_info()
    server = EmbeddedServer(socket_dir=str(info.socket_dir), port=int(info.port), user="postgres")
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

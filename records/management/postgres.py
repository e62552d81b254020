"""What `manage.py backup` and `manage.py restore` share: the PostgreSQL tools and the target.

The tools are pgserver's own pg_dump and pg_restore when the package is installed (they match
the embedded server and can dump older servers), else those on PATH; `TRDCLINIC_PG_BIN` names
another folder. The connection is the `default` database's, embedded or `DATABASE_URL`'s.
"""

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from django.core.management.base import CommandError
from django.db import connections
from psycopg2 import sql

TOOL_MISSING = "{tool} was not found: install the PostgreSQL client tools or set TRDCLINIC_PG_BIN."
TOOL_FAILED = "{tool} failed (exit status {status}): {error}"


@dataclass(frozen=True)
class Server:
    """How to reach the configured PostgreSQL server."""

    host: str
    port: str
    user: str
    password: str
    database: str

    def environment(self, database: str | None = None) -> dict[str, str]:
        """Return the libpq environment that connects the tools to `database` (the default's)."""
        values = {
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": database or self.database,
        }
        return {**os.environ, **{name: value for name, value in values.items() if value}}

    def connect(self, database: str) -> "psycopg2.extensions.connection":
        """Return an autocommit connection to one database of the server."""
        connection = psycopg2.connect(
            dbname=database,
            host=self.host or None,
            port=self.port or None,
            user=self.user or None,
            password=self.password or None,
        )
        connection.autocommit = True
        return connection


def configured_server() -> Server:
    """Return the default database's server, starting the embedded one if it is in use."""
    connection = connections["default"]
    # The embedded backend fills in its socket, port and user when it connects.
    connection.ensure_connection()
    settings = connection.settings_dict
    return Server(
        host=str(settings.get("HOST") or ""),
        port=str(settings.get("PORT") or ""),
        user=str(settings.get("USER") or ""),
        password=str(settings.get("PASSWORD") or ""),
        database=str(settings["NAME"]),
    )


def tool(name: str) -> str:
    """Return the path of a PostgreSQL client tool."""
    folders = []
    if configured := os.environ.get("TRDCLINIC_PG_BIN"):
        folders.append(Path(configured))
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        folders.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    for folder in folders:
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise CommandError(TOOL_MISSING.format(tool=name))
    return found


def run(arguments: list[str], environment: dict[str, str]) -> None:
    """Run a client tool, turning a failure into a command error with its message."""
    # The arguments are the tool's path, fixed flags, and names from settings or the command line.
    result = subprocess.run(  # noqa: S603
        arguments, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        error = result.stderr.strip() or result.stdout.strip()
        name = Path(arguments[0]).name
        raise CommandError(TOOL_FAILED.format(tool=name, status=result.returncode, error=error))


def database_exists(server: Server, database: str) -> bool:
    connection = server.connect("postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def database_create(server: Server, database: str) -> None:
    connection = server.connect("postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        connection.close()


def user_tables(server: Server, database: str) -> int:
    """Return how many tables the database holds outside PostgreSQL's own schemas."""
    connection = server.connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_catalog.pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
            row = cursor.fetchone()
            return int(row[0]) if row else 0
    finally:
        connection.close()


def public_schema_reset(server: Server, database: str) -> None:
    """Empty the database: drop its public schema with everything in it, and make it anew."""
    connection = server.connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        connection.close()

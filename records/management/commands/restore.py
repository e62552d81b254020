"""manage.py restore FILE: load a backup into an empty (or new) database (docs/backup.md)."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from records.management.postgres import (
    configured_server,
    database_create,
    database_exists,
    public_schema_reset,
    run,
    tool,
    user_tables,
)

NO_FILE = "No backup file at {path}."
NOT_EMPTY = (
    "Database {database} is not empty ({tables} tables): nothing was restored. Restore into "
    "a new database (--database NAME) or replace its contents with --force (make restore "
    "FILE=... FORCE=1)."
)
RESTORED = "Restored {path} into database {database} ({seconds:.1f} s)."


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = (
        "Restore a backup made by manage.py backup into the configured database or --database "
        "NAME (created when missing). A database that holds tables is refused unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a dump written by manage.py backup")
        parser.add_argument("--database", help="the database to restore into (default: in use)")
        parser.add_argument(
            "--force", action="store_true", help="replace everything the database holds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(NO_FILE.format(path=path))
        server = configured_server()
        database = options["database"] or server.database
        if not database_exists(server, database):
            database_create(server, database)
            self.stdout.write(f"Created database {database}.")
        tables = user_tables(server, database)
        if tables:
            if not options["force"]:
                raise CommandError(NOT_EMPTY.format(database=database, tables=tables))
            public_schema_reset(server, database)
            self.stdout.write(f"Emptied database {database} (--force).")
        started = time.perf_counter()
        # One transaction: a restore that fails part-way leaves the database empty, not half full.
        run(
            [
                tool("pg_restore"),
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--dbname={database}",
                str(path),
            ],
            server.environment(database),
        )
        seconds = time.perf_counter() - started
        self.stdout.write(RESTORED.format(path=path, database=database, seconds=seconds))

"""manage.py backup: dump the database in use to backups/trdclinic-<UTC time>.dump (backup.md)."""

import datetime
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from records.management.postgres import configured_server, run, tool

BACKUP_WRITTEN = "Backup of database {database} written to {path} ({size}, {seconds:.1f} s)."


def default_path() -> Path:
    """Return backups/trdclinic-<UTC timestamp>.dump inside the project."""
    stamp = timezone.now().astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.BASE_DIR) / "backups" / f"trdclinic-{stamp}.dump"


def size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Dump the database in use (pg_dump, custom format) to backups/ or to --output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="the dump file (default: backups/...)")

    def handle(self, *args: Any, **options: Any) -> None:
        server = configured_server()
        path: Path = options["output"] or default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        started = time.perf_counter()
        # Written beside the target and renamed at the end: a failed dump leaves no file that
        # looks like a backup.
        try:
            run(
                [tool("pg_dump"), "--format=custom", f"--file={partial}", server.database],
                server.environment(),
            )
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(path)
        message = BACKUP_WRITTEN.format(
            database=server.database,
            path=path,
            size=size_text(path.stat().st_size),
            seconds=time.perf_counter() - started,
        )
        self.stdout.write(message)

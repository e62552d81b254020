"""manage.py stage FILE.json: the command-line face of the staging engines (history-format.md)."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from staging import cli


class Command(BaseCommand):
    # Staging reads a file, not the database or the site: no system checks to wait for.
    requires_system_checks: list[str] = []
    help = (
        "Stage one history or an array of histories (history-format.md) with every model and "
        "print the results as JSON; invalid input exits with status 2."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the histories as JSON, or - for standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        status = cli.main([options["file"]], sys.stdin, self.stdout, self.stderr)
        if status:
            # The message is already on stderr; only the exit status is left to set.
            raise SystemExit(status)

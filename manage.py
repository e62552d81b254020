#!/usr/bin/env python
"""Django's command-line utility for trdclinic."""

import os
import sys

# Commands that read no database and no secret: they run in any mode, without the settings.
OFFLINE_COMMANDS = {"stage"}


def main() -> None:
    if sys.argv[1:2] and sys.argv[1] in OFFLINE_COMMANDS:
        import trdclinic  # noqa: F401 - puts the compiled engines first when they are current
        from staging import cli

        sys.exit(cli.main(sys.argv[2:], sys.stdin, sys.stdout, sys.stderr))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trdclinic.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings so a mistake is reported here
    except ImproperlyConfigured as error:
        # A configuration mistake gets one clear line, not a traceback.
        sys.stderr.write(f"trdclinic configuration error: {error}\n")
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

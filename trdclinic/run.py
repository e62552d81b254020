"""`make run`: migrate, create the demo clinic and serve, in one process with quiet output.

Usage: python -m trdclinic.run [HOST:PORT]

Progress is one line a step; the demo accounts and their passwords are the last thing printed
before the server's address. Django's autoreloader serves from a child process that runs this
module again (RUN_MAIN=true), which only serves. Ctrl-C (SIGINT), SIGTERM or SIGHUP end both
processes through a normal exit, so the embedded PostgreSQL is stopped with them unless another
trdclinic process still uses it (trdclinic/embedded_postgres/server.py).
"""

import contextlib
import io
import logging
import os
import signal
import sys
import time
from types import FrameType
from typing import Any

import psutil

DEFAULT_ADDRESS = "127.0.0.1:8000"
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_on_signal(number: int, _frame: FrameType | None) -> None:
    """Turn a termination signal into a normal exit, which runs the atexit clean-ups.

    Later signals are ignored: a second Ctrl-C must not cut the database's stop short.
    """
    for each in SIGNALS:
        signal.signal(each, signal.SIG_IGN)
    raise SystemExit(128 + number)


def pass_to_children(number: int, _frame: FrameType | None) -> None:
    """Pass a signal on to the serving child and wait for it, rather than kill it outright.

    The autoreloader's parent would otherwise kill the child before its clean-up has run.
    """
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            child.send_signal(number)


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trdclinic.settings")
    os.environ.setdefault("TRDCLINIC_MODE", "local")
    # Django's notice that runserver is for development; make run says what it is for itself.
    os.environ.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")
    serving_child = os.environ.get("RUN_MAIN") == "true"
    for number in SIGNALS:
        signal.signal(number, exit_on_signal)
    address = argv[0] if argv else DEFAULT_ADDRESS

    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    logging.getLogger("django.utils.autoreload").setLevel(logging.WARNING)
    if not serving_child:
        started = time.monotonic()
        print("trdclinic: starting the database and applying migrations…", flush=True)
        call_command("migrate", interactive=False, verbosity=0)
        # Raises with the problems found; prints nothing when there are none.
        call_command("check", fail_level="ERROR", stdout=io.StringIO())
        print(f"trdclinic: database ready ({time.monotonic() - started:.0f} s)", flush=True)
        call_command("demo")
        connections.close_all()
        # From here on this process only watches the files and restarts the serving child.
        for number in SIGNALS:
            signal.signal(number, pass_to_children)
    call_command(quiet_runserver(), address, skip_checks=True)


def quiet_runserver() -> Any:
    """Return runserver (whitenoise's, serving the static files) printing one line, no banner."""
    from django.utils import autoreload
    from whitenoise.runserver_nostatic.management.commands.runserver import Command

    class QuietRunserver(Command):  # type: ignore[misc]
        def run(self, **options: Any) -> None:
            """Serve under the autoreloader, keeping this module's signal handlers.

            Django's run_with_reloader would make SIGTERM exit the parent at once, which kills
            the serving child before it can stop the database; this is the same without that.
            """
            if not options["use_reloader"]:
                self.inner_run(None, **options)
                return
            with contextlib.suppress(KeyboardInterrupt):
                if os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) == "true":
                    autoreload.start_django(autoreload.get_reloader(), self.inner_run, **options)
                else:
                    sys.exit(autoreload.restart_with_reloader())

        def on_bind(self, server_port: int) -> None:
            address = f"[{self.addr}]" if self._raw_ipv6 else self.addr
            print(
                f"trdclinic is served at {self.protocol}://{address}:{server_port}/ "
                "(Ctrl-C stops it and its database)",
                file=self.stdout,
                flush=True,
            )

    return QuietRunserver()


if __name__ == "__main__":
    main(sys.argv[1:])

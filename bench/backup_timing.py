"""Time `manage.py backup` and `manage.py restore` on a synthetic clinic (docs/backup.md).

    python -m bench.backup_timing --patients 10000

Builds bench/clinic.py's seeded clinic in a throw-away database (`trdclinic_backup_timing`,
created and destroyed like the benchmark's), dumps it, restores it into a second throw-away
database, checks the row counts match and prints the figures. Never touches the real data.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("TRDCLINIC_MODE", "local")
    os.environ.setdefault("TRDCLINIC_TEST_DB", "trdclinic_backup_timing")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trdclinic.settings")
    os.environ.setdefault("TRDCLINIC_LOG_LEVEL", "WARNING")
    import django

    django.setup()

    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection

    from bench.web import bench_database, build_clinic
    from records.management.postgres import configured_server

    def counts() -> dict[str, int]:
        return {model._meta.label: model._default_manager.count() for model in apps.get_models()}

    with bench_database(), tempfile.TemporaryDirectory() as folder:
        _, _, load_seconds = build_clinic(args.patients, args.seed)
        before = counts()
        dump = Path(folder) / "timing.dump"
        target = f"{connection.settings_dict['NAME']}_restored"
        started = time.perf_counter()
        call_command("backup", output=dump, stdout=io.StringIO())
        backup_seconds = time.perf_counter() - started
        started = time.perf_counter()
        call_command("restore", dump, database=target, stdout=io.StringIO())
        restore_seconds = time.perf_counter() - started
        original = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict["NAME"] = target
        after = counts()
        connection.close()
        connection.settings_dict["NAME"] = original
        admin = configured_server().connect("postgres")
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{target}"')
        admin.close()
        print(
            f"patients {before['records.Patient']:,}, trials {before['records.TreatmentTrial']:,}"
        )
        print(f"bulk load {load_seconds:.1f} s (set-up)")
        print(f"backup {backup_seconds:.1f} s, dump {dump.stat().st_size / 1e6:.1f} MB")
        print(f"restore {restore_seconds:.1f} s into a new database")
        print(f"row counts identical: {after == before}")
    return 0 if after == before else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db.backends.postgresql.operations import DatabaseOperations
from django.db.backends.signals import connection_created
from django.test import Client
from pytest_django import DjangoDbBlocker
from whitenoise.middleware import WhiteNoiseMiddleware

from records.access import ClinicAccess, access_for_user
from records.demo import DemoAccount, demo_clinic_create
from records.models import Clinic, Role
from tests import cpu_durations
from tests.ci_skips import pytest_sessionfinish  # noqa: F401 - a hook, used by pytest
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.shared_world import built_for_module
from tests.two_factor import verified_login


def pytest_configure(config: pytest.Config) -> None:
    if folder := os.environ.get("TRDCLINIC_CPU_DURATIONS"):
        cpu_durations.register(config, Path(folder))
    connection_created.connect(_commit_without_waiting_for_the_disk)


# Allocations between young-generation collections in a test process (Python's default: 700).
YOUNG_COLLECTION_THRESHOLD = 20_000


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection left alive and collect the young objects less often.

    The collector's time was about an eighth of the security tests' CPU (7.4 of 59 s): each full
    collection walked Django, every module and the thousands of collected tests again, and the
    ORM's many short-lived objects set off a young collection every 700 allocations. As a web
    worker freezes its loaded application (trdclinic/startup.py) and a restage collects young
    objects every 20,000 (cohort/services.py): 7.4 -> 3.5 s there (bench/README.md, session 7).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


def _commit_without_waiting_for_the_disk(sender: object, connection: Any, **kwargs: object) -> None:
    """Let the test databases' commits return before their WAL reaches the disk.

    Only this process's connections (test databases, thrown away after the run) are affected: a
    crash could lose their last commits, never make them inconsistent (PostgreSQL's
    synchronous_commit). The app's own database and make run keep the server's defaults.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


_truncate = DatabaseOperations.sql_flush


def _flush_by_delete(
    self: DatabaseOperations,
    style: Any,
    tables: Sequence[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    """Empty the tables after a transactional test by DELETE rather than TRUNCATE.

    Django empties every table with one TRUNCATE, which gives each table, index and TOAST table
    a new file: about half a second of the server's time per test for a few hundred rows, after
    each of the 52 transactional tests (the browser journeys above all); DELETE takes ~5 ms.
    Triggers (the audit table refuses deletes) and foreign-key checks are off for that
    transaction only, as TRUNCATE skips them too; every table is emptied all the same. A flush
    that resets the sequences, or a role that may not switch triggers off, keeps TRUNCATE.
    """
    if reset_sequences or not _may_skip_triggers(self.connection):
        return _truncate(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    quote = self.quote_name
    return [
        "SET LOCAL session_replication_role = replica",
        *(f"DELETE FROM {quote(table)}" for table in tables),  # noqa: S608  # nosec B608
    ]


def _may_skip_triggers(connection: Any) -> bool:
    """Whether the connection's role is a superuser (session_replication_role needs one)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


@pytest.fixture(autouse=True, scope="session")
def _tables_emptied_by_delete() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", _flush_by_delete)
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """pytest-django's test databases, with every other session ended before they are dropped.

    A browser test's ORM calls run on a second connection (Django hands the code running beside
    Playwright's event loop its own), which no teardown closes: PostgreSQL then waited 5 s for
    it before refusing to drop the database ("being accessed by other users"), at the end of
    each worker that ran one, and left the database behind. Ended here, as DROP DATABASE ...
    WITH (FORCE) would end it.
    """
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all(initialized_only=True):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


# WhiteNoise's scan of the static files, by the settings the scan depends on.
_static_files: dict[tuple[object, ...], dict[str, Any]] = {}


@pytest.fixture(autouse=True, scope="session")
def _static_files_scanned_once() -> Iterator[None]:
    """Scan the static files once per process, not once per test client.

    Each `Client` builds the middleware afresh, and WhiteNoise's middleware lists and stats every
    static file as it starts (about 11 ms of CPU, with the finders the test settings use): the
    same files each time, as a server scans them once at its start.
    """
    scan = WhiteNoiseMiddleware.add_files_from_finders

    def add_files_from_finders(self: WhiteNoiseMiddleware) -> None:
        key = (
            self.static_prefix,
            self.max_age,
            self.allow_all_origins,
            self.charset,
            self.add_headers_function,
            tuple(map(str, settings.STATICFILES_DIRS)),
        )
        if key not in _static_files:
            scan(self)
            _static_files[key] = dict(self.files)
        self.files.update(_static_files[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WhiteNoiseMiddleware, "add_files_from_finders", add_files_from_finders)
        yield


@pytest.fixture
def clinic(db: None) -> Clinic:
    return ClinicFactory(name="Riverside Clinic")


@pytest.fixture
def other_clinic(db: None) -> Clinic:
    return ClinicFactory(name="Hillside Clinic")


@pytest.fixture
def access_of(clinic: Clinic) -> Callable[[User], ClinicAccess]:
    """Return a user's access in the clinic, as a view would have it."""

    def make(user: User) -> ClinicAccess:
        access = access_for_user(user, clinic.pk)
        assert access is not None
        return access

    return make


@pytest.fixture
def member(clinic: Clinic) -> Callable[..., User]:
    """Make a user holding the given roles in the clinic (psychiatrist by default)."""

    def make(*roles: str, in_clinic: Clinic | None = None) -> User:
        user = UserFactory()
        for role in roles or (Role.PSYCHIATRIST,):
            MembershipFactory(user=user, clinic=in_clinic or clinic, role=role)
        return user

    return make


@pytest.fixture
def psychiatrist(member: Callable[..., User]) -> User:
    return member(Role.PSYCHIATRIST)


@pytest.fixture
def supervisor(member: Callable[..., User]) -> User:
    return member(Role.SUPERVISOR)


@pytest.fixture
def clinic_admin(member: Callable[..., User]) -> User:
    return member(Role.CLINIC_ADMIN)


@pytest.fixture
def stranger(member: Callable[..., User], other_clinic: Clinic) -> User:
    """A psychiatrist of another clinic."""
    return member(Role.PSYCHIATRIST, in_clinic=other_clinic)


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    """Sign the test client in, past the second factor (tests/two_factor.py)."""

    def sign_in(user: User) -> Client:
        return verified_login(client, user)

    return sign_in


@pytest.fixture(scope="module")
def _demo_clinic_of_module(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[list[DemoAccount]]:
    """Build the demo clinic once for a module, in a transaction rolled back after its tests.

    The build (14 histories imported through the services, each restaged) costs seconds; each
    test runs inside it in its own savepoint (tests/shared_world.py), so what one
    test changes is gone before the next. The module's later tests see the
    demo too, so a module that uses it has no transactional test and no test that needs an
    empty database (tests of the build itself: tests/integration/test_demo.py and
    test_demo_command.py).
    """
    yield from built_for_module(django_db_blocker, demo_clinic_create)


@pytest.fixture
def demo_clinic(_demo_clinic_of_module: list[DemoAccount], db: None) -> list[DemoAccount]:
    """The demo clinic (records/demo.py), built once per module; its accounts as first made."""
    return _demo_clinic_of_module


@pytest.fixture(autouse=True, scope="session")
def _chart_exporter_closed_at_end() -> Iterator[None]:
    """Close the warm Chromium of the PDF charts while pytest still owns the log streams."""
    yield
    from records.charts_export import default_exporter_close

    default_exporter_close()


def _reference_data_load() -> None:
    """Load the rows the data migrations load, where a flush emptied them."""
    from django.apps import apps

    from pseudoresistance.checklist_data import CHECKLIST_VERSION
    from pseudoresistance.models import ChecklistVersion
    from records.models import Agent

    if not Agent.objects.filter(clinic=None).exists():
        import_module("records.migrations.0002_agent_catalogue").load_catalogue(apps, None)
    if not ChecklistVersion.objects.filter(label=CHECKLIST_VERSION).exists():
        import_module("pseudoresistance.migrations.0002_checklist_2026_11_1").load(apps, None)


def _flushes_the_database(item: pytest.Item) -> bool:
    """Whether the test is transactional: pytest-django empties every table after it."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(
        (marker is not None and marker.kwargs.get("transaction"))
        or "transactional_db" in fixtures
        or "live_server" in fixtures
    )


# The longest tests, by their wall seconds in a whole-suite run with -n 2 (the CPU recorder,
# tests/cpu_durations.py, session 6 round 2), each test function with all its parameters.
LONGEST = {
    "tests/browser/test_accessibility_axe.py::test_every_page_of_the_role": 26,
    "tests/integration/test_run_stops_database.py::test_a_killed_runs_server": 16,
    "tests/browser/test_stored_payload_journey.py::": 15,
    "tests/browser/test_records_journeys.py::test_psychiatrist_records_a_patient": 12,
    "tests/browser/test_report_journey.py::": 11,
    "tests/browser/test_keyboard_journey.py::": 10,
    "tests/integration/test_results_identical.py::test_generated_histories": 9,
    "tests/integration/test_one_change_path.py::test_generated_histories": 9,
    "tests/browser/test_small_screen_layout.py::": 8,
    "tests/browser/test_team_journey.py::": 8,
    "tests/browser/test_trial_entry_journey.py::": 7,
    "tests/browser/test_impasse_journeys.py::test_a_psychiatrist_completes": 7,
    "tests/browser/test_two_factor_journey.py::": 7,
    "tests/browser/test_dose_steps_journey.py::": 7,
    "tests/integration/test_clinician_words.py::": 7,
    "tests/browser/test_staging_journey.py::test_psychiatrist_opens": 6,
    "tests/integration/records/test_report.py::test_pdf_download": 6,
}


def _known_seconds(item: pytest.Item) -> int:
    return next((s for prefix, s in LONGEST.items() if item.nodeid.startswith(prefix)), 0)


def _order_group(item: pytest.Item) -> tuple[bool, bool]:
    fixtures = getattr(item, "fixturenames", ())
    return _flushes_the_database(item), bool(item.get_closest_marker("django_db")) or (
        "db" in fixtures
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest tests first within each of pytest-django's groups of tests.

    pytest-django orders the database tests, then the transactional ones, then the rest; xdist's
    worksteal gives each worker a contiguous share and a worker that runs out takes the end of
    the other's queue, so the run ends with the tests at the ends of the groups: short ones here
    rather than a 26 s accessibility walk on one worker while the other waits. Each test stays
    in its group (only neighbours of the same group are reordered).
    """
    start = 0
    for end in range(1, len(items) + 1):
        if end == len(items) or _order_group(items[end]) != _order_group(items[start]):
            items[start:end] = sorted(items[start:end], key=lambda item: -_known_seconds(item))
            start = end


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Reload the reference rows as soon as a transactional test's flush has emptied them.

    pytest-django runs the database tests before the transactional ones, but an xdist worker
    that runs out of tests takes the last ones queued on another worker (worksteal), which can
    be database tests after its own transactional tests: they found no agent catalogue and no
    checklist (83 errors in one run of the suite). Only before a test that is not transactional:
    a transactional one reloads the rows itself (`reference_data`) or restores the serialized
    ones with their own keys, which rows loaded here would collide with; and never after the
    last test, whose teardown has already pointed the connection back at the app's database.
    """
    result = yield
    if nextitem is None:
        return result
    from pytest_django.plugin import blocking_manager_key

    if _flushes_the_database(item) and not _flushes_the_database(nextitem):
        with item.config.stash[blocking_manager_key].unblock():
            _reference_data_load()
    elif _restores_serialized_rows(nextitem) and not _flushes_the_database(item):
        # The rows a serialized-rollback test restores are the migrated ones with their own
        # keys: after a database test the tables still hold rows (reloaded ones with other keys
        # after a worker's transactional tests: 7 errors in one run), so empty them first, as
        # such a test's own teardown does.
        with item.config.stash[blocking_manager_key].unblock():
            _database_emptied()
    return result


def _restores_serialized_rows(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker is not None and marker.kwargs.get("serialized_rollback"))


def _database_emptied() -> None:
    """Empty every table as a serialized-rollback test's teardown does (no post_migrate rows)."""
    from django.core.management import call_command
    from django.db import connection

    assert connection.settings_dict["NAME"].startswith("test_"), "not a test database"
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """Reload the rows the data migrations load, when an earlier transactional test emptied them.

    A transactional test of another module without serialized rollback flushes every table,
    the agent catalogue and the checklist versions included (reloaded after each such test, see
    pytest_runtest_teardown; this covers a test run on its own after a failed teardown).
    """
    _reference_data_load()

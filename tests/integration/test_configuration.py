"""Settings read from the environment: clear errors, safe production defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "p" * 20 + "-production-secret-for-tests-only-" + "q" * 20


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "TRDCLINIC_", "DATABASE_URL"))
    }
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_without_secret_key_fails_with_a_clear_message():
    result = manage("check")
    assert result.returncode == 2
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_allowed_hosts_fails_with_a_clear_message():
    result = manage("check", DJANGO_SECRET_KEY=PRODUCTION_SECRET)
    assert result.returncode == 2
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_rejects_a_short_secret_key():
    result = manage("check", DJANGO_SECRET_KEY="short", DJANGO_ALLOWED_HOSTS="trd.example")
    assert result.returncode == 2
    assert "at least 50 characters" in result.stderr


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://user@host/db", "postgresql://user@host:5432"]
)
def test_malformed_database_url_fails_with_a_clear_message(url):
    result = manage("check", TRDCLINIC_MODE="local", DATABASE_URL=url)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_boolean_names_the_variable():
    result = manage("check", TRDCLINIC_MODE="local", DJANGO_DEBUG="perhaps")
    assert result.returncode == 2
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_production_settings_pass_check_deploy_without_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=PRODUCTION_SECRET,
        DJANGO_ALLOWED_HOSTS="trd.example",
        DATABASE_URL="postgresql://trd:secret@db.invalid:5432/trdclinic",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked_for():
    from django.conf import settings

    assert os.environ.get("DJANGO_DEBUG") is None
    assert settings.DEBUG is False


@pytest.mark.django_db
def test_connections_plan_for_pages_read_from_memory_or_ssd():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)


def test_a_database_urls_own_connection_options_are_kept():
    url = "postgresql://trd:secret@db.invalid:5432/trdclinic?sslmode=require"
    shown = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])",
        TRDCLINIC_MODE="local",
        DATABASE_URL=url,
    )
    assert shown.returncode == 0, shown.stderr
    assert "'sslmode': 'require'" in shown.stdout
    assert "'options': '-c random_page_cost=1.1'" in shown.stdout

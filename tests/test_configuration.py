"""Start-up refuses a bad configuration with one clear line; job settings hold their invariants."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    cleared = {"DATABASE_URL", "SECRET_KEY", "DEBUG", "TESTING"}
    base = {k: v for k, v in os.environ.items() if k not in cleared}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("url", ["mysql://root@localhost/oc", "not a url", "ftp://x/y"])
def test_bad_database_url_stops_startup_with_one_line(url):
    result = _manage("check", DATABASE_URL=url, DEBUG="true")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("configuration error: DATABASE_URL")


def test_missing_secret_key_in_production_stops_startup_with_one_line():
    result = _manage("check", DEBUG="false")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: SECRET_KEY is not set: it is required when DEBUG is off"
    ]


def test_production_mode_starts_with_a_secret_key():
    result = _manage("check", DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_redis_broker_is_chosen_by_url():
    code = "from django.conf import settings; print(sorted(settings.Q_CLUSTER))"
    result = _manage("shell", "-c", code, DEBUG="true", Q_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    assert "'redis'" in result.stdout and "'orm'" not in result.stdout


def test_job_timeout_is_below_retry_and_attempts_are_bounded():
    cluster = settings.Q_CLUSTER
    assert cluster["timeout"] < cluster["retry"]
    assert 0 < cluster["max_attempts"] <= 10
    assert cluster["catch_up"] is False


def test_database_is_configured_for_forked_job_workers():
    options = settings.DATABASES["default"]["OPTIONS"]
    if settings.DATABASE_VENDOR == "sqlite":
        assert options["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in options["init_command"]
        assert settings.DATABASES["default"]["TEST"]["NAME"] != ":memory:"
    else:
        # a connection pool does not survive django-q2's fork()
        assert "pool" not in options
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0

"""`make demo`'s steps on a fresh database: set-up twice (idempotent), then web server + cluster."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _smtp_noop(port: int) -> int:
    """The catcher process starts beside the web server; give it the same minute to come up."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                return smtp.noop()[0]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_demo_setup_is_idempotent_and_the_platform_serves(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TESTING", "EMAIL_URL"}},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DEBUG": "true",
        "DEMO_ADMIN_PASSWORD": "demo-pass-123",
    }

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )

    manage("migrate", "--noinput")
    manage("createcachetable")
    first = manage("demo_setup", "--customers", "200")
    second = manage("demo_setup", "--customers", "200")
    assert "administrator: admin / password: (from DEMO_ADMIN_PASSWORD)" in first.stdout
    assert "exists" in second.stdout

    port, smtp_port, http_port = _free_port(), _free_port(), _free_port()
    platform = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "run_platform",
            "--port",
            str(port),
            "--catcher-smtp-port",
            str(smtp_port),
            "--catcher-http-port",
            str(http_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"{base}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        health = json.loads(body)
        assert health["checks"]["database"]["ok"] and health["checks"]["broker"]["ok"]
        assert _get(f"{base}/admin/login/")[0] == 200
        assert _get(f"{base}/api/schema/")[0] == 200
        # the job cluster runs beside the web server, and so do the demo's catchers
        assert platform.poll() is None
        assert _smtp_noop(smtp_port) == 250
        assert json.loads(_get(f"http://127.0.0.1:{http_port}/status?idempotency_key=x")[1]) == {
            "accepted": False
        }
        # the platform's own e-mail (a job, as lifecycle notifications are) reaches the SMTP catcher
        manage(
            "shell",
            "-c",
            "from django_q.tasks import async_task; async_task('django.core.mail.send_mail', "
            "'Approval requested: demo', 'body', None, ['approver@example.test'])",
        )
        assert _caught(tmp_path / "demo.sqlite3", "approver@example.test") == [
            ("email", "Approval requested: demo")
        ]
    finally:
        platform.send_signal(signal.SIGINT)
        output, _ = platform.communicate(timeout=60)
    assert platform.returncode == 0, output
    assert "Q Cluster" in output and "stopped" in output
    assert f"catching SMTP on 127.0.0.1:{smtp_port}" in output
    assert f"EMAIL_URL=smtp://127.0.0.1:{smtp_port}" in output
    # one log line per caught message, not aiosmtpd's session chatter
    assert output.count("caught email to approver@example.test: Approval requested: demo") == 1
    assert "mail.log" not in output
    assert "ConnectionRefusedError" not in output


def _caught(database: Path, recipient: str) -> list[tuple[str, str]]:
    """Wait (up to a minute) for the catcher's row: the job cluster polls, then sends."""
    deadline = time.monotonic() + 60
    while True:
        with sqlite3.connect(database, timeout=20) as connection:
            rows = connection.execute(
                "SELECT channel, subject FROM oc_channels_caughtmessage WHERE recipient = ?", [recipient]
            ).fetchall()
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)

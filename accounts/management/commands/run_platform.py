"""Run the web server, a django-q2 cluster and the demo's local catchers (SMTP + HTTP, where the demo
channels deliver) together in the foreground; Ctrl-C stops all three. The platform's own e-mail
(EMAIL_URL: lifecycle notifications, alerts) goes to the SMTP catcher too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform (runserver) and run its job cluster (qcluster) until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        # The demo channels deliver to these ports (demo_channels reads the same settings).
        parser.add_argument(
            "--catcher-smtp-port", type=int, default=getattr(settings, "OC_DEMO_SMTP_PORT", 2525)
        )
        parser.add_argument(
            "--catcher-http-port", type=int, default=getattr(settings, "OC_DEMO_HTTP_PORT", 8025)
        )

    def handle(self, *args, host: str, port: int, catcher_smtp_port: int, catcher_http_port: int, **options):
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        email_url = f"smtp://127.0.0.1:{catcher_smtp_port}"
        env = {**os.environ, "EMAIL_URL": email_url}
        processes = {
            "web": subprocess.Popen(  # noqa: S603
                [*manage, "runserver", f"{host}:{port}", "--noreload"], env=env
            ),
            "jobs": subprocess.Popen([*manage, "qcluster"], env=env),  # noqa: S603
            "catchers": subprocess.Popen(  # noqa: S603
                [
                    *manage,
                    "run_catchers",
                    f"--smtp-port={catcher_smtp_port}",
                    f"--http-port={catcher_http_port}",
                ],
                env=env,
            ),
        }
        catching = f"SMTP 127.0.0.1:{catcher_smtp_port}, HTTP 127.0.0.1:{catcher_http_port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"serving http://{host}:{port}/admin/ with a job cluster and the demo catchers "
                f"({catching}); the platform's e-mail goes to the SMTP catcher (EMAIL_URL={email_url}); "
                "Ctrl-C stops"
            )
        )
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes.values()):
                time.sleep(0.3)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for name, process in processes.items():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.stderr.write(f"{name} did not stop in time; killing it")
                    process.kill()
        failed = [n for n, p in processes.items() if p.returncode not in (0, -signal.SIGINT, -signal.SIGTERM)]
        if failed and not stopping:
            raise SystemExit(f"stopped because {', '.join(failed)} exited")

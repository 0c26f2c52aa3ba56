"""Production mode (issue 12, section 1): collectstatic with the manifest storage, then the admin renders.

Everything runs in a subprocess without pytest, so the settings take their real production branch
(DEBUG off, whitenoise's CompressedManifestStaticFilesStorage, the deployment security settings).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs inside `manage.py shell`: the admin login page, Swagger UI and Redoc render, and every static
# file the pages reference is a hashed name whitenoise serves.
RENDER = r"""
import json, re
from django.test import Client
client = Client()
out = {}
for url in ("/admin/login/", "/api/schema/swagger/", "/api/schema/redoc/"):
    response = client.get(url, secure=True)
    out[url] = response.status_code
    if url == "/admin/login/":
        assets = re.findall(r'/static/[^"\']+\.[0-9a-f]{12}\.(?:css|js)', response.content.decode())
        out["assets"] = assets
        for asset in assets[:3]:
            out[asset] = client.get(asset, secure=True).status_code
print("RESULT " + json.dumps(out))
"""


def _production_env(tmp_path: Path) -> dict[str, str]:
    cleared = {"DATABASE_URL", "SECRET_KEY", "DEBUG", "TESTING", "Q_SYNC"}
    return {
        **{k: v for k, v in os.environ.items() if k not in cleared},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
    }


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_collectstatic_with_the_manifest_storage_then_the_admin_renders(tmp_path):
    env = _production_env(tmp_path)
    collected = _manage(env, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr[-3000:]
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert "vendor/chartjs-4.6.1/chart.umd.min.js" in manifest["paths"]

    rendered = _manage(env, "shell", "-c", RENDER)
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    result = json.loads(rendered.stdout.split("RESULT ", 1)[1])
    assert result["/admin/login/"] == 200
    assert result["/api/schema/swagger/"] == 200
    assert result["/api/schema/redoc/"] == 200
    assert result["assets"], "the login page references no hashed static file"
    for asset in result["assets"][:3]:
        assert result[asset] == 200, asset


def test_vendored_files_reference_no_missing_source_map():
    """A `sourceMappingURL` to a file that is not shipped makes the manifest storage abort."""
    missing = []
    for path in (ROOT / "static").rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        for line in path.read_text(errors="replace").splitlines():
            if "sourceMappingURL=" in line:
                target = line.split("sourceMappingURL=", 1)[1].strip().rstrip("*/").strip()
                if not target.startswith("data:") and not (path.parent / target).exists():
                    missing.append(f"{path.relative_to(ROOT)} -> {target}")
    assert missing == []


def test_deploy_check_passes_with_the_documented_tls_proxy_settings(tmp_path):
    """README, Production: behind a TLS proxy, these variables leave `check --deploy` without a warning."""
    env = {
        **_production_env(tmp_path),
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
    }
    checked = _manage(env, "check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
    assert checked.returncode == 0, checked.stderr[-3000:]

    without_hsts = {k: v for k, v in env.items() if not k.startswith("SECURE_HSTS")}
    warned = _manage(without_hsts, "check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
    assert warned.returncode != 0 and "security.W004" in warned.stderr

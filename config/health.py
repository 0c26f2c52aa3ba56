"""/healthz: is the database reachable, is the job broker reachable. JSON, 200 or 503."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as error:
        logger.warning("health: database unreachable: %s", error)
        return {"ok": False, "vendor": connection.vendor, "error": type(error).__name__}


def broker_check(broker=None) -> dict:
    """Ping the broker and read its queue length (the ORM broker's ping alone proves nothing)."""
    from django_q.brokers import get_broker

    try:
        broker = broker or get_broker()
        ok = bool(broker.ping())
        return {"ok": ok, "kind": type(broker).__name__, "queued": broker.queue_size() if ok else None}
    except Exception as error:
        logger.warning("health: broker unreachable: %s", error)
        return {"ok": False, "error": type(error).__name__}


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database(), "broker": broker_check()}
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)

"""The one way the platform enqueues work.

A job is enqueued only once the transaction that asked for it commits (a rolled-back request
never starts a job), and carries ids only: the task reloads what it needs, so a retried or
re-delivered task sees the current rows, and payloads stay small and signable.
"""

from __future__ import annotations

from django.db import transaction

ALLOWED_ARGUMENT_TYPES = (int, str, bool, type(None))


def enqueue_on_commit(func: str, *args, group: str | None = None, **options) -> None:
    """Queue ``func`` (a dotted path) with scalar ids once the current transaction commits."""
    bad = [a for a in args if not isinstance(a, ALLOWED_ARGUMENT_TYPES)]
    if bad:
        raise TypeError(f"job arguments must be ids or short scalars, got {[type(a).__name__ for a in bad]}")

    def send() -> None:
        from django_q.tasks import async_task

        async_task(func, *args, group=group, **options)

    transaction.on_commit(send)

"""django-q2 entry points: id-only payloads, each calls one engine function or service."""

from __future__ import annotations

from campaigns.engine.executor import task_execute as _execute
from campaigns.services import runs


def task_execute(task_id: int) -> str:
    return _execute(int(task_id))


def task_continue(task_id: int) -> None:
    runs.task_continue(task_id=int(task_id))


def tasks_reap() -> int:
    return len(runs.tasks_reap())


def worktables_purge() -> int:
    return runs.worktables_purge()


def schedules_tick() -> dict:
    """Every minute (django-q Schedule): fire due schedule occurrences once, settle finished campaigns."""
    from campaigns.schedules.tick import schedules_tick as tick

    return tick()


def campaigns_purge_archived() -> int:
    from campaigns.schedules.tick import purge_archived

    return purge_archived()


def lifecycle_notify(event_id: int) -> int:
    from campaigns.lifecycle.notifications import lifecycle_notify as notify

    return notify(int(event_id))

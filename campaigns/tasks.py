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

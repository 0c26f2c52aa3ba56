"""Executing one task: claim it, run its activity's SQL in one transaction, record the results, advance.

Idempotent: outputs are (re)created under names fixed by run and transition ids, so a re-delivered or
re-queued task replaces what an earlier attempt left. A task whose run was stopped, restarted or
removed while it ran rolls back everything it wrote.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.activities import registry
from campaigns.activities.base import Outcome
from campaigns.engine import scheduler
from campaigns.engine.context import ExecutionContext, InputTable
from campaigns.engine.events import run_event
from campaigns.lifecycle import engine_hooks
from campaigns.models import Run, RunStatus, Task, TaskStatus, Transition, TransitionResult

logger = logging.getLogger(__name__)


class Abandoned(Exception):
    """The task was taken away (run stopped or restarted) while it executed: roll back quietly."""


def task_execute(task_id: int) -> str:
    attempt = _claim(task_id)
    if attempt is None:
        return "skipped"
    beat = _Heartbeat(task_id)
    beat.start()
    started = time.monotonic()
    try:
        with transaction.atomic():
            _execute(task_id, attempt, started)
        return "done"
    except Abandoned:
        return "abandoned"
    except Exception as exc:  # the activity failed: record it, fail the run
        logger.exception("Campaign task %s failed", task_id)
        _fail(task_id, attempt, exc)
        return "failed"
    finally:
        beat.stop()


def _claim(task_id: int) -> int | None:
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("run").filter(pk=task_id).first()
        if task is None or task.status != TaskStatus.QUEUED or task.run.status != RunStatus.RUNNING:
            return None
        task.status = TaskStatus.RUNNING
        task.attempt += 1
        task.started_at = task.heartbeat_at = timezone.now()
        task.backend_pid = _backend_pid()
        task.error = ""
        task.save(update_fields=["status", "attempt", "started_at", "heartbeat_at", "backend_pid", "error"])
        return task.attempt


def _execute(task_id: int, attempt: int, started: float) -> None:
    task = Task.objects.select_related("run__campaign", "activity").get(pk=task_id)
    run, activity = task.run, task.activity
    if activity is None:
        raise Abandoned()
    edges = list(
        Transition.objects.filter(Q(source=activity) | Q(target=activity))
        .select_related("source", "target")
        .order_by("id")
    )
    wired = {t.output: t for t in edges if t.source_id == activity.pk}
    inbound = [(t.source.key, t.output) for t in edges if t.target_id == activity.pk]
    results = {(r.source_key, r.output): r for r in run.results.select_related("dimension__schema")}
    inputs = []
    for source_key, output in inbound:
        r = results.get((source_key, output))
        if r is not None and r.activated and r.table_name:
            inputs.append(
                InputTable(source_key, r.table_name, r.row_count, r.dimension, r.key_columns, r.columns)
            )
    ctx = ExecutionContext(run=run, task=task, activity=activity, wired=wired)
    ctx.drop_stale_scratch()
    activity_type = registry.get(activity.type)
    if activity_type is None:  # an unregistered channel type: a test run pauses here
        outcome_pause, message, wait_until = True, _("Channel activities come with the channels issue."), None
    else:
        # A launched live run reads the published version's bytes; a held send pauses (lifecycle).
        config = activity_type.parse(engine_hooks.live_config(run, activity))
        held = engine_hooks.hold(run, activity, activity_type, config)
        try:
            outcome = (
                Outcome(pause=True, message=held) if held else activity_type.execute(ctx, inputs, config)
            )
        finally:
            ctx.cleanup()
        outcome_pause, message, wait_until = outcome.pause, outcome.message, outcome.wait_until

    locked_run = Run.objects.select_for_update().get(pk=run.pk)
    current = (
        Task.objects.select_for_update()
        .filter(pk=task_id, attempt=attempt, status=TaskStatus.RUNNING)
        .first()
    )
    if current is None or locked_run.status not in (RunStatus.RUNNING, RunStatus.PAUSED):
        raise Abandoned()
    current.input_count = sum(i.count for i in inputs)
    current.sql = ";\n".join(ctx.statements)
    current.message = str(message or "")
    current.duration_ms = int((time.monotonic() - started) * 1000)
    current.heartbeat_at = timezone.now()
    if outcome_pause:
        current.status = TaskStatus.PAUSED
        run_event(locked_run, message, activity_key=activity.key)
    elif wait_until is not None:
        current.status = TaskStatus.WAITING
        current.due_at = wait_until
        _schedule_continuation(current)
        run_event(locked_run, message, activity_key=activity.key)
    else:
        current.status = TaskStatus.DONE
        current.finished_at = timezone.now()
        current.output_count = _record_outputs(locked_run, ctx, wired)
        run_event(
            locked_run,
            _("%(key)s: %(n)s in, %(m)s out.")
            % {"key": activity.key, "n": current.input_count, "m": current.output_count},
            activity_key=activity.key,
        )
    current.save()
    if current.status == TaskStatus.DONE:
        scheduler.advance(locked_run)
    else:
        scheduler.settle(locked_run, locked_run.tasks.all())


def _record_outputs(run: Run, ctx: ExecutionContext, wired: dict) -> int:
    total = 0
    for output, transition in wired.items():
        p = ctx.produced.get(output)
        if p is None:
            scheduler.not_activated(run, transition)
            continue
        TransitionResult.objects.update_or_create(
            run=run,
            source_key=ctx.activity.key,
            output=output,
            defaults={
                "transition": transition,
                "target_key": transition.target.key,
                "activated": True,
                "table_name": p.name,
                "row_count": p.count,
                "dimension": p.dimension,
                "key_columns": p.key_columns,
                "columns": p.columns,
            },
        )
        total += p.count
    return total


def _schedule_continuation(task: Task) -> None:
    """A one-off django-q schedule re-queues the task at its due time; no worker waits meanwhile."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=continuation_name(task),
        defaults={
            "func": "campaigns.tasks.task_continue",
            "args": str(task.pk),
            "schedule_type": Schedule.ONCE,
            "next_run": task.due_at,
            "repeats": 1,
        },
    )


def continuation_name(task: Task) -> str:
    return f"campaign-run-{task.run_id}-task-{task.pk}"


def _fail(task_id: int, attempt: int, exc: Exception) -> None:
    with transaction.atomic():
        task = (
            Task.objects.select_for_update().select_related("run").filter(pk=task_id, attempt=attempt).first()
        )
        if task is None or task.status != TaskStatus.RUNNING:
            return
        run = Run.objects.select_for_update().get(pk=task.run_id)
        task.status = TaskStatus.FAILED
        task.finished_at = timezone.now()
        task.error = str(exc)[:4000]
        task.save(update_fields=["status", "finished_at", "error"])
        if run.status in (RunStatus.RUNNING, RunStatus.PAUSED):
            run_event(
                run,
                _("%(key)s failed: %(error)s") % {"key": task.activity_key, "error": task.error},
                level="error",
                activity_key=task.activity_key,
            )
            scheduler.settle(run, run.tasks.all())


def _backend_pid() -> int | None:
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    raw = connection.connection
    cached = getattr(connection, "_oc_backend_pid", None)
    if cached is None or cached[0] is not raw:  # one query per database connection, not per task
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            cached = (raw, cursor.fetchone()[0])
        connection._oc_backend_pid = cached
    return cached[1]


class _Heartbeat:
    """Touches ``heartbeat_at`` from a side thread (own connection) while a long statement runs.

    Off on SQLite, where a second writer would only wait for the task's own transaction.
    """

    def __init__(self, task_id: int):
        self.task_id = task_id
        self.interval = getattr(settings, "OC_CAMPAIGN_HEARTBEAT_SECONDS", 10)
        self._stop = threading.Event()
        self._thread = None

    def start(self) -> None:
        if connection.vendor != "postgresql" or self.interval <= 0 or settings.Q_CLUSTER.get("sync"):
            return
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from django.db import connections

        try:
            while not self._stop.wait(self.interval):
                Task.objects.filter(pk=self.task_id, status=TaskStatus.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

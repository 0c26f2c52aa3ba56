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
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.activities import registry
from campaigns.activities.base import Outcome
from campaigns.engine import rules, scheduler
from campaigns.engine.context import ExecutionContext, InputTable, run_memo
from campaigns.engine.events import run_event
from campaigns.engine.graphcache import graph_of
from campaigns.lifecycle import engine_hooks
from campaigns.models import Run, RunStatus, Task, TaskStatus, TransitionResult

logger = logging.getLogger(__name__)


class Abandoned(Exception):
    """The task was taken away (run stopped or restarted) while it executed: roll back quietly."""


def task_execute(task_id: int) -> str:
    task = _claim(task_id)
    if task is None:
        return "skipped"
    attempt = task.attempt
    beat = _Heartbeat(task_id)
    beat.start()
    started = time.monotonic()
    try:
        with transaction.atomic(), run_memo(task.run):
            _execute(task, started)
        return "done"
    except Abandoned:
        return "abandoned"
    except Exception as exc:  # the activity failed: record it, fail the run
        logger.exception("Campaign task %s failed", task_id)
        _fail(task_id, attempt, exc)
        return "failed"
    finally:
        beat.stop()


def _claim(task_id: int) -> Task | None:
    """Mark the task running (one locked read, one update); the row read here serves the whole task."""
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self", "run"))
            .select_related("run__campaign", "activity")
            .filter(pk=task_id)
            .first()
        )
        if task is None or task.status != TaskStatus.QUEUED or task.run.status != RunStatus.RUNNING:
            return None
        task.status = TaskStatus.RUNNING
        task.attempt += 1
        task.started_at = task.heartbeat_at = timezone.now()
        task.backend_pid = _backend_pid()
        task.error = ""
        task.save(update_fields=["status", "attempt", "started_at", "heartbeat_at", "backend_pid", "error"])
        return task


def _execute(task: Task, started: float) -> None:
    run, activity, attempt = task.run, task.activity, task.attempt
    if activity is None:
        raise Abandoned()
    graph = graph_of(run.campaign)
    wired = {t.output: t for t in graph.outbound(activity.key)}
    inbound = [(t.source.key, t.output) for t in graph.inbound(activity.key)]
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
            with rules.pinned_definitions(engine_hooks.live_pins(run)):
                outcome = (
                    Outcome(pause=True, message=held) if held else activity_type.execute(ctx, inputs, config)
                )
        finally:
            ctx.cleanup()
        outcome_pause, message, wait_until = outcome.pause, outcome.message, outcome.wait_until

    # Under the run lock (the serialisation point of the scheduler), the task's row is written only if
    # this attempt still owns it: a stop, restart or reap in between makes the update match nothing.
    locked_run = Run.objects.select_for_update().get(pk=run.pk)
    if locked_run.status not in (RunStatus.RUNNING, RunStatus.PAUSED):
        raise Abandoned()
    task.input_count = sum(i.count for i in inputs)
    task.sql = ";\n".join(ctx.statements)
    task.message = str(message or "")
    task.duration_ms = int((time.monotonic() - started) * 1000)
    task.heartbeat_at = timezone.now()
    if outcome_pause:
        task.status = TaskStatus.PAUSED
        event = message
    elif wait_until is not None:
        task.status = TaskStatus.WAITING
        task.due_at = wait_until
        event = message
    else:
        task.status = TaskStatus.DONE
        task.finished_at = timezone.now()
        task.output_count = sum(p.count for o, p in ctx.produced.items() if o in wired)
        event = _("%(key)s: %(n)s in, %(m)s out.") % {
            "key": activity.key,
            "n": task.input_count,
            "m": task.output_count,
        }
    owned = Task.objects.filter(pk=task.pk, attempt=attempt, status=TaskStatus.RUNNING).update(
        **{f: getattr(task, f) for f in _FINISH_FIELDS}
    )
    if not owned:
        raise Abandoned()
    if task.status == TaskStatus.WAITING:
        _schedule_continuation(task)
    if task.status == TaskStatus.DONE:
        _record_outputs(locked_run, ctx, wired, replace=attempt > 1)
    run_event(locked_run, event, activity_key=activity.key)
    if task.status == TaskStatus.DONE:
        scheduler.advance(locked_run, graph=graph)
    else:
        scheduler.settle(locked_run, locked_run.tasks.all())


_FINISH_FIELDS = (
    "status",
    "input_count",
    "output_count",
    "sql",
    "message",
    "duration_ms",
    "heartbeat_at",
    "finished_at",
    "due_at",
)


def _record_outputs(run: Run, ctx: ExecutionContext, wired: dict, *, replace: bool) -> None:
    """One statement for every output's result (activated or not); a retried attempt replaces its own."""
    rows = []
    for output, transition in wired.items():
        p = ctx.produced.get(output)
        rows.append(
            TransitionResult(
                run=run,
                transition=transition,
                source_key=ctx.activity.key,
                output=output,
                target_key=transition.target.key,
                activated=p is not None,
                table_name=p.name if p else "",
                row_count=p.count if p else 0,
                dimension=p.dimension if p else None,
                key_columns=p.key_columns if p else [],
                columns=p.columns if p else [],
            )
        )
    if replace:
        run.results.filter(source_key=ctx.activity.key).delete()
    if rows:
        TransitionResult.objects.bulk_create(rows)


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

"""Run commands: start, stop, pause, resume, restart; the reaper, the Wait continuation and the purge.

Commands lock the run row, change statuses, and enqueue tasks once the transaction commits. Test runs
need ``test_run`` on the campaign. A live run is never started here: publishing the approved version
is the only way (``campaigns.lifecycle.launches``), so what runs live is what was approved. Commands on
an existing live run need ``run_live`` (Administrators); the lifecycle's pause/stop act on campaigns.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can
from campaigns.engine import scheduler, worktables
from campaigns.engine.events import run_event
from campaigns.engine.executor import continuation_name
from campaigns.models import Campaign, Run, RunKind, RunStatus, Task, TaskStatus
from campaigns.models.runs import ACTIVE_RUN_STATUSES
from campaigns.services.graph import campaign_graph_check, graph_errors_as_validation


def _refusals() -> dict[str, str]:
    """The refusal of each run command, naming the command the user tried."""
    return {
        "start": _("You may not start this kind of run on this campaign."),
        "stop": _("You may not stop this run."),
        "pause": _("You may not pause this run."),
        "resume": _("You may not resume this run."),
        "restart": _("You may not restart this run."),
    }


def _require(actor, campaign: Campaign, kind: str, command: str = "start") -> None:
    action = "run_live" if kind == RunKind.LIVE else "test_run"
    if not can(actor, action, campaign):
        raise PermissionDenied(_refusals()[command])


@transaction.atomic
def run_start(*, actor, campaign: Campaign, kind: str = RunKind.TEST, variables: dict | None = None) -> Run:
    """Start a test run of the stored graph; the graph must be valid and no other run of it active.

    A live run is refused for everybody: it starts only by publishing the approved version."""
    if kind not in RunKind.values:
        raise ValidationError({"kind": _("Choose test or live.")})
    if kind == RunKind.LIVE:
        raise PermissionDenied(
            _(
                "A live run starts only by publishing the approved version: request approval, have it "
                "approved, then publish the campaign."
            )
        )
    _require(actor, campaign, kind)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.runs.filter(status__in=ACTIVE_RUN_STATUSES).exists():
        raise ValidationError({"campaign": _("A run of this campaign is already in progress.")})
    errors = campaign_graph_check(locked)
    if errors:
        raise graph_errors_as_validation(errors)
    if not locked.activities.exists():
        raise ValidationError({"graph": _("The campaign has no activity.")})
    if variables is not None and not isinstance(variables, dict):
        raise ValidationError({"variables": _("Expected an object.")})
    run = Run.objects.create(
        campaign=locked,
        kind=kind,
        started_by=actor,
        variables=variables or {},
        graph_version=locked.graph_version,
        started_at=timezone.now(),
    )
    run_event(run, _("%(kind)s started by %(user)s.") % {"kind": run.get_kind_display(), "user": actor})
    scheduler.advance(run)
    return run


def _lock_run(actor, run: Run, command: str) -> Run:
    locked = Run.objects.select_for_update().select_related("campaign").get(pk=run.pk)
    _require(actor, locked.campaign, locked.kind, command)
    return locked


@transaction.atomic
def run_stop(*, actor, run: Run) -> Run:
    """Stop: nothing more starts; running SQL is cancelled on PostgreSQL; Wait schedules are removed."""
    locked = _lock_run(actor, run, "stop")
    if locked.status not in ACTIVE_RUN_STATUSES:
        raise ValidationError({"status": _("The run is not in progress.")})
    _halt(locked)
    locked.status = RunStatus.STOPPED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "finished_at"])
    run_event(locked, _("Stopped by %(user)s.") % {"user": actor})
    return locked


def _halt(run: Run) -> None:
    from django_q.models import Schedule

    tasks = list(run.tasks.select_for_update())
    Schedule.objects.filter(name__in=[continuation_name(t) for t in tasks]).delete()
    pids = [t.backend_pid for t in tasks if t.status == TaskStatus.RUNNING and t.backend_pid]
    run.tasks.filter(status__in=[TaskStatus.QUEUED, TaskStatus.WAITING, TaskStatus.PAUSED]).update(
        status=TaskStatus.SKIPPED, finished_at=timezone.now()
    )
    run.tasks.filter(status=TaskStatus.RUNNING).update(
        status=TaskStatus.FAILED, error=_("Stopped."), finished_at=timezone.now()
    )
    if pids and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for pid in pids:
                cursor.execute("SELECT pg_cancel_backend(%s)", [pid])


@transaction.atomic
def run_pause(*, actor, run: Run) -> Run:
    """Pause: running tasks finish, nothing new starts until resumed."""
    locked = _lock_run(actor, run, "pause")
    if locked.status != RunStatus.RUNNING:
        raise ValidationError({"status": _("Only a running run can be paused.")})
    locked.status = RunStatus.PAUSED
    locked.save(update_fields=["status"])
    run_event(locked, _("Paused by %(user)s.") % {"user": actor})
    return locked


@transaction.atomic
def run_resume(*, actor, run: Run) -> Run:
    """Resume: paused tasks (breakpoints, channel placeholders) and queued ones are queued again."""
    locked = _lock_run(actor, run, "resume")
    if locked.status != RunStatus.PAUSED:
        raise ValidationError({"status": _("Only a paused run can be resumed.")})
    locked.status = RunStatus.RUNNING
    locked.save(update_fields=["status"])
    run_event(locked, _("Resumed by %(user)s.") % {"user": actor})
    for task in locked.tasks.filter(status__in=[TaskStatus.PAUSED, TaskStatus.QUEUED]):
        task.status = TaskStatus.QUEUED
        task.save(update_fields=["status"])
        scheduler.enqueue(task)
    scheduler.advance(locked)
    return locked


@transaction.atomic
def run_restart(*, actor, run: Run) -> Run:
    """Restart a test run from the beginning: its tasks, results and working tables are cleared."""
    locked = _lock_run(actor, run, "restart")
    if locked.kind != RunKind.TEST:
        raise ValidationError({"kind": _("Only a test run can be restarted.")})
    if (
        Run.objects.filter(campaign=locked.campaign, status__in=ACTIVE_RUN_STATUSES)
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise ValidationError({"campaign": _("Another run of this campaign is in progress.")})
    errors = campaign_graph_check(locked.campaign)
    if errors:
        raise graph_errors_as_validation(errors)
    _halt(locked)
    _drop_tables(locked)
    locked.tasks.all().delete()
    locked.results.all().delete()
    locked.status = RunStatus.RUNNING
    locked.graph_version = locked.campaign.graph_version
    locked.started_at, locked.finished_at, locked.purged_at = timezone.now(), None, None
    locked.save(update_fields=["status", "graph_version", "started_at", "finished_at", "purged_at"])
    run_event(locked, _("Restarted by %(user)s.") % {"user": actor})
    scheduler.advance(locked)
    return locked


def _drop_tables(run: Run) -> None:
    for name in run.results.exclude(table_name="").values_list("table_name", flat=True):
        worktables.drop(name)


@transaction.atomic
def task_continue(*, task_id: int) -> None:
    """A Wait's due time came: queue the task again (called by its one-off schedule)."""
    task = Task.objects.select_for_update().select_related("run").filter(pk=task_id).first()
    if task is None or task.status != TaskStatus.WAITING:
        return
    task.status = TaskStatus.QUEUED
    task.save(update_fields=["status"])
    if task.run.status == RunStatus.RUNNING:
        scheduler.enqueue(task)


def tasks_reap(*, now: dt.datetime | None = None) -> list[int]:
    """Re-queue running tasks whose heartbeat stopped (their worker died); returns their ids."""
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=getattr(settings, "OC_CAMPAIGN_HEARTBEAT_TIMEOUT", 120))
    reaped = []
    for task_id in Task.objects.filter(status=TaskStatus.RUNNING, heartbeat_at__lt=limit).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            task = Task.objects.select_for_update().select_related("run").get(pk=task_id)
            if task.status != TaskStatus.RUNNING or task.heartbeat_at >= limit:
                continue
            task.status = TaskStatus.QUEUED
            task.message = _("Re-queued: the worker stopped answering.")
            task.save(update_fields=["status", "message"])
            run_event(task.run, task.message, level="warning", activity_key=task.activity_key)
            if task.run.status == RunStatus.RUNNING:
                scheduler.enqueue(task)
            reaped.append(task_id)
    return reaped


def worktables_purge(*, now: dt.datetime | None = None) -> int:
    """Drop the working tables of finished runs older than the retention; returns how many runs."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=getattr(settings, "OC_WORKING_TABLE_RETENTION_DAYS", 5))
    runs = Run.objects.filter(purged_at__isnull=True, finished_at__lt=cutoff).exclude(
        status__in=ACTIVE_RUN_STATUSES
    )
    purged = 0
    for run in runs:
        with transaction.atomic():
            _drop_tables(run)
            run.purged_at = now
            run.save(update_fields=["purged_at"])
            purged += 1
    return purged

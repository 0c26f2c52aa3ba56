"""Which activities are ready, and what a run's status is once its tasks settle.

Called under a lock on the run row (``select_for_update``), so concurrent tasks finishing at once
agree on who starts an AND-join or a Combine, and a task is created at most once per activity.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.activities import registry
from campaigns.engine.events import run_event
from campaigns.engine.graphcache import Graph, graph_of
from campaigns.models import Run, RunStatus, Task, TaskStatus, Transition, TransitionResult
from jobs.queue import enqueue_on_commit

EXECUTE = "campaigns.tasks.task_execute"


def enqueue(task: Task) -> None:
    enqueue_on_commit(EXECUTE, task.pk, group=f"campaign-run-{task.run_id}")


def advance(run: Run, *, graph: Graph | None = None) -> None:
    """Create the tasks of every activity whose inputs have all resolved; then settle the run."""
    if graph is None:
        graph = graph_of(run.campaign)
    activities = graph.activities
    inbound: dict[str, list[Transition]] = {k: [] for k in activities}
    outbound: dict[str, list[Transition]] = {k: [] for k in activities}
    for t in graph.transitions:
        inbound[t.target.key].append(t)
        outbound[t.source.key].append(t)
    results = {(r.source_key, r.output): r for r in run.results.all()}
    tasks = {t.activity_key: t for t in run.tasks.all()}
    changed = True
    while changed:  # skipping an activity resolves its outputs, which may make others ready
        changed = False
        for key, activity in activities.items():
            if key in tasks:
                continue
            resolved = [results.get((t.source.key, t.output)) for t in inbound[key]]
            if any(r is None for r in resolved):
                continue
            activated = [r for r in resolved if r.activated]
            activity_type = registry.get(activity.type)
            join_all = bool(activity_type and activity_type.join_all)
            runs = activity.enabled and (
                not inbound[key] or (len(activated) == len(resolved) if join_all else bool(activated))
            )
            if runs:
                status = TaskStatus.PAUSED if activity.breakpoint else TaskStatus.QUEUED
                paused = status == TaskStatus.PAUSED
                task = Task.objects.create(
                    run=run,
                    activity=activity,
                    activity_key=key,
                    type=activity.type,
                    status=status,
                    message=_("Paused at a breakpoint.") if paused else "",
                )
                if paused:
                    run_event(run, _("Paused at a breakpoint."), activity_key=key)
                elif run.status == RunStatus.RUNNING:
                    enqueue(task)
            else:
                task = Task.objects.create(
                    run=run,
                    activity=activity,
                    activity_key=key,
                    type=activity.type,
                    status=TaskStatus.SKIPPED,
                    input_count=0,
                    finished_at=timezone.now(),
                )
                for t in outbound[key]:
                    results[(key, t.output)] = not_activated(run, t)
            tasks[key] = task
            changed = True
    settle(run, tasks.values())


def not_activated(run: Run, transition: Transition) -> TransitionResult:
    result, _created = TransitionResult.objects.update_or_create(
        run=run,
        source_key=transition.source.key,
        output=transition.output,
        defaults={
            "transition": transition,
            "target_key": transition.target.key,
            "activated": False,
            "table_name": "",
            "row_count": 0,
            "dimension": None,
            "columns": [],
            "key_columns": [],
        },
    )
    return result


def settle(run: Run, tasks) -> None:
    """Finish or pause the run once no task is queued, running or waiting."""
    tasks = list(tasks)
    if run.status not in (RunStatus.RUNNING, RunStatus.PAUSED):
        return
    if any(t.status in (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.WAITING) for t in tasks):
        return
    if any(t.status == TaskStatus.FAILED for t in tasks):
        _finish(run, RunStatus.FAILED, _("The run failed."))
    elif any(t.status == TaskStatus.PAUSED for t in tasks):
        if run.status != RunStatus.PAUSED:
            run.status = RunStatus.PAUSED
            run.save(update_fields=["status"])
            run_event(run, _("The run is paused."))
    else:
        _finish(run, RunStatus.DONE, _("The run finished."))


def _finish(run: Run, status: str, message: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    run_event(run, message, level="error" if status == RunStatus.FAILED else "info")

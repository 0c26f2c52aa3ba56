"""Helpers of the lifecycle tests: a gold-customer campaign, its clean test run, review and publish."""

from __future__ import annotations

from accounts.services import user_create
from campaigns.engine.executor import task_execute
from campaigns.lifecycle import services
from campaigns.models import Run, RunKind, TaskStatus
from campaigns.services.runs import run_start
from campaigns.tests.graphs import A, T, campaign_with

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}
SILVER = {"type": "condition", "field": "tier", "operator": "equal", "value": "silver"}


def gold_campaign(owner, *, name="Gold customers", end_config=None):
    return campaign_with(
        owner,
        [
            A("gold", "targeting.build_audience", dimension="customers", rule=GOLD),
            A("done", "flow.end", **(end_config or {})),
        ],
        [T("gold", "done")],
        name=name,
    )


def execute_queued(run: Run) -> Run:
    """Execute the run's queued tasks in this process until none is left (no job queue needed)."""
    while True:
        task = run.tasks.filter(status=TaskStatus.QUEUED).order_by("id").first()
        if task is None:
            break
        task_execute(task.pk)
    run.refresh_from_db()
    return run


def clean_test_run(campaign, actor) -> Run:
    return execute_queued(run_start(actor=actor, campaign=campaign, kind=RunKind.TEST))


def in_review(campaign, requester, comment="Please review"):
    clean_test_run(campaign, requester)
    return services.campaign_request_approval(actor=requester, campaign=campaign, comment=comment)


def approved(campaign, requester, approver):
    in_review(campaign, requester)
    return services.campaign_approve(actor=approver, campaign=campaign, comment="Fine")


def manager_and_approver(name="both"):
    return user_create(username=name, email=f"{name}@example.test", profiles=["Manager", "Approver"])


def live_run_of(campaign) -> Run | None:
    return Run.objects.filter(campaign=campaign, kind=RunKind.LIVE).order_by("-id").first()

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


def publish(drive, campaign, requester, *, schedule: dict | None = None, approver=None):
    """Take ``campaign`` through the lifecycle like people do: optional schedule, a clean test run,
    request approval (``requester``), approve and publish (a separate Approver): the only way a live
    run starts. Jobs enqueued on commit run in this process. Returns the approver (who may trigger and
    confirm sends)."""
    from campaigns.schedules.services import schedule_save

    if approver is None:
        approver = user_create(
            username=f"publisher-{campaign.pk}",
            email=f"publisher-{campaign.pk}@example.test",
            profiles=["Approver"],
        )
    if schedule is not None:
        schedule_save(actor=requester, campaign=campaign, data=schedule)
    test = drive(run_start, actor=requester, campaign=campaign, kind=RunKind.TEST)
    test.refresh_from_db()
    assert test.status == "done", [(t.activity_key, t.status, t.error) for t in test.tasks.all()]
    services.campaign_request_approval(actor=requester, campaign=campaign, comment="Ready")
    services.campaign_approve(actor=approver, campaign=campaign, comment="Fine")
    drive(services.campaign_publish, actor=approver, campaign=campaign)
    campaign.refresh_from_db()
    return approver

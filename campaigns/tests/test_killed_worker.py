"""A real django-q2 cluster whose worker is SIGKILLed mid-task: the reaper re-queues the task and the
run finishes with the counts of an uninterrupted run. Also the heartbeat thread on its own.

PostgreSQL only: the heartbeat thread (what tells a live task from a dead one) runs on PostgreSQL,
where a second connection can write while the task's transaction is open.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from dataclasses import dataclass

import pytest
from django.db import connection, connections
from django.utils import timezone

from campaigns.activities import registry
from campaigns.activities.base import ActivityType, Outcome
from campaigns.engine import executor
from campaigns.engine.context import pass_through
from campaigns.models import Run, RunStatus, Task, TaskStatus
from campaigns.services import runs as run_services
from campaigns.tests.graphs import A, T, campaign_with, counts

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}


@dataclass
class NapConfig:
    seconds: float = 60.0


class Nap(ActivityType):
    """Test-only: passes its input through after sleeping on its first attempt (writing the worker's
    pid to ``pid_dir``), so a test can kill the worker while the task's transaction is open."""

    key = "test.nap"
    label = "Nap"
    category = "flow"
    Config = NapConfig
    pid_dir = None

    def execute(self, ctx, inputs, config):
        pass_through(ctx, inputs[0])  # written first: the kill must roll this back
        if ctx.task.attempt == 1:
            (self.pid_dir / f"{ctx.task.pk}.pid").write_text(str(os.getpid()))
            time.sleep(config.seconds)
        return Outcome()


@pytest.fixture
def nap(tmp_path):
    registry.register(Nap)
    Nap.pid_dir = tmp_path
    yield tmp_path
    registry.unregister(Nap.key)


def napping_campaign(actor, name, seconds):
    return campaign_with(
        actor,
        [
            A("gold", "targeting.build_audience", dimension="customers", rule=GOLD),
            A("nap", Nap.key, seconds=seconds),
            A(
                "split",
                "targeting.split",
                subsets=[{"code": "half", "limit": {"kind": "percent", "value": 50}}],
                complement=True,
            ),
            A("e1", "flow.end"),
            A("e2", "flow.end"),
        ],
        [T("gold", "nap"), T("nap", "split"), T("split", "e1", "half"), T("split", "e2", "complement")],
        name=name,
    )


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sigkilled_worker_is_reaped_and_the_run_finishes_with_the_same_counts(
    shop, administrator, nap, settings, monkeypatch
):
    from django_q.brokers import get_broker
    from django_q.cluster import Cluster
    from django_q.conf import Conf

    if connection.vendor != "postgresql":
        pytest.skip("the heartbeat thread runs on PostgreSQL only")
    # given the counts of an uninterrupted run (its jobs run in-process, a nap of 0 s)
    reference_campaign = napping_campaign(administrator, "reference", 0)
    reference = Run.objects.get(
        pk=run_services.run_start(actor=administrator, campaign=reference_campaign).pk
    )
    assert reference.status == RunStatus.DONE
    # and a real cluster (forked workers) with a short heartbeat
    settings.OC_CAMPAIGN_HEARTBEAT_SECONDS = 0.5
    settings.OC_CAMPAIGN_HEARTBEAT_TIMEOUT = 3
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    monkeypatch.setattr(Conf, "SYNC", False)
    campaign = napping_campaign(administrator, "killed", 60)
    connections.close_all()  # forked workers must open their own connections, not share ours
    cluster = Cluster(get_broker())
    cluster.start()
    try:
        run = run_services.run_start(actor=administrator, campaign=campaign)
        nap_task = wait_for(
            lambda: Task.objects.filter(run=run, activity_key="nap", status=TaskStatus.RUNNING).first(),
            60,
            "the nap task to run",
        )
        pid_file = nap / f"{nap_task.pk}.pid"
        pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), 30, "the worker's pid"))
        first_beat = nap_task.heartbeat_at
        # the heartbeat thread of the worker keeps the task alive while it sleeps
        wait_for(lambda: Task.objects.get(pk=nap_task.pk).heartbeat_at > first_beat, 10, "a heartbeat")
        # when the worker process is killed mid-task (its transaction dies with it)
        os.kill(pid, signal.SIGKILL)
        assert run_services.tasks_reap() == []  # the heartbeat is still fresh
        # then the heartbeat stops; once it is older than the timeout the reaper re-queues the task
        reaped = wait_for(lambda: run_services.tasks_reap(), 30, "the reaper to re-queue the task")
        assert reaped == [nap_task.pk]
        # and a surviving (or reincarnated) worker finishes the run with the same counts
        wait_for(lambda: Run.objects.get(pk=run.pk).status not in (RunStatus.RUNNING,), 90, "the run to end")
    finally:
        cluster.stop()
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert counts(run) == counts(reference)
    task = Task.objects.get(pk=nap_task.pk)
    assert (task.status, task.attempt) == (TaskStatus.DONE, 2)
    assert run.events.filter(level="warning", activity_key="nap").exists()  # the re-queue is logged


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_touches_a_running_task_until_stopped(
    shop, administrator, settings, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("the heartbeat thread runs on PostgreSQL only")
    # given a running task and a half-second heartbeat outside the in-process job mode
    settings.OC_CAMPAIGN_HEARTBEAT_SECONDS = 0.5
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    monkeypatch.setattr("campaigns.engine.scheduler.enqueue", lambda task: None)  # this test is the worker
    campaign = campaign_with(
        administrator,
        [A("gold", "targeting.build_audience", dimension="customers", rule=GOLD), A("e", "flow.end")],
        [T("gold", "e")],
    )
    run = run_services.run_start(actor=administrator, campaign=campaign)
    task = executor._claim(run.tasks.get().pk)
    Task.objects.filter(pk=task.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=5))
    stale = Task.objects.get(pk=task.pk).heartbeat_at
    # when the heartbeat runs for a while
    beat = executor._Heartbeat(task.pk)
    beat.start()
    try:
        fresh = wait_for(
            lambda: (t := Task.objects.get(pk=task.pk).heartbeat_at) > stale and t, 5, "a heartbeat"
        )
    finally:
        beat.stop()
    # then it moved heartbeat_at to now, and after stop it touches nothing more
    assert timezone.now() - fresh < dt.timedelta(seconds=5)
    stopped_at = Task.objects.get(pk=task.pk).heartbeat_at
    time.sleep(1.2)
    assert Task.objects.get(pk=task.pk).heartbeat_at == stopped_at

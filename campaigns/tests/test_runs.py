"""Run commands, breakpoints, the reaper (a worker killed mid-task), the purge, the runs API, previews."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.engine import executor, worktables
from campaigns.models import RunKind, RunStatus, Task, TaskStatus
from campaigns.services import runs as run_services
from campaigns.tests.graphs import A, T, campaign_with, counts, test_run

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}


def simple(actor, **extra):
    return campaign_with(
        actor,
        [
            A("gold", "targeting.build_audience", dimension="customers", rule=GOLD, **extra),
            A(
                "split",
                "targeting.split",
                subsets=[{"code": "half", "limit": {"kind": "percent", "value": 50}}],
                complement=True,
            ),
            A("e1", "flow.end"),
            A("e2", "flow.end"),
        ],
        [T("gold", "split"), T("split", "e1", "half"), T("split", "e2", "complement")],
    )


def gold_count(shop):
    return sum(c["tier"] == "gold" for c in shop.customers)


@pytest.mark.django_db
def test_a_killed_worker_is_reaped_and_the_run_finishes_with_the_same_counts(shop, administrator, drive):
    # given a reference run, and a second run whose first task was claimed by a worker that then died
    campaign = simple(administrator)
    reference = counts(test_run(drive, administrator, campaign))
    run = run_services.run_start(actor=administrator, campaign=campaign)  # jobs not executed: worker "dies"
    task = run.tasks.get()
    assert executor._claim(task.pk).attempt == 1
    Task.objects.filter(pk=task.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=10))
    # when the reaper runs (its jobs executed in-process)
    reaped = drive(run_services.tasks_reap)
    # then the task was re-queued, ran again, and the run finished with the same counts
    run.refresh_from_db()
    assert reaped == [task.pk]
    assert run.status == RunStatus.DONE
    assert counts(run) == reference
    assert run.tasks.get(pk=task.pk).attempt == 2
    # a task whose heartbeat is fresh is left alone
    assert run_services.tasks_reap() == []


@pytest.mark.django_db
def test_breakpoint_pause_resume(shop, administrator, drive):
    campaign = simple(administrator)
    campaign.activities.filter(key="split").update(breakpoint=True)
    run = test_run(drive, administrator, campaign)
    assert run.status == RunStatus.PAUSED
    assert run.tasks.get(activity_key="split").status == TaskStatus.PAUSED
    assert counts(run) == {"gold.out": gold_count(shop)}
    run = drive(run_services.run_resume, actor=administrator, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    half = gold_count(shop) // 2
    assert counts(run) == {
        "gold.out": gold_count(shop),
        "split.half": half,
        "split.complement": gold_count(shop) - half,
    }


@pytest.mark.django_db
def test_pause_then_resume_and_stop(shop, administrator, drive):
    campaign = simple(administrator)
    run = run_services.run_start(actor=administrator, campaign=campaign)  # queued, not executed yet
    run_services.run_pause(actor=administrator, run=run)
    assert executor.task_execute(run.tasks.get().pk) == "skipped"  # nothing starts while paused
    run = drive(run_services.run_resume, actor=administrator, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    second = run_services.run_start(actor=administrator, campaign=campaign)
    stopped = run_services.run_stop(actor=administrator, run=second)
    assert stopped.status == RunStatus.STOPPED
    assert set(second.tasks.values_list("status", flat=True)) == {TaskStatus.SKIPPED}


@pytest.mark.django_db
def test_restart_clears_the_run_and_its_tables(shop, administrator, drive):
    campaign = simple(administrator)
    run = test_run(drive, administrator, campaign)
    old_tables = set(run.results.values_list("table_name", flat=True))
    assert old_tables <= set(worktables.existing_working_tables())
    run = drive(run_services.run_restart, actor=administrator, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.events.filter(message__startswith="Restarted").exists()
    assert counts(run)["gold.out"] == gold_count(shop)
    assert run.tasks.count() == 4


@pytest.mark.django_db
def test_purge_drops_working_tables_after_retention(shop, administrator, drive, settings):
    settings.OC_WORKING_TABLE_RETENTION_DAYS = 5
    run = test_run(drive, administrator, simple(administrator))
    tables = set(run.results.exclude(table_name="").values_list("table_name", flat=True))
    assert run_services.worktables_purge(now=timezone.now() + dt.timedelta(days=4)) == 0
    assert run_services.worktables_purge(now=timezone.now() + dt.timedelta(days=6)) == 1
    assert tables.isdisjoint(worktables.existing_working_tables())
    run.refresh_from_db()
    assert run.purged_at is not None


@pytest.mark.django_db
def test_who_may_start_runs(shop, administrator, manager, make_user, drive):
    from django.core.exceptions import PermissionDenied

    campaign = simple(administrator)
    with pytest.raises(PermissionDenied):
        run_services.run_start(actor=manager, campaign=campaign)  # not the owner, not shared
    own = simple(manager)
    assert test_run(drive, manager, own).status == RunStatus.DONE  # a manager test-runs their own
    with pytest.raises(PermissionDenied):
        run_services.run_start(actor=manager, campaign=own, kind=RunKind.LIVE)


@pytest.mark.django_db
def test_a_refused_command_on_someone_elses_run_names_that_command(shop, administrator, manager):
    from django.core.exceptions import PermissionDenied

    run = run_services.run_start(actor=administrator, campaign=simple(administrator))
    commands = [
        (run_services.run_pause, "pause"),
        (run_services.run_resume, "resume"),
        (run_services.run_restart, "restart"),
        (run_services.run_stop, "stop"),
    ]
    for command, verb in commands:
        with pytest.raises(PermissionDenied) as refused:
            command(actor=manager, run=run)
        assert verb in str(refused.value)
        assert "not start" not in str(refused.value)


@pytest.mark.django_db
def test_a_live_run_starts_only_by_publishing_even_for_an_administrator(shop, administrator, api_as):
    from campaigns.models import Run

    # given an unapproved draft an Administrator owns
    campaign = simple(administrator)
    # when the Administrator asks the runs API for a live run
    response = api_as(administrator).post(
        f"/api/v1/campaigns/{campaign.pk}/runs/", {"kind": "live"}, format="json"
    )
    # then it is refused, says to publish, and nothing started
    assert response.status_code == 403
    assert "publishing the approved version" in response.json()["detail"]
    assert not Run.objects.filter(campaign=campaign).exists()


@pytest.mark.django_db
def test_runs_api_detail_commands_and_preview_with_personal_data(
    shop, administrator, viewer, api_as, django_capture_on_commit_callbacks
):
    campaign = campaign_with(
        administrator,
        [
            A("gold", "targeting.build_audience", dimension="customers", rule=GOLD),
            A(
                "enrich",
                "targeting.enrichment",
                fields=[{"name": "mail", "path": "email"}, {"name": "tier", "path": "tier"}],
            ),
            A("end", "flow.end"),
        ],
        [T("gold", "enrich"), T("enrich", "end")],
    )
    client = api_as(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/campaigns/{campaign.pk}/runs/", {"kind": "test"}, format="json")
    assert response.status_code == 201, response.json()
    run_id = response.json()["id"]
    listing = client.get(f"/api/v1/campaigns/{campaign.pk}/runs/").json()
    assert [r["id"] for r in listing["results"]] == [run_id]
    detail = client.get(f"/api/v1/campaigns/{campaign.pk}/runs/{run_id}/").json()
    assert detail["status"] == "done"
    assert {t["activity_key"]: t["status"] for t in detail["tasks"]} == {
        "gold": "done",
        "enrich": "done",
        "end": "done",
    }
    enrich = next(r for r in detail["results"] if r["source_key"] == "enrich")
    assert enrich["row_count"] == gold_count(shop) and enrich["dimension"] == "customers"
    assert detail["events"] and "CREATE" in next(
        t["sql"] for t in detail["tasks"] if t["activity_key"] == "gold"
    )
    preview_url = f"/api/v1/campaigns/{campaign.pk}/runs/{run_id}/results/{enrich['id']}/preview/?limit=5"
    full = client.get(preview_url).json()
    assert [c["name"] for c in full["columns"]] == ["id", "mail", "tier"] and len(full["rows"]) == 5
    assert full["hidden"] == []
    masked = api_as(viewer).get(preview_url).json()
    assert [c["name"] for c in masked["columns"]] == ["id", "tier"] and masked["hidden"] == ["mail"]
    assert all(len(row) == 2 for row in masked["rows"])
    # commands
    assert api_as(viewer).post(f"/api/v1/campaigns/{campaign.pk}/runs/{run_id}/restart/").status_code == 403
    assert client.post(f"/api/v1/campaigns/{campaign.pk}/runs/{run_id}/stop/").status_code == 400  # finished


@pytest.mark.django_db
def test_a_run_refuses_an_invalid_graph_and_a_graph_refuses_edits_during_a_run(shop, administrator):
    from django.core.exceptions import ValidationError

    from campaigns.services.graph import campaign_graph_replace, graph_document

    campaign = simple(administrator)
    run_services.run_start(actor=administrator, campaign=campaign)
    with pytest.raises(ValidationError, match="in progress"):
        campaign_graph_replace(
            actor=administrator, campaign=campaign, document=graph_document(campaign), version=1
        )
    with pytest.raises(ValidationError, match="already in progress"):
        run_services.run_start(actor=administrator, campaign=campaign)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stop_cancels_running_sql_on_postgresql(shop, administrator, monkeypatch):
    """A statement running in another connection for a task is cancelled by run_stop."""
    import threading
    import time

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("pg_cancel_backend exists on PostgreSQL only")
    monkeypatch.setattr("campaigns.engine.scheduler.enqueue", lambda task: None)  # this test is the worker
    campaign = simple(administrator)
    run = run_services.run_start(actor=administrator, campaign=campaign)
    task = run.tasks.get()
    outcome = {}

    def worker():
        try:
            executor._claim(task.pk)
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_sleep(30)")
            outcome["error"] = None
        except Exception as exc:  # the cancellation
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    started = time.monotonic()
    thread.start()
    while not Task.objects.filter(pk=task.pk, status=TaskStatus.RUNNING).exists():
        time.sleep(0.05)
    time.sleep(0.3)
    run_services.run_stop(actor=administrator, run=run)
    thread.join(timeout=10)
    assert time.monotonic() - started < 10
    assert "cancel" in str(outcome["error"]).lower()

"""Engine overhead: the bookkeeping queries one task costs stay bounded (benchmark target < 50 ms)."""

from __future__ import annotations

import pytest

from campaigns.engine import executor
from campaigns.models import RunStatus
from campaigns.services import runs as run_services
from campaigns.tests.graphs import A, T, campaign_with, counts

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}

# A pass-through task: claim (locked read + update), the run's results, CREATE TABLE AS, index (+ a
# count on SQLite), the run lock, the task update, one insert of its results, one log line, then the
# readiness of the next activities (results, tasks, the new task); plus 4 savepoint statements that
# the test's enclosing transaction adds. It was 28 before the graph cache and the batched writes.
MAX_QUERIES_PASS_THROUGH = 17


@pytest.mark.django_db
def test_a_pass_through_task_costs_a_bounded_number_of_queries(
    shop, administrator, django_assert_max_num_queries
):
    # given a started run whose first task has executed (the graph is then cached in this process)
    campaign = campaign_with(
        administrator,
        [
            A("gold", "targeting.build_audience", dimension="customers", rule=GOLD),
            A("fork", "flow.fork"),
            A("e1", "flow.end"),
        ],
        [T("gold", "fork"), T("fork", "e1", "branch1")],
    )
    run = run_services.run_start(actor=administrator, campaign=campaign)
    assert executor.task_execute(run.tasks.get(activity_key="gold").pk) == "done"
    fork = run.tasks.get(activity_key="fork")
    # when the Fork task executes
    with django_assert_max_num_queries(MAX_QUERIES_PASS_THROUGH):
        assert executor.task_execute(fork.pk) == "done"
    # then it still did its work: its result recorded, the next task created, and the run finishes
    gold = sum(c["tier"] == "gold" for c in shop.customers)
    assert counts(run) == {"gold.out": gold, "fork.branch1": gold}
    assert executor.task_execute(run.tasks.get(activity_key="e1").pk) == "done"
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


@pytest.mark.django_db
def test_a_retried_task_replaces_its_outputs_and_results(shop, administrator):
    # given a Fork task that already completed once
    campaign = campaign_with(
        administrator,
        [
            A("gold", "targeting.build_audience", dimension="customers", rule=GOLD),
            A("fork", "flow.fork"),
            A("e1", "flow.end"),
        ],
        [T("gold", "fork"), T("fork", "e1", "branch1")],
    )
    run = run_services.run_start(actor=administrator, campaign=campaign)
    executor.task_execute(run.tasks.get(activity_key="gold").pk)
    fork = run.tasks.get(activity_key="fork")
    executor.task_execute(fork.pk)
    # when it is queued and executed again (a re-delivered job: the same table names, attempt 2)
    type(fork).objects.filter(pk=fork.pk).update(status="queued")
    assert executor.task_execute(fork.pk) == "done"
    # then its table and result were replaced, not duplicated
    gold = sum(c["tier"] == "gold" for c in shop.customers)
    assert counts(run) == {"gold.out": gold, "fork.branch1": gold}
    assert run.results.filter(source_key="fork").count() == 1
    assert run.tasks.get(pk=fork.pk).attempt == 2

"""The contract every registered activity type must keep: one parametrised test over the registry."""

from __future__ import annotations

import pytest

from campaigns.activities import registry
from campaigns.activities.base import ActivityType
from campaigns.activities.config import ConfigError
from campaigns.activities.registry import DuplicateActivityType, register
from campaigns.engine.executor import task_execute
from campaigns.models import Run, RunStatus, Task, TaskStatus
from campaigns.tests.graphs import A, T, campaign_with, counts, test_run

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}
SILVER = {"type": "condition", "field": "tier", "operator": "equal", "value": "silver"}

# For each type: its configuration, and whether it takes the population of a Build audience "src"
# (and a second one "src2" for joins). The meta-test below fails when a registered type has none.
EXAMPLES: dict[str, tuple[dict, int]] = {
    "targeting.build_audience": ({"dimension": "customers", "rule": GOLD}, 0),
    "targeting.read_audience": ({"audience": "contract-audience"}, 0),
    "targeting.combine": ({"operation": "exclusion", "complement": True}, 2),
    "targeting.split": (
        {"subsets": [{"code": "a", "limit": {"kind": "percent", "value": 50}}], "complement": True},
        1,
    ),
    "targeting.deduplication": ({"fields": ["email"], "complement": True}, 1),
    "targeting.change_dimension": ({"link": "customer", "dimension": "customers"}, "bookings"),
    "targeting.save_audience": ({"audience": "contract-saved"}, 1),
    "targeting.enrichment": (
        {
            "fields": [{"name": "mail", "path": "email"}],
            "aggregates": [{"name": "spent", "link": "purchases", "function": "sum", "field": "amount"}],
        },
        1,
    ),
    "targeting.incremental_query": ({"dimension": "customers", "rule": GOLD}, 0),
    "targeting.load_file": (
        {
            "file": "people.csv",
            "columns": [{"name": "email", "type": "string"}, {"name": "points", "type": "integer"}],
        },
        0,
    ),
    "targeting.reconciliation": (
        {"dimension": "customers", "keys": [{"column": "email", "field": "email"}], "keep_unmatched": True},
        "file",
    ),
    "flow.fork": ({"branches": ["a", "b"]}, 1),
    "flow.and_join": ({}, 2),
    "flow.wait": ({"minutes": 0}, 1),
    "flow.test": ({"conditions": [{"output": "big", "operator": "gt", "value": 5}], "default": "small"}, 1),
    "flow.alert": ({"users": ["shop-admin"], "message": "Hello"}, 1),
    "flow.end": ({}, 1),
}


def test_every_registered_type_has_a_contract_example():
    # Channel types (``channel.*``) are registered by the channels app, whose tests hold their examples.
    engine_types = {key for key in registry.all_types() if not key.startswith("channel.")}
    assert engine_types == set(EXAMPLES)


def test_registry_refuses_duplicate_keys():
    with pytest.raises(DuplicateActivityType):

        @register
        class Again(ActivityType):
            key = "flow.end"


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_config_round_trip_and_junk(key):
    activity_type = registry.get(key)
    raw, _inputs = EXAMPLES[key]
    config = activity_type.parse(raw)
    # then: dumping and parsing again gives the same configuration
    assert activity_type.parse(activity_type.dump(config)) == config
    # and junk is refused with the path of the faulty setting
    with pytest.raises(ConfigError) as excinfo:
        activity_type.parse({**raw, "no_such_setting": 1})
    assert excinfo.value.path == "no_such_setting"
    with pytest.raises(ConfigError):
        activity_type.parse(["not", "an", "object"])


def _graph(key):
    raw, inputs = EXAMPLES[key]
    activities = [A("subject", key, **raw)]
    transitions = []
    if inputs == "file":
        activities.append(A("src", "targeting.load_file", **EXAMPLES["targeting.load_file"][0]))
        transitions.append(T("src", "subject"))
    elif inputs == "bookings":
        activities.append(A("src", "targeting.build_audience", dimension="bookings"))
        transitions.append(T("src", "subject"))
    elif inputs:
        activities.append(A("src", "targeting.build_audience", dimension="customers"))
        transitions.append(T("src", "subject"))
    if inputs == 2:
        activities.append(A("src2", "targeting.build_audience", dimension="customers", rule=GOLD))
        transitions.append(T("src2", "subject"))
    activity_type = registry.get(key)
    for n, output in enumerate(activity_type.outputs(activity_type.parse(raw))):
        activities.append(A(f"end{n}", "flow.end"))
        transitions.append(T("subject", f"end{n}", output))
    return activities, transitions


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_rerunning_a_task_is_idempotent(
    key, shop, drive, django_capture_on_commit_callbacks, settings, tmp_path
):
    # given a test run in which the type under test ran once
    settings.OC_CAMPAIGN_FILES_DIR = tmp_path
    lines = [f"{c['email'] or ''},{c['score']}" for c in shop.customers[:30]] + [
        "nobody@example.test,1",
        "bad,x",
    ]
    (tmp_path / "people.csv").write_text("email,points\n" + "\n".join(lines) + "\n")
    from accounts.services import user_create
    from audiences.saved.services import audience_create

    admin = user_create(username="contract-admin", profiles=["Administrator"])
    audience_create(
        actor=admin,
        name="contract-audience",
        dimension=shop.dimensions["customers"],
        kind="static",
        rule=SILVER,
    )
    campaign = campaign_with(admin, *_graph(key))
    run = test_run(drive, admin, campaign)
    assert run.status == RunStatus.DONE, list(run.tasks.values_list("activity_key", "status", "error"))
    before = counts(run)
    task = run.tasks.get(activity_key="subject")
    # when the same task is delivered again (as after a lost acknowledgement)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.QUEUED)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        assert task_execute(task.pk) == "done"
    # then its outputs are replaced with the same counts, and nothing else changed
    run.refresh_from_db()
    assert counts(run) == before
    assert run.tasks.get(pk=task.pk).attempt == 2
    assert run.status == RunStatus.DONE

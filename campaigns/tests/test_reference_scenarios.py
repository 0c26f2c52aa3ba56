"""The reference product's worked examples, every transition's count checked against Python."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from django.core import mail
from django_q.models import Schedule

from audiences.catalog import database
from audiences.catalog.selectors import schema_table
from audiences.saved.models import Audience
from campaigns import tasks
from campaigns.engine import worktables
from campaigns.lifecycle.launches import campaign_trigger
from campaigns.models import RunStatus, TaskStatus
from campaigns.tests import expect
from campaigns.tests.graphs import A, T, campaign_with, counts, keys_of, test_run
from campaigns.tests.lifecycle_helpers import live_run_of, publish


def cond(field, operator, value=None):
    node = {"type": "condition", "field": field, "operator": operator}
    if value is not None:
        node["value"] = value
    return node


def group(*children, op="and"):
    return {"type": "group", "op": op, "children": list(children)}


@pytest.mark.django_db
def test_fork_three_audiences_union_exclusion_then_channel(shop, administrator, drive):
    # given the worked example: Fork -> three Build audiences -> union -> exclusion -> a channel
    risky = cond("churn_risk", "greater", 0.8)
    campaign = campaign_with(
        administrator,
        [
            A("start", "flow.fork", branches=["a", "b", "c"]),
            A("gold", "targeting.build_audience", dimension="customers", rule=cond("tier", "equal", "gold")),
            A(
                "loyal",
                "targeting.build_audience",
                dimension="customers",
                rule=group(cond("tier", "equal", "silver"), cond("score", "greater", 50)),
            ),
            A(
                "buyers",
                "targeting.build_audience",
                dimension="customers",
                rule={"type": "exists", "link": "purchases", "where": cond("amount", "greater", 250)},
            ),
            A("union", "targeting.combine", operation="union"),
            A("risky", "targeting.build_audience", dimension="customers", rule=risky),
            A("exclude", "targeting.combine", operation="exclusion", primary="union", complement=True),
            A("mail", "channel.direct_mail"),
            A("removed", "flow.end"),
        ],
        [
            T("start", "gold", "a"),
            T("start", "loyal", "b"),
            T("start", "buyers", "c"),
            T("gold", "union"),
            T("loyal", "union"),
            T("buyers", "union"),
            T("union", "exclude"),
            T("risky", "exclude"),
            T("exclude", "mail"),
            T("exclude", "removed", "complement"),
        ],
    )
    # when
    run = test_run(drive, administrator, campaign)
    # then
    c = shop.customers
    gold = {r["id"] for r in c if r["tier"] == "gold"}
    loyal = {r["id"] for r in c if r["tier"] == "silver" and r["score"] > 50}
    buyers = {p["customer_id"] for p in shop.purchases if p["amount"] > 250}
    union = gold | loyal | buyers
    risky_ids = {r["id"] for r in c if r["churn_risk"] > 0.8}
    assert counts(run) == {
        "start.a": 0,
        "start.b": 0,
        "start.c": 0,
        "gold.out": len(gold),
        "loyal.out": len(loyal),
        "buyers.out": len(buyers),
        "union.out": len(union),
        "risky.out": len(risky_ids),
        "exclude.out": len(union - risky_ids),
        "exclude.complement": len(union & risky_ids),
    }
    assert keys_of(run, "exclude") == union - risky_ids
    # the channel placeholder pauses the test run and reports its input count
    assert run.status == RunStatus.PAUSED
    channel = run.tasks.get(activity_key="mail")
    assert (channel.status, channel.input_count) == (TaskStatus.PAUSED, len(union - risky_ids))


@pytest.mark.django_db
def test_dedup_on_email_split_with_limit_and_sort_then_save_audience(shop, administrator, drive):
    # given
    campaign = campaign_with(
        administrator,
        [
            A("all", "targeting.build_audience", dimension="customers"),
            A(
                "dedup",
                "targeting.deduplication",
                fields=["email"],
                choose="highest",
                choose_expression="@score",
                complement=True,
            ),
            A(
                "split",
                "targeting.split",
                complement=True,
                subsets=[
                    {"code": "low", "filter": cond("score", "less", 34)},
                    {
                        "code": "medium",
                        "filter": cond("score", "less", 67),
                        "limit": {"kind": "count", "value": 10},
                        "sort": [{"field": "churn_risk", "direction": "desc"}],
                    },
                    {"code": "high", "filter": cond("score", "greater_or_equal", 67)},
                ],
            ),
            A("save", "targeting.save_audience", audience="High scorers"),
            A("e1", "flow.end"),
            A("e2", "flow.end"),
            A("e3", "flow.end"),
            A("e4", "flow.end"),
            A("e5", "flow.end"),
        ],
        [
            T("all", "dedup"),
            T("dedup", "split"),
            T("dedup", "e5", "complement"),
            T("split", "e1", "low"),
            T("split", "e2", "medium"),
            T("split", "save", "high"),
            T("split", "e3", "complement"),
            T("save", "e4"),
        ],
    )
    kept, removed = expect.dedup(shop.customers, "email", highest="score")
    low = [r for r in kept if r["score"] < 34]
    medium_all = sorted((r for r in kept if 34 <= r["score"] < 67), key=lambda r: -r["churn_risk"])
    high = [r for r in kept if r["score"] >= 67]
    expected = {
        "all.out": len(shop.customers),
        "dedup.out": len(kept),
        "dedup.complement": len(removed),
        "split.low": len(low),
        "split.medium": min(10, len(medium_all)),
        "split.high": len(high),
        "split.complement": max(0, len(medium_all) - 10),
        "save.out": len(high),
    }
    # when a test run: counts, and no audience saved
    run = test_run(drive, administrator, campaign)
    assert run.status == RunStatus.DONE
    assert counts(run) == expected
    assert keys_of(run, "dedup") == {r["id"] for r in kept}
    assert keys_of(run, "split", "medium") == {r["id"] for r in medium_all[:10]}
    assert not Audience.objects.filter(name="High scorers").exists()
    # when a live run: the audience holds the high subset
    publish(drive, campaign, administrator)
    live = live_run_of(campaign)
    assert live.status == RunStatus.DONE and counts(live) == expected
    audience = Audience.objects.get(name="High scorers")
    assert audience.member_count == len(high)


@pytest.mark.django_db
def test_gold_silver_and_join_then_wait(shop, administrator, drive):
    # given
    campaign = campaign_with(
        administrator,
        [
            A("gold", "targeting.build_audience", dimension="customers", rule=cond("tier", "equal", "gold")),
            A(
                "silver",
                "targeting.build_audience",
                dimension="customers",
                rule=cond("tier", "equal", "silver"),
            ),
            A("join", "flow.and_join", primary="silver"),
            A("wait", "flow.wait", minutes=90),
            A("end", "flow.end"),
        ],
        [T("gold", "join"), T("silver", "join"), T("join", "wait"), T("wait", "end")],
    )
    schedules_before = Schedule.objects.count()
    # when
    run = test_run(drive, administrator, campaign)
    # then the Wait holds no worker: its continuation is one schedule at the due time
    wait = run.tasks.get(activity_key="wait")
    assert wait.status == TaskStatus.WAITING and run.status == RunStatus.RUNNING
    assert Schedule.objects.count() == schedules_before + 1
    schedule = Schedule.objects.get(func="campaigns.tasks.task_continue")
    assert schedule.next_run == wait.due_at
    assert dt.timedelta(minutes=89) < wait.due_at - wait.created_at <= dt.timedelta(minutes=91)
    # when the due time has come and the schedule fires
    type(wait).objects.filter(pk=wait.pk).update(due_at=wait.due_at - dt.timedelta(minutes=91))
    drive(tasks.task_continue, wait.pk)
    run.refresh_from_db()
    silver = sum(r["tier"] == "silver" for r in shop.customers)
    assert run.status == RunStatus.DONE
    assert counts(run) == {
        "gold.out": sum(r["tier"] == "gold" for r in shop.customers),
        "silver.out": silver,
        "join.out": silver,
        "wait.out": silver,
    }


@pytest.mark.django_db
def test_enrichment_with_the_three_latest_wishlist_items(shop, administrator, drive):
    campaign = campaign_with(
        administrator,
        [
            A(
                "wishers",
                "targeting.build_audience",
                dimension="customers",
                rule={"type": "exists", "link": "wishlist_items"},
            ),
            A(
                "enrich",
                "targeting.enrichment",
                related=[
                    {
                        "link": "wishlist_items",
                        "fields": ["product_id"],
                        "count": 3,
                        "prefix": "wish",
                        "order_by": [{"field": "added_at", "direction": "desc"}],
                    }
                ],
                aggregates=[{"name": "wishes", "link": "wishlist_items", "function": "count"}],
                fields=[{"name": "mail", "path": "email"}],
            ),
            A("end", "flow.end"),
        ],
        [T("wishers", "enrich"), T("enrich", "end")],
    )
    run = test_run(drive, administrator, campaign)
    latest: dict[int, list[dict]] = {}
    for w in sorted(shop.wishlist, key=lambda w: w["added_at"], reverse=True):
        latest.setdefault(w["customer_id"], []).append(w)
    assert counts(run) == {"wishers.out": len(latest), "enrich.out": len(latest)}
    result = run.results.get(source_key="enrich")
    cols = ["id", "wish1_product_id", "wish2_product_id", "wish3_product_id", "wishes", "mail"]
    table = worktables.table_clause(result.table_name, cols)
    rows = {r[0]: r[1:] for r in database.fetch_all(sa.select(*table.c))}
    emails = {c["id"]: c["email"] for c in shop.customers}
    for customer, items in latest.items():
        products = [w["product_id"] for w in items[:3]] + [None] * (3 - min(3, len(items)))
        assert rows[customer] == (*products, len(items), emails[customer])


@pytest.mark.django_db
def test_change_dimension_from_bookings_to_customers(shop, administrator, drive):
    campaign = campaign_with(
        administrator,
        [
            A(
                "north",
                "targeting.build_audience",
                dimension="bookings",
                rule=cond("store", "equal", "north"),
            ),
            A("people", "targeting.change_dimension", link="customer", dimension="customers"),
            A("end", "flow.end"),
        ],
        [T("north", "people"), T("people", "end")],
    )
    run = test_run(drive, administrator, campaign)
    north = [b for b in shop.bookings if b["store"] == "north"]
    people = {b["customer_id"] for b in north}
    assert counts(run) == {"north.out": len(north), "people.out": len(people)}
    assert keys_of(run, "people") == people
    assert run.results.get(source_key="people").dimension == shop.dimensions["customers"]


@pytest.mark.django_db
def test_incremental_query_over_two_runs(shop, administrator, drive):
    campaign = campaign_with(
        administrator,
        [
            A(
                "new_gold",
                "targeting.incremental_query",
                dimension="customers",
                rule=cond("tier", "equal", "gold"),
            ),
            A("end", "flow.end"),
        ],
        [T("new_gold", "end")],
    )
    gold = {r["id"] for r in shop.customers if r["tier"] == "gold"}
    # a test run records nothing
    assert counts(test_run(drive, administrator, campaign)) == {"new_gold.out": len(gold)}
    # two live runs: published to be triggered by a signal, then triggered twice
    signal = {"kind": "signal", "trigger_interval_seconds": 0}
    approver = publish(drive, campaign, administrator, schedule=signal)
    drive(campaign_trigger, actor=approver, campaign=campaign, variables={})
    first = live_run_of(campaign)
    assert counts(first) == {"new_gold.out": len(gold)}
    # given three new gold customers and one new silver
    table = schema_table(shop.schemas["customers"])
    database.execute(
        sa.insert(table).values(
            [
                {
                    "id": 1000 + i,
                    "email": None,
                    "first_name": "New",
                    "tier": tier,
                    "score": 1,
                    "churn_risk": 0.1,
                    "created_on": dt.date(2026, 11, 2),
                }
                for i, tier in enumerate(("gold", "gold", "gold", "silver"))
            ]
        )
    )
    # when
    drive(campaign_trigger, actor=approver, campaign=campaign, variables={})
    second = live_run_of(campaign)
    assert second.pk != first.pk
    # then only the newcomers
    assert counts(second) == {"new_gold.out": 3}
    assert keys_of(second, "new_gold") == {1000, 1001, 1002}


@pytest.mark.django_db
def test_a_test_run_has_no_side_effect(shop, administrator, make_user, drive):
    # given a campaign with every side-effecting activity
    audience_count = Audience.objects.count()
    schedules = Schedule.objects.count()
    campaign = campaign_with(
        administrator,
        [
            A("all", "targeting.build_audience", dimension="customers"),
            A("alert", "flow.alert", users=[administrator.username], message="Look"),
            A("save", "targeting.save_audience", audience="Should not exist"),
            A("inc", "targeting.incremental_query", dimension="customers"),
            A("mail", "channel.direct_mail"),
            A("end", "flow.end"),
        ],
        [T("all", "alert"), T("alert", "save"), T("save", "mail"), T("inc", "end")],
    )
    # when
    run = test_run(drive, administrator, campaign)
    # then
    assert run.status == RunStatus.PAUSED  # at the channel placeholder
    assert mail.outbox == []
    assert Audience.objects.count() == audience_count
    assert Schedule.objects.count() == schedules
    processed = sa.table(f"oc_wp_{campaign.activities.get(key='inc').pk}")
    assert database.fetch_value(sa.select(sa.func.count()).select_from(processed)) == 0
    # while a live run of the alert sends its email after commit
    live_campaign = campaign_with(
        administrator,
        [
            A("all", "targeting.build_audience", dimension="customers"),
            A("alert", "flow.alert", users=[administrator.username], message="Look"),
        ],
        [T("all", "alert")],
        name="Live alert",
    )
    publish(drive, live_campaign, administrator)
    assert live_run_of(live_campaign).status == RunStatus.DONE
    alerts = [m for m in mail.outbox if m.subject == "Campaign Live alert: alert"]  # not the review mails
    assert len(alerts) == 1 and alerts[0].to == [administrator.email]
    assert str(len(shop.customers)) in alerts[0].body

"""Options of the targeting and flow activities, each count checked against Python."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from audiences.catalog import database
from audiences.saved.services import audience_create
from campaigns.engine import worktables
from campaigns.models import RunStatus, TaskStatus
from campaigns.tests import expect
from campaigns.tests.graphs import A, T, campaign_with, counts, keys_of, test_run


def cond(field, operator, value):
    return {"type": "condition", "field": field, "operator": operator, "value": value}


def ends(*names):
    return [A(n, "flow.end") for n in names]


@pytest.mark.django_db
def test_split_in_one_table_with_segment_codes_overlap_and_skip_empty(shop, administrator, drive):
    campaign = campaign_with(
        administrator,
        [
            A("all", "targeting.build_audience", dimension="customers"),
            A(
                "split",
                "targeting.split",
                mode="overlap",
                single_table=True,
                skip_empty=True,
                complement=True,
                subsets=[
                    {"code": "gold", "filter": cond("tier", "equal", "gold")},
                    {
                        "code": "keen",
                        "filter": cond("score", "greater", 50),
                        "limit": {"kind": "percent", "value": 10},
                    },
                    {"code": "none", "filter": cond("score", "greater", 1000)},
                ],
            ),
            *ends("e1", "e2"),
        ],
        [T("all", "split"), T("split", "e1", "out"), T("split", "e2", "complement")],
    )
    run = test_run(drive, administrator, campaign)
    gold = {c["id"] for c in shop.customers if c["tier"] == "gold"}
    keen_limit = math.floor(len(shop.customers) * 10 / 100)
    keen = sorted(
        (c["id"] for c in shop.customers if c["score"] > 50), key=lambda k: expect.shuffle_rank(k, 2)
    )
    keen = set(keen[:keen_limit])
    assert counts(run) == {
        "all.out": 120,
        "split.out": len(gold) + len(keen),
        "split.complement": len(set(range(1, 121)) - gold - keen),
    }
    result = run.results.get(source_key="split", output="out")
    table = worktables.table_clause(result.table_name, ["id", "segment_code"])
    rows = database.fetch_all(sa.select(table.c.segment_code, sa.func.count()).group_by(table.c.segment_code))
    assert dict(rows) == {"gold": len(gold), "keen": len(keen)}


@pytest.mark.django_db
def test_split_skip_empty_subset_is_not_activated(shop, administrator, drive):
    campaign = campaign_with(
        administrator,
        [
            A("all", "targeting.build_audience", dimension="customers"),
            A(
                "split",
                "targeting.split",
                skip_empty=True,
                subsets=[{"code": "none", "filter": cond("score", "greater", 999)}, {"code": "rest"}],
            ),
            A("w", "flow.wait"),
            *ends("e1", "e2"),
        ],
        [T("all", "split"), T("split", "w", "none"), T("w", "e1"), T("split", "e2", "rest")],
    )
    run = test_run(drive, administrator, campaign)
    assert counts(run) == {"all.out": 120, "split.none": None, "split.rest": 120, "w.out": None}
    assert run.tasks.get(activity_key="w").status == TaskStatus.SKIPPED
    assert run.status == RunStatus.DONE


@pytest.mark.django_db
def test_combine_intersection_and_on_columns(shop, administrator, drive):
    campaign = campaign_with(
        administrator,
        [
            A("gold", "targeting.build_audience", dimension="customers", rule=cond("tier", "equal", "gold")),
            A("keen", "targeting.build_audience", dimension="customers", rule=cond("score", "greater", 50)),
            A("both", "targeting.combine", operation="intersection", primary="gold", complement=True),
            *ends("e1", "e2"),
        ],
        [T("gold", "both"), T("keen", "both"), T("both", "e1"), T("both", "e2", "complement")],
    )
    run = test_run(drive, administrator, campaign)
    gold = {c["id"] for c in shop.customers if c["tier"] == "gold"}
    keen = {c["id"] for c in shop.customers if c["score"] > 50}
    assert counts(run)["both.out"] == len(gold & keen)
    assert counts(run)["both.complement"] == len(gold - keen)
    assert keys_of(run, "both") == gold & keen


@pytest.mark.django_db
@pytest.mark.parametrize(
    "choose,extra",
    [
        ("non_empty", {"choose_expression": "email"}),
        ("values", {"choose_expression": "tier", "values": ["bronze", "gold"]}),
        ("lowest", {"choose_expression": "@churn_risk * 2"}),
    ],
)
def test_deduplication_choices_keep_two(shop, administrator, drive, choose, extra):
    campaign = campaign_with(
        administrator,
        [
            A("all", "targeting.build_audience", dimension="customers"),
            A(
                "dedup",
                "targeting.deduplication",
                fields=["tier"],
                keep=2,
                choose=choose,
                complement=True,
                **extra,
            ),
            *ends("e1", "e2"),
        ],
        [T("all", "dedup"), T("dedup", "e1"), T("dedup", "e2", "complement")],
    )
    run = test_run(drive, administrator, campaign)
    assert counts(run) == {"all.out": 120, "dedup.out": 6, "dedup.complement": 114}
    kept = keys_of(run, "dedup")
    rows = {c["id"]: c for c in shop.customers}
    for tier in ("gold", "silver", "bronze"):
        members = [c for c in shop.customers if c["tier"] == tier]
        if choose == "lowest":
            best = sorted(members, key=lambda c: (c["churn_risk"], *expect.shuffle_rank(c["id"], 1)))[:2]
            assert {c["id"] for c in best} == {k for k in kept if rows[k]["tier"] == tier}
        elif choose == "non_empty":
            assert all(rows[k]["email"] for k in kept)


@pytest.mark.django_db
def test_load_file_rejects_and_reconciliation(shop, administrator, drive, settings, tmp_path):
    settings.OC_CAMPAIGN_FILES_DIR = tmp_path
    known = [c for c in shop.customers if c["email"]][:20]
    lines = [f"{c['email']},{i}" for i, c in enumerate(known)] + [
        "stranger@example.test,5",
        "broken,notanumber",
    ]
    (tmp_path / "partner.csv").write_text("email,points\n" + "\n".join(lines) + "\n")
    columns = [{"name": "email", "type": "string", "required": True}, {"name": "points", "type": "integer"}]
    campaign = campaign_with(
        administrator,
        [
            A("file", "targeting.load_file", file="partner.csv", columns=columns),
            A(
                "match",
                "targeting.reconciliation",
                dimension="customers",
                keys=[{"column": "email", "field": "email"}],
                keep_unmatched=True,
            ),
            *ends("e1", "e2"),
        ],
        [T("file", "match"), T("match", "e1"), T("match", "e2", "unmatched")],
    )
    run = test_run(drive, administrator, campaign)
    emails = {c["email"] for c in known}
    matched = {c["id"] for c in shop.customers if c["email"] in emails}
    assert counts(run) == {"file.out": 21, "match.out": len(matched), "match.unmatched": 1}
    assert "1 lines rejected" in run.tasks.get(activity_key="file").message
    assert [c["name"] for c in run.results.get(source_key="match", output="out").columns] == [
        "id",
        "email",
        "points",
    ]
    # the fail policy fails the run on the bad line
    strict = campaign_with(
        administrator,
        [
            A("file", "targeting.load_file", file="partner.csv", columns=columns, on_reject="fail"),
            *ends("e"),
        ],
        [T("file", "e")],
        name="Strict",
    )
    run = test_run(drive, administrator, strict)
    assert run.status == RunStatus.FAILED
    assert "Line 23" in run.tasks.get(activity_key="file").error


@pytest.mark.django_db
def test_test_activity_routes_on_count_and_variables(shop, administrator, drive):
    campaign = campaign_with(
        administrator,
        [
            A("gold", "targeting.build_audience", dimension="customers", rule=cond("tier", "equal", "gold")),
            A(
                "test",
                "flow.test",
                conditions=[
                    {
                        "output": "promo",
                        "subject": "variable",
                        "variable": "season",
                        "operator": "eq",
                        "value": "spring",
                    },
                    {"output": "big", "operator": "gt", "value": 1000},
                ],
            ),
            *ends("e1", "e2"),
        ],
        [T("gold", "test"), T("test", "e1", "promo"), T("test", "e2", "big")],
    )
    gold = sum(c["tier"] == "gold" for c in shop.customers)
    spring = test_run(drive, administrator, campaign, variables={"season": "spring"})
    assert counts(spring) == {"gold.out": gold, "test.promo": gold, "test.big": None}
    autumn = test_run(drive, administrator, campaign, variables={"season": "autumn"})
    assert counts(autumn) == {"gold.out": gold, "test.promo": None, "test.big": None}
    assert autumn.status == RunStatus.DONE


@pytest.mark.django_db
def test_read_audience_and_a_disabled_activity(shop, administrator, drive):
    audience_create(
        actor=administrator,
        name="Silver",
        dimension=shop.dimensions["customers"],
        kind="static",
        rule=cond("tier", "equal", "silver"),
    )
    campaign = campaign_with(
        administrator,
        [
            A("read", "targeting.read_audience", audience="Silver"),
            A("off", "flow.wait", enabled=False),
            *ends("e1"),
        ],
        [T("read", "off"), T("off", "e1")],
    )
    run = test_run(drive, administrator, campaign)
    assert counts(run) == {"read.out": sum(c["tier"] == "silver" for c in shop.customers), "off.out": None}
    assert run.tasks.get(activity_key="off").status == TaskStatus.SKIPPED

"""The planner's decisions (asserted on the decision list and on the SQL's shape) and the documented
examples, each compared with an independent Python computation on both databases."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audiences.catalog import database
from audiences.query import services
from audiences.query.planner import PlannerOptions
from audiences.tests.rules_fixtures import make_shop

D = decimal.Decimal


@pytest.fixture
def shop(administrator):
    return make_shop(administrator)


def ids_of(shop, rule, **kwargs) -> set[int]:
    select = services.rule_select(dimension=shop["dimension"], rule=rule, **kwargs)
    return {row[0] for row in database.fetch_all(select)}


def plan_of(shop, rule) -> tuple[list[tuple[str, str, str]], str]:
    compiled = services.rule_compile(dimension=shop["dimension"], rule=rule)
    sql = services.rule_sql(dimension=shop["dimension"], rule=rule)
    return [(d.path, d.kind, d.plan) for d in compiled.decisions], " ".join(sql.split())


SUM_90 = {
    "type": "aggregate",
    "link": "purchases",
    "function": "sum",
    "field": "amount",
    "where": {"type": "condition", "field": "purchased_on", "operator": "last_n_days", "value": 90},
    "operator": "greater",
    "value": 100,
}


@pytest.mark.django_db
def test_aggregate_is_pre_aggregated_in_a_grouped_semi_join(shop):
    # when
    decisions, sql = plan_of(shop, SUM_90)
    # then
    assert decisions == [("", "aggregate", "grouped_in")]
    assert "t0.id IN (SELECT t1.customer_id FROM oc_data_purchase AS t1" in sql
    assert "GROUP BY t1.customer_id HAVING" in sql
    assert "t1.customer_id = t0.id" not in sql  # not correlated


@pytest.mark.django_db
def test_aggregate_that_holds_for_no_rows_looks_up_the_complement(shop):
    rule = {"type": "aggregate", "link": "purchases", "function": "count", "operator": "less", "value": 2}
    decisions, sql = plan_of(shop, rule)
    assert decisions == [("", "aggregate", "grouped_not_in")]
    assert "t0.id NOT IN (SELECT t1.customer_id" in sql
    assert "HAVING NOT" in sql or "HAVING (NOT" in sql or "HAVING coalesce(count(*)" in sql
    counts = {}
    for p in shop["data"]["purchase"]:
        counts[p["customer_id"]] = counts.get(p["customer_id"], 0) + 1
    assert ids_of(shop, rule) == {c["id"] for c in shop["data"]["customer"] if counts.get(c["id"], 0) < 2}


@pytest.mark.django_db
def test_correlated_aggregate_plan_is_available_and_agrees(shop):
    rule = SUM_90
    correlated = ids_of(shop, rule, options=PlannerOptions(aggregate="correlated"))
    assert correlated == ids_of(shop, rule)
    compiled = services.rule_compile(
        dimension=shop["dimension"], rule=rule, options=PlannerOptions(aggregate="correlated")
    )
    assert [d.plan for d in compiled.decisions] == ["correlated"]


@pytest.mark.django_db
def test_one_to_many_path_is_a_semi_join_and_n_to_one_steps_inside_are_joins(shop):
    rule = {"type": "condition", "field": "purchases.product.brand", "operator": "equal", "value": "Acme"}
    decisions, sql = plan_of(shop, rule)
    assert decisions == [("", "path", "semi_join+join")]
    assert (
        "WHERE t0.id IN (SELECT t1.customer_id FROM oc_data_purchase AS t1 JOIN oc_data_product AS t2" in sql
    )
    assert "EXISTS" not in sql and "t0" not in sql.split("IN (", 1)[1]  # uncorrelated


@pytest.mark.django_db
def test_exists_with_sub_conditions_is_one_semi_join(shop):
    rule = {
        "type": "exists",
        "link": "purchases",
        "where": {
            "type": "group",
            "op": "and",
            "children": [
                {"type": "condition", "field": "product.brand", "operator": "equal", "value": "Acme"},
                {"type": "condition", "field": "amount", "operator": "greater", "value": 20},
            ],
        },
    }
    decisions, sql = plan_of(shop, rule)
    assert decisions == [("", "exists", "semi_join"), ("where.children[0]", "path", "semi_join")]
    assert sql.startswith(
        "SELECT t0.id AS id FROM oc_data_customer AS t0 WHERE t0.id IN (SELECT t1.customer_id"
    )
    # documented example: bought brand Acme for more than 20 (in one purchase)
    data = shop["data"]
    brand = {p["id"]: p["brand"] for p in data["product"]}
    want = {
        p["customer_id"]
        for p in data["purchase"]
        if brand.get(p["product_id"]) == "Acme" and p["amount"] is not None and p["amount"] > 20
    }
    assert ids_of(shop, rule) == want


@pytest.mark.django_db
def test_documented_ninety_day_sum(shop):
    # given
    today = timezone.localdate()
    totals: dict[int, D] = {}
    for p in shop["data"]["purchase"]:
        if today - dt.timedelta(days=90) <= p["purchased_on"] <= today and p["amount"] is not None:
            totals[p["customer_id"]] = totals.get(p["customer_id"], D(0)) + p["amount"]
    # then
    assert ids_of(shop, SUM_90) == {c for c, total in totals.items() if total > 100}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("function", "field", "operator", "value"),
    [
        ("count", None, "greater_or_equal", 2),
        ("count", None, "equal", 0),
        ("count_distinct", "product_id", "greater", 1),
        ("sum", "amount", "less_or_equal", 60),
        ("avg", "amount", "greater", 40),
        ("min", "amount", "less", 30),
        ("max", "purchased_on", "greater", "2000-01-01"),
    ],
)
def test_aggregates_match_python(shop, function, field, operator, value):
    rule = {
        "type": "aggregate",
        "link": "purchases",
        "function": function,
        "operator": operator,
        "value": value,
    }
    if field:
        rule["field"] = field
    rows: dict[int, list] = {c["id"]: [] for c in shop["data"]["customer"]}
    for p in shop["data"]["purchase"]:
        rows[p["customer_id"]].append(p)

    def agg(items):
        vals = [p[field] for p in items if field and p[field] is not None]
        if function == "count":
            return len(items)
        if function == "count_distinct":
            return len(set(vals))
        if function == "sum":
            return sum(vals, D(0))
        if not vals:
            return None
        return {"avg": lambda: sum(vals) / len(vals), "min": lambda: min(vals), "max": lambda: max(vals)}[
            function
        ]()

    target = dt.date.fromisoformat(value) if isinstance(value, str) else D(value)
    compare = {
        "greater_or_equal": lambda a: a >= target,
        "equal": lambda a: a == target,
        "greater": lambda a: a > target,
        "less_or_equal": lambda a: a <= target,
        "less": lambda a: a < target,
    }[operator]
    want = {c for c, items in rows.items() if agg(items) is not None and compare(agg(items))}
    assert ids_of(shop, rule) == want


@pytest.mark.django_db
def test_not_exists_is_an_anti_join(shop):
    decisions, sql = plan_of(shop, {"type": "not_exists", "link": "purchases"})
    assert decisions == [("", "exists", "anti_join:semi_join")]
    assert "WHERE NOT (EXISTS (SELECT 1 FROM oc_data_purchase AS t1 WHERE t1.customer_id = t0.id))" in sql


@pytest.mark.django_db
def test_or_group_across_two_links(shop):
    rule = {
        "type": "group",
        "op": "or",
        "children": [
            {"type": "condition", "field": "purchases.product.brand", "operator": "equal", "value": "Bolt"},
            {"type": "condition", "field": "visits.page", "operator": "equal", "value": "cart"},
        ],
    }
    data = shop["data"]
    brand = {p["id"]: p["brand"] for p in data["product"]}
    want = {p["customer_id"] for p in data["purchase"] if brand.get(p["product_id"]) == "Bolt"}
    want |= {v["customer_id"] for v in data["visit"] if v["page"] == "cart"}
    assert ids_of(shop, rule) == want
    decisions, sql = plan_of(shop, rule)
    assert ("", "group", "union") in decisions
    assert " UNION SELECT " in sql and sql.count(" IN (") == 1  # one lookup over the union of keys


@pytest.mark.django_db
def test_except_group_keeps_rows_whose_excluded_condition_is_unknown(shop):
    rule = {
        "type": "group",
        "op": "except",
        "children": [
            {"type": "condition", "field": "tier", "operator": "is_not_empty"},
            {"type": "condition", "field": "age", "operator": "greater", "value": 50},
        ],
    }
    data = shop["data"]["customer"]
    want = {c["id"] for c in data if c["tier"] and not (c["age"] is not None and c["age"] > 50)}
    assert ids_of(shop, rule) == want


@pytest.mark.django_db
def test_not_exists(shop):
    rule = {"type": "not_exists", "link": "purchases"}
    buyers = {p["customer_id"] for p in shop["data"]["purchase"]}
    assert ids_of(shop, rule) == {c["id"] for c in shop["data"]["customer"]} - buyers


@pytest.mark.django_db
def test_every_error_has_its_node_path(shop):
    rule = {
        "type": "group",
        "op": "and",
        "children": [
            {"type": "condition", "field": "nope", "operator": "equal", "value": 1},
            {"type": "condition", "field": "age", "operator": "contains", "value": "x"},
            {"type": "condition", "field": "age", "operator": "equal", "value": "abc"},
            {"type": "exists", "link": "nowhere"},
            {
                "type": "aggregate",
                "link": "store",
                "function": "sum",
                "field": "city",
                "operator": "greater",
                "value": 1,
            },
            {"type": "condition", "left": "@age +", "operator": "equal", "value": 1},
        ],
    }
    errors = services.rule_validate(dimension=shop["dimension"], rule=rule)
    assert [e.path for e in errors] == [
        "children[0].field",
        "children[1].operator",
        "children[2].value",
        "children[3].link",
        "children[4].link",
        "children[5].left",
    ]
    with pytest.raises(ValidationError) as raised:
        services.rule_select(dimension=shop["dimension"], rule=rule)
    assert "rule.children[0].field" in raised.value.message_dict

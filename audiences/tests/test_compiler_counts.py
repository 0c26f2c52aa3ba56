"""Count plans (``compiler/counts.py``): a rule that is one semi-join on the key counts from the key set,
with exactly the answer of the plain ``IN`` count, purchases of unknown customers included in the data."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from django.db import connection
from django.utils import timezone

from audiences.catalog import database
from audiences.catalog.selectors import schema_table
from audiences.query import services
from audiences.tests.rules_fixtures import make_shop

EXISTS = {
    "type": "exists",
    "link": "purchases",
    "where": {"type": "condition", "field": "amount", "operator": "greater", "value": 50},
}
SUM_90 = {
    "type": "aggregate",
    "link": "purchases",
    "function": "sum",
    "field": "amount",
    "where": {"type": "condition", "field": "purchased_on", "operator": "last_n_days", "value": 90},
    "operator": "greater",
    "value": 30,
}
EITHER = {
    "type": "group",
    "op": "or",
    "children": [
        {"type": "condition", "field": "purchases.product.brand", "operator": "equal", "value": "Acme"},
        {"type": "condition", "field": "visits.page", "operator": "equal", "value": "cart"},
    ],
}
MIXED = {
    "type": "group",
    "children": [EXISTS, {"type": "condition", "field": "vip", "operator": "equal", "value": True}],
}


@pytest.fixture
def shop(administrator):
    shop = make_shop(administrator)
    # Purchases and a visit of customer keys no customer row has: they match every rule above.
    today = timezone.localdate()
    orphans = [
        {
            "id": 900 + i,
            "customer_id": 990 + i,
            "product_id": 1,
            "amount": 500,
            "purchased_on": today - dt.timedelta(days=i),
        }
        for i in range(3)
    ]
    database.execute(sa.insert(schema_table(shop["purchase"])).values(orphans))
    database.execute(
        sa.insert(schema_table(shop["visit"])).values([{"id": 900, "customer_id": 995, "page": "cart"}])
    )
    return shop


def _plain_count(shop, rule) -> int:
    """The rule's rows counted through rule_select (``key IN (...)``), the reference answer."""
    select = services.rule_select(dimension=shop["dimension"], rule=rule).subquery()
    return database.fetch_value(sa.select(sa.func.count()).select_from(select))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rule", [EXISTS, SUM_90, EITHER, MIXED], ids=["exists", "sum_90", "or_links", "mixed"]
)
def test_counts_equal_the_plain_semi_join_count(shop, administrator, rule):
    # when
    count = services.rule_count(actor=administrator, dimension=shop["dimension"], rule=rule)
    # then
    assert count == _plain_count(shop, rule)
    assert 0 < count < len(shop["data"]["customer"])


@pytest.mark.django_db
@pytest.mark.parametrize("rule", [EXISTS, SUM_90, EITHER], ids=["exists", "sum_90", "or_links"])
def test_a_rule_that_is_one_semi_join_counts_from_its_key_array_on_postgresql(shop, rule):
    # when
    statement = services.rule_count_select(dimension=shop["dimension"], rule=rule)
    sql = " ".join(database.compile_statement(statement)[0].split())
    # then
    if connection.vendor == "postgresql":
        assert "WHERE t0.id = any(ARRAY(SELECT t1.customer_id FROM" in sql
        assert " IN (SELECT t1.customer_id" not in sql
    else:  # SQLite has no arrays: the plain semi-join
        assert "t0.id IN (SELECT t1.customer_id" in sql


@pytest.mark.django_db
def test_count_plan_is_a_planner_decision(shop):
    # when
    statement_sql = database.compile_statement(
        services.rule_count_select(dimension=shop["dimension"], rule=MIXED)
    )[0]
    compiled = services.rule_compile(dimension=shop["dimension"], rule=EXISTS)
    from audiences.query.compiler.counts import count_select

    count_select(compiled, "postgresql")
    # then: a rule with other conditions beside the semi-join keeps the plain predicate
    assert "ARRAY" not in statement_sql
    assert [d.plan for d in compiled.decisions][-1] == "key_array"

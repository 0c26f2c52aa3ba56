"""Save audience's first save creates the static audience from the working table directly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audiences.catalog import database
from audiences.query import services as query
from campaigns.engine import rules
from campaigns.engine.context import dimension_by_name

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}


@pytest.mark.django_db
def test_the_first_save_stores_only_the_population_once(shop, administrator):
    # given the keys of a population (as Save audience hands them over)
    dimension = dimension_by_name("customers")
    select = rules.rule_select(dimension=dimension, rule=GOLD)
    gold = {c["id"] for c in shop.customers if c["tier"] == "gold"}
    # when the audience is saved for the first time
    with CaptureQueriesContext(connection) as ctx:
        audience = rules.audience_save(
            actor=administrator, name="Gold savers", dimension=dimension, select=select
        )
    # then it holds exactly the population, stored by one CREATE TABLE ... AS (not the whole dimension
    # first and the population after)
    stored = {r[0] for r in database.fetch_all(query.audience_members_select(audience))}
    assert stored == gold and 0 < len(gold) < len(shop.customers)
    creates = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("CREATE")]
    assert len([s for s in creates if " AS " in s]) == 1
    # and a second save replaces the members
    rules.audience_save(
        actor=administrator,
        name="Gold savers",
        dimension=dimension,
        select=sa.select(sa.literal(min(gold)).label("id")),
    )
    assert {r[0] for r in database.fetch_all(query.audience_members_select(audience))} == {min(gold)}

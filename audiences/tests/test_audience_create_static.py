"""``audience_create_static``: a static audience stored straight from a SELECT (a campaign's Save
audience), without evaluating anything over the whole dimension first."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audiences.catalog import database
from audiences.query import services as rules
from audiences.saved import services
from audiences.saved.models import Audience, AudienceSource
from audiences.tests.rules_fixtures import make_shop

OLD = {"type": "condition", "field": "age", "operator": "greater", "value": 40}


def member_ids(audience) -> set[int]:
    return {r[0] for r in database.fetch_all(rules.audience_members_select(audience))}


def tables_created(queries) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("CREATE") and " AS " in q["sql"]
    ]


@pytest.mark.django_db
def test_a_static_audience_is_stored_once_from_the_given_select(administrator):
    # given a SELECT of some of a dimension's keys
    shop = make_shop(administrator)
    select = rules.rule_select(dimension=shop["dimension"], rule=OLD)
    older = {c["id"] for c in shop["data"]["customer"] if c["age"] is not None and c["age"] > 40}
    # when a static audience is created from it
    with CaptureQueriesContext(connection) as ctx:
        audience = services.audience_create_static(
            actor=administrator, name="Saved by a campaign", dimension=shop["dimension"], members=select
        )
    # then its members are exactly those keys, stored by one CREATE TABLE ... AS from that SELECT
    assert 0 < len(older) < len(shop["data"]["customer"])
    assert member_ids(audience) == older
    assert audience.member_count == len(older)
    created = tables_created(ctx.captured_queries)
    assert len(created) == 1 and "age" in created[0]
    stored = Audience.objects.get(pk=audience.pk)
    assert (stored.kind, stored.source, stored.rule) == ("static", AudienceSource.CAMPAIGN, None)


@pytest.mark.django_db
def test_creating_a_static_audience_needs_the_add_permission(administrator, viewer):
    shop = make_shop(administrator)
    select = rules.rule_select(dimension=shop["dimension"], rule=OLD)
    with pytest.raises(PermissionDenied):
        services.audience_create_static(
            actor=viewer, name="Nope", dimension=shop["dimension"], members=select
        )
    assert not Audience.objects.filter(name="Nope").exists()

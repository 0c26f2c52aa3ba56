"""Audiences: static from a rule (members stored set-based), from an uploaded CSV, replaced from a
SELECT (the campaign engine's Save audience), rule-based; membership in rules; members select."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from django.core.exceptions import ValidationError

from audiences.catalog import database
from audiences.query import services as rules
from audiences.saved import services
from audiences.tests.rules_fixtures import make_shop

OLD = {"type": "condition", "field": "age", "operator": "greater", "value": 40}


@pytest.fixture
def shop(administrator):
    return make_shop(administrator)


def members(audience) -> set[int]:
    return {r[0] for r in database.fetch_all(rules.audience_members_select(audience))}


def older(shop, age=40) -> set[int]:
    return {c["id"] for c in shop["data"]["customer"] if c["age"] is not None and c["age"] > age}


@pytest.mark.django_db
def test_static_audience_from_a_rule_keeps_its_members(shop, manager):
    # given
    audience = services.audience_create(
        actor=manager, name="Old", dimension=shop["dimension"], kind="static", rule=OLD
    )
    # when the data changes afterwards
    database.execute(sa.text("UPDATE oc_data_customer SET age = 99"))
    # then
    assert members(audience) == older(shop)
    assert audience.member_count == len(older(shop)) and audience.computed_at is not None
    in_rule = {"type": "in_audience", "audience": audience.pk}
    out_rule = {"type": "not_in_audience", "audience": audience.pk}
    assert {
        r[0]
        for r in database.fetch_all(
            rules.rule_select(dimension=shop["dimension"], rule=in_rule, actor=manager)
        )
    } == (older(shop))
    assert {
        r[0]
        for r in database.fetch_all(
            rules.rule_select(dimension=shop["dimension"], rule=out_rule, actor=manager)
        )
    } == (set(range(1, 13)) - older(shop))


@pytest.mark.django_db
def test_rule_based_audience_is_evaluated_when_used(shop, manager):
    audience = services.audience_create(
        actor=manager, name="Old", dimension=shop["dimension"], kind="rule", rule=OLD
    )
    assert members(audience) == older(shop)
    database.execute(sa.text("UPDATE oc_data_customer SET age = 99 WHERE id = 1"))
    assert 1 in members(audience)


@pytest.mark.django_db
def test_replace_members_from_a_select(shop, manager):
    audience = services.audience_create(
        actor=manager, name="S", dimension=shop["dimension"], kind="static", rule=OLD
    )
    select = rules.rule_select(
        dimension=shop["dimension"],
        rule={"type": "condition", "field": "id", "operator": "in", "values": [1, 2, 3]},
    )
    assert services.audience_replace_members(audience=audience, select=select) == 3
    assert members(audience) == {1, 2, 3}


@pytest.mark.django_db
def test_upload_drops_unknown_keys_and_refuses_bad_headers(shop, manager):
    upload = io.BytesIO(b"id,other\n1,x\n3,y\n3,y\n999,z\n")
    audience, dropped = services.audience_create_from_upload(
        actor=manager, name="U", dimension=shop["dimension"], upload=upload
    )
    assert members(audience) == {1, 3} and dropped == 2
    with pytest.raises(ValidationError):
        services.audience_create_from_upload(
            actor=manager, name="V", dimension=shop["dimension"], upload=io.BytesIO(b"nope\n1\n")
        )


@pytest.mark.django_db
def test_delete_drops_the_members_table(shop, manager):
    audience = services.audience_create(
        actor=manager, name="D", dimension=shop["dimension"], kind="static", rule=OLD
    )
    name = audience.members_table_name
    services.audience_delete(actor=manager, audience=audience)
    with pytest.raises(Exception):  # noqa: B017 - the table is gone, whatever the driver's error class
        database.fetch_all(sa.select(sa.literal_column("1")).select_from(sa.table(name)))


@pytest.mark.django_db
def test_api_create_refresh_and_viewer_cannot_create(shop, api_as, manager, viewer):
    body = {"name": "Old", "dimension": shop["dimension"].pk, "kind": "static", "rule": OLD}
    created = api_as(manager).post("/api/v1/audiences/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["member_count"] == len(older(shop))
    refreshed = api_as(manager).post(f"/api/v1/audiences/{created.json()['id']}/refresh/")
    assert refreshed.status_code == 200
    assert api_as(viewer).post("/api/v1/audiences/", body, format="json").status_code == 403


@pytest.mark.django_db
def test_a_rule_based_audience_cannot_lose_its_rule(shop, api_as, manager):
    # given a rule-based audience
    audience = services.audience_create(
        actor=manager, name="Old", dimension=shop["dimension"], kind="rule", rule=OLD
    )
    # when its rule is set to null (the API accepted it with a 200 before)
    response = api_as(manager).patch(f"/api/v1/audiences/{audience.pk}/", {"rule": None}, format="json")
    # then: a 400 naming the rule, and the rule is kept
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "rule"
    audience.refresh_from_db()
    assert audience.rule == OLD

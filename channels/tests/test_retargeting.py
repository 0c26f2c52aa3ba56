"""The ledger and events as 1-N links of the dimension: "received campaign X's email but did not click",
compiled by the rule builder's own compiler."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from django.core.exceptions import ValidationError

from audiences.catalog import database
from audiences.catalog.hooks import dimension_created_hooks
from audiences.catalog.models import Schema, TargetingDimension
from campaigns.engine.rules import rule_select
from channels.delivery.sender import send_delivery
from channels.models import EventKind, LedgerEntry
from channels.retargeting import retargeting_links_ensure, view_names
from channels.tests.conftest import prepared_delivery
from channels.tracking.services import event_record

pytestmark = pytest.mark.django_db


def test_received_but_did_not_click(catalog, campaign, email_configuration, smtp_sink):
    # given: Ann, Bob and Cy received the Spring sale email; Ann clicked
    delivery = prepared_delivery(catalog, campaign, [1, 2, 3])
    send_delivery(delivery.pk)
    event_record(
        LedgerEntry.objects.get(delivery=delivery, recipient_key="1"), EventKind.CLICK, url="https://x.test"
    )
    # when
    made = retargeting_links_ensure(actor=catalog["admin"], dimension=catalog["dimension"])
    again = retargeting_links_ensure(actor=catalog["admin"], dimension=catalog["dimension"])
    rule = {
        "type": "group",
        "op": "and",
        "children": [
            {
                "type": "exists",
                "link": "channel_messages",
                "where": {
                    "type": "group",
                    "op": "and",
                    "children": [
                        {
                            "type": "condition",
                            "field": "campaign_name",
                            "operator": "equal",
                            "value": "Spring sale",
                        },
                        {"type": "condition", "field": "channel", "operator": "equal", "value": "email"},
                        {"type": "condition", "field": "state", "operator": "equal", "value": "sent"},
                    ],
                },
            },
            {
                "type": "not_exists",
                "link": "channel_events",
                "where": {"type": "condition", "field": "kind", "operator": "equal", "value": "click"},
            },
        ],
    }
    keys = {row[0] for row in database.fetch_all(rule_select(dimension=catalog["dimension"], rule=rule))}
    # then
    assert made == [] and again == []  # made when the dimension was created (the catalog hook)
    assert keys == {2, 3}


def test_a_dimension_created_through_the_catalog_api_gets_the_links(administrator, api_as):
    # given: a schema with a text identity
    client = api_as(administrator)
    schema = {
        "name": "member",
        "fields": [
            {"name": "code", "type": "string", "primary_key": True},
            {"name": "email", "type": "string"},
        ],
    }
    assert client.post("/api/v1/schemas/", schema, format="json").status_code == 201
    # when
    response = client.post(
        "/api/v1/targeting-dimensions/",
        {"schema": "member", "identity_field": "code", "email_field": "email"},
        format="json",
    )
    # then: both 1-N links, to views of this dimension only, keyed on the identity
    assert response.status_code == 201, response.json()
    dimension = TargetingDimension.objects.get(schema__name="member")
    links = {
        link["name"]: link
        for link in client.get("/api/v1/links/", {"source": "member"}).json()["results"]
        if link["source"] == "member"
    }
    assert set(links) == {"channel_messages", "channel_events"}
    messages, events = view_names(dimension)
    assert links["channel_messages"]["target"] == messages.removeprefix("oc_")
    assert links["channel_events"]["target"] == events.removeprefix("oc_")
    assert {link["cardinality"] for link in links.values()} == {"one_to_many"}
    assert {tuple(link["keys"][0]) for link in links.values()} == {("code", "recipient")}
    assert database.fetch_all(sa.select(sa.func.count()).select_from(sa.table(messages))) == [(0,)]


def test_a_failing_hook_rolls_the_dimension_back(administrator):
    # given: a hook that fails after the channels hook made its views and links
    from audiences.catalog import services

    schema = services.schema_create(
        actor=administrator, name="guest", fields=[{"name": "id", "type": "bigint", "primary_key": True}]
    )

    def broken(*, actor, dimension):
        raise ValidationError({"hook": "refused"})

    dimension_created_hooks.register("tests.broken", broken)
    try:
        # when
        with pytest.raises(ValidationError):
            services.targeting_dimension_create(
                actor=administrator, schema=schema, data={"identity_field": "id"}
            )
    finally:
        dimension_created_hooks.unregister("tests.broken")
    # then: nothing half-written
    assert not TargetingDimension.objects.filter(schema=schema).exists()
    assert not Schema.objects.filter(name__startswith="rt_").exists()
    assert dimension_created_hooks.keys() == ["channels.retargeting"]

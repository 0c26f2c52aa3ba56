"""The ledger and events as 1-N links of the dimension: "received campaign X's email but did not click",
compiled by the rule builder's own compiler."""

from __future__ import annotations

import pytest

from audiences.catalog import database
from campaigns.engine.rules import rule_select
from channels.delivery.sender import send_delivery
from channels.models import EventKind, LedgerEntry
from channels.retargeting import retargeting_links_ensure
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
    assert made == ["channel_messages", "channel_events"] and again == []
    assert keys == {2, 3}

"""Personal data stays behind the preview permission through the channel activities (issue 12 §3).

A channel activity passes its population on (in a test run, untouched); the personal flags of its
input columns must reach its output's preview. The engine's property test (campaigns/tests/
test_personal_flow.py) leaves ``channel.*`` types to this file, which fails when one has no case.
"""

from __future__ import annotations

import pytest

from audiences.catalog.models import Field
from audiences.catalog.services import field_update
from campaigns.activities import registry
from campaigns.tests.graphs import A, T, campaign_with, test_run
from campaigns.tests.test_personal_flow import previews
from channels.tests.conftest import CUSTOMERS

pytestmark = pytest.mark.django_db

CONTENT = {
    "channel.email": {
        "configuration": "mail",
        "content": {"subject": "Hi {{ recipient.first_name }}", "text": "x"},
    },
    "channel.sms": {"configuration": "sms", "content": {"text": "Hi {{ recipient.first_name }}"}},
    "channel.push": {
        "configuration": "push",
        "content": {"title": "Hi", "body": "{{ recipient.first_name }}"},
    },
}
# the personal values of the channels' test catalog (e-mails of customers, contact e-mails of bookings)
SECRETS = [row[2] for row in CUSTOMERS if row[2]] + ["ann+lx1@example.test", "ann+lx2@example.test"]


def test_every_channel_type_has_a_case():
    assert {k for k in registry.all_types() if k.startswith("channel.")} == set(CONTENT)


@pytest.fixture
def configurations(catalog, email_configuration, httpserver):
    from channels.services.configurations import configuration_create

    for channel, provider in (("sms", "sms_webhook"), ("push", "push_webhook")):
        configuration_create(
            actor=catalog["admin"],
            data={
                "name": channel,
                "channel": channel,
                "provider": provider,
                "dimension": catalog["dimension"],
                "provider_settings": {"url": httpserver.url_for(f"/{channel}"), "webhook_secret": "k"},
            },
        )
    for schema, name in ((catalog["customer"], "email"), (catalog["booking"], "contact_email")):
        field_update(
            actor=catalog["admin"],
            field=Field.objects.get(schema=schema, name=name),
            data={"is_personal": True},
        )
    return catalog


@pytest.mark.parametrize("key", sorted(CONTENT))
def test_personal_columns_stay_masked_through_a_channel_activity(key, configurations, viewer, drive):
    admin = configurations["admin"]
    campaign = campaign_with(
        admin,
        [
            A("src", "targeting.build_audience", dimension="customer"),
            A(
                "rich",
                "targeting.enrichment",
                fields=[{"name": "mail", "path": "email"}],
                aggregates=[
                    {"name": "contact", "link": "bookings", "function": "min", "field": "contact_email"}
                ],
            ),
            A("x", key, **CONTENT[key]),
            A("end", "flow.end"),
        ],
        [T("src", "rich"), T("rich", "x"), T("x", "end")],
    )
    run = test_run(drive, admin, campaign)
    assert run.status == "done", [(t.activity_key, t.status, t.error) for t in run.tasks.all()]
    # then a Viewer reads none of the personal values in the channel activity's output preview
    for text in previews(run, viewer):
        assert not [s for s in SECRETS if s in text]
    # and a user with the permission reads them, the aggregate's included
    shown = "".join(previews(run, admin)[:-1])
    assert "ann@example.test" in shown and "ann+lx1@example.test" in shown

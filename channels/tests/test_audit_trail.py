"""Channel configurations, saved filters and audiences are on the audit trail: one change of each shows
in /api/v1/audit-events/ with who and the difference; provider secrets are never copied; events of a
private saved filter are shown only to those who may see it."""

from __future__ import annotations

import pytest

from audiences.saved import services as saved
from audit.context import acting

pytestmark = pytest.mark.django_db

GOLD = {"type": "condition", "field": "first_name", "operator": "equal", "value": "Ann"}


def events(client, object_type, object_id):
    response = client.get("/api/v1/audit-events/", {"object_type": object_type, "object_id": str(object_id)})
    assert response.status_code == 200
    return response.json()["results"]


def test_a_channel_configuration_change_is_on_the_trail_without_its_secrets(
    catalog, email_configuration, api_as
):
    from channels.services.configurations import configuration_update

    # given
    admin = catalog["admin"]
    # when the sender name and the provider password change
    with acting(admin):
        configuration_update(
            actor=admin,
            configuration=email_configuration,
            data={
                "from_name": "Shop news",
                "provider_settings": {**email_configuration.provider_settings, "password": "s3cret"},
            },
        )
    # then
    found = events(api_as(admin), "oc_channels.channelconfiguration", email_configuration.pk)
    changed = [e for e in found if e["kind"] == "channelconfiguration.changed"]
    assert len(changed) == 1 and changed[0]["actor_name"] == admin.username
    assert changed[0]["changes"] == [{"field": "from_name", "old": "Shop", "new": "Shop news"}]
    assert any(e["kind"] == "channelconfiguration.created" for e in found)
    assert "s3cret" not in str(found)


def test_saved_filter_and_audience_changes_are_on_the_trail_for_those_who_see_them(catalog, api_as, viewer):
    admin = catalog["admin"]
    with acting(admin):
        # given a private saved filter and a shared audience
        saved_filter = saved.saved_filter_create(
            actor=admin, name="Ann", dimension=catalog["dimension"], rule=GOLD
        )
        audience = saved.audience_create(
            actor=admin,
            name="Anns",
            dimension=catalog["dimension"],
            kind="rule",
            rule=GOLD,
            visibility="shared",
        )
        # when each is renamed
        saved.saved_filter_update(actor=admin, saved_filter=saved_filter, data={"name": "Ann only"})
        saved.audience_update(actor=admin, audience=audience, data={"name": "All Anns"})
    # then the Administrator reads both changes with their difference
    filter_events = events(api_as(admin), "audiences.savedfilter", saved_filter.pk)
    assert {"field": "name", "old": "Ann", "new": "Ann only"} in [
        c for e in filter_events if e["kind"] == "savedfilter.changed" for c in e["changes"]
    ]
    audience_events = events(api_as(admin), "audiences.audience", audience.pk)
    assert {"field": "name", "old": "Anns", "new": "All Anns"} in [
        c for e in audience_events if e["kind"] == "audience.changed" for c in e["changes"]
    ]
    # a Viewer sees the shared audience's events but not the private filter's
    assert events(api_as(viewer), "audiences.audience", audience.pk) != []
    assert events(api_as(viewer), "audiences.savedfilter", saved_filter.pk) == []

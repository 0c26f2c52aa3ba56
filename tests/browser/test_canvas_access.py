"""The canvas page and the rule builder's reads for every profile (no browser: the role matrix's part).

The "Confirm send" button itself, on a held send, is checked per profile in the browser by
``test_canvas_interactions.py``."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from accounts.profiles import ProductProfile
from conftest import ROLES

EXPECTED = {  # (status, editable, may_test_run, may_preview_rows, may_confirm_send) on a Manager's draft
    "anonymous": (302, None, None, None, None),
    "Administrator": (200, True, True, True, True),
    "Approver": (200, False, False, True, True),
    "Manager": (200, False, False, False, False),  # another Manager's campaign: read-only
    "Viewer": (200, False, False, False, False),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_canvas_page_by_profile(role, make_user):
    # given a draft campaign owned by a Manager
    from campaigns.services import campaign_create

    owner = make_user(ProductProfile.MANAGER, username="owner")
    campaign = campaign_create(actor=owner, name="Owned")
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(role))
    # when
    response = client.get(f"/admin/campaigns/campaign/{campaign.pk}/canvas/")
    # then
    status, editable, may_run, may_preview, may_confirm = EXPECTED[role]
    assert response.status_code == status
    if status == 200:
        found = re.search(r'id="oc-canvas-config"[^>]*>(.*?)</script>', response.content.decode(), re.S)
        config = json.loads(found.group(1))
        assert (
            config["editable"],
            config["may_test_run"],
            config["may_preview_rows"],
            config["may_confirm_send"],
        ) == (editable, may_run, may_preview, may_confirm)


@pytest.mark.django_db
def test_canvas_of_own_draft_is_editable_and_not_once_it_left_draft(manager):
    from campaigns.models import Campaign, CampaignStatus
    from campaigns.services import campaign_create

    campaign = campaign_create(actor=manager, name="Mine")
    client = Client()
    client.force_login(manager)
    assert client.get(f"/admin/campaigns/campaign/{campaign.pk}/canvas/").context["canvas_config"]["editable"]
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.IN_REVIEW)
    response = client.get(f"/admin/campaigns/campaign/{campaign.pk}/canvas/")
    assert response.context["canvas_config"]["editable"] is False
    assert "only a draft campaign can be edited" in response.content.decode()


@pytest.mark.django_db
def test_activity_schemas_are_generated_from_the_config_dataclasses(api_as, viewer):
    # when
    data = {t["key"]: t for t in api_as(viewer).get("/api/v1/activity-schemas/").json()}
    # then: required settings are those without a default; hints name the rich editors
    build = data["targeting.build_audience"]
    assert build["schema"]["required"] == ["dimension"]
    assert build["schema"]["properties"]["rule"]["x-widget"] == "rule"
    assert build["produces"] == "dimension" and data["targeting.load_file"]["produces"] == "file"
    assert data["channel.email"]["needs_audience"] is True
    combine = data["targeting.combine"]["schema"]["properties"]
    assert combine["operation"]["enum"] == ["union", "intersection", "exclusion"]
    assert combine["primary"]["x-widget"] == "inbound-activity"
    assert data["targeting.split"]["schema"]["properties"]["subsets"]["items"]["properties"]["limit"][
        "nullable"
    ]


@pytest.mark.django_db
def test_outputs_follow_the_configuration(api_as, viewer):
    client = api_as(viewer)
    fork = client.post(
        "/api/v1/activity-schemas/outputs/",
        {"type": "flow.fork", "config": {"branches": ["a", "b", "c"]}},
        format="json",
    )
    assert fork.json() == {"outputs": ["a", "b", "c"], "error": None}
    bad = client.post(
        "/api/v1/activity-schemas/outputs/",
        {"type": "targeting.combine", "config": {"operation": "nope"}},
        format="json",
    )
    assert bad.json()["outputs"] is None and bad.json()["error"]["path"] == "operation"


@pytest.mark.django_db
def test_expression_check_points_at_the_position(api_as, administrator):
    from audiences.catalog import services

    customer = services.schema_create(
        actor=administrator, name="customer", fields=[{"name": "id", "type": "bigint", "primary_key": True}]
    )
    dimension = services.targeting_dimension_create(
        actor=administrator, schema=customer, data={"identity_field": "id"}
    )
    client = api_as(administrator)
    ok = client.post(
        "/api/v1/rule-builder/expression/",
        {"dimension": dimension.pk, "expression": "@id + 1"},
        format="json",
    )
    assert ok.json() == {"type": "integer", "error": None}
    bad = client.post(
        "/api/v1/rule-builder/expression/",
        {"dimension": dimension.pk, "expression": "@id + @nope"},
        format="json",
    )
    error = bad.json()["error"]
    assert "nope" in error["message"] and error["offset"] == 6

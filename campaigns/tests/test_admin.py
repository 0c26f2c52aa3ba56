"""Admin: activity configuration validated in the inline form; run pages show counts and previews."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.admin import ActivityForm
from campaigns.tests.graphs import A, T, campaign_with, test_run


@pytest.mark.django_db
def test_activity_form_shows_configuration_errors_on_the_field(shop):
    form = ActivityForm(
        data={
            "key": "a",
            "type": "targeting.split",
            "label": "",
            "config": '{"subsets": "x"}',
            "enabled": True,
            "breakpoint": False,
            "x": 0,
            "y": 0,
        }
    )
    assert not form.is_valid()
    assert "subsets: Expected a list." in form.errors["config"][0]
    unknown = ActivityForm(data={"key": "a", "type": "flow.nothing", "config": "{}", "x": 0, "y": 0})
    assert not unknown.is_valid() and "Unknown activity type" in unknown.errors["type"][0]


@pytest.mark.django_db
def test_campaign_and_run_pages(shop, administrator, viewer, drive):
    campaign = campaign_with(
        administrator,
        [
            A(
                "gold",
                "targeting.build_audience",
                dimension="customers",
                rule={"type": "condition", "field": "tier", "operator": "equal", "value": "gold"},
            ),
            A("enrich", "targeting.enrichment", fields=[{"name": "mail", "path": "email"}]),
            A("end", "flow.end"),
        ],
        [T("gold", "enrich"), T("enrich", "end")],
    )
    run = test_run(drive, administrator, campaign)
    client = Client()
    client.force_login(administrator)
    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200 and "None: the graph can run." in page.content.decode()
    page = client.get(reverse("admin:campaigns_run_change", args=[run.pk])).content.decode()
    assert "Working table previews" in page and "<th>mail</th>" in page
    client.force_login(viewer)
    page = client.get(reverse("admin:campaigns_run_change", args=[run.pk])).content.decode()
    assert "Personal columns hidden: mail" in page and "<th>mail</th>" not in page


@pytest.mark.django_db
def test_admin_inlines_write_through_the_graph_services(shop, administrator):
    # given a campaign with one activity
    campaign = campaign_with(
        administrator, [A("gold", "targeting.build_audience", dimension="customers")], []
    )
    gold = campaign.activities.get()
    client = Client()
    client.force_login(administrator)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])

    def post(end_config: str):
        return client.post(
            url,
            {
                "name": campaign.name,
                "description": "",
                "activities-TOTAL_FORMS": "2",
                "activities-INITIAL_FORMS": "1",
                "activities-MIN_NUM_FORMS": "0",
                "activities-MAX_NUM_FORMS": "1000",
                "activities-0-id": gold.pk,
                "activities-0-campaign": campaign.pk,
                "activities-0-key": "gold",
                "activities-0-type": "targeting.build_audience",
                "activities-0-label": "Gold",
                "activities-0-config": '{"dimension": "customers"}',
                "activities-0-enabled": "on",
                "activities-0-x": "0",
                "activities-0-y": "0",
                "activities-1-campaign": campaign.pk,
                "activities-1-key": "stop",
                "activities-1-type": "flow.end",
                "activities-1-label": "",
                "activities-1-config": end_config,
                "activities-1-enabled": "on",
                "activities-1-x": "10",
                "activities-1-y": "0",
                "transitions-TOTAL_FORMS": "0",
                "transitions-INITIAL_FORMS": "0",
                "transitions-MIN_NUM_FORMS": "0",
                "transitions-MAX_NUM_FORMS": "1000",
            },
        )

    # when the new activity's configuration is junk, the form says so and nothing is written
    response = post('{"junk": 1}')
    assert response.status_code == 200
    assert "junk: Unknown setting." in response.content.decode()
    assert campaign.activities.count() == 1
    # when it is valid, the rows are saved and the graph version moves on
    response = post("{}")
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign.refresh_from_db()
    assert sorted(campaign.activities.values_list("key", flat=True)) == ["gold", "stop"]
    assert campaign.activities.get(key="gold").label == "Gold"
    assert campaign.graph_version > 1

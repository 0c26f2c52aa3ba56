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

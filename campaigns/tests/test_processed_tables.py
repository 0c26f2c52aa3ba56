"""Incremental query's processed-key tables (``oc_wp_<activity>``) go with their activity: removed from
the graph (replace or per-row delete), retyped, or their campaign deleted (with its runs' tables)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from django.db import connection

from audiences.catalog import database
from campaigns.activities.types.incremental_query import processed_table, processed_table_name
from campaigns.services import campaign_delete
from campaigns.services.graph import activity_delete, campaign_graph_replace, graph_document
from campaigns.tests.graphs import A, T, campaign_with, test_run

KEYS = [{"name": "id", "type": "bigint"}]


def incremental_campaign(actor):
    campaign = campaign_with(
        actor,
        [
            A("inc1", "targeting.incremental_query", dimension="customers"),
            A("inc2", "targeting.incremental_query", dimension="customers"),
            A("end1", "flow.end"),
            A("end2", "flow.end"),
        ],
        [T("inc1", "end1"), T("inc2", "end2")],
    )
    for activity in campaign.activities.filter(type="targeting.incremental_query"):
        # what a live run leaves behind: its processed keys
        database.execute(sa.schema.CreateTable(processed_table(activity.pk, KEYS)))
    return campaign


def table_exists(name: str) -> bool:
    return name in connection.introspection.table_names()


def processed(campaign, key: str) -> str:
    return processed_table_name(campaign.activities.get(key=key).pk)


@pytest.mark.django_db
def test_removing_or_retyping_an_incremental_query_drops_its_processed_keys(shop, administrator):
    # given two incremental queries with processed keys
    campaign = incremental_campaign(administrator)
    inc1, inc2 = processed(campaign, "inc1"), processed(campaign, "inc2")
    assert table_exists(inc1) and table_exists(inc2)
    # when the graph is replaced without inc1
    document = graph_document(campaign)
    document["activities"] = [a for a in document["activities"] if a["key"] not in ("inc1", "end1")]
    document["transitions"] = [t for t in document["transitions"] if t["source"] != "inc1"]
    campaign_graph_replace(actor=administrator, campaign=campaign, document=document, version=1)
    # then only inc1's table is gone
    assert not table_exists(inc1)
    assert table_exists(inc2)
    # when inc2 is retyped to a Build audience (same key), its memory goes too
    campaign.refresh_from_db()
    document = graph_document(campaign)
    for a in document["activities"]:
        if a["key"] == "inc2":
            a["type"], a["config"] = "targeting.build_audience", {"dimension": "customers"}
    campaign_graph_replace(actor=administrator, campaign=campaign, document=document, version=2)
    assert not table_exists(inc2)


@pytest.mark.django_db
def test_deleting_an_activity_drops_its_processed_keys(shop, administrator):
    campaign = incremental_campaign(administrator)
    inc1, inc2 = processed(campaign, "inc1"), processed(campaign, "inc2")
    campaign.activities.get(key="end1").delete()  # leave inc1 without a transition first
    activity_delete(actor=administrator, activity=campaign.activities.get(key="inc1"))
    assert not table_exists(inc1)
    assert table_exists(inc2)


@pytest.mark.django_db
def test_deleting_a_campaign_drops_its_processed_keys_and_its_runs_working_tables(shop, administrator, drive):
    # given a draft with processed keys and a finished test run's working tables
    campaign = incremental_campaign(administrator)
    tables = [processed(campaign, "inc1"), processed(campaign, "inc2")]
    run = test_run(drive, administrator, campaign)
    working = list(run.results.exclude(table_name="").values_list("table_name", flat=True))
    assert len(working) == 2 and all(table_exists(t) for t in tables + working)
    # when the campaign is deleted
    campaign_delete(actor=administrator, campaign=campaign)
    # then none of its tables is left
    assert not any(table_exists(t) for t in tables + working)

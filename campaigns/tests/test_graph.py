"""The graph document: whole-graph validation with every error keyed by activity, and the API."""

from __future__ import annotations

import pytest

from campaigns.engine.validation import graph_check
from campaigns.services import campaign_create
from campaigns.tests.graphs import A, T, campaign_with

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}


def errors_of(activities, transitions):
    _parsed, errors = graph_check({"activities": activities, "transitions": transitions})
    return {(e.activity, e.field): e.message for e in errors}


@pytest.mark.django_db
def test_a_valid_graph_has_no_error(shop):
    assert (
        errors_of(
            [A("a", "targeting.build_audience", dimension="customers", rule=GOLD), A("e", "flow.end")],
            [T("a", "e")],
        )
        == {}
    )


@pytest.mark.django_db
def test_every_error_is_reported_with_its_activity(shop):
    errors = errors_of(
        [
            A("a", "targeting.build_audience", dimension="nowhere"),
            A("b", "targeting.split", subsets=[{"code": "x", "limit": {"kind": "percent", "value": 150}}]),
            A("c", "targeting.combine", operation="union"),
            A("d", "flow.nothing"),
            A("f", "targeting.deduplication", fields=["email"], keep="one"),
            A(
                "g",
                "targeting.build_audience",
                dimension="customers",
                rule={"type": "condition", "field": "nope", "operator": "equal", "value": 1},
            ),
        ],
        [T("a", "b"), T("b", "c", "x")],
    )
    assert errors[("a", "config.dimension")]
    assert errors[("b", "config.subsets.0.limit.value")]
    assert "at least 2" in errors[("c", "")]
    assert "Unknown activity type" in errors[("d", "type")]
    assert errors[("f", "config.keep")] == "Expected an integer."
    assert any(k[0] == "g" and k[1].startswith("config.rule") for k in errors)


@pytest.mark.django_db
def test_cycles_outputs_and_dimensions_are_checked(shop):
    cyclic = errors_of([A("a", "flow.wait"), A("b", "flow.wait")], [T("a", "b"), T("b", "a")])
    assert "cycle" in next(iter(cyclic.values()))
    wrong_output = errors_of(
        [A("a", "targeting.build_audience", dimension="customers"), A("e", "flow.end")], [T("a", "e", "nope")]
    )
    assert "No output nope" in wrong_output[("a", "transitions")]
    mixed = errors_of(
        [
            A("c", "targeting.build_audience", dimension="customers"),
            A("b", "targeting.build_audience", dimension="bookings"),
            A("u", "targeting.combine", operation="union"),
        ],
        [T("c", "u"), T("b", "u")],
    )
    assert "same dimension" in mixed[("u", "config")]
    no_audience = errors_of(
        [A("f", "flow.fork", branches=["a"]), A("m", "channel.direct_mail")], [T("f", "m", "a")]
    )
    assert "audience upstream" in no_audience[("m", "")]


@pytest.mark.django_db
def test_limits_on_activities_and_channels(shop, settings):
    many = [A(f"a{i}", "flow.end") for i in range(501)]
    assert "At most 500" in errors_of(many, [])[(None, "activities")]
    src = A("src", "targeting.build_audience", dimension="customers")
    fork = A("fork", "flow.fork", branches=[f"b{i}" for i in range(11)])
    channels = [A(f"m{i}", "channel.direct_mail") for i in range(11)]
    errors = errors_of(
        [src, fork, *channels], [T("src", "fork")] + [T("fork", f"m{i}", f"b{i}") for i in range(11)]
    )
    assert "At most 10 channel" in errors[(None, "activities")]


@pytest.mark.django_db
def test_graph_api_read_replace_and_stale_write(shop, manager, viewer, api_as):
    # given a manager's campaign
    campaign = campaign_create(actor=manager, name="Mine")
    client = api_as(manager)
    url = f"/api/v1/campaigns/{campaign.pk}/graph/"
    document = {
        "version": 0,
        "activities": [
            A("a", "targeting.build_audience", dimension="customers", rule=GOLD),
            A("e", "flow.end"),
        ],
        "transitions": [T("a", "e")],
    }
    # when
    response = client.put(url, document, format="json")
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 1
    assert [a["key"] for a in client.get(url).json()["activities"]] == ["a", "e"]
    # a write based on version 0 is now stale
    stale = client.put(url, document, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    # an invalid graph: 400 naming the activity, nothing written
    bad = {
        **document,
        "version": 1,
        "activities": [
            A("a", "targeting.build_audience", dimension="customers", rule=GOLD),
            A("e", "flow.end"),
            A("x", "flow.nothing"),
        ],
    }
    response = client.put(url, bad, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"activities.x.type"}
    assert client.get(url).json()["version"] == 1
    # a viewer reads but may not write
    assert api_as(viewer).get(url).status_code == 200
    assert api_as(viewer).put(url, {**document, "version": 1}, format="json").status_code == 403


@pytest.mark.django_db
def test_graph_replace_keeps_activity_ids_by_key(shop, administrator):
    from campaigns.services.graph import campaign_graph_replace, graph_document

    campaign = campaign_with(
        administrator,
        [A("a", "targeting.build_audience", dimension="customers"), A("e", "flow.end")],
        [T("a", "e")],
    )
    ids = dict(campaign.activities.values_list("key", "pk"))
    document = graph_document(campaign)
    document["activities"][1]["label"] = "Finish"
    document["activities"].append(A("w", "flow.wait", minutes=5))
    document["transitions"] = [T("a", "w"), T("w", "e")]
    campaign_graph_replace(actor=administrator, campaign=campaign, document=document, version=1)
    after = dict(campaign.activities.values_list("key", "pk"))
    assert after["a"] == ids["a"] and after["e"] == ids["e"] and "w" in after
    assert campaign.activities.get(key="e").label == "Finish"


@pytest.mark.django_db
def test_activity_types_palette(api_as, viewer):
    response = api_as(viewer).get("/api/v1/campaigns/activity-types/")
    keys = {t["key"] for t in response.json()}
    assert {"targeting.build_audience", "targeting.split", "flow.and_join"} <= keys


@pytest.mark.django_db
def test_enrichment_paths_are_checked_against_the_catalog(shop):
    errors = errors_of(
        [
            A("c", "targeting.build_audience", dimension="customers"),
            A(
                "e",
                "targeting.enrichment",
                fields=[{"name": "x", "path": "nowhere.email"}, {"name": "y", "path": "nope"}],
                aggregates=[{"name": "z", "link": "purchases", "function": "sum", "field": "missing"}],
                related=[{"link": "bookings_typo", "fields": ["id"]}],
            ),
        ],
        [T("c", "e")],
    )
    assert set(errors) == {
        ("e", "config.fields.0.path"),
        ("e", "config.fields.1.path"),
        ("e", "config.aggregates.0"),
        ("e", "config.related.0.link"),
    }

"""Issue 12 §5: bad input gets a clear 4xx in the one error shape, naming the field, never a 500.

Each of these answered 500 before (on SQLite, PostgreSQL or both): JSON nested thousands of levels,
a body over the limit, NUL bytes and lone surrogates, integers outside the column's range, impossible
dates, unknown time zones, malformed ToDateTime text, huge Substring lengths, oversized graphs.
"""

from __future__ import annotations

import itertools
import json
import time

import pytest
from django.test import override_settings

from audiences.tests.rules_fixtures import make_shop
from audit.models import DomainEvent
from campaigns.models import Activity, Transition
from campaigns.services import campaign_create

pytestmark = pytest.mark.django_db

DEEP = 5000


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == {"status", "code", "detail", "errors"}
    assert body["status"] == status
    return body


def _fields(body: dict) -> list[str | None]:
    return [e["field"] for e in body["errors"]]


def _rule_body(dimension: int, rule_json: str) -> str:
    return '{"dimension": ' + str(dimension) + ', "rule": ' + rule_json + "}"


def _post_raw(client, url: str, raw: str | bytes, method: str = "POST"):
    return client.generic(method, url, raw, content_type="application/json")


@pytest.fixture
def shop(administrator):
    return make_shop(administrator)


def cond(**kwargs) -> dict:
    return {"type": "condition", **kwargs}


# --- JSON: depth, NUL, lone surrogates, size ---------------------------------------------------------


def _deep_json_endpoints(shop, manager_campaign):
    dimension = shop["dimension"].pk
    nested = "[" * DEEP + "]" * DEEP
    return [
        ("POST", "/api/v1/rules/validate/", _rule_body(dimension, nested), "rule"),
        ("POST", "/api/v1/rules/count/", _rule_body(dimension, nested), "rule"),
        ("POST", "/api/v1/campaigns/", f'{{"name": "x", "description": {nested}}}', "description"),
        (
            "PUT",
            f"/api/v1/campaigns/{manager_campaign.pk}/graph/",
            f'{{"version": 0, "activities": {nested}, "transitions": []}}',
            "activities",
        ),
        ("POST", "/api/v1/rule-builder/expression/", f'{{"expression": {nested}}}', "expression"),
        ("POST", "/api/v1/saved-filters/", f'{{"name": "f", "rule": {nested}}}', "rule"),
        ("POST", "/api/v1/schemas/customer/records/", f'{{"records": {nested}}}', "records"),
    ]


def test_json_nested_thousands_of_levels_is_a_400_naming_the_key(shop, api_as, administrator):
    # given: bodies nested 5,000 levels (Python's json raised RecursionError at about 1,000)
    campaign = campaign_create(actor=administrator, name="deep")
    client = api_as(administrator)
    for method, url, raw, field in _deep_json_endpoints(shop, campaign):
        # when
        response = _post_raw(client, url, raw, method)
        # then
        body = _error(response, 400)
        assert body["errors"][0]["code"] == "too_deep", url
        assert _fields(body) == [field], url
        assert "128" in body["errors"][0]["message"]


def test_json_nested_within_the_limit_still_parses(shop, api_as, viewer):
    rule = cond(field="age", operator="greater", value=40)
    for _ in range(60):
        rule = {"type": "group", "op": "and", "children": [rule]}
    response = api_as(viewer).post(
        "/api/v1/rules/validate/", {"dimension": shop["dimension"].pk, "rule": rule}, format="json"
    )
    assert response.status_code == 200  # the rule's own depth rule may object; the parser does not


@pytest.mark.parametrize(
    ("raw_value", "what"), [("a\\u0000b", "NUL"), ("a\\ud800b", "surrogate"), ("\\udfff", "surrogate")]
)
def test_nul_or_lone_surrogate_in_a_rule_value_is_a_400_naming_its_path(
    shop, api_as, viewer, raw_value, what
):
    raw = _rule_body(
        shop["dimension"].pk,
        '{"type": "group", "op": "and", "children": '
        '[{"type": "condition", "field": "first_name", "operator": "equal", "value": "' + raw_value + '"}]}',
    )
    for endpoint in ("validate", "count", "preview"):
        body = _error(_post_raw(api_as(viewer), f"/api/v1/rules/{endpoint}/", raw), 400)
        assert _fields(body) == ["rule.children.0.value"], endpoint
        assert body["errors"][0]["code"] == "invalid_character"
        assert what in body["errors"][0]["message"].replace("lone surrogate", "surrogate")


def test_nul_or_lone_surrogate_in_a_name_is_a_400_naming_the_field(api_as, manager):
    for raw_name in ("Spring\\u0000sale", "Spring\\ud83dsale"):
        body = _error(_post_raw(api_as(manager), "/api/v1/campaigns/", f'{{"name": "{raw_name}"}}'), 400)
        assert _fields(body) == ["name"]


def test_a_proper_surrogate_pair_is_text_like_any_other(api_as, manager):
    response = _post_raw(api_as(manager), "/api/v1/campaigns/", '{"name": "Spring \\ud83d\\ude00"}')
    assert response.status_code == 201
    assert response.json()["name"] == "Spring \U0001f600"


@override_settings(OC_MAX_REQUEST_BYTES=10_000, DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_json_body_over_the_limit_is_a_413(api_as, manager):
    raw = json.dumps({"name": "big", "description": "x" * 20_000})
    body = _error(_post_raw(api_as(manager), "/api/v1/campaigns/", raw), 413)
    assert body["code"] == "too_large"
    assert "10000" in body["detail"]


@override_settings(OC_MAX_REQUEST_BYTES=10_000, DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_form_body_over_the_limit_is_a_413(api_as, administrator):
    # multipart form fields (not files) over the limit: Django raises RequestDataTooBig inside DRF
    response = api_as(administrator).post(
        "/api/v1/ingestion-runs/", {"schema": "customer", "mapping": "x" * 20_000}, format="multipart"
    )
    body = _error(response, 413)
    assert body["code"] == "too_large"


@override_settings(OC_MAX_REQUEST_BYTES=10_000, DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_page_body_over_the_limit_is_a_413_page(client):
    # a form post to an admin page (outside DRF): handler400 turns RequestDataTooBig into a 413 page
    response = client.post("/admin/login/", {"username": "x" * 20_000, "password": "y"})
    assert response.status_code == 413
    assert b"Request too large" in response.content


def test_a_mapping_with_a_nul_is_refused_naming_the_mapping(api_as, administrator, shop):
    response = api_as(administrator).post(
        "/api/v1/ingestion-runs/",
        {"schema": "customer", "mapping": '{"id": "a\\u0000"}'},
        format="multipart",
    )
    body = _error(response, 400)
    assert any(f and f.startswith("mapping") for f in _fields(body))


# --- Rule values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 99999999999999999999),  # bigint column: beyond 64 bits
        ("id", -9223372036854775809),
        ("age", 2147483648),  # integer column: beyond 32 bits
        ("age", 99999999999999999999),
    ],
)
def test_an_integer_outside_the_columns_range_is_refused_naming_the_value(shop, api_as, viewer, field, value):
    client = api_as(viewer)
    rule = cond(field=field, operator="equal", value=value)
    body = {"dimension": shop["dimension"].pk, "rule": rule}
    for endpoint in ("count", "preview"):
        error = _error(client.post(f"/api/v1/rules/{endpoint}/", body, format="json"), 400)
        assert _fields(error) == ["rule.value"], endpoint
        assert "whole number from" in error["errors"][0]["message"]
    validated = client.post("/api/v1/rules/validate/", body, format="json").json()
    assert validated["valid"] is False
    assert [e["path"] for e in validated["errors"]] == ["value"]


def test_integers_at_the_edge_of_the_range_are_accepted(shop, api_as, viewer):
    client = api_as(viewer)
    for field, value in (("id", 9223372036854775807), ("age", 2147483647), ("age", -2147483648)):
        body = {"dimension": shop["dimension"].pk, "rule": cond(field=field, operator="equal", value=value)}
        assert client.post("/api/v1/rules/count/", body, format="json").json() == {"count": 0}


@pytest.mark.parametrize(
    ("field", "value"), [("birth_date", "2026-02-30"), ("last_seen", "2026-02-30T10:00:00")]
)
def test_an_impossible_date_is_refused_naming_the_value(shop, api_as, viewer, field, value):
    client = api_as(viewer)
    body = {"dimension": shop["dimension"].pk, "rule": cond(field=field, operator="equal", value=value)}
    error = _error(client.post("/api/v1/rules/count/", body, format="json"), 400)
    assert _fields(error) == ["rule.value"]
    validated = client.post("/api/v1/rules/validate/", body, format="json").json()
    assert validated["valid"] is False and validated["errors"][0]["path"] == "value"


def test_an_impossible_date_in_a_between_names_its_position(shop, api_as, viewer):
    rule = cond(field="birth_date", operator="between", values=["2020-01-01", "2021-02-29"])
    body = {"dimension": shop["dimension"].pk, "rule": rule}
    error = _error(api_as(viewer).post("/api/v1/rules/count/", body, format="json"), 400)
    assert _fields(error) == ["rule.values[1]"]


@pytest.mark.parametrize(
    "left", ["ToTimeZone(@last_seen, 'Mars/Olympus')", "TruncDateTZ(@last_seen, 3600, 'Europe/Atlantis')"]
)
def test_an_unknown_time_zone_is_refused_when_the_rule_is_checked(shop, api_as, viewer, left):
    client = api_as(viewer)
    body = {"dimension": shop["dimension"].pk, "rule": cond(left=left, operator="is_not_empty")}
    validated = client.post("/api/v1/rules/validate/", body, format="json").json()
    assert validated["valid"] is False
    assert validated["errors"][0]["path"] == "left"
    assert "unknown time zone" in validated["errors"][0]["message"]
    error = _error(client.post("/api/v1/rules/count/", body, format="json"), 400)
    assert _fields(error) == ["rule.left"]


def test_a_known_time_zone_still_works(shop, api_as, viewer):
    left = "ToTimeZone(@last_seen, 'Europe/Paris')"
    body = {"dimension": shop["dimension"].pk, "rule": cond(left=left, operator="is_not_empty")}
    count = api_as(viewer).post("/api/v1/rules/count/", body, format="json").json()["count"]
    assert count == sum(1 for c in shop["data"]["customer"] if c["last_seen"] is not None)


@pytest.mark.parametrize(
    "text",
    ["2026-02-30", "2026-02-30 10:00", "2026-13-45 99:99", "2025-02-29", "0000-01-01", "2026-01-01 24:00"],
)
def test_malformed_to_date_time_gives_null(shop, api_as, viewer, text):
    # docs/functions.md: "null if malformed"; PostgreSQL failed the query, SQLite rolled 02-30 into March
    left = f"ToDateTime('{text}')"
    body = {"dimension": shop["dimension"].pk, "rule": cond(left=left, operator="is_empty")}
    response = api_as(viewer).post("/api/v1/rules/count/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == len(shop["data"]["customer"])


@pytest.mark.parametrize(
    "text", ["2024-02-29", "2026-02-28 23:59", "2026-12-31T10:00:59", "2000-02-29 00:00"]
)
def test_well_formed_to_date_time_is_a_date_time(shop, api_as, viewer, text):
    left = f"ToDateTime('{text}')"
    body = {"dimension": shop["dimension"].pk, "rule": cond(left=left, operator="is_not_empty")}
    assert api_as(viewer).post("/api/v1/rules/count/", body, format="json").json()["count"] == len(
        shop["data"]["customer"]
    )


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        ("Substring(@first_name, 1, 99999999999)", "whole"),
        ("Substring(@first_name, 1, 9223372036854775807)", "whole"),
        ("Substring(@first_name, 99999999999, 99999999999)", "empty"),
        ("Substring(@first_name, -99999999999, 99999999999)", "empty"),
        ("Left(@first_name, 99999999999)", "whole"),
    ],
)
def test_a_huge_substring_length_is_clamped(shop, api_as, viewer, left, expected):
    dimension = shop["dimension"].pk
    client = api_as(viewer)
    rule = cond(left=left, operator="equal", expression="@first_name")
    response = client.post("/api/v1/rules/count/", {"dimension": dimension, "rule": rule}, format="json")
    assert response.status_code == 200, response.content
    names = [c["first_name"] for c in shop["data"]["customer"] if c["first_name"] is not None]
    assert response.json()["count"] == (len(names) if expected == "whole" else names.count(""))


# --- Graph size ---------------------------------------------------------------------------------------


def _chain_document(n: int, version: int) -> dict:
    activities = [
        {
            "key": "target",
            "type": "targeting.build_audience",
            "config": {"dimension": "customer", "rule": cond(field="age", operator="greater", value=1)},
        }
    ]
    activities += [{"key": f"w{i}", "type": "flow.wait", "config": {"minutes": 1}} for i in range(n - 2)]
    activities.append({"key": "end", "type": "flow.end", "config": {}})
    keys = [a["key"] for a in activities]
    transitions = [{"source": a, "target": b, "output": "out"} for a, b in itertools.pairwise(keys)]
    return {"version": version, "activities": activities, "transitions": transitions}


def test_a_graph_over_the_activity_limit_is_refused_before_validation(shop, api_as, administrator):
    # given: 10,000 activities, each of an unknown type (full validation would name every one)
    campaign = campaign_create(actor=administrator, name="huge")
    document = {
        "version": 0,
        "activities": [{"key": f"a{i}", "type": "no.such.type", "config": {}} for i in range(10_000)],
        "transitions": [],
    }
    # when
    started = time.perf_counter()
    response = api_as(administrator).put(f"/api/v1/campaigns/{campaign.pk}/graph/", document, format="json")
    elapsed = time.perf_counter() - started
    # then: one error, about the size, and quickly (it took 7.1 s)
    body = _error(response, 400)
    too_many = {"field": "activities", "code": "invalid", "message": "At most 500 activities."}
    assert body["errors"] == [too_many]
    assert elapsed < 3, elapsed
    assert not Activity.objects.filter(campaign=campaign).exists()


def test_the_service_refuses_an_oversized_graph_before_checking_it(shop, administrator):
    from django.core.exceptions import ValidationError

    from campaigns.services.graph import campaign_graph_replace

    campaign = campaign_create(actor=administrator, name="huge")
    document = {"activities": [{"key": f"a{i}", "type": "x"} for i in range(501)], "transitions": []}
    with pytest.raises(ValidationError) as caught:
        campaign_graph_replace(actor=administrator, campaign=campaign, document=document, version=0)
    assert caught.value.message_dict == {"activities": ["At most 500 activities."]}


def test_too_many_transitions_are_refused_before_validation(shop, api_as, administrator):
    campaign = campaign_create(actor=administrator, name="edges")
    document = {
        "version": 0,
        "activities": [],
        "transitions": [{"source": "a", "target": "b"} for _ in range(10_001)],
    }
    response = api_as(administrator).put(f"/api/v1/campaigns/{campaign.pk}/graph/", document, format="json")
    assert _fields(_error(response, 400)) == ["transitions"]


def test_a_500_activity_graph_is_saved_in_bulk_and_a_resave_writes_nothing(
    shop, api_as, administrator
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = campaign_create(actor=administrator, name="big")
    client = api_as(administrator)
    url = f"/api/v1/campaigns/{campaign.pk}/graph/"
    # when: the first save (it took 7.2 s, one INSERT, history row and timeline row per activity)
    with CaptureQueriesContext(connection) as first:
        response = client.put(url, _chain_document(500, 0), format="json")
    assert response.status_code == 200, response.content[:500]
    # then: every activity and transition is there, each with its history and timeline row
    assert Activity.objects.filter(campaign=campaign).count() == 500
    assert Transition.objects.filter(campaign=campaign).count() == 499
    assert DomainEvent.objects.filter(campaign_id=campaign.pk, kind="activity.created").count() == 500
    assert DomainEvent.objects.filter(campaign_id=campaign.pk, kind="transition.created").count() == 499
    assert Activity.history.filter(campaign_id=campaign.pk, history_type="+").count() == 500
    inserts = [q for q in first.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(inserts) < 60, len(inserts)  # batches (SQLite binds at most 999 values a statement)
    # when: the same document again: nothing is rewritten
    history_before = Activity.history.filter(campaign_id=campaign.pk).count()
    graph_events = DomainEvent.objects.filter(campaign_id=campaign.pk).exclude(kind__startswith="campaign.")
    events_before = graph_events.count()
    with CaptureQueriesContext(connection) as again:
        response = client.put(url, {**_chain_document(500, 0), "version": 1}, format="json")
    assert response.status_code == 200
    writes = [
        q["sql"]
        for q in again.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "DELETE"))
        and ("campaigns_activity" in q["sql"] or "campaigns_transition" in q["sql"])
    ]
    assert writes == []
    assert Activity.history.filter(campaign_id=campaign.pk).count() == history_before
    assert graph_events.count() == events_before  # only the campaign's version bump is told


def test_a_resave_changes_only_what_changed_and_keeps_ids(shop, api_as, administrator):
    campaign = campaign_create(actor=administrator, name="edit")
    client = api_as(administrator)
    url = f"/api/v1/campaigns/{campaign.pk}/graph/"
    client.put(url, _chain_document(5, 0), format="json")
    ids = dict(Activity.objects.filter(campaign=campaign).values_list("key", "id"))
    # when: one label changes, one wait is removed and the chain re-joined
    document = _chain_document(5, 1)
    document["activities"][1]["label"] = "Pause"
    document["activities"] = [a for a in document["activities"] if a["key"] != "w2"]
    document["transitions"] = [t for t in document["transitions"] if "w2" not in (t["source"], t["target"])]
    document["transitions"].append({"source": "w1", "target": "end", "output": "out"})
    response = client.put(url, document, format="json")
    # then
    assert response.status_code == 200, response.content
    after = dict(Activity.objects.filter(campaign=campaign).values_list("key", "id"))
    assert after == {k: v for k, v in ids.items() if k != "w2"}
    assert Activity.objects.get(campaign=campaign, key="w0").label == "Pause"
    edges = {(t["source"], t["target"]) for t in response.json()["transitions"]}
    assert edges == {("target", "w0"), ("w0", "w1"), ("w1", "end")}
    changed = DomainEvent.objects.filter(campaign_id=campaign.pk, kind="activity.changed")
    assert [e.changes for e in changed] == [[{"field": "label", "old": "", "new": "Pause"}]]
    assert DomainEvent.objects.filter(campaign_id=campaign.pk, kind="activity.deleted").count() == 1


# --- Browsable API ------------------------------------------------------------------------------------


def _list_urls():
    from api.urls import router

    return [f"/api/v1/{prefix}/" for prefix, _viewset, _basename in router.registry if "(?P<" not in prefix]


def test_every_list_endpoint_answers_html_without_a_500(shop, client, administrator):
    campaign_create(actor=administrator, name="html")
    client.force_login(administrator)
    urls = [*_list_urls(), "/api/v1/schemas/customer/records/", "/api/v1/"]
    assert len(urls) > 15
    for url in urls:
        for extra in ({"HTTP_ACCEPT": "text/html"}, {}):
            target = url if extra else f"{url}?format=api"
            response = client.get(target, **extra)
            assert response.status_code < 500, (target, response.status_code)
            if response.status_code == 200:
                assert response["Content-Type"].startswith("text/html"), target
    # and the first item of every list that has one
    for url in _list_urls():
        listed = client.get(url, HTTP_ACCEPT="application/json")
        if listed.status_code != 200 or not isinstance(listed.json(), dict):
            continue
        items = listed.json().get("results") or []
        if items and isinstance(items[0], dict) and "id" in items[0]:
            detail = f"{url}{items[0]['id']}/"
            response = client.get(detail, HTTP_ACCEPT="text/html")
            assert response.status_code < 500, (detail, response.status_code)


def test_html_error_pages_of_the_api_are_not_500(shop, client, administrator):
    client.force_login(administrator)
    response = client.post(
        "/api/v1/rules/count/",
        _rule_body(shop["dimension"].pk, "[" * DEEP + "]" * DEEP),
        content_type="application/json",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 400

"""The rule endpoints: validate, count, preview (personal data), sql, distribution; errors keep paths."""

from __future__ import annotations

import pytest
from django.db import connection

from audiences.tests.rules_fixtures import make_shop

AGE = {"type": "condition", "field": "age", "operator": "greater", "value": 40}


@pytest.fixture
def shop(administrator):
    return make_shop(administrator)


@pytest.mark.django_db
def test_validate_lists_every_error_with_its_path(shop, api_as, viewer):
    rule = {
        "type": "group",
        "op": "and",
        "children": [
            AGE,
            {"type": "condition", "field": "x", "operator": "equal", "value": 1},
            {"type": "bogus"},
        ],
    }
    response = api_as(viewer).post(
        "/api/v1/rules/validate/", {"dimension": shop["dimension"].pk, "rule": rule}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "valid": False,
        "errors": [{"path": "children[2].type", "message": response.json()["errors"][0]["message"]}],
    }


@pytest.mark.django_db
def test_count_sql_and_distribution(shop, api_as, viewer):
    client = api_as(viewer)
    body = {"dimension": shop["dimension"].pk, "rule": AGE}
    want = sum(1 for c in shop["data"]["customer"] if c["age"] is not None and c["age"] > 40)
    assert client.post("/api/v1/rules/count/", body, format="json").json() == {"count": want}
    sql = client.post("/api/v1/rules/sql/", body, format="json").json()
    assert "40" not in sql["sql"] and sql["params"] == [40]
    dist = client.post("/api/v1/rules/distribution/", {**body, "field": "tier"}, format="json").json()
    assert sum(v["count"] for v in dist["values"]) == want and dist["partial"] is False


@pytest.mark.django_db
def test_invalid_rule_is_a_400_naming_the_node(shop, api_as, viewer):
    body = {
        "dimension": shop["dimension"].pk,
        "rule": {"type": "condition", "field": "age", "operator": "like", "value": "x"},
    }
    response = api_as(viewer).post("/api/v1/rules/count/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "rule.operator"


@pytest.mark.django_db
def test_preview_of_personal_fields_needs_the_permission(shop, api_as, viewer, approver):
    body = {"dimension": shop["dimension"].pk, "rule": None, "fields": ["email", "age"], "limit": 2}
    denied = api_as(viewer).post("/api/v1/rules/preview/", body, format="json")
    assert denied.status_code == 403 and "email" in denied.json()["detail"]
    allowed = api_as(approver).post("/api/v1/rules/preview/", body, format="json")
    assert allowed.status_code == 200
    assert allowed.json()["rows"] == [
        {"id": 1, "email": "c1@example.test", "age": 20},
        {"id": 2, "email": "c2@example.test", "age": 25},
    ]
    fine = api_as(viewer).post("/api/v1/rules/preview/", {**body, "fields": ["age"]}, format="json")
    assert fine.status_code == 200


@pytest.mark.django_db
def test_anonymous_is_refused(shop, api_as):
    response = api_as(None).post(
        "/api/v1/rules/count/", {"dimension": shop["dimension"].pk, "rule": None}, format="json"
    )
    assert response.status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_count_timeout_is_a_clear_503_on_postgresql(api_as, make_user, settings):
    if connection.vendor != "postgresql":
        pytest.skip("statement timeouts are a PostgreSQL feature; SQLite counts are not interrupted")
    # given: a rule whose count needs a lot of work, and a 50 ms timeout
    shop = make_shop(make_user("Administrator"), prefix="slow_")
    settings.OC_RULE_COUNT_TIMEOUT_MS = 50
    tables = [shop[name].table_name for name in ("visit", "purchase", "customer", "product", "store")]
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {tables[0]} (id, customer_id, page) "  # noqa: S608 - a test table name
                "SELECT g, 1 + g % 12, 'p' || g FROM generate_series(100, 400000) g"
            )
        rule = {
            "type": "aggregate",
            "link": "visits",
            "function": "count",
            "operator": "greater",
            "value": 0,
            "where": {
                "type": "condition",
                "left": "Length(@page) + [customer/@age]",
                "operator": "greater",
                "value": 0,
            },
        }
        rule = {"type": "group", "op": "and", "children": [rule] * 30}
        # when
        response = api_as(make_user("Viewer")).post(
            "/api/v1/rules/count/", {"dimension": shop["dimension"].pk, "rule": rule}, format="json"
        )
        # then
        assert response.status_code == 503
        assert response.json()["code"] == "rule_too_slow"
    finally:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")

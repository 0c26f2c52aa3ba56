"""Exact counts are no oracle for personal data (issue 12 §3, ADR 0004).

Without the personal-data preview permission a condition on a personal field may only ask whether it
is empty or equals a value the user gives; expressions and referenced saved filters cannot go around
that; and counts are rate-limited per user (OC_RULE_COUNT_RATE)."""

from __future__ import annotations

import pytest

from audiences.saved import services as saved_services
from audiences.tests.rules_fixtures import make_shop

pytestmark = pytest.mark.django_db

STARTS = {"type": "condition", "field": "email", "operator": "starts_with", "value": "c1"}


@pytest.fixture
def shop(administrator):
    return make_shop(administrator)


def count(client, shop, rule):
    body = {"dimension": shop["dimension"].pk, "rule": rule}
    return client.post("/api/v1/rules/count/", body, format="json")


def expected(shop, predicate) -> int:
    return sum(1 for c in shop["data"]["customer"] if predicate(c))


def test_starts_with_on_a_personal_field_is_refused_to_a_viewer(shop, api_as, viewer):
    # when: a Viewer counts customers whose e-mail starts with "c1"
    response = count(api_as(viewer), shop, STARTS)
    # then: a 400 naming the field and the operator, at the condition's operator
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    [error] = body["errors"]
    assert error["field"] == "rule.operator"
    assert "email" in error["message"] and "starts_with" in error["message"]
    # and validate says the same
    checked = api_as(viewer).post(
        "/api/v1/rules/validate/", {"dimension": shop["dimension"].pk, "rule": STARTS}, format="json"
    )
    assert checked.json()["valid"] is False and "starts_with" in checked.json()["errors"][0]["message"]


def test_a_permitted_user_counts_with_any_operator(shop, api_as, approver):
    response = count(api_as(approver), shop, STARTS)
    assert response.status_code == 200
    assert response.json() == {"count": expected(shop, lambda c: (c["email"] or "").startswith("c1"))}


def test_emptiness_and_exact_equality_stay_allowed(shop, api_as, viewer):
    client = api_as(viewer)
    email = next(c["email"] for c in shop["data"]["customer"] if c["email"])
    equal = {"type": "condition", "field": "email", "operator": "equal", "value": email}
    empty = {"type": "condition", "field": "email", "operator": "is_empty"}
    assert count(client, shop, equal).json() == {"count": expected(shop, lambda c: c["email"] == email)}
    assert count(client, shop, empty).json() == {"count": expected(shop, lambda c: not c["email"])}


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "condition", "left": "Left(@email, 1)", "operator": "equal", "value": "c"},
        {"type": "condition", "field": "email", "operator": "greater", "value": "c5"},
        {"type": "condition", "field": "email", "operator": "like", "value": "c1%"},
        {"type": "condition", "field": "email", "operator": "equal", "expression": "Lower(@email)"},
    ],
    ids=["expression", "range", "like", "equal-to-an-expression"],
)
def test_other_ways_to_read_a_personal_value_are_refused(shop, api_as, viewer, rule):
    response = count(api_as(viewer), shop, rule)
    assert response.status_code == 400
    assert "email" in response.json()["errors"][0]["message"]


def test_a_saved_filter_is_no_way_around(shop, api_as, administrator, viewer):
    # given: an Administrator's shared saved filter that reads a prefix of the e-mail
    saved = saved_services.saved_filter_create(
        actor=administrator, name="c1 people", dimension=shop["dimension"], rule=STARTS, visibility="shared"
    )
    # when: a Viewer counts with it
    response = count(api_as(viewer), shop, {"type": "saved_filter", "id": saved.pk})
    # then
    assert response.status_code == 400
    assert "starts_with" in response.json()["errors"][0]["message"]


def test_counts_are_rate_limited_per_user(shop, api_as, viewer, approver, settings):
    # given: two counts a minute
    settings.OC_RULE_COUNT_RATE = "2/min"
    client = api_as(viewer)
    rule = {"type": "condition", "field": "age", "operator": "greater", "value": 40}
    # when
    answers = [count(client, shop, rule) for _n in range(3)]
    # then: the third is a 429 in the one error shape; another user is not affected
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["status"] == 429 and answers[2].json()["code"] == "throttled"
    assert answers[2].json()["errors"] == []
    assert count(api_as(approver), shop, rule).status_code == 200

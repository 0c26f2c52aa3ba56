"""Rule references go through restrict(): another user's private saved filter or audience is, to a
rule, the same as an id that does not exist (no SQL, values or membership oracle through it)."""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile
from audiences.query import services as rules
from audiences.saved import services
from audiences.tests.rules_fixtures import make_shop

OLD = {"type": "condition", "field": "age", "operator": "greater", "value": 40}


@pytest.fixture
def shop(administrator):
    return make_shop(administrator)


@pytest.fixture
def other(make_user):
    return make_user(ProductProfile.MANAGER)


def _private_filter_and_audience(shop, owner):
    saved = services.saved_filter_create(
        actor=owner, name="secret", dimension=shop["dimension"], rule=OLD, visibility="private"
    )
    audience = services.audience_create(
        actor=owner, name="secret", dimension=shop["dimension"], kind="static", rule=OLD, visibility="private"
    )
    return saved, audience


@pytest.mark.django_db
def test_private_references_of_another_user_are_unknown_ids_over_the_api(shop, api_as, manager, other):
    # given
    saved, audience = _private_filter_and_audience(shop, manager)
    client = api_as(other)
    cases = [
        ({"type": "saved_filter", "id": saved.pk}, {"type": "saved_filter", "id": 999_999}, "id"),
        (
            {"type": "in_audience", "audience": audience.pk},
            {"type": "in_audience", "audience": 999_999},
            "audience",
        ),
    ]
    for private, missing, field in cases:
        rule = {"type": "group", "op": "and", "children": [private]}
        body = {"dimension": shop["dimension"].pk, "rule": rule}
        # when
        sql = client.post("/api/v1/rules/sql/", body, format="json")
        count = client.post("/api/v1/rules/count/", body, format="json")
        validated = client.post("/api/v1/rules/validate/", body, format="json").json()
        unknown = client.post(
            "/api/v1/rules/validate/", {**body, "rule": {**rule, "children": [missing]}}, format="json"
        ).json()
        # then
        assert sql.status_code == 400 and [e["field"] for e in sql.json()["errors"]] == [
            f"rule.children[0].{field}"
        ]
        assert count.status_code == 400
        assert validated == unknown and validated["errors"][0]["path"] == f"children[0].{field}"


@pytest.mark.django_db
def test_owner_and_shared_references_resolve_and_no_actor_sees_only_shared(shop, manager, other):
    # given
    saved, _audience = _private_filter_and_audience(shop, manager)
    ref = {"type": "saved_filter", "id": saved.pk}
    # then the owner resolves it; nobody (no actor) does not, until it is shared
    assert rules.rule_validate(dimension=shop["dimension"], rule=ref, actor=manager) == []
    assert [e.path for e in rules.rule_validate(dimension=shop["dimension"], rule=ref)] == ["id"]
    services.saved_filter_update(actor=manager, saved_filter=saved, data={"visibility": "shared"})
    assert rules.rule_validate(dimension=shop["dimension"], rule=ref) == []
    assert rules.rule_validate(dimension=shop["dimension"], rule=ref, actor=other) == []

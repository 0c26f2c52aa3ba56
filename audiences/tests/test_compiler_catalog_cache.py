"""The per-process catalog snapshot (``compiler/catalog_cache.py``): reused, and never stale."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from audiences.catalog import services as catalog
from audiences.query import services
from audiences.query.compiler import catalog_cache
from audiences.query.compiler.catalog_cache import VERSION_KEY, catalog_snapshot


@pytest.fixture
def person(administrator):
    schema = catalog.schema_create(
        actor=administrator,
        name="person",
        fields=[{"name": "id", "type": "bigint", "primary_key": True}, {"name": "age", "type": "integer"}],
    )
    return catalog.targeting_dimension_create(
        actor=administrator, schema=schema, data={"identity_field": "id"}
    )


def _rule(field: str) -> dict:
    return {"type": "condition", "field": field, "operator": "greater", "value": 1}


@pytest.mark.django_db(transaction=True)
def test_committed_catalog_is_loaded_once_and_reused(person):
    # when
    first = catalog_snapshot()
    second = catalog_snapshot()
    compiled = services.rule_compile(dimension=person, rule=_rule("age"))
    # then
    assert first is second
    assert compiled.catalog is first


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_seen_at_once(administrator, person):
    # given
    before = catalog_snapshot()
    # when
    catalog.field_add(actor=administrator, schema=person.schema, spec={"name": "score", "type": "integer"})
    # then
    after = catalog_snapshot()
    assert after is not before
    assert services.rule_validate(dimension=person, rule=_rule("score")) == []


@pytest.mark.django_db(transaction=True)
def test_another_process_change_is_seen_through_the_shared_token(person):
    # given
    before = catalog_snapshot()
    # when: another process committed a change and replaced the token
    cache.set(VERSION_KEY, "changed elsewhere", None)
    # then
    assert catalog_snapshot() is not before
    cache.delete(VERSION_KEY)  # a culled token reloads too
    assert catalog_snapshot() is not before


@pytest.mark.django_db
def test_changes_of_an_open_transaction_are_compiled_but_never_cached(administrator, person):
    # given: the test runs inside a transaction that never commits
    catalog.field_add(actor=administrator, schema=person.schema, spec={"name": "score", "type": "integer"})
    # when
    first, second = catalog_snapshot(), catalog_snapshot()
    # then
    assert services.rule_validate(dimension=person, rule=_rule("score")) == []
    assert first is not second
    assert catalog_cache._cached is None


@pytest.mark.django_db
def test_a_rolled_back_change_is_forgotten(administrator, person):
    # given
    with pytest.raises(ValidationError), transaction.atomic():
        catalog.field_add(
            actor=administrator, schema=person.schema, spec={"name": "score", "type": "integer"}
        )
        assert services.rule_validate(dimension=person, rule=_rule("score")) == []
        raise ValidationError("roll back")
    # when
    errors = services.rule_validate(dimension=person, rule=_rule("score"))
    # then
    assert [e.path for e in errors] == ["field"]

"""Catalog services: physical tables follow the catalog, names are checked, used things stay put."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from audiences.catalog import database
from audiences.catalog.models import Field, Link, Schema, SchemaIndex
from audiences.catalog.selectors import schema_links, schema_row_count, schema_table
from audiences.catalog.services import (
    field_add,
    field_remove,
    field_update,
    index_add,
    link_create,
    link_update,
    schema_create,
    schema_delete,
    targeting_dimension_create,
)
from audiences.catalog.usage import field_usage_finders, link_usage_finders

pytestmark = pytest.mark.django_db


def columns_of(table_name: str) -> dict[str, bool]:
    """Physical column name -> nullable, straight from the database."""
    with connection.cursor() as cursor:
        return {c.name: c.null_ok for c in connection.introspection.get_table_description(cursor, table_name)}


def primary_key_of(table_name: str) -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table_name)
    return next(c["columns"] for c in constraints.values() if c["primary_key"])


def table_exists(table_name: str) -> bool:
    return table_name in connection.introspection.table_names()


def make_customers(actor) -> Schema:
    return schema_create(
        actor=actor,
        name="customer",
        label="Customers",
        fields=[
            {"name": "id", "type": "bigint", "primary_key": True},
            {"name": "email", "type": "string", "max_length": 200, "is_personal": True},
            {"name": "email_ok", "type": "boolean"},
            {"name": "tier", "type": "enum", "enum_values": ["gold", "silver"]},
            {"name": "points", "type": "decimal", "precision": 10, "scale": 2},
            {"name": "updated", "type": "datetime", "is_version": True},
        ],
    )


def make_purchases(actor) -> Schema:
    return schema_create(
        actor=actor,
        name="purchase",
        fields=[
            {"name": "shop", "type": "integer", "primary_key": True},
            {"name": "number", "type": "bigint", "primary_key": True},
            {"name": "customer_id", "type": "bigint", "required": True},
            {"name": "amount", "type": "decimal", "precision": 12, "scale": 2},
        ],
    )


@pytest.fixture
def finder_key():
    keys = []
    yield keys
    for key in keys:
        field_usage_finders.unregister(key)
        link_usage_finders.unregister(key)


def test_schema_create_makes_the_table_with_a_composite_primary_key(administrator):
    # when
    purchases = make_purchases(administrator)
    # then
    assert purchases.table_name == "oc_data_purchase"
    assert set(columns_of("oc_data_purchase")) == {"shop", "number", "customer_id", "amount"}
    assert sorted(primary_key_of("oc_data_purchase")) == ["number", "shop"]
    assert columns_of("oc_data_purchase")["customer_id"] is False  # required -> NOT NULL
    assert columns_of("oc_data_purchase")["amount"] is True


def test_schema_table_reads_and_writes_the_physical_table(administrator):
    # given
    customers = make_customers(administrator)
    table = schema_table(customers)
    # when
    database.execute(sa.insert(table).values(id=1, email="a@example.test", email_ok=True, tier="gold"))
    rows = database.fetch_all(sa.select(table.c.email, table.c.tier).where(table.c.id == 1))
    # then
    assert rows == [("a@example.test", "gold")]
    assert schema_row_count(customers) == 1
    assert isinstance(table.c.points.type, sa.Numeric) and table.c.points.type.scale == 2


@pytest.mark.parametrize(
    ("bad_name", "fragment"),
    [
        ('a"; DROP TABLE x; --', "lower-case letters"),
        ("select", "reserved"),
        ("order", "reserved"),
        ("x" * 64, "At most 63"),
        ("Name", "lower-case letters"),
        ("1abc", "lower-case letters"),
    ],
)
def test_bad_field_names_are_refused_by_field_and_nothing_is_created(administrator, bad_name, fragment):
    # when
    with pytest.raises(ValidationError) as caught:
        schema_create(
            actor=administrator,
            name="victim",
            fields=[
                {"name": "id", "type": "integer", "primary_key": True},
                {"name": bad_name, "type": "text"},
            ],
        )
    # then
    errors = caught.value.message_dict
    assert list(errors) == ["fields.1.name"]
    assert fragment in errors["fields.1.name"][0]
    assert not Schema.objects.exists()
    assert not table_exists("oc_data_victim")


@pytest.mark.parametrize("bad_name", ['x"; DROP TABLE y; --', "table", "y" * 56])
def test_bad_schema_names_are_refused(administrator, bad_name):
    with pytest.raises(ValidationError) as caught:
        schema_create(
            actor=administrator,
            name=bad_name,
            fields=[{"name": "id", "type": "integer", "primary_key": True}],
        )
    assert "name" in caught.value.message_dict
    assert not Schema.objects.exists()


def test_a_schema_needs_a_primary_key_and_valid_types(administrator):
    with pytest.raises(ValidationError) as caught:
        schema_create(
            actor=administrator,
            name="thing",
            fields=[
                {"name": "a", "type": "decimal"},
                {"name": "b", "type": "enum"},
                {"name": "c", "type": "blob"},
                {"name": "a", "type": "integer"},
            ],
        )
    errors = caught.value.message_dict
    assert set(errors) == {"fields.0.precision", "fields.1.enum_values", "fields.2.type", "fields.3.name"}


def test_only_administrators_change_the_data_model(manager, viewer, approver):
    for user in (manager, viewer, approver):
        with pytest.raises(PermissionDenied):
            make_customers(user)
    assert not Schema.objects.exists()


def test_field_add_alters_the_table_online(administrator):
    # given
    customers = make_customers(administrator)
    # when
    field = field_add(actor=administrator, schema=customers, spec={"name": "city", "type": "string"})
    # then
    assert "city" in columns_of(customers.table_name)
    assert field.position > customers.fields.get(name="updated").position
    with pytest.raises(ValidationError) as caught:
        field_add(actor=administrator, schema=customers, spec={"name": "city", "type": "string"})
    assert "name" in caught.value.message_dict


def test_link_indexes_the_many_side_and_is_walkable_from_both_sides(administrator):
    # given
    customers, purchases = make_customers(administrator), make_purchases(administrator)
    # when
    link = link_create(
        actor=administrator,
        source=purchases,
        target=customers,
        name="customer",
        reverse_name="purchases",
        cardinality="many_to_one",
        keys=[["customer_id", "id"]],
    )
    # then
    assert SchemaIndex.objects.filter(schema=purchases, columns=["customer_id"]).exists()
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, purchases.table_name)
    assert any(c["index"] and c["columns"] == ["customer_id"] for c in constraints.values())
    from_customer = schema_links(customers)["purchases"]
    assert from_customer.to_schema == purchases and from_customer.multiplies_rows
    assert schema_links(purchases)["customer"].link == link


def test_link_to_a_non_unique_side_and_name_clashes_are_refused(administrator):
    customers, purchases = make_customers(administrator), make_purchases(administrator)
    with pytest.raises(ValidationError) as caught:
        link_create(
            actor=administrator,
            source=customers,
            target=purchases,
            name="purchase",
            reverse_name="buyer",
            cardinality="many_to_one",
            keys=[["id", "customer_id"]],
        )
    assert "keys" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        link_create(
            actor=administrator,
            source=purchases,
            target=customers,
            name="amount",
            reverse_name="purchases",
            cardinality="many_to_one",
            keys=[["customer_id", "id"]],
        )
    assert "name" in caught.value.message_dict
    assert not Link.objects.exists()


def test_removing_or_renaming_a_used_field_is_refused_with_its_users(administrator, finder_key):
    # given: a later app reports that a saved filter uses customer.tier
    customers = make_customers(administrator)
    finder_key.append("tests.saved_filters")
    field_usage_finders.register(
        "tests.saved_filters", lambda field: ["Saved filter “VIP”"] if field.name == "tier" else []
    )
    tier = customers.fields.get(name="tier")
    # when / then
    with pytest.raises(ValidationError) as caught:
        field_remove(actor=administrator, field=tier)
    assert "Saved filter “VIP”" in caught.value.message_dict["field"][0]
    with pytest.raises(ValidationError):
        field_update(actor=administrator, field=tier, data={"name": "level"})
    assert "tier" in columns_of(customers.table_name)
    # an unused field goes, its column too
    field_remove(actor=administrator, field=customers.fields.get(name="points"))
    assert "points" not in columns_of(customers.table_name)
    # relabelling a used field is fine
    field_update(actor=administrator, field=tier, data={"label": "Loyalty tier"})


def test_a_used_link_cannot_be_renamed_and_a_linked_field_cannot_be_removed(administrator, finder_key):
    customers, purchases = make_customers(administrator), make_purchases(administrator)
    link = link_create(
        actor=administrator,
        source=purchases,
        target=customers,
        name="customer",
        reverse_name="purchases",
        cardinality="many_to_one",
        keys=[["customer_id", "id"]],
    )
    finder_key.append("tests.rules")
    link_usage_finders.register("tests.rules", lambda link: ["Audience “Buyers”"])
    with pytest.raises(ValidationError) as caught:
        link_update(actor=administrator, link=link, data={"name": "buyer"})
    assert "Audience “Buyers”" in caught.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as caught:
        field_remove(actor=administrator, field=purchases.fields.get(name="customer_id"))
    assert "purchase.customer" in caught.value.message_dict["field"][0]
    with pytest.raises(ValidationError):
        schema_delete(actor=administrator, schema=customers)
    assert table_exists(customers.table_name)


def test_index_add_and_schema_delete_drop_the_table(administrator):
    purchases = make_purchases(administrator)
    index = index_add(actor=administrator, schema=purchases, fields=["amount"])
    assert index_add(actor=administrator, schema=purchases, fields=["amount"]) == index
    schema_delete(actor=administrator, schema=purchases)
    assert not table_exists("oc_data_purchase")
    assert not Field.objects.exists()


def test_targeting_dimension_needs_a_unique_identity_and_boolean_consents(administrator):
    customers = make_customers(administrator)
    with pytest.raises(ValidationError) as caught:
        targeting_dimension_create(actor=administrator, schema=customers, data={"identity_field": "email"})
    assert "identity_field" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        targeting_dimension_create(
            actor=administrator,
            schema=customers,
            data={"identity_field": "id", "email_consent_field": "tier"},
        )
    assert "email_consent_field" in caught.value.message_dict
    dimension = targeting_dimension_create(
        actor=administrator,
        schema=customers,
        data={"identity_field": "id", "email_field": "email", "email_consent_field": "email_ok"},
    )
    assert dimension.is_default


@pytest.mark.parametrize("bad_name", ["name\n", "name\r\n", "\nname"])
def test_a_name_with_a_newline_is_refused(bad_name):
    from audiences.catalog.names import name_problem, validate_name

    # when / then
    assert name_problem(bad_name) is not None
    with pytest.raises(ValidationError):
        validate_name(bad_name)

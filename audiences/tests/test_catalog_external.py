"""External schemas: an existing table or view registered by introspection, readable, never written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from django.core.exceptions import ValidationError
from django.db import connection

from audiences.catalog import database
from audiences.catalog.models import Schema
from audiences.catalog.selectors import schema_row_count, schema_table
from audiences.catalog.services import field_add, register_external

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE crm_contacts (contact_id bigint PRIMARY KEY, full_name varchar(80) NOT NULL,"
            " score numeric(6, 2), vip boolean, signed_up date, seen timestamp)"
        )
        cursor.execute(
            "INSERT INTO crm_contacts VALUES (7, 'Ada', 12.50, true, '2024-01-02', '2024-01-02 10:00:00')"
        )
        cursor.execute("CREATE VIEW crm_vips AS SELECT contact_id, full_name FROM crm_contacts WHERE vip")
    return "crm_contacts"


def test_external_table_is_registered_by_introspection_and_readable(administrator, crm_table):
    # when
    schema = register_external(actor=administrator, table_name=crm_table)
    # then
    fields = {f.name: f for f in schema.fields.all()}
    assert schema.kind == "external" and schema.table_name == "crm_contacts"
    assert {n: f.type for n, f in fields.items()} == {
        "contact_id": "bigint",
        "full_name": "string",
        "score": "decimal",
        "vip": "boolean",
        "signed_up": "date",
        "seen": "datetime",
    }
    assert fields["contact_id"].primary_key and fields["full_name"].required
    assert (fields["score"].precision, fields["score"].scale) == (6, 2)
    table = schema_table(schema)
    rows = database.fetch_all(sa.select(table.c.full_name, table.c.score).where(table.c.contact_id == 7))
    assert [(name, float(score)) for name, score in rows] == [("Ada", 12.5)]
    assert schema_row_count(schema) == 1


def test_a_view_is_registered_with_a_declared_key(administrator, crm_table):
    schema = register_external(
        actor=administrator, table_name="crm_vips", name="vip", primary_key=["contact_id"]
    )
    assert list(schema.fields.filter(primary_key=True).values_list("name", flat=True)) == ["contact_id"]
    table = schema_table(schema)
    assert database.fetch_all(sa.select(table.c.full_name)) == [("Ada",)]


def test_external_schemas_are_never_altered(administrator, crm_table):
    schema = register_external(actor=administrator, table_name=crm_table)
    with pytest.raises(ValidationError) as caught:
        field_add(actor=administrator, schema=schema, spec={"name": "extra", "type": "text"})
    assert "schema" in caught.value.message_dict


def test_unknown_tables_and_unsupported_columns_are_reported(administrator):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE odd_things (id integer PRIMARY KEY, payload bytea, at_time time)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE odd_things (id integer PRIMARY KEY, payload blob, at_time time)"
        )
    with pytest.raises(ValidationError) as caught:
        register_external(actor=administrator, table_name="nowhere")
    assert "table_name" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        register_external(actor=administrator, table_name="odd_things")
    messages = " ".join(caught.value.message_dict["columns"])
    assert "“payload”" in messages and "“at_time”" in messages
    assert not Schema.objects.exists()
    schema = register_external(actor=administrator, table_name="odd_things", skip_unsupported=True)
    assert list(schema.fields.values_list("name", flat=True)) == ["id"]


@pytest.mark.parametrize(
    "table_name",
    [
        "auth_user",
        "authtoken_token",
        "django_session",
        "django_q_task",
        "guardian_userobjectpermission",
        "oc_data_customer",
        "AUTH_USER",
        "public.auth_user",
    ],
)
def test_framework_and_platform_tables_are_refused(administrator, table_name):
    # when
    with pytest.raises(ValidationError) as caught:
        register_external(actor=administrator, table_name=table_name)
    # then
    assert "platform" in " ".join(caught.value.message_dict["table_name"])
    assert not Schema.objects.exists()


def test_a_retargeting_view_is_not_refused_as_a_platform_table(administrator):
    # given
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE oc_rt_9_messages (id integer PRIMARY KEY)")
    # when
    schema = register_external(actor=administrator, table_name="oc_rt_9_messages")
    # then
    assert schema.table_name == "oc_rt_9_messages"

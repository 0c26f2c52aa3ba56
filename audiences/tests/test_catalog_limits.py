"""Field names PostgreSQL keeps for its system columns, and more columns than the database allows, are a
400 naming the field, never a 500 (issue 12, section 5)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from audiences.catalog import physical
from audiences.catalog.models import Field, Schema
from audiences.catalog.services import field_add, schema_create
from audiences.catalog.services.schemas import MAX_FIELDS

pytestmark = pytest.mark.django_db

PK = {"name": "id", "type": "bigint", "primary_key": True}
SYSTEM_COLUMNS = ["xmin", "xmax", "cmin", "cmax", "ctid", "oid", "tableoid"]


def _messages(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.mark.parametrize("name", SYSTEM_COLUMNS)
def test_a_system_column_name_is_refused_through_the_api(administrator, api_as, name):
    # when
    response = api_as(administrator).post(
        "/api/v1/schemas/",
        {"name": "customer", "fields": [PK, {"name": name, "type": "integer"}]},
        format="json",
    )
    # then: a 400 naming the field, and no table
    assert response.status_code == 400, response.content
    assert name in _messages(response)["fields.1.name"]
    assert "system column" in _messages(response)["fields.1.name"]
    assert not Schema.objects.exists()
    assert "oc_data_customer" not in connection.introspection.table_names()


@pytest.mark.parametrize("name", ["XMIN", "Ctid", "OID"])
def test_system_column_names_in_any_case_are_refused(administrator, api_as, name):
    # when
    response = api_as(administrator).post(
        "/api/v1/schemas/",
        {"name": "customer", "fields": [PK, {"name": name, "type": "integer"}]},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert "fields.1.name" in _messages(response)


@pytest.mark.parametrize("name", ["ctid", "tableoid"])
def test_adding_a_system_column_name_to_a_schema_is_refused(administrator, api_as, name):
    # given
    schema = schema_create(actor=administrator, name="customer", fields=[PK])
    # when / then: through the service
    with pytest.raises(ValidationError) as excinfo:
        field_add(actor=administrator, schema=schema, spec={"name": name, "type": "integer"})
    assert "system column" in str(excinfo.value.message_dict["name"])
    # and through the API
    response = api_as(administrator).post(
        "/api/v1/fields/", {"schema": "customer", "name": name, "type": "integer"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert not Field.objects.filter(name=name).exists()


def test_more_fields_than_allowed_is_a_400_through_the_api(administrator, api_as):
    # given: one field past the limit (PostgreSQL itself refuses somewhere past a thousand)
    fields = [PK] + [{"name": f"f{n}", "type": "text"} for n in range(MAX_FIELDS)]
    # when
    response = api_as(administrator).post(
        "/api/v1/schemas/", {"name": "wide", "fields": fields}, format="json"
    )
    # then
    assert response.status_code == 400, response.content
    assert "at most 400 fields" in _messages(response)["fields"]
    assert not Schema.objects.exists()


def test_a_schema_at_the_limit_is_created_and_the_next_field_is_refused(administrator):
    # given: exactly the limit
    fields = [PK] + [{"name": f"f{n}", "type": "text"} for n in range(MAX_FIELDS - 1)]
    schema = schema_create(actor=administrator, name="wide", fields=fields)
    assert len(physical_columns(schema.table_name)) == MAX_FIELDS
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        field_add(actor=administrator, schema=schema, spec={"name": "one_more", "type": "text"})
    assert "at most 400 fields" in str(excinfo.value.message_dict["schema"])


def test_the_databases_own_column_limit_is_a_validation_error_not_a_server_error(administrator):
    # given: a definition past what the database accepts (PostgreSQL 1,600 columns, SQLite 2,000),
    # as a table left with many dropped columns would meet it
    schema = Schema(name="huge", table_name="oc_data_huge")
    fields = [Field(name="id", column_name="id", type="bigint", primary_key=True)] + [
        Field(name=f"f{n}", column_name=f"f{n}", type="bigint") for n in range(2100)
    ]
    # when / then
    with pytest.raises(ValidationError) as excinfo, transaction.atomic():  # as in schema_create
        physical.create_table(schema, fields)
    assert "refuses this table definition" in str(excinfo.value.message_dict["fields"])
    assert "oc_data_huge" not in connection.introspection.table_names()


def physical_columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]

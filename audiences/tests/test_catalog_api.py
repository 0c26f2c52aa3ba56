"""The catalog through /api/v1/ alone: Administrators write, every other profile reads."""

from __future__ import annotations

import pytest
from django.db import connection

from audiences.catalog.models import Link, Schema
from audiences.catalog.usage import field_usage_finders

pytestmark = pytest.mark.django_db

CUSTOMERS = {
    "name": "customer",
    "label": "Customers",
    "fields": [
        {"name": "id", "type": "bigint", "primary_key": True},
        {"name": "email", "type": "string", "max_length": 200, "is_personal": True},
        {"name": "email_ok", "type": "boolean"},
        {"name": "country", "type": "string", "max_length": 2},
    ],
}
PURCHASES = {
    "name": "purchase",
    "fields": [
        {"name": "id", "type": "bigint", "primary_key": True},
        {"name": "customer_id", "type": "bigint", "required": True},
        {"name": "amount", "type": "decimal", "precision": 12, "scale": 2},
        {"name": "bought", "type": "datetime", "is_version": True},
    ],
}
LINK = {
    "source": "purchase",
    "target": "customer",
    "name": "customer",
    "reverse_name": "purchases",
    "cardinality": "many_to_one",
    "keys": [["customer_id", "id"]],
}


def physical_columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def error_fields(response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def test_administrator_builds_a_model_through_the_api(administrator, api_as):
    client = api_as(administrator)
    # when
    assert client.post("/api/v1/schemas/", CUSTOMERS, format="json").status_code == 201
    assert client.post("/api/v1/schemas/", PURCHASES, format="json").status_code == 201
    link = client.post("/api/v1/links/", LINK, format="json")
    field = client.post(
        "/api/v1/fields/", {"schema": "customer", "name": "city", "type": "text"}, format="json"
    )
    dimension = client.post(
        "/api/v1/targeting-dimensions/",
        {
            "schema": "customer",
            "identity_field": "id",
            "email_field": "email",
            "email_consent_field": "email_ok",
        },
        format="json",
    )
    # then
    assert link.status_code == 201, link.json()
    assert link.json()["keys"] == [["customer_id", "id"]]
    assert field.status_code == 201 and field.json()["column_name"] == "city"
    assert dimension.status_code == 201, dimension.json()
    assert dimension.json()["email_field"] == "email" and dimension.json()["is_default"] is True
    assert physical_columns("oc_data_customer") == ["id", "email", "email_ok", "country", "city"]
    assert physical_columns("oc_data_purchase") == ["id", "customer_id", "amount", "bought"]
    detail = client.get("/api/v1/schemas/customer/").json()
    assert detail["row_count"] == 0 and [f["name"] for f in detail["fields"]][-1] == "city"
    listed = client.get("/api/v1/links/", {"target": "customer"}).json()
    assert [item["reverse_name"] for item in listed["results"]] == ["purchases"]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"name": 'x"; DROP TABLE x; --'}, "name"),
        ({"name": "select"}, "name"),
        ({"name": "n" * 56}, "name"),
        (
            {
                "fields": [
                    {"name": "id", "type": "integer", "primary_key": True},
                    {"name": 'a"b', "type": "text"},
                ]
            },
            "fields.1.name",
        ),
        (
            {
                "fields": [
                    {"name": "id", "type": "integer", "primary_key": True},
                    {"name": "user", "type": "text"},
                ]
            },
            "fields.1.name",
        ),
        ({"fields": [{"name": "id", "type": "uuid", "primary_key": True}]}, "fields.0.type"),
    ],
)
def test_bad_names_and_types_get_a_400_naming_the_field(administrator, api_as, bad, field):
    response = api_as(administrator).post("/api/v1/schemas/", {**CUSTOMERS, **bad}, format="json")
    assert response.status_code == 400
    assert field in error_fields(response)
    assert not Schema.objects.exists()
    assert not [t for t in connection.introspection.table_names() if t.startswith("oc_data_")]


def test_removing_a_used_field_answers_400_with_its_users(administrator, api_as):
    client = api_as(administrator)
    client.post("/api/v1/schemas/", CUSTOMERS, format="json")
    country = Schema.objects.get(name="customer").fields.get(name="country")
    field_usage_finders.register("tests.api", lambda f: ["Campaign “Spring”"] if f.pk == country.pk else [])
    try:
        response = client.delete(f"/api/v1/fields/{country.pk}/")
        rename = client.patch(f"/api/v1/fields/{country.pk}/", {"name": "nation"}, format="json")
    finally:
        field_usage_finders.unregister("tests.api")
    assert response.status_code == 400
    assert "Campaign “Spring”" in response.json()["errors"][0]["message"]
    assert rename.status_code == 400 and "name" in error_fields(rename)
    assert "country" in physical_columns("oc_data_customer")


def test_ddl_import_through_the_api(administrator, api_as):
    client = api_as(administrator)
    ddl = (
        "CREATE TABLE customers (id bigint PRIMARY KEY, email varchar(200));\n"
        "CREATE TABLE products (sku varchar(20) PRIMARY KEY, price numeric(8,2));\n"
        "CREATE TABLE purchases (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers(id),"
        " sku varchar(20) REFERENCES products);"
    )
    # when
    proposal = client.post("/api/v1/schemas/ddl-import/", {"ddl": ddl}, format="json")
    confirmed = client.post("/api/v1/schemas/ddl-import/confirm/", proposal.json(), format="json")
    # then
    assert proposal.status_code == 200, proposal.json()
    assert confirmed.status_code == 201, confirmed.json()
    assert {s["name"] for s in confirmed.json()} == {"customers", "products", "purchases"}
    assert set(Link.objects.values_list("name", "reverse_name")) == {
        ("customer", "purchases"),
        ("products", "purchases"),
    }
    assert physical_columns("oc_data_purchases") == ["id", "customer_id", "sku"]


def test_ddl_import_with_an_unsupported_type_names_table_and_column(administrator, api_as):
    response = api_as(administrator).post(
        "/api/v1/schemas/ddl-import/",
        {"ddl": "CREATE TABLE t (id int PRIMARY KEY, shape geometry);"},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert "“t”" in message and "“shape”" in message


@pytest.mark.parametrize("profile", ["approver", "manager", "viewer"])
def test_other_profiles_read_the_catalog_but_cannot_change_it(profile, request, administrator, api_as):
    # given
    admin_client = api_as(administrator)
    admin_client.post("/api/v1/schemas/", CUSTOMERS, format="json")
    admin_client.post("/api/v1/schemas/", PURCHASES, format="json")
    link_id = admin_client.post("/api/v1/links/", LINK, format="json").json()["id"]
    field_id = Schema.objects.get(name="customer").fields.get(name="country").pk
    client = api_as(request.getfixturevalue(profile))
    # then: reads
    assert client.get("/api/v1/schemas/").json()["count"] == 2
    assert client.get("/api/v1/schemas/customer/").status_code == 200
    assert client.get("/api/v1/fields/", {"schema": "customer"}).json()["count"] == 4
    assert client.get(f"/api/v1/links/{link_id}/").status_code == 200
    assert client.get("/api/v1/targeting-dimensions/").status_code == 200
    # and writes
    writes = [
        client.post("/api/v1/schemas/", {**CUSTOMERS, "name": "other"}, format="json"),
        client.patch("/api/v1/schemas/customer/", {"label": "x"}, format="json"),
        client.delete("/api/v1/schemas/purchase/"),
        client.post("/api/v1/fields/", {"schema": "customer", "name": "city", "type": "text"}, format="json"),
        client.delete(f"/api/v1/fields/{field_id}/"),
        client.post("/api/v1/links/", {**LINK, "name": "buyer", "reverse_name": "buys"}, format="json"),
        client.delete(f"/api/v1/links/{link_id}/"),
        client.post(
            "/api/v1/targeting-dimensions/", {"schema": "customer", "identity_field": "id"}, format="json"
        ),
        client.post(
            "/api/v1/schemas/ddl-import/", {"ddl": "CREATE TABLE z (id int PRIMARY KEY);"}, format="json"
        ),
        client.post("/api/v1/schemas/ddl-import/confirm/", {"schemas": [{"name": "z"}]}, format="json"),
        client.post("/api/v1/schemas/register-external/", {"table_name": "oc_data_customer"}, format="json"),
        client.post("/api/v1/schemas/customer/indexes/", {"fields": ["country"]}, format="json"),
    ]
    assert [w.status_code for w in writes] == [403] * len(writes)
    assert Schema.objects.count() == 2 and Link.objects.count() == 1


def test_unknown_query_parameters_are_refused(viewer, api_as):
    assert api_as(viewer).get("/api/v1/schemas/", {"nmae": "x"}).status_code == 400

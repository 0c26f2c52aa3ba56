"""The catalog in the admin: writes through services, row counts, the diagram and the DDL import."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from audiences.catalog.models import Link, Schema
from audiences.catalog.services import link_create, schema_create
from audiences.catalog.usage import field_usage_finders

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_rows(rows: list[dict], initial: int = 0) -> dict:
    data = {
        "fields-TOTAL_FORMS": str(len(rows)),
        "fields-INITIAL_FORMS": str(initial),
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                data[f"fields-{index}-{key}"] = "on"
            elif value not in (False, None):
                data[f"fields-{index}-{key}"] = str(value)
        data.setdefault(f"fields-{index}-enum_values", "[]")
    return data


@pytest.fixture
def model(administrator):
    pk = {"name": "id", "type": "bigint", "primary_key": True}
    customer = schema_create(
        actor=administrator, name="customer", fields=[pk, {"name": "email", "type": "string"}]
    )
    purchase = schema_create(
        actor=administrator, name="purchase", fields=[pk, {"name": "customer_id", "type": "bigint"}]
    )
    link_create(
        actor=administrator,
        source=purchase,
        target=customer,
        name="customer",
        reverse_name="purchases",
        cardinality="many_to_one",
        keys=[["customer_id", "id"]],
    )
    return customer, purchase


def test_adding_a_schema_with_inline_fields_creates_its_table(administrator):
    # when
    response = client_for(administrator).post(
        reverse("admin:audiences_schema_add"),
        {
            "name": "store",
            "label": "Stores",
            "description": "",
            **field_rows(
                [
                    {
                        "name": "code",
                        "label": "Code",
                        "type": "string",
                        "max_length": 8,
                        "primary_key": True,
                        "required": True,
                    },
                    {"name": "city", "label": "City", "type": "text"},
                ]
            ),
        },
    )
    # then
    assert response.status_code == 302, response.content[:2000]
    store = Schema.objects.get(name="store")
    assert [f.name for f in store.fields.all()] == ["code", "city"]
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "oc_data_store")]
    assert columns == ["code", "city"]


def test_a_refused_name_in_the_admin_creates_nothing(administrator):
    response = client_for(administrator).post(
        reverse("admin:audiences_schema_add"),
        {
            "name": "bad",
            "label": "",
            **field_rows([{"name": 'id"; --', "type": "integer", "primary_key": True}]),
        },
    )
    assert response.status_code == 200  # the form comes back with the error
    assert "lower-case letters" in response.content.decode()
    assert not Schema.objects.exists()


def test_removing_a_used_field_in_the_admin_is_refused_with_a_message(administrator, model):
    customer, _purchase = model
    email = customer.fields.get(name="email")
    identity = customer.fields.get(name="id")
    rows = [
        {
            "id": identity.pk,
            "schema": customer.pk,
            "name": "id",
            "label": "id",
            "type": "bigint",
            "primary_key": True,
            "required": True,
        },
        {
            "id": email.pk,
            "schema": customer.pk,
            "name": "email",
            "label": "email",
            "type": "string",
            "DELETE": True,
        },
    ]
    field_usage_finders.register("tests.admin", lambda f: ["Audience “All”"] if f.pk == email.pk else [])
    try:
        response = client_for(administrator).post(
            reverse("admin:audiences_schema_change", args=[customer.pk]),
            {"name": "customer", "label": "customer", "description": "", **field_rows(rows, initial=2)},
            follow=True,
        )
    finally:
        field_usage_finders.unregister("tests.admin")
    assert "Audience “All”" in response.content.decode()
    assert customer.fields.filter(name="email").exists()


def test_changelist_shows_row_counts_and_the_diagram_draws_links(viewer, model):
    client = client_for(viewer)
    changelist = client.get(reverse("admin:audiences_schema_changelist"))
    assert changelist.status_code == 200
    assert 'class="field-row_count">0<' in changelist.content.decode()
    diagram = client.get(reverse("admin:audiences_schema_diagram")).content.decode()
    assert "<svg" in diagram and "customer / purchases" in diagram and ">purchase<" in diagram


def test_ddl_import_in_the_admin_proposes_then_creates(administrator):
    client = client_for(administrator)
    ddl = (
        "CREATE TABLE customers (id bigint PRIMARY KEY);\n"
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers(id));"
    )
    proposed = client.post(reverse("admin:audiences_schema_ddl_import"), {"ddl": ddl})
    assert proposed.status_code == 200 and not Schema.objects.exists()
    proposal = proposed.context["proposal_json"]
    created = client.post(
        reverse("admin:audiences_schema_ddl_import"), {"proposal": proposal, "confirm": "1"}
    )
    assert created.status_code == 302
    assert set(Schema.objects.values_list("name", flat=True)) == {"customers", "orders"}
    assert Link.objects.get().reverse_name == "orders"
    assert json.loads(proposal)["links"][0]["name"] == "customer"


def test_ddl_import_errors_are_shown(administrator):
    response = client_for(administrator).post(
        reverse("admin:audiences_schema_ddl_import"), {"ddl": "CREATE TABLE t (id int PRIMARY KEY, p point);"}
    )
    assert "“p”" in response.content.decode()

"""DDL upload: CREATE TABLE statements proposed, confirmed, created; bad DDL named precisely."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from audiences.catalog.ddl import ddl_import_confirm, ddl_propose
from audiences.catalog.models import Link, Schema
from audiences.catalog.selectors import schema_links

pytestmark = pytest.mark.django_db

RETAIL_DDL = """
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    email varchar(200) NOT NULL UNIQUE,
    created timestamptz DEFAULT now()
);
CREATE TABLE stores (
    country char(2),
    code integer,
    name text NOT NULL,
    CONSTRAINT stores_pk PRIMARY KEY (country, code)
);
CREATE TABLE purchases (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers(id),
    store_country char(2),
    store_code integer,
    amount numeric(12, 2),
    FOREIGN KEY (store_country, store_code) REFERENCES stores (country, code)
);
"""


def test_ddl_proposal_of_three_related_tables():
    # when
    proposal = ddl_propose(RETAIL_DDL).as_dict()
    # then
    assert [s["name"] for s in proposal["schemas"]] == ["customers", "stores", "purchases"]
    stores = proposal["schemas"][1]
    assert [f["name"] for f in stores["fields"] if f["primary_key"]] == ["country", "code"]
    amount = proposal["schemas"][2]["fields"][4]
    assert (amount["type"], amount["precision"], amount["scale"]) == ("decimal", 12, 2)
    links = {(link["source"], link["name"]): link for link in proposal["links"]}
    assert links[("purchases", "customer")]["keys"] == [["customer_id", "id"]]
    assert links[("purchases", "customer")]["reverse_name"] == "purchases"
    assert links[("purchases", "stores")]["keys"] == [["store_country", "country"], ["store_code", "code"]]
    assert links[("purchases", "stores")]["cardinality"] == "many_to_one"
    assert any("DEFAULT" in w for w in proposal["warnings"])


def test_ddl_confirm_creates_schemas_fields_keys_and_links(administrator):
    # given
    proposal = ddl_propose(RETAIL_DDL).as_dict()
    # when
    created = ddl_import_confirm(actor=administrator, proposal=proposal)
    # then
    assert {s.name for s in created} == {"customers", "stores", "purchases"}
    assert set(connection.introspection.table_names()) >= {
        "oc_data_customers",
        "oc_data_stores",
        "oc_data_purchases",
    }
    stores = Schema.objects.get(name="stores")
    assert set(stores.fields.filter(primary_key=True).values_list("name", flat=True)) == {"country", "code"}
    customers = Schema.objects.get(name="customers")
    assert customers.fields.get(name="email").required
    assert customers.indexes.filter(unique=True, columns=["email"]).exists()
    assert Link.objects.count() == 2
    assert schema_links(customers)["purchases"].to_schema.name == "purchases"
    assert schema_links(stores)["purchases"].multiplies_rows


def test_ddl_confirm_is_all_or_nothing(administrator):
    # given: the proposal is edited so that its link is wrong
    proposal = ddl_propose(RETAIL_DDL).as_dict()
    proposal["links"][0]["keys"] = [["customer_id", "email"]]
    # when
    with pytest.raises(ValidationError) as caught:
        ddl_import_confirm(actor=administrator, proposal=proposal)
    # then
    assert any(key.startswith("links.0") for key in caught.value.message_dict)
    assert not Schema.objects.exists()
    assert "oc_data_customers" not in connection.introspection.table_names()


def test_unsupported_type_names_the_statement_table_and_column():
    ddl = (
        "CREATE TABLE a (id int PRIMARY KEY);\n"
        "CREATE TABLE things (id int PRIMARY KEY, tags text[], doc jsonb);"
    )
    with pytest.raises(ValidationError) as caught:
        ddl_propose(ddl)
    messages = caught.value.message_dict["ddl"]
    assert len(messages) == 2
    assert "Statement 2" in messages[0] and "“things”" in messages[0] and "“tags”" in messages[0]
    assert "“doc”" in messages[1] and "JSONB" in messages[1].upper()


@pytest.mark.parametrize(
    ("ddl", "fragment"),
    [
        ("DROP TABLE customers;", "only CREATE TABLE"),
        ('CREATE TABLE "Bad Name" (id int PRIMARY KEY);', "lower-case"),
        ("CREATE TABLE t (id int);", "primary key is required"),
        ("CREATE TABLE t (id int PRIMARY KEY, c int REFERENCES nowhere(id));", "unknown table"),
        ('CREATE TABLE t (id int PRIMARY KEY, "x""; DROP TABLE y; --" int);', "column"),
        ("CREATE TABLE (", "could not be parsed"),
        ("", "at least one"),
    ],
)
def test_bad_ddl_is_refused_with_a_clear_error(ddl, fragment):
    with pytest.raises(ValidationError) as caught:
        ddl_propose(ddl)
    assert fragment in " ".join(caught.value.message_dict["ddl"])

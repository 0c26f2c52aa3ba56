"""demo_data builds the retail model through the catalog, with the same rows on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from django.core.management import CommandError, call_command

from audiences.catalog import database
from audiences.catalog.models import Link, Schema, TargetingDimension
from audiences.catalog.selectors import schema_table
from audiences.demo.generator import RetailGenerator

pytestmark = pytest.mark.django_db

CUSTOMERS, SEED = 300, 7


def count(name: str) -> int:
    table = schema_table(Schema.objects.get(name=name))
    return database.fetch_value(sa.select(sa.func.count()).select_from(table))


def run_demo(administrator, **options):
    call_command("demo_data", customers=CUSTOMERS, seed=SEED, user=administrator.username, **options)


def test_demo_data_counts_match_the_generator(administrator):
    # given: the counts the same generator gives in plain Python
    expected = RetailGenerator(CUSTOMERS, SEED).counts()
    # when
    run_demo(administrator)
    # then
    assert {name: count(name) for name in expected} == expected
    assert expected["purchase"] > 3 * CUSTOMERS and expected["suppression"] > 0
    assert set(Link.objects.values_list("source__name", "name")) >= {
        ("purchase", "customer"),
        ("booking", "customer"),
    }
    dimensions = {
        d.schema.name: d for d in TargetingDimension.objects.select_related("schema", "email_field")
    }
    assert set(dimensions) == {"customer", "booking"}
    assert dimensions["customer"].is_default and dimensions["booking"].email_field.name == "contact_email"


def test_demo_data_content_is_reproducible(administrator):
    # given
    generator = RetailGenerator(CUSTOMERS, SEED)
    customers = list(generator.customer_rows())
    amounts = sum((row[5] for row in generator.purchases()), Decimal(0))
    # when
    run_demo(administrator)
    # then: the same emails, points and purchase total as the generator, on either database
    table = schema_table(Schema.objects.get(name="customer"))
    stored = database.fetch_all(
        sa.select(table.c.id, table.c.email, table.c.loyalty_points).order_by(table.c.id)
    )
    assert stored == [(row[0], row[1], row[13]) for row in customers]
    purchases = schema_table(Schema.objects.get(name="purchase"))
    total = database.fetch_value(sa.select(sa.func.sum(purchases.c.amount)))
    assert Decimal(str(total)).quantize(Decimal("0.01")) == amounts


def test_demo_data_is_idempotent_and_resets_on_request(administrator, capsys):
    run_demo(administrator)
    before = count("purchase")
    # when: the same options again
    run_demo(administrator)
    # then
    assert "nothing to do" in capsys.readouterr().out
    assert count("purchase") == before
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo_data", customers=50, seed=SEED, user=administrator.username)
    call_command("demo_data", customers=50, seed=SEED, user=administrator.username, reset=True)
    assert count("customer") == 50

"""A small shop catalog with real rows, for the rule tests: customers, purchases, products, stores.

Built through the catalog services (so tables, names and links are the real thing) and filled with
SQLAlchemy inserts; ``DATA`` keeps the same rows in Python for independent computations.
"""

from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from django.utils import timezone

from audiences.catalog import database
from audiences.catalog import services as catalog
from audiences.catalog.selectors import schema_table

D = decimal.Decimal


def _today() -> dt.date:
    return timezone.localdate()


def make_shop(actor, prefix: str = "") -> dict:
    """Schemas, links, a dimension and rows; returns them and the Python copy of the rows."""
    pk = {"name": "id", "type": "bigint", "primary_key": True}
    store = catalog.schema_create(
        actor=actor, name=f"{prefix}store", fields=[pk, {"name": "city", "type": "string", "max_length": 50}]
    )
    product = catalog.schema_create(
        actor=actor,
        name=f"{prefix}product",
        fields=[
            pk,
            {"name": "brand", "type": "string", "max_length": 50},
            {"name": "price", "type": "decimal", "precision": 10, "scale": 2},
        ],
    )
    customer = catalog.schema_create(
        actor=actor,
        name=f"{prefix}customer",
        fields=[
            pk,
            {"name": "email", "type": "string", "max_length": 100, "is_personal": True},
            {"name": "first_name", "type": "string", "max_length": 50},
            {"name": "age", "type": "integer"},
            {"name": "score", "type": "float"},
            {"name": "balance", "type": "decimal", "precision": 10, "scale": 2},
            {"name": "vip", "type": "boolean"},
            {"name": "birth_date", "type": "date"},
            {"name": "last_seen", "type": "datetime"},
            {"name": "tier", "type": "enum", "enum_values": ["gold", "silver", "bronze"]},
            {"name": "store_id", "type": "bigint"},
        ],
    )
    purchase = catalog.schema_create(
        actor=actor,
        name=f"{prefix}purchase",
        fields=[
            pk,
            {"name": "customer_id", "type": "bigint"},
            {"name": "product_id", "type": "bigint"},
            {"name": "amount", "type": "decimal", "precision": 10, "scale": 2},
            {"name": "purchased_on", "type": "date"},
        ],
    )
    visit = catalog.schema_create(
        actor=actor,
        name=f"{prefix}visit",
        fields=[pk, {"name": "customer_id", "type": "bigint"}, {"name": "page", "type": "string"}],
    )
    catalog.link_create(
        actor=actor,
        source=purchase,
        target=customer,
        name="customer",
        reverse_name="purchases",
        cardinality="many_to_one",
        keys=[["customer_id", "id"]],
    )
    catalog.link_create(
        actor=actor,
        source=purchase,
        target=product,
        name="product",
        reverse_name="purchases",
        cardinality="many_to_one",
        keys=[["product_id", "id"]],
    )
    catalog.link_create(
        actor=actor,
        source=customer,
        target=store,
        name="store",
        reverse_name="customers",
        cardinality="many_to_one",
        keys=[["store_id", "id"]],
    )
    catalog.link_create(
        actor=actor,
        source=visit,
        target=customer,
        name="customer",
        reverse_name="visits",
        cardinality="many_to_one",
        keys=[["customer_id", "id"]],
    )
    dimension = catalog.targeting_dimension_create(
        actor=actor, schema=customer, data={"identity_field": "id", "email_field": "email"}
    )
    today = _today()
    now = timezone.now().replace(microsecond=0)
    stores = [{"id": 1, "city": "Paris"}, {"id": 2, "city": "Lyon"}, {"id": 3, "city": None}]
    products = [
        {"id": 1, "brand": "Acme", "price": D("10.00")},
        {"id": 2, "brand": "Bolt", "price": D("99.90")},
        {"id": 3, "brand": "acme", "price": D("5.50")},
        {"id": 4, "brand": None, "price": None},
    ]
    names = ["Alice", "bob", "Carla", "", None, "Al_ce", "Zoé", "Eve%", "dan", "ALICE", "Bo*b", "x"]
    customers = []
    for i in range(1, 13):
        customers.append(
            {
                "id": i,
                "email": f"c{i}@example.test" if i % 5 else None,
                "first_name": names[i - 1],
                "age": None if i % 6 == 0 else 15 + 5 * i,
                "score": None if i % 7 == 0 else round(0.5 * i - 2.25, 2),
                "balance": None if i == 4 else D(str(i * 12.5)),
                "vip": None if i == 3 else i % 2 == 0,
                "birth_date": None if i == 5 else dt.date(1960 + 3 * i, (i % 12) + 1, min(28, 2 * i)),
                "last_seen": None
                if i == 9
                else (
                    now - dt.timedelta(days=[0, 1, 2, 5, 8, 20, 40, 70, 100, 400, -3, -10][i - 1], hours=1)
                ),
                "tier": [None, "gold", "silver", "bronze"][i % 4],
                "store_id": [1, 2, 3, None][i % 4],
            }
        )
    purchases = []
    pid = 0
    for c in range(1, 11):
        for k in range(c % 4):
            pid += 1
            purchases.append(
                {
                    "id": pid,
                    "customer_id": c,
                    "product_id": [1, 2, 3, 4, None][(c + k) % 5],
                    "amount": None if pid % 9 == 0 else D(str(20 * k + 7 * c)) + D("0.25"),
                    "purchased_on": today - dt.timedelta(days=(c * 17 + k * 40) % 200),
                }
            )
    visits = [
        {"id": i, "customer_id": c, "page": p}
        for i, (c, p) in enumerate(
            [(1, "home"), (2, "cart"), (2, "home"), (7, "cart"), (11, "promo")], start=1
        )
    ]
    for schema, rows in (
        (store, stores),
        (product, products),
        (customer, customers),
        (purchase, purchases),
        (visit, visits),
    ):
        table = schema_table(schema)
        database.execute(sa.insert(table).values(rows))
    return {
        "dimension": dimension,
        "customer": customer,
        "purchase": purchase,
        "product": product,
        "store": store,
        "visit": visit,
        "data": {
            "customer": customers,
            "purchase": purchases,
            "product": products,
            "store": stores,
            "visit": visits,
        },
    }

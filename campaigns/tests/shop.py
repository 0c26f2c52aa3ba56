"""A small shop built through the catalog services, with its rows kept in Python for expectations.

Tests compute every expected count from ``Shop`` lists independently of the engine's SQL.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import sqlalchemy as sa

from audiences.catalog import database
from audiences.catalog import services as catalog
from audiences.catalog.selectors import schema_table

TIERS = ("gold", "silver", "bronze")
TODAY = dt.date(2026, 11, 1)


def pk(name="id"):
    return {"name": name, "type": "bigint", "primary_key": True}


@dataclass
class Shop:
    customers: list[dict] = field(default_factory=list)
    purchases: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    wishlist: list[dict] = field(default_factory=list)
    bookings: list[dict] = field(default_factory=list)
    schemas: dict = field(default_factory=dict)
    dimensions: dict = field(default_factory=dict)


def build_shop(admin, *, customers: int = 120, seed: int = 7) -> Shop:
    rnd = random.Random(seed)
    shop = Shop()
    s = shop.schemas
    s["customers"] = catalog.schema_create(
        actor=admin,
        name="customers",
        fields=[
            pk(),
            {"name": "email", "type": "string", "is_personal": True},
            {"name": "first_name", "type": "string", "is_personal": True},
            {"name": "tier", "type": "string"},
            {"name": "score", "type": "integer"},
            {"name": "churn_risk", "type": "float"},
            {"name": "created_on", "type": "date"},
        ],
    )
    s["products"] = catalog.schema_create(
        actor=admin,
        name="products",
        fields=[pk(), {"name": "name", "type": "string"}, {"name": "brand", "type": "string"}],
    )
    s["purchases"] = catalog.schema_create(
        actor=admin,
        name="purchases",
        fields=[
            pk(),
            {"name": "customer_id", "type": "bigint"},
            {"name": "product_id", "type": "bigint"},
            {"name": "amount", "type": "float"},
            {"name": "purchased_on", "type": "date"},
        ],
    )
    s["wishlist_items"] = catalog.schema_create(
        actor=admin,
        name="wishlist_items",
        fields=[
            pk(),
            {"name": "customer_id", "type": "bigint"},
            {"name": "product_id", "type": "bigint"},
            {"name": "added_at", "type": "datetime"},
        ],
    )
    s["bookings"] = catalog.schema_create(
        actor=admin,
        name="bookings",
        fields=[
            pk(),
            {"name": "customer_id", "type": "bigint"},
            {"name": "store", "type": "string"},
            {"name": "booked_on", "type": "date"},
        ],
    )
    for many, name, reverse in (
        ("purchases", "customer", "purchases"),
        ("wishlist_items", "customer", "wishlist_items"),
        ("bookings", "customer", "bookings"),
    ):
        catalog.link_create(
            actor=admin,
            source=s[many],
            target=s["customers"],
            name=name,
            reverse_name=reverse,
            cardinality="many_to_one",
            keys=[["customer_id", "id"]],
        )
    for many in ("purchases", "wishlist_items"):
        catalog.link_create(
            actor=admin,
            source=s[many],
            target=s["products"],
            name="product",
            reverse_name=f"{many}_of_product",
            cardinality="many_to_one",
            keys=[["product_id", "id"]],
        )
    shop.dimensions["customers"] = catalog.targeting_dimension_create(
        actor=admin, schema=s["customers"], data={"identity_field": "id", "email_field": "email"}
    )
    shop.dimensions["bookings"] = catalog.targeting_dimension_create(
        actor=admin, schema=s["bookings"], data={"identity_field": "id"}
    )

    emails = [f"p{n}@example.test" for n in range(customers * 3 // 4)]
    for i in range(1, customers + 1):
        shop.customers.append(
            {
                "id": i,
                "email": rnd.choice(emails) if rnd.random() > 0.05 else None,
                "first_name": f"Name{i}",
                "tier": rnd.choice(TIERS),
                "score": rnd.randint(0, 100),
                "churn_risk": round(rnd.random(), 3),
                "created_on": TODAY - dt.timedelta(days=rnd.randint(0, 900)),
            }
        )
    shop.products = [
        {"id": i, "name": f"Product {i}", "brand": rnd.choice(("acme", "zenith", "orbit"))}
        for i in range(1, 11)
    ]
    n = 0
    for c in shop.customers:
        for _ in range(rnd.randint(0, 4)):
            n += 1
            shop.purchases.append(
                {
                    "id": n,
                    "customer_id": c["id"],
                    "product_id": rnd.randint(1, 10),
                    "amount": float(rnd.randint(5, 300)),
                    "purchased_on": TODAY - dt.timedelta(days=rnd.randint(0, 400)),
                }
            )
    n = 0
    base = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    for c in shop.customers:
        for _ in range(rnd.randint(0, 5)):
            n += 1
            shop.wishlist.append(
                {
                    "id": n,
                    "customer_id": c["id"],
                    "product_id": rnd.randint(1, 10),
                    "added_at": base + dt.timedelta(minutes=n * 37),
                }
            )
    shop.bookings = [
        {
            "id": i,
            "customer_id": rnd.randint(1, customers),
            "store": rnd.choice(("north", "south")),
            "booked_on": TODAY - dt.timedelta(days=rnd.randint(0, 60)),
        }
        for i in range(1, customers // 2)
    ]
    for name, rows in (
        ("customers", shop.customers),
        ("products", shop.products),
        ("purchases", shop.purchases),
        ("wishlist_items", shop.wishlist),
        ("bookings", shop.bookings),
    ):
        if rows:
            database.execute(sa.insert(schema_table(s[name])).values(rows))
    return shop

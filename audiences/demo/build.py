"""Build the retail demo model through the catalog services, then fill it through the bulk path.

Schemas, links and targeting dimensions are created by ``audiences.catalog.services`` (as an
Administrator would through the API); rows go through ``audiences.ingestion.staging.bulk_copy`` (COPY on
PostgreSQL, batched executemany on SQLite). Everything happens in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audiences.catalog import services
from audiences.catalog.models import Link, Schema, TargetingDimension
from audiences.catalog.selectors import schema_table
from audiences.demo.generator import BOOKING_STATUSES, CATEGORIES, SERVICES, TIERS, RetailGenerator
from audiences.ingestion.staging import bulk_copy

MARKER = "Demo data (customers={customers}, seed={seed})."
MARKER_PATTERN = re.compile(r"^Demo data \(customers=(\d+), seed=(\d+)\)\.")


def _f(name, type_, **extra) -> dict:
    return {"name": name, "type": type_, **extra}


KEY = {"primary_key": True}
SCHEMAS: dict[str, list[dict]] = {
    "customer": [
        _f("id", "bigint", **KEY),
        _f("email", "string", max_length=254, is_personal=True),
        _f("phone", "string", max_length=32, is_personal=True),
        _f("push_token", "string", max_length=64, is_personal=True),
        _f("email_optin", "boolean"),
        _f("sms_optin", "boolean"),
        _f("push_optin", "boolean"),
        _f("first_name", "string", max_length=100, is_personal=True),
        _f("last_name", "string", max_length=100, is_personal=True),
        _f("country", "string", max_length=2),
        _f("city", "string", max_length=100),
        _f("birth_date", "date", is_personal=True),
        _f("loyalty_tier", "enum", enum_values=TIERS),
        _f("loyalty_points", "integer"),
        _f("locale", "string", max_length=10),
        _f("time_zone", "string", max_length=64),
        _f("created_at", "datetime"),
        _f("updated_at", "datetime", is_version=True),
    ],
    "store": [
        _f("id", "integer", **KEY),
        _f("name", "string", max_length=120),
        _f("city", "string", max_length=100),
        _f("country", "string", max_length=2),
        _f("opened_on", "date"),
    ],
    "product": [
        _f("id", "integer", **KEY),
        _f("sku", "string", max_length=20),
        _f("name", "string", max_length=120),
        _f("category", "enum", enum_values=CATEGORIES),
        _f("brand", "string", max_length=80),
        _f("price", "decimal", precision=10, scale=2),
    ],
    "purchase": [
        _f("id", "bigint", **KEY),
        _f("customer_id", "bigint", required=True),
        _f("product_id", "integer", required=True),
        _f("store_id", "integer", required=True),
        _f("quantity", "integer"),
        _f("amount", "decimal", precision=12, scale=2),
        _f("purchased_at", "datetime"),
    ],
    "wishlist_item": [
        _f("customer_id", "bigint", **KEY),
        _f("product_id", "integer", **KEY),
        _f("added_at", "datetime"),
    ],
    "booking": [
        _f("id", "bigint", **KEY),
        _f("customer_id", "bigint", required=True),
        _f("contact_email", "string", max_length=254, is_personal=True),
        _f("email_optin", "boolean"),
        _f("service", "enum", enum_values=SERVICES),
        _f("booked_for", "datetime"),
        _f("status", "enum", enum_values=BOOKING_STATUSES),
    ],
    "suppression": [
        _f("channel", "enum", enum_values=["email", "sms", "push"], **KEY),
        _f("address", "string", max_length=254, is_personal=True, **KEY),
        _f("reason", "string", max_length=40),
        _f("created_at", "datetime"),
    ],
}
# (source, target, name, reverse name, source key, target key)
LINKS = [
    ("purchase", "customer", "customer", "purchases", "customer_id", "id"),
    ("purchase", "product", "product", "purchases", "product_id", "id"),
    ("purchase", "store", "store", "purchases", "store_id", "id"),
    ("wishlist_item", "customer", "customer", "wishlist", "customer_id", "id"),
    ("wishlist_item", "product", "product", "wishlisted_by", "product_id", "id"),
    ("booking", "customer", "customer", "bookings", "customer_id", "id"),
]
DIMENSIONS = {
    "customer": {
        "label": "Customers",
        "identity_field": "id",
        "email_field": "email",
        "sms_field": "phone",
        "push_field": "push_token",
        "email_consent_field": "email_optin",
        "sms_consent_field": "sms_optin",
        "push_consent_field": "push_optin",
        "locale_field": "locale",
        "timezone_field": "time_zone",
        "is_default": True,
    },
    "booking": {
        "label": "Bookings",
        "identity_field": "id",
        "email_field": "contact_email",
        "email_consent_field": "email_optin",
    },
}


def demo_state() -> tuple[int, int] | None:
    """(customers, seed) of the demo model present, or None when there is none."""
    schema = Schema.objects.filter(name="customer").first()
    if schema is None:
        return None
    match = MARKER_PATTERN.match(schema.description)
    if match is None:
        raise ValidationError(
            {"customer": _("A schema named “customer” exists and is not demo data; it is left alone.")}
        )
    return int(match.group(1)), int(match.group(2))


@transaction.atomic
def demo_remove(*, actor) -> None:
    """Remove the demo model (dimensions, links, schemas and their tables) through the services."""
    names = list(SCHEMAS)
    for dimension in TargetingDimension.objects.filter(schema__name__in=names):
        services.targeting_dimension_delete(actor=actor, dimension=dimension)
    for link in Link.objects.filter(source__name__in=names):
        services.link_remove(actor=actor, link=link)
    for schema in Schema.objects.filter(name__in=names):
        services.schema_delete(actor=actor, schema=schema)


@transaction.atomic
def demo_build(*, actor, customers: int, seed: int, log: Callable[[str], None] = lambda m: None) -> dict:
    """Create and fill the demo model; returns the row count of each schema."""
    generator = RetailGenerator(customers, seed)
    schemas = {}
    for name, fields in SCHEMAS.items():
        description = MARKER.format(customers=customers, seed=seed) if name == "customer" else "Demo data."
        schemas[name] = services.schema_create(
            actor=actor,
            name=name,
            label=name.replace("_", " ").title(),
            description=description,
            fields=fields,
        )
    counts = {}
    for name, rows in (
        ("store", generator.stores),
        ("product", generator.products),
        ("customer", generator.customer_rows),
        ("purchase", generator.purchases),
        ("wishlist_item", generator.wishlist_items),
        ("booking", generator.bookings),
        ("suppression", generator.suppressions),  # collected while the customers were generated
    ):
        fields = SCHEMAS[name]
        table = schema_table(schemas[name])
        counts[name] = bulk_copy(
            table, [f["name"] for f in fields], rows(), types=[f["type"] for f in fields]
        )
        log(f"{name}: {counts[name]} rows")
    for source, target, name, reverse, source_key, target_key in LINKS:
        services.link_create(
            actor=actor,
            source=schemas[source],
            target=schemas[target],
            name=name,
            reverse_name=reverse,
            cardinality="many_to_one",
            keys=[[source_key, target_key]],
        )
    for name, data in DIMENSIONS.items():
        services.targeting_dimension_create(actor=actor, schema=schemas[name], data=data)
    return counts

"""Reads on the catalog, and the stable API other code uses to reach the company's tables.

``schema_table(schema)`` is the single place SQL identifiers come from: ingestion and the rule compiler
build every statement from the ``sqlalchemy.Table`` it returns (columns keyed by field name, typed by the
type registry). ``schema_links(schema)`` gives the links seen from one schema, in either direction, as the
rule builder walks them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from django.db import DatabaseError, transaction
from django.db.models import Prefetch, QuerySet

from accounts.permissions import restrict
from audiences.catalog import database
from audiences.catalog.models import Field, Link, LinkCardinality, LinkKey, Schema, TargetingDimension
from audiences.catalog.physical import build_table


def schema_list(*, actor, action: str = "view") -> QuerySet[Schema]:
    """The schemas ``actor`` may see, fields prefetched in order."""
    return restrict(actor, action, Schema.objects.prefetch_related("fields"))


def schema_get(name: str, *, actor=None) -> Schema:
    """One schema by name (``Schema.DoesNotExist`` otherwise); restricted when an actor is given."""
    queryset = Schema.objects.prefetch_related("fields")
    if actor is not None:
        queryset = restrict(actor, "view", queryset)
    return queryset.get(name=name)


def schema_fields(schema: Schema) -> dict[str, Field]:
    """The schema's fields by name, in position order."""
    return {f.name: f for f in sorted(schema.fields.all(), key=lambda f: (f.position, f.pk))}


def schema_table(schema: Schema, metadata: sa.MetaData | None = None) -> sa.Table:
    """A ``sqlalchemy.Table`` for ``schema``: ``table.c[<field name>]`` is the typed column.

    Build statements from it and run them with ``audiences.catalog.database``; use ``.alias()`` for joins.
    """
    return build_table(schema, metadata=metadata)


def schema_primary_key(schema: Schema) -> list[Field]:
    return [f for f in schema_fields(schema).values() if f.primary_key]


def schema_version_field(schema: Schema) -> Field | None:
    return next((f for f in schema_fields(schema).values() if f.is_version), None)


@dataclass(frozen=True)
class LinkSide:
    """A link seen from one schema: ``name`` leads to ``to_schema`` with ``cardinality`` from this side."""

    link: Link
    name: str
    from_schema: Schema
    to_schema: Schema
    cardinality: LinkCardinality
    keys: tuple[tuple[Field, Field], ...]  # (field on from_schema, field on to_schema)
    reverse: bool

    @property
    def multiplies_rows(self) -> bool:
        return self.cardinality == LinkCardinality.ONE_TO_MANY


def _links_queryset() -> QuerySet[Link]:
    keys = LinkKey.objects.select_related("source_field", "target_field").order_by("position")
    return Link.objects.select_related("source", "target").prefetch_related(Prefetch("keys", queryset=keys))


def link_list(*, actor, action: str = "view") -> QuerySet[Link]:
    return restrict(actor, action, _links_queryset())


def schema_links(schema: Schema) -> dict[str, LinkSide]:
    """Every link reachable from ``schema`` by its name on this side (both directions)."""
    sides: dict[str, LinkSide] = {}
    for link in _links_queryset().filter(source=schema):
        pairs = tuple((k.source_field, k.target_field) for k in link.keys.all())
        sides[link.name] = LinkSide(
            link, link.name, link.source, link.target, LinkCardinality(link.cardinality), pairs, False
        )
    for link in _links_queryset().filter(target=schema):
        pairs = tuple((k.target_field, k.source_field) for k in link.keys.all())
        sides[link.reverse_name] = LinkSide(
            link,
            link.reverse_name,
            link.target,
            link.source,
            LinkCardinality(link.cardinality).reverse,
            pairs,
            True,
        )
    return sides


def targeting_dimension_list(*, actor, action: str = "view") -> QuerySet[TargetingDimension]:
    return restrict(actor, action, TargetingDimension.objects.select_related("schema", "identity_field"))


def targeting_dimension_default() -> TargetingDimension | None:
    return TargetingDimension.objects.select_related("schema").filter(is_default=True).first()


def targeting_dimension_for(schema: Schema) -> TargetingDimension | None:
    return TargetingDimension.objects.filter(schema=schema).first()


def schema_row_count(schema: Schema) -> int | None:
    """``count(*)`` of the schema's table; None when it cannot be read (e.g. a dropped external view)."""
    table = sa.table(schema.table_name)
    try:
        with transaction.atomic():
            return database.fetch_value(sa.select(sa.func.count()).select_from(table))
    except DatabaseError:
        return None


def schema_row_counts(schemas) -> dict[int, int | None]:
    """Row counts by schema id: one ``count(*)`` per schema (a catalog list, never a population)."""
    return {schema.pk: schema_row_count(schema) for schema in schemas}

"""The catalog as the compiler sees it: schemas, fields, tables and links loaded in a few queries.

``CatalogResolver`` gives expressions (``@field``, ``[link/@field]``) their meaning over one schema's
row: a field of the row is its column; a field reached through N-1 / 1-1 links is a correlated scalar
sub-query (at most one row by the link's cardinality). A path through a 1-N link is refused in an
expression: it has many values; an aggregate or exists condition says which.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sqlalchemy as sa
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from audiences.catalog.models import Field, Link, LinkCardinality, LinkKey, Schema
from audiences.catalog.selectors import LinkSide, schema_table
from audiences.query.expressions.resolvers import ResolvedColumn, UnknownName
from audiences.query.types import Type

FIELD_TYPES = {
    "string": Type.STRING,
    "text": Type.STRING,
    "enum": Type.STRING,
    "integer": Type.INTEGER,
    "bigint": Type.INTEGER,
    "decimal": Type.DECIMAL,
    "float": Type.FLOAT,
    "boolean": Type.BOOLEAN,
    "date": Type.DATE,
    "datetime": Type.DATETIME,
}


def value_type(field: Field) -> Type:
    return FIELD_TYPES.get(field.type, Type.ANY)


@dataclass
class SchemaInfo:
    schema: Schema
    fields: dict[str, Field]
    table: sa.Table
    links: dict[str, LinkSide] = field(default_factory=dict)

    @property
    def primary_key(self) -> list[Field]:
        return [f for f in self.fields.values() if f.primary_key]


class CatalogSnapshot:
    """Every schema with its fields and links, loaded with four queries."""

    def __init__(self):
        schemas = Schema.objects.prefetch_related("fields")
        self.schemas: dict[int, SchemaInfo] = {}
        for schema in schemas:
            fields = sorted(schema.fields.all(), key=lambda f: (f.position, f.pk))
            self.schemas[schema.pk] = SchemaInfo(schema, {f.name: f for f in fields}, schema_table(schema))
        keys = LinkKey.objects.select_related("source_field", "target_field").order_by("position")
        links = Link.objects.prefetch_related(Prefetch("keys", queryset=keys))
        for link in links:
            source, target = self.schemas[link.source_id], self.schemas[link.target_id]
            pairs = tuple((k.source_field, k.target_field) for k in link.keys.all())
            cardinality = LinkCardinality(link.cardinality)
            source.links[link.name] = LinkSide(
                link, link.name, source.schema, target.schema, cardinality, pairs, False
            )
            target.links[link.reverse_name] = LinkSide(
                link,
                link.reverse_name,
                target.schema,
                source.schema,
                cardinality.reverse,
                tuple((b, a) for a, b in pairs),
                True,
            )

    def info(self, schema: Schema | int) -> SchemaInfo:
        return self.schemas[schema if isinstance(schema, int) else schema.pk]

    def walk(self, start: SchemaInfo, names: list[str]) -> list[LinkSide]:
        """The link sides named by ``names`` from ``start``; ``UnknownName`` at the first unknown one."""
        sides, here = [], start
        for name in names:
            side = here.links.get(name)
            if side is None:
                raise UnknownName(
                    _("unknown link “%(link)s” on %(schema)s") % {"link": name, "schema": here.schema.name}
                )
            sides.append(side)
            here = self.info(side.to_schema.pk)
        return sides


class Aliases:
    """Table aliases t0, t1, ... for one compiled statement."""

    def __init__(self):
        self._counter = itertools.count()

    def new(self, info: SchemaInfo) -> sa.Alias:
        return info.table.alias(f"t{next(self._counter)}")


def key_condition(side: LinkSide, source: sa.Alias, target: sa.Alias):
    return sa.and_(*(target.c[b.name] == source.c[a.name] for a, b in side.keys))


class CatalogResolver:
    """Expression names over one row of ``info`` (aliased ``alias``)."""

    def __init__(self, catalog: CatalogSnapshot, info: SchemaInfo, alias: sa.Alias, aliases: Aliases):
        self.catalog, self.info, self.alias, self.aliases = catalog, info, alias, aliases

    def field(self, path: tuple[str, ...], name: str) -> ResolvedColumn:
        sides = self.catalog.walk(self.info, list(path))
        for side in sides:
            if side.multiplies_rows:
                raise UnknownName(
                    _("link “%(link)s” leads to many rows; use an aggregate or exists condition")
                    % {"link": side.name}
                )
        target = self.catalog.info(sides[-1].to_schema.pk) if sides else self.info
        found = target.fields.get(name)
        if found is None:
            raise UnknownName(
                _("unknown field @%(name)s on %(schema)s") % {"name": name, "schema": target.schema.name}
            )
        if not sides:
            return ResolvedColumn(self.alias.c[name], value_type(found))
        previous, joins, where = self.alias, None, []
        for index, side in enumerate(sides):
            alias = self.aliases.new(self.catalog.info(side.to_schema.pk))
            if index == 0:
                where.append(key_condition(side, previous, alias))
                joins = alias
            else:
                joins = joins.join(alias, key_condition(side, previous, alias))
            previous = alias
        column = sa.select(previous.c[name]).select_from(joins).where(*where).limit(1).scalar_subquery()
        return ResolvedColumn(column, value_type(found))

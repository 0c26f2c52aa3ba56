"""Link paths used by Enrichment: following N-1 links to a field, and checking paths against the catalog."""

from __future__ import annotations

import sqlalchemy as sa
from django.utils.translation import gettext as _

from audiences.catalog.selectors import schema_fields, schema_links, schema_table


def check_paths(config, schema) -> list[tuple[str, str]]:
    """Links and fields named by the configuration exist (so a run never fails on a typo)."""
    errors = []
    links = schema_links(schema)
    for i, f in enumerate(config.fields):
        current, *rest = f.path.split(".")[::-1]
        here = schema
        for link in reversed(rest):
            side = schema_links(here).get(link)
            if side is None or side.multiplies_rows:
                errors.append((f"fields.{i}.path", _("No N-1 link %(link)s.") % {"link": link}))
                break
            here = side.to_schema
        else:
            if current not in schema_fields(here):
                errors.append((f"fields.{i}.path", _("Unknown field %(name)s.") % {"name": current}))
    for kind, items in (("related", config.related), ("aggregates", config.aggregates)):
        for i, item in enumerate(items):
            side = links.get(item.link)
            if side is None or not side.multiplies_rows:
                errors.append((f"{kind}.{i}.link", _("No 1-N link %(link)s.") % {"link": item.link}))
                continue
            names = item.fields if kind == "related" else [item.field] if item.field else []
            fields = schema_fields(side.to_schema)
            errors += [
                (f"{kind}.{i}", _("Unknown field %(name)s.") % {"name": n}) for n in names if n not in fields
            ]
    return errors


def follow(from_, t, inp, schema, path: str, n: int):
    """Join along N-1 links of ``path`` (``link.link.field``) from the dimension; returns the column."""
    *links, name = path.split(".")
    current = schema_table(schema).alias(f"f{n}_0")
    from_ = from_.outerjoin(current, sa.and_(*(current.c[k] == t.c[k] for k in inp.key_columns)))
    for depth, link in enumerate(links, start=1):
        side = schema_links(schema)[link]
        if side.multiplies_rows:
            raise ValueError(f"{link} is a 1-N link; use related rows or aggregates")
        nxt = schema_table(side.to_schema).alias(f"f{n}_{depth}")
        from_ = from_.outerjoin(nxt, sa.and_(*(current.c[a.name] == nxt.c[b.name] for a, b in side.keys)))
        schema, current = side.to_schema, nxt
    return from_, current.c[name], schema_fields(schema)[name]

"""The count statement of a compiled rule, in the plan the planner picks (``Planner.count``).

Why: when a whole rule is one semi-join on the dimension's key (``exists``, an aggregate, an OR of
links: ``CompiledRule.keyset``), ``count(*) ... WHERE key IN (keys)`` lets PostgreSQL estimate the key
set from the grouped or joined rows (a third of them for a ``HAVING``, say 200,000 where 685 come
out), hash-join it against a scan of the whole dimension and, in a parallel plan, build that key set
again in every worker (EXPLAIN ANALYZE in docs/benchmarks.md). ``key = ANY(ARRAY(keys))`` computes the
key set once (an InitPlan) and probes the dimension's primary key index for each key.

Exact: the dimension's key is its primary key (unique, not null), so each key of the set matches at
most one row, duplicates in the set count once, and a key no row has (a purchase of an unknown
customer) counts nothing; the answer is the ``IN`` count. Only for a one-column primary key, on
PostgreSQL; otherwise the count is the plain ``IN``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from audiences.query.compiler.build import CompiledRule
from audiences.query.planner import Decision


class KeyArray(sa.sql.expression.ColumnElement):
    """``ARRAY(SELECT key ...)``: the keys of a sub-query, computed once, as one array value."""

    inherit_cache = True
    _traverse_internals = [("select", InternalTraversal.dp_clauseelement)]

    def __init__(self, select: sa.Select, key_type):
        self.select = select
        self.type = sa.ARRAY(key_type)


@compiles(KeyArray, "postgresql")
def _key_array(element, compiler, **kw):
    return "ARRAY" + compiler.process(element.select.scalar_subquery(), **kw)


def count_select(compiled: CompiledRule, dialect: str) -> sa.Select:
    """``count(*)`` of the rule's rows; the plan is added to ``compiled.decisions``."""
    keys = [compiled.base.c[f.name] for f in compiled.info.primary_key]
    keyset = compiled.keyset
    on_key = keyset is not None and len(keys) == 1 and len(keyset.left) == 1 and keyset.left[0] is keys[0]
    if dialect == "postgresql" and on_key and not compiled.errors:
        compiled.decisions.append(Decision("", "count", "key_array"))
        predicate = keys[0] == sa.func.any(KeyArray(keyset.select, keys[0].type))
        return sa.select(sa.func.count()).select_from(compiled.base).where(predicate)
    return sa.select(sa.func.count()).select_from(compiled.base).where(compiled.predicate)

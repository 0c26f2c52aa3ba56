"""Column lineage: which output columns of an activity's statement carry personal data.

An activity hands ``ExecutionContext.emit`` a SQLAlchemy select; this module walks the expression of
each output column (labels, functions and aggregates, ``case``, window functions, aliases, subqueries,
unions) down to the table columns it reads. Catalog columns and working-table columns carry their
``personal`` flag in ``Column.info`` (set by ``audiences.catalog.physical.field_column`` and
``InputTable``); an output column is personal when any column it reads is.

It fails closed: a column whose origin cannot be determined (raw SQL text, a literal column, a table
built without the flag) is personal. Constants of the configuration (bound parameters) are not.
Rows chosen by a condition on a personal field are not flagged: the flag follows values, not filters.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.sql import elements, functions, selectable

PERSONAL = "personal"
logger = logging.getLogger(__name__)


def personal_flags(statement) -> list[bool]:
    """Per output column of ``statement`` (in order), whether its values may be personal data."""
    return [_any_personal(getattr(c, "_proxies", None) or [c]) for c in statement.subquery().c]


def flag_columns(columns: list[dict], statement) -> list[dict]:
    """``columns`` (the activity's column descriptions, in select order) with ``personal`` set when
    the activity said so or when lineage finds a personal source. A description list that does not
    match the statement's columns cannot be traced: every column is then personal."""
    flags = personal_flags(statement)
    if len(flags) != len(columns):
        logger.warning(
            "Column descriptions do not match the statement (%d, %d): all personal", len(columns), len(flags)
        )
        return [{**c, PERSONAL: True} for c in columns]
    return [
        {**c, PERSONAL: bool(c.get(PERSONAL, True)) or flag} for c, flag in zip(columns, flags, strict=True)
    ]


def _any_personal(roots) -> bool:
    seen: set[int] = set()
    kept = []  # holds every visited element, so that no id in ``seen`` is reused by a new object
    stack = list(roots)
    while stack:
        element = stack.pop()
        if id(element) in seen:
            continue
        seen.add(id(element))
        kept.append(element)
        verdict, more = _step(element)
        if verdict:
            return True
        stack.extend(more)
    return False


def _step(element) -> tuple[bool, list]:
    """(personal for certain, sub-elements whose values flow into this one)."""
    if isinstance(element, elements.BindParameter | elements.Null | elements.True_ | elements.False_):
        return False, []  # a constant of the configuration
    if isinstance(element, elements.TextClause):
        return True, []  # raw SQL: origin unknown
    if isinstance(element, selectable.ScalarSelect):
        return False, [element.element]
    if isinstance(element, selectable.SelectBase):
        # a subquery's value is what it selects (its WHERE only chooses rows)
        return False, [p for c in element.subquery().c for p in (getattr(c, "_proxies", None) or [c])]
    if isinstance(element, elements.ColumnClause):
        table = element.table
        if isinstance(table, sa.Table):
            return bool(element.info.get(PERSONAL, True)), []
        proxies = getattr(element, "_proxies", None)
        if proxies and table is not None:
            return False, list(proxies)  # a column of an alias, subquery or union: its source(s)
        if element.is_literal and element.name == "*":
            return False, []  # count(*)
        return True, []  # a literal column or a column of an untyped table: origin unknown
    if isinstance(element, functions.FunctionElement):
        return False, list(element.get_children())  # its value comes from its arguments
    if isinstance(element, selectable.FromClause):
        return True, []
    if isinstance(element, elements.ClauseElement):
        return False, list(element.get_children())
    return True, []

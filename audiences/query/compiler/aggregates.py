"""Aggregate conditions: ``sum(purchases.amount where ...) > 100`` and friends, in the planner's plan.

``grouped_in``      key IN (SELECT key FROM child WHERE ... GROUP BY key HAVING agg op value)
``grouped_not_in``  key NOT IN (SELECT key ... GROUP BY key HAVING NOT (agg op value)), when rows without
                    children also satisfy the comparison (their count or sum is 0)
``correlated``      (SELECT agg FROM child WHERE child.key = row.key AND ...) op value
"""

from __future__ import annotations

import sqlalchemy as sa
from django.utils.translation import gettext as _

from audiences.query.compiler import personal
from audiences.query.compiler.catalog import key_condition, value_type
from audiences.query.expressions.resolvers import UnknownName
from audiences.query.planner import ZERO_DEFAULT, holds_on_empty
from audiences.query.rules import tree
from audiences.query.rules.operators import OperatorContext, operator_get
from audiences.query.types import NUMERIC_ORDER, Type


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _result_type(function: str, field_type: Type | None) -> Type | None:
    if function in ("count", "count_distinct"):
        return Type.INTEGER
    if function == "avg":
        return Type.FLOAT if field_type == Type.FLOAT else Type.DECIMAL
    return field_type


def aggregate_predicate(compiler, node: tree.Aggregate, scope):
    from audiences.query.compiler.build import Scope

    path = node.path
    try:
        sides = compiler.catalog.walk(scope.info, node.link.split("."))
    except UnknownName as error:
        return compiler.fail(_join(path, "link"), str(error))
    if not any(side.multiplies_rows for side in sides):
        return compiler.fail(_join(path, "link"), _("An aggregate needs a link to many rows (1-N)."))
    final_info = compiler.catalog.info(sides[-1].to_schema.pk)
    field_type = None
    if node.field is not None:
        found = final_info.fields.get(node.field)
        if found is None:
            return compiler.fail(
                _join(path, "field"),
                _("Unknown field “%(name)s” on %(schema)s.")
                % {"name": node.field, "schema": final_info.schema.name},
            )
        if compiler.guard_personal and found.is_personal:
            problem = personal.aggregate_problem(node.function, node.field)
            if problem:
                return compiler.fail(_join(path, "function"), problem)
        field_type = value_type(found)
        if node.function in ("sum", "avg") and field_type not in NUMERIC_ORDER:
            return compiler.fail(_join(path, "field"), _("%s needs a number field.") % node.function)
        if node.function in ("min", "max") and field_type == Type.BOOLEAN:
            return compiler.fail(_join(path, "field"), _("%s needs an ordered field.") % node.function)
    elif node.function != "count":
        return compiler.fail(_join(path, "field"), _("This field is required."))
    result_type = _result_type(node.function, field_type)
    operator = operator_get(node.operator)
    if operator is None or not operator.aggregate_ok:
        return compiler.fail(
            _join(path, "operator"),
            _(
                "An aggregate is compared with equal, not_equal, less, less_or_equal, greater, "
                "greater_or_equal, between, in or not_in."
            ),
        )
    rights = compiler.rights(node, operator, result_type, None, scope)
    if rights is None:
        return sa.false()
    _key, raw = compiler.raw_value(node, path)
    raw_values = list(raw) if isinstance(raw, list | tuple) else [raw]
    empty_holds = holds_on_empty(node.operator, raw_values) if result_type in NUMERIC_ORDER else False
    plan = compiler.planner.aggregate(path, node.function, empty_holds)

    # FROM child [JOIN ...] along the link path; every step is a join inside the grouped sub-query.
    aliases, froms, previous = [], None, scope.alias
    for index, side in enumerate(sides):
        alias = compiler.aliases.new(compiler.catalog.info(side.to_schema.pk))
        froms = alias if index == 0 else froms.join(alias, key_condition(side, previous, alias))
        aliases.append(alias)
        previous = alias
    first, last = aliases[0], aliases[-1]
    where = []
    if node.where is not None:
        where.append(compiler.predicate(node.where, Scope(final_info, last)))
    if node.function == "count":
        value = sa.func.count()
    elif node.function == "count_distinct":
        value = sa.func.count(sa.distinct(last.c[node.field]))
    else:
        value = getattr(sa.func, node.function)(last.c[node.field])
    if node.function in ZERO_DEFAULT:
        value = sa.func.coalesce(value, 0)
    context = OperatorContext(compiler.dialect, result_type, False)
    compare = operator.build(context, value, rights)

    base_keys = [scope.alias.c[a.name] for a, _b in sides[0].keys]
    child_keys = [first.c[b.name] for _a, b in sides[0].keys]
    if plan == "correlated":
        where.append(key_condition(sides[0], scope.alias, first))
        scalar = (
            sa.select(value).select_from(froms).where(*where).correlate_except(*aliases).scalar_subquery()
        )
        return operator.build(context, scalar, rights)
    having = compare if plan == "grouped_in" else sa.not_(compare)
    grouped = (
        sa.select(*child_keys)
        .select_from(froms)
        .where(*where, *(k.is_not(None) for k in child_keys))
        .group_by(*child_keys)
        .having(having)
        .correlate_except(*aliases)
    )
    if plan == "grouped_in":
        from audiences.query.compiler.build import KeySet

        return KeySet(base_keys, grouped)
    left = base_keys[0] if len(base_keys) == 1 else sa.tuple_(*base_keys)
    return left.not_in(grouped)

"""Rule tree -> SQLAlchemy Core predicate over one schema's rows, with every error and its path.

The builder follows the planner's decisions; it decides nothing about plans itself. Values become
bound parameters (``sa.literal``), identifiers come only from catalog tables (``schema_table``).
Compilation never stops at the first error: a faulty node compiles to ``false`` and its error is kept,
so ``rule_validate`` reports every problem at once.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from django.utils.translation import gettext as _

from audiences.query.compiler import personal
from audiences.query.compiler.catalog import (
    Aliases,
    CatalogResolver,
    CatalogSnapshot,
    SchemaInfo,
    key_condition,
    value_type,
)
from audiences.query.expressions.compiler import compile_expression
from audiences.query.expressions.errors import ExpressionError
from audiences.query.expressions.resolvers import UnknownName
from audiences.query.planner import ZERO_DEFAULT, Decision, Planner, PlannerOptions
from audiences.query.rules import tree
from audiences.query.rules.operators import OperatorContext, glob_pattern, operator_get, operators_for
from audiences.query.rules.values import ValueProblem, bound_for, convert, relative_bounds, type_of_value
from audiences.query.types import Type, common_type, is_numeric, sql_type

MAX_LIST = 10_000
MAX_RELATIVE = 36_500


@dataclass
class CompiledRule:
    """The predicate over ``base`` (the dimension's table, aliased), the plan decisions and errors."""

    predicate: Any
    base: sa.Alias
    info: SchemaInfo
    decisions: list[Decision]
    errors: list[tree.RuleError]
    catalog: CatalogSnapshot
    keyset: KeySet | None = None  # the whole rule is one semi-join (a count can drive from its keys)


@dataclass
class Scope:
    info: SchemaInfo
    alias: sa.Alias


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


@dataclass
class KeySet:
    """A semi-join: the scope's rows whose key is among the keys ``select`` returns (uncorrelated).

    Kept apart from plain predicates so an OR group of key sets can become one IN over a UNION.
    """

    left: list
    select: sa.Select

    def clause(self):
        left = self.left[0] if len(self.left) == 1 else sa.tuple_(*self.left)
        return left.in_(self.select)


@dataclass
class Reach:
    """Rows reached through links: ``froms`` filtered by ``where``, keyed ``right`` against ``left``."""

    left: list
    right: list
    froms: object
    where: list
    own: list

    def keyset(self) -> KeySet:
        select = sa.select(*self.right).select_from(self.froms).where(*self.where).correlate_except(*self.own)
        return KeySet(self.left, select)

    def anti(self):
        """NOT EXISTS, correlated: an anti-join, right whatever nulls the keys hold."""
        match = [r == left for r, left in zip(self.right, self.left, strict=True)]
        select = sa.select(sa.literal_column("1")).select_from(self.froms).where(*match, *self.where)
        return sa.not_(select.correlate_except(*self.own).exists())


def as_clause(part):
    return part.clause() if isinstance(part, KeySet) else part


def bound(value, value_type: Type, dialect: str = "postgresql"):
    """A bound parameter. SQLite gets decimals as floats: its driver would pass them as text, and text
    compares greater than any number where no column affinity converts it (aggregates, expressions)."""
    if dialect == "sqlite" and isinstance(value, decimal.Decimal):
        value = float(value)
    return sa.literal(value, sql_type(value_type))


@dataclass
class RuleCompiler:
    catalog: CatalogSnapshot
    dialect: str
    variables: dict[str, Any] = field(default_factory=dict)
    options: PlannerOptions = field(default_factory=PlannerOptions)
    errors: list[tree.RuleError] = field(default_factory=list)
    aliases: Aliases = field(default_factory=Aliases)
    expanding: tuple[str, ...] = ()
    # Whose permissions resolve saved filter and audience references; None resolves shared ones only.
    actor: Any = None
    # An approved version's frozen definitions (``references.PinnedDefinitions``): used instead of rows.
    pinned: Any = None
    # True for a user without the personal-data preview permission: personal fields allow only the
    # conditions of ``personal.py`` (no oracle through exact counts).
    guard_personal: bool = False

    def __post_init__(self):
        self.planner = Planner(self.options)

    # --- errors and helpers -------------------------------------------------------------------------

    def fail(self, path: str, message) -> sa.ColumnElement:
        self.errors.append(tree.RuleError(path, str(message)))
        return sa.false()

    def bad(self, path: str, message) -> None:
        self.fail(path, message)
        return None

    def expression_variables(self) -> dict:
        return {name: (type_of_value(value), value) for name, value in self.variables.items()}

    def expression(self, text: str, scope: Scope, path: str):
        resolver = CatalogResolver(self.catalog, scope.info, scope.alias, self.aliases)
        if self.guard_personal:
            resolver = personal.RecordingResolver(resolver, self.catalog)
        try:
            compiled = compile_expression(
                text, resolver=resolver, dialect=self.dialect, variables=self.expression_variables()
            )
        except (ExpressionError, UnknownName) as error:
            self.fail(path, str(error))
            return None
        if self.guard_personal and resolver.personal:
            self.fail(path, personal.expression_problem(resolver.personal))
            return None
        if compiled.aggregate or compiled.window:
            self.fail(path, _("Aggregate and window functions cannot be used in a condition."))
            return None
        return compiled

    # --- nodes --------------------------------------------------------------------------------------

    def predicate(self, node: tree.RuleNode, scope: Scope):
        """The node as a boolean SQL expression."""
        return as_clause(self.node_sql(node, scope))

    def node_sql(self, node: tree.RuleNode, scope: Scope):
        """The node as a boolean SQL expression or, for semi-joins, a ``KeySet``."""
        if isinstance(node, tree.Group):
            return self.group(node, scope)
        if isinstance(node, tree.Condition):
            return self.condition(node, scope)
        if isinstance(node, tree.Collection):
            return self.collection(node, scope)
        if isinstance(node, tree.Aggregate):
            return self.aggregate(node, scope)
        if isinstance(node, tree.SavedFilterRef):
            return self.saved_filter(node, scope)
        if isinstance(node, tree.AudienceRef):
            return self.audience(node, scope)
        raise TypeError(node)  # pragma: no cover - the parser builds only the nodes above

    def group(self, node: tree.Group, scope: Scope):
        parts = [self.node_sql(child, scope) for child in node.children]
        if node.op == "or" and len(parts) > 1 and all(isinstance(p, KeySet) for p in parts):
            lefts = {tuple(id(c) for c in p.left) for p in parts}
            if len(lefts) == 1 and self.planner.union(node.path):
                return KeySet(parts[0].left, sa.union(*(p.select for p in parts)))
        parts = [as_clause(p) for p in parts]
        if node.op == "and":
            return sa.and_(sa.true(), *parts) if not parts else sa.and_(*parts)
        if node.op == "or":
            return sa.or_(sa.false(), *parts) if not parts else sa.or_(*parts)
        # except: the first child and none of the others; an unknown (null) answer counts as "no".
        first, rest = (parts[0] if parts else sa.true()), parts[1:]
        if not rest:
            return first
        return sa.and_(first, sa.not_(sa.func.coalesce(sa.or_(*rest), sa.false())))

    def condition(self, node: tree.Condition, scope: Scope):
        operator = operator_get(node.operator)
        if operator is None:
            return self.fail(_join(node.path, "operator"), _("Unknown operator “%s”.") % node.operator)
        if node.field is not None:
            return self.field_condition(node, operator, scope)
        from audiences.query.compiler.sargable import age_condition

        rewritten = age_condition(self, node, scope)
        if rewritten is not None:
            return rewritten
        compiled = self.expression(node.left, scope, _join(node.path, "left"))
        if compiled is None:
            return sa.false()
        return self.compare(node, operator, compiled.clause, compiled.type, None, scope)

    def field_condition(self, node, operator, scope: Scope):
        *link_names, name = node.field.split(".")
        try:
            sides = self.catalog.walk(scope.info, link_names)
        except UnknownName as error:
            return self.fail(_join(node.path, "field"), str(error))
        target = self.catalog.info(sides[-1].to_schema.pk) if sides else scope.info
        found = target.fields.get(name)
        if found is None:
            return self.fail(
                _join(node.path, "field"),
                _("Unknown field “%(name)s” on %(schema)s.") % {"name": name, "schema": target.schema.name},
            )
        field_type = value_type(found)
        if not sides:
            return self.compare(node, operator, scope.alias.c[name], field_type, found, scope)
        steps = self.planner.path(node.path, sides)
        negate = operator.key == "is_empty"
        inner_operator = operator_get("is_not_empty") if negate else operator

        def inner(final: Scope):
            return self.compare(node, inner_operator, final.alias.c[name], field_type, found, final)

        reached = self.reach(steps, scope, inner)
        return reached.anti() if negate else reached.keyset()

    def reach(self, steps, scope: Scope, inner) -> Reach:
        """The rows reached along ``steps`` from ``scope``; ``inner(final scope)`` filters the last ones.

        The first step (and every later 1-N step) is a semi-join on the link's keys; N-1 / 1-1 steps
        after it are inner joins inside the same sub-query.
        """
        first = steps[0]
        alias = self.aliases.new(self.catalog.info(first.side.to_schema.pk))
        froms, where, own, previous = alias, [], [alias], alias
        for index, step in enumerate(steps[1:], start=1):
            if step.mode != "join":
                here = Scope(self.catalog.info(step.side.from_schema.pk), previous)
                where.append(self.reach(steps[index:], here, inner).keyset().clause())
                break
            joined = self.aliases.new(self.catalog.info(step.side.to_schema.pk))
            froms = froms.join(joined, key_condition(step.side, previous, joined))
            own.append(joined)
            previous = joined
        else:
            where.append(inner(Scope(self.catalog.info(steps[-1].side.to_schema.pk), previous)))
        left = [scope.alias.c[a.name] for a, _b in first.side.keys]
        right = [alias.c[b.name] for _a, b in first.side.keys]
        return Reach(left, right, froms, where, own)

    def compare(self, node, operator, left, left_type: Type, found, scope: Scope):
        path = node.path
        if self.guard_personal and found is not None and found.is_personal:
            problem = personal.condition_problem(node, operator.key, found.name)
            if problem:
                return self.fail(_join(path, "operator"), problem)
        if not operator.fits(left_type):
            return self.fail(
                _join(path, "operator"),
                _("“%(op)s” does not fit a %(type)s; use one of %(ops)s.")
                % {"op": operator.key, "type": left_type.label, "ops": ", ".join(operators_for(left_type))},
            )
        if node.case_insensitive and not operator.case_option:
            return self.fail(_join(path, "case_insensitive"), _("This operator has no case option."))
        rights = self.rights(node, operator, left_type, found, scope)
        if rights is None:
            return sa.false()
        context = OperatorContext(self.dialect, left_type, node.case_insensitive)
        return operator.build(context, left, rights)

    def rights(self, node, operator, left_type: Type, found, scope: Scope):
        """The bound right-hand side values of a condition, or None after recording an error."""
        path = node.path
        enum_values = list(found.enum_values or []) if found is not None and found.type == "enum" else None
        bits = 32 if found is not None and found.type == "integer" else 64
        given = [k for k in ("value", "values", "expression", "parameter") if _given(node, k)]
        if operator.arity == "none":
            if given:
                return self.bad(path, _("“%s” takes no value.") % operator.key)
            if operator.relative:
                return [
                    bound(bound_for(b, left_type), left_type, self.dialect)
                    for b in relative_bounds(operator.key, None)
                ]
            return []
        if not given:
            return self.bad(path, _("A value is required."))
        if node.expression is not None:
            if operator.arity != "one" or operator.key in ("like", "not_like"):
                return self.bad(_join(path, "expression"), _("This operator needs a value."))
            compiled = self.expression(node.expression, scope, _join(path, "expression"))
            if compiled is None:
                return None
            if common_type(left_type, compiled.type) is None:
                return self.bad(
                    _join(path, "expression"),
                    _("Cannot compare a %(left)s with a %(right)s.")
                    % {"left": left_type.label, "right": compiled.type.label},
                )
            return [compiled.clause]
        key, raw = self.raw_value(node, path)
        if key is None:
            return None
        if operator.arity == "count":
            if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_RELATIVE:
                return self.bad(_join(path, key), _("Expected a whole number of at least 1."))
            return [
                bound(bound_for(b, left_type), left_type, self.dialect)
                for b in relative_bounds(operator.key, raw)
            ]
        if operator.arity == "one":
            if isinstance(raw, list | tuple):
                return self.bad(_join(path, key), _("Expected a single value."))
            items = [raw]
        else:
            if not isinstance(raw, list | tuple):
                return self.bad(_join(path, key), _("Expected a list of values."))
            if operator.arity == "two" and len(raw) != 2:
                return self.bad(_join(path, key), _("Expected two values: the lower and the upper bound."))
            if len(raw) > MAX_LIST:
                return self.bad(_join(path, key), _("At most %(max)s values.") % {"max": MAX_LIST})
            items = list(raw)
        converted = []
        for index, item in enumerate(items):
            where = _join(path, key) if operator.arity == "one" else f"{_join(path, key)}[{index}]"
            if item is None:
                return self.bad(where, _("Empty values are matched with is_empty."))
            try:
                value = _passthrough(item, left_type) or convert(
                    item, left_type, enum_values=enum_values, integer_bits=bits
                )
            except ValueProblem as problem:
                return self.bad(where, str(problem))
            if (
                operator.key in ("like", "not_like")
                and self.dialect == "sqlite"
                and not node.case_insensitive
            ):
                value = glob_pattern(value)
            converted.append(value)
        node_values = converted
        return [
            bound(v, left_type if left_type != Type.ANY else type_of_value(v), self.dialect)
            for v in node_values
        ]

    def raw_value(self, node, path):
        if node.parameter is not None:
            if node.parameter not in self.variables:
                self.fail(_join(path, "parameter"), _("Unknown parameter “%s”.") % node.parameter)
                return None, None
            return "parameter", self.variables[node.parameter]
        if node.values is not None:
            return "values", list(node.values)
        return "value", node.value

    def collection(self, node: tree.Collection, scope: Scope):
        try:
            sides = self.catalog.walk(scope.info, node.link.split("."))
        except UnknownName as error:
            return self.fail(_join(node.path, "link"), str(error))
        steps = self.planner.exists(node.path, sides, node.negated)

        def inner(final: Scope):
            return self.predicate(node.where, final) if node.where is not None else sa.true()

        reached = self.reach(steps, scope, inner)
        return reached.anti() if node.negated else reached.keyset()

    def aggregate(self, node: tree.Aggregate, scope: Scope):
        from audiences.query.compiler.aggregates import aggregate_predicate

        return aggregate_predicate(self, node, scope)

    def saved_filter(self, node: tree.SavedFilterRef, scope: Scope):
        from audiences.query.compiler.references import saved_filter_predicate

        return saved_filter_predicate(self, node, scope)

    def audience(self, node: tree.AudienceRef, scope: Scope):
        from audiences.query.compiler.references import audience_predicate

        return audience_predicate(self, node, scope)


def _given(node, key: str) -> bool:
    if key == "value":
        return node.has_value
    return getattr(node, key, None) is not None


def _passthrough(value, value_type: Type):
    """Parameter values given as Python values already (a campaign's date variable) are kept."""
    import datetime as dt
    import decimal

    if value_type == Type.DATE and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if value_type == Type.DATETIME and isinstance(value, dt.datetime):
        return value
    if value_type == Type.DECIMAL and isinstance(value, decimal.Decimal):
        return value
    return None


def compile_rule(
    *,
    schema,
    rule: tree.RuleNode | None,
    dialect: str,
    variables: dict | None = None,
    catalog: CatalogSnapshot | None = None,
    options: PlannerOptions | None = None,
    actor=None,
    pinned=None,
    guard_personal: bool = False,
) -> CompiledRule:
    """Compile a parsed rule over the rows of ``schema`` (a Schema) for ``dialect``.

    References to saved filters and audiences resolve only to those ``actor`` may view (shared ones
    when no actor is given): a reference is never a way around ``restrict``. With ``pinned`` (a live
    run of an approved version) they expand the frozen definitions instead. ``guard_personal`` limits
    conditions on personal fields (``personal.py``), referenced saved filters included.
    """
    if catalog is None:
        from audiences.query.compiler.catalog_cache import catalog_snapshot

        catalog = catalog_snapshot()
    compiler = RuleCompiler(
        catalog,
        dialect,
        dict(variables or {}),
        options or PlannerOptions(),
        actor=actor,
        pinned=pinned,
        guard_personal=guard_personal,
    )
    info = catalog.info(schema)
    base = compiler.aliases.new(info)
    part = sa.true() if rule is None else compiler.node_sql(rule, Scope(info, base))
    keyset = part if isinstance(part, KeySet) else None
    return CompiledRule(
        as_clause(part), base, info, compiler.planner.decisions, compiler.errors, catalog, keyset
    )


__all__ = ["ZERO_DEFAULT", "CompiledRule", "RuleCompiler", "Scope", "compile_rule", "is_numeric"]

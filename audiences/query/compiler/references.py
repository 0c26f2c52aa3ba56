"""Saved filter references and audience membership inside a rule.

A saved filter is expanded in place with its parameter values (checked against its declared parameters);
a rule-based audience is expanded in place; a static audience is a semi-join on its members table.
Expansion cycles (a filter that reaches itself) are errors, not infinite loops.

A compile may carry ``PinnedDefinitions`` (an approved campaign version's frozen copies): a reference
then expands the pinned rule and parameters instead of the stored row, nested references included,
and a reference the pins do not hold is an error (fail closed). Static audiences are still read from
their members table: membership is read when the statement runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from django.utils.translation import gettext as _

from audiences.query.rules import tree
from audiences.query.rules.values import ValueProblem, convert
from audiences.query.types import Type

PARAMETER_TYPES = {
    t.value: t
    for t in (Type.STRING, Type.INTEGER, Type.DECIMAL, Type.FLOAT, Type.BOOLEAN, Type.DATE, Type.DATETIME)
}


@dataclass(frozen=True)
class PinnedDefinitions:
    """Frozen definitions by id: ``filters[id] = {"schema", "rule", "parameters", "name"}`` and
    ``audiences[id] = {"schema", "kind", "rule", "name"}`` (``schema`` is the dimension's schema id)."""

    filters: dict[int, dict] = field(default_factory=dict)
    audiences: dict[int, dict] = field(default_factory=dict)


def parameter_values(declared: list[dict], given: dict, path: str) -> tuple[dict, list[tree.RuleError]]:
    """Declared parameters with the given values (or their defaults), converted; errors by name."""
    values, errors = {}, []
    known = {p.get("name") for p in declared}
    for name in sorted(set(given) - known):
        errors.append(tree.RuleError(f"{path}.parameters.{name}", _("Unknown parameter.")))
    for parameter in declared:
        name = parameter.get("name")
        value_type = PARAMETER_TYPES.get(parameter.get("type"), Type.STRING)
        raw = given.get(name, parameter.get("default"))
        where = f"{path}.parameters.{name}"
        if raw is None:
            errors.append(tree.RuleError(where, _("A value is required.")))
            continue
        try:
            values[name] = (
                [convert(v, value_type) for v in raw] if isinstance(raw, list) else convert(raw, value_type)
            )
        except ValueProblem as problem:
            errors.append(tree.RuleError(where, str(problem)))
    return values, errors


def _expand(compiler, key: str, rule_data, scope, path: str, variables: dict):
    if key in compiler.expanding:
        return compiler.fail(path, _("This reference leads back to itself."))
    try:
        node = tree.parse_rule(rule_data)
    except tree.RuleSyntaxError as error:
        return compiler.fail(path, _("The referenced rule is invalid: %s") % error)
    saved_variables, saved_expanding, saved_errors = compiler.variables, compiler.expanding, compiler.errors
    compiler.variables, compiler.expanding, compiler.errors = variables, (*saved_expanding, key), []
    try:
        predicate = compiler.predicate(node, scope)
        inner_errors = compiler.errors
    finally:
        compiler.variables, compiler.expanding, compiler.errors = (
            saved_variables,
            saved_expanding,
            saved_errors,
        )
    for error in inner_errors:
        compiler.fail(
            path,
            _("In the referenced rule at %(at)s: %(message)s")
            % {"at": error.path or "(rule)", "message": error.message},
        )
    return predicate


def visible(actor, queryset):
    """The referenced objects ``actor`` may view; without an actor only shared ones (fail closed).

    A reference the actor cannot see gets the same error as an unknown id, so ids reveal nothing.
    """
    from accounts.permissions import restrict
    from audiences.saved.models import Visibility

    if actor is None:
        return queryset.filter(visibility=Visibility.SHARED)
    return restrict(actor, "view", queryset)


def _pinned_filter_predicate(compiler, node: tree.SavedFilterRef, scope):
    pinned = compiler.pinned.filters.get(node.id)
    if pinned is None:
        return compiler.fail(
            f"{node.path}.id" if node.path else "id",
            _("This saved filter is not pinned by the approved version."),
        )
    if pinned["schema"] != scope.info.schema.pk:
        return compiler.fail(node.path, _("This saved filter targets another dimension."))
    values, errors = parameter_values(pinned.get("parameters") or [], node.parameters, node.path)
    for error in errors:
        compiler.fail(error.path, error.message)
    if errors:
        return sa.false()
    variables = {**compiler.variables, **values}
    return _expand(compiler, f"filter:{node.id}", pinned["rule"], scope, node.path, variables)


def saved_filter_predicate(compiler, node: tree.SavedFilterRef, scope):
    from audiences.saved.models import SavedFilter

    if compiler.pinned is not None:
        return _pinned_filter_predicate(compiler, node, scope)
    saved = (
        visible(compiler.actor, SavedFilter.objects.select_related("dimension")).filter(pk=node.id).first()
    )
    if saved is None:
        return compiler.fail(f"{node.path}.id" if node.path else "id", _("Unknown saved filter."))
    if saved.dimension.schema_id != scope.info.schema.pk:
        return compiler.fail(node.path, _("This saved filter targets another dimension."))
    values, errors = parameter_values(saved.parameters or [], node.parameters, node.path)
    for error in errors:
        compiler.fail(error.path, error.message)
    if errors:
        return sa.false()
    variables = {**compiler.variables, **values}
    return _expand(compiler, f"filter:{saved.pk}", saved.rule, scope, node.path, variables)


def audience_predicate(compiler, node: tree.AudienceRef, scope):
    from audiences.saved.models import Audience, AudienceKind
    from audiences.saved.storage import members_table

    audience = (
        visible(compiler.actor, Audience.objects.select_related("dimension")).filter(pk=node.audience).first()
    )
    where = f"{node.path}.audience" if node.path else "audience"
    if compiler.pinned is not None:
        pinned = compiler.pinned.audiences.get(node.audience)
        if pinned is None:
            return compiler.fail(where, _("This audience is not pinned by the approved version."))
        if pinned["kind"] == AudienceKind.RULE:
            if pinned["schema"] != scope.info.schema.pk:
                return compiler.fail(where, _("This audience is a population of another dimension."))
            inner = _expand(compiler, f"audience:{node.audience}", pinned["rule"], scope, node.path, {})
            member = sa.func.coalesce(inner, sa.false())
            return sa.not_(member) if node.negated else member
        # A static audience: its members are read at launch (as the owner may see it now).
        if audience is not None and audience.kind != AudienceKind.STATIC:
            return compiler.fail(where, _("This audience is no longer static; request approval again."))
    if audience is None:
        return compiler.fail(where, _("Unknown audience."))
    if audience.dimension.schema_id != scope.info.schema.pk:
        return compiler.fail(where, _("This audience is a population of another dimension."))
    if audience.kind == AudienceKind.RULE:
        inner = _expand(compiler, f"audience:{audience.pk}", audience.rule, scope, node.path, {})
        member = sa.func.coalesce(inner, sa.false())
    else:
        if audience.computed_at is None:
            return compiler.fail(where, _("This audience has no members yet."))
        keys = scope.info.primary_key
        table = members_table(audience, keys)
        left = [scope.alias.c[f.name] for f in keys]
        right = sa.select(*(table.c[f.name] for f in keys))
        member = (left[0] if len(left) == 1 else sa.tuple_(*left)).in_(right)
    return sa.not_(member) if node.negated else member

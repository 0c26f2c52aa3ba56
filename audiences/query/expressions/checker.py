"""The resolving and type-checking pass: names get their meaning, every node gets a type.

It decides everything the builder must not: which fields and variables exist, whether operands fit
(with implicit numeric and date widening), whether a function gets the arguments it declares, and
where aggregates and window functions may appear. Its results are kept in an ``Analysis`` beside the
tree. Every error carries the position of the node at fault.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from audiences.query.expressions import ast
from audiences.query.expressions.errors import ExpressionError
from audiences.query.expressions.resolvers import ResolvedColumn, Resolver, UnknownName, Variables
from audiences.query.functions import registry
from audiences.query.types import CLAUSE_TYPES, Type, common_type, is_numeric

ARITHMETIC = {"+", "-", "*", "/", "%"}
COMPARISON = {"=", "!=", "<", "<=", ">", ">="}
LOGICAL = {"and", "or"}


@dataclass
class Analysis:
    """What the checker learned, keyed by node identity."""

    types: dict[int, Type] = field(default_factory=dict)
    columns: dict[int, ResolvedColumn] = field(default_factory=dict)
    specs: dict[int, registry.FunctionSpec] = field(default_factory=dict)
    aggregate: bool = False
    window: bool = False

    def type_of(self, node: ast.Node) -> Type:
        return self.types[id(node)]


class Checker:
    def __init__(self, resolver: Resolver, variables: Variables | None = None):
        self.resolver = resolver
        self.variables = dict(variables or {})
        self.analysis = Analysis()

    def run(self, node: ast.Node) -> Analysis:
        result = self.check(node, in_aggregate=False)
        if self.analysis.aggregate:
            bare = next(self._fields_outside_aggregates(node), None)
            if bare is not None:
                raise ExpressionError(
                    _("a field cannot be used outside an aggregate when the expression aggregates rows"),
                    bare.position,
                    (_("an aggregate such as Sum(@x)"),),
                )
        if result in CLAUSE_TYPES:
            raise ExpressionError(
                _("%(what)s can only be used as an argument of another function") % {"what": result.label},
                node.position,
            )
        return self.analysis

    def _fields_outside_aggregates(self, node: ast.Node):
        spec = self.analysis.specs.get(id(node))
        if spec is not None and spec.aggregate:
            return
        if isinstance(node, ast.FieldRef):
            yield node
        for child in _children(node):
            yield from self._fields_outside_aggregates(child)

    def check(self, node: ast.Node, *, in_aggregate: bool) -> Type:
        if isinstance(node, ast.Literal):
            result = node.type
        elif isinstance(node, ast.FieldRef):
            result = self._field(node)
        elif isinstance(node, ast.Variable):
            result = self._variable(node)
        elif isinstance(node, ast.Unary):
            result = self._unary(node, in_aggregate)
        elif isinstance(node, ast.Binary):
            result = self._binary(node, in_aggregate)
        elif isinstance(node, ast.Call):
            result = self._call(node, in_aggregate)
        else:  # pragma: no cover - the parser builds only the nodes above
            raise TypeError(node)
        self.analysis.types[id(node)] = result
        return result

    def _field(self, node: ast.FieldRef) -> Type:
        try:
            resolved = self.resolver.field(node.path, node.name)
        except UnknownName as error:
            raise ExpressionError(str(error), node.position, (_("a known field"),)) from None
        self.analysis.columns[id(node)] = resolved
        return resolved.type

    def _variable(self, node: ast.Variable) -> Type:
        if node.name not in self.variables:
            raise ExpressionError(
                _("unknown variable $(vars/@%(name)s)") % {"name": node.name},
                node.position,
                tuple(f"$(vars/@{name})" for name in sorted(self.variables)),
            )
        return self.variables[node.name][0]

    def _expect(self, node: ast.Node, ok: bool, expected: str, got: Type) -> None:
        if not ok:
            raise ExpressionError(
                _("this is of type %(got)s") % {"got": got.label}, node.position, (expected,)
            )

    def _unary(self, node: ast.Unary, in_aggregate: bool) -> Type:
        operand = self.check(node.operand, in_aggregate=in_aggregate)
        if node.op == "not":
            self._expect(
                node.operand, operand in (Type.BOOLEAN, Type.NULL, Type.ANY), _("a boolean"), operand
            )
            return Type.BOOLEAN
        self._expect(
            node.operand, is_numeric(operand) or operand in (Type.NULL, Type.ANY), _("a number"), operand
        )
        return Type.INTEGER if operand == Type.NULL else operand

    def _binary(self, node: ast.Binary, in_aggregate: bool) -> Type:
        left = self.check(node.left, in_aggregate=in_aggregate)
        right = self.check(node.right, in_aggregate=in_aggregate)
        for side, side_type in ((node.left, left), (node.right, right)):
            if side_type in CLAUSE_TYPES:
                raise ExpressionError(
                    _("%(what)s can only be used as an argument of another function")
                    % {"what": side_type.label},
                    side.position,
                )
        if node.op in LOGICAL:
            for side, side_type in ((node.left, left), (node.right, right)):
                self._expect(
                    side, side_type in (Type.BOOLEAN, Type.NULL, Type.ANY), _("a boolean"), side_type
                )
            return Type.BOOLEAN
        shared = common_type(left, right)
        if node.op in COMPARISON:
            if node.op not in ("=", "!=") and Type.NULL in (left, right):
                raise ExpressionError(
                    _("null can only be compared with = or != (meaning is empty / is not empty)"),
                    node.position,
                )
            if shared is None:
                raise ExpressionError(
                    _("cannot compare %(left)s with %(right)s") % {"left": left.label, "right": right.label},
                    node.position,
                    (_("two values of the same kind"),),
                )
            return Type.BOOLEAN
        if node.op == "+" and shared == Type.STRING:
            return Type.STRING
        if node.op == "+" and Type.STRING in (left, right):
            other, other_type = (node.right, right) if left == Type.STRING else (node.left, left)
            self._expect(other, False, _("a string"), other_type)
        for side, side_type in ((node.left, left), (node.right, right)):
            ok = is_numeric(side_type) or side_type in (Type.NULL, Type.ANY)
            expected = _("a number") if node.op != "+" else _("a number or a string")
            self._expect(side, ok, expected, side_type)
        if shared in (Type.NULL, Type.ANY):
            shared = Type.INTEGER if shared == Type.NULL else Type.ANY
        if node.op == "/" and shared == Type.INTEGER:
            return Type.FLOAT
        return shared

    def _call(self, node: ast.Call, in_aggregate: bool) -> Type:
        spec = registry.lookup(node.name)
        if spec is None:
            reason = registry.LEFT_OUT.get(
                next((n for n in registry.LEFT_OUT if n.lower() == node.name.lower()), "")
            )
            if reason:
                message = _("%(name)s is not available: %(reason)s") % {
                    "name": node.name,
                    "reason": reason[1],
                }
                raise ExpressionError(message, node.position)
            names = [spec.name for spec in registry.REGISTRY.values()]
            close = tuple(difflib.get_close_matches(node.name, names, n=3, cutoff=0.6))
            raise ExpressionError(_("unknown function %(name)s") % {"name": node.name}, node.position, close)
        self.analysis.specs[id(node)] = spec
        count = len(node.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            raise ExpressionError(
                _("%(name)s takes %(count)s arguments, not %(given)s")
                % {"name": spec.name, "count": _arity(spec), "given": count},
                node.position,
                (spec.signature(),),
            )
        if (spec.aggregate or spec.window) and in_aggregate:
            raise ExpressionError(
                _("%(name)s cannot be used inside an aggregate") % {"name": spec.name}, node.position
            )
        arg_types = []
        for index, arg_node in enumerate(node.args):
            if spec.over and index == 0:
                arg_type = self._over_argument(arg_node)
            else:
                arg_type = self.check(arg_node, in_aggregate=in_aggregate or spec.aggregate)
            arg = spec.arg_for(index)
            if not arg.types.accepts(arg_type):
                raise ExpressionError(
                    _("argument %(index)s of %(name)s is of type %(got)s")
                    % {"index": index + 1, "name": spec.name, "got": arg_type.label},
                    arg_node.position,
                    (_("%(types)s (%(arg)s)") % {"types": arg.types.name, "arg": arg.name},),
                )
            arg_types.append(arg_type)
        typing = registry.CallTyping(tuple(arg_types), node.args, self.analysis.type_of)
        try:
            result = spec.result_type(typing)
        except registry.ArgumentMismatch as error:
            at = node.args[error.index].position if error.index is not None else node.position
            raise ExpressionError(error.message, at, (spec.signature(),)) from None
        self.analysis.aggregate |= spec.aggregate and not in_aggregate
        self.analysis.window |= spec.window
        return result

    def _over_argument(self, arg_node: ast.Node) -> Type:
        inner = registry.lookup(arg_node.name) if isinstance(arg_node, ast.Call) else None
        if inner is None or not inner.aggregate:
            raise ExpressionError(
                _("this is not an aggregate"), arg_node.position, (_("an aggregate such as Sum(@x)"),)
            )
        saved = self.analysis.aggregate
        result = self.check(arg_node, in_aggregate=False)
        self.analysis.aggregate = saved
        return result


def _children(node: ast.Node) -> tuple[ast.Node, ...]:
    if isinstance(node, ast.Unary):
        return (node.operand,)
    if isinstance(node, ast.Binary):
        return (node.left, node.right)
    if isinstance(node, ast.Call):
        return node.args
    return ()


def _arity(spec: registry.FunctionSpec) -> str:
    if spec.max_args is None:
        return _("at least %(min)s") % {"min": spec.min_args}
    if spec.min_args == spec.max_args:
        return str(spec.min_args)
    return _("%(min)s to %(max)s") % {"min": spec.min_args, "max": spec.max_args}

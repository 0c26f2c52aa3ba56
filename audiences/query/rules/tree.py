"""Rule JSON -> typed rule tree, with every structural error and the path of the faulty node.

This pass checks only the *shape* of a rule (node types, keys, value kinds). What a name means (fields,
links, types, operators that fit a type) is decided later against the catalog by the compiler, which
reports its errors with the same paths. Paths look like ``children[2].where.value``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

MAX_DEPTH = 32
MAX_NODES = 2000
GROUP_OPS = ("and", "or", "except")
AGGREGATE_FUNCTIONS = ("count", "count_distinct", "sum", "avg", "min", "max")
SCALAR_KINDS = (str, int, float, bool)


@dataclass(frozen=True)
class RuleError:
    """One problem in a rule: where (``children[0].field``) and what."""

    path: str
    message: str

    def as_dict(self) -> dict:
        return {"path": self.path, "message": self.message}


class RuleSyntaxError(ValueError):
    def __init__(self, errors: list[RuleError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.path or '(rule)'}: {e.message}" for e in errors))


@dataclass(frozen=True, eq=False)
class RuleNode:
    path: str = field(kw_only=True)


@dataclass(frozen=True, eq=False)
class Group(RuleNode):
    op: str
    children: tuple[RuleNode, ...]


@dataclass(frozen=True, eq=False)
class Condition(RuleNode):
    """``field`` (a dotted path through links) or ``left`` (an expression) compared by ``operator``.

    The right side is at most one of ``value``, ``values``, ``expression`` or ``parameter``.
    """

    operator: str
    field: str | None = None
    left: str | None = None
    value: Any = None
    values: tuple[Any, ...] | None = None
    expression: str | None = None
    parameter: str | None = None
    case_insensitive: bool = False
    has_value: bool = False


@dataclass(frozen=True, eq=False)
class Collection(RuleNode):
    negated: bool
    link: str
    where: RuleNode | None


@dataclass(frozen=True, eq=False)
class Aggregate(RuleNode):
    link: str
    function: str
    field: str | None
    where: RuleNode | None
    operator: str
    value: Any = None
    values: tuple[Any, ...] | None = None
    parameter: str | None = None
    has_value: bool = False
    expression: None = None  # aggregates compare with values only
    case_insensitive: bool = False


@dataclass(frozen=True, eq=False)
class SavedFilterRef(RuleNode):
    id: int
    parameters: dict[str, Any]


@dataclass(frozen=True, eq=False)
class AudienceRef(RuleNode):
    negated: bool
    audience: int


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Parser:
    def __init__(self):
        self.errors: list[RuleError] = []
        self.count = 0

    def error(self, path: str, message: str) -> None:
        self.errors.append(RuleError(path, str(message)))

    def node(self, data: Any, path: str, depth: int) -> RuleNode | None:
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self.error(path, _("A rule has at most %(max)s nodes.") % {"max": MAX_NODES})
            return None
        if depth > MAX_DEPTH:
            self.error(path, _("The rule is nested more than %(max)s levels deep.") % {"max": MAX_DEPTH})
            return None
        if not isinstance(data, dict):
            self.error(path, _("A rule node must be an object."))
            return None
        kind = data.get("type")
        handler = {
            "group": self.group,
            "condition": self.condition,
            "exists": self.collection,
            "not_exists": self.collection,
            "aggregate": self.aggregate,
            "saved_filter": self.saved_filter,
            "in_audience": self.audience,
            "not_in_audience": self.audience,
        }.get(kind if isinstance(kind, str) else "")
        if handler is None:
            self.error(
                _join(path, "type"),
                _("Unknown node type %(type)r; expected one of %(types)s.")
                % {
                    "type": kind,
                    "types": "group, condition, exists, not_exists, aggregate, saved_filter, "
                    "in_audience, not_in_audience",
                },
            )
            return None
        return handler(data, path, depth)

    def keys(self, data: dict, path: str, allowed: set[str]) -> None:
        for key in sorted(set(data) - allowed - {"type"}, key=str):
            self.error(_join(path, str(key)), _("Unknown key."))

    def text(self, data: dict, key: str, path: str, *, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(_join(path, key), _("This field is required."))
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(_join(path, key), _("Expected a non-empty text."))
            return None
        return value

    def group(self, data, path, depth):
        self.keys(data, path, {"op", "children"})
        op = data.get("op", "and")
        if op not in GROUP_OPS:
            self.error(_join(path, "op"), _("Expected one of and, or, except."))
        children = data.get("children")
        if not isinstance(children, list):
            self.error(_join(path, "children"), _("Expected a list of rule nodes."))
            return None
        if op == "except" and len(children) < 1:
            self.error(_join(path, "children"), _("“except” needs at least one child."))
        parsed = tuple(
            self.node(child, f"{_join(path, 'children')}[{index}]", depth + 1)
            for index, child in enumerate(children)
        )
        return Group(op, tuple(c for c in parsed if c is not None), path=path)

    def right_side(self, data, path, *, allow_expression: bool) -> dict:
        sides = [k for k in ("value", "values", "expression", "parameter") if k in data]
        if len(sides) > 1:
            self.error(path, _("Give only one of value, values, expression or parameter."))
        if "expression" in data and not allow_expression:
            self.error(_join(path, "expression"), _("An aggregate is compared with a value or a parameter."))
        out: dict = {"has_value": "value" in data}
        if "value" in data:
            value = data["value"]
            if value is not None and not isinstance(value, SCALAR_KINDS):
                self.error(_join(path, "value"), _("Expected a single value (text, number or boolean)."))
            else:
                out["value"] = value
        if "values" in data:
            values = data["values"]
            if not isinstance(values, list) or not all(
                v is None or isinstance(v, SCALAR_KINDS) for v in values
            ):
                self.error(_join(path, "values"), _("Expected a list of values."))
            else:
                out["values"] = tuple(values)
        if "expression" in data and allow_expression:
            out["expression"] = self.text(data, "expression", path)
        if "parameter" in data:
            out["parameter"] = self.text(data, "parameter", path)
        return out

    def condition(self, data, path, depth):
        self.keys(
            data,
            path,
            {"field", "left", "operator", "value", "values", "expression", "parameter", "case_insensitive"},
        )
        if ("field" in data) == ("left" in data):
            self.error(path, _("A condition needs either a field or a left expression."))
        field_path = self.text(data, "field", path, required=False)
        left = self.text(data, "left", path, required=False)
        operator = self.text(data, "operator", path)
        case_insensitive = data.get("case_insensitive", False)
        if not isinstance(case_insensitive, bool):
            self.error(_join(path, "case_insensitive"), _("Expected true or false."))
            case_insensitive = False
        right = self.right_side(data, path, allow_expression=True)
        if operator is None:
            return None
        return Condition(operator, field_path, left, case_insensitive=case_insensitive, path=path, **right)

    def where(self, data, path, depth):
        if data.get("where") is None:
            return None
        return self.node(data["where"], _join(path, "where"), depth + 1)

    def collection(self, data, path, depth):
        self.keys(data, path, {"link", "where"})
        link = self.text(data, "link", path)
        where = self.where(data, path, depth)
        if link is None:
            return None
        return Collection(data["type"] == "not_exists", link, where, path=path)

    def aggregate(self, data, path, depth):
        self.keys(
            data, path, {"link", "function", "field", "where", "operator", "value", "values", "parameter"}
        )
        link = self.text(data, "link", path)
        function = data.get("function")
        if function not in AGGREGATE_FUNCTIONS:
            self.error(
                _join(path, "function"),
                _("Expected one of %(names)s.") % {"names": ", ".join(AGGREGATE_FUNCTIONS)},
            )
        field_name = self.text(data, "field", path, required=function not in ("count", None))
        operator = self.text(data, "operator", path)
        right = self.right_side(data, path, allow_expression=False)
        where = self.where(data, path, depth)
        if link is None or operator is None or function not in AGGREGATE_FUNCTIONS:
            return None
        return Aggregate(link, function, field_name, where, operator, path=path, **right)

    def saved_filter(self, data, path, depth):
        self.keys(data, path, {"id", "parameters"})
        ident = data.get("id")
        parameters = data.get("parameters") or {}
        if not isinstance(ident, int) or isinstance(ident, bool):
            self.error(_join(path, "id"), _("Expected the id of a saved filter."))
            return None
        if not isinstance(parameters, dict) or not all(
            v is None or isinstance(v, SCALAR_KINDS) for v in parameters.values()
        ):
            self.error(_join(path, "parameters"), _("Expected an object of parameter values."))
            return None
        return SavedFilterRef(ident, dict(parameters), path=path)

    def audience(self, data, path, depth):
        self.keys(data, path, {"audience"})
        ident = data.get("audience")
        if not isinstance(ident, int) or isinstance(ident, bool):
            self.error(_join(path, "audience"), _("Expected the id of an audience."))
            return None
        return AudienceRef(data["type"] == "not_in_audience", ident, path=path)


def parse_rule(data: Any, *, path: str = "") -> RuleNode:
    """The typed tree of a rule; raises ``RuleSyntaxError`` with every structural error found."""
    parser = _Parser()
    try:
        node = parser.node(data, path, 0)
    except RecursionError:
        raise RuleSyntaxError([RuleError(path, _("The rule is nested too deeply."))]) from None
    if parser.errors:
        raise RuleSyntaxError(parser.errors)
    return node

"""A campaign's declared parameters and the typing of launch variables against them."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PARAMETER_TYPES = ("string", "integer", "number", "boolean", "date")


def parameters_check(parameters) -> list[dict]:
    """Validate declarations: a list of {"name", "type", "required", "default"}."""
    if not isinstance(parameters, list):
        raise ValidationError({"parameters": _("Expected a list.")})
    seen = set()
    for index, item in enumerate(parameters):
        path = f"parameters.{index}"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ValidationError({path: _("Each parameter needs a name.")})
        if set(item) - {"name", "type", "required", "default"}:
            raise ValidationError({path: _("Unknown setting.")})
        if item.get("type", "string") not in PARAMETER_TYPES:
            raise ValidationError({f"{path}.type": _("Choose one of %s.") % ", ".join(PARAMETER_TYPES)})
        if item["name"] in seen:
            raise ValidationError({f"{path}.name": _("Declared twice.")})
        seen.add(item["name"])
    return parameters


def _cast(kind: str, value, path: str):
    ok = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "date": lambda v: isinstance(v, str),
    }[kind]
    if not ok(value):
        raise ValidationError({path: _("Expected a value of type %(type)s.") % {"type": kind}})
    if kind == "date":
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValidationError({path: _("Expected a date as YYYY-MM-DD.")}) from None
    return value


def typed_variables(parameters: list[dict], variables) -> dict:
    """The launch's variables checked against the declarations: unknown names, wrong types and missing
    required values are errors naming the variable; absent optional ones take their default."""
    variables = {} if variables is None else variables
    if not isinstance(variables, dict):
        raise ValidationError({"variables": _("Expected an object.")})
    declared = {p["name"]: p for p in parameters}
    unknown = sorted(set(variables) - set(declared))
    if unknown:
        raise ValidationError({f"variables.{unknown[0]}": _("This campaign declares no such parameter.")})
    values = {}
    for name, spec in declared.items():
        path = f"variables.{name}"
        if name in variables and variables[name] is not None:
            values[name] = _cast(spec.get("type", "string"), variables[name], path)
        elif spec.get("required"):
            raise ValidationError({path: _("This parameter is required.")})
        elif spec.get("default") is not None:
            values[name] = spec["default"]
    return values

"""Parsing an activity's stored JSON into its type's typed ``Config`` dataclass, and back.

One strict parser for every type: unknown keys, wrong types and missing required values are errors
with the path of the faulty value, so the API, the admin and the engine reject the same things.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from django.utils.translation import gettext as _


class ConfigError(ValueError):
    """A configuration problem at ``path`` (dotted, empty for the whole configuration)."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def _join(path: str, part: str | int) -> str:
    return f"{path}.{part}" if path else str(part)


def parse_config(cls: type, raw: Any, path: str = "") -> Any:
    """Build ``cls`` (a dataclass) from ``raw`` (a dict), or raise ``ConfigError``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(path, _("Expected an object."))
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(_join(path, unknown[0]), _("Unknown setting."))
    values = {}
    for name, field in fields.items():
        if name in raw:
            values[name] = _parse_value(hints[name], raw[name], _join(path, name))
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(_join(path, name), _("This setting is required."))
    try:
        return cls(**values)
    except ConfigError as exc:
        if path and not exc.path.startswith(path):
            raise ConfigError(_join(path, exc.path), exc.message) from exc
        raise


def _parse_value(hint: Any, value: Any, path: str) -> Any:
    origin = get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _parse_value(option, value, path)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0] if errors else ConfigError(path, _("Invalid value."))
    if origin is Literal:
        if value not in get_args(hint):
            choices = ", ".join(repr(v) for v in get_args(hint))
            raise ConfigError(path, _("Expected one of %(choices)s.") % {"choices": choices})
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(path, _("Expected a list."))
        (item,) = get_args(hint) or (Any,)
        return [_parse_value(item, v, _join(path, i)) for i, v in enumerate(value)]
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(path, _("Expected an object."))
        return value
    if dataclasses.is_dataclass(hint):
        return parse_config(hint, value, path)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, _("Expected true or false."))
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(path, _("Expected an integer."))
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(path, _("Expected a number."))
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(path, _("Expected text."))
        return value
    raise ConfigError(path, _("Unsupported setting type."))  # pragma: no cover - a programming error


def dump_config(config: Any) -> dict:
    """The JSON form of a parsed configuration (the inverse of ``parse_config``)."""
    return dataclasses.asdict(config)


__all__ = ["ConfigError", "dump_config", "parse_config", "typing"]

"""The function library's registry: every function is declared once, with everything about it.

A ``FunctionSpec`` carries what the type checker needs (argument and result types), what the builder
needs (how to write the SQL for each database) and what people need (family, description, example).
The docs page and, later, the rule editor's palette are generated from here, so they cannot drift.
Functions of the reference product that cannot mean anything here are recorded in ``LEFT_OUT`` with
the reason, so the docs say so instead of staying silent.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from audiences.query.types import Type, TypeSet


class Family(enum.StrEnum):
    AGGREGATE = "aggregate"
    DATE = "date"
    GEO = "geo"
    NUMERIC = "numeric"
    STRING = "string"
    WINDOW = "window"
    OTHER = "other"


FAMILY_LABELS = {
    Family.AGGREGATE: _("Aggregate"),
    Family.DATE: _("Date"),
    Family.GEO: _("Geographic"),
    Family.NUMERIC: _("Numeric"),
    Family.STRING: _("String"),
    Family.WINDOW: _("Window"),
    Family.OTHER: _("Other"),
}


class ArgumentMismatch(Exception):
    """Raised by a spec's ``returns`` when arguments do not fit together; ``index`` is the culprit."""

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass(frozen=True)
class Arg:
    name: str
    types: TypeSet
    optional: bool = False
    variadic: bool = False


@dataclass(frozen=True)
class CallTyping:
    """What a ``returns`` callable sees: the argument types and nodes, and the types of any node."""

    arg_types: tuple[Type, ...]
    arg_nodes: tuple[Any, ...]
    type_of: Callable[[Any], Type]


@dataclass(frozen=True)
class BuildContext:
    """What a SQL builder sees besides the compiled arguments."""

    dialect: str  # "sqlite" or "postgresql"
    arg_types: tuple[Type, ...]
    result_type: Type

    @property
    def postgresql(self) -> bool:
        return self.dialect == "postgresql"


Returns = Type | Callable[[CallTyping], Type]
Builder = Callable[..., Any]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    family: Family
    args: tuple[Arg, ...]
    returns: Returns
    description: Any  # a lazy translation
    example: str
    build: Builder  # build(ctx: BuildContext, *compiled_args) -> SQLAlchemy element
    aggregate: bool = False
    window: bool = False
    over: bool = False  # _Over_: its first argument is an aggregate turned into a window function
    returns_doc: str = ""  # how a computed result type is chosen, for the docs

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def min_args(self) -> int:
        return sum(1 for arg in self.args if not arg.optional and not arg.variadic)

    @property
    def max_args(self) -> int | None:
        return None if any(arg.variadic for arg in self.args) else len(self.args)

    def arg_for(self, index: int) -> Arg:
        if index < len(self.args):
            return self.args[index]
        return self.args[-1]  # only reached for a variadic last argument

    def signature(self) -> str:
        parts = []
        for arg in self.args:
            text = f"{arg.name}: {arg.types.name}"
            if arg.variadic:
                text += ", ..."
            if arg.optional:
                text = f"[{text}]"
            parts.append(text)
        return f"{self.name}({', '.join(parts)})"

    def result_type(self, typing: CallTyping) -> Type:
        return self.returns(typing) if callable(self.returns) else self.returns


REGISTRY: dict[str, FunctionSpec] = {}
LEFT_OUT: dict[str, Any] = {}


def register(spec: FunctionSpec) -> FunctionSpec:
    """Add a function; a second function with the same name (any case) is a programming error."""
    if spec.key in REGISTRY or spec.key in {name.lower() for name in LEFT_OUT}:
        raise ValueError(f"function {spec.name!r} is already registered or left out")
    REGISTRY[spec.key] = spec
    return spec


def function(
    name: str,
    family: Family,
    args: Sequence[Arg],
    returns: Returns,
    description: Any,
    example: str,
    **options: Any,
) -> Callable[[Builder], Builder]:
    """Decorator form of ``register``: the decorated callable builds the SQL."""

    def decorate(build: Builder) -> Builder:
        register(FunctionSpec(name, family, tuple(args), returns, description, example, build, **options))
        return build

    return decorate


def leave_out(name: str, family: Family, reason: Any) -> None:
    """Record a reference-product function that is deliberately not provided, and why."""
    if name.lower() in REGISTRY or name in LEFT_OUT:
        raise ValueError(f"function {name!r} is already registered or left out")
    LEFT_OUT[name] = (family, reason)


def lookup(name: str) -> FunctionSpec | None:
    return REGISTRY.get(name.lower())


@dataclass(frozen=True)
class Same:
    """``returns`` helper: the type of argument ``index`` (null arguments give way to the next ones)."""

    index: int = 0
    fallback: Type = Type.ANY

    def __call__(self, typing: CallTyping) -> Type:
        value = typing.arg_types[self.index] if self.index < len(typing.arg_types) else Type.NULL
        return self.fallback if value in (Type.NULL, Type.ANY) else value

"""The memory budget of one template render: every string and list a render builds is charged, in bytes,
before (or, for results no larger than their inputs, right after) it is built.

The step budget bounds time, not size: ``~``, ``+`` and ``'{0}{0}'.format`` double a string in one step,
so seventeen steps build gigabytes. Here each render (one ``render()`` call) gets
``settings.OC_TEMPLATE_MAX_MEMORY`` bytes; concatenation, ``+``, ``*``, ``str.format`` / ``format_map``,
``%``, ``join``, filters, sandboxed method calls and printing a container charge what they build, and
the render stops with a template error once the total is spent. The total is cumulative (what a render
*creates*, not what it still holds), so it over-counts a template that builds and drops values; a
personalised message is far below it.

The budget lives in a ``ContextVar`` set by ``render()`` for the duration of the render, so the sandbox's
hooks (which do not all see the Jinja context) find it; outside a render nothing is charged.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.utils.translation import gettext as _
from jinja2.exceptions import SecurityError

DEFAULT_MAX_MEMORY = 32 * 1024 * 1024
MAX_WALK = 200_000  # items one size estimate of a container may visit
_POINTER = 8
_STR_HEADER = sys.getsizeof("")

_current: ContextVar[MemoryBudget | None] = ContextVar("oc_template_memory", default=None)


class MemoryBudget:
    __slots__ = ("limit", "spent")

    def __init__(self, limit: int):
        self.limit = limit
        self.spent = 0

    @property
    def remaining(self) -> int:
        return self.limit - self.spent

    def charge(self, size: int) -> None:
        self.spent += size
        if self.spent > self.limit:
            raise SecurityError(
                _("The template builds too much data (more than %(n)d bytes).") % {"n": self.limit}
            )


def max_memory() -> int:
    return getattr(settings, "OC_TEMPLATE_MAX_MEMORY", DEFAULT_MAX_MEMORY)


@contextmanager
def render_budget():
    """A fresh budget for one render."""
    token = _current.set(MemoryBudget(max_memory()))
    try:
        yield
    finally:
        _current.reset(token)


def charge(size: int) -> None:
    budget = _current.get()
    if budget is not None and size > 0:
        budget.charge(size)


def str_bytes(value: str) -> int:
    """The bytes a string's characters take (1, 2 or 4 per character), read in constant time."""
    return max(sys.getsizeof(value) - _STR_HEADER, len(value))


def estimate(value, limit: int | None = None) -> int:
    """About the bytes ``str(value)`` will take: strings by their size, containers by walking them (at
    most ``MAX_WALK`` items, stopping as soon as ``limit`` is passed). Scalars print short."""
    if isinstance(value, str):
        return str_bytes(value)
    if isinstance(value, bytes | bytearray):
        return 4 * len(value)
    if not isinstance(value, list | tuple | dict | set | frozenset):
        return 0
    if limit is None:
        budget = _current.get()
        limit = budget.remaining if budget is not None else max_memory()
    total, visited, stack = 0, 0, [value]
    while stack:
        item = stack.pop()
        visited += 1
        if visited > MAX_WALK:
            raise SecurityError(
                _("A value with more than %(n)d items cannot be printed in a template.") % {"n": MAX_WALK}
            )
        if isinstance(item, str):
            total += str_bytes(item) + 4  # quotes, comma and space
        elif isinstance(item, bytes | bytearray):
            total += 4 * len(item) + 5
        elif isinstance(item, dict):
            total += 2
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2
            stack.extend(item)
        else:
            total += 24
        if total > limit:
            break
    return total


def charge_value(value) -> None:
    """Charge what printing ``value`` (a container, or a string about to be copied) builds."""
    if _current.get() is not None:
        charge(estimate(value))


def charge_result(value) -> None:
    """Charge a value just built: a string by its bytes, a list or tuple by its slots."""
    if _current.get() is None:
        return
    if isinstance(value, str):
        charge(str_bytes(value))
    elif isinstance(value, bytes | bytearray):
        charge(len(value))
    elif isinstance(value, list | tuple | dict | set):
        charge(sys.getsizeof(value))

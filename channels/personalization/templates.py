"""User-written templates rendered in Jinja2's immutable sandbox, over plain dicts only.

``StrictUndefined`` turns a misspelt variable into an error, HTML parts are autoescaped (a value
``<Ann>`` prints as ``&lt;Ann&gt;``), text, SMS and push parts are not. The sandbox refuses attribute
walking such as ``''.__class__.__mro__`` and calling mutating methods; the context holds dicts, lists
and scalars, never model instances. Every template is render-checked when the activity is saved and
again, on the delivery's first real row, before anything is sent.

Bounded work: ``*`` and ``**`` are intercepted (``'x' * 10**10`` would otherwise build a 10 GB string
before anyone could stop it), the padding filters and methods refuse absurd widths, and the rendered
output is cut off with an error past ``settings.OC_TEMPLATE_MAX_OUTPUT`` characters.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.filters import do_center
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE_CHARS = 200_000
MAX_SEQUENCE = 100_000  # longest string or list one ``*`` or padding may build
MAX_EXPONENT = 100
MAX_INT_BITS = 10_000  # integers beyond this are not personalisation, they are a CPU sink
DEFAULT_MAX_OUTPUT = 1_000_000
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _size(value) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _check_width(width) -> None:
    if isinstance(width, int) and width > MAX_SEQUENCE:
        raise SecurityError(_("A width over %(n)d is not allowed in a template.") % {"n": MAX_SEQUENCE})


class BoundedSandboxedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with ``*`` and ``**`` checked before they run: a repeated sequence may
    not exceed ``MAX_SEQUENCE`` items, an exponent ``MAX_EXPONENT``, an integer ``MAX_INT_BITS``."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.filters["center"] = self._bounded_center

    @staticmethod
    def _bounded_center(value, width=80):
        _check_width(width)
        return do_center(value, width)

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(times, int) and size * max(times, 0) > MAX_SEQUENCE:
                    raise SecurityError(
                        _("A repeated value longer than %(n)d is not allowed in a template.")
                        % {"n": MAX_SEQUENCE}
                    )
            if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SecurityError(_("The number is too large for a template."))
        elif operator == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(
                    _("An exponent over %(n)d is not allowed in a template.") % {"n": MAX_EXPONENT}
                )
            if _is_int(left) and _is_int(right) and left.bit_length() * max(right, 0) > MAX_INT_BITS:
                raise SecurityError(_("The number is too large for a template."))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's signature
        if getattr(__obj, "__name__", "") in _PADDING_METHODS and isinstance(
            getattr(__obj, "__self__", None), str
        ):
            for arg in (*args, *kwargs.values()):
                _check_width(arg)
        return super().call(__context, __obj, *args, **kwargs)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_ENVIRONMENTS = {
    True: BoundedSandboxedEnvironment(undefined=StrictUndefined, autoescape=True),
    False: BoundedSandboxedEnvironment(undefined=StrictUndefined, autoescape=False),
}


class TemplateProblem(ValueError):
    """A template that cannot be compiled or rendered; ``message`` says why, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool):
    return _ENVIRONMENTS[html].from_string(source)


def compile_template(source: str, *, html: bool = False):
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateProblem(_("The template is longer than %(n)d characters.") % {"n": MAX_TEMPLATE_CHARS})
    try:
        return _compiled(source, html)
    except TemplateError as exc:
        raise TemplateProblem(_("Template syntax error: %(error)s") % {"error": exc}) from None


def render(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    """Render ``source`` with ``context``; any failure (undefined name, sandbox refusal, a filter on
    the wrong type) becomes a ``TemplateProblem``."""
    if not source:
        return ""
    template = compile_template(source, html=html)
    limit = getattr(settings, "OC_TEMPLATE_MAX_OUTPUT", DEFAULT_MAX_OUTPUT)
    try:
        parts, length = [], 0
        for part in template.generate(context):  # streamed, so a runaway loop stops at the limit
            length += len(part)
            if length > limit:
                raise TemplateProblem(
                    _("The rendered template is longer than %(n)d characters.") % {"n": limit}
                )
            parts.append(part)
        return "".join(parts)
    except TemplateProblem:
        raise
    except TemplateError as exc:  # UndefinedError and SecurityError are TemplateErrors
        raise TemplateProblem(_("The template cannot be rendered: %(error)s") % {"error": exc}) from None
    except Exception as exc:
        raise TemplateProblem(
            _("The template cannot be rendered: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
        ) from None


class AnyValue(dict):
    """A stand-in for namespaces whose keys are only known at run time (enrichment columns) when a
    template is checked at save time: any key gives a sample value."""

    def __missing__(self, key):
        return "sample"

"""User-written templates rendered in Jinja2's immutable sandbox, over plain dicts only.

``StrictUndefined`` turns a misspelt variable into an error, HTML parts are autoescaped (a value
``<Ann>`` prints as ``&lt;Ann&gt;``), text, SMS and push parts are not. The sandbox refuses attribute
walking such as ``''.__class__.__mro__`` and calling mutating methods; the context holds dicts, lists
and scalars, never model instances. Every template is render-checked when the activity is saved and
again, on the delivery's first real row, before anything is sent.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE_CHARS = 200_000

_ENVIRONMENTS = {
    True: ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True),
    False: ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False),
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
    try:
        return template.render(context)
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

"""User-written templates rendered in Jinja2's immutable sandbox, over plain dicts only.

``StrictUndefined`` turns a misspelt variable into an error, HTML parts are autoescaped (a value
``<Ann>`` prints as ``&lt;Ann&gt;``), text, SMS and push parts are not. The sandbox refuses attribute
walking such as ``''.__class__.__mro__`` and calling mutating methods; the context holds dicts, lists
and scalars, never model instances. Every template is render-checked when the activity is saved and
again, on the delivery's first real row, before anything is sent.

Bounded work: ``*`` and ``**`` are intercepted (``'x' * 10**10`` would otherwise build a 10 GB string
before anyone could stop it), the padding filters and methods and the widths and precisions of format
specifications (``str.format``, ``format_map``, ``%`` and the ``format`` filter) refuse absurd values,
``join``, ``replace`` and ``translate`` refuse results longer than the output cap, and the rendered output
is cut off with an error past ``settings.OC_TEMPLATE_MAX_OUTPUT`` characters.

Bounded memory: every string and list a render builds (``~``, ``+``, ``*``, ``%``, ``str.format``,
``join``, filters, method calls, printing a container) is charged to a per-render budget of
``settings.OC_TEMPLATE_MAX_MEMORY`` bytes (``budget``; ``~`` through ``codegen``), so a doubling
``{% set s = s ~ s %}`` stops at the budget instead of at the machine's memory. Brackets may nest at
most ``MAX_NESTING`` deep, and a template too deep for the parser is a template error, not a crash.

Bounded time: ``range`` gives at most ``MAX_RANGE`` numbers, and every render has a budget: each loop
iteration (the items a ``for`` pulls and the bodies it runs, recursive ones included), sandboxed call and
intercepted operator spends one step (a macro call ten), at most ``MAX_RENDER_STEPS`` steps and
``MAX_RENDER_SECONDS`` of the thread's CPU time. The parser adds the counting to every ``for``
(``_parse``), so a loop that prints nothing is stopped as surely as one that does.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache, update_wrapper, wraps
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.filters import do_batch, do_center, do_format, do_indent, do_join, do_replace, do_slice, do_tojson
from jinja2.lexer import (
    TOKEN_LBRACE,
    TOKEN_LBRACKET,
    TOKEN_LPAREN,
    TOKEN_RBRACE,
    TOKEN_RBRACKET,
    TOKEN_RPAREN,
    TokenStream,
)
from jinja2.runtime import Macro, markup_join, str_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from jinja2.utils import generate_lorem_ipsum
from markupsafe import Markup

from channels.personalization import budget
from channels.personalization.codegen import BudgetedCodeGenerator

MAX_TEMPLATE_CHARS = 200_000
MAX_SEQUENCE = 100_000  # longest string or list one ``*`` or padding may build
MAX_EXPONENT = 100
MAX_INT_BITS = 10_000  # integers beyond this are not personalisation, they are a CPU sink
DEFAULT_MAX_OUTPUT = 1_000_000
MAX_RANGE = 10_000  # numbers one ``range()`` may give
MAX_RENDER_STEPS = 100_000  # loop iterations, calls and operators in one render
MACRO_CALL_STEPS = 10  # a macro call costs about ten times a loop step
MAX_RENDER_SECONDS = 1.0  # CPU time of one render
MAX_JSON_INDENT = 100
MAX_NESTING = 50  # brackets ( [ { open at once in one expression
# Filters that turn a container into text (``str()`` of every item): charged by the text they will build.
_PRINTING_FILTERS = frozenset(
    [
        "string",
        "pprint",
        "tojson",
        "e",
        "escape",
        "forceescape",
        "safe",
        "upper",
        "lower",
        "capitalize",
        "title",
        "trim",
        "striptags",
        "wordwrap",
        "truncate",
        "urlencode",
        "urlize",
        "center",
        "indent",
        "format",
        "replace",
        "wordcount",
        "filesizeformat",
        "xmlattr",
    ]
)
_SLOT = 8  # bytes of one list slot
_SPLITTING_METHODS = frozenset({"split", "rsplit", "splitlines"})
_SPLIT_BYTES_PER_CHAR = 28  # a one-character piece (about 50 bytes) and its slot, every other character
_OPENING = {TOKEN_LPAREN, TOKEN_LBRACKET, TOKEN_LBRACE}
_CLOSING = {TOKEN_RPAREN, TOKEN_RBRACKET, TOKEN_RBRACE}
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_STEP_FILTER = "_oc_step"
_COUNTED_FILTER = "_oc_counted"
_DIGITS = re.compile(r"\d+")
_PRINTF = re.compile(r"%(\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)


def _size(value) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _check_width(width, limit: int = MAX_SEQUENCE) -> None:
    if isinstance(width, int) and width > limit:
        raise SecurityError(_("A width over %(n)d is not allowed in a template.") % {"n": limit})


def _check_digits(digits: str) -> None:
    """A width or precision written in a format specification: compared without ``int()`` on a
    runaway digit string (which Python itself refuses past 4,300 digits)."""
    significant = digits.lstrip("0")
    if len(significant) > len(str(MAX_SEQUENCE)) or (significant and int(significant) > MAX_SEQUENCE):
        raise SecurityError(
            _("A format width or precision over %(n)d is not allowed in a template.") % {"n": MAX_SEQUENCE}
        )


def _check_format_spec(spec) -> None:
    """``{:>100000000}``, ``{:.100000000f}``, and ``{0:{1}}`` once its nested field is filled in."""
    for digits in _DIGITS.findall(str(spec)):
        _check_digits(digits)


def _check_printf(template: str, values) -> None:
    """Widths and precisions of a ``%`` format, the ``*`` ones taken from ``values`` in order."""
    positional = values if isinstance(values, tuple) else (values,)
    index = 0
    for match in _PRINTF.finditer(template):
        key, width, precision, conversion = match.groups()
        for part in (width, precision):
            if part == "*":
                if index < len(positional) and _is_int(positional[index]):
                    _check_width(abs(positional[index]))
                index += 1
            elif part:
                _check_digits(part)
        if conversion != "%" and key is None:
            index += 1


def _max_output() -> int:
    return getattr(settings, "OC_TEMPLATE_MAX_OUTPUT", DEFAULT_MAX_OUTPUT)


def _check_result_size(size: int) -> None:
    limit = _max_output()
    if size > limit:
        raise SecurityError(
            _("A value longer than %(n)d characters is not allowed in a template.") % {"n": limit}
        )


def _joined(separator: str, items) -> list:
    """The items of a ``join``, materialised (sources are bounded) and measured before joining."""
    items = list(items)
    size = len(separator) * max(len(items) - 1, 0) + sum(len(i) for i in items if isinstance(i, str))
    _check_result_size(size)
    budget.charge(
        budget.str_bytes(separator) * max(len(items) - 1, 0)
        + sum(budget.estimate(i) for i in items if isinstance(i, str | list | tuple | dict))
    )
    return items


def _charged_filter(name: str, function):
    """A filter that charges what it is given to print (containers) and what it returns."""
    printing = name in _PRINTING_FILTERS

    @wraps(function)
    def wrapper(*args, **kwargs):
        if printing:
            for arg in args:
                if isinstance(arg, list | tuple | dict | set):
                    budget.charge_value(arg)
        elif name == "list":  # a string becomes one slot per character
            for arg in args:
                if isinstance(arg, str):
                    budget.charge(_SLOT * len(arg))
        elif name == "sum":  # ``sum(start=[])`` concatenates lists: the slots of all of them
            for arg in args:
                if isinstance(arg, list | tuple):
                    budget.charge(_SLOT * sum(len(i) for i in arg if isinstance(i, list | tuple)))
        result = function(*args, **kwargs)
        budget.charge_result(result)
        return result

    return wrapper


def _nesting_bounded(stream: TokenStream) -> TokenStream:
    """The lexer's tokens, refused once brackets nest deeper than ``MAX_NESTING`` (the parser recurses
    once per level: 3,000 levels would exhaust Python's stack)."""

    def tokens():
        depth = 0
        for token in stream:
            if token.type in _OPENING:
                depth += 1
                if depth > MAX_NESTING:
                    raise TemplateSyntaxError(
                        _("Brackets are nested more than %(n)d deep.") % {"n": MAX_NESTING},
                        token.lineno,
                        stream.name,
                        stream.filename,
                    )
            elif token.type in _CLOSING:
                depth = max(depth - 1, 0)
            yield token

    return TokenStream(tokens(), stream.name, stream.filename)


def _check_replace(text: str, old: str, new: str, count: int = -1) -> None:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    if len(new) > len(old):
        hits = text.count(old)
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        _check_result_size(len(text) + hits * (len(new) - len(old)))


def _check_translate(text: str, table) -> None:
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        _check_result_size(len(text) * longest)


class _RenderBudget:
    __slots__ = ("deadline", "steps")

    def __init__(self):
        self.steps = 0
        self.deadline = time.thread_time() + MAX_RENDER_SECONDS


def _spend(context, steps: int = 1) -> None:
    """One step of the render's budget, kept on the render's ``Context`` (one per render)."""
    budget = getattr(context, "_oc_budget", None)
    if budget is None:
        budget = _RenderBudget()
        try:
            context._oc_budget = budget
        except AttributeError:  # not a Context: nothing to keep the budget on
            return
    budget.steps += steps
    if budget.steps > MAX_RENDER_STEPS:
        raise SecurityError(
            _("The template does too much work (more than %(n)d loop steps and calls).")
            % {"n": MAX_RENDER_STEPS}
        )
    if time.thread_time() > budget.deadline:
        raise SecurityError(
            _("The template takes too long to render (more than %(n)s s).") % {"n": MAX_RENDER_SECONDS}
        )


@pass_context
def _step(context, value):
    _spend(context)
    return value


@pass_context
def _counted(context, iterable):
    for item in iterable:
        _spend(context)
        yield item


def _bounded_range(*args):
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(
            _("A range of more than %(n)d numbers is not allowed in a template.") % {"n": MAX_RANGE}
        )
    return numbers


class _BoundedFormatterMixin:
    def format_field(self, value, format_spec):
        _check_format_spec(format_spec)
        budget.charge_value(value)  # each field is a copy of (or the text of) its value
        return super().format_field(value, format_spec)


class _BoundedFormatter(_BoundedFormatterMixin, SandboxedFormatter):
    pass


class _BoundedEscapeFormatter(_BoundedFormatterMixin, SandboxedEscapeFormatter):
    pass


class BoundedSandboxedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with ``*`` and ``**`` checked before they run: a repeated sequence may
    not exceed ``MAX_SEQUENCE`` items, an exponent ``MAX_EXPONENT``, an integer ``MAX_INT_BITS``."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = BudgetedCodeGenerator

    def __init__(self, **kwargs):
        kwargs.setdefault("finalize", self._charged_finalize)
        super().__init__(**kwargs)
        self.filters.update(
            {
                "center": self._bounded_center,
                "indent": self._bounded_indent,
                "format": self._bounded_format,
                "batch": self._bounded_batch,
                "slice": self._bounded_slice,
                "tojson": self._bounded_tojson,
                "join": self._bounded_join,
                "replace": self._bounded_replace,
                _STEP_FILTER: _step,
                _COUNTED_FILTER: _counted,
            }
        )
        self.filters = {name: _charged_filter(name, f) for name, f in self.filters.items()}
        self.globals["range"] = _bounded_range
        self.globals["lipsum"] = self._bounded_lipsum

    def _tokenize(self, source, name, filename=None, state=None):
        return _nesting_bounded(super()._tokenize(source, name, filename, state))

    @staticmethod
    def _charged_finalize(value):
        """A printed container (``{{ [s] * 1000 }}``) is charged by the text ``str()`` will build."""
        if isinstance(value, list | tuple | dict | set):
            budget.charge_value(value)
        return value

    @staticmethod
    def oc_concat(parts, markup):
        """``a ~ b``: the parts are charged before they are joined (called by ``BudgetedCodeGenerator``)."""
        budget.charge(
            sum(budget.estimate(p) if isinstance(p, str | list | tuple | dict | set) else 24 for p in parts)
        )
        return markup_join(parts) if markup else str_join(parts)

    def _parse(self, source, name, filename):
        """Every ``for`` counts what it pulls and what its body runs (recursive calls included)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, _COUNTED_FILTER, [], [], None, None, lineno=loop.lineno)
            step = nodes.Filter(nodes.Const(None), _STEP_FILTER, [], [], None, None, lineno=loop.lineno)
            loop.body.insert(0, nodes.ExprStmt(step, lineno=loop.lineno))
        return tree

    @staticmethod
    def _bounded_center(value, width=80):
        _check_width(width)
        return do_center(value, width)

    @staticmethod
    def _bounded_indent(value, width=4, first=False, blank=False):
        _check_width(width)
        return do_indent(value, width, first, blank)

    @staticmethod
    def _bounded_format(value, *args, **kwargs):
        _check_printf(str(value), kwargs or args)
        return do_format(value, *args, **kwargs)

    @staticmethod
    def _bounded_batch(value, linecount, fill_with=None):
        _check_width(linecount)
        return do_batch(value, linecount, fill_with)

    @staticmethod
    def _bounded_slice(value, slices, fill_with=None):
        _check_width(slices)
        return do_slice(value, slices, fill_with)

    @staticmethod
    @pass_context
    def _bounded_tojson(context, value, indent=None):
        _check_width(indent, MAX_JSON_INDENT)
        return do_tojson(context.eval_ctx, value, indent)

    @staticmethod
    @pass_context
    def _bounded_join(context, value, d="", attribute=None):
        if attribute is None:
            value = _joined(str(d), value)
        return do_join(context.eval_ctx, value, d, attribute)

    @staticmethod
    @pass_context
    def _bounded_replace(context, value, old, new, count=None):
        _check_replace(str(value), str(old), str(new), -1 if count is None else count)
        return do_replace(context.eval_ctx, value, old, new, count)

    @staticmethod
    def _bounded_lipsum(n=5, html=True, min=20, max=100):
        _check_width(n * max)
        return generate_lorem_ipsum(n, html, min, max)

    def wrap_str_format(self, value):
        """Jinja's own wrapper of ``str.format`` / ``format_map``, with a formatter that checks each
        field's (resolved) format specification before formatting it."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        f_self = value.__self__
        if isinstance(f_self, Markup):
            formatter = _BoundedEscapeFormatter(self, escape=f_self.escape)
        else:
            formatter = _BoundedFormatter(self)
        str_type, is_format_map = type(f_self), value.__name__ == "format_map"

        def wrapper(*args, **kwargs):
            if is_format_map:
                if kwargs or len(args) != 1:
                    return wrapped(*args, **kwargs)  # Jinja's own TypeError
                args, kwargs = (), args[0]
            result = str_type(formatter.vformat(f_self, args, kwargs))
            budget.charge_result(result)
            return result

        return update_wrapper(wrapper, value)

    def call_binop(self, context, operator, left, right):
        _spend(context)
        if operator == "+":
            if isinstance(left, str) and isinstance(right, str):
                budget.charge(budget.str_bytes(left) + budget.str_bytes(right))
            elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
                budget.charge(8 * (len(left) + len(right)))
        elif operator == "%":
            if isinstance(left, str):
                _check_printf(left, right)
                budget.charge(budget.str_bytes(left) + budget.estimate(right))
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(times, int) and size * max(times, 0) > MAX_SEQUENCE:
                    raise SecurityError(
                        _("A repeated value longer than %(n)d is not allowed in a template.")
                        % {"n": MAX_SEQUENCE}
                    )
                if size is not None and isinstance(times, int):
                    unit = budget.str_bytes(seq) if isinstance(seq, str) else 8 * size
                    budget.charge(unit * max(times, 0))
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
        _spend(__context, MACRO_CALL_STEPS if isinstance(__obj, Macro) else 1)
        method, owner = getattr(__obj, "__name__", ""), getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            if method in _PADDING_METHODS:
                for arg in (*args, *kwargs.values()):
                    _check_width(arg)
            elif method == "join" and len(args) == 1 and not kwargs:
                args = (_joined(owner, args[0]),)
            elif method == "replace":
                _check_replace(owner, *args[:3], **kwargs)
            elif method == "translate" and len(args) == 1:
                _check_translate(owner, args[0])
            elif method in _SPLITTING_METHODS:  # at worst one small string per two characters
                budget.charge(len(owner) * _SPLIT_BYTES_PER_CHAR)
        result = super().call(__context, __obj, *args, **kwargs)
        budget.charge_result(result)
        return result


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
    except (RecursionError, SyntaxError, MemoryError):  # nesting no parser or compiler can follow
        raise TemplateProblem(_("The template is nested too deeply.")) from None


def render(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    """Render ``source`` with ``context``; any failure (undefined name, sandbox refusal, a filter on
    the wrong type) becomes a ``TemplateProblem``."""
    if not source:
        return ""
    template = compile_template(source, html=html)
    limit = _max_output()
    try:
        with budget.render_budget():
            return _render(template, context, limit)
    except TemplateProblem:
        raise
    except TemplateError as exc:  # UndefinedError and SecurityError are TemplateErrors
        raise TemplateProblem(_("The template cannot be rendered: %(error)s") % {"error": exc}) from None
    except Exception as exc:
        raise TemplateProblem(
            _("The template cannot be rendered: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
        ) from None


def _render(template, context: dict[str, Any], limit: int) -> str:
    parts, length = [], 0
    for part in template.generate(context):  # streamed, so a runaway loop stops at the limit
        length += len(part)
        if length > limit:
            raise TemplateProblem(_("The rendered template is longer than %(n)d characters.") % {"n": limit})
        parts.append(part)
    return "".join(parts)


class AnyValue(dict):
    """A stand-in for namespaces whose keys are only known at run time (enrichment columns) when a
    template is checked at save time: any key gives a sample value."""

    def __missing__(self, key):
        return "sample"

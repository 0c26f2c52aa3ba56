"""A bounded JSON parser: every JSON body the platform reads goes through ``parse_json``.

Python's ``json`` recurses once per nesting level, so a body of a few thousand ``[`` raised
``RecursionError`` (a 500); a ``\\u0000`` or a lone surrogate (``\\ud800``) decoded fine and then broke
PostgreSQL (NUL in text) or the UTF-8 encoder deep inside a query. Here, before anything else sees
the data:

- a body longer than ``OC_MAX_REQUEST_BYTES`` is a 413 ``too_large``;
- nesting deeper than ``MAX_DEPTH`` is a 400 naming the top-level key it is under;
- a NUL character or a lone surrogate in any key or string is a 400 naming its JSON path
  (``rule.children.0.value``).

``BoundedJSONParser`` is the DRF default JSON parser (settings); views outside DRF call
``parse_json`` and turn ``JSONInputError`` into the one error shape.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

MAX_DEPTH = 128

# Strings (with an optional ":" that makes them keys) and the brackets outside them.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?|[\[\]{}]', re.DOTALL)
# Escapes that may decode to a NUL or a surrogate; without one, no string can hold either.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


class JSONInputError(ValueError):
    """A JSON body the platform refuses; ``field`` is the dotted path (or None), ``code`` a stable key."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message, self.field, self.code = message, field, code


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


def max_request_bytes() -> int:
    return int(getattr(settings, "OC_MAX_REQUEST_BYTES", None) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def too_large_detail() -> str:
    return _("The request body is larger than %(max)s bytes.") % {"max": max_request_bytes()}


def _check_depth(text: str, max_depth: int) -> None:
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth, top_key = 0, None
    for match in _TOKENS.finditer(text):
        part = match.group(0)
        if part[0] == '"':
            if depth == 1 and match.group(1):
                top_key = part[: part.rfind('"') + 1]
            continue
        if part in "[{":
            depth += 1
            if depth > max_depth:
                field = None
                if top_key is not None:
                    try:
                        field = json.loads(top_key)
                    except ValueError:
                        field = None
                raise JSONInputError(
                    _("Nested more than %(max)s levels deep.") % {"max": max_depth},
                    field=field,
                    code="too_deep",
                )
        else:
            depth -= 1


def _check_characters(data) -> None:
    """Walk the parsed value without recursion; the first bad string names its path."""
    stack = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if _BAD_CHARACTER.search(key):
                    raise _bad_character(path or None, key)
                stack.append((item, child))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{i}" if path else str(i)) for i, item in enumerate(value))
        elif isinstance(value, str) and _BAD_CHARACTER.search(value):
            raise _bad_character(path or None, value)


def _bad_character(field: str | None, text: str) -> JSONInputError:
    bad = _BAD_CHARACTER.search(text).group(0)
    if bad == "\x00":
        message = _("Text may not contain a NUL character (\\u0000).")
    else:
        message = _("Text may not contain a lone surrogate (\\u%(code)04x).") % {"code": ord(bad)}
    # A key with a bad character cannot be shown as a path: name its parent.
    return JSONInputError(str(message), field=field, code="invalid_character")


def parse_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH):
    """The value of a JSON document, or ``JSONInputError``; NaN and Infinity are refused too."""
    if isinstance(raw, bytes | bytearray):
        if len(raw) > max_request_bytes():
            raise JSONInputError(too_large_detail(), code="too_large")
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise JSONInputError(_("The body is not valid UTF-8."), code="parse_error") from None
    else:
        text = raw
    _check_depth(text, max_depth)
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:  # pragma: no cover - the depth check runs first
        raise JSONInputError(_("Nested too deep."), code="too_deep") from None
    except ValueError as exc:
        raise JSONInputError(_("JSON parse error - %(error)s") % {"error": exc}, code="parse_error") from None
    if _SUSPECT_ESCAPE.search(text):
        _check_characters(data)
    return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def as_api_exception(error: JSONInputError) -> exceptions.APIException:
    if error.code == "too_large":
        return RequestTooLarge(error.message)
    if error.code == "parse_error":
        return exceptions.ParseError(error.message)
    return exceptions.ValidationError({error.field or "non_field_errors": [error.message]}, code=error.code)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the limits above (installed as the default in settings)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_request_bytes()
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            if length and int(length) > limit:
                raise RequestTooLarge(too_large_detail())
        except ValueError:
            pass
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(too_large_detail())
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            message = _("The body is not valid %(encoding)s.") % {"encoding": encoding}
            raise exceptions.ParseError(message) from None
        try:
            return parse_json(text)
        except JSONInputError as error:
            raise as_api_exception(error) from None

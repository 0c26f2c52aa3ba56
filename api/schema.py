"""The OpenAPI document states every answer an operation can give, errors included.

drf-spectacular documents only the success response, so a client (or a schemathesis run) reading the
document meets 400, 401, 403 and 404 answers it was never told about. ``AutoSchema`` adds the error
responses that apply to each operation, all in the one error shape of ``api/errors.py``:

- 400 everywhere: bad input, an unknown query parameter (even on a retrieve), a rule a service refuses;
- 401 and 403 wherever a user must be signed in (the token endpoint is the exception);
- 404 wherever the path names an object;
- 409 on writes (stale writes, a state that changed meanwhile), 413 on operations that take a body;
- 429 on throttled operations.

An operation that declares one of these codes itself keeps its own description; a declared error
code without a body gets the error shape. It also documents what DRF's defaults leave out or get
wrong: read-only nullable or blank model fields (``published_by`` null, ``source`` ""), the NUL-free
pattern of strings the API refuses NUL in (bodies and query strings), id filters as 64-bit integers.
``postprocess_schema_enums`` keeps spectacular from merging different choice sets of one property.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

from django.core.exceptions import FieldDoesNotExist
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from django_filters import BaseInFilter
from drf_spectacular import hooks, openapi
from rest_framework import permissions, serializers

from api.filtering import INTEGER_MAX, INTEGER_MIN, is_integer_filter

ERROR_DESCRIPTIONS = {
    "400": _("Invalid input: `errors` names each field (dotted path) and what is wrong with it."),
    "401": _("Not signed in: send `Authorization: Token …` or a session cookie."),
    "403": _("Signed in, but your profiles do not allow this."),
    "404": _("No such object, or not one you may see."),
    "409": _("The object changed meanwhile or is not in a state that allows this."),
    "413": _("The request body is larger than the server accepts."),
    "429": _("Too many requests: wait for the `Retry-After` seconds."),
    "503": _("The server could not answer in time; try again or narrow the request."),
}
BODY_METHODS = {"POST", "PUT", "PATCH"}
WRITE_METHODS = BODY_METHODS | {"DELETE"}


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text=_("Dotted path; null for the whole input."))
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The one error shape (see ``api/errors.py``)."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = ErrorItemSerializer(many=True)

    class Meta:
        ref_name = "Error"


# Strings the API refuses: a NUL character (every CharField refuses it, and PostgreSQL cannot store it).
NO_NUL_PATTERN = "^[^\\x00]*$"


def _model_source(field) -> tuple[object | None, bool]:
    """The model field a serializer field reads, and whether any step of the way may be null."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or field.source == "*":
        return None, False
    model_field, nullable = None, False
    for attr in field.source_attrs:
        if model is None:
            return None, False
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None, False
        nullable = nullable or bool(getattr(model_field, "null", False))
        model = model_field.related_model if model_field.is_relation else None
    return model_field, nullable


class AutoSchema(openapi.AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # DRF drops allow_null/allow_blank from read-only model fields, so the document would say a
        # nullable ``published_by`` is never null and a blank ``source`` is never "": put them back.
        if field.read_only and isinstance(field.parent, serializers.ModelSerializer):
            model_field, nullable = _model_source(field)
            if nullable:
                field.allow_null = True
            if isinstance(field, serializers.ChoiceField) and getattr(model_field, "blank", False):
                field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        slug = isinstance(field, serializers.SlugRelatedField) and not field.help_text
        if slug and isinstance(schema, dict):
            schema.pop("description", None)  # the slug's own help ("Required. 150 characters…") misleads
        if (
            direction == "request"
            and isinstance(schema, dict)
            and schema.get("type") == "string"
            and "pattern" not in schema
            and "enum" not in schema
            and "format" not in schema
            and any(isinstance(v, ProhibitNullCharactersValidator) for v in getattr(field, "validators", ()))
        ):
            schema["pattern"] = NO_NUL_PATTERN
        return schema

    def _error_codes(self) -> list[str]:
        codes = ["400"]
        if not self._allows_anonymous():
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in WRITE_METHODS and not self._allows_anonymous():
            codes.append("409")
        if self.method in BODY_METHODS:
            codes.append("413")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _allows_anonymous(self) -> bool:
        return all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def _get_filter_parameters(self):
        # django-filter's NumberFilter is documented as any number; the ids it filters are 64-bit
        # integers, and StrictFilterBackend refuses anything else (api/filtering.py).
        parameters = super()._get_filter_parameters()
        for parameter in parameters:  # form fields refuse NUL in query strings too
            schema = parameter.get("schema", {})
            if schema.get("type") == "array":
                schema = schema.get("items", {})
            if schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema):
                schema["pattern"] = NO_NUL_PATTERN
        filterset_class = getattr(self.view, "filterset_class", None)
        if filterset_class is None:
            return parameters
        for parameter in parameters:
            filter_ = filterset_class.base_filters.get(parameter.get("name"))
            if (
                filter_ is not None
                and not isinstance(filter_, BaseInFilter)
                and is_integer_filter(filterset_class, filter_)
            ):
                parameter["schema"] = {
                    "type": "integer",
                    "format": "int64",
                    "minimum": INTEGER_MIN,
                    "maximum": INTEGER_MAX,
                }
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, self._error_response(code))
        for code, response in responses.items():
            if code in ERROR_DESCRIPTIONS and "content" not in response:
                error = self._error_response(code)
                response["content"] = error["content"]
                response["description"] = response.get("description") or error["description"]
        return responses

    def _error_response(self, code: str) -> dict:
        response = self._get_response_for_code(ErrorSerializer, code, direction="response")
        response["description"] = str(ERROR_DESCRIPTIONS.get(code, ""))
        return response


def _property_containers(node, component: str):
    if isinstance(node, list):
        for item in node:
            yield from _property_containers(item, component)
    elif isinstance(node, dict):
        if node.get("properties"):
            yield component, node["properties"]
        for key in ("oneOf", "allOf", "anyOf"):
            yield from _property_containers(node.get(key, []), component)


def postprocess_schema_enums(result, generator, **kwargs):
    """drf-spectacular's enum hook, except for a property that has different choice sets in the
    branches of one component (the ``type`` of each rule node): the hook names them all alike and
    keeps the first (``type`` of every rule node became ``["group"]``). Those stay inline."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for name, component in result.get("components", {}).get("schemas", {}).items():
        name = re.sub("^Patched(.+)", r"\1", re.sub("(.+)Request$", r"\1", name))
        for component_name, properties in _property_containers(component, name):
            for prop, schema in properties.items():
                schema = schema.get("items") if schema.get("type") == "array" else schema
                if isinstance(schema, dict) and "enum" in schema:
                    groups[(component_name, prop)].append(schema)
    hidden = []
    for schemas in groups.values():
        if len({json.dumps(s["enum"], default=str) for s in schemas}) > 1:
            for schema in schemas:
                schema["x-oc-enum"] = schema.pop("enum")
                hidden.append(schema)
    result = hooks.postprocess_schema_enums(result, generator, **kwargs)
    for schema in hidden:
        schema["enum"] = schema.pop("x-oc-enum")
    return result

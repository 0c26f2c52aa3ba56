"""The canvas's view of the activity registry: each type's metadata and its configuration JSON Schema.

The schema is generated from the type's ``Config`` dataclass (the same hints ``parse_config`` reads), so
the form the canvas draws cannot accept a shape the server's parser would refuse, and adding a type
needs no front-end change. ``x-widget`` hints name the few settings that want a richer editor than a
text box (a rule, a dimension, one of the inbound activities). Labels, descriptions, setting titles and
choice labels (``x-enum-labels``) are in the request's language (``campaigns/activities/labels.py``).
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import restrict
from api.permissions import ProfilePermission, requires
from campaigns.activities import registry
from campaigns.activities.base import FILE, ActivityType, GraphNode
from campaigns.activities.config import ConfigError
from campaigns.activities.labels import choice_label, field_label
from campaigns.models import Campaign

# Settings that want a richer editor than their JSON type gives, by (name, JSON type).
WIDGETS = {
    ("rule", "object"): "rule",
    ("filter", "object"): "rule",
    ("where", "object"): "rule",
    ("dimension", "string"): "dimension",
    ("primary", "string"): "inbound-activity",
    ("html", "string"): "textarea",
    ("text", "string"): "textarea",
    ("message", "string"): "textarea",
    ("body", "string"): "textarea",
}


def _title(name: str) -> str:
    return capfirst(name.replace("_", " "))


def type_schema(hint: Any, name: str = "") -> dict:
    """The JSON Schema of one type hint, as ``campaigns.activities.config.parse_config`` reads it."""
    origin = get_origin(hint)
    if hint is Any:
        return {}
    if origin in (Union, types.UnionType):
        options = [o for o in get_args(hint) if o is not type(None)]
        inner = (
            type_schema(options[0], name)
            if len(options) == 1
            else {"anyOf": [type_schema(o) for o in options]}
        )
        return {**inner, "nullable": True} if type(None) in get_args(hint) else inner
    if origin is Literal:
        values = list(get_args(hint))
        return {
            "type": "string" if all(isinstance(v, str) for v in values) else "number",
            "enum": values,
            "x-enum-labels": [choice_label(v) for v in values],
        }
    if origin is list:
        (item,) = get_args(hint) or (Any,)
        return {"type": "array", "items": type_schema(item, name)}
    if origin is dict or hint is dict:
        schema: dict = {"type": "object"}
    elif dataclasses.is_dataclass(hint):
        return dataclass_schema(hint)
    else:
        schema = {
            bool: {"type": "boolean"},
            int: {"type": "integer"},
            float: {"type": "number"},
            str: {"type": "string"},
        }.get(hint, {})
    widget = WIDGETS.get((name, schema.get("type")))
    return {**schema, "x-widget": widget} if widget else schema


def dataclass_schema(cls: type) -> dict:
    """An object schema: every field with its title (translated, from ``campaigns.activities.labels``) and
    default, the fields without one required."""
    hints = get_type_hints(cls)
    properties, required = {}, []
    for field in dataclasses.fields(cls):
        title = field_label(field.name, cls.__name__)
        schema = {**type_schema(hints[field.name], field.name), "title": title}
        if field.default is not dataclasses.MISSING:
            schema["default"] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            schema["default"] = field.default_factory()
        else:
            required.append(field.name)
        properties[field.name] = schema
    return {
        "type": "object",
        "title": _title(cls.__name__),
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _produces(activity_type: ActivityType) -> str:
    """What leaves the type: a dimension it chooses, a file's rows, or what came in ("pass")."""
    if type(activity_type).output_dimension is ActivityType.output_dimension:
        return "pass"
    try:
        leaving = activity_type.output_dimension(None, GraphNode("x", activity_type.key, []))
    except Exception:  # the type reads its configuration: does it name a population?
        names = {f.name for f in dataclasses.fields(activity_type.Config)}
        return "dimension" if names & {"dimension", "audience"} else "pass"
    return "file" if leaving == FILE else "dimension"


def activity_type_description(key: str, activity_type: ActivityType) -> dict:
    return {
        "key": key,
        "label": str(activity_type.label),
        "description": str(activity_type.description) or " ".join((activity_type.__doc__ or "").split()),
        "category": activity_type.category,
        "min_inputs": activity_type.min_inputs,
        "max_inputs": activity_type.max_inputs,
        "join_all": activity_type.join_all,
        "live_only": activity_type.live_only,
        "is_channel": activity_type.is_channel,
        "needs_audience": activity_type.needs_audience,
        "produces": _produces(activity_type),
        "schema": dataclass_schema(activity_type.Config),
    }


class OutputsInput(serializers.Serializer):
    type = serializers.CharField(max_length=100)
    config = serializers.JSONField(required=False, default=dict)


class ActivitySchemaViewSet(viewsets.GenericViewSet):
    """Read-only: what the registry knows about each activity type, for the canvas."""

    permission_classes = [ProfilePermission]
    queryset = Campaign.objects.all()
    pagination_class = None  # every registered type in one short list

    def get_queryset(self):
        return restrict(self.request.user, "view", self.queryset)

    @extend_schema(responses={200: OpenApiResponse(description="[{key, label, ..., schema}]")})
    @requires("view")
    def list(self, request):
        return Response([activity_type_description(k, t) for k, t in registry.all_types().items()])

    @extend_schema(request=OutputsInput, responses={200: OpenApiResponse(description="{outputs, error}")})
    @action(detail=False, methods=["post"])
    @requires("view")
    def outputs(self, request):
        """The named outputs a configuration gives (Fork branches, Split subsets, complements...)."""
        data = OutputsInput(data=request.data)
        data.is_valid(raise_exception=True)
        activity_type = registry.get(data.validated_data["type"])
        if activity_type is None:
            raise serializers.ValidationError({"type": _("Unknown activity type.")})
        try:
            config = activity_type.parse(data.validated_data["config"])
        except ConfigError as exc:
            return Response({"outputs": None, "error": {"path": exc.path, "message": exc.message}})
        return Response({"outputs": activity_type.outputs(config), "error": None})

"""The visual rule builder's page and the two reads it needs besides the rule API.

* ``rule_builder_page``: the standalone admin page (build a rule on a dimension, count it, view rows and
  SQL, save it as a saved filter or an audience, apply saved filters, favourites). The canvas uses the
  same script (``static/campaigns/rule_builder.js``) inside Build audience's configuration form.
* ``meta``: what the builder draws its menus from, generated from the registries (operators by type,
  aggregate functions, the expression function palette) and the catalog the user may read (schemas,
  fields and link sides, so the attribute picker can walk links and knows which lead to collections).
* ``expression_check``: an expression's type, or its error with the position, so the editor can
  underline the faulty part (the rule API reports expression errors inside a message only).

Everything else (validate, count, preview, sql, distribution, saved filters, audiences) is the REST API.
Wired in ``config/urls.py`` (the page before the admin's catch-all, the two reads under ``/api/v1/``).
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from accounts.permissions import can_model, can_preview_personal_data, restrict
from audiences.catalog.models import Link, LinkCardinality, Schema, TargetingDimension
from audiences.query.compiler import personal
from audiences.query.compiler.catalog import FIELD_TYPES, Aliases, CatalogResolver, CatalogSnapshot
from audiences.query.expressions.compiler import check_expression
from audiences.query.expressions.errors import ExpressionError
from audiences.query.expressions.resolvers import UnknownName
from audiences.query.functions import registry as functions
from audiences.query.rules.operators import OPERATORS
from audiences.query.rules.tree import AGGREGATE_FUNCTIONS, GROUP_OPS
from audiences.saved.models import Audience, SavedFilter


def _catalog(user) -> dict:
    """Schemas the user may read, each with its fields and its link sides (both directions)."""
    schemas = restrict(user, "view", Schema.objects.prefetch_related("fields")).order_by("name")
    visible = {s.pk: s for s in schemas}
    out = {
        s.name: {
            "name": s.name,
            "label": s.label or s.name,
            "fields": [
                {
                    "name": f.name,
                    "label": f.label or f.name,
                    "type": str(FIELD_TYPES.get(f.type, "any")),
                    "personal": f.is_personal,
                    "key": f.primary_key,
                }
                for f in sorted(s.fields.all(), key=lambda f: (f.position, f.pk))
            ],
            "links": [],
        }
        for s in schemas
    }
    for link in Link.objects.select_related("source", "target"):
        if link.source_id not in visible or link.target_id not in visible:
            continue
        cardinality = LinkCardinality(link.cardinality)
        for name, here, there, side in (
            (link.name, link.source, link.target, cardinality),
            (link.reverse_name, link.target, link.source, cardinality.reverse),
        ):
            out[here.name]["links"].append(
                {
                    "name": name,
                    "label": link.label or name,
                    "target": there.name,
                    "collection": side == LinkCardinality.ONE_TO_MANY,
                }
            )
    return out


def _operators() -> list[dict]:
    return [
        {
            "key": op.key,
            "label": str(op.label),
            "types": sorted(str(t) for t in op.types),
            "arity": op.arity,
            "case_option": op.case_option,
            "aggregate_ok": op.aggregate_ok,
        }
        for op in OPERATORS.values()
    ]


def _functions() -> list[dict]:
    return [
        {
            "name": spec.name,
            "family": str(spec.family),
            "family_label": str(functions.FAMILY_LABELS[spec.family]),
            "signature": spec.signature(),
            "description": str(spec.description),
            "example": spec.example,
            "aggregate": spec.aggregate,
            "window": spec.window,
        }
        for spec in sorted(functions.REGISTRY.values(), key=lambda s: (s.family, s.name))
    ]


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def meta(request):
    """Menus of the rule builder, from the registries and the catalog the user may read."""
    if not can_model(request.user, "view", Schema):
        raise PermissionDenied
    dimensions = restrict(request.user, "view", TargetingDimension.objects.select_related("schema"))
    return Response(
        {
            "group_ops": list(GROUP_OPS),
            "aggregate_functions": list(AGGREGATE_FUNCTIONS),
            "operators": _operators(),
            "functions": _functions(),
            "dimensions": [
                {"id": d.pk, "schema": d.schema.name, "label": d.label or d.schema.label or d.schema.name}
                for d in dimensions.order_by("schema__name")
            ],
            "catalog": _catalog(request.user),
            "may_preview_personal": can_preview_personal_data(request.user),
            # Operators this user may use on a personal field (ADR 0004); null: every operator.
            "personal_operators": None
            if can_preview_personal_data(request.user)
            else list(personal.ALLOWED_OPERATORS),
        }
    )


class ExpressionInput(serializers.Serializer):
    dimension = serializers.IntegerField()
    expression = serializers.CharField(max_length=10000, trim_whitespace=False)
    scope = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        help_text="Link names from the dimension to the rows the expression reads (inside exists/aggregate).",
    )


class ExpressionCheckOutput(serializers.Serializer):
    type = serializers.CharField(allow_null=True)
    error = serializers.DictField(allow_null=True, help_text="message, expected, line, column, offset")


@extend_schema(request=ExpressionInput, responses=ExpressionCheckOutput)
@api_view(["POST"])
def expression_check(request):
    """``{"type"}`` of a valid expression, or ``{"error": {message, expected, line, column, offset...}}``."""
    data = ExpressionInput(data=request.data)
    data.is_valid(raise_exception=True)
    dimension = (
        restrict(request.user, "view", TargetingDimension.objects.select_related("schema"))
        .filter(pk=data.validated_data["dimension"])
        .first()
    )
    if dimension is None:
        raise serializers.ValidationError({"dimension": _("Unknown targeting dimension.")})
    catalog = CatalogSnapshot()
    info = catalog.info(dimension.schema)
    try:
        for side in catalog.walk(info, data.validated_data["scope"]):
            info = catalog.info(side.to_schema.pk)
        resolver = CatalogResolver(catalog, info, Aliases().new(info), Aliases())
        value_type = check_expression(data.validated_data["expression"], resolver=resolver)
    except ExpressionError as error:
        return Response({"type": None, "error": error.as_dict()})
    except UnknownName as error:
        return Response({"type": None, "error": {"message": str(error), "expected": []}})
    return Response({"type": str(value_type), "error": None})


def rule_builder_page(request):
    """The standalone rule builder (saved filters and audiences); reading the catalog is enough."""
    if not can_model(request.user, "view", Schema):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": _("Rule builder"),
        "builder_config": {
            "api": "/api/v1/",
            "meta": reverse("audiences-rule-builder-meta"),
            "expression": reverse("audiences-rule-builder-expression"),
            "maySaveFilter": can_model(request.user, "add", SavedFilter),
            "maySaveAudience": can_model(request.user, "add", Audience),
        },
    }
    return TemplateResponse(request, "admin/audiences/rule_builder.html", context)


page_urlpatterns = [
    path("", admin.site.admin_view(rule_builder_page), name="audiences-rule-builder"),
]
api_urlpatterns = [
    path("meta/", meta, name="audiences-rule-builder-meta"),
    path("expression/", expression_check, name="audiences-rule-builder-expression"),
]

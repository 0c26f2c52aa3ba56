"""Catalog endpoints. Administrators write (through the catalog services); other profiles read."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.permissions import requires
from api.viewsets import RestrictedModelViewSet
from audiences.api import serializers as s
from audiences.catalog import services
from audiences.catalog.ddl import ddl_import_confirm, ddl_propose
from audiences.catalog.models import Field, Link, LinkKey, Schema, TargetingDimension

MAX_DDL_BYTES = 1_000_000


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _schema_named(name: str, key: str = "schema") -> Schema:
    schema = Schema.objects.filter(name=name).first()
    if schema is None:
        raise ValidationError({key: _("Unknown schema “%s”.") % name})
    return schema


class SchemaFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Schema
        fields = ["kind"]


class SchemaViewSet(RestrictedModelViewSet):
    """Schemas by name, with their fields. Creating one creates its table."""

    base_queryset = Schema.objects.select_related("created_by").prefetch_related("fields")
    serializer_class = s.SchemaSerializer
    filterset_class = SchemaFilterSet
    ordering_fields = ["name", "created_at"]
    lookup_field = "name"
    lookup_value_regex = "[a-z_][a-z0-9_]*"

    def get_serializer_class(self):
        return s.SchemaDetailSerializer if self.action == "retrieve" else s.SchemaSerializer

    @extend_schema(request=s.SchemaCreateInput, responses={201: s.SchemaSerializer})
    def create(self, request, *args, **kwargs):
        schema = services.schema_create(actor=request.user, **_valid(s.SchemaCreateInput, request.data))
        return Response(s.SchemaSerializer(schema).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SchemaUpdateInput, responses=s.SchemaSerializer)
    def update(self, request, *args, **kwargs):
        schema = services.schema_update(
            actor=request.user, schema=self.get_object(), data=_valid(s.SchemaUpdateInput, request.data)
        )
        return Response(s.SchemaSerializer(schema).data)

    def perform_destroy(self, instance):
        services.schema_delete(actor=self.request.user, schema=instance)

    @extend_schema(request=s.IndexInput, responses={201: None})
    @action(detail=True, methods=["post"])
    @requires("change")
    def indexes(self, request, name=None):
        index = services.index_add(
            actor=request.user, schema=self.get_object(), **_valid(s.IndexInput, request.data)
        )
        return Response({"name": index.name, "columns": index.columns, "unique": index.unique}, status=201)

    @extend_schema(request=s.ExternalInput, responses={201: s.SchemaSerializer})
    @action(detail=False, methods=["post"], url_path="register-external")
    @requires("add")
    def register_external(self, request):
        schema = services.register_external(actor=request.user, **_valid(s.ExternalInput, request.data))
        return Response(s.SchemaSerializer(schema).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DdlInput, responses=s.DdlProposalSerializer)
    @action(detail=False, methods=["post"], url_path="ddl-import")
    @requires("add")
    def ddl_import(self, request):
        """Propose schemas, fields, keys and links from pasted or uploaded CREATE TABLE statements."""
        data = _valid(s.DdlInput, request.data)
        ddl = data.get("ddl") or ""
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_DDL_BYTES:
                raise ValidationError({"file": _("The file is larger than %d bytes.") % MAX_DDL_BYTES})
            try:
                ddl = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
        return Response(ddl_propose(ddl).as_dict())

    @extend_schema(request=s.DdlProposalSerializer, responses={201: s.SchemaSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="ddl-import/confirm")
    @requires("add")
    def ddl_import_confirm(self, request):
        """Create what a (possibly edited) proposal describes, all or nothing."""
        proposal = _valid(s.DdlProposalSerializer, request.data)
        created = ddl_import_confirm(actor=request.user, proposal=proposal)
        schemas = Schema.objects.filter(pk__in=[c.pk for c in created]).prefetch_related("fields")
        return Response(s.SchemaSerializer(schemas, many=True).data, status=status.HTTP_201_CREATED)


class FieldFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")
    schema_id = filters.NumberFilter(field_name="schema_id")
    schema = filters.CharFilter(field_name="schema__name")

    class Meta:
        model = Field
        fields = ["type", "is_personal", "primary_key"]


class FieldViewSet(RestrictedModelViewSet):
    """Fields of schemas. Adding one alters the table online; renaming or removing a used one is refused."""

    base_queryset = Field.objects.select_related("schema")
    serializer_class = s.FieldSerializer
    filterset_class = FieldFilterSet
    ordering_fields = ["schema__name", "position", "name"]

    @extend_schema(request=s.FieldCreateInput, responses={201: s.FieldSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(s.FieldCreateInput, request.data)
        schema = _schema_named(data.pop("schema"))
        field = services.field_add(actor=request.user, schema=schema, spec=data)
        return Response(s.FieldSerializer(field).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.FieldUpdateInput, responses=s.FieldSerializer)
    def update(self, request, *args, **kwargs):
        field = services.field_update(
            actor=request.user, field=self.get_object(), data=_valid(s.FieldUpdateInput, request.data)
        )
        return Response(s.FieldSerializer(field).data)

    def perform_destroy(self, instance):
        services.field_remove(actor=self.request.user, field=instance)


class LinkFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")
    source_id = filters.NumberFilter(field_name="source_id")
    source = filters.CharFilter(field_name="source__name")
    target_id = filters.NumberFilter(field_name="target_id")
    target = filters.CharFilter(field_name="target__name")

    class Meta:
        model = Link
        fields = ["cardinality"]


class LinkViewSet(RestrictedModelViewSet):
    """Links between schemas, named from each side; keys are [source field, target field] pairs."""

    base_queryset = Link.objects.select_related("source", "target").prefetch_related(
        Prefetch("keys", queryset=LinkKey.objects.select_related("source_field", "target_field"))
    )
    serializer_class = s.LinkSerializer
    filterset_class = LinkFilterSet
    ordering_fields = ["name", "created_at"]

    @extend_schema(request=s.LinkInput, responses={201: s.LinkSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(s.LinkInput, request.data)
        data["source"] = _schema_named(data["source"], "source")
        data["target"] = _schema_named(data["target"], "target")
        link = services.link_create(actor=request.user, **data)
        return Response(
            s.LinkSerializer(self.base_queryset.get(pk=link.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.LinkUpdateInput, responses=s.LinkSerializer)
    def update(self, request, *args, **kwargs):
        link = services.link_update(
            actor=request.user, link=self.get_object(), data=_valid(s.LinkUpdateInput, request.data)
        )
        return Response(s.LinkSerializer(self.base_queryset.get(pk=link.pk)).data)

    def perform_destroy(self, instance):
        services.link_remove(actor=self.request.user, link=instance)


class TargetingDimensionFilterSet(filters.FilterSet):
    schema_id = filters.NumberFilter(field_name="schema_id")
    schema = filters.CharFilter(field_name="schema__name")

    class Meta:
        model = TargetingDimension
        fields = ["is_default"]


class TargetingDimensionViewSet(RestrictedModelViewSet):
    """Targetable schemas with their identity, address and consent fields (given by field name)."""

    base_queryset = TargetingDimension.objects.select_related("schema").prefetch_related("schema__fields")
    serializer_class = s.TargetingDimensionSerializer
    filterset_class = TargetingDimensionFilterSet
    ordering_fields = ["created_at"]

    def _output(self, dimension):
        return s.TargetingDimensionSerializer(self.base_queryset.get(pk=dimension.pk)).data

    @extend_schema(request=s.TargetingDimensionInput, responses={201: s.TargetingDimensionSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(s.TargetingDimensionInput, request.data)
        if not data.get("schema"):
            raise ValidationError({"schema": _("This field is required.")})
        schema = _schema_named(data.pop("schema"))
        dimension = services.targeting_dimension_create(actor=request.user, schema=schema, data=data)
        return Response(self._output(dimension), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TargetingDimensionInput, responses=s.TargetingDimensionSerializer)
    def update(self, request, *args, **kwargs):
        dimension = services.targeting_dimension_update(
            actor=request.user,
            dimension=self.get_object(),
            data=_valid(s.TargetingDimensionInput, request.data),
        )
        return Response(self._output(dimension))

    def perform_destroy(self, instance):
        services.targeting_dimension_delete(actor=self.request.user, dimension=instance)

"""Ingestion endpoints: start a CSV run (multipart), follow it, download its rejects; JSON batch upsert.

Administrators start loads; every profile that reads the data model reads runs.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.permissions import restrict
from api.parsers import BoundedJSONParser, JSONInputError, parse_json
from api.permissions import ProfilePermission, requires
from api.schema import ErrorSerializer
from audiences.catalog.models import Schema
from audiences.ingestion import services
from audiences.ingestion.models import IngestionOrigin, IngestionRun, IngestionStatus
from audiences.ingestion.selectors import ingestion_reject_list, ingestion_rejects_csv

RUN_FIELDS = [
    "id",
    "schema",
    "source",
    "origin",
    "status",
    "file_name",
    "file_size",
    "mapping",
    "max_rejects",
    "processed_rows",
    "processed_bytes",
    "inserted",
    "updated",
    "deleted",
    "skipped",
    "rejected",
    "error",
    "log",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
]


class IngestionRunSerializer(serializers.ModelSerializer):
    schema = serializers.SlugRelatedField(slug_field="name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    rejects = serializers.SerializerMethodField()

    class Meta:
        model = IngestionRun
        fields = [*RUN_FIELDS, "rejects"]
        read_only_fields = fields

    def get_rejects(self, run) -> list[dict]:
        """The first rejected values (the full list is the run's rejects CSV); personal fields' values
        are masked (``•••``) for a reader without the personal-data preview permission."""
        request = self.context.get("request")
        return ingestion_reject_list(actor=getattr(request, "user", None), run=run, limit=100)


class IngestionRunStartInput(serializers.Serializer):
    schema = serializers.CharField()
    file = serializers.FileField(required=False)
    mapping = serializers.CharField(required=False, allow_blank=True, help_text=_("JSON: column -> field."))
    max_rejects = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class RecordsInput(serializers.Serializer):
    records = serializers.ListField(child=serializers.JSONField(), allow_empty=False)
    max_rejects = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class IngestionRunFilterSet(filters.FilterSet):
    schema = filters.CharFilter(field_name="schema__name")
    schema_id = filters.NumberFilter(field_name="schema_id")

    class Meta:
        model = IngestionRun
        fields = ["status", "source"]


def _schema_named(name: str, key: str = "schema") -> Schema:
    schema = Schema.objects.filter(name=name).first()
    if schema is None:
        raise ValidationError({key: _("Unknown schema “%s”.") % name})
    return schema


def _mapping(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        return parse_json(text)
    except JSONInputError as error:
        field = f"mapping.{error.field}" if error.field else "mapping"
        message = _("Not valid JSON.") if error.code == "parse_error" else error.message
        raise ValidationError({field: message}) from None


class IngestionRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Runs: POST a CSV file (multipart) to start one; GET to follow it; ``rejects/`` as CSV."""

    permission_classes = [ProfilePermission]
    serializer_class = IngestionRunSerializer
    filterset_class = IngestionRunFilterSet
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        base = IngestionRun.objects.select_related("schema", "created_by").prefetch_related("rejects")
        return restrict(self.request.user, "view", base)

    @extend_schema(request=IngestionRunStartInput, responses={201: IngestionRunSerializer})
    def create(self, request, *args, **kwargs):
        data = IngestionRunStartInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        run = services.ingestion_run_start(
            actor=request.user,
            schema=_schema_named(values["schema"]),
            upload=values.get("file"),
            mapping=_mapping(values.get("mapping")),
            max_rejects=values.get("max_rejects"),
            origin=IngestionOrigin.API,
        )
        return Response(
            IngestionRunSerializer(run, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    @requires("view")
    def rejects(self, request, pk=None):
        run = self.get_object()
        response = StreamingHttpResponse(
            ingestion_rejects_csv(run, actor=request.user), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="ingestion-{run.pk}-rejects.csv"'
        return response


class RecordsRefusedSerializer(ErrorSerializer):
    """The error shape, plus the failed run when the batch was loaded and refused (``run``)."""

    run = IngestionRunSerializer(required=False)

    class Meta:
        ref_name = "RecordsRefused"


class SchemaRecordsViewSet(viewsets.GenericViewSet):
    """``POST /schemas/{name}/records/``: upsert (or delete) a batch of JSON records, synchronously."""

    permission_classes = [ProfilePermission]
    serializer_class = RecordsInput
    filterset_class = None

    def get_queryset(self):
        return restrict(self.request.user, "view", IngestionRun.objects.all())

    @extend_schema(
        request=RecordsInput, responses={200: IngestionRunSerializer, 400: RecordsRefusedSerializer}
    )
    def create(self, request, schema_name=None):
        data = RecordsInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.records_upsert(
            actor=request.user,
            schema=_schema_named(schema_name),
            records=data.validated_data["records"],
            max_rejects=data.validated_data.get("max_rejects"),
        )
        if run.status == IngestionStatus.FAILED:
            rejects = run.rejects.all()[:100]
            errors = [
                {"field": f"records.{r.row_number - 1}.{r.column}", "code": "rejected", "message": r.reason}
                for r in rejects
            ] or [{"field": None, "code": "invalid", "message": run.error}]
            body = {
                "status": 400,
                "code": "invalid",
                "detail": run.error,
                "errors": errors,
                "run": IngestionRunSerializer(run, context={"request": request}).data,
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(IngestionRunSerializer(run, context={"request": request}).data)

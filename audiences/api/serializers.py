"""API shapes of the catalog. Input serializers check the shape only; the services own every rule."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audiences.catalog.models import Field, Link, LinkCardinality, Schema, TargetingDimension
from audiences.catalog.types import FieldTypeKey


class FieldSerializer(serializers.ModelSerializer):
    schema = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Field
        fields = [
            "id",
            "schema",
            "name",
            "column_name",
            "label",
            "type",
            "max_length",
            "precision",
            "scale",
            "enum_values",
            "required",
            "primary_key",
            "is_version",
            "is_personal",
            "position",
        ]
        read_only_fields = fields


class SchemaSerializer(serializers.ModelSerializer):
    fields = FieldSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Schema
        fields = [
            "id",
            "name",
            "label",
            "description",
            "table_name",
            "kind",
            "fields",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SchemaDetailSerializer(SchemaSerializer):
    row_count = serializers.SerializerMethodField()

    class Meta(SchemaSerializer.Meta):
        fields = [*SchemaSerializer.Meta.fields, "row_count"]
        read_only_fields = fields

    def get_row_count(self, schema) -> int | None:
        from audiences.catalog.selectors import schema_row_count

        return schema_row_count(schema)


class FieldSpecInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=FieldTypeKey.choices)
    max_length = serializers.IntegerField(required=False, allow_null=True)
    precision = serializers.IntegerField(required=False, allow_null=True)
    scale = serializers.IntegerField(required=False, allow_null=True)
    enum_values = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    required = serializers.BooleanField(required=False, default=False)
    primary_key = serializers.BooleanField(required=False, default=False)
    is_version = serializers.BooleanField(required=False, default=False)
    is_personal = serializers.BooleanField(required=False, default=False)


class SchemaCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    fields = FieldSpecInput(many=True)


class SchemaUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    label = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class IndexInput(serializers.Serializer):
    fields = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1)
    unique = serializers.BooleanField(required=False, default=False)


class ExternalInput(serializers.Serializer):
    table_name = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=200, required=False)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    primary_key = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    skip_unsupported = serializers.BooleanField(required=False, default=False)


class FieldCreateInput(FieldSpecInput):
    schema = serializers.CharField(max_length=200)


class FieldUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_personal = serializers.BooleanField(required=False)
    is_version = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False, min_value=0)


class LinkSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)
    target = serializers.SlugRelatedField(slug_field="name", read_only=True)
    keys = serializers.SerializerMethodField()

    class Meta:
        model = Link
        fields = [
            "id",
            "source",
            "target",
            "name",
            "reverse_name",
            "cardinality",
            "label",
            "keys",
            "created_at",
        ]
        read_only_fields = fields

    def get_keys(self, link) -> list[list[str]]:
        return [[k.source_field.name, k.target_field.name] for k in link.keys.all()]


class LinkInput(serializers.Serializer):
    source = serializers.CharField(max_length=200)
    target = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=200)
    reverse_name = serializers.CharField(max_length=200)
    cardinality = serializers.ChoiceField(choices=LinkCardinality.choices)
    keys = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(max_length=200), min_length=2, max_length=2),
        min_length=1,
    )
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LinkUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    reverse_name = serializers.CharField(max_length=200, required=False)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)


def _role_field(**kwargs):
    return serializers.CharField(max_length=200, required=False, allow_null=True, allow_blank=True, **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class _RoleFieldName(serializers.ReadOnlyField):
    """The name of the catalog field a targeting dimension's role points to (a string)."""


class TargetingDimensionSerializer(serializers.ModelSerializer):
    schema = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = TargetingDimension
        fields = [
            "id",
            "schema",
            "label",
            *TargetingDimension.ROLE_FIELDS,
            "is_default",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_fields(self):
        # Each role is answered by the catalog field's name (see to_representation), not its id.
        fields = super().get_fields()
        for role in TargetingDimension.ROLE_FIELDS:
            nullable = TargetingDimension._meta.get_field(role).null
            fields[role] = _RoleFieldName(source=f"{role}_id", allow_null=nullable)
        return fields

    def to_representation(self, dimension):
        data = super().to_representation(dimension)
        names = {f.pk: f.name for f in dimension.schema.fields.all()}
        for role in TargetingDimension.ROLE_FIELDS:
            data[role] = names.get(getattr(dimension, f"{role}_id"))
        return data


class TargetingDimensionInput(serializers.Serializer):
    schema = serializers.CharField(max_length=200, required=False)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_default = serializers.BooleanField(required=False)
    identity_field = _role_field()
    email_field = _role_field()
    sms_field = _role_field()
    push_field = _role_field()
    email_consent_field = _role_field()
    sms_consent_field = _role_field()
    push_consent_field = _role_field()
    locale_field = _role_field()
    timezone_field = _role_field()


class DdlInput(serializers.Serializer):
    ddl = serializers.CharField(required=False, max_length=1_000_000, trim_whitespace=False)
    file = serializers.FileField(required=False, max_length=200)

    def validate(self, attrs):
        if not attrs.get("ddl") and not attrs.get("file"):
            raise serializers.ValidationError({"ddl": _("Paste the DDL or upload a file.")})
        return attrs


class DdlProposalSerializer(serializers.Serializer):
    schemas = serializers.ListField(child=serializers.DictField(), min_length=1)
    links = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    warnings = serializers.ListField(child=serializers.CharField(), required=False, default=list)

"""Saved filters and audiences: CRUD through ``audiences.saved.services``, favourites, apply, share."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import restrict
from accounts.services import SHAREABLE_ACTIONS, object_share
from api.permissions import requires
from api.viewsets import RestrictedModelViewSet
from audiences.api.rules import RuleField
from audiences.catalog.models import TargetingDimension
from audiences.saved import services
from audiences.saved.models import Audience, SavedFilter, SavedFilterFavourite


class _Dimension(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return restrict(self.context["request"].user, "view", TargetingDimension.objects.all())


class SavedFilterSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    dimension = _Dimension()
    rule = RuleField()
    favourite = serializers.SerializerMethodField()

    class Meta:
        model = SavedFilter
        fields = [
            "id",
            "name",
            "description",
            "dimension",
            "rule",
            "parameters",
            "visibility",
            "owner",
            "favourite",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "favourite", "created_at", "updated_at"]

    def get_favourite(self, obj) -> bool:
        return bool(getattr(obj, "is_favourite", False))


class AudienceSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    dimension = _Dimension()
    rule = RuleField(required=False, allow_null=True)

    class Meta:
        model = Audience
        fields = [
            "id",
            "name",
            "description",
            "dimension",
            "kind",
            "source",
            "rule",
            "visibility",
            "owner",
            "member_count",
            "computed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "source",
            "owner",
            "member_count",
            "computed_at",
            "created_at",
            "updated_at",
        ]


class ShareInput(serializers.Serializer):
    actions = serializers.ListField(child=serializers.ChoiceField(choices=SHAREABLE_ACTIONS), min_length=1)
    users = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all(), many=True, required=False
    )
    groups = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), many=True, required=False
    )


class ApplyInput(serializers.Serializer):
    parameters = serializers.DictField(required=False, default=dict)


class UploadInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    dimension = serializers.IntegerField()
    file = serializers.FileField()
    description = serializers.CharField(required=False, default="", allow_blank=True)
    visibility = serializers.ChoiceField(choices=["private", "shared"], default="private")


def _share(request, obj):
    data = ShareInput(data=request.data)
    data.is_valid(raise_exception=True)
    object_share(
        actor=request.user,
        obj=obj,
        actions=data.validated_data["actions"],
        users=data.validated_data.get("users", []),
        groups=data.validated_data.get("groups", []),
    )
    return Response(status=status.HTTP_204_NO_CONTENT)


class SavedFilterFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")
    dimension_id = filters.NumberFilter(field_name="dimension_id")
    owner_id = filters.NumberFilter(field_name="owner_id")
    owner = filters.CharFilter(field_name="owner__username")
    favourite = filters.BooleanFilter(field_name="is_favourite")

    class Meta:
        model = SavedFilter
        fields = ["visibility"]


class SavedFilterViewSet(RestrictedModelViewSet):
    """Saved filters the user may see (shared ones and their own), favourites first."""

    base_queryset = SavedFilter.objects.select_related("owner")
    serializer_class = SavedFilterSerializer
    filterset_class = SavedFilterFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]

    def get_queryset(self):
        favourites = SavedFilterFavourite.objects.filter(
            saved_filter=OuterRef("pk"), user=self.request.user.pk
        )
        return (
            super().get_queryset().annotate(is_favourite=Exists(favourites)).order_by("-is_favourite", "name")
        )

    def perform_create(self, serializer):
        serializer.instance = services.saved_filter_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "dimension"}
        serializer.instance = services.saved_filter_update(
            actor=self.request.user, saved_filter=serializer.instance, data=data
        )

    def perform_destroy(self, instance):
        services.saved_filter_delete(actor=self.request.user, saved_filter=instance)

    @extend_schema(request=None, responses={200: OpenApiResponse(description="{favourite}")})
    @action(detail=True, methods=["post"])
    @requires("view")
    def favourite(self, request, pk=None):
        state = services.saved_filter_favourite_toggle(actor=request.user, saved_filter=self.get_object())
        return Response({"favourite": state})

    @extend_schema(request=ApplyInput, responses={200: OpenApiResponse(description="{rule, copy}")})
    @action(detail=True, methods=["post"])
    @requires("view")
    def apply(self, request, pk=None):
        """A rule referencing the filter with these parameter values, and a copy of its rule to edit."""
        data = ApplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        saved = self.get_object()
        rule = services.saved_filter_apply(
            actor=request.user, saved_filter=saved, parameters=data.validated_data["parameters"]
        )
        return Response(
            {"rule": rule, "copy": services.saved_filter_copy(actor=request.user, saved_filter=saved)}
        )

    @extend_schema(request=ShareInput, responses={204: None})
    @action(detail=True, methods=["post"])
    @requires("share")
    def share(self, request, pk=None):
        return _share(request, self.get_object())


class AudienceFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")
    dimension_id = filters.NumberFilter(field_name="dimension_id")
    owner_id = filters.NumberFilter(field_name="owner_id")
    owner = filters.CharFilter(field_name="owner__username")

    class Meta:
        model = Audience
        fields = ["kind", "visibility"]


class AudienceViewSet(RestrictedModelViewSet):
    """Audiences the user may see. Creating a static one from a rule evaluates the rule once."""

    base_queryset = Audience.objects.select_related("owner")
    serializer_class = AudienceSerializer
    filterset_class = AudienceFilterSet
    ordering_fields = ["name", "created_at", "computed_at"]

    def perform_create(self, serializer):
        serializer.instance = services.audience_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = {
            k: v
            for k, v in serializer.validated_data.items()
            if k in ("name", "description", "visibility", "rule")
        }
        serializer.instance = services.audience_update(
            actor=self.request.user, audience=serializer.instance, data=data
        )

    def perform_destroy(self, instance):
        services.audience_delete(actor=self.request.user, audience=instance)

    @extend_schema(request=None, responses=AudienceSerializer)
    @action(detail=True, methods=["post"])
    @requires("change")
    def refresh(self, request, pk=None):
        audience = services.audience_refresh(actor=request.user, audience=self.get_object())
        return Response(AudienceSerializer(audience, context={"request": request}).data)

    @extend_schema(request={"multipart/form-data": UploadInput}, responses={201: AudienceSerializer})
    @action(detail=False, methods=["post"])
    @requires("add")
    def upload(self, request):
        """A static audience from a CSV of keys (header: the dimension's key field names)."""
        data = UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        dimension = (
            restrict(request.user, "view", TargetingDimension.objects.all())
            .filter(pk=values.pop("dimension"))
            .first()
        )
        if dimension is None:
            raise serializers.ValidationError({"dimension": _("Unknown targeting dimension.")})
        audience, dropped = services.audience_create_from_upload(
            actor=request.user, dimension=dimension, upload=values.pop("file"), **values
        )
        body = AudienceSerializer(audience, context={"request": request}).data
        return Response({**body, "dropped_keys": dropped}, status=status.HTTP_201_CREATED)

    @extend_schema(request=ShareInput, responses={204: None})
    @action(detail=True, methods=["post"])
    @requires("share")
    def share(self, request, pk=None):
        return _share(request, self.get_object())

"""Endpoints on any rule: validate, count (with cancel), preview, sql, distribution.

Thin: each parses its input, finds the dimension through ``restrict()`` and calls one rule service.
A count that runs past the statement timeout answers 503 ``rule_too_slow``; a cancelled one 409.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import restrict
from api.permissions import ProfilePermission, requires
from api.throttles import RuleCountThrottle
from audiences.catalog.models import TargetingDimension
from audiences.query import services
from audiences.query.rules.schema import rule_json_schema


@extend_schema_field(rule_json_schema(), component_name="Rule")
class RuleField(serializers.JSONField):
    """A rule in the JSON format of docs/rules.md (checked by the rule services, with node paths)."""


class RuleInput(serializers.Serializer):
    dimension = serializers.IntegerField(help_text="Targeting dimension id.")
    rule = RuleField(allow_null=True)
    variables = serializers.DictField(required=False, help_text="Campaign variables and parameter values.")


class CountInput(RuleInput):
    token = serializers.RegexField(r"^[0-9a-f]{32}$", required=False, help_text="To cancel this count later.")


class PreviewInput(RuleInput):
    fields = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    limit = serializers.IntegerField(min_value=1, default=20)


class DistributionInput(RuleInput):
    field = serializers.CharField()
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=20)


class CancelInput(serializers.Serializer):
    token = serializers.RegexField(r"^[0-9a-f]{32}$")


class RuleErrorSerializer(serializers.Serializer):
    path = serializers.CharField()
    message = serializers.CharField()


class ValidateOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = RuleErrorSerializer(many=True)


class RuleTooSlow(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "rule_too_slow"
    default_detail = "The count took too long."


class RuleCancelled(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "cancelled"
    default_detail = "The count was cancelled."


class RuleViewSet(viewsets.GenericViewSet):
    """Rules are not stored here: every action takes a dimension and a rule and answers about it."""

    permission_classes = [ProfilePermission]
    queryset = TargetingDimension.objects.select_related("schema")

    def get_queryset(self):
        return restrict(self.request.user, "view", self.queryset.all())

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        dimension = self.get_queryset().filter(pk=data.pop("dimension")).first()
        if dimension is None:
            raise serializers.ValidationError({"dimension": _("Unknown targeting dimension.")})
        data["dimension"] = dimension
        return data

    @extend_schema(request=RuleInput, responses=ValidateOutput)
    @action(detail=False, methods=["post"])
    @requires("view")
    def validate(self, request):
        data = self._input(RuleInput)
        errors = services.rule_validate(
            dimension=data["dimension"],
            rule=data["rule"],
            variables=data.get("variables"),
            actor=request.user,
            for_user=True,
        )
        return Response({"valid": not errors, "errors": [e.as_dict() for e in errors]})

    @extend_schema(
        request=CountInput,
        responses={
            200: OpenApiResponse(description="{count}"),
            429: OpenApiResponse(description="too many counts (OC_RULE_COUNT_RATE)"),
            503: OpenApiResponse(description="too slow"),
        },
    )
    @action(detail=False, methods=["post"], throttle_classes=[RuleCountThrottle])
    @requires("view")
    def count(self, request):
        data = self._input(CountInput)
        try:
            count = services.rule_count(
                actor=request.user,
                dimension=data["dimension"],
                rule=data["rule"],
                variables=data.get("variables"),
                token=data.get("token"),
            )
        except services.RuleCountTooSlow as error:
            raise RuleTooSlow(str(error)) from None
        except services.RuleCountCancelled as error:
            raise RuleCancelled(str(error)) from None
        return Response({"count": count})

    @extend_schema(request=CancelInput, responses={200: OpenApiResponse(description="{cancelled}")})
    @action(detail=False, methods=["post"], url_path="count/cancel")
    @requires("view")
    def cancel(self, request):
        serializer = CancelInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        cancelled = services.rule_count_cancel(actor=request.user, token=serializer.validated_data["token"])
        return Response({"cancelled": cancelled})

    @extend_schema(request=PreviewInput, responses={200: OpenApiResponse(description="{rows}")})
    @action(detail=False, methods=["post"])
    @requires("view")
    def preview(self, request):
        data = self._input(PreviewInput)
        rows = services.rule_preview(
            actor=request.user,
            dimension=data["dimension"],
            rule=data["rule"],
            fields=data["fields"],
            limit=data["limit"],
            variables=data.get("variables"),
        )
        return Response({"rows": rows})

    @extend_schema(request=RuleInput, responses={200: OpenApiResponse(description="{sql, params, plan}")})
    @action(detail=False, methods=["post"])
    @requires("view")
    def sql(self, request):
        data = self._input(RuleInput)
        return Response(
            services.rule_sql_params(
                dimension=data["dimension"],
                rule=data["rule"],
                variables=data.get("variables"),
                actor=request.user,
            )
        )

    @extend_schema(
        request=DistributionInput, responses={200: OpenApiResponse(description="{values, partial, total}")}
    )
    @action(detail=False, methods=["post"])
    @requires("view")
    def distribution(self, request):
        data = self._input(DistributionInput)
        return Response(
            services.rule_distribution(
                actor=request.user,
                dimension=data["dimension"],
                rule=data["rule"],
                field=data["field"],
                limit=data["limit"],
                variables=data.get("variables"),
            )
        )

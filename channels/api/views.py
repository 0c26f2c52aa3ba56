"""Channel endpoints: configurations, capping rules, suppression list (Administrators write), deliveries
and their report (everybody reads), the SMS length counter."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import can_preview_personal_data
from api.permissions import requires
from api.throttles import ProofThrottle
from api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyModelViewSet
from channels.api import serializers as s
from channels.models import CappingRule, ChannelConfiguration, Delivery, ProofRecipient, SuppressionEntry
from channels.personalization.sms import sms_length
from channels.providers.base import keep_stored_secrets
from channels.reporting import figures
from channels.services import configurations as services
from channels.services.proofs import proof_recipient_add, proof_recipient_remove


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ChannelConfigurationFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = ChannelConfiguration
        fields = ["channel", "provider", "enabled"]


class ChannelConfigurationViewSet(RestrictedModelViewSet):
    base_queryset = ChannelConfiguration.objects.select_related("dimension__schema")
    serializer_class = s.ChannelConfigurationSerializer
    filterset_class = ChannelConfigurationFilterSet

    def create(self, request, *args, **kwargs):
        data = _valid(s.ChannelConfigurationSerializer, request.data)
        data["provider_settings"] = keep_stored_secrets({}, data.get("provider_settings", {}))
        configuration = services.configuration_create(actor=request.user, data=data)
        return Response(s.ChannelConfigurationSerializer(configuration).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        configuration = self.get_object()
        data = _valid(s.ChannelConfigurationSerializer, request.data, partial=True)
        if "provider_settings" in data:  # the masked secrets sent back keep their stored values
            data["provider_settings"] = keep_stored_secrets(
                configuration.provider_settings, data["provider_settings"]
            )
        configuration = services.configuration_update(
            actor=request.user, configuration=configuration, data=data
        )
        return Response(s.ChannelConfigurationSerializer(configuration).data)

    def perform_destroy(self, instance):
        services.configuration_delete(actor=self.request.user, configuration=instance)

    @extend_schema(request=s.SmsLengthInput, responses=None)
    @action(detail=False, methods=["post"], url_path="sms-length")
    @requires("view")
    def sms_length(self, request):
        """Encoding, length and segment count of an SMS text (GSM-7 or UCS-2)."""
        result = sms_length(_valid(s.SmsLengthInput, request.data)["text"])
        return Response(
            {
                "encoding": result.encoding,
                "units": result.units,
                "segments": result.segments,
                "per_segment": result.per_segment,
            }
        )


class CappingRuleFilterSet(filters.FilterSet):
    class Meta:
        model = CappingRule
        fields = ["rule_set", "channel", "enabled"]


class CappingRuleViewSet(RestrictedModelViewSet):
    base_queryset = CappingRule.objects.all()
    serializer_class = s.CappingRuleSerializer
    filterset_class = CappingRuleFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.capping_rule_save(
            actor=self.request.user, rule=CappingRule(**serializer.validated_data)
        )

    def perform_update(self, serializer):
        rule = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(rule, key, value)
        services.capping_rule_save(actor=self.request.user, rule=rule)

    def perform_destroy(self, instance):
        services.capping_rule_delete(actor=self.request.user, rule=instance)


class SuppressionFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="address", lookup_expr="icontains")

    class Meta:
        model = SuppressionEntry
        fields = ["channel", "reason"]


class SuppressionEntryViewSet(RestrictedModelViewSet):
    base_queryset = SuppressionEntry.objects.all()
    serializer_class = s.SuppressionEntrySerializer
    filterset_class = SuppressionFilterSet
    http_method_names = ["get", "post", "delete", "head", "options"]

    def filter_queryset(self, queryset):
        # searching by address would reveal addresses one guess at a time
        if "q" in self.request.query_params and not can_preview_personal_data(self.request.user):
            raise ValidationError({"q": _("Searching by address needs the personal-data permission.")})
        return super().filter_queryset(queryset)

    def perform_create(self, serializer):
        serializer.instance = services.suppression_add(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.suppression_remove(actor=self.request.user, entry=instance)


class ProofRecipientViewSet(RestrictedModelViewSet):
    """The addresses proofs may go to (besides platform users'): everyone reads, Administrators keep."""

    base_queryset = ProofRecipient.objects.all()
    serializer_class = s.ProofRecipientSerializer
    filterset_fields = ["channel"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = proof_recipient_add(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        proof_recipient_remove(actor=self.request.user, recipient=instance)


class DeliveryFilterSet(filters.FilterSet):
    campaign_id = filters.NumberFilter(field_name="campaign_id")
    run_id = filters.NumberFilter(field_name="run_id")

    class Meta:
        model = Delivery
        fields = ["channel", "status", "activity_key", "is_proof"]


class DeliveryViewSet(RestrictedReadOnlyModelViewSet):
    """Deliveries are written by live runs and proofs only; here they are read, with their report."""

    base_queryset = Delivery.objects.all()
    serializer_class = s.DeliverySerializer
    filterset_class = DeliveryFilterSet

    @extend_schema(parameters=[s.ReportQuery], responses=None)
    @action(detail=False, methods=["get"])
    @requires("view")
    def report(self, request):
        """The report figures of a campaign, run, channel activity or delivery (see docs/reporting.md)."""
        q = _valid(s.ReportQuery, request.query_params)
        deliveries = figures.deliveries_for(
            actor=request.user,
            campaign_id=q.get("campaign"),
            run_id=q.get("run"),
            activity_key=q.get("activity_key"),
            delivery_id=q.get("delivery"),
        )
        return Response(figures.full_report(deliveries))

    @extend_schema(request=s.ProofInput, responses={201: s.DeliverySerializer})
    @action(detail=False, methods=["post"], throttle_classes=[ProofThrottle])
    @requires("view")
    def proof(self, request):
        """Send a proof of a channel activity for chosen rows of a test run to up to ten addresses."""
        from accounts.permissions import restrict
        from campaigns.models import Run
        from channels.services.proofs import proof_send

        data = _valid(s.ProofInput, request.data)
        run = (
            restrict(request.user, "view", Run.objects.select_related("campaign"))
            .filter(pk=data["run"])
            .first()
        )
        if run is None:
            raise ValidationError({"run": _("Unknown run.")})
        delivery = proof_send(
            actor=request.user,
            run=run,
            activity_key=data["activity_key"],
            recipient_keys=data["recipient_keys"],
            addresses=data["addresses"],
        )
        return Response(s.DeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)

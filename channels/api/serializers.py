"""API shapes of the channels app. Writes go through the services; these only validate shapes."""

from __future__ import annotations

from rest_framework import serializers

from accounts.permissions import can_preview_personal_data
from audiences.catalog.models import TargetingDimension
from channels.models import CappingRule, ChannelConfiguration, Delivery, ProofRecipient, SuppressionEntry
from channels.providers.base import masked_settings


class ChannelConfigurationSerializer(serializers.ModelSerializer):
    dimension = serializers.SlugRelatedField(
        slug_field="schema__name", queryset=TargetingDimension.objects.all()
    )

    class Meta:
        model = ChannelConfiguration
        fields = [
            "id",
            "name",
            "channel",
            "marketing",
            "transactional",
            "provider",
            "provider_settings",
            "from_email",
            "from_name",
            "reply_to",
            "sms_sender_id",
            "rate_per_second",
            "throttle_window_hours",
            "dimension",
            "delivery_level",
            "secondary_link",
            "address_field",
            "tracking_base_url",
            "enabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def run_validators(self, value):
        pass  # uniqueness and the rest are the service's job (one error shape)

    def to_representation(self, instance):
        # provider credentials are write-only: every reader, whatever the role, gets the mask
        data = super().to_representation(instance)
        data["provider_settings"] = masked_settings(data.get("provider_settings"))
        return data


class CappingRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = CappingRule
        fields = ["id", "rule_set", "channel", "max_messages", "period", "enabled"]


MASK = "•••"


def _request_user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ProofRecipientSerializer(serializers.ModelSerializer):
    """An address proofs may go to: a reviewer's or a test profile's, not a customer's."""

    class Meta:
        model = ProofRecipient
        fields = ["id", "channel", "address", "label", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []


class SuppressionEntrySerializer(serializers.ModelSerializer):
    """An address is personal data: shown only to users who may preview personal data."""

    class Meta:
        model = SuppressionEntry
        fields = ["id", "channel", "address", "reason", "detail", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = _request_user(self)
        if user is None or not can_preview_personal_data(user):
            data["address"] = MASK
        return data


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "campaign",
            "campaign_name",
            "run_id",
            "activity_key",
            "activity_label",
            "channel",
            "category",
            "configuration",
            "status",
            "targeted",
            "excluded",
            "is_proof",
            "created_at",
            "deadline_at",
            "finished_at",
        ]


class ReportQuery(serializers.Serializer):
    campaign = serializers.IntegerField(required=False)
    run = serializers.IntegerField(required=False)
    activity_key = serializers.CharField(required=False)
    delivery = serializers.IntegerField(required=False)


class SmsLengthInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=5000)


class ProofInput(serializers.Serializer):
    run = serializers.IntegerField()
    activity_key = serializers.CharField(max_length=63)
    recipient_keys = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=10)
    addresses = serializers.ListField(
        child=serializers.CharField(max_length=254), min_length=1, max_length=10
    )

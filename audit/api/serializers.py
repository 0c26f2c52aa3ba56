from rest_framework import serializers

from audit.models import DomainEvent


class DomainEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DomainEvent
        fields = [
            "id",
            "at",
            "kind",
            "actor",
            "actor_name",
            "campaign",
            "campaign_name",
            "object_type",
            "object_id",
            "object_repr",
            "message",
            "data",
            "changes",
        ]
        read_only_fields = fields

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework import serializers

from accounts.services import SHAREABLE_ACTIONS
from campaigns.models import Campaign


class CampaignSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "description", "owner", "status", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "status", "created_at", "updated_at"]


class ShareSerializer(serializers.Serializer):
    actions = serializers.ListField(child=serializers.ChoiceField(choices=SHAREABLE_ACTIONS), min_length=1)
    users = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all(), many=True, required=False
    )
    groups = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), many=True, required=False
    )

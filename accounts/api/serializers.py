from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.profiles import ProductProfile


class UserSerializer(serializers.ModelSerializer):
    profiles = serializers.ListField(
        source="profile_names", child=serializers.ChoiceField(choices=[p.value for p in ProductProfile])
    )

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_active", "profiles"]
        read_only_fields = ["id", "username"]


class ProfilesInputSerializer(serializers.Serializer):
    profiles = serializers.ListField(child=serializers.ChoiceField(choices=[p.value for p in ProductProfile]))

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.services import object_share
from api.permissions import requires
from api.viewsets import RestrictedModelViewSet
from campaigns.api.serializers import CampaignSerializer, ShareSerializer
from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_delete, campaign_update


class CampaignFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")
    owner_id = filters.NumberFilter(field_name="owner_id")
    owner = filters.CharFilter(field_name="owner__username")

    class Meta:
        model = Campaign
        fields = {"status": ["exact", "in"]}


class CampaignViewSet(RestrictedModelViewSet):
    """Campaigns the user may see; writes go through campaigns.services."""

    base_queryset = Campaign.objects.select_related("owner")
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet
    ordering_fields = ["name", "created_at", "updated_at", "status"]

    def perform_create(self, serializer):
        serializer.instance = campaign_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = campaign_update(
            actor=self.request.user, campaign=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        campaign_delete(actor=self.request.user, campaign=instance)

    @extend_schema(request=ShareSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    @requires("share")
    def share(self, request, pk=None):
        campaign = self.get_object()
        data = ShareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        object_share(
            actor=request.user,
            obj=campaign,
            actions=data.validated_data["actions"],
            users=data.validated_data.get("users", []),
            groups=data.validated_data.get("groups", []),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

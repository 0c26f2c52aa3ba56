from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.services import object_share
from api.errors import Conflict
from api.permissions import requires
from api.viewsets import RestrictedModelViewSet
from campaigns import selectors
from campaigns.activities import registry
from campaigns.api.serializers import (
    CampaignSerializer,
    GraphSerializer,
    RunDetailSerializer,
    RunPreviewQuery,
    RunPreviewSerializer,
    RunSerializer,
    RunStartSerializer,
    ShareSerializer,
)
from campaigns.exceptions import StaleGraph
from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_delete, campaign_update
from campaigns.services import runs as run_services
from campaigns.services.graph import campaign_graph_replace, graph_document

RUN_COMMANDS = {
    "stop": run_services.run_stop,
    "pause": run_services.run_pause,
    "resume": run_services.run_resume,
    "restart": run_services.run_restart,
}


class CampaignFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")
    owner_id = filters.NumberFilter(field_name="owner_id")
    owner = filters.CharFilter(field_name="owner__username")

    class Meta:
        model = Campaign
        fields = {"status": ["exact", "in"]}


class CampaignViewSet(RestrictedModelViewSet):
    """Campaigns the user may see; writes go through campaigns.services.

    The graph is one document (``graph/``); runs, their commands and working-table previews hang
    below a campaign, so every run read and command is checked against the campaign itself.
    """

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

    # --- the graph document ----------------------------------------------------------------------------
    @extend_schema(responses=GraphSerializer)
    @action(detail=True, methods=["get"])
    @requires("view")
    def graph(self, request, pk=None):
        return Response(graph_document(self.get_object()))

    @extend_schema(request=GraphSerializer, responses=GraphSerializer)
    @graph.mapping.put
    @requires("change")
    def graph_replace(self, request, pk=None):
        campaign = self.get_object()
        data = GraphSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = data.validated_data
        try:
            campaign = campaign_graph_replace(
                actor=request.user, campaign=campaign, document=document, version=document["version"]
            )
        except StaleGraph as exc:
            raise Conflict() from exc
        return Response(graph_document(campaign))

    @extend_schema(
        responses=inline_serializer(
            "ActivityType",
            {
                "key": serializers.CharField(),
                "label": serializers.CharField(),
                "category": serializers.CharField(),
                "min_inputs": serializers.IntegerField(),
                "max_inputs": serializers.IntegerField(allow_null=True),
                "live_only": serializers.BooleanField(),
            },
            many=True,
        )
    )
    @action(
        detail=False, methods=["get"], url_path="activity-types", pagination_class=None, filter_backends=[]
    )
    @requires("view")
    def activity_types(self, request):
        """The palette: every registered activity type with its inputs and category."""
        return Response(
            [
                {
                    "key": key,
                    "label": str(t.label),
                    "category": t.category,
                    "min_inputs": t.min_inputs,
                    "max_inputs": t.max_inputs,
                    "live_only": t.live_only,
                }
                for key, t in registry.all_types().items()
            ]
        )

    # --- runs ------------------------------------------------------------------------------------------
    @extend_schema(responses=RunSerializer(many=True))
    @action(detail=True, methods=["get"])
    @requires("view")
    def runs(self, request, pk=None):
        campaign = self.get_object()
        runs = selectors.run_list(actor=request.user, campaign=campaign)
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(RunSerializer(page, many=True).data)

    @extend_schema(request=RunStartSerializer, responses={201: RunSerializer})
    @runs.mapping.post
    @requires("view")
    def run_start(self, request, pk=None):
        campaign = self.get_object()
        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = run_services.run_start(actor=request.user, campaign=campaign, **data.validated_data)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    def _run(self, request, run_id):
        try:
            return selectors.run_get(actor=request.user, campaign=self.get_object(), run_id=int(run_id))
        except ObjectDoesNotExist as exc:
            raise Http404 from exc

    @extend_schema(responses=RunDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"runs/(?P<run_id>[0-9]+)", url_name="run-detail")
    @requires("view")
    def run_detail(self, request, pk=None, run_id=None):
        return Response(RunDetailSerializer(self._run(request, run_id)).data)

    @extend_schema(request=None, responses=RunSerializer, operation_id="v1_campaigns_runs_command")
    @action(
        detail=True,
        methods=["post"],
        url_path=r"runs/(?P<run_id>[0-9]+)/(?P<command>stop|pause|resume|restart)",
        url_name="run-command",
    )
    @requires("view")
    def run_command(self, request, pk=None, run_id=None, command=None):
        run = RUN_COMMANDS[command](actor=request.user, run=self._run(request, run_id))
        return Response(RunSerializer(run).data)

    @extend_schema(parameters=[RunPreviewQuery], responses=RunPreviewSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"runs/(?P<run_id>[0-9]+)/results/(?P<result_id>[0-9]+)/preview",
        url_name="run-preview",
    )
    @requires("view")
    def run_preview(self, request, pk=None, run_id=None, result_id=None):
        query = RunPreviewQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        run = self._run(request, run_id)
        result = run.results.filter(pk=result_id).first()
        if result is None:
            raise Http404
        preview = selectors.transition_result_preview(
            actor=request.user, result=result, limit=query.validated_data.get("limit")
        )
        return Response(preview)

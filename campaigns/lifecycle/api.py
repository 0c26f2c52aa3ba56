"""Lifecycle routes below /api/v1/campaigns/{id}/: review, publish and status actions, versions with
their differences, schedule and its preview, triggers, held sends, launches and the history.

Every route names the profile action it needs (``requires``); the services check it again.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from accounts.permissions import can, restrict
from api.permissions import ProfilePermission, requires
from audit.api.serializers import DomainEventSerializer
from audit.api.views import DomainEventFilterSet
from audit.models import DomainEvent
from campaigns.lifecycle import holds, launches, pins, services
from campaigns.lifecycle import serializers as s
from campaigns.lifecycle.selectors import version_changes
from campaigns.models import Campaign, CampaignVersion, Launch
from campaigns.schedules import services as schedules

STATUS_ACTIONS = {
    "pause": ("publish", services.campaign_pause),
    "resume": ("publish", services.campaign_resume),
    "close": ("publish", services.campaign_close),
    "stop": ("publish", services.campaign_stop),
    "back-to-draft": ("publish", services.campaign_back_to_draft),
    "archive": ("delete", services.campaign_archive),
}


class TriggerThrottle(UserRateThrottle):
    """Trigger requests per user (``DEFAULT_THROTTLE_RATES["trigger"]``), counted in the shared cache
    before any work; the campaign's own minimum interval between live triggers is checked after."""

    scope = "trigger"


def _status_body(campaign: Campaign) -> dict:
    campaign.refresh_from_db(fields=["status"])
    return {"id": campaign.pk, "name": campaign.name, "status": campaign.status}


class CampaignLifecycleViewSet(viewsets.GenericViewSet):
    """Campaign governance. Objects the user may not see are 404; actions they may not do, 403."""

    permission_classes = [ProfilePermission]
    serializer_class = s.CampaignStatusSerializer
    queryset = Campaign.objects.none()  # for the schema; get_queryset restricts the real one

    def get_queryset(self):
        return restrict(self.request.user, "view", Campaign.objects.select_related("owner"))

    def _comment(self, request) -> str:
        data = s.CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["comment"]

    # --- review and publish ------------------------------------------------------------------------
    @extend_schema(request=s.CommentSerializer, responses={201: s.VersionSerializer})
    @action(detail=True, methods=["post"], url_path="request-approval", url_name="request-approval")
    @requires("request_approval")
    def request_approval(self, request, pk=None):
        version = services.campaign_request_approval(
            actor=request.user, campaign=self.get_object(), comment=self._comment(request)
        )
        return Response(s.VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CommentSerializer, responses=s.VersionSerializer)
    @action(detail=True, methods=["post"])
    @requires("approve")
    def approve(self, request, pk=None):
        version = services.campaign_approve(
            actor=request.user, campaign=self.get_object(), comment=self._comment(request)
        )
        return Response(s.VersionSerializer(version).data)

    @extend_schema(request=s.CommentSerializer, responses=s.VersionSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes", url_name="request-changes")
    @requires("approve")
    def request_changes(self, request, pk=None):
        version = services.campaign_request_changes(
            actor=request.user, campaign=self.get_object(), comment=self._comment(request)
        )
        return Response(s.VersionSerializer(version).data)

    @extend_schema(request=None, responses=s.CampaignStatusSerializer)
    @action(detail=True, methods=["post"])
    @requires("publish")
    def publish(self, request, pk=None):
        campaign = services.campaign_publish(actor=request.user, campaign=self.get_object())
        return Response(_status_body(campaign))

    @extend_schema(request=None, responses=s.CampaignStatusSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"lifecycle/(?P<command>pause|resume|close|stop|back-to-draft|archive)",
        url_name="lifecycle",
    )
    @requires("view")
    def lifecycle(self, request, pk=None, command=None):
        """Status actions (the table in campaigns/README.md says who may do which)."""
        needed, service = STATUS_ACTIONS[command]
        campaign = self.get_object()
        if not can(request.user, needed, campaign):
            raise exceptions.PermissionDenied()
        campaign = service(actor=request.user, campaign=campaign)
        return Response(_status_body(campaign))

    @extend_schema(request=s.DuplicateSerializer, responses={201: s.CampaignStatusSerializer})
    @action(detail=True, methods=["post"])
    @requires("view")
    def duplicate(self, request, pk=None):
        data = s.DuplicateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        copy = services.campaign_duplicate(
            actor=request.user, campaign=self.get_object(), name=data.validated_data["name"] or None
        )
        return Response(_status_body(copy), status=status.HTTP_201_CREATED)

    # --- versions --------------------------------------------------------------------------------------
    @extend_schema(responses=s.VersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    @requires("view")
    def versions(self, request, pk=None):
        versions = (
            CampaignVersion.objects.filter(campaign=self.get_object())
            .select_related("requested_by", "reviewed_by", "published_by")
            .order_by("-number")
        )
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(s.VersionSerializer(page, many=True).data)

    @extend_schema(responses=s.VersionDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)", url_name="version-detail")
    @requires("view")
    def version_detail(self, request, pk=None, number=None):
        try:
            version = CampaignVersion.objects.get(campaign=self.get_object(), number=int(number))
        except ObjectDoesNotExist as exc:
            raise Http404 from exc
        version.changes = version_changes(version)
        version.document = pins.document_for(request.user, version.document)  # private pins hidden
        return Response(s.VersionDetailSerializer(version).data)

    # --- schedule ----------------------------------------------------------------------------------------
    @extend_schema(responses=s.ScheduleSerializer)
    @action(detail=True, methods=["get"])
    @requires("view")
    def schedule(self, request, pk=None):
        return Response(
            s.ScheduleSerializer(schedules.schedule_as_dict(schedules.schedule_get(self.get_object()))).data
        )

    @extend_schema(request=s.ScheduleSerializer, responses=s.ScheduleSerializer)
    @schedule.mapping.put
    @requires("change")
    def schedule_replace(self, request, pk=None):
        data = s.ScheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = schedules.schedule_save(
            actor=request.user, campaign=self.get_object(), data=data.validated_data
        )
        return Response(s.ScheduleSerializer(schedules.schedule_as_dict(saved)).data)

    @extend_schema(responses=s.PreviewTimeSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="schedule/preview",
        url_name="schedule-preview",
        pagination_class=None,  # the next few firings, one short list
    )
    @requires("view")
    def schedule_preview(self, request, pk=None):
        schedule = schedules.schedule_get(self.get_object())
        return Response(
            s.PreviewTimeSerializer(schedules.schedule_preview(schedule=schedule), many=True).data
        )

    # --- triggers, launches and held sends ------------------------------------------------------------
    @extend_schema(
        request=s.TriggerSerializer,
        responses={201: s.TriggerResultSerializer, 409: s.TriggerResultSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    @action(
        detail=True,
        methods=["post"],
        throttle_classes=[TriggerThrottle],
    )
    @requires("publish")
    def trigger(self, request, pk=None):
        campaign = self.get_object()
        data = s.TriggerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            code, body = launches.campaign_trigger(
                actor=request.user,
                campaign=campaign,
                variables=data.validated_data["variables"],
                idempotency_key=request.headers.get("Idempotency-Key", ""),
            )
        except launches.TooSoon as exc:
            raise exceptions.Throttled(wait=exc.retry_after) from None
        return Response(body, status=code)

    @extend_schema(responses=s.LaunchSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="launches", url_name="launches")
    @requires("view")
    def launch_list(self, request, pk=None):
        rows = Launch.objects.filter(campaign=self.get_object()).select_related("version", "actor")
        page = self.paginate_queryset(rows.order_by("-created_at", "-id"))
        return self.get_paginated_response(s.LaunchSerializer(page, many=True).data)

    @extend_schema(responses=s.HoldSerializer(many=True))
    @action(detail=True, methods=["get"])
    @requires("view")
    def holds(self, request, pk=None):
        page = self.paginate_queryset(holds.held_tasks(campaign=self.get_object()).order_by("id"))
        return self.get_paginated_response(s.HoldSerializer(page, many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True, methods=["post"], url_path=r"holds/(?P<task_id>[0-9]+)/confirm", url_name="hold-confirm"
    )
    @requires("confirm_send")
    def hold_confirm(self, request, pk=None, task_id=None):
        task = holds.held_tasks(campaign=self.get_object()).filter(pk=int(task_id)).first()
        if task is None:
            raise Http404
        holds.send_confirm(actor=request.user, task=task)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- history ------------------------------------------------------------------------------------------
    @extend_schema(responses=DomainEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    @requires("view")
    def history(self, request, pk=None):
        """The campaign's timeline: lifecycle actions, run commands, launches and every change."""
        campaign = self.get_object()
        params = request.query_params.copy()
        unknown = sorted(set(params) - set(DomainEventFilterSet.base_filters) - {"limit", "offset"})
        if unknown:
            raise exceptions.ValidationError({name: ["Unknown query parameter."] for name in unknown})
        events = restrict(request.user, "view", DomainEvent.objects.filter(campaign_id=campaign.pk))
        filtered = DomainEventFilterSet(params, queryset=events)
        if not filtered.is_valid():
            raise exceptions.ValidationError(filtered.errors)
        page = self.paginate_queryset(filtered.qs.order_by("-at", "-id"))
        return self.get_paginated_response(DomainEventSerializer(page, many=True).data)


def register(router) -> None:
    router.register("campaigns", CampaignLifecycleViewSet, basename="campaign-lifecycle")

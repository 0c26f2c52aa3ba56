"""The audit trail through the API: read-only, filtered, ordered, paginated."""

from __future__ import annotations

from django_filters import rest_framework as filters

from api.viewsets import RestrictedModelViewSet
from audit.api.serializers import DomainEventSerializer
from audit.models import DomainEvent
from audit.selectors import events_visible


class DomainEventFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="message", lookup_expr="icontains")
    campaign_id = filters.NumberFilter(field_name="campaign_id")
    campaign = filters.CharFilter(field_name="campaign_name")
    actor_id = filters.NumberFilter(field_name="actor_id")
    actor = filters.CharFilter(field_name="actor_name")
    kind_prefix = filters.CharFilter(field_name="kind", lookup_expr="startswith")
    at_after = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    at_before = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = DomainEvent
        fields = {"kind": ["exact"], "object_type": ["exact"], "object_id": ["exact"]}


class AuditEventViewSet(RestrictedModelViewSet):
    """Every recorded change and action (who, when, the difference). Nobody edits it."""

    base_queryset = DomainEvent.objects.all()
    serializer_class = DomainEventSerializer
    filterset_class = DomainEventFilterSet
    ordering_fields = ["at", "kind", "id"]
    ordering = ["-at", "-id"]
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        # Events of private saved filters and audiences only for those who may see them.
        return events_visible(self.request.user, super().get_queryset())


def register(router) -> None:
    router.register("audit-events", AuditEventViewSet, basename="audit-event")

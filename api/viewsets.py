"""Base viewsets: querysets pass through restrict(), permissions through the profile policy."""

from __future__ import annotations

from rest_framework import viewsets

from accounts.permissions import restrict
from api.permissions import ProfilePermission


class RestrictedQuerysetMixin:
    """Subclasses set ``base_queryset``; ``get_queryset`` restricts it to what the user may view."""

    base_queryset = None
    permission_classes = [ProfilePermission]

    def get_queryset(self):
        if self.base_queryset is None:
            raise AssertionError(f"{type(self).__name__} must set base_queryset")
        return restrict(self.request.user, "view", self.base_queryset.all())


class RestrictedModelViewSet(RestrictedQuerysetMixin, viewsets.ModelViewSet):
    """List, retrieve, create, update and delete, each checked against the user's profiles."""


class RestrictedReadOnlyModelViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve (plus the actions a subclass declares): no create, update or delete route
    exists, so the OpenAPI document lists none that would only answer 405."""

"""Base viewset: querysets pass through restrict(), permissions through the profile policy."""

from __future__ import annotations

from rest_framework import viewsets

from accounts.permissions import restrict
from api.permissions import ProfilePermission


class RestrictedModelViewSet(viewsets.ModelViewSet):
    """Subclasses set ``base_queryset``; ``get_queryset`` restricts it to what the user may view."""

    base_queryset = None
    permission_classes = [ProfilePermission]

    def get_queryset(self):
        if self.base_queryset is None:
            raise AssertionError(f"{type(self).__name__} must set base_queryset")
        return restrict(self.request.user, "view", self.base_queryset.all())

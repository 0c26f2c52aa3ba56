"""The admin's gate: every ModelAdmin of the platform extends RestrictedModelAdmin.

Changelists show ``restrict(user, "view")``; the add, change and delete buttons and pages follow
the product-profile policy, per object. Admin code never decides permissions itself.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.permissions import can, can_model, restrict


class RestrictedModelAdmin(admin.ModelAdmin):
    """Each answer is the policy's AND the parent admin's: it can only narrow what Django allows."""

    def get_queryset(self, request):
        return restrict(request.user, "view", super().get_queryset(request))

    def has_module_permission(self, request) -> bool:
        return can_model(request.user, "view", self.model) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request, "view", obj) and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return can_model(request.user, "add", self.model) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request, "change", obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request, "delete", obj) and super().has_delete_permission(request, obj)

    def _allowed(self, request, action: str, obj) -> bool:
        if obj is None:
            return can_model(request.user, action, self.model)
        return can(request.user, action, obj)


class ReadOnlyModelAdmin(RestrictedModelAdmin):
    """For rows only the platform writes (runs, logs, events)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

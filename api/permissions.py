"""DRF permission classes that defer to accounts.permissions (one source of truth)."""

from __future__ import annotations

from rest_framework import permissions

from accounts.permissions import can, can_model

# The action a request needs, by viewset action (custom @actions declare ``required_action``).
VIEWSET_ACTIONS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def required_action(view) -> str | None:
    action = getattr(view, "action", None)
    kwargs = getattr(view, "action_kwargs", None) or {}
    func = getattr(view, action, None) if action else None
    declared = getattr(func, "required_action", None) or kwargs.get("required_action")
    return declared or VIEWSET_ACTIONS.get(action or "")


class ProfilePermission(permissions.BasePermission):
    """Model-level: the user's profiles allow the action on some rows. Object-level: on this row.

    Lists are narrowed by ``get_queryset`` through ``restrict()``; objects a user may not even see
    are 404 there, objects they see but may not act on are 403 here.
    """

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        method = request.method.lower()
        action_map = getattr(view, "action_map", None)
        if action_map is not None and method not in action_map and not hasattr(view, method):
            return True  # a method the route does not have: nothing runs, DRF answers 405
        action = required_action(view)
        model = view.get_queryset().model
        return action is not None and can_model(request.user, action, model)

    def has_object_permission(self, request, view, obj) -> bool:
        action = required_action(view)
        return action is not None and can(request.user, action, obj)


def requires(action: str):
    """Mark a custom viewset @action with the profile action it needs."""

    def decorate(func):
        func.required_action = action
        return func

    return decorate

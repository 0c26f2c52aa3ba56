"""The audit trail of accounts (issue 12 §6): one function per event, each writing one
``audit.DomainEvent`` about a user or a token, with who did it. Passwords and token keys never appear;
these events are listed only to users who may see users (``audit.selectors``)."""

from __future__ import annotations

from audit.models import DomainEvent

USER_TYPE = "accounts.user"
TOKEN_TYPE = "authtoken.token"  # noqa: S105 (an object type, not a password)
# Fields of a user whose change is told with old and new values (never the password hash).
TOLD_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")


def _event(
    kind: str, *, actor, user, object_type: str = USER_TYPE, message: str = "", changes=None, data=None
):
    acting = actor if actor is not None and getattr(actor, "pk", None) else None
    return DomainEvent.objects.create(
        kind=kind,
        actor=acting,
        actor_name=acting.get_username() if acting else "",
        object_type=object_type,
        object_id=str(user.pk),
        object_repr=user.get_username()[:300],
        message=message,
        changes=changes or [],
        data=data or {},
    )


def user_created_event(*, actor, user, profiles=()):
    return _event("user.created", actor=actor, user=user, data={"profiles": sorted(str(p) for p in profiles)})


def user_changed_event(*, actor, user, changes: list[dict]):
    """``changes``: ``{"field", "old", "new"}``; a password change is told without its values."""
    if changes:
        return _event("user.changed", actor=actor, user=user, changes=changes)
    return None


def user_profiles_changed_event(*, actor, user, before, after):
    before, after = sorted(str(p) for p in before), sorted(str(p) for p in after)
    if before != after:
        changes = [{"field": "profiles", "old": before, "new": after}]
        return _event("user.profiles_changed", actor=actor, user=user, changes=changes)
    return None


def user_deleted_event(*, actor, user):
    return _event("user.deleted", actor=actor, user=user)


def token_created_event(*, actor, user, how: str):
    """An API token made for ``user`` (``how``: ``api`` for the token endpoint, ``admin``)."""
    return _event("token.created", actor=actor, user=user, object_type=TOKEN_TYPE, data={"how": how})


def field_changes(before: dict, after) -> list[dict]:
    """The told fields that differ between ``before`` (values) and the saved ``after`` user."""
    changes = []
    for name in TOLD_FIELDS:
        old, new = before.get(name), getattr(after, name, None)
        if old != new:
            changes.append({"field": name, "old": old, "new": new})
    return changes


def told_values(user) -> dict:
    return {name: getattr(user, name, None) for name in TOLD_FIELDS}

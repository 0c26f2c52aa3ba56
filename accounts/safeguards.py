"""Rules that keep the platform administrable (issue 12 §6): the last active Administrator cannot be
demoted, deactivated or deleted, and nobody removes their own Administrator profile, deactivates or
deletes themselves by accident. The admin and the API both ask these checks before writing; each
refusal is a ``ValidationError`` naming the field, with a message that says what to do instead.

The other active Administrators are counted with their rows locked (``FOR UPDATE`` on PostgreSQL), so
two Administrators demoting each other at the same moment cannot leave none."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.profiles import ProductProfile

ADMINISTRATOR = ProductProfile.ADMINISTRATOR.value


def is_active_administrator(user) -> bool:
    return bool(user.pk) and user.is_active and user.groups.filter(name=ADMINISTRATOR).exists()


def _others_remain(users: Iterable) -> bool:
    """Whether an active Administrator remains besides ``users`` (rows locked; call in a transaction)."""
    others = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=ADMINISTRATOR)
        .exclude(pk__in=[u.pk for u in users])
        .select_for_update(of=("self",))
    )
    with transaction.atomic():  # a savepoint inside the caller's transaction, which keeps the locks
        return bool(list(others.values_list("pk", flat=True)[:1]))


def _names(profiles: Iterable) -> set[str]:
    return {str(getattr(p, "value", p)) for p in profiles}


def check_profiles(*, actor, user, profiles: Iterable, field: str = "profiles") -> None:
    """Refuse taking the Administrator profile from oneself, or from the last active Administrator."""
    if ADMINISTRATOR in _names(profiles) or not user.groups.filter(name=ADMINISTRATOR).exists():
        return
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(
            {field: _("You cannot remove your own Administrator profile; ask another Administrator.")}
        )
    if user.is_active and not _others_remain([user]):
        raise ValidationError(
            {
                field: _("%(user)s is the last active Administrator: give the profile to someone else first.")
                % {"user": user.get_username()}
            }
        )


def check_active(*, actor, user, active: bool, field: str = "is_active") -> None:
    """Refuse deactivating oneself, or the last active Administrator."""
    if active or not user.is_active:
        return
    if actor is not None and actor.pk == user.pk:
        raise ValidationError({field: _("You cannot deactivate your own account.")})
    if is_active_administrator(user) and not _others_remain([user]):
        raise ValidationError(
            {
                field: _("%(user)s is the last active Administrator and cannot be deactivated.")
                % {"user": user.get_username()}
            }
        )


def delete_problems(*, actor, users: Iterable) -> list[str]:
    """Why these users cannot be deleted together (empty: they can): oneself, or every active
    Administrator left."""
    users = list(users)
    problems = []
    if actor is not None and any(u.pk == actor.pk for u in users):
        problems.append(_("You cannot delete your own account."))
    if any(is_active_administrator(u) for u in users) and not _others_remain(users):
        problems.append(_("Deleting would leave no active Administrator: keep at least one."))
    return problems


def check_delete(*, actor, users: Iterable) -> None:
    problems = delete_problems(actor=actor, users=users)
    if problems:
        raise ValidationError(problems)

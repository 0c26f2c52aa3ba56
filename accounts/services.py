"""Writes about users, product profiles and object sharing."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts import events, safeguards
from accounts.permissions import can, direct_permission_models
from accounts.profiles import ProductProfile

# What the owner of a shareable object is given on creation, and what may be shared.
OWNER_ACTIONS = ("view", "change", "delete", "test_run", "request_approval", "share")
SHAREABLE_ACTIONS = ("view", "change", "test_run", "request_approval")


def _perm(model: type[models.Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


@transaction.atomic
def user_set_profiles(*, actor, user, profiles: Iterable[ProductProfile | str]) -> None:
    """Replace the product profiles of ``user``. Only Administrators may do it; the last active
    Administrator keeps the profile, and nobody removes their own (``accounts.safeguards``)."""
    if not can(actor, "change", user):
        raise PermissionDenied(_("Only an Administrator may assign product profiles."))
    wanted = {ProductProfile(p) for p in profiles}
    safeguards.check_profiles(actor=actor, user=user, profiles=wanted)
    before = user_profile_names(user)
    profile_groups = Group.objects.filter(name__in=[p.value for p in ProductProfile])
    user.groups.remove(*profile_groups.exclude(name__in=[p.value for p in wanted]))
    user.groups.add(*profile_groups.filter(name__in=[p.value for p in wanted]))
    if wanted and not user.is_staff:
        user.is_staff = True  # every profile works in the admin
        user.save(update_fields=["is_staff"])
    user._oc_profiles = None
    events.user_profiles_changed_event(actor=actor, user=user, before=before, after=user_profile_names(user))


def user_profile_names(user) -> set[str]:
    """The product profiles ``user`` holds now, read from the database (not a prefetched cache)."""
    return set(user.groups.filter(name__in=[p.value for p in ProductProfile]).values_list("name", flat=True))


@transaction.atomic
def user_create(
    *, username: str, email: str = "", password: str | None = None, profiles=(), actor=None, **extra
):
    user = get_user_model()(username=username, email=email, is_staff=bool(profiles), **extra)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    if profiles:
        groups = Group.objects.filter(name__in=[ProductProfile(p).value for p in profiles])
        user.groups.add(*groups)
    events.user_created_event(actor=actor, user=user, profiles=[ProductProfile(p).value for p in profiles])
    return user


def object_grant_owner(*, owner, obj: models.Model) -> None:
    """Give the creator of ``obj`` its owner rights (called inside the creating service's transaction)."""
    defined = {codename for codename, _label in type(obj)._meta.permissions} | {
        f"{action}_{type(obj)._meta.model_name}" for action in type(obj)._meta.default_permissions
    }
    for action in OWNER_ACTIONS:
        if f"{action}_{type(obj)._meta.model_name}" in defined:  # e.g. no test_run on a saved filter
            assign_perm(_perm(type(obj), action), owner, obj)


@transaction.atomic
def object_share(*, actor, obj: models.Model, actions: Iterable[str], users=(), groups=()) -> None:
    """Share ``obj`` with users or groups for the given actions. Owners and Administrators only."""
    if direct_permission_models(type(obj)) is None:
        raise ValidationError({"object": _("This kind of object cannot be shared.")})
    if not can(actor, "share", obj):
        raise PermissionDenied(_("Only the owner or an Administrator may share this object."))
    actions = list(actions)
    unknown = sorted(set(actions) - set(SHAREABLE_ACTIONS))
    if unknown:
        raise ValidationError({"actions": _("Unknown or unshareable actions: %s") % ", ".join(unknown)})
    for action in actions:
        for principal in [*users, *groups]:
            assign_perm(_perm(type(obj), action), principal, obj)


@transaction.atomic
def object_unshare(*, actor, obj: models.Model, actions: Iterable[str], users=(), groups=()) -> None:
    if not can(actor, "share", obj):
        raise PermissionDenied(_("Only the owner or an Administrator may share this object."))
    for action in actions:
        for principal in [*users, *groups]:
            remove_perm(_perm(type(obj), action), principal, obj)

"""One gate for every read and write: ``restrict(user, action, queryset)``.

It fails closed: an anonymous or inactive user, an unknown action, or a model without direct
object-permission tables gets nothing. Model-wide Django permissions never widen an object list
here; the scope comes from the product-profile policy (accounts/profiles.py), and OBJECT scope is
answered by guardian's direct foreign-key permission tables with one indexable query.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from accounts.profiles import ProductProfile, Scope, profiles_of_group_names, scope_for

M = TypeVar("M", bound=models.Model)


def model_label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def user_profiles(user) -> list[ProductProfile]:
    cached = getattr(user, "_oc_profiles", None)
    if cached is None:
        cached = profiles_of_group_names(list(user.groups.values_list("name", flat=True)))
        user._oc_profiles = cached
    return cached


def user_scope(user, action: str, model: type[models.Model]) -> Scope:
    """The widest scope any of the user's profiles gives for ``action`` on ``model``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope.NONE
    if user.is_superuser:
        return Scope.ALL
    label = model_label(model)
    return max((scope_for(p, label, action) for p in user_profiles(user)), default=Scope.NONE)


def direct_permission_models(model: type[models.Model]):
    """Guardian's user and group permission models for ``model`` if they are direct FK models."""
    try:
        user_model = get_user_obj_perms_model(model)
        group_model = get_group_obj_perms_model(model)
    except Exception:  # guardian raises when nothing is registered
        return None
    if user_model.objects.is_generic() or group_model.objects.is_generic():
        return None
    return user_model, group_model


def granted_object_ids(user, action: str, model: type[models.Model]):
    """A subquery of the ids of ``model`` rows on which ``user`` holds ``action``, directly or by group."""
    pair = direct_permission_models(model)
    if pair is None:
        return None
    user_model, group_model = pair
    codename = f"{action}_{model._meta.model_name}"
    by_user = user_model.objects.filter(user=user, permission__codename=codename).values("content_object_id")
    by_group = group_model.objects.filter(
        group__in=user.groups.all(), permission__codename=codename
    ).values("content_object_id")
    return by_user.union(by_group)


def restrict(user, action: str, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """Narrow ``queryset`` to the rows ``user`` may ``action``. Never widens; fails closed."""
    scope = user_scope(user, action, queryset.model)
    if scope is Scope.ALL:
        return queryset
    if scope is Scope.OBJECT:
        ids = granted_object_ids(user, action, queryset.model)
        if ids is not None:
            visible = visibility_q(user, action, queryset.model)
            granted = models.Q(pk__in=ids)
            return queryset.filter(granted | visible if visible is not None else granted)
    return queryset.none()


def visibility_q(user, action: str, model: type[models.Model]) -> models.Q | None:
    """Rows a model opens to every user with OBJECT scope besides granted ones (e.g. shared saved filters).

    A model opts in by declaring ``visibility_filter(user, action) -> Q | None``; anything else than a
    ``Q`` (or a model without the hook) opens nothing: fail closed.
    """
    hook = getattr(model, "visibility_filter", None)
    if hook is None:
        return None
    found = hook(user, action)
    return found if isinstance(found, models.Q) else None


def can(user, action: str, obj: models.Model) -> bool:
    """Whether ``user`` may ``action`` on this one object (one query at most)."""
    scope = user_scope(user, action, type(obj))
    if scope is Scope.ALL:
        return True
    if scope is Scope.NONE:
        return False
    return restrict(user, action, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can_model(user, action: str, model: type[models.Model]) -> bool:
    """Whether ``user`` may ``action`` on at least some rows of ``model`` (drives admin buttons)."""
    return user_scope(user, action, model) > Scope.NONE


def can_preview_personal_data(user) -> bool:
    from django.contrib.auth import get_user_model

    return user_scope(user, "preview_personal_data", get_user_model()) is Scope.ALL

"""Saved filters (predefined, parameterised rules) and audiences (named populations of a dimension).

Both are owned, private or shared, and shared further through guardian's direct foreign-key permission
tables. A private object is seen only by its owner, whoever it was shared with, and Administrators:
``visibility_filter`` is the hook ``accounts.permissions.restrict()`` reads for OBJECT scope.
Rows are written only by ``audiences.saved.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.names import DisplayNamed
from audiences.catalog.models import TargetingDimension


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Private (owner and people it is shared with)")
    SHARED = "shared", _("Shared (everyone who may read audiences)")


class _Owned(DisplayNamed, models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    dimension = models.ForeignKey(
        TargetingDimension, verbose_name=_("targeting dimension"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_filter(cls, user, action: str) -> models.Q | None:
        """Rows everyone with OBJECT scope may ``action`` besides those granted: shared ones, for reading."""
        return models.Q(visibility=Visibility.SHARED) if action == "view" else None


class SavedFilter(_Owned):
    """A named rule on a dimension with declared parameters ``[{"name", "type", "label", "default"}]``.

    Applying it with parameter values gives a rule; editing that rule never changes the saved filter.
    """

    rule = models.JSONField(_("rule"))
    parameters = models.JSONField(_("parameters"), default=list, blank=True)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name", "id"]
        permissions = [("share_savedfilter", _("Can share the saved filter with users or groups"))]


class SavedFilterFavourite(models.Model):
    """A user's favourite saved filter (shown first in their lists)."""

    saved_filter = models.ForeignKey(SavedFilter, on_delete=models.CASCADE, related_name="favourites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("favourite saved filter")
        verbose_name_plural = _("favourite saved filters")
        constraints = [
            models.UniqueConstraint(fields=["saved_filter", "user"], name="audiences_favourite_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.saved_filter_id}"


class AudienceKind(models.TextChoices):
    STATIC = "static", _("Static (stored members)")
    RULE = "rule", _("Rule-based (evaluated when used)")


class AudienceSource(models.TextChoices):
    RULE = "rule", _("A rule evaluated once")
    UPLOAD = "upload", _("An uploaded list of keys")
    CAMPAIGN = "campaign", _("A campaign's Save audience")


class Audience(_Owned):
    """A named population of a dimension.

    A static audience stores its members' keys in its own table ``oc_aud_<id>`` (one column per key
    field of the dimension), written set-based with CREATE TABLE AS; a rule-based one is its rule.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=AudienceKind.choices)
    source = models.CharField(_("source"), max_length=10, choices=AudienceSource.choices, blank=True)
    rule = models.JSONField(_("rule"), null=True, blank=True)
    member_count = models.BigIntegerField(_("member count"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")
        ordering = ["name", "id"]
        permissions = [("share_audience", _("Can share the audience with users or groups"))]

    @property
    def members_table_name(self) -> str:
        return f"oc_aud_{int(self.pk)}"


class SavedFilterUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(SavedFilter, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("saved filter user permission")


class SavedFilterGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(SavedFilter, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("saved filter group permission")


class AudienceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Audience, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("audience user permission")


class AudienceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Audience, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("audience group permission")

"""Product profiles: Administrator, Approver, Manager, Viewer.

Each profile is a Django group. What a profile may do is written once, here, as a policy of
(model, action) -> scope. ``restrict()`` reads the scope; the group's Django permissions are derived
from the same policy so the admin shows the right modules. Nothing else decides who may do what.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


class ProductProfile(enum.StrEnum):
    ADMINISTRATOR = "Administrator"
    APPROVER = "Approver"
    MANAGER = "Manager"
    VIEWER = "Viewer"

    @property
    def label(self) -> str:
        return str(PROFILE_LABELS[self])


PROFILE_LABELS = {
    ProductProfile.ADMINISTRATOR: _("Administrator"),
    ProductProfile.APPROVER: _("Approver"),
    ProductProfile.MANAGER: _("Manager"),
    ProductProfile.VIEWER: _("Viewer"),
}


class Scope(enum.IntEnum):
    """How much of a model an action reaches. Higher wins when a user holds several profiles."""

    NONE = 0
    OBJECT = 1  # only objects the user (or one of their groups) was granted: owner or shared
    ALL = 2


@dataclass(frozen=True)
class Rule:
    profile: ProductProfile
    models: tuple[str, ...]  # "app_label.model", "app_label.*" or "*"
    actions: tuple[str, ...]  # action names, or "*"
    scope: Scope

    def matches(self, profile: ProductProfile, model_label: str, action: str) -> bool:
        if profile != self.profile:
            return False
        app_label = model_label.split(".", 1)[0]
        model_ok = "*" in self.models or model_label in self.models or f"{app_label}.*" in self.models
        return model_ok and ("*" in self.actions or action in self.actions)


READ = ("view",)
# The platform's own apps. Non-administrators reach nothing outside them (sessions, logs, tokens...).
PRODUCT = ("campaigns.*", "audiences.*", "oc_channels.*", "audit.*")
# Groups are read by everyone (to share with a team), changed by Administrators only.
SHARED_READ = ("auth.group",)
CAMPAIGN = ("campaigns.campaign",)
# Saved filters and audiences: private ones are seen by their owner, those they were shared with and
# Administrators (OBJECT scope + the models' ``visibility_filter`` opening shared ones to every reader).
SAVED = ("audiences.savedfilter", "audiences.audience")
# Rules are read top-down; the first that matches a (profile, model, action) decides.
POLICY: tuple[Rule, ...] = (
    # Commands on live runs (runs/{id}/...): Administrators. A live run starts only by publishing.
    Rule(ProductProfile.ADMINISTRATOR, CAMPAIGN, ("run_live",), Scope.ALL),
    Rule(ProductProfile.ADMINISTRATOR, ("*",), ("*",), Scope.ALL),
    # Approver: sees everything, reviews and publishes campaigns, sees personal-data previews.
    Rule(ProductProfile.APPROVER, ("accounts.user",), ("preview_personal_data",), Scope.ALL),
    Rule(ProductProfile.APPROVER, CAMPAIGN, ("view", "approve", "publish", "confirm_send"), Scope.ALL),
    Rule(ProductProfile.APPROVER, SAVED, READ, Scope.OBJECT),
    Rule(ProductProfile.APPROVER, (*PRODUCT, *SHARED_READ), READ, Scope.ALL),
    # Manager: creates campaigns; edits, test-runs and shares only those they own or were given.
    Rule(ProductProfile.MANAGER, CAMPAIGN, ("view", "add"), Scope.ALL),
    Rule(
        ProductProfile.MANAGER,
        CAMPAIGN,
        ("change", "delete", "test_run", "request_approval", "share"),
        Scope.OBJECT,
    ),
    Rule(ProductProfile.MANAGER, SAVED, ("add",), Scope.ALL),
    Rule(ProductProfile.MANAGER, SAVED, ("view", "change", "delete", "share"), Scope.OBJECT),
    Rule(ProductProfile.MANAGER, (*PRODUCT, *SHARED_READ), READ, Scope.ALL),
    # Viewer: reads, reports included; no personal-data previews.
    Rule(ProductProfile.VIEWER, SAVED, READ, Scope.OBJECT),
    Rule(ProductProfile.VIEWER, (*PRODUCT, *SHARED_READ), READ, Scope.ALL),
)


def scope_for(profile: ProductProfile, model_label: str, action: str) -> Scope:
    """The scope one profile gives for one action on one model; NONE when no rule speaks."""
    if model_label.endswith("objectpermission") and profile is not ProductProfile.ADMINISTRATOR:
        return Scope.NONE  # the sharing tables themselves are changed only through services
    for rule in POLICY:
        if rule.matches(profile, model_label, action):
            return rule.scope
    return Scope.NONE


def profiles_of_group_names(names: list[str]) -> list[ProductProfile]:
    known = {p.value: p for p in ProductProfile}
    return [known[n] for n in names if n in known]


def sync_product_profiles(*, group_model, permission_model) -> None:
    """Create the four profile groups and give each the Django permissions its policy implies.

    Idempotent: run by a data migration and again after every migrate, when new models' permissions
    exist. Custom permissions (e.g. ``approve_campaign``) are matched by their action prefix.
    """
    permissions = list(permission_model.objects.select_related("content_type"))
    for profile in ProductProfile:
        group, _created = group_model.objects.get_or_create(name=profile.value)
        wanted = []
        for permission in permissions:
            ct = permission.content_type
            model_label = f"{ct.app_label}.{ct.model}"
            action = permission.codename.removesuffix(f"_{ct.model}")
            if scope_for(profile, model_label, action) > Scope.NONE:
                wanted.append(permission)
        group.permissions.set(wanted)


def sync_after_migrate(sender, using="default", **kwargs) -> None:
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    # Every app's permissions exist only once the last app's post_migrate has started.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    sync_product_profiles(group_model=Group, permission_model=Permission)

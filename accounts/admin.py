from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from accounts.admin_base import RestrictedModelAdmin
from accounts.models import User


@admin.register(User)
class UserAdmin(RestrictedModelAdmin, DjangoUserAdmin):
    """Administrators create users and assign their product profiles (the groups field)."""

    list_display = ["username", "email", "profiles", "is_active", "last_login"]
    list_filter = ["is_active", "groups"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Product profiles"), {"fields": ("groups", "is_active", "is_staff")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("product profiles"))
    def profiles(self, obj: User) -> str:
        return ", ".join(obj.profile_names)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(RestrictedModelAdmin, DjangoGroupAdmin):
    """Groups hold product profiles and sharing teams; only Administrators change them."""


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(RestrictedModelAdmin, DrfTokenAdmin):
    pass


def _restrict_third_party_admins() -> None:
    """Put the job-queue admin pages (django-q2) behind the same gate as ours."""
    from django_q import models as q_models

    for model in (q_models.Schedule, q_models.Success, q_models.Failure, q_models.OrmQ):
        if model not in admin.site._registry:  # the queue page exists only with the ORM broker
            continue
        original = type(admin.site._registry[model])
        admin.site.unregister(model)
        admin.site.register(
            model, type(f"Restricted{original.__name__}", (RestrictedModelAdmin, original), {})
        )


_restrict_third_party_admins()

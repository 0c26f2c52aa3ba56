from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from accounts import events, safeguards, services
from accounts.admin_base import RestrictedModelAdmin
from accounts.models import User
from accounts.profiles import ProductProfile

PROFILE_NAMES = {p.value for p in ProductProfile}


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

    def get_form(self, request, obj=None, **kwargs):
        """The change form refuses, on the field, what ``accounts.safeguards`` refuses: taking the
        Administrator profile from oneself or from the last active Administrator, deactivating them."""
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form
        actor = request.user

        class GuardedForm(form):
            def clean(self):
                cleaned = super().clean()
                user = self.instance  # not yet changed: the form is applied after clean()
                if "groups" in cleaned:
                    profiles = [g.name for g in cleaned["groups"]]
                    self._guard(
                        safeguards.check_profiles, actor=actor, user=user, profiles=profiles, field="groups"
                    )
                if "is_active" in cleaned:
                    self._guard(safeguards.check_active, actor=actor, user=user, active=cleaned["is_active"])
                return cleaned

            def _guard(self, check, **kwargs):
                try:
                    check(**kwargs)
                except ValidationError as error:
                    self.add_error(None, error)

        return GuardedForm

    def save_model(self, request, obj, form, change):
        before = events.told_values(type(obj).objects.get(pk=obj.pk)) if change else None
        obj._oc_profiles_before = services.user_profile_names(obj) if change else set()
        super().save_model(request, obj, form, change)
        if change:
            events.user_changed_event(actor=request.user, user=obj, changes=events.field_changes(before, obj))
        else:
            events.user_created_event(actor=request.user, user=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        events.user_profiles_changed_event(
            actor=request.user,
            user=user,
            before=getattr(user, "_oc_profiles_before", set()),
            after=services.user_profile_names(user),
        )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # saved, redirected to the user
            user = self.get_object(request, id)
            changes = [{"field": "password", "old": None, "new": None}]
            events.user_changed_event(actor=request.user, user=user, changes=changes)
        return response

    def delete_view(self, request, object_id, extra_context=None):
        """Deleting oneself or the last active Administrator: back to the user's page with the reason."""
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self._refused_deletion(request, [obj]):
            return redirect(reverse("admin:accounts_user_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            delete_selected, name, description = actions["delete_selected"]

            def guarded(modeladmin, request, queryset):
                if self._refused_deletion(request, list(queryset)):
                    return None  # back to the list, with the reason
                return delete_selected(modeladmin, request, queryset)

            actions["delete_selected"] = (guarded, name, description)
        return actions

    def _refused_deletion(self, request, users) -> bool:
        problems = safeguards.delete_problems(actor=request.user, users=users)
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)
        return bool(problems)

    def get_deleted_objects(self, objs, request):
        """Deleting oneself or the last active Administrator is refused on the confirmation page
        (shown as what protects the deletion), for one user and for the bulk action alike."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        problems = safeguards.delete_problems(actor=request.user, users=list(objs))
        return deleted, counts, perms_needed, [*protected, *problems]

    def delete_model(self, request, obj):
        safeguards.check_delete(actor=request.user, users=[obj])
        events.user_deleted_event(actor=request.user, user=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        users = list(queryset)
        safeguards.check_delete(actor=request.user, users=users)
        for user in users:
            events.user_deleted_event(actor=request.user, user=user)
        super().delete_queryset(request, queryset)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(RestrictedModelAdmin, DjangoGroupAdmin):
    """Groups hold product profiles and sharing teams; only Administrators change them. The four
    profile groups keep their name and cannot be deleted (every Administrator would lose the profile)."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "name"] if obj is not None and obj.name in PROFILE_NAMES else fields

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        profiles = sorted(group.name for group in objs if group.name in PROFILE_NAMES)
        if profiles:
            protected = [*protected, _("Product profiles cannot be deleted: %s") % ", ".join(profiles)]
        return deleted, counts, perms_needed, protected


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(RestrictedModelAdmin, DrfTokenAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            events.token_created_event(actor=request.user, user=obj.user, how="admin")


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

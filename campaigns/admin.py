"""Admin: campaigns with their graph as inlines (configuration validated by the type's parser), runs
with tasks, transition counts, previews and the log. Every write goes through campaigns.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyModelAdmin, RestrictedModelAdmin
from campaigns import selectors
from campaigns.models import Activity, Campaign, Run, RunEvent, Task, Transition, TransitionResult
from campaigns.services import campaign_create, campaign_delete, campaign_update
from campaigns.services import graph as graph_services
from campaigns.services import runs as run_services


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["key", "type", "label", "config", "enabled", "breakpoint", "x", "y"]

    def clean(self):
        data = super().clean()
        for field, message in graph_services.activity_config_errors(
            data.get("type") or "", data.get("config")
        ):
            self.add_error(field, message)
        return data


class ActivityInline(admin.TabularInline):
    model = Activity
    form = ActivityForm
    extra = 0


class TransitionInline(admin.TabularInline):
    model = Transition
    fk_name = "campaign"
    fields = ["source", "output", "target", "label"]
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("source", "target"):
            campaign_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Activity.objects.filter(campaign_id=campaign_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Campaign)
class CampaignAdmin(RestrictedModelAdmin):
    list_display = ["name", "status", "owner", "graph_version", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "description"]
    list_select_related = ["owner"]
    readonly_fields = ["owner", "status", "graph_version", "graph_problems", "created_at", "updated_at"]
    fields = [
        "name",
        "description",
        "owner",
        "status",
        "graph_version",
        "graph_problems",
        "created_at",
        "updated_at",
    ]
    inlines = [ActivityInline, TransitionInline]
    actions = ["start_test_run"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description=_("graph problems"))
    def graph_problems(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        errors = graph_services.campaign_graph_check(obj)
        return "; ".join(f"{e.path}: {e.message}" for e in errors) or _("None: the graph can run.")

    def save_model(self, request, obj, form, change):
        if change:
            # The form has already copied its data onto obj; the service compares with the stored row.
            stored = Campaign.objects.get(pk=obj.pk)
            campaign_update(actor=request.user, campaign=stored, data=form.cleaned_data)
        else:
            created = campaign_create(actor=request.user, **form.cleaned_data)
            obj.pk = created.pk
            obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        """Inline rows are written one by one through the graph services (which check and validate)."""
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            delete = (
                graph_services.activity_delete
                if isinstance(obj, Activity)
                else graph_services.transition_delete
            )
            kwargs = {"activity" if isinstance(obj, Activity) else "transition": obj}
            delete(actor=request.user, **kwargs)
        for obj in instances:
            obj.campaign = form.instance
            if isinstance(obj, Activity):
                graph_services.activity_save(actor=request.user, activity=obj)
            else:
                graph_services.transition_save(actor=request.user, transition=obj)

    def delete_model(self, request, obj):
        campaign_delete(actor=request.user, campaign=obj)

    def delete_queryset(self, request, queryset):
        for campaign in queryset:
            campaign_delete(actor=request.user, campaign=campaign)

    @admin.action(description=_("Start a test run"))
    def start_test_run(self, request, queryset):
        for campaign in queryset:
            try:
                run = run_services.run_start(actor=request.user, campaign=campaign)
                self.message_user(request, _("Test run #%(id)s started.") % {"id": run.pk})
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{campaign}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )


class TaskInline(admin.TabularInline):
    model = Task
    fields = [
        "activity_key",
        "type",
        "status",
        "input_count",
        "output_count",
        "duration_ms",
        "attempt",
        "message",
        "error",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class TransitionResultInline(TaskInline):
    model = TransitionResult
    fields = ["source_key", "output", "target_key", "activated", "row_count", "dimension", "table_name"]
    readonly_fields = fields


class RunEventInline(TaskInline):
    model = RunEvent
    fields = ["at", "level", "activity_key", "message"]
    readonly_fields = fields


@admin.register(Run)
class RunAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "campaign", "kind", "status", "started_by", "started_at", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["campaign", "started_by"]
    search_fields = ["campaign__name"]
    inlines = [TransitionResultInline, TaskInline, RunEventInline]
    actions = ["stop", "pause", "resume", "restart"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        previews = []
        if run is not None:
            for result in run.results.filter(activated=True).exclude(table_name=""):
                try:
                    previews.append(
                        (
                            result,
                            selectors.transition_result_preview(actor=request.user, result=result, limit=10),
                        )
                    )
                except ValidationError:
                    continue
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "previews": previews}
        )

    def _command(self, request, queryset, command):
        for run in queryset:
            try:
                getattr(run_services, f"run_{command}")(actor=request.user, run=run)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request, f"#{run.pk}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )

    @admin.action(description=_("Stop"))
    def stop(self, request, queryset):
        self._command(request, queryset, "stop")

    @admin.action(description=_("Pause"))
    def pause(self, request, queryset):
        self._command(request, queryset, "pause")

    @admin.action(description=_("Resume"))
    def resume(self, request, queryset):
        self._command(request, queryset, "resume")

    @admin.action(description=_("Restart (test runs)"))
    def restart(self, request, queryset):
        self._command(request, queryset, "restart")


import campaigns.admin_canvas  # noqa: E402, F401  (the canvas and list columns wrap CampaignAdmin)
from campaigns.lifecycle import admin as _lifecycle_admin  # noqa: E402, F401 - review queue, versions (issue 7)

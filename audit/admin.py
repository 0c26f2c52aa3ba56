"""The audit timeline in the admin: read-only for everyone, Administrators included."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyModelAdmin
from audit.models import DomainEvent
from audit.selectors import events_visible


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyModelAdmin):
    list_display = ["at", "kind", "actor_name", "campaign_name", "object_repr", "message"]
    list_filter = ["kind", "object_type"]
    search_fields = ["campaign_name", "object_repr", "message", "actor_name"]
    date_hierarchy = "at"
    fields = [
        "at",
        "kind",
        "actor_name",
        "campaign_name",
        "object_type",
        "object_id",
        "object_repr",
        "message",
        "changes_table",
        "data",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return events_visible(request.user, super().get_queryset(request))

    @admin.display(description=_("difference"))
    def changes_table(self, obj):
        from django.utils.html import format_html_join

        if not obj.changes:
            return "-"
        return format_html_join(
            "\n",
            "<div><b>{}</b>: {} &rarr; {}</div>",
            ((c.get("field") or c.get("path"), c.get("old"), c.get("new")) for c in obj.changes),
        )

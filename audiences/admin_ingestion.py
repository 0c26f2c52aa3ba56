"""Admin for ingestion runs: upload a CSV file (the run is queued on django-q2), follow its progress.

The add form checks the upload through the ingestion service in ``clean()``; saving calls
``ingestion_run_start``. Runs are never edited by hand.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_base import RestrictedModelAdmin
from audiences.catalog.models import Schema, SchemaKind
from audiences.ingestion import services
from audiences.ingestion.models import IngestionOrigin, IngestionRun, IngestionStatus
from audiences.ingestion.selectors import ingestion_reject_list


def parse_mapping(text: str) -> dict[str, str]:
    """``column=field`` per line (or comma-separated) into a mapping."""
    mapping: dict[str, str] = {}
    for part in (p.strip() for line in (text or "").splitlines() for p in line.split(",")):
        if not part:
            continue
        column, sep, field = part.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise ValidationError({"mapping_text": _("Write column=field, one per line.")})
        mapping[column.strip()] = field.strip()
    return mapping


class IngestionRunAddForm(forms.ModelForm):
    mapping_text = forms.CharField(
        label=gettext_lazy("column mapping"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Optional, one per line: CSV column=field. Other columns map by name."),
    )

    class Meta:
        model = IngestionRun
        fields = ["schema", "file", "max_rejects"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schema"].queryset = Schema.objects.filter(kind=SchemaKind.MANAGED)
        self.fields["file"].required = True

    def clean(self):
        data = super().clean()
        data["mapping"] = parse_mapping(data.get("mapping_text", ""))
        if data.get("schema") and data.get("file"):
            services.ingestion_upload_check(
                schema=data["schema"], upload=data["file"], mapping=data["mapping"]
            )
        return data


class IngestionRunAdmin(RestrictedModelAdmin):
    list_display = [
        "id",
        "schema",
        "status",
        "source",
        "origin",
        "inserted",
        "updated",
        "deleted",
        "skipped",
        "rejected",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "source", "origin"]
    list_select_related = ["schema", "created_by"]
    search_fields = ["schema__name", "file_name"]
    readonly_fields = [
        "schema",
        "status",
        "progress",
        "source",
        "origin",
        "file_name",
        "file_size",
        "mapping",
        "max_rejects",
        "inserted",
        "updated",
        "deleted",
        "skipped",
        "rejected",
        "error",
        "log",
        "rejects_preview",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    ordering = ["-created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IngestionRunAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["schema", "file", "mapping_text", "max_rejects"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a run is a record of what happened

    def get_object(self, request, object_id, from_field=None):
        run = super().get_object(request, object_id, from_field)
        if run is not None:
            run._reader = request.user  # whose permission masks personal values in the rejects preview
        return run

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        run = services.ingestion_run_start(
            actor=request.user,
            schema=data["schema"],
            upload=data["file"],
            mapping=data["mapping"],
            max_rejects=data.get("max_rejects"),
            origin=IngestionOrigin.ADMIN,
        )
        obj.pk, obj.schema, obj.file = run.pk, run.schema, run.file

    def save_related(self, request, form, formsets, change):
        pass  # the service saved everything

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, obj) -> str:
        if obj.status in (IngestionStatus.QUEUED, IngestionStatus.RUNNING) and obj.file_size:
            percent = min(100, int(100 * obj.processed_bytes / obj.file_size))
            return format_html(
                '<progress max="100" value="{}"></progress> {}% ({})',
                percent,
                percent,
                _("reload the page to follow it"),
            )
        return _("%(rows)d rows read") % {"rows": obj.processed_rows}

    @admin.display(description=gettext_lazy("rejected values"))
    def rejects_preview(self, obj) -> str:
        rejects = ingestion_reject_list(actor=getattr(obj, "_reader", None), run=obj, limit=20)
        if not rejects:
            return "-"
        url = reverse("ingestion-run-rejects", args=[obj.pk])
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((r["row"], r["column"], r["value"], r["reason"]) for r in rejects),
        )
        return format_html(
            '<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table><a href="{}">{}</a>',
            _("row"),
            _("column"),
            _("value"),
            _("reason"),
            rows,
            url,
            _("Download every rejected value (CSV)"),
        )


admin.site.register(IngestionRun, IngestionRunAdmin)

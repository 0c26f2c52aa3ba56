"""Admin for the data-model catalog. Every write goes through audiences.catalog.services.

Service errors (a name refused, a field in use) roll the request's transaction back and come back as an
error message on the same page: the admin never writes catalog rows itself.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_base import RestrictedModelAdmin
from accounts.permissions import can_model
from api.parsers import JSONInputError, parse_json
from audiences.catalog import services
from audiences.catalog.ddl import ddl_import_confirm, ddl_propose
from audiences.catalog.diagram import diagram_build
from audiences.catalog.models import Field, Link, Schema, TargetingDimension
from audiences.catalog.selectors import link_list, schema_list, schema_row_count

FIELD_SPEC = [
    "name",
    "label",
    "type",
    "max_length",
    "precision",
    "scale",
    "enum_values",
    "required",
    "primary_key",
    "is_version",
    "is_personal",
]


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in error.message_dict.items())
    return " ".join(error.messages)


class ServiceErrorsAsMessages:
    """Show a service's ValidationError as a message on the page instead of a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, _error_text(error), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, _error_text(error), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletions one by one, each checked for users
        return actions


class FieldInline(admin.TabularInline):
    model = Field
    extra = 0
    fields = [*FIELD_SPEC, "column_name"]
    readonly_fields = ["column_name"]
    ordering = ["position", "id"]


@admin.register(Schema)
class SchemaAdmin(ServiceErrorsAsMessages, RestrictedModelAdmin):
    list_display = ["name", "label", "kind", "table_name", "field_count", "row_count"]
    list_filter = ["kind"]
    search_fields = ["name", "label", "description"]
    fields = ["name", "label", "description", "kind", "table_name", "created_by", "created_at", "updated_at"]
    readonly_fields = ["kind", "table_name", "created_by", "created_at", "updated_at"]
    inlines = [FieldInline]
    change_list_template = "admin/audiences/schema/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("fields")

    @admin.display(description=gettext_lazy("fields"))
    def field_count(self, schema: Schema) -> int:
        return len(schema.fields.all())

    @admin.display(description=gettext_lazy("rows"))
    def row_count(self, schema: Schema):
        count = schema_row_count(schema)  # one count(*) per listed schema, never a population
        return "?" if count is None else count

    def get_readonly_fields(self, request, obj=None):
        return (
            [*self.readonly_fields, "name"]
            if obj is not None and not obj.is_managed
            else self.readonly_fields
        )

    # Writes: the schema and its fields in one service call on add, field by field on change.
    def save_model(self, request, obj, form, change):
        if change:
            data = {
                k: form.cleaned_data[k] for k in ("name", "label", "description") if k in form.cleaned_data
            }
            services.schema_update(actor=request.user, schema=Schema.objects.get(pk=obj.pk), data=data)

    def save_related(self, request, form, formsets, change):
        field_forms = [f for formset in formsets for f in formset.forms if f.has_changed() or f.instance.pk]
        for formset in formsets:  # the services saved them; the admin's change message reads these
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if not change:
            specs = [
                {k: f.cleaned_data.get(k) for k in FIELD_SPEC}
                for f in field_forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            schema = services.schema_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                label=form.cleaned_data.get("label", ""),
                description=form.cleaned_data.get("description", ""),
                fields=specs,
            )
            form.instance.pk = schema.pk
            form.instance.refresh_from_db()
            return
        schema = Schema.objects.get(pk=form.instance.pk)
        for field_form in field_forms:
            self._save_field(request, schema, field_form)

    def _save_field(self, request, schema: Schema, field_form) -> None:
        data = field_form.cleaned_data
        if not data:
            return
        stored = Field.objects.filter(pk=field_form.instance.pk).first() if field_form.instance.pk else None
        if stored is None:
            if not data.get("DELETE"):
                services.field_add(
                    actor=request.user, schema=schema, spec={k: data.get(k) for k in FIELD_SPEC}
                )
        elif data.get("DELETE"):
            services.field_remove(actor=request.user, field=stored)
        elif field_form.has_changed():
            services.field_update(
                actor=request.user,
                field=stored,
                data={k: data[k] for k in field_form.changed_data if k in data},
            )

    def delete_model(self, request, obj):
        services.schema_delete(actor=request.user, schema=obj)

    # Extra pages: the DDL import and the diagram.
    def get_urls(self):
        extra = [
            path(
                "ddl-import/",
                self.admin_site.admin_view(self.ddl_import_view),
                name="audiences_schema_ddl_import",
            ),
            path("diagram/", self.admin_site.admin_view(self.diagram_view), name="audiences_schema_diagram"),
        ]
        return extra + super().get_urls()

    def ddl_import_view(self, request):
        if not can_model(request.user, "add", Schema):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import CREATE TABLE statements"),
            "ddl": "",
            "proposal": None,
        }
        if request.method == "POST" and "confirm" in request.POST:
            try:
                proposal = parse_json(request.POST.get("proposal") or "{}")
                with transaction.atomic():
                    created = ddl_import_confirm(actor=request.user, proposal=proposal)
            except (ValidationError, JSONInputError) as error:
                message = _error_text(error) if isinstance(error, ValidationError) else _("Invalid proposal.")
                self.message_user(request, message, level=messages.ERROR)
            else:
                self.message_user(request, _("Created: %s") % ", ".join(s.name for s in created))
                return HttpResponseRedirect(reverse("admin:audiences_schema_changelist"))
        elif request.method == "POST":
            context["ddl"] = request.POST.get("ddl", "")
            try:
                proposal = ddl_propose(context["ddl"])
            except ValidationError as error:
                context["errors"] = error.messages
            else:
                context["proposal"] = proposal
                context["proposal_json"] = json.dumps(proposal.as_dict())
        return TemplateResponse(request, "admin/audiences/schema/ddl_import.html", context)

    def diagram_view(self, request):
        if not can_model(request.user, "view", Schema):
            raise PermissionDenied
        schemas = list(schema_list(actor=request.user))
        links = list(link_list(actor=request.user))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Schemas and links"),
            "diagram": diagram_build(schemas, links),
        }
        return TemplateResponse(request, "admin/audiences/schema/diagram.html", context)


class LinkForm(forms.ModelForm):
    keys = forms.CharField(
        label=gettext_lazy("keys"),
        required=False,
        help_text=gettext_lazy("Pairs source_field=target_field, comma separated (e.g. customer_id=id)."),
    )

    class Meta:
        model = Link
        fields = ["source", "target", "name", "reverse_name", "cardinality", "label"]

    def clean_keys(self) -> list[list[str]]:
        pairs = []
        for item in (self.cleaned_data.get("keys") or "").split(","):
            if item.strip():
                left, _sep, right = item.partition("=")
                pairs.append([left.strip(), right.strip()])
        return pairs


@admin.register(Link)
class LinkAdmin(ServiceErrorsAsMessages, RestrictedModelAdmin):
    form = LinkForm
    list_display = ["__str__", "reverse_side", "cardinality", "key_pairs"]
    list_filter = ["cardinality"]
    search_fields = ["name", "reverse_name", "source__name", "target__name"]
    list_select_related = ["source", "target"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("keys__source_field", "keys__target_field")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["source", "target", "name", "reverse_name", "cardinality", "keys", "label"]
        return ["source", "target", "name", "reverse_name", "cardinality", "key_pairs", "label"]

    def get_readonly_fields(self, request, obj=None):
        return ["source", "target", "cardinality", "key_pairs"] if obj is not None else []

    @admin.display(description=gettext_lazy("target side"))
    def reverse_side(self, link: Link) -> str:
        return f"{link.target.name}.{link.reverse_name}"

    @admin.display(description=gettext_lazy("keys"))
    def key_pairs(self, link: Link) -> str:
        return ", ".join(f"{k.source_field.name}={k.target_field.name}" for k in link.keys.all())

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            stored = Link.objects.get(pk=obj.pk)
            services.link_update(
                actor=request.user,
                link=stored,
                data={k: data[k] for k in ("name", "reverse_name", "label") if k in data},
            )
            return
        link = services.link_create(
            actor=request.user,
            source=data["source"],
            target=data["target"],
            name=data["name"],
            reverse_name=data["reverse_name"],
            cardinality=data["cardinality"],
            keys=data["keys"],
            label=data.get("label", ""),
        )
        obj.pk = link.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.link_remove(actor=request.user, link=obj)


class TargetingDimensionForm(forms.ModelForm):
    class Meta:
        model = TargetingDimension
        fields = ["schema", "label", *TargetingDimension.ROLE_FIELDS, "is_default"]


@admin.register(TargetingDimension)
class TargetingDimensionAdmin(ServiceErrorsAsMessages, RestrictedModelAdmin):
    form = TargetingDimensionForm
    list_display = ["__str__", "schema", "identity_field", "is_default"]
    list_select_related = ["schema", "identity_field"]

    def get_readonly_fields(self, request, obj=None):
        return ["schema"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in TargetingDimension.ROLE_FIELDS:
            kwargs["queryset"] = Field.objects.select_related("schema").order_by("schema__name", "position")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {}
        for key in ("label", "is_default", *TargetingDimension.ROLE_FIELDS):
            if key in form.cleaned_data:
                value = form.cleaned_data[key]
                data[key] = value.name if isinstance(value, Field) else value
        for role in TargetingDimension.ROLE_FIELDS:
            picked = form.cleaned_data.get(role)
            schema = obj.schema if change else form.cleaned_data["schema"]
            if picked is not None and picked.schema_id != schema.pk:
                raise ValidationError({role: _("The field must belong to the dimension's schema.")})
        if change:
            stored = TargetingDimension.objects.get(pk=obj.pk)
            services.targeting_dimension_update(actor=request.user, dimension=stored, data=data)
            return
        dimension = services.targeting_dimension_create(
            actor=request.user, schema=form.cleaned_data["schema"], data=data
        )
        obj.pk = dimension.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.targeting_dimension_delete(actor=request.user, dimension=obj)


import audiences.admin_ingestion  # noqa: E402  (ingestion runs register themselves)
import audiences.admin_rules  # noqa: E402, F401  (saved filters, audiences and the rule editor)

"""Admin for saved filters and audiences, and the JSON rule editor (validate, count, SQL, preview).

Server-rendered, no JavaScript framework: the editor is a form posted back to the same page. Saves go
through ``audiences.saved.services``; a service's validation error is shown by the form.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_base import RestrictedModelAdmin
from accounts.permissions import can_model, restrict
from api.throttles import RuleCountThrottle, allowed
from audiences.catalog.models import TargetingDimension
from audiences.query import services as rules
from audiences.saved import services
from audiences.saved.models import Audience, SavedFilter


class RuleJSONField(forms.JSONField):
    widget = forms.Textarea(attrs={"rows": 18, "cols": 100, "style": "font-family: monospace"})


def _service_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            target = key.split(".", 1)[0]
            prefix = "" if key == target else f"{key}: "
            form.add_error(target if target in form.fields else None, [prefix + m for m in messages])
    else:
        form.add_error(None, error.messages)


class SavedFilterForm(forms.ModelForm):
    rule = RuleJSONField(label=gettext_lazy("rule"))
    parameters = forms.JSONField(required=False, initial=list, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = SavedFilter
        fields = ["name", "description", "dimension", "rule", "parameters", "visibility"]

    def clean(self):
        data = super().clean()
        if data.get("dimension") and "rule" in data:
            errors = rules.rule_validate(
                dimension=data["dimension"],
                rule=data["rule"],
                variables=_defaults(data.get("parameters") or []),
                actor=getattr(self, "actor", None),
                for_user=True,
            )
            for error in errors:
                self.add_error("rule", f"{error.path or '(rule)'}: {error.message}")
        return data


def _defaults(parameters) -> dict:
    return {
        p["name"]: p.get("default")
        for p in parameters
        if isinstance(p, dict) and "name" in p and p.get("default") is not None
    }


@admin.register(SavedFilter)
class SavedFilterAdmin(RestrictedModelAdmin):
    form = SavedFilterForm
    list_display = ["name", "dimension", "owner", "visibility", "updated_at"]
    list_select_related = ["owner", "dimension__schema"]
    list_filter = ["visibility"]
    search_fields = ["name"]
    readonly_fields = ["owner", "created_at", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        """The form validates rule references as the request's user (``restrict`` applies to them)."""
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def get_urls(self):
        editor = path(
            "rule-editor/",
            self.admin_site.admin_view(self.rule_editor),
            name="audiences_savedfilter_rule_editor",
        )
        return [editor, *super().get_urls()]

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in ("name", "description", "rule", "parameters", "visibility")}
        if change:
            services.saved_filter_update(actor=request.user, saved_filter=obj, data=data)
        else:
            created = services.saved_filter_create(
                actor=request.user, dimension=form.cleaned_data["dimension"], **data
            )
            obj.pk = created.pk

    def delete_model(self, request, obj):
        services.saved_filter_delete(actor=request.user, saved_filter=obj)

    def rule_editor(self, request):
        """Validate a rule and show its count, SQL, plan and a preview."""
        if not can_model(request.user, "view", TargetingDimension):
            raise PermissionDenied
        form = RuleEditorForm(request.POST or None, user=request.user)
        result = {}
        if request.method == "POST" and form.is_valid():
            result = _evaluate(request, form)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rule editor"),
            "form": form,
            "result": result,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/audiences/rule_editor.html", context)


class RuleEditorForm(forms.Form):
    dimension = forms.ModelChoiceField(
        queryset=TargetingDimension.objects.none(), label=gettext_lazy("targeting dimension")
    )
    rule = RuleJSONField(label=gettext_lazy("rule (JSON)"))
    fields = forms.CharField(required=False, label=gettext_lazy("preview fields (comma-separated)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dimension"].queryset = restrict(user, "view", TargetingDimension.objects.all())


def _evaluate(request, form) -> dict:
    user = request.user
    dimension, rule = form.cleaned_data["dimension"], form.cleaned_data["rule"]
    errors = rules.rule_validate(dimension=dimension, rule=rule, actor=user, for_user=True)
    if errors:
        return {"errors": errors}
    result: dict = {"errors": []}
    if not allowed(RuleCountThrottle, request):
        result["problem"] = _("Too many counts; wait a minute and try again.")
        return result
    try:
        result["count"] = rules.rule_count(actor=user, dimension=dimension, rule=rule)
        code = rules.rule_sql_params(dimension=dimension, rule=rule, actor=user)
        result["sql"], result["params"] = code["sql"], json.dumps(code["params"], default=str)
        result["plan"] = code["plan"]
        names = [n.strip() for n in (form.cleaned_data.get("fields") or "").split(",") if n.strip()]
        rows = rules.rule_preview(actor=user, dimension=dimension, rule=rule, fields=names, limit=20)
        result["columns"] = list(rows[0]) if rows else []
        result["rows"] = [list(row.values()) for row in rows]
    except (ValidationError, PermissionDenied, rules.RuleCountTooSlow, DatabaseError) as error:
        result["problem"] = " ".join(getattr(error, "messages", [str(error)]))
    return result


class AudienceForm(forms.ModelForm):
    rule = RuleJSONField(required=False, label=gettext_lazy("rule"))

    class Meta:
        model = Audience
        fields = ["name", "description", "dimension", "kind", "rule", "visibility"]

    def clean(self):
        data = super().clean()
        if data.get("dimension") and data.get("rule") is not None:
            errors = rules.rule_validate(
                dimension=data["dimension"],
                rule=data["rule"],
                actor=getattr(self, "actor", None),
                for_user=True,
            )
            for error in errors:
                self.add_error("rule", f"{error.path or '(rule)'}: {error.message}")
        return data


@admin.register(Audience)
class AudienceAdmin(RestrictedModelAdmin):
    form = AudienceForm
    list_display = ["name", "dimension", "kind", "member_count", "computed_at", "owner", "visibility"]
    list_select_related = ["owner", "dimension__schema"]
    list_filter = ["kind", "visibility"]
    search_fields = ["name"]
    readonly_fields = ["source", "member_count", "computed_at", "owner", "created_at", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        """The form validates rule references as the request's user (``restrict`` applies to them)."""
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        extra = ["dimension", "kind"] if obj is not None else []
        return [*self.readonly_fields, *extra]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.audience_update(
                actor=request.user,
                audience=obj,
                data={k: data[k] for k in ("name", "description", "rule", "visibility") if k in data},
            )
        else:
            created = services.audience_create(
                actor=request.user,
                name=data["name"],
                dimension=data["dimension"],
                kind=data["kind"],
                rule=data.get("rule"),
                description=data.get("description", ""),
                visibility=data["visibility"],
            )
            obj.pk = created.pk

    def delete_model(self, request, obj):
        services.audience_delete(actor=request.user, audience=obj)

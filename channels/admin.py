"""Admin pages: configurations, capping rules and the suppression list (Administrators write through
the services), deliveries with their report page (Chart.js, vendored), the ledger, events, and what the
demo catchers received. No business rule lives here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyModelAdmin, RestrictedModelAdmin
from accounts.permissions import can, can_model, can_preview_personal_data
from api.csv_export import safe_writer
from channels.models import (
    CappingRule,
    CaughtMessage,
    ChannelConfiguration,
    Delivery,
    LedgerEntry,
    ProofRecipient,
    SuppressionEntry,
    TrackingEvent,
)
from channels.reporting import figures
from channels.services import configurations as services
from channels.services.proofs import proof_recipient_add, proof_recipient_remove


class ChannelConfigurationForm(forms.ModelForm):
    tracking_base_url = forms.URLField(label=_("tracking base URL"), required=False, assume_scheme="https")

    class Meta:
        model = ChannelConfiguration
        fields = list(services.CONFIGURATION_FIELDS)

    def _post_clean(self):
        super()._post_clean()  # the instance holds the form's values from here on
        if self.errors:
            return
        try:
            services.configuration_check(self.instance)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                name = key.split(".")[0]
                self.add_error(name if name in self.fields else None, messages)


@admin.register(ChannelConfiguration)
class ChannelConfigurationAdmin(RestrictedModelAdmin):
    form = ChannelConfigurationForm
    list_display = ("name", "channel", "provider", "marketing", "transactional", "rate_per_second", "enabled")
    list_filter = ("channel", "provider", "enabled")
    search_fields = ("name",)
    list_select_related = ("dimension__schema",)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and not can(request.user, "change", obj):
            # provider credentials (passwords, tokens, webhook secrets) are for those who may change them
            fields = [f for f in fields if f != "provider_settings"]
        return fields

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in services.CONFIGURATION_FIELDS if k in form.cleaned_data}
        if change:
            saved = services.configuration_update(actor=request.user, configuration=obj, data=data)
        else:
            saved = services.configuration_create(actor=request.user, data=data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.configuration_delete(actor=request.user, configuration=obj)


@admin.register(CappingRule)
class CappingRuleAdmin(RestrictedModelAdmin):
    list_display = ("rule_set", "channel", "max_messages", "period", "enabled")
    list_filter = ("rule_set", "channel", "period")

    def save_model(self, request, obj, form, change):
        services.capping_rule_save(actor=request.user, rule=obj)

    def delete_model(self, request, obj):
        services.capping_rule_delete(actor=request.user, rule=obj)


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(RestrictedModelAdmin):
    list_display = ("address", "channel", "reason", "created_at")
    list_filter = ("channel", "reason")
    search_fields = ("address",)

    def has_change_permission(self, request, obj=None):
        return False  # an entry is added or removed, never edited

    def save_model(self, request, obj, form, change):
        saved = services.suppression_add(
            actor=request.user, channel=obj.channel, address=obj.address, reason=obj.reason, detail=obj.detail
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.suppression_remove(actor=request.user, entry=obj)


class ProofRecipientForm(forms.ModelForm):
    class Meta:
        model = ProofRecipient
        fields = ("channel", "address", "label")

    def clean(self):
        data = super().clean()
        channel, address = data.get("channel"), data.get("address")
        if channel and address:
            data["address"] = services.normalize_address(channel, address)
            if ProofRecipient.objects.filter(channel=channel, address=data["address"]).exists():
                self.add_error("address", _("This address is already a proof recipient."))
        return data


@admin.register(ProofRecipient)
class ProofRecipientAdmin(RestrictedModelAdmin):
    """The addresses proofs may go to besides platform users' (Administrators keep the list)."""

    form = ProofRecipientForm
    list_display = ("address", "label", "channel", "created_at")
    list_filter = ("channel",)
    search_fields = ("address", "label")
    fields = ("channel", "address", "label")

    def has_change_permission(self, request, obj=None):
        return False  # an address is added or removed, never edited

    def save_model(self, request, obj, form, change):
        saved = proof_recipient_add(
            actor=request.user, channel=obj.channel, address=obj.address, label=obj.label
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        proof_recipient_remove(actor=request.user, recipient=obj)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyModelAdmin):
    list_display = (
        "__str__",
        "channel",
        "category",
        "status",
        "targeted",
        "excluded",
        "created_at",
        "report_link",
    )
    list_filter = ("channel", "category", "status", "is_proof")
    list_select_related = ("configuration",)
    exclude = ("content",)

    @admin.display(description=_("report"))
    def report_link(self, obj):
        url = reverse("admin:oc_channels_delivery_report") + f"?delivery={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("report"))

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [path("report/", report, name="oc_channels_delivery_report"), *super().get_urls()]

    def report_view(self, request):
        """Figures for a campaign, a run, an activity or a delivery (query parameters), as a page with
        charts or, with ``?format=csv``, as CSV."""
        if not can_model(request.user, "view", Delivery):
            raise PermissionDenied
        params = {}
        for name, key, cast in (
            ("campaign", "campaign_id", int),
            ("run", "run_id", int),
            ("activity", "activity_key", str),
            ("delivery", "delivery_id", int),
        ):
            value = request.GET.get(name)
            if value:
                try:
                    params[key] = cast(value)
                except ValueError:
                    raise ValidationError({name: _("Expected a number.")}) from None
        report = figures.full_report(figures.deliveries_for(actor=request.user, **params))
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv")
            response["Content-Disposition"] = 'attachment; filename="delivery-report.csv"'
            safe_writer(response).writerows(figures.report_csv_rows(report))
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": _("Delivery report"),
            "report": report,
            "params": params,
            "opts": self.model._meta,
            "query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/oc_channels/report.html", context)


def _same_address(key: str, address: str) -> bool:
    return bool(address) and key.strip().lower() == address.strip().lower()


def _personal_columns(request):
    """The address and recipient-key columns for this request. Built per request, never kept on the
    admin instance: the instance is shared by every thread, so a user stored there leaks across users."""
    allowed = can_preview_personal_data(request.user)

    @admin.display(description=_("address"))
    def shown_address(obj):
        return obj.address if allowed else "•••"

    @admin.display(description=_("recipient key"), ordering="recipient_key")
    def shown_recipient_key(obj):
        # where the delivery level is the address itself, the key is personal data too
        hidden = not allowed and _same_address(obj.recipient_key, obj.address)
        return "•••" if hidden else obj.recipient_key

    return {"shown_address": shown_address, "shown_recipient_key": shown_recipient_key}


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("delivery", "shown_recipient_key", "shown_address", "state", "attempts", "sent_at")
    list_filter = ("state", "channel")
    list_select_related = ("delivery",)
    exclude = ("data", "address", "recipient_key")

    def get_list_display(self, request):
        columns = _personal_columns(request)
        return [columns.get(name, name) for name in super().get_list_display(request)]

    def get_list_display_links(self, request, list_display):
        return [list_display[0]]

    def get_readonly_fields(self, request, obj=None):
        columns = _personal_columns(request)
        return [*super().get_readonly_fields(request, obj), *columns.values()]

    # Fail-closed stand-ins (and what the admin checks see); each request gets its own columns above.
    @admin.display(description=_("address"))
    def shown_address(self, obj):
        return "•••"

    @admin.display(description=_("recipient key"))
    def shown_recipient_key(self, obj):
        return "•••"


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyModelAdmin):
    list_display = ("occurred_at", "kind", "reason", "delivery", "url")
    list_filter = ("kind",)
    list_select_related = ("delivery",)
    exclude = ("address",)


@admin.register(CaughtMessage)
class CaughtMessageAdmin(ReadOnlyModelAdmin):
    """What the demo's local SMTP catcher and HTTP receiver got (``manage.py run_catchers``)."""

    list_display = ("received_at", "channel", "recipient", "subject")
    list_filter = ("channel",)
    search_fields = ("recipient", "subject")


from channels import admin_campaign as _admin_campaign  # noqa: E402, F401 - the live run on the campaign page

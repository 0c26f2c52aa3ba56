from django.contrib import admin

from accounts.admin_base import RestrictedModelAdmin
from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_delete, campaign_update


@admin.register(Campaign)
class CampaignAdmin(RestrictedModelAdmin):
    list_display = ["name", "status", "owner", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "description"]
    list_select_related = ["owner"]
    readonly_fields = ["owner", "status", "created_at", "updated_at"]
    fields = ["name", "description", "owner", "status", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if change:
            # The form has already copied its data onto obj; the service compares with the stored row.
            stored = Campaign.objects.get(pk=obj.pk)
            campaign_update(actor=request.user, campaign=stored, data=form.cleaned_data)
        else:
            created = campaign_create(actor=request.user, **form.cleaned_data)
            obj.pk = created.pk
            obj.refresh_from_db()

    def delete_model(self, request, obj):
        campaign_delete(actor=request.user, campaign=obj)

    def delete_queryset(self, request, queryset):
        for campaign in queryset:
            campaign_delete(actor=request.user, campaign=campaign)

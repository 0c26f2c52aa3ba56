"""Public tracking URLs, mounted at /t/ by config/urls.py (namespace ``oc_channels``)."""

from django.urls import path
from django.utils.module_loading import import_string

from channels.providers.anymail_esp import ESPS
from channels.tracking import views

app_name = "oc_channels"

urlpatterns = [
    path("o/<str:token>/", views.open_pixel, name="open"),
    path("c/<str:token>/", views.click, name="click"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("hooks/<int:configuration_id>/", views.provider_webhook, name="provider_webhook"),
    path("sms/<int:configuration_id>/inbound/", views.sms_inbound, name="sms_inbound"),
    # ESP tracking webhooks through django-anymail, one per ESP of the "anymail" provider
    *(
        path(
            f"anymail/{key}/tracking/",
            views.esp_webhook(import_string(esp.tracking_view).as_view()),
            name=f"anymail_{key}_tracking",
        )
        for key, esp in ESPS.items()
    ),
]

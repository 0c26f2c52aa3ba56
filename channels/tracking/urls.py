"""Public tracking URLs, mounted at /t/ by config/urls.py (namespace ``oc_channels``)."""

from django.urls import path

from channels.tracking import views

app_name = "oc_channels"

urlpatterns = [
    path("o/<str:token>/", views.open_pixel, name="open"),
    path("c/<str:token>/", views.click, name="click"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("hooks/<int:configuration_id>/", views.provider_webhook, name="provider_webhook"),
    path("sms/<int:configuration_id>/inbound/", views.sms_inbound, name="sms_inbound"),
]

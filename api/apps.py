"""The REST API's app: installs the API-wide input rules that live below every serializer."""

from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self):
        from api.fields import install_input_rules

        install_input_rules()

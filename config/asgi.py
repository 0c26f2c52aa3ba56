"""ASGI entry point."""

import os

from config.startup import exit_on_configuration_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

with exit_on_configuration_error():
    from django.core.asgi import get_asgi_application

    application = get_asgi_application()

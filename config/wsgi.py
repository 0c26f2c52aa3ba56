"""WSGI entry point (gunicorn config.wsgi)."""

import os

from config.startup import exit_on_configuration_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

with exit_on_configuration_error():
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

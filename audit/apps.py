from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit trail: field-level history of configuration models and a timeline of domain events."""

    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        # Every historical record also lands on the one timeline (with its difference), see recorder.py.
        from audit import recorder

        recorder.connect()

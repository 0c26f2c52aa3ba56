from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "oc_channels"
    verbose_name = _("Channels and delivery")

    def ready(self) -> None:
        # The channel activity types join the campaign engine's registry (stable keys channel.*).
        from channels.activities.types import register_all

        register_all()

        # Approval pins channel configurations' content settings and capping rule sets (ADR 0003).
        from channels.activities.pins import register_pins

        register_pins()

        # Every targeting dimension gets the ledger and events as 1-N links, from the moment it exists.
        from audiences.catalog.hooks import dimension_created_hooks
        from channels.retargeting import retargeting_links_ensure

        dimension_created_hooks.register("channels.retargeting", retargeting_links_ensure)

        # ESP tracking webhooks: anymail checks and normalises them, a thin receiver records them.
        from anymail.signals import tracking

        from channels.tracking.views import anymail_tracking

        tracking.connect(anymail_tracking, dispatch_uid="oc_channels.anymail_tracking")

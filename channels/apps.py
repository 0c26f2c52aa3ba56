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

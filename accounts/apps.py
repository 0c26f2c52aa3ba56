from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and product profiles")

    def ready(self) -> None:
        from accounts.profiles import sync_after_migrate

        # Permissions are created after migrations; attach new ones to the profile groups then.
        post_migrate.connect(sync_after_migrate, dispatch_uid="accounts.sync_product_profiles")

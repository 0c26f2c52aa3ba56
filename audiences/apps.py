from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AudiencesConfig(AppConfig):
    name = "audiences"
    verbose_name = _("Data model and audiences")

    def ready(self):
        from django.db.backends.signals import connection_created

        from audiences.query.sqlite_functions import on_connection_created

        # SQLite gets the functions the expression library needs and SQLite lacks (see that module).
        connection_created.connect(on_connection_created, dispatch_uid="audiences.query.sqlite_functions")

        from audiences.query.compiler.catalog_cache import connect as connect_catalog_cache

        connect_catalog_cache()  # compiles reuse one catalog snapshot until the catalog changes

        from audiences.saved.usage import register as register_saved_rule_usage

        register_saved_rule_usage()  # fields and links used by saved filters and audiences stay

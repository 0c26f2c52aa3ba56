from campaigns.api.schema_views import ActivitySchemaViewSet
from campaigns.api.views import CampaignViewSet


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    register_lifecycle(router)  # lifecycle routes and the audit trail (issue 7)
    router.register("activity-schemas", ActivitySchemaViewSet, basename="activity-schema")


def register_lifecycle(router) -> None:
    from audit.api.views import register as audit
    from campaigns.lifecycle.api import register as lifecycle

    lifecycle(router)
    audit(router)

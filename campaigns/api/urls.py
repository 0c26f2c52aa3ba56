from campaigns.api.schema_views import ActivitySchemaViewSet
from campaigns.api.views import CampaignViewSet


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    router.register("activity-schemas", ActivitySchemaViewSet, basename="activity-schema")

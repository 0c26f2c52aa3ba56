from campaigns.api.views import CampaignViewSet


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")

from channels.api.views import (
    CappingRuleViewSet,
    ChannelConfigurationViewSet,
    DeliveryViewSet,
    SuppressionEntryViewSet,
)


def register(router) -> None:
    router.register("channel-configurations", ChannelConfigurationViewSet, basename="channel-configuration")
    router.register("capping-rules", CappingRuleViewSet, basename="capping-rule")
    router.register("suppressions", SuppressionEntryViewSet, basename="suppression")
    router.register("deliveries", DeliveryViewSet, basename="delivery")

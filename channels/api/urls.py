from channels.api.views import (
    CappingRuleViewSet,
    ChannelConfigurationViewSet,
    DeliveryViewSet,
    ProofRecipientViewSet,
    SuppressionEntryViewSet,
)


def register(router) -> None:
    router.register("channel-configurations", ChannelConfigurationViewSet, basename="channel-configuration")
    router.register("capping-rules", CappingRuleViewSet, basename="capping-rule")
    router.register("suppressions", SuppressionEntryViewSet, basename="suppression")
    router.register("deliveries", DeliveryViewSet, basename="delivery")
    router.register("proof-recipients", ProofRecipientViewSet, basename="proof-recipient")

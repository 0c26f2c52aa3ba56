from audiences.api.views import FieldViewSet, LinkViewSet, SchemaViewSet, TargetingDimensionViewSet


def register(router) -> None:
    router.register("schemas", SchemaViewSet, basename="schema")
    router.register("fields", FieldViewSet, basename="field")
    router.register("links", LinkViewSet, basename="link")
    router.register("targeting-dimensions", TargetingDimensionViewSet, basename="targeting-dimension")
    register_rules(router)


def register_rules(router) -> None:
    from audiences.api.rules import RuleViewSet
    from audiences.api.saved import AudienceViewSet, SavedFilterViewSet

    router.register("rules", RuleViewSet, basename="rule")
    router.register("saved-filters", SavedFilterViewSet, basename="saved-filter")
    router.register("audiences", AudienceViewSet, basename="audience")

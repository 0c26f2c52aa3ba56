from audiences.api.views import FieldViewSet, LinkViewSet, SchemaViewSet, TargetingDimensionViewSet


def register(router) -> None:
    router.register("schemas", SchemaViewSet, basename="schema")
    router.register("fields", FieldViewSet, basename="field")
    router.register("links", LinkViewSet, basename="link")
    router.register("targeting-dimensions", TargetingDimensionViewSet, basename="targeting-dimension")

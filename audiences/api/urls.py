from audiences.api.ingestion import IngestionRunViewSet, SchemaRecordsViewSet
from audiences.api.views import FieldViewSet, LinkViewSet, SchemaViewSet, TargetingDimensionViewSet

RECORDS_PREFIX = r"schemas/(?P<schema_name>[a-z_][a-z0-9_]*)/records"


def register(router) -> None:
    router.register("schemas", SchemaViewSet, basename="schema")
    router.register("fields", FieldViewSet, basename="field")
    router.register("links", LinkViewSet, basename="link")
    router.register("targeting-dimensions", TargetingDimensionViewSet, basename="targeting-dimension")
    router.register("ingestion-runs", IngestionRunViewSet, basename="ingestion-run")
    router.register(RECORDS_PREFIX, SchemaRecordsViewSet, basename="schema-records")
    register_rules(router)


def register_rules(router) -> None:
    from audiences.api.rules import RuleViewSet
    from audiences.api.saved import AudienceViewSet, SavedFilterViewSet

    router.register("rules", RuleViewSet, basename="rule")
    router.register("saved-filters", SavedFilterViewSet, basename="saved-filter")
    router.register("audiences", AudienceViewSet, basename="audience")

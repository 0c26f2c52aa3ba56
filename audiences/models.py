"""Models of the audiences app, defined by sub-domain package and re-exported here for Django."""

from audiences.catalog.models import (  # noqa: F401
    Field,
    Link,
    LinkCardinality,
    LinkKey,
    Schema,
    SchemaIndex,
    SchemaKind,
    TargetingDimension,
)
from audiences.ingestion.models import IngestionReject, IngestionRun  # noqa: F401
from audiences.saved.models import (  # noqa: F401
    Audience,
    AudienceGroupObjectPermission,
    AudienceUserObjectPermission,
    SavedFilter,
    SavedFilterFavourite,
    SavedFilterGroupObjectPermission,
    SavedFilterUserObjectPermission,
)

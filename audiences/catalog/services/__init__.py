"""The catalog's write services. Every one takes the acting user; only Administrators change the model."""

from audiences.catalog.services.dimensions import (
    targeting_dimension_create,
    targeting_dimension_delete,
    targeting_dimension_update,
)
from audiences.catalog.services.external import external_schema_register
from audiences.catalog.services.links import link_create, link_remove, link_update
from audiences.catalog.services.schemas import (
    field_add,
    field_remove,
    field_update,
    index_add,
    schema_create,
    schema_delete,
    schema_update,
)

# The name for the introspection service.
register_external = external_schema_register

__all__ = [
    "external_schema_register",
    "field_add",
    "field_remove",
    "field_update",
    "index_add",
    "link_create",
    "link_remove",
    "link_update",
    "register_external",
    "schema_create",
    "schema_delete",
    "schema_update",
    "targeting_dimension_create",
    "targeting_dimension_delete",
    "targeting_dimension_update",
]

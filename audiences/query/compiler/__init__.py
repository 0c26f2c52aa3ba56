"""The rule compiler: typed rule tree -> resolved against the catalog -> SQLAlchemy Core predicate.

``catalog.py`` loads the catalog once per compile (a few queries, no per-node lookups) and resolves
expression names; ``build.py`` walks the rule tree, asks ``audiences.query.planner`` for decisions and
builds SQL. Printing for the connection's dialect is ``audiences.catalog.database``'s job.
"""

from audiences.query.compiler.build import CompiledRule, compile_rule
from audiences.query.compiler.catalog import CatalogResolver, CatalogSnapshot

__all__ = ["CatalogResolver", "CatalogSnapshot", "CompiledRule", "compile_rule"]

"""Rules: the JSON format (``tree``), the operators by value type (``operators``) and value checks.

A rule is parsed into a typed tree at every boundary (API, admin, services); the compiler
(``audiences.query.compiler``) never sees a raw dict. See docs/rules.md for the format.
"""

from audiences.query.rules.tree import (
    Aggregate,
    AudienceRef,
    Collection,
    Condition,
    Group,
    RuleError,
    RuleNode,
    RuleSyntaxError,
    SavedFilterRef,
    parse_rule,
)

__all__ = [
    "Aggregate",
    "AudienceRef",
    "Collection",
    "Condition",
    "Group",
    "RuleError",
    "RuleNode",
    "RuleSyntaxError",
    "SavedFilterRef",
    "parse_rule",
]

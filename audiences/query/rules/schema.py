"""The rule format as a JSON Schema, generated from the node types and the operator registry.

Exposed as the ``Rule`` component of the OpenAPI document (``audiences.api.rules``) and quoted by
docs/rules.md, so the published format cannot drift from what the parser accepts.
"""

from __future__ import annotations

from audiences.query.rules.operators import OPERATORS
from audiences.query.rules.tree import AGGREGATE_FUNCTIONS, GROUP_OPS

SCALAR = {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]}
REF = {"$ref": "#/components/schemas/Rule"}


def rule_json_schema() -> dict:
    operators = sorted(OPERATORS)
    right = {
        "value": SCALAR,
        "values": {"type": "array", "items": SCALAR},
        "parameter": {"type": "string", "description": "A saved-filter parameter or a campaign variable."},
    }
    return {
        "oneOf": [
            {
                "type": "object",
                "title": "group",
                "required": ["type", "children"],
                "properties": {
                    "type": {"enum": ["group"]},
                    "op": {"enum": list(GROUP_OPS), "default": "and"},
                    "children": {"type": "array", "items": REF},
                },
            },
            {
                "type": "object",
                "title": "condition",
                "required": ["type", "operator"],
                "properties": {
                    "type": {"enum": ["condition"]},
                    "field": {"type": "string", "example": "purchases.product.brand"},
                    "left": {"type": "string", "description": "An expression instead of a field."},
                    "operator": {"enum": operators},
                    "expression": {"type": "string", "description": "An expression as the right side."},
                    "case_insensitive": {"type": "boolean", "default": False},
                    **right,
                },
            },
            {
                "type": "object",
                "title": "collection",
                "required": ["type", "link"],
                "properties": {
                    "type": {"enum": ["exists", "not_exists"]},
                    "link": {"type": "string", "example": "purchases"},
                    "where": REF,
                },
            },
            {
                "type": "object",
                "title": "aggregate",
                "required": ["type", "link", "function", "operator"],
                "properties": {
                    "type": {"enum": ["aggregate"]},
                    "link": {"type": "string"},
                    "function": {"enum": list(AGGREGATE_FUNCTIONS)},
                    "field": {"type": "string"},
                    "where": REF,
                    "operator": {"enum": sorted(k for k, op in OPERATORS.items() if op.aggregate_ok)},
                    **right,
                },
            },
            {
                "type": "object",
                "title": "saved_filter",
                "required": ["type", "id"],
                "properties": {
                    "type": {"enum": ["saved_filter"]},
                    "id": {"type": "integer"},
                    "parameters": {"type": "object", "additionalProperties": SCALAR},
                },
            },
            {
                "type": "object",
                "title": "audience membership",
                "required": ["type", "audience"],
                "properties": {
                    "type": {"enum": ["in_audience", "not_in_audience"]},
                    "audience": {"type": "integer"},
                },
            },
        ]
    }

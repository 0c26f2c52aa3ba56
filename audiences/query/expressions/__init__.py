"""The expression language: grammar, syntax tree, resolving and type checking, SQL building."""

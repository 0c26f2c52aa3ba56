"""The catalog: the schemas, fields, links and targeting dimensions the platform knows.

It is the only source of table and column names that may reach SQL (see README.md).
"""

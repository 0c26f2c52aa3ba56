"""Ingestion: loading rows into managed schemas (CSV files, JSON record batches) with change-data-capture
semantics, one transaction per load, and a report of every rejected row (see docs/ingestion.md).
"""

"""The embedded analytic store (DuckDB) and its importer."""

from detente.store.duck import catalog, connect, has_table, require_table

__all__ = ["catalog", "connect", "has_table", "require_table"]

"""Shared helpers: the store connection and the system names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from detente.exceptions import StatesError

if TYPE_CHECKING:
    import duckdb

#: The state systems detente knows, with their long names.
SYSTEMS = {"cow": "Correlates of War", "gw": "Gleditsch-Ward"}


def check_system(system: str) -> str:
    """Return the system name in lower case, or raise for an unknown one."""
    key = str(system).strip().lower().replace("-", "")
    if key not in SYSTEMS:
        raise StatesError(f"unknown state system {system!r}: use one of {', '.join(SYSTEMS)}")
    return key


def connection(con: duckdb.DuckDBPyConnection | None) -> duckdb.DuckDBPyConnection:
    """Return ``con``, or a read-only connection to the default store."""
    if con is not None:
        return con
    from detente.store import connect

    return connect(read_only=True)


def require(con: duckdb.DuckDBPyConnection, table: str, source: str) -> None:
    """Raise a clear error when the state-system table was not imported."""
    from detente.store import has_table

    if not has_table(con, table):
        raise StatesError(f"the store has no table {table}: run `detente data import {source}` first")

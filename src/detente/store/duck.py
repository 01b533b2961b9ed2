"""The embedded analytic store: one DuckDB file with a schema per source and a catalog."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from detente import config
from detente.exceptions import StoreError

if TYPE_CHECKING:
    import duckdb

CATALOG_SCHEMA = "meta"

_CATALOG_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {CATALOG_SCHEMA};
CREATE TABLE IF NOT EXISTS {CATALOG_SCHEMA}.catalog (
    source_id VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    sha256_expected VARCHAR,
    rows BIGINT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source_id, file)
);
CREATE TABLE IF NOT EXISTS {CATALOG_SCHEMA}.columns (
    source_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    original_name VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    code_system VARCHAR,
    description VARCHAR
);
CREATE TABLE IF NOT EXISTS {CATALOG_SCHEMA}.notes (
    source_id VARCHAR NOT NULL,
    file VARCHAR,
    note VARCHAR NOT NULL
);
"""


def connect(path: str | Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the analytic store.

    Parameters
    ----------
    path : path, optional
        The DuckDB file; default from ``DETENTE_STORE`` or the per-user data directory.
    read_only : bool
        Open read-only (several readers may share the file; DuckDB allows one writer process).

    Examples
    --------
    >>> con = connect(":memory:")
    >>> con.sql("select count(*) from meta.catalog").fetchone()
    (0,)
    """
    import duckdb

    target = str(path) if str(path) == ":memory:" else str(config.store_path(path))
    if target != ":memory:":
        p = Path(target)
        if read_only and not p.exists():
            raise StoreError(f"store {p} does not exist: run `detente data import` first")
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open store {target}: {exc}") from exc
    if not read_only:
        con.execute(_CATALOG_DDL)
    return con


def has_table(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Return whether ``schema.table`` exists in the store."""
    schema, _, table = qualified.partition(".")
    row = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    views = con.execute(
        "select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0]) or bool(views and views[0])


def require_table(con: duckdb.DuckDBPyConnection, qualified: str) -> None:
    """Raise a :class:`StoreError` that says how to get ``schema.table`` when it is missing."""
    if not has_table(con, qualified):
        source = qualified.partition(".")[0]
        raise StoreError(
            f"table {qualified} is not in the store: run `detente data import {source}`"
        )


def catalog(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Return the catalog rows (one per imported file)."""
    cur = con.execute(f"select * from {CATALOG_SCHEMA}.catalog order by source_id, file")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

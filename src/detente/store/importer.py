"""Import mirror datasets into the analytic store: one transaction per dataset, re-runnable."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from detente.exceptions import SourceError, ValidationError
from detente.sources import loaders
from detente.sources.definition import FileSpec, Source, all_sources, get_source
from detente.sources.reader import (
    check_header,
    quote_ident,
    raise_first_reject,
    read_csv_sql,
    read_parquet_sql,
)
from detente.sources.validate import check_table, locate_bad_value, select_list
from detente.store.duck import CATALOG_SCHEMA

#: Sources whose codes define validity for the others; imported first.
STATE_SOURCES = ("cow_state_system", "gw_state_system")


@dataclass(frozen=True)
class ImportedFile:
    """What one file import produced."""

    source_id: str
    file: str
    table: str
    rows: int
    sha256: str
    checksum_ok: bool


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_order(ids: Iterable[str] | None) -> list[Source]:
    """Resolve ids (all when None) to sources, state systems first."""
    sources = all_sources()
    wanted = list(sources) if not ids else list(dict.fromkeys(ids))
    for sid in wanted:
        get_source(sid)  # raises for unknown ids
    first = [s for s in STATE_SOURCES if s in wanted]
    return [sources[s] for s in first + [w for w in wanted if w not in first]]


def known_codes(con: duckdb.DuckDBPyConnection) -> dict[str, set]:
    """Codes valid anywhere in each system, read from the imported state-system tables."""
    out: dict[str, set] = {}
    queries = {
        "cow": "select distinct ccode from cow_state_system.cow_states_v2016",
        "gw": "select distinct gwcode from gw_state_system.gw_system_isard "
              "union select distinct gwcode from gw_state_system.gw_states_peacesciencer",
    }
    for system, sql in queries.items():
        try:
            out[system] = {r[0] for r in con.execute(sql).fetchall()}
        except duckdb.CatalogException:
            continue
    return out


def _load_file(
    con: duckdb.DuckDBPyConnection, source: Source, spec: FileSpec, path: Path, codes: dict[str, set]
) -> int:
    """Create ``<source>.<table>`` from one file inside the open transaction; return its rows."""
    label = f"{source.id}/{spec.name}"
    if not path.is_file():
        raise SourceError(f"file {label} is not in the mirror ({path})")
    if path.stat().st_size == 0:
        raise ValidationError(label, None, None, "the file is empty")
    target = f"{quote_ident(source.id)}.{quote_ident(spec.table)}"
    rejects = "detente_rejects"
    con.execute(f"drop table if exists {rejects}; drop table if exists {rejects}_scan")
    if spec.format == "csv" and spec.header:
        check_header(path, label, spec)
    if spec.loader:
        raw_sql = loaders.get(spec.loader)(con, source, spec, path)
    elif spec.format == "parquet":
        raw_sql = read_parquet_sql(path)
    else:
        raw_sql = read_csv_sql(path, spec, rejects)
    try:
        con.execute(f"create or replace table {target} as select {select_list(spec)} from {raw_sql}")
    except duckdb.Error as exc:
        raise _Diagnose(label, spec, raw_sql, rejects, str(exc).splitlines()[0]) from None
    _raise_rejects(con, rejects, label)
    check_table(con, target, spec, label, codes)
    (rows,) = con.execute(f"select count(*) from {target}").fetchone() or (0,)
    return int(rows)


class _Diagnose(Exception):
    """A statement failed inside the transaction: locate the bad row after rolling back."""

    def __init__(self, label: str, spec: FileSpec, raw_sql: str, rejects: str, message: str) -> None:
        super().__init__(message)
        self.label, self.spec, self.raw_sql, self.rejects, self.message = label, spec, raw_sql, rejects, message

    def locate(self, con: duckdb.DuckDBPyConnection) -> ValidationError:
        """Re-read the file outside the aborted transaction and return the error naming the row."""
        try:
            con.execute(f"select count(*) from {self.raw_sql}").fetchone()
            _raise_rejects(con, self.rejects, self.label)
            locate_bad_value(con, self.raw_sql, self.spec, self.label)
        except ValidationError as err:
            return err
        except duckdb.Error:
            pass
        return ValidationError(self.label, None, None, self.message)


def _raise_rejects(con: duckdb.DuckDBPyConnection, rejects: str, label: str) -> None:
    """Raise for rows the CSV reader rejected (a loader may use the same rejects table)."""
    (exists,) = con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [rejects]
    ).fetchone() or (0,)
    if exists:
        raise_first_reject(con, rejects, label)


def _record(con: duckdb.DuckDBPyConnection, source: Source, done: list[ImportedFile]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute(f"delete from {CATALOG_SCHEMA}.catalog where source_id = ?", [source.id])
    con.execute(f"delete from {CATALOG_SCHEMA}.columns where source_id = ?", [source.id])
    con.execute(f"delete from {CATALOG_SCHEMA}.notes where source_id = ?", [source.id])
    _insert(con, "catalog", [
        [source.id, source.version, f.file, f"{source.id}.{f.table}", f.sha256,
         source.file(f.file).sha256, f.rows, now]
        for f in done
    ])
    _insert(con, "columns", [
        [source.id, f"{source.id}.{spec.table}", c.canonical, c.name, c.type, c.code, c.description]
        for spec in source.files for c in spec.columns
    ])
    notes = [[source.id, None, n] for n in source.notes]
    notes += [[source.id, spec.name, n] for spec in source.files for n in spec.notes]
    notes += [
        [source.id, f.file, f"file sha256 {f.sha256} differs from the definition's"]
        for f in done if not f.checksum_ok
    ]
    _insert(con, "notes", notes)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[list[object]]) -> None:
    """Insert rows into a catalog table with one statement (executemany is slow in DuckDB)."""
    if not rows:
        return
    width = len(rows[0])
    placeholders = ", ".join("(" + ", ".join("?" * width) + ")" for _ in rows)
    con.execute(
        f"insert into {CATALOG_SCHEMA}.{table} values {placeholders}",
        [v for row in rows for v in row],
    )


def import_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    mirror: Path,
    codes: dict[str, set] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> list[ImportedFile]:
    """Import every file of ``source`` atomically: all tables and catalog rows, or nothing.

    Raises
    ------
    ValidationError
        A file breaks its definition; the store is left as it was.
    """
    folder = mirror / source.id
    if not folder.is_dir():
        raise SourceError(f"source {source.id} is not in the mirror {mirror}")
    if codes is None:
        codes = known_codes(con)
    done: list[ImportedFile] = []
    # checksums are computed in a thread while DuckDB reads (hashlib releases the GIL)
    pool = ThreadPoolExecutor(max_workers=1)
    digests = {spec.name: pool.submit(sha256_of, folder / spec.name) for spec in source.files
               if (folder / spec.name).is_file()}
    pool.shutdown(wait=False)
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {quote_ident(source.id)}")
        for spec in source.files:
            path = folder / spec.name
            rows = _load_file(con, source, spec, path, codes)
            digest = digests[spec.name].result()
            done.append(ImportedFile(source.id, spec.name, spec.table, rows, digest, digest == spec.sha256))
            if on_file:
                on_file(spec.name)
        _record(con, source, done)
        con.execute("commit")
    except _Diagnose as signal:
        con.execute("rollback")
        raise signal.locate(con) from None
    except BaseException:
        con.execute("rollback")
        raise
    return done


def import_all(
    con: duckdb.DuckDBPyConnection,
    mirror: Path,
    ids: Iterable[str] | None = None,
    progress: Callable[[Source, int], None] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> list[ImportedFile]:
    """Import the given sources (all by default), state systems first; stop at the first error.

    ``progress(source, n_files)`` is called after each source and ``on_file(name)`` after each file.
    """
    out: list[ImportedFile] = []
    for source in import_order(ids):
        codes = known_codes(con) if source.kind != "states" else {}
        out.extend(import_source(con, source, mirror, codes, on_file=on_file))
        if progress:
            progress(source, len(source.files))
    return out

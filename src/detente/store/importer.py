"""Import mirror datasets into the analytic store: one transaction per dataset, re-runnable."""

from __future__ import annotations

import hashlib
import os
import threading
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
    """Create ``<source>.<table>`` from one file inside the open transaction; return its rows.

    The file is read strictly (the first bad row fails the statement); a failure is diagnosed
    after the rollback by re-reading with rejected rows recorded (see :class:`_Diagnose`).
    """
    label = f"{source.id}/{spec.name}"
    if not path.is_file():
        raise SourceError(f"file {label} is not in the mirror ({path})")
    if path.stat().st_size == 0:
        raise ValidationError(label, None, None, "the file is empty")
    target = f"{quote_ident(source.id)}.{quote_ident(spec.table)}"
    if spec.format == "csv" and spec.header:
        check_header(path, label, spec)
    if spec.loader:
        _drop_rejects(con)
        raw_sql = diagnose_sql = loaders.get(spec.loader)(con, source, spec, path)
    elif spec.format == "parquet":
        raw_sql = diagnose_sql = read_parquet_sql(path)
    else:
        raw_sql, diagnose_sql = read_csv_sql(path, spec), read_csv_sql(path, spec, REJECTS)
    try:
        (rows,) = con.execute(
            f"create or replace table {target} as select {select_list(spec)} from {raw_sql}"
        ).fetchone() or (None,)
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        raise _Diagnose(label, spec, diagnose_sql, str(exc).splitlines()[0]) from None
    if spec.loader:  # a loader may read with the rejects table
        _raise_rejects(con, label)
    return check_table(con, target, spec, label, codes, rows)


class _Diagnose(Exception):
    """A statement failed inside the transaction: locate the bad row after rolling back."""

    def __init__(self, label: str, spec: FileSpec, raw_sql: str, message: str) -> None:
        super().__init__(message)
        self.label, self.spec, self.raw_sql, self.message = label, spec, raw_sql, message

    def locate(self, con: duckdb.DuckDBPyConnection) -> ValidationError:
        """Re-read the file outside the aborted transaction and return the error naming the row."""
        try:
            _drop_rejects(con)
            # every column is materialised: a bare count(*) may skip parsing (and rejecting) rows
            con.execute(f"create or replace temp table {REJECTS}_read as select * from {self.raw_sql}")
            con.execute(f"drop table {REJECTS}_read")
            _raise_rejects(con, self.label)
            locate_bad_value(con, self.raw_sql, self.spec, self.label)
        except ValidationError as err:
            return err
        except duckdb.Error:
            pass
        return ValidationError(self.label, None, None, self.message)


#: The temporary table where a diagnosing read records rejected rows (per connection).
REJECTS = "detente_rejects"


def _drop_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"drop table if exists {REJECTS}; drop table if exists {REJECTS}_scan")


def _raise_rejects(con: duckdb.DuckDBPyConnection, label: str) -> None:
    """Raise for rows the CSV reader rejected, if it recorded any."""
    (exists,) = con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [REJECTS]
    ).fetchone() or (0,)
    if exists:
        raise_first_reject(con, REJECTS, label)


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
    """Insert rows into a catalog table with one statement, one list parameter per column.

    Unnesting one list per column costs DuckDB far less than binding one parameter per value,
    and ``executemany`` (one statement per row) costs more still.
    """
    if not rows:
        return
    columns = [list(c) for c in zip(*rows, strict=True)]
    unnests = ", ".join("unnest(?)" for _ in columns)
    con.execute(f"insert into {CATALOG_SCHEMA}.{table} select {unnests}", columns)


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
    workers: int | None = None,
) -> list[ImportedFile]:
    """Import the given sources (all by default), state systems first; stop at the first error.

    The state systems are imported first, one after the other: their codes validate the other
    sources, and are read once. The other sources are then imported by ``workers`` threads (default:
    the number of CPUs, at most 4), each with its own cursor and each source in its own
    transaction, the costliest first. On an error no further source starts; those already under
    way finish, and the error of the first failing source (in import order) is raised. Every
    source stays atomic: a failed one keeps its previous version.

    ``progress(source, n_files)`` is called after each source and ``on_file(name)`` after each
    file, from the importing thread.

    Returns
    -------
    list of ImportedFile
        The imported files, in import order.
    """
    sources = import_order(ids)
    first = [s for s in sources if s.id in STATE_SOURCES]
    rest = [s for s in sources if s.id not in STATE_SOURCES]
    done: dict[str, list[ImportedFile]] = {}

    def run(cur: duckdb.DuckDBPyConnection, source: Source, codes: dict[str, set]) -> None:
        done[source.id] = import_source(cur, source, mirror, codes if source.kind != "states" else {}, on_file=on_file)
        if progress:
            progress(source, len(source.files))

    for source in first:
        run(con, source, {})
    if rest:
        codes = known_codes(con)
        workers = workers or min(os.cpu_count() or 1, 4)
        if workers == 1 or len(rest) == 1:
            for source in rest:
                run(con, source, codes)
        else:
            _run_parallel(con, rest, workers, lambda c, s: run(c, s, codes), priority=lambda s: _cost(s, mirror))
    return [f for s in sources for f in done.get(s.id, [])]


def _cost(source: Source, mirror: Path) -> int:
    """A rough import cost for scheduling: bytes to read, plus a fixed cost per column."""
    total = 0
    for spec in source.files:
        path = mirror / source.id / spec.name
        total += (path.stat().st_size if path.is_file() else 0) + 20_000 * len(spec.columns)
    return total


def _run_parallel(
    con: duckdb.DuckDBPyConnection,
    sources: list[Source],
    workers: int,
    run: Callable[[duckdb.DuckDBPyConnection, Source], None],
    priority: Callable[[Source], int],
) -> None:
    """Call ``run(cursor, source)`` for each source on ``workers`` threads, one cursor each.

    Sources start in decreasing ``priority``. DuckDB releases the GIL while it works, so the
    threads overlap reading, checking and committing different sources. No source starts after a
    failure or an interrupt; the first failure in ``sources`` order is re-raised once every thread
    has stopped.
    """
    queue = sorted(sources, key=priority)
    lock = threading.Lock()
    stop = threading.Event()
    failures: dict[str, BaseException] = {}
    cursors = [con.cursor() for _ in range(workers)]
    # each worker says when it no longer uses its cursor (Thread.join can be fooled by an interrupt)
    finished = [threading.Event() for _ in cursors]

    def worker(cur: duckdb.DuckDBPyConnection, done: threading.Event) -> None:
        try:
            while not stop.is_set():
                with lock:
                    if not queue:
                        return
                    source = queue.pop()
                try:
                    run(cur, source)
                except BaseException as exc:  # re-raised in the calling thread
                    failures[source.id] = exc
                    stop.set()
        finally:
            done.set()

    for i, (cur, done) in enumerate(zip(cursors, finished, strict=True)):
        threading.Thread(target=worker, args=(cur, done), name=f"detente-import-{i}", daemon=True).start()
    interrupt: BaseException | None = None
    while not all(done.is_set() for done in finished):
        try:
            for done in finished:
                # short waits: an interrupt that is not a real signal (one raised from another
                # thread) is only seen between waits, and must not wait for the whole queue
                while not done.wait(0.05):
                    pass
        except BaseException as exc:  # Ctrl-C: abort the running statements, which roll back
            if interrupt is None:
                interrupt = exc
                stop.set()
                for cur in cursors:
                    cur.interrupt()
    for cur in cursors:
        cur.close()
    if interrupt is not None:
        raise interrupt
    for source in sources:
        if source.id in failures:
            raise failures[source.id]

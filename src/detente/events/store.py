"""Import event files into the canonical, partitioned Parquet event store.

Layout of a store directory::

    STORE/events/year=2011/month=8/part-<import>-<n>.parquet     canonical events
    STORE/mentions/year=2017/month=7/part-<import>-<n>.parquet   GDELT 2.0 mentions
    STORE/imports/<import>.json                                  what each import read and rejected

Files are written into a hidden temporary directory inside the store and then renamed into their
partitions one by one (a rename is atomic on one file system), so a reader or a crash never sees
a half-written partition file. Within a partition rows are sorted by source and target state, so
the state columns compress to runs and aggregation reads few bytes; text columns are dictionary
encoded (few distinct values), compression is Snappy (fast to decode, readable by Spark).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from detente.events import canonical
from detente.events.cameo import GOLDSTEIN_CHOICES
from detente.events.codes import SCHEME_OF_LAYOUT, normalise
from detente.events.reader import BadRow, Parsed, expand, read_file
from detente.exceptions import EventsError

EVENTS_DIR = "events"
MENTIONS_DIR = "mentions"
IMPORTS_DIR = "imports"

#: Rows gathered before a batch is written (bounds the importer's memory).
BATCH_ROWS = 4_000_000
#: Parquet row-group size: large enough for fast scans, small enough for two cores to share a month.
ROW_GROUP_SIZE = 1 << 20


@dataclass
class FileReport:
    """What one file gave: its layout, rows read, kept and rejected."""

    file: str
    layout: str
    rows: int
    kept: int
    bad: int


@dataclass
class ImportReport:
    """The outcome of an import.

    Attributes
    ----------
    store : str
        The store directory.
    import_id : str
        The identifier in the written file names and in ``imports/<import_id>.json``.
    files : list of FileReport
        Per file (zip members separately).
    bad_rows : list of BadRow
        Every rejected row, by file and line (the report keeps them all; the CLI prints a few).
    events, mentions : int
        Rows written to each table.
    goldstein : str
        Which Goldstein weights the events carry (``file``, ``gdelt`` or ``icews``).
    """

    store: str
    import_id: str
    files: list[FileReport] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    events: int = 0
    mentions: int = 0
    goldstein: str = "file"

    @property
    def bad(self) -> int:
        """The number of rejected rows."""
        return len(self.bad_rows)

    @property
    def layouts(self) -> dict[str, int]:
        """Files per layout (a directory may mix layouts; each file is read in its own)."""
        out: dict[str, int] = {}
        for f in self.files:
            out[f.layout] = out.get(f.layout, 0) + 1
        return out

    def to_dict(self) -> dict:
        """A JSON-ready summary."""
        return {
            "store": self.store,
            "import_id": self.import_id,
            "events": self.events,
            "mentions": self.mentions,
            "bad": self.bad,
            "goldstein": self.goldstein,
            "files": [asdict(f) for f in self.files],
            "bad_rows": [asdict(b) for b in self.bad_rows],
        }


class _Writer:
    """Gathers checked batches and writes them, partitioned, into a temporary directory."""

    def __init__(self, con, tmp: Path, name: str, schema: pa.Schema, sort: str) -> None:
        self.con = con
        self.tmp = tmp / name
        self.schema = schema.append(pa.field("year", pa.int16())).append(pa.field("month", pa.int8()))
        self.sort = sort
        self.pending: list[pa.Table] = []
        self.rows = 0
        self.written = 0
        self.flushes = 0

    def add(self, table: pa.Table) -> None:
        self.pending.append(table.select(self.schema.names).cast(self.schema))
        self.rows += table.num_rows
        if self.rows >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch = pa.concat_tables(self.pending)
        self.pending, self.rows = [], 0
        if batch.num_rows == 0:
            return
        self.con.register("batch", batch)
        target = self.tmp / f"flush{self.flushes:05d}"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.flushes += 1
        self.con.execute(
            f"""COPY (SELECT * FROM batch ORDER BY year, month, {self.sort})
            TO '{_sql_path(target)}' (FORMAT parquet, PARTITION_BY (year, month),
            COMPRESSION snappy, ROW_GROUP_SIZE {ROW_GROUP_SIZE}, WRITE_PARTITION_COLUMNS false)"""
        )
        self.con.unregister("batch")
        self.written += batch.num_rows

    def publish(self, final: Path, import_id: str) -> None:
        """Move every partition into ``final``: one sorted file per partition and import.

        A partition written by several batches is first merged (and re-sorted) into one file in
        the temporary directory, so a large import does not leave many small files behind.
        """
        if not self.tmp.exists():
            return
        parts: dict[Path, list[Path]] = {}
        for path in sorted(self.tmp.glob("flush*/year=*/month=*/*.parquet")):
            rel = path.relative_to(self.tmp)
            parts.setdefault(Path(*rel.parts[1:-1]), []).append(path)
        for n, (partition, files) in enumerate(sorted(parts.items())):
            source = files[0]
            if len(files) > 1:
                source = self.tmp / "merged" / partition / "part.parquet"
                source.parent.mkdir(parents=True, exist_ok=True)
                listed = ", ".join("'" + _sql_path(f) + "'" for f in files)
                self.con.execute(
                    f"""COPY (SELECT * FROM read_parquet([{listed}], hive_partitioning = false) ORDER BY {self.sort})
                    TO '{_sql_path(source)}' (FORMAT parquet, COMPRESSION snappy,
                    ROW_GROUP_SIZE {ROW_GROUP_SIZE})"""
                )
            dest = final / partition
            dest.mkdir(parents=True, exist_ok=True)
            os.replace(source, dest / f"part-{import_id}-{n:05d}.parquet")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def import_events(
    inputs: list[str | Path] | str | Path,
    output: str | Path,
    *,
    strict: bool = False,
    goldstein: str = "file",
    mirror: str | Path | None = None,
    threads: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Read event files and add them to a canonical Parquet event store.

    Parameters
    ----------
    inputs : path, glob or list of them
        Files (plain or zip), directories (read recursively) or glob patterns; GDELT 1.0 and 2.0
        events, GDELT 2.0 mentions and ICEWS events, native or re-saved with a header row, and
        Parquet files with the official column names.
    output : path
        The store directory (created when missing).
    strict : bool
        Fail on the first bad row (:class:`EventsError`) and write nothing.
    goldstein : {"file", "gdelt", "icews"}
        Keep each file's Goldstein weights, or re-weight every event from one CAMEO table.
    mirror : path, optional
        The data mirror holding the CAMEO tables.
    threads : int, optional
        DuckDB threads (default: all cores).
    progress : callable, optional
        Called as ``progress(file, done, total)`` after each file.

    Returns
    -------
    ImportReport

    Examples
    --------
    >>> report = import_events("events/*.zip", "store")          # doctest: +SKIP
    >>> report.events, report.bad                                # doctest: +SKIP
    (1825303, 12)
    """
    import duckdb

    if goldstein not in GOLDSTEIN_CHOICES:
        raise EventsError(f"goldstein must be one of {GOLDSTEIN_CHOICES}, not {goldstein!r}")
    paths = expand([inputs] if isinstance(inputs, str | Path) else list(inputs))
    store = Path(output)
    store.mkdir(parents=True, exist_ok=True)
    import_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    report = ImportReport(str(store), import_id, goldstein=goldstein)
    tmp = store / f".tmp-{import_id}"
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    try:
        canonical.prepare(con, None if mirror is None else str(mirror))
        events = _Writer(con, tmp, EVENTS_DIR, canonical.EVENT_SCHEMA, "source_cow, target_cow, date")
        mentions = _Writer(con, tmp, MENTIONS_DIR, canonical.MENTION_SCHEMA, "event_id")
        for done, path in enumerate(paths, start=1):
            for parsed in read_file(path):
                _check(con, parsed, goldstein, strict, report, events, mentions)
            if progress is not None:
                progress(str(path), done, len(paths))
        events.flush()
        mentions.flush()
        events.publish(store / EVENTS_DIR, import_id)
        mentions.publish(store / MENTIONS_DIR, import_id)
        report.events, report.mentions = events.written, mentions.written
        (store / IMPORTS_DIR).mkdir(exist_ok=True)
        (store / IMPORTS_DIR / f"{import_id}.json").write_text(json.dumps(report.to_dict(), indent=1))
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return report


def _first(bad: list[BadRow]) -> BadRow:
    return min(bad, key=lambda b: -1 if b.line is None else b.line)


def _check(con, parsed: Parsed, goldstein: str, strict: bool, report: ImportReport, events, mentions):
    if parsed.table.num_rows == 0:
        if strict and parsed.bad:
            raise EventsError(str(_first(parsed.bad)))
        report.bad_rows.extend(parsed.bad)
        report.files.append(FileReport(parsed.file, parsed.layout.name, parsed.rows_read, 0, len(parsed.bad)))
        return
    raw = parsed.table
    if parsed.layout.kind == "events":
        scheme = SCHEME_OF_LAYOUT[parsed.layout.name]
        for side in ("source", "target"):
            raw = raw.append_column(f"{side}_key", normalise(scheme, raw[f"{side}_code"]))
        sql = canonical.events_sql(parsed.layout, goldstein, raw.schema)
    else:
        sql = canonical.MENTIONS_SQL
    con.register("raw", raw)
    checked = con.sql(sql).to_arrow_table()
    con.unregister("raw")
    import pyarrow.compute as pc

    is_bad = pc.is_valid(checked["reason"])
    n_bad = pc.sum(is_bad).as_py() or 0
    rows: list[BadRow] = []
    if n_bad:
        rejected = checked.filter(is_bad).select(["line", "reason"]).sort_by("line")
        rows = [
            BadRow(parsed.file, int(line), reason)
            for line, reason in zip(
                rejected["line"].to_pylist(), rejected["reason"].to_pylist(), strict=True
            )
        ]
        checked = checked.filter(pc.invert(is_bad))
    every = sorted(parsed.bad + rows, key=lambda b: -1 if b.line is None else b.line)
    if strict and every:
        raise EventsError(str(every[0]))
    report.bad_rows.extend(every)
    name = pa.array([parsed.file] * checked.num_rows, pa.string()).dictionary_encode()
    checked = checked.append_column("source_file", name)
    if parsed.layout.kind == "events":
        dataset = pa.array([parsed.layout.name] * checked.num_rows, pa.string())
        events.add(checked.append_column("dataset", dataset))
    else:
        mentions.add(checked)
    report.files.append(
        FileReport(
            parsed.file, parsed.layout.name, parsed.rows_read, checked.num_rows, len(parsed.bad) + n_bad
        )
    )


def read_events(store: str | Path, table: str = EVENTS_DIR):
    """Open a store's events (or ``table="mentions"``) as a DuckDB relation.

    Examples
    --------
    >>> read_events("store").filter("source_cow = 372").count("*")     # doctest: +SKIP
    """
    import duckdb

    root = Path(store) / table
    if not any(root.glob("year=*/month=*/*.parquet")):
        raise EventsError(f"{store} holds no {table}")
    glob = str(root / "year=*" / "month=*" / "*.parquet").replace("'", "''")
    return duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")

"""Import event files into the canonical, partitioned Parquet event store.

Layout of a store directory::

    STORE/events/year=2011/month=8/part-<import>-<n>.parquet     canonical events
    STORE/mentions/year=2017/month=7/part-<import>-<n>.parquet   GDELT 2.0 mentions
    STORE/imports/<import>.json                                  what each import read and rejected
    STORE/manifest.parquet                                       every imported file (see manifest)

An import reads each file once (the parser on both cores while the file's SHA-256 is computed
beside it), checks its rows on their distinct values (:mod:`detente.events.canonical`), and
writes sorted partition files into a hidden temporary directory inside the store
(:mod:`detente.events.writer`). Only when every file has been read are the files moved into their
partitions, by a journaled set of atomic renames (:mod:`detente.events.manifest`), so a reader
or a crash never sees a half-written partition or half an import.

A file already in the store (same content, whatever its name) is skipped; a file whose name is in
the store with other content is a new version: its old rows are removed in the same publication
that adds the new ones.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from detente.events import canonical, manifest
from detente.events.cameo import GOLDSTEIN_CHOICES
from detente.events.reader import UNKNOWN, BadRow, Parsed, expand, read_file
from detente.events.writer import PartitionWriter, event_key, mention_key, without_files
from detente.exceptions import EventsError

EVENTS_DIR = "events"
MENTIONS_DIR = "mentions"
IMPORTS_DIR = "imports"


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
    skipped : list of str
        Files not read again because the store already holds them (one message each).
    replaced : list of str
        Files whose earlier version's rows this import replaced.
    """

    store: str
    import_id: str
    files: list[FileReport] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    events: int = 0
    mentions: int = 0
    goldstein: str = "file"
    skipped: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)

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
            "skipped": self.skipped,
            "replaced": self.replaced,
            "files": [asdict(f) for f in self.files],
            "bad_rows": [asdict(b) for b in self.bad_rows],
        }


def _key(path: Path, display: str) -> str:
    """A file's name in the store: its base name, and ``archive.zip:member`` for zip members."""
    return path.name + display[len(str(path)) :]


def _partitions(table) -> list[str]:
    """The ``year=Y/month=M`` partitions a checked table's rows go to."""
    if table.num_rows == 0:
        return []
    months = table["year"].to_numpy().astype(np.int64) * 12 + table["month"].to_numpy() - 1
    first = int(months.min())
    present = np.flatnonzero(np.bincount(months - first)) + first
    return [f"year={m // 12}/month={m % 12 + 1}" for m in present.tolist()]


@dataclass
class _Import:
    """One import while its files are read: what the store holds and what this import adds."""

    store: Path
    import_id: str
    tmp: Path
    strict: bool
    goldstein: str
    mirror: str | None
    reimport: bool
    report: ImportReport
    events: PartitionWriter
    mentions: PartitionWriter
    known: dict[str, dict] = field(default_factory=dict)
    entries: dict[str, dict] = field(default_factory=dict)
    replaced: dict[str, dict] = field(default_factory=dict)
    _files: dict[str, FileReport] = field(default_factory=dict)
    _current: list[str] = field(default_factory=list)

    def read(self, path: Path, hasher: ThreadPoolExecutor) -> None:
        """Read, check and queue one file (each member of a zip), unless the store holds it.

        The file is hashed while it is parsed. Only when a file of the same size is already in
        the store (or earlier in this import) can it be the same content, and only then does the
        first piece wait for the hash before its rows are queued.
        """
        size = path.stat().st_size
        others = (*self.known.values(), *self.entries.values())
        twins = not self.reimport and any(r["bytes"] == size for r in others)
        pending: Future[str] = hasher.submit(manifest.sha256, path)
        earlier = [r for r in self.known.values() if r["file"] == path.name or r["archive"] == path.name]
        if twins and earlier and all(r["bytes"] == size for r in earlier) and self._skip(path, pending.result()):
            return  # most likely the same file again: checked before reading it
        self._current = []
        pieces = read_file(path)
        try:
            for parsed in pieces:
                checked = self._check(path, parsed)
                if twins and self._skip(path, pending.result()):
                    return
                twins = False
                self._keep(path, size, parsed, checked)
        finally:
            pieces.close()  # now, not whenever the garbage collector finds the reader
        self._adopt(path, pending.result())

    def _skip(self, path: Path, digest: str) -> bool:
        """Whether the store (or this import) already holds this content; it is then skipped."""
        for row in (*self.entries.values(), *self.known.values()):
            if row["sha256"] == digest and row["goldstein"] == self.goldstein:
                where = "earlier in this import" if row["import_id"] == self.import_id else f"import {row['import_id']}"
                self.report.skipped.append(f"{path}: already in the store as {row['file']} ({where}); skipped")
                return True
        return False

    def _adopt(self, path: Path, digest: str) -> None:
        """Record the digest of the file just read, and the earlier files whose rows it replaces:
        a file of the same name (a new version), or the same content read again."""
        for key in self._current:
            self.entries[key]["sha256"] = digest
        for row in self.known.values():
            if row["file"] in self.replaced:
                continue
            if row["file"] == path.name or row["archive"] == path.name or row["sha256"] == digest:
                self.replaced[row["file"]] = row
                self.report.replaced.append(f"{path}: replaces the rows of {row['file']} from import {row['import_id']}")

    def _check(self, path: Path, parsed: Parsed) -> canonical.Checked | None:
        if parsed.table.num_rows == 0:
            return None
        key = _key(path, parsed.file)
        if parsed.layout.kind == "events":
            return canonical.check_events(parsed.table, parsed.layout, self.goldstein, key, self.mirror)
        return canonical.check_mentions(parsed.table, key)

    def _keep(self, path: Path, size: int, parsed: Parsed, checked: canonical.Checked | None) -> None:
        """Report a piece's bad rows, queue its good ones and add it to its file's manifest row."""
        rows = list(parsed.bad)
        if checked is not None and len(checked.bad):
            lines = parsed.lines(checked.bad)
            rows += [BadRow(parsed.file, int(n), r) for n, r in zip(lines, checked.reasons, strict=True)]
        rows.sort(key=lambda b: -1 if b.line is None else b.line)
        if self.strict and rows:
            raise EventsError(str(rows[0]))  # pieces come in file order: this is the first
        self.report.bad_rows.extend(rows)
        kept = 0 if checked is None else checked.table.num_rows
        key = _key(path, parsed.file)
        if self._files.get(key) is None or self._files[key].file != parsed.file:
            if key in self._files:
                raise EventsError(
                    f"{parsed.file}: a different file named {key} is already part of this import; "
                    "a store knows a file by its name, so import them into separate stores"
                )
            self._files[key] = FileReport(parsed.file, parsed.layout.name, 0, 0, 0)
            self.report.files.append(self._files[key])
        report = self._files[key]
        report.rows += parsed.rows_read
        report.kept += kept
        report.bad += len(rows)
        if parsed.layout.name == UNKNOWN.name:
            return  # nothing imported, nothing to remember
        if key not in self.entries:
            self._current.append(key)
        entry = self.entries.setdefault(key, {
            "file": key, "sha256": "", "bytes": size,
            "archive": path.name if key != path.name else None,
            "layout": parsed.layout.name,
            "table": EVENTS_DIR if parsed.layout.kind == "events" else MENTIONS_DIR,
            "import_id": self.import_id, "goldstein": self.goldstein,
            "rows": 0, "kept": 0, "bad": 0, "partitions": set(), "covered": set(),
        })  # fmt: skip
        entry["rows"], entry["kept"], entry["bad"] = report.rows, report.kept, report.bad
        if checked is not None:
            (self.events if parsed.layout.kind == "events" else self.mentions).add(checked.table)
            entry["partitions"].update(_partitions(checked.table))
            entry["covered"].update(checked.covered)

    def publish(self) -> None:
        """Write the last batches, drop replaced rows and move everything into the store."""
        moves: list[tuple[Path, str]] = []
        for name, writer in ((EVENTS_DIR, self.events), (MENTIONS_DIR, self.mentions)):
            moves += [(path, f"{name}/{rel}/{path.name}") for rel, path in writer.finish(self.import_id)]
        self.report.events, self.report.mentions = self.events.written, self.mentions.written
        dropped: dict[str, set[str]] = {}  # store file -> names of replaced files with rows in it
        for key, row in self.replaced.items():
            for part in row["partitions"]:
                for f in (self.store / row["table"] / part).glob(f"part-{row['import_id']}-*.parquet"):
                    dropped.setdefault(f.relative_to(self.store).as_posix(), set()).add(key)
        deletes = []
        for rel, keys in sorted(dropped.items()):
            out = self.tmp / "rewrite" / rel
            if without_files(self.store / rel, keys, out):
                moves.append((out, rel))
            else:
                deletes.append(rel)
        rows = {k: v for k, v in self.known.items() if k not in self.replaced}
        for key, entry in self.entries.items():
            covered = manifest.day_ranges(sorted(entry["covered"]))
            rows[key] = {**entry, "partitions": sorted(entry["partitions"]), "covered": covered}
        manifest.write(rows, self.tmp / manifest.MANIFEST)
        record = self.tmp / f"{self.import_id}.json"
        record.write_text(json.dumps(self.report.to_dict(), indent=1))
        moves += [(self.tmp / manifest.MANIFEST, manifest.MANIFEST), (record, f"{IMPORTS_DIR}/{record.name}")]
        manifest.publish(self.store, self.tmp, moves, deletes)


def import_events(
    inputs: list[str | Path] | str | Path,
    output: str | Path,
    *,
    strict: bool = False,
    goldstein: str = "file",
    mirror: str | Path | None = None,
    threads: int | None = None,
    reimport: bool = False,
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
        Partition files written at once (default: all cores; parsing always uses all cores).
    reimport : bool
        Read files the store already holds again, replacing their rows (by default such a file
        is skipped and listed in :attr:`ImportReport.skipped`).
    progress : callable, optional
        Called as ``progress(file, done, total)`` after each file.

    Returns
    -------
    ImportReport

    Notes
    -----
    A store knows each file by its name (``archive.zip:member`` for a zip member) and the
    SHA-256 of its content. Content already imported (under any name, with the same Goldstein
    choice) is skipped; a name already imported with other content is a new version, and the
    import replaces the old version's rows.

    Examples
    --------
    >>> report = import_events("events/*.zip", "store")          # doctest: +SKIP
    >>> report.events, report.bad                                # doctest: +SKIP
    (1825303, 12)
    """
    if goldstein not in GOLDSTEIN_CHOICES:
        raise EventsError(f"goldstein must be one of {GOLDSTEIN_CHOICES}, not {goldstein!r}")
    paths = expand([inputs] if isinstance(inputs, str | Path) else list(inputs))
    store = Path(output)
    store.mkdir(parents=True, exist_ok=True)
    import_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    report = ImportReport(str(store), import_id, goldstein=goldstein)
    cores = int(threads or os.cpu_count() or 1)
    tmp = store / f".tmp-{import_id}"
    with manifest.locked(store):
        manifest.finish(store)  # an import interrupted while publishing is completed first
        tmp.mkdir()
        job = _Import(
            store, import_id, tmp, strict, goldstein, None if mirror is None else str(mirror), reimport, report,
            PartitionWriter(tmp / EVENTS_DIR, canonical.EVENT_SCHEMA, event_key, cores),
            PartitionWriter(tmp / MENTIONS_DIR, canonical.MENTION_SCHEMA, mention_key, cores),
            known=manifest.load(store),
        )  # fmt: skip
        try:
            with ThreadPoolExecutor(1) as hasher:
                for done, path in enumerate(paths, start=1):
                    job.read(path, hasher)
                    if progress is not None:
                        progress(str(path), done, len(paths))
            job.publish()
        finally:
            if not (store / manifest.JOURNAL).exists():  # a journal left behind finishes later
                shutil.rmtree(tmp, ignore_errors=True)
    return report

def read_events(store: str | Path, table: str = EVENTS_DIR):
    """Open a store's events (or ``table="mentions"``) as a DuckDB relation.

    Examples
    --------
    >>> read_events("store").filter("source_cow = 372").count("*")     # doctest: +SKIP
    """
    import duckdb

    manifest.settle(Path(store))
    root = Path(store) / table
    if not any(root.glob("year=*/month=*/*.parquet")):
        raise EventsError(f"{store} holds no {table}")
    glob = str(root / "year=*" / "month=*" / "*.parquet").replace("'", "''")
    return duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")

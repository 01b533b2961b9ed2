"""What a store holds: one manifest row per imported file, and crash-safe publishing.

``STORE/manifest.parquet`` has one row per imported file (a zip member is a file of its own):
its name, the SHA-256 of its content, its layout and table, the import that wrote it, the
Goldstein choice, rows read, kept and rejected, the partitions its rows went to, and the days
it covers (see :func:`detente.events.canonical.check_events`). The manifest makes imports
idempotent (a file already imported is skipped, a new version of a file replaces the old one's
rows) and tells panels which days the store covers.

Publishing an import moves many files into the store. Every move is an atomic rename, and the
whole set is made atomic with a journal: the list of moves and deletions is written first
(``STORE/.publish.json``, itself by an atomic rename), then carried out, then removed. A crash
in between leaves the journal, and the next import (or aggregation) finishes the moves before
doing anything else, so the store never keeps half an import. One import at a time writes to a
store (an exclusive lock on ``STORE/.lock``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.parquet"
JOURNAL = ".publish.json"
LOCK = ".lock"

SCHEMA = pa.schema(
    [
        ("file", pa.string()),
        ("sha256", pa.string()),
        ("bytes", pa.int64()),
        ("archive", pa.string()),
        ("layout", pa.string()),
        ("table", pa.string()),
        ("import_id", pa.string()),
        ("goldstein", pa.string()),
        ("rows", pa.int64()),
        ("kept", pa.int64()),
        ("bad", pa.int64()),
        ("partitions", pa.list_(pa.string())),
        ("covered", pa.list_(pa.struct([("start", pa.date32()), ("end", pa.date32())]))),
    ]
)


def load(store: str | Path) -> dict[str, dict]:
    """The manifest of ``store`` as ``{file: row}`` (empty for a new store)."""
    path = Path(store) / MANIFEST
    if not path.is_file():
        return {}
    return {row["file"]: row for row in pq.read_table(path, schema=SCHEMA).to_pylist()}


def write(rows: dict[str, dict], path: Path) -> None:
    """Write manifest rows to ``path``."""
    table = pa.Table.from_pylist([rows[k] for k in sorted(rows)], schema=SCHEMA)
    pq.write_table(table, path, compression="snappy")


def sha256(path: Path, chunk: int = 1 << 22) -> str:
    """The SHA-256 of a file's bytes (hashlib releases the GIL: it runs beside the parser)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def day_ranges(days: list[dt.date]) -> list[dict[str, dt.date]]:
    """Sorted days as runs of consecutive days.

    Examples
    --------
    >>> d = dt.date
    >>> [(r["start"].day, r["end"].day) for r in day_ranges([d(2011, 8, 1), d(2011, 8, 2), d(2011, 8, 5)])]
    [(1, 2), (5, 5)]
    """
    out: list[dict[str, dt.date]] = []
    for day in sorted(set(days)):
        if out and (day - out[-1]["end"]).days == 1:
            out[-1]["end"] = day
        else:
            out.append({"start": day, "end": day})
    return out


@contextlib.contextmanager
def locked(store: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold the store's write lock; yields False when ``wait`` is off and another process holds it."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform: one writer is the user's job
        yield True
        return
    store.mkdir(parents=True, exist_ok=True)
    with (store / LOCK).open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def publish(store: Path, tmp: Path, moves: list[tuple[Path, str]], deletes: list[str]) -> None:
    """Move ``(file, store-relative destination)`` pairs into the store and delete files, atomically.

    The journal names ``tmp`` so that finishing it also removes the temporary directory.
    """
    journal = {
        "tmp": tmp.relative_to(store).as_posix(),
        "deletes": sorted(deletes),
        "moves": [[src.relative_to(store).as_posix(), dst] for src, dst in moves],
    }
    staged = tmp / "journal.json"
    staged.write_text(json.dumps(journal))
    os.replace(staged, store / JOURNAL)  # from here on the import happens, even after a crash
    finish(store)


def finish(store: Path) -> bool:
    """Carry out an interrupted publication, if any (moves and deletions are idempotent)."""
    path = store / JOURNAL
    if not path.is_file():
        return False
    journal = json.loads(path.read_text())
    for rel in journal["deletes"]:
        (store / rel).unlink(missing_ok=True)
    for src, dst in journal["moves"]:
        if (store / src).exists():
            (store / dst).parent.mkdir(parents=True, exist_ok=True)
            os.replace(store / src, store / dst)
    path.unlink()
    shutil.rmtree(store / journal["tmp"], ignore_errors=True)
    return True


def settle(store: Path) -> None:
    """Before reading: finish an interrupted publication unless an import is running."""
    if (store / JOURNAL).is_file():
        with locked(store, wait=False) as free:
            if free:
                finish(store)


def coverage(store: str | Path, datasets: list[str] | tuple[str, ...] = ()) -> list[tuple[str, dt.date, dt.date]]:
    """The days the store's events cover: ``(dataset, first day, last day)`` runs, per dataset.

    Parameters
    ----------
    store : path
        An event store.
    datasets : sequence of str, optional
        Keep these datasets (``gdelt1``, ``gdelt2``, ``icews``); all by default.

    Examples
    --------
    >>> coverage("event-store")                                   # doctest: +SKIP
    [('gdelt1', datetime.date(2011, 8, 1), datetime.date(2011, 8, 31)), ...]
    """
    days: dict[str, list[dt.date]] = {}
    for row in load(store).values():
        if row["table"] != "events" or (datasets and row["layout"] not in datasets):
            continue
        for run in row["covered"]:
            span = (run["end"] - run["start"]).days
            days.setdefault(row["layout"], []).extend(run["start"] + dt.timedelta(d) for d in range(span + 1))
    return [(ds, r["start"], r["end"]) for ds in sorted(days) for r in day_ranges(days[ds])]


def covered_days_by_year(store: str | Path, datasets: list[str] | tuple[str, ...] = ()) -> dict[int, int]:
    """Days covered by at least one of ``datasets`` (all by default), counted per year."""
    days: set[dt.date] = set()
    for _, start, end in coverage(store, datasets):
        days.update(start + dt.timedelta(d) for d in range((end - start).days + 1))
    out: dict[int, int] = {}
    for day in days:
        out[day.year] = out.get(day.year, 0) + 1
    return dict(sorted(out.items()))

"""Write checked rows into year/month partitions of Parquet files laid out for aggregation.

Rows gathered from the files of an import are written in batches: a batch is grouped by
partition (a counting sort on the month), and each partition is sorted by source and target
state and date (one packed integer key), gathered and written as one Parquet file, partitions
in parallel.
A partition that several batches wrote is merged into one sorted file when the import finishes,
so an import leaves one file per partition. Text columns arrive dictionary-encoded and are
written as Parquet dictionaries; compression is Snappy (fast to decode, readable by Spark).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: Rows gathered before a batch is written (bounds the importer's memory).
BATCH_ROWS = 4_000_000
#: Parquet row-group size: large enough for fast scans, small enough for two cores to share a month.
ROW_GROUP_SIZE = 1 << 20
#: Columns with (nearly) unique values, where a Parquet dictionary would only cost time.
_NO_DICTIONARY = frozenset({"event_id", "mention_url", "event_time", "mention_time", "doc_tone"})
#: Columns whose row-group minimum and maximum let a reader skip data (date and key filters);
#: statistics on the other columns would cost a third of the writing time and skip nothing.
_STATISTICS = frozenset({
    "event_id", "date", "source_cow", "target_cow", "source_gw", "target_gw", "root_code",
    "quad_class", "event_time", "mention_time",
})  # fmt: skip
_PARTITION = ("year", "month")


def _months(table: pa.Table) -> np.ndarray:
    year = table["year"].to_numpy().astype(np.int64)
    return year * 12 + table["month"].to_numpy().astype(np.int64) - 1


def _filled(column: pa.ChunkedArray, missing: int) -> np.ndarray:
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if column.null_count:
        column = column.fill_null(missing)
    return column.to_numpy(zero_copy_only=False).astype(np.int64)


def event_key(table: pa.Table) -> np.ndarray:
    """Order inside a partition: source and target CoW code (missing last), then date."""
    days = _filled(table["date"].cast(pa.int32()), 0)
    source = _filled(table["source_cow"], 2047)
    target = _filled(table["target_cow"], 2047)
    # 11 + 11 + 20 bits: days relative to the batch's first
    return source << 31 | target << 20 | (days - (days.min() if len(days) else 0))


def mention_key(table: pa.Table) -> np.ndarray:
    """Order inside a partition: event id."""
    return _filled(table["event_id"], np.iinfo(np.int64).max)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write one partition file (without the partition columns)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [c for c in table.column_names if c not in _PARTITION]
    pq.write_table(
        table.select(names),
        path,
        compression="snappy",
        row_group_size=ROW_GROUP_SIZE,
        use_dictionary=[c for c in names if c not in _NO_DICTIONARY],
        write_statistics=[c for c in names if c in _STATISTICS],
        store_schema=False,
    )


class PartitionWriter:
    """Gathers checked tables and writes them, partitioned by year and month, under ``root``.

    Parameters
    ----------
    root : Path
        A private directory (inside the store's temporary directory).
    schema : pyarrow.Schema
        The canonical columns, in order (``year`` and ``month`` are added).
    key : callable
        Returns the sort key of each row inside its partition (:func:`event_key` or
        :func:`mention_key`).
    threads : int
        Partitions written at once.
    """

    def __init__(self, root: Path, schema: pa.Schema, key: Callable[[pa.Table], np.ndarray], threads: int) -> None:
        self.root = root
        self.names = [*schema.names, *_PARTITION]
        self.key = key
        self.threads = max(1, threads)
        self.pending: list[pa.Table] = []
        self.rows = 0
        self.written = 0
        self.flushes = 0
        self.files: dict[str, list[Path]] = {}

    def add(self, table: pa.Table) -> None:
        """Queue checked rows; a full batch is written at once."""
        if table.num_rows == 0:
            return
        self.pending.append(table.select(self.names))
        self.rows += table.num_rows
        if self.rows >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows: each partition sorted and written by a worker thread.

        Rows are grouped by partition with a stable counting sort on the month; sorting inside a
        partition, gathering its rows and encoding them run in the workers (numpy and Arrow
        release the GIL), so both cores share the work.
        """
        if not self.pending:
            return
        batch = pa.concat_tables(self.pending).combine_chunks() if len(self.pending) > 1 else self.pending[0]
        self.pending, self.rows = [], 0
        months = _months(batch)
        first = int(months.min())
        by_month = np.argsort((months - first).astype(np.int32), kind="stable")
        sizes = np.bincount(months - first)
        key = self.key(batch)
        columns = batch.select([c for c in batch.column_names if c not in _PARTITION])
        jobs = []
        start = 0
        for offset in np.flatnonzero(sizes).tolist():
            stop = start + int(sizes[offset])
            year, month = divmod(first + offset, 12)
            rel = f"year={year}/month={month + 1}"
            path = self.root / f"flush{self.flushes:05d}" / rel / "part.parquet"
            self.files.setdefault(rel, []).append(path)
            jobs.append((by_month[start:stop], path))
            start = stop
        self.flushes += 1

        def write(job: tuple[np.ndarray, Path]) -> None:
            rows, path = job
            rows = rows[np.argsort(key[rows], kind="stable")]
            write_parquet(columns.take(pa.array(rows)), path)

        self._run(write, jobs)
        self.written += batch.num_rows

    def _run(self, fn: Callable, jobs: list) -> None:
        if len(jobs) == 1 or self.threads == 1:
            for job in jobs:
                fn(job)
            return
        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(fn, jobs))

    def finish(self, prefix: str) -> list[tuple[str, Path]]:
        """Flush, merge partitions written by several batches; return ``(partition, file)`` pairs.

        ``partition`` is ``year=Y/month=M``; the files are named ``part-<prefix>-<n>.parquet``
        and still inside :attr:`root` (the caller moves them into the store).
        """
        self.flush()
        out = []
        merges = []
        for n, (rel, files) in enumerate(sorted(self.files.items())):
            final = self.root / "ready" / rel / f"part-{prefix}-{n:05d}.parquet"
            final.parent.mkdir(parents=True, exist_ok=True)
            if len(files) == 1:
                os.replace(files[0], final)
            else:
                merges.append((rel, files, final))
            out.append((rel, final))
        if merges:
            self._merge(merges)
        return out

    def _merge(self, merges: list[tuple[str, list[Path], Path]]) -> None:
        def merge(job: tuple[str, list[Path], Path]) -> None:
            _, files, final = job
            table = pa.concat_tables([pq.read_table(f) for f in files])
            write_parquet(table.take(pa.array(np.argsort(self.key(table), kind="stable"))), final)
            for f in files:
                f.unlink()

        self._run(merge, merges)


def without_files(path: Path, names: set[str], out: Path) -> int:
    """Write ``path`` without the rows whose ``source_file`` is in ``names`` to ``out``.

    Returns the number of rows left (nothing is written when none are).
    """
    table = pq.read_table(path)
    keep = pc.invert(pc.is_in(table["source_file"], value_set=pa.array(sorted(names), pa.string())))
    table = table.filter(keep)
    if table.num_rows:
        write_parquet(table, out)
    return table.num_rows

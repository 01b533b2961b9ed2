"""Write a panel to Parquet, CSV or Stata ``.dta``, chosen by the file extension.

Parquet is encoded by :mod:`detente.panel.parquet_writer`, made for the flat numeric columns of a
panel (pyarrow writes any other table). CSV is written in row groups by a writer thread while the
next rows are built, so only a few are in memory at once. A file appears under its name only when
complete.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from detente.exceptions import PanelError
from detente.panel import parquet_writer
from detente.panel.parquet_writer import ROW_GROUP  # also the rows of a CSV batch built at a time

if TYPE_CHECKING:
    import pyarrow as pa

    from detente.panel.assemble import ColumnStream
    from detente.panel.frame import Panel

T = TypeVar("T")

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".dta": "stata"}


def file_format(path: Path) -> str:
    """``"parquet"``, ``"csv"`` or ``"stata"`` from the extension, or a :class:`PanelError`."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise PanelError(
            f"cannot tell the format of {path.name}: use a .parquet, .csv or .dta file name"
        )
    return fmt


def write_panel(panel: Panel, path: Path, *, names: str = "detente") -> tuple[int, int]:
    """Build ``panel`` and write it to ``path``; return its (rows, columns).

    The panel metadata travels in Parquet's schema metadata.
    """
    fmt = file_format(path)
    if fmt == "csv":
        schema, batches = panel.batches(names=names, rows=ROW_GROUP)
        return write_batches(schema, batches, path), len(schema)
    if fmt == "parquet":
        stream = panel.column_stream(names=names)
        schema = _atomic(path, lambda partial: _write_stream(stream, partial))
        return stream.num_rows, len(schema)
    table = panel.to_arrow(names=names)
    write_table(table, path)
    return table.num_rows, table.num_columns


def _write_stream(stream: ColumnStream, path: Path) -> pa.Schema:
    """Build and encode each piece of each column in one go, starting while later columns are planned."""
    columns = ((name, job.type, job) for name, job in stream.jobs)
    with open(path, "wb") as sink:
        return parquet_writer.write_column_stream(stream.num_rows, columns, sink, metadata=stream.metadata)


def write_batches(schema: pa.Schema, batches: Iterator[pa.RecordBatch], path: Path) -> int:
    """Write record batches as CSV on a writer thread; return the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(path)
    import pyarrow.csv as pacsv

    pending: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def write() -> None:
        batch = False
        try:
            writer = pacsv.CSVWriter(partial, schema)
            while (batch := pending.get()) is not None:
                writer.write_batch(batch)
            writer.close()
        except BaseException as exc:  # reported on the building thread
            failed.append(exc)
            while batch is not None:  # let the builder finish putting
                batch = pending.get()

    thread = threading.Thread(target=write, name="detente-panel-writer", daemon=True)
    thread.start()
    rows = 0
    complete = False
    try:
        for batch in batches:
            if failed:
                break
            pending.put(batch)
            rows += batch.num_rows
        complete = True
    finally:
        if hasattr(batches, "close"):
            batches.close()  # the producer's threads end now, not when it is collected
        pending.put(None)
        thread.join()
        if failed or not complete:
            _discard(partial)
    if failed:
        raise failed[0]
    os.replace(partial, path)
    return rows


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _discard(partial: Path) -> None:
    if partial.is_file():
        partial.unlink()


def write_table(table: pa.Table, path: Path) -> Path:
    """Write a built ``table`` to ``path``; the panel metadata travels in Parquet's schema metadata.

    Raises
    ------
    PanelError
        The extension is not one of .parquet, .csv or .dta.
    """
    fmt = file_format(path)
    if fmt == "csv":
        write_batches(table.schema, iter(table.to_batches(max_chunksize=ROW_GROUP)), path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "stata":
        df = table.to_pandas()
        too_long = [c for c in df.columns if len(c) > 32]
        if too_long:
            raise PanelError(f"Stata allows names of at most 32 characters: {too_long}")
        df.to_stata(path, write_index=False, version=118)
        return path
    _atomic(path, lambda partial: _write_parquet(table, partial))
    return path


def _atomic(path: Path, write: Callable[[Path], T]) -> T:
    """``write(partial)``, then the partial file takes the name ``path`` (removed on failure)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(path)
    try:
        result = write(partial)
    except BaseException:
        _discard(partial)
        raise
    os.replace(partial, path)
    return result


def _write_parquet(table: pa.Table, path: Path) -> None:
    if parquet_writer.supports(table.schema):
        with open(path, "wb") as sink:
            parquet_writer.write_parquet(table, sink)
        return
    import pyarrow.parquet as pq

    pq.write_table(table, path, compression="zstd", row_group_size=ROW_GROUP)

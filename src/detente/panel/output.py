"""Write a panel to Parquet, CSV or Stata ``.dta``, chosen by the file extension.

Parquet is encoded by polars, which compresses the columns in parallel (pyarrow's writer uses one
thread and takes about twice as long here); polars is imported on a background thread while the
panel is being built. CSV is written in row groups by a writer thread while the next rows are
built, so only a few are in memory at once. A file appears under its name only when complete.
"""

from __future__ import annotations

import importlib
import os
import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from detente.exceptions import PanelError

if TYPE_CHECKING:
    import pyarrow as pa

    from detente.panel.frame import Panel

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".dta": "stata"}

#: rows per Parquet row group (and per batch built at a time)
ROW_GROUP = 1 << 18


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
        _import_in_background("polars")
    table = panel.to_arrow(names=names)
    write_table(table, path)
    return table.num_rows, table.num_columns


def _import_in_background(module: str) -> None:
    """Start importing ``module`` on a thread; a later ``import`` waits for it to finish."""
    if module not in sys.modules:
        threading.Thread(target=importlib.import_module, args=(module,), daemon=True).start()


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
    import polars as pl

    # passing the Arrow schema keeps the narrow types and the panel metadata, which pyarrow and
    # polars read back; zstd keeps the file small at the speed of snappy here
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    partial = _partial(path)
    try:
        pl.from_arrow(table).write_parquet(
            partial, compression="zstd", arrow_schema=table.schema, metadata=meta or None,
            row_group_size=ROW_GROUP,
        )
    except BaseException:
        _discard(partial)
        raise
    os.replace(partial, path)
    return path

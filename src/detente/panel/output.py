"""Write a panel to Parquet, CSV or Stata ``.dta``, chosen by the file extension.

Parquet and CSV are written in row groups by a writer thread while the next rows are being
built, so building and encoding share the two cores and only a few row groups are in memory at
once. The file appears under its name only when it is complete.
"""

from __future__ import annotations

import os
import queue
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
    if fmt == "stata":
        table = panel.to_arrow(names=names)
        write_table(table, path)
        return table.num_rows, table.num_columns
    schema, batches = panel.batches(names=names, rows=ROW_GROUP)
    rows = write_batches(schema, batches, path, fmt)
    return rows, len(schema)


def write_batches(schema: pa.Schema, batches: Iterator[pa.RecordBatch], path: Path, fmt: str) -> int:
    """Write record batches as Parquet or CSV on a writer thread; return the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    pending: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def write() -> None:
        batch = False
        try:
            writer = _writer(schema, partial, fmt)
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
        pending.put(None)
        thread.join()
        if failed or not complete:
            partial.unlink(missing_ok=True)
    if failed:
        raise failed[0]
    os.replace(partial, path)
    return rows


def _writer(schema: pa.Schema, path: Path, fmt: str):
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetWriter(path, schema, compression="zstd", compression_level=1)
    import pyarrow.csv as pacsv

    return pacsv.CSVWriter(path, schema)


def write_table(table: pa.Table, path: Path) -> Path:
    """Write a built ``table`` to ``path``; the panel metadata travels in Parquet's schema metadata.

    Raises
    ------
    PanelError
        The extension is not one of .parquet, .csv or .dta.
    """
    fmt = file_format(path)
    if fmt != "stata":
        write_batches(table.schema, iter(table.to_batches(max_chunksize=ROW_GROUP)), path, fmt)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    df = table.to_pandas()
    too_long = [c for c in df.columns if len(c) > 32]
    if too_long:
        raise PanelError(f"Stata allows names of at most 32 characters: {too_long}")
    df.to_stata(path, write_index=False, version=118)
    return path

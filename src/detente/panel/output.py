"""Write a panel to Parquet, CSV or Stata ``.dta``, chosen by the file extension."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from detente.exceptions import PanelError

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".dta": "stata"}


def write_table(table: pa.Table, path: Path) -> Path:
    """Write ``table`` to ``path``; the panel metadata travels in Parquet's schema metadata.

    Raises
    ------
    PanelError
        The extension is not one of .parquet, .csv or .dta.
    """
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise PanelError(
            f"cannot tell the format of {path.name}: use a .parquet, .csv or .dta file name"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import polars as pl

        # polars encodes columns in parallel (pyarrow's writer is single-threaded, ~2x slower
        # here); zstd keeps the file small at the same speed. Passing the Arrow schema keeps the
        # narrow types and the panel metadata, which pyarrow and polars read back.
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        pl.from_arrow(table).write_parquet(
            path, compression="zstd", arrow_schema=table.schema, metadata=meta or None
        )
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, path)
    else:
        df = table.to_pandas()
        too_long = [c for c in df.columns if len(c) > 32]
        if too_long:
            raise PanelError(f"Stata allows names of at most 32 characters: {too_long}")
        df.to_stata(path, write_index=False, version=118)
    return path

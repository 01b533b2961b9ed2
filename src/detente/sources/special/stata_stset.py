"""Loader for CSV exports of Stata files carrying ``stset`` system variables.

Stata names its survival-time variables ``_st``, ``_d``, ``_origin``, ``_t`` and ``_t0``. The
store's snake_case drops leading underscores, so ``_t0`` would collide with a data column ``t0``
(the Fortna files have both). This loader reads such a file as it is and exposes those five
columns as ``stset_st`` ... ``stset_t0``, which is how the definition names them.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from detente.exceptions import ValidationError
from detente.sources.loaders import register
from detente.sources.reader import raise_first_reject, read_csv_sql

if TYPE_CHECKING:
    import duckdb

    from detente.sources.definition import FileSpec, Source

#: Stata stset variable -> column name in the definition.
STSET = {name: f"stset{name}" for name in ("_st", "_d", "_origin", "_t", "_t0")}


def _check_header(path: Path, label: str, spec: FileSpec) -> None:
    with path.open(newline="", encoding=spec.encoding) as fh:
        header = next(csv.reader(fh, delimiter=spec.delimiter, quotechar=spec.quote), [])
    renamed = [STSET.get(h.lstrip("\ufeff"), h.lstrip("\ufeff")) for h in header]
    expected = [c.name for c in spec.columns]
    for col in expected:
        if col not in renamed:
            raise ValidationError(label, 1, col, "column is missing from the header")
    for col in renamed:
        if col not in expected:
            raise ValidationError(label, 1, col, "column is not in the definition")
    if renamed != expected:
        raise ValidationError(label, 1, None, f"columns are out of order: expected {expected}")


@register("stata_stset")
def load(con: duckdb.DuckDBPyConnection, source: Source, spec: FileSpec, path: Path) -> str:
    """Check the header, read the file with the definition's names, and fail on any bad row."""
    label = f"{source.id}/{spec.name}"
    _check_header(path, label, spec)
    rejects = "detente_stset_rejects"
    con.execute(f"drop table if exists {rejects}; drop table if exists {rejects}_scan")
    # With an explicit column list the header line is skipped and columns take the
    # definition's names, so the renamed stset columns need no further mapping.
    sql = read_csv_sql(path, spec, rejects)
    con.execute(f"select count(*) from {sql}").fetchone()
    raise_first_reject(con, rejects, label)
    return sql

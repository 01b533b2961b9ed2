"""Year-by-year conversion between CoW and Gleditsch-Ward codes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from detente.exceptions import StatesError
from detente.states._store import check_system, connection, require

if TYPE_CHECKING:
    import duckdb

#: The crosswalk panel whose universe is the source system: its (source code, year) pairs are unique.
PANELS = {
    ("cow", "gw"): ("cow_gw_crosswalk.cw_gw_panel", "ccode", "gwcode"),
    ("gw", "cow"): ("cow_gw_crosswalk.gw_cw_panel", "gwcode", "ccode"),
}


def crosswalk(source: str, target: str, con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Return the (source, year) -> target table used by :func:`convert`.

    Columns ``code``, ``year``, ``target`` (nullable Int64); rows without a source code are dropped.
    """
    src, tgt = check_system(source), check_system(target)
    if src == tgt:
        raise StatesError("source and target are the same system")
    table, a, b = PANELS[(src, tgt)]
    con = connection(con)
    require(con, table, "cow_gw_crosswalk")
    df = con.execute(
        f"select {a} as code, year, {b} as target from {table} where {a} is not null"
    ).df()
    if df.duplicated(["code", "year"]).any():  # the panels guarantee this; refuse rather than pick one
        raise StatesError(f"{table} has repeated ({a}, year) pairs: cannot convert unambiguously")
    return df.astype({"code": "int64", "year": "int64", "target": "Int64"})


def convert(
    codes: Iterable[int] | pd.Series,
    years: Iterable[int] | pd.Series | int,
    *,
    source: str,
    target: str,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.Series:
    """Convert state codes between CoW and Gleditsch-Ward, year by year.

    The conversion follows isard's state-year crosswalk panels, so every difference between the
    systems is handled where it occurs: united Germany (CoW 255, G-W 260), unified Yemen (CoW 679,
    G-W 678), Serbia after 2006 (CoW 345, G-W 340), the Pacific microstates (e.g. Kiribati CoW 946,
    G-W 970) and the states that exist in one system only. A code with no counterpart in that year is
    missing (``pd.NA``), never guessed.

    Parameters
    ----------
    codes : sequence of int
        Codes in ``source``; missing values stay missing.
    years : sequence of int, or one int for all codes
    source, target : {"cow", "gw"}
    con : duckdb connection, optional

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` codes in ``target``, aligned with ``codes`` (its index when a Series).

    Examples
    --------
    >>> convert([255, 679, 345], [2000, 2000, 2010], source="cow", target="gw")  # doctest: +SKIP
    0    260
    1    678
    2    340
    dtype: Int64
    """
    index = codes.index if isinstance(codes, pd.Series) else None
    code_arr = pd.array(list(codes) if not isinstance(codes, pd.Series) else codes.to_numpy(), dtype="Int64")
    if np.isscalar(years):
        year_arr = pd.array([years] * len(code_arr), dtype="Int64")
    else:
        year_arr = pd.array(list(years) if not isinstance(years, pd.Series) else years.to_numpy(), dtype="Int64")
    if len(year_arr) != len(code_arr):
        raise StatesError(f"codes and years differ in length ({len(code_arr)} and {len(year_arr)})")
    table = crosswalk(source, target, con)
    left = pd.DataFrame({"code": code_arr, "year": year_arr})
    out = left.merge(table.astype({"code": "Int64", "year": "Int64"}), how="left", on=["code", "year"])
    result = out["target"].astype("Int64")
    result.name = check_system(target)
    if index is not None:
        result.index = index
    return result

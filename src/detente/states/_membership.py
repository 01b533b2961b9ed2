"""Dated state-system membership with day precision."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from detente.exceptions import StatesError
from detente.states._store import check_system, connection, require

if TYPE_CHECKING:
    import duckdb

#: Where each system's dated spells are stored (isard's copies: CoW v2016, G-W with microstates).
SPELL_SQL = {
    "cow": (
        "cow_state_system",
        "cow_state_system.cw_system_isard",
        'select ccode as code, cw_abb as abbrev, cw_name as name, start, "end" '
        "from cow_state_system.cw_system_isard",
    ),
    "gw": (
        "gw_state_system",
        "gw_state_system.gw_system_isard",
        'select gwcode as code, gw_abb as abbrev, gw_name as name, start, "end" '
        "from gw_state_system.gw_system_isard",
    ),
}


def membership_spells(system: str, con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Return the dated membership spells of a state system.

    Parameters
    ----------
    system : {"cow", "gw"}
        Correlates of War (v2016) or Gleditsch-Ward (isard's list, with microstates).
    con : duckdb connection, optional
        The store; the default store opened read-only when omitted.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (int), ``abbrev``, ``name``, ``start``, ``end`` (``datetime.date``), one row
        per spell, sorted by code and start. Both ends are days of membership.

    Examples
    --------
    >>> spells = membership_spells("cow")  # doctest: +SKIP
    >>> spells.loc[spells.code == 255, ["start", "end"]]  # doctest: +SKIP
    """
    key = check_system(system)
    source, table, sql = SPELL_SQL[key]
    con = connection(con)
    require(con, table, source)
    df = con.execute(sql + " order by code, start").df()
    df["code"] = df["code"].astype("int64")
    for col in ("start", "end"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df


def members(
    system: str,
    *,
    year: int | None = None,
    on: date | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Return the members of a state system in a year or on a day.

    A state is a member in a year when any day of one of its spells falls in that year; it is a
    member on a day when that day lies within a spell (both ends included).

    Parameters
    ----------
    system : {"cow", "gw"}
    year : int, optional
        A calendar year. Give exactly one of ``year`` and ``on``.
    on : datetime.date, optional
        A day.
    con : duckdb connection, optional

    Returns
    -------
    pandas.DataFrame
        One row per member state (columns ``code``, ``abbrev``, ``name``, ``start``, ``end``: the
        spell that makes it a member; the first one when two spells fall in the year), sorted by code.

    Raises
    ------
    StatesError
        Neither or both of ``year`` and ``on`` given, or a date outside the system's coverage.
    """
    if (year is None) == (on is None):
        raise StatesError("give exactly one of year= or on=")
    spells = membership_spells(system, con)
    if on is not None:
        if isinstance(on, str):
            try:
                on = date.fromisoformat(on)
            except ValueError as exc:
                raise StatesError(f"not a date (yyyy-mm-dd): {on!r}") from exc
        first, last = on, on
    else:
        try:
            year = int(year)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise StatesError(f"not a year: {year!r}") from exc
        first, last = date(year, 1, 1), date(year, 12, 31)
    lo, hi = spells["start"].min(), spells["end"].max()
    if last < lo or first > hi:
        raise StatesError(
            f"{first.isoformat()} is outside the {check_system(system)} system's coverage "
            f"({lo.isoformat()} to {hi.isoformat()})"
        )
    hit = spells[(spells["start"] <= last) & (spells["end"] >= first)]
    return hit.drop_duplicates("code").sort_values("code").reset_index(drop=True)

"""The two entry points: :func:`state_years` and :func:`dyad_years`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from detente.panel import units as _units
from detente.panel.frame import Panel, _stderr

if TYPE_CHECKING:
    import duckdb


def _connect(con: duckdb.DuckDBPyConnection | None, store: str | Path | None) -> duckdb.DuckDBPyConnection:
    if con is not None:
        return con
    from detente.store import connect

    return connect(store, read_only=True)


def state_years(
    system: str = "cow",
    *,
    years: tuple[int, int] | str | None = None,
    mry: int | None = None,
    store: str | Path | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    echo: Callable[[str], None] | None = _stderr,
) -> Panel:
    """State-years of the CoW or Gleditsch-Ward system.

    A state is in a year when any day of one of its membership spells falls in that year.

    Parameters
    ----------
    system : {"cow", "gw"}
    years : (first, last) or "FIRST-LAST", optional
        Default: from the first year of the membership data to its last (or ``mry``).
    mry : int, optional
        Extend the membership of states still members at the end of the data (CoW: 2016,
        G-W: 2020) through this year, as peacesciencer's ``mry = TRUE`` does.
    store : path, optional
        The analytic store (default ``DETENTE_STORE`` or the per-user store), opened read-only.
    con : duckdb connection, optional
        An open store connection (used instead of ``store``).
    echo : callable or None
        Receives each case-exclusion rule as enrichers are added (default: print to stderr).

    Returns
    -------
    Panel

    Examples
    --------
    >>> sy = state_years("gw", years="1946-2020").add_democracy()  # doctest: +SKIP
    >>> sy.to_pandas().shape  # doctest: +SKIP
    """
    return _make("state_year", system, years, mry, None, False, store, con, echo)


def dyad_years(
    system: str = "cow",
    *,
    directed: bool = True,
    years: tuple[int, int] | str | None = None,
    mry: int | None = None,
    politically_relevant: bool = False,
    store: str | Path | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    echo: Callable[[str], None] | None = _stderr,
) -> Panel:
    """Dyad-years of the CoW or Gleditsch-Ward system (no false dyads).

    A dyad is in a year only when both states are members on at least one common day of that
    year. Non-directed dyads keep the pair with the lower code first.

    Parameters
    ----------
    system : {"cow", "gw"}
    directed : bool
        Both (a, b) and (b, a) (default) or only a < b.
    years, mry, store, con, echo
        As in :func:`state_years`.
    politically_relevant : bool
        Keep only dyad-years that are contiguous (CoW direct contiguity types 1-5, in the year) or
        include a CoW major power. CoW only.

    Returns
    -------
    Panel

    Examples
    --------
    >>> dy = dyad_years("cow", years="1816-2025", mry=2025)  # doctest: +SKIP
    >>> dy.add_majors().add_nmc().to_arrow().num_rows  # doctest: +SKIP
    2252760
    """
    return _make("dyad_year", system, years, mry, directed, politically_relevant, store, con, echo)


def _make(unit, system, years, mry, directed, relevant, store, con, echo) -> Panel:
    from detente.exceptions import PanelError

    system = _units.check_system(system)
    if relevant and system != "cow":
        raise PanelError("the politically relevant filter uses CoW contiguity and majors: use system='cow'")
    con = _connect(con, store)
    first, last, last_end = _units.spell_bounds(con, system)
    span = _units.resolve_years(years, mry, first, last, system)
    panel = Panel(
        con, unit=unit, system=system, years=span, mry=mry, last_end=last_end,
        directed=directed, relevant=relevant, echo=echo,
    )
    return panel

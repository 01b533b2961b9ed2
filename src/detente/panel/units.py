"""SQL for the units of analysis: state-years and (directed or non-directed) dyad-years.

Both are built from the dated membership spells of a state system. A state is in a year when any
day of one of its spells falls in that year; a dyad is in a year only when both states are members
on at least one common day of it (no "false dyads" such as two states whose spells touch the same
year without overlapping). Everything is computed on the spell table (a few hundred rows) and only
the last step expands to years, which keeps the unit cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from detente.exceptions import PanelError

if TYPE_CHECKING:
    import duckdb
    import numpy as np

#: Dated membership spells per system (the same lists ``detente.states`` reads).
SPELLS = {
    "cow": ("cow_state_system", "cow_state_system.cw_system_isard", "ccode"),
    "gw": ("gw_state_system", "gw_state_system.gw_system_isard", "gwcode"),
}

#: The code column names of each system in panels (state-year, first and second state).
CODE_NAMES = {"cow": "ccode", "gw": "gwcode"}

#: Year-by-year crosswalk panels whose universe is the source system (``detente.states``).
CROSSWALKS = {
    ("cow", "gw"): ("cow_gw_crosswalk.cw_gw_panel", "ccode", "gwcode"),
    ("gw", "cow"): ("cow_gw_crosswalk.gw_cw_panel", "gwcode", "ccode"),
}


def check_system(system: str) -> str:
    """Return the normalised system name or raise a :class:`PanelError`."""
    key = str(system).lower()
    if key not in SPELLS:
        raise PanelError(f"unknown code system {system!r}: use 'cow' or 'gw'")
    return key


def spell_bounds(con: duckdb.DuckDBPyConnection, system: str) -> tuple[int, int, str]:
    """Return (first year, last year, last end date) of a system's membership data."""
    from detente.store import require_table

    _, table, _code = SPELLS[system]
    require_table(con, table)
    row = con.execute(f'select min(year(start)), max(year("end")), max("end")::varchar from {table}').fetchall()[0]
    return int(row[0]), int(row[1]), str(row[2])


def spells_sql(system: str, mry: int | None, last_end: str) -> str:
    """Spells ``code, st, en`` with spells that run to the end of the data extended to ``mry``.

    ``mry`` follows peacesciencer's ``mry = TRUE``: a state whose spell ends on the last day of the
    membership data is assumed to be still a member through 31 December of ``mry``.
    """
    _, table, code = SPELLS[system]
    end = 'en'
    if mry is not None:
        end = f"case when en = date '{last_end}' then make_date({int(mry)}, 12, 31) else en end"
    return (
        f"select code, st, {end} as en from "
        f'(select {code}::smallint as code, start as st, "end" as en from {table})'
    )


def state_runs_sql(spells: str, first: int, last: int) -> str:
    """Runs of member years ``code, y0, y1`` in [first, last]: each state-year falls in one run."""
    return f"""
with sp as ({spells}),
r as (
  select code, greatest(year(st), {first}) as y0, least(year(en), {last}) as y1 from sp
),
-- a state with two spells in one year (exit and re-entry) must appear once in that year
c as (
  select code, greatest(y0, coalesce(max(y1) over (partition by code order by y0, y1
         rows between unbounded preceding and 1 preceding) + 1, y0)) as y0, y1
  from r where y0 <= y1
)
select code, y0, y1 from c where y0 <= y1
"""


def dyad_runs_sql(spells: str, first: int, last: int, directed: bool) -> str:
    """Runs of dyad years ``code1, code2, y0, y1`` by the day-overlap rule: each dyad-year in one run."""
    order = "a.code <> b.code" if directed else "a.code < b.code"
    return f"""
with sp as ({spells}),
p as (
  select a.code as code1, b.code as code2,
         greatest(year(greatest(a.st, b.st)), {first}) as y0,
         least(year(least(a.en, b.en)), {last}) as y1
  from sp a join sp b on {order} and a.st <= b.en and b.st <= a.en
),
-- two spell pairs of one dyad may overlap in the same calendar year: keep that year once
c as (
  select code1, code2, greatest(y0, coalesce(max(y1) over (partition by code1, code2 order by y0, y1
         rows between unbounded preceding and 1 preceding) + 1, y0)) as y0, y1
  from p where y0 <= y1
)
select code1, code2, y0, y1 from c where y0 <= y1
"""


def state_years_sql(spells: str, first: int, last: int) -> str:
    """State-years ``code, year, __rid`` in [first, last], one row per state and year."""
    return years_sql(state_runs_sql(spells, first, last), ("code",))


def dyad_years_sql(spells: str, first: int, last: int, directed: bool) -> str:
    """Dyad-years ``code1, code2, year, __rid`` by the day-overlap rule."""
    return years_sql(dyad_runs_sql(spells, first, last, directed), ("code1", "code2"))


def years_sql(runs: str, codes: tuple[str, ...]) -> str:
    """One row per year of each run; ``__rid`` numbers the rows in (codes, year) order.

    The numbers come from the small run table, so the panel can be put back in order after
    parallel joins without sorting millions of rows.
    """
    keys = ", ".join(codes)
    return f"""
with o as (
  select {keys}, y0, y1,
         sum(y1 - y0 + 1) over (order by {keys}, y0 rows unbounded preceding) - (y1 - y0 + 1) as off
  from ({runs})
)
select {keys}, unnest(range(y0, y1 + 1))::smallint as year,
       (off + unnest(range(0, y1 - y0 + 1)))::integer as __rid
from o
"""


def expand_runs(runs: dict[str, np.ndarray], codes: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The rows of sorted runs (``codes``, ``y0``, ``y1``), one per year, as numpy arrays.

    Examples
    --------
    >>> import numpy as np
    >>> rows = expand_runs({"code": np.array([2, 20]), "y0": np.array([1990, 1995]),
    ...                     "y1": np.array([1991, 1995])}, ("code",))
    >>> rows["code"].tolist(), rows["year"].tolist()
    ([2, 2, 20], [1990, 1991, 1995])
    """
    import numpy as np

    lengths = runs["y1"].astype(np.intp) - runs["y0"] + 1
    out = {c: np.repeat(runs[c].astype(np.int16), lengths) for c in codes}
    out["year"] = count_up(runs["y0"], lengths, np.empty(int(lengths.sum()), dtype=np.int16))
    return out


def count_up(base: np.ndarray, lengths: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` with ``base[i] + k`` for the k-th row of run ``i`` (runs of ``lengths`` rows).

    Every row is the previous one plus 1, except where a run starts: one cumulative sum.

    Examples
    --------
    >>> import numpy as np
    >>> count_up(np.array([1990, 7]), np.array([3, 2]), np.empty(5, dtype=np.int64)).tolist()
    [1990, 1991, 1992, 7, 8]
    """
    import numpy as np

    out.fill(1)
    if len(out):
        base = base.astype(out.dtype)
        jump = np.empty(len(base), dtype=out.dtype)
        jump[0] = base[0]
        jump[1:] = base[1:] - (base[:-1] + lengths[:-1] - 1)
        out[np.cumsum(lengths) - lengths] = jump
        np.cumsum(out, dtype=out.dtype, out=out)
    return out


def resolve_years(
    years: tuple[int, int] | str | None, mry: int | None, data_first: int, data_last: int, system: str
) -> tuple[int, int]:
    """Check and return the (first, last) years of a unit.

    Raises
    ------
    PanelError
        The range is reversed, lies outside the membership data (without ``mry``), or ``mry``
        precedes the end of the data.
    """
    if isinstance(years, str):
        years = parse_years(years)
    if mry is not None and mry < data_last:
        raise PanelError(
            f"mry={mry} is before the end of the {system} membership data ({data_last}); "
            f"mry extends membership past {data_last}, so give a later year or leave it out"
        )
    last_available = mry if mry is not None else data_last
    first, last = years if years is not None else (data_first, last_available)
    if first > last:
        raise PanelError(f"years {first}-{last}: the first year is after the last")
    if last > last_available:
        hint = (
            f"pass mry={last} to assume states still members at the end of {data_last} remain members"
            if mry is None
            else f"raise mry to {last} or end the years at {mry}"
        )
        raise PanelError(
            f"years {first}-{last} reach beyond the {system} membership data, which end in "
            f"{data_last}: {hint}"
        )
    if last < data_first or first > last_available:
        raise PanelError(
            f"years {first}-{last} lie outside the {system} membership data ({data_first}-{last_available})"
        )
    return max(first, data_first), last


def parse_years(text: str) -> tuple[int, int]:
    """Parse ``"1816-2025"`` or ``"1990"`` into (first, last)."""
    parts = str(text).strip().split("-")
    try:
        if len(parts) == 1:
            y = int(parts[0])
            return y, y
        if len(parts) == 2:
            return int(parts[0]), int(parts[1])
    except ValueError:
        pass
    raise PanelError(f"years {text!r}: write FIRST-LAST, e.g. 1816-2025")

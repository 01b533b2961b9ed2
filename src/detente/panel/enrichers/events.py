"""Event data (GDELT, ICEWS) from a detente event store as panel measures of communication.

Dyad-years: events the first state directed at the second in the year (directed, ``code1`` is the
source), by quad class, with mean and summed Goldstein weight and the cooperative share.
State-years: the events a state sent (``role="source"``) or received (``role="target"``).

The values come from :func:`detente.events.aggregate`'s DuckDB query run on the store's Parquet
files, so a panel and ``detente events aggregate --by dyad-year`` agree by construction.

Coverage is what the store's manifest says was imported, day by day and per dataset
(:func:`detente.events.coverage`): a year is covered when at least ``min_days`` of its days are
(one by default; ``covered_days`` says how many). Inside a covered year every unit has a value,
0 events when none were recorded (and missing Goldstein means and shares); in a year the
imported files do not cover -- before, after or between them -- everything is missing, even
where the store holds a few events dated that year (GDELT files report events dated years back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from detente.exceptions import PanelError
from detente.panel.enricher import Column, Enricher

COLUMNS = (
    Column("events", "BIGINT", "events recorded (weighted by mentions when weight='mentions')"),
    Column("verbal_coop", "BIGINT", "quad class 1: verbal cooperation"),
    Column("material_coop", "BIGINT", "quad class 2: material cooperation"),
    Column("verbal_conflict", "BIGINT", "quad class 3: verbal conflict"),
    Column("material_conflict", "BIGINT", "quad class 4: material conflict"),
    Column("goldstein_mean", "DOUBLE", "mean Goldstein weight (missing without events)"),
    Column("goldstein_sum", "DOUBLE", "summed Goldstein weight"),
    Column("coop_share", "DOUBLE", "share of events in quad classes 1-2 (missing without events)"),
    Column("covered_days", "SMALLINT", "days of the year the imported event files cover"),
)
#: Columns that are 0, not missing, for a covered unit without events.
_ZERO = ("events", "verbal_coop", "material_coop", "verbal_conflict", "material_conflict", "goldstein_sum")


class Events(Enricher):
    """Dyad-year and state-year event counts from an event store (``store=`` its directory)."""

    name = "events"
    sources = ()
    summary = "GDELT/ICEWS events: counts by quad class, Goldstein, cooperative share (store=DIR)"
    systems = ("cow", "gw")
    level = "dyad"
    columns = COLUMNS
    options: ClassVar[dict[str, Any]] = {
        "store": None, "weight": None, "role": "source", "source_types": (), "target_types": (),
        "roots": (), "datasets": (), "min_days": 1,
    }  # fmt: skip

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if not self.opts["store"]:
            raise PanelError("add_events needs store=DIR, an event store from `detente events import`")
        self.store = Path(self.opts["store"])
        self._years = ""
        self._spells = ""

    def level_for(self, ctx):
        return "dyad" if ctx.unit == "dyad_year" else "state"

    @staticmethod
    def _listed(value) -> tuple:
        return tuple(value.split("|")) if isinstance(value, str) else tuple(value or ())

    def _query(self, ctx):
        from detente.events.aggregation import Query
        from detente.exceptions import EventsError

        try:
            return Query(
                by="dyad-year" if ctx.unit == "dyad_year" else "state-year",
                keys="state",
                system=ctx.system,
                role=self.opts["role"],
                weight=self.opts["weight"],
                source_types=self._listed(self.opts["source_types"]),
                target_types=self._listed(self.opts["target_types"]),
                roots=tuple(int(r) for r in self._listed(self.opts["roots"])),
                datasets=self._listed(self.opts["datasets"]),
            )
        except EventsError as exc:
            raise PanelError(f"add_events: {exc}") from None

    def covered_years(self) -> dict[int, int]:
        """Covered days per year that count as covered (at least ``min_days`` of them)."""
        from detente.events.manifest import covered_days_by_year, load

        if not any(row["table"] == "events" for row in load(self.store).values()):
            raise PanelError(
                f"{self.store} holds no events in its manifest: run `detente events import` first "
                "(a store written before manifests existed must be imported again)"
            )
        days = covered_days_by_year(self.store, self._listed(self.opts["datasets"]))
        least = int(self.opts["min_days"])
        covered = {year: n for year, n in days.items() if n >= least}
        if not covered:
            raise PanelError(f"{self.store}: no year has {least} covered days for the datasets asked for")
        return covered

    def coverage_for(self, ctx):
        years = sorted(self.covered_years())
        return years[0], years[-1]

    def rule(self, ctx):
        q = self._query(ctx)
        years = self.covered_years()
        span = ", ".join(f"{y} ({n} days)" for y, n in years.items() if ctx.first <= y <= ctx.last)
        parts = [
            "events whose actors have no state code on the event's date are left out",
            f"covered years (others missing): {span or 'none in this panel'}",
        ]
        if q.source_types or q.target_types:
            parts.append(f"actor types {list(q.source_types) or 'any'} -> {list(q.target_types) or 'any'}")
        if q.roots:
            parts.append(f"CAMEO roots {list(q.roots)}")
        if q.datasets:
            parts.append(f"datasets {list(q.datasets)}")
        if q.weight:
            parts.append("events weighted by mentions")
        return "; ".join(parts)

    # -- the build ---------------------------------------------------------------------------
    def setup(self, con, ctx, prefix):
        """Register the covered years; note the system's membership spells (the units that get 0)."""
        from detente.panel.units import spell_bounds, spells_sql

        years = {y: n for y, n in self.covered_years().items() if ctx.first <= y <= ctx.last}
        _, _, last_end = spell_bounds(con, ctx.system)
        self._spells = spells_sql(ctx.system, ctx.mry, last_end)
        self._years = f"{prefix}_event_years"
        con.register(self._years, pa.table({
            "year": pa.array(list(years), pa.int32()), "days": pa.array(list(years.values()), pa.int16()),
        }))  # fmt: skip
        return [self._years]

    def table_sql(self, ctx):
        from detente.events.aggregation import duckdb_sql, events_glob

        if not self._years:
            raise PanelError("add_events: the panel did not prepare the enricher (setup was not run)")
        q = self._query(ctx)
        glob = events_glob(self.store).replace("'", "''")
        inner = duckdb_sql(q, f"read_parquet('{glob}', hive_partitioning = true)")
        years = self._years
        values = ", ".join(
            f"coalesce(e.{c.name}, 0) AS {c.name}" if c.name in _ZERO else f"e.{c.name}"
            for c in COLUMNS
            if c.name != "covered_days"
        )
        if ctx.unit == "dyad_year":
            grid = (
                "SELECT a.code AS code1, b.code AS code2, a.year FROM m a "
                "JOIN m b ON a.year = b.year AND a.code <> b.code"
            )
            keys, on = "g.code1, g.code2", "e.source = g.code1 AND e.target = g.code2"
        else:
            grid = "SELECT code, year FROM m"
            keys, on = "g.code", f"e.{q.role} = g.code"
        # m: the system's members in each covered year, by the panel's own membership rule
        return f"""
            WITH e AS (SELECT *, period::INTEGER AS year FROM ({inner})),
                 m AS (SELECT DISTINCT s.code::INTEGER AS code, y.year FROM ({self._spells}) s
                       JOIN {years} y ON y.year BETWEEN year(s.st) AND year(s.en)),
                 g AS ({grid})
            SELECT {keys}, g.year, {values}, y.days AS covered_days
            FROM g JOIN {years} y ON y.year = g.year
            LEFT JOIN e ON {on} AND e.year = g.year
        """

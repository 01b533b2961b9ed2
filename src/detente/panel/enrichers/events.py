"""Event data (GDELT, ICEWS) from a detente event store as panel measures of communication.

Dyad-years: events the first state directed at the second in the year (directed, ``code1`` is the
source), by quad class, with mean and summed Goldstein weight and the cooperative share.
State-years: the events a state sent (``role="source"``) or received (``role="target"``).

The values come from :func:`detente.events.aggregate`'s DuckDB query run on the store's Parquet
files, so a panel and ``detente events aggregate --by dyad-year`` agree by construction. Coverage
is the span of years present in the store: inside it a unit without events has 0 events (and
missing Goldstein means and shares); outside it everything is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from detente.exceptions import PanelError
from detente.panel.enricher import Column, Enricher

COLUMNS = (
    Column("events", "BIGINT", "events recorded (weighted by mentions when weight='mentions')", fill=0),
    Column("verbal_coop", "BIGINT", "quad class 1: verbal cooperation", fill=0),
    Column("material_coop", "BIGINT", "quad class 2: material cooperation", fill=0),
    Column("verbal_conflict", "BIGINT", "quad class 3: verbal conflict", fill=0),
    Column("material_conflict", "BIGINT", "quad class 4: material conflict", fill=0),
    Column("goldstein_mean", "DOUBLE", "mean Goldstein weight (missing without events)"),
    Column("goldstein_sum", "DOUBLE", "summed Goldstein weight", fill=0),
    Column("coop_share", "DOUBLE", "share of events in quad classes 1-2 (missing without events)"),
)


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
        "roots": (),
    }  # fmt: skip

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if not self.opts["store"]:
            raise PanelError("add_events needs store=DIR, an event store from `detente events import`")
        self.store = Path(self.opts["store"])

    def level_for(self, ctx):
        return "dyad" if ctx.unit == "dyad_year" else "state"

    def _query(self, ctx):
        from detente.events.aggregation import Query

        def listed(value) -> tuple:
            return tuple(value.split("|")) if isinstance(value, str) else tuple(value or ())

        return Query(
            by="dyad-year" if ctx.unit == "dyad_year" else "state-year",
            keys="state",
            system=ctx.system,
            role=self.opts["role"],
            weight=self.opts["weight"],
            source_types=listed(self.opts["source_types"]),
            target_types=listed(self.opts["target_types"]),
            roots=tuple(int(r) for r in listed(self.opts["roots"])),
        )

    def coverage_for(self, ctx):
        years = sorted(
            int(p.name.split("=", 1)[1]) for p in (self.store / "events").glob("year=*") if p.is_dir()
        )
        if not years:
            raise PanelError(f"{self.store} holds no events: run `detente events import` first")
        return years[0], years[-1]

    def rule(self, ctx):
        q = self._query(ctx)
        parts = ["events whose actors have no state code on the event's date are left out"]
        if q.source_types or q.target_types:
            parts.append(f"actor types {list(q.source_types) or 'any'} -> {list(q.target_types) or 'any'}")
        if q.roots:
            parts.append(f"CAMEO roots {list(q.roots)}")
        if q.weight:
            parts.append("events weighted by mentions")
        return "; ".join(parts)

    def table_sql(self, ctx):
        from detente.events.aggregation import duckdb_sql, events_glob

        self.coverage_for(ctx)  # a clear error for an empty store
        q = self._query(ctx)
        glob = events_glob(self.store).replace("'", "''")
        inner = duckdb_sql(q, f"read_parquet('{glob}', hive_partitioning = true)")
        values = ", ".join(c.name for c in COLUMNS)
        if ctx.unit == "dyad_year":
            keys = "source::INTEGER AS code1, target::INTEGER AS code2"
        else:
            keys = f"{q.role}::INTEGER AS code"
        return f"SELECT {keys}, period::INTEGER AS year, {values} FROM ({inner})"

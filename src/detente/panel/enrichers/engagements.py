"""Engagements from the registry (own records and the public record) as panel treatments.

State-years: the engagements a state took part in during the year (in a given role), those that
began, the personnel recorded, the first year it was ever engaged and the years since it last
was. Dyad-years: the same for engagements in which both states took part.

The registry lives in SQLite or PostgreSQL, not in the analytic store: :meth:`setup` reads it
through :mod:`detente.registry`, converts codes to the panel's system year by year, and registers
the result as a DuckDB view for the build.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from detente.exceptions import PanelError
from detente.panel.enricher import Column, Enricher

if TYPE_CHECKING:
    import pandas as pd

#: Lifecycle statuses counted: engagements that took place (planned or cancelled ones did not).
HAPPENED = ("ongoing", "completed")

COLUMNS = (
    Column("engagements", "SMALLINT", "engagements under way in the year", fill=0),
    Column("engagements_started", "SMALLINT", "engagements that began in the year", fill=0),
    Column("engagement_personnel", "BIGINT",
           "personnel recorded for the state's (dyad's) engagements in the year", fill=0),
    Column("engagement_first_year", "SMALLINT",
           "first year with an engagement (missing when never engaged)"),
    Column("engagement_years_since", "SMALLINT",
           "years since the last year with an engagement (0 = engaged this year; missing "
           "before the first)"),
)


def _years(frame: pd.DataFrame, last: int) -> pd.DataFrame:
    """One row per participant and year the engagement was under way (open ones run to ``last``)."""
    import numpy as np

    first = frame["start"].dt.year.astype("int64")
    stop = frame["end"].dt.year.fillna(last).astype("int64").clip(upper=last)
    span = (stop - first + 1).clip(lower=0)
    out = frame.loc[frame.index.repeat(span)].copy()
    out["year"] = np.concatenate([np.arange(a, b + 1) for a, b in zip(first, stop, strict=True)
                                  if b >= a]) if len(out) else np.array([], dtype="int64")
    out["started"] = (out["year"] == out["start"].dt.year).astype("int64")
    return out


def _personnel(rows: pd.DataFrame, yearly: pd.DataFrame) -> pd.Series:
    """A participant's personnel in a year: the engagement's yearly level when it is the only
    participant in its role (e.g. the host of a US deployment), else its own recorded number."""
    sole = rows.groupby(["engagement_id", "role"])["code"].transform("nunique") == 1
    level = rows.merge(yearly[["engagement_id", "year", "personnel"]].rename(
        columns={"personnel": "level"}), on=["engagement_id", "year"], how="left")["level"]
    level.index = rows.index
    return level.where(sole & level.notna(), rows["personnel"]).astype("Float64")


def _history(table: pd.DataFrame, keys: list[str], last: int) -> pd.DataFrame:
    """Add rows for every year from a unit's first engagement to ``last`` with first year and
    years since the last engagement."""
    import numpy as np
    import pandas as pd

    first = table.groupby(keys)["year"].min().rename("engagement_first_year").reset_index()
    span = (last - first["engagement_first_year"] + 1).clip(lower=1)
    grid = first.loc[first.index.repeat(span)].copy()
    grid["year"] = np.concatenate([np.arange(f, f + n) for f, n in
                                   zip(first["engagement_first_year"], span, strict=True)])
    out = grid.merge(table, on=[*keys, "year"], how="left")
    for c in ("engagements", "engagements_started", "engagement_personnel"):
        out[c] = out[c].fillna(0)
    engaged_year = out["year"].where(out["engagements"] > 0)
    last_seen = engaged_year.groupby([out[k] for k in keys]).ffill()
    out["engagement_years_since"] = (out["year"] - last_seen).astype("Int64")
    return out.astype({"engagements": "int64", "engagements_started": "int64"}).reset_index(drop=True) \
        if len(out) else pd.DataFrame(columns=[*keys, "year", *[c.name for c in COLUMNS]])


class Engagements(Enricher):
    """Registry engagements of one or more types, optionally in one role."""

    name = "engagements"
    sources = ()
    summary = "Registry engagements: counts, started, personnel, first year, years since last"
    systems = ("cow", "gw")
    units = ("state_year", "dyad_year")
    level = "state"
    columns = COLUMNS
    options: ClassVar[dict[str, Any]] = {"type": None, "role": None, "source": None, "registry": None}

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        from detente.registry import vocab

        types = self.opts["type"]
        for t in [types] if isinstance(types, str) else (types or []):
            if t not in vocab.ENGAGEMENT_TYPES:
                raise PanelError(f"unknown engagement type {t!r}: use one of "
                                 f"{', '.join(vocab.ENGAGEMENT_TYPES)}")
        if self.opts["role"] not in (None, *vocab.ROLES):
            raise PanelError(f"unknown role {self.opts['role']!r}: use one of {', '.join(vocab.ROLES)}")
        self._frames: tuple[pd.DataFrame, pd.DataFrame] | None = None

    # -- reading the registry --------------------------------------------------------------
    def _read(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self._frames is None:
            from detente.registry import Registry, participants_frame, yearly_frame
            from detente.registry.api import open_registry

            url = self.opts["registry"]
            reg = Registry(url) if url else open_registry(check_codes=False)
            try:
                parts = participants_frame(reg, self.opts["type"], status=list(HAPPENED),
                                           source=self.opts["source"])
                yearly = yearly_frame(reg, self.opts["type"], source=self.opts["source"])
            finally:
                reg.close()
            self._frames = (parts[parts["start"].notna()].reset_index(drop=True), yearly)
        return self._frames

    def level_for(self, ctx):
        return "state" if ctx.unit == "state_year" else "dyad"

    def coverage_for(self, ctx):
        parts, _ = self._read()
        if parts.empty:
            raise PanelError("the registry has no engagements that took place for this selection "
                             "(run `detente registry import-public` or add records)")
        this_year = dt.date.today().year
        ends = parts["end"].dt.year.fillna(this_year)
        return int(parts["start"].dt.year.min()), int(min(ends.max(), this_year))

    def rule(self, ctx):
        what = self.opts["type"] or "any type"
        role = self.opts["role"] or "any role"
        return (f"engagements of {what} in {role} with status ongoing or completed, counted in "
                f"every year from start to end (open ones to the panel's last year); within the "
                f"registry's years a state-year without one counts 0")

    # -- the build ---------------------------------------------------------------------------
    def setup(self, con, ctx, prefix):
        import pandas as pd

        from detente.states import convert

        parts, yearly = self._read()
        _, hi = self.coverage_for(ctx)
        rows = _years(parts, min(ctx.last, hi))
        if len(rows):
            other = rows["system"] != ctx.system
            for system in rows.loc[other, "system"].unique():
                sel = rows["system"] == system
                rows.loc[sel, "code"] = convert(rows.loc[sel, "code"], rows.loc[sel, "year"],
                                                source=system, target=ctx.system, con=con).to_numpy()
            rows = rows[rows["code"].notna()].astype({"code": "int64"})
        rows = rows.assign(staff=_personnel(rows, yearly) if len(rows) else pd.Series(dtype="Float64"))
        role = self.opts["role"]
        last = min(ctx.last, hi)
        if ctx.unit == "state_year":
            if role:
                rows = rows[rows["role"] == role]
            table = rows.groupby(["code", "year"]).agg(
                engagements=("engagement_id", "nunique"),
                engagements_started=("started", "max"),
                engagement_personnel=("staff", "sum"),
            ).reset_index()
            started = rows[rows["started"] == 1].groupby(["code", "year"])["engagement_id"].nunique()
            table["engagements_started"] = table.set_index(["code", "year"]).index.map(started).fillna(0)
            out = _history(table, ["code"], last)
        else:
            left = rows if not role else rows[rows["role"] == role]
            pairs = left.merge(rows[["engagement_id", "year", "code"]], on=["engagement_id", "year"],
                               suffixes=("1", "2"))
            pairs = pairs[pairs["code1"] != pairs["code2"]]
            # one row per engagement and pair (a state in two roles would count twice)
            per = pairs.groupby(["engagement_id", "code1", "code2", "year"]).agg(
                started=("started", "max"), staff=("staff", "sum")).reset_index()
            table = per.groupby(["code1", "code2", "year"]).agg(
                engagements=("engagement_id", "nunique"), engagements_started=("started", "sum"),
                engagement_personnel=("staff", "sum")).reset_index()
            out = _history(table, ["code1", "code2"], last)
        out["engagement_personnel"] = out["engagement_personnel"].fillna(0).round().astype("int64")
        view = f"{prefix}_engagements"
        con.register(view, out)
        self._view = view
        return [view]

    def table_sql(self, ctx):
        keys = "code, year" if ctx.unit == "state_year" else "code1, code2, year"
        cols = ", ".join(c.name for c in COLUMNS)
        return f"select {keys}, {cols} from {self._view}"

"""CoW major powers: whether a state is a major power in the year."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

MAJORS = "cow_state_system.cow_majors_v2016"


def major_years_sql(mry: int | None) -> str:
    """Major-power years ``code, year``; spells running to the end of the data extended to ``mry``.

    The extension mirrors peacesciencer, which treats the 2016 majors as majors through the
    panel's most recent year when membership is extended.
    """
    end = "endyear"
    if mry is not None:
        end = f"case when endyear = (select max(endyear) from {MAJORS}) then greatest(endyear, {int(mry)}) else endyear end"
    return (
        f"select distinct ccode as code, unnest(range(styear, {end} + 1)) as year from {MAJORS}"
    )


class Majors(Enricher):
    """Correlates of War major powers (1 = major power in the year, 0 = not)."""

    name = "majors"
    sources = ("cow_state_system",)
    summary = "CoW major power status (0/1)"
    systems = ("cow",)
    level = "state"
    columns = (Column("major", "TINYINT", "1 = CoW major power in the year", fill=0, ps_name="cowmaj"),)

    def table_sql(self, ctx):
        return f"select code, year, 1 as major from ({major_years_sql(ctx.mry)})"

    def coverage_for(self, ctx):
        lo, hi = self.declared_coverage()
        # with mry the last majors are carried forward, so the data speak for those years too
        return lo, max(hi, ctx.mry or hi)

"""CoW direct contiguity (v3.2), by date: the contiguity type of a dyad in a year.

On state-years: the number of land and sea neighbours in the year.
"""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

CONTIGUITY = "cow_contiguity.cow_contdir_v3_2_directed"


def contiguity_years_sql() -> str:
    """Directed dyad-years ``code1, code2, year, conttype`` (one per dyad-year).

    A relationship that changes within a year has several spells touching it; the year takes the
    spell that began first (the relationship in force on 1 January), which is what peacesciencer's
    data give.
    """
    return f"""
select code1, code2, year, arg_min(conttype, stdate) as conttype from (
  select ccode1 as code1, ccode2 as code2, conttype, stdate::date as stdate,
         unnest(range(year(stdate::date), year(enddate::date) + 1)) as year
  from {CONTIGUITY}) group by code1, code2, year
"""


class Contiguity(Enricher):
    """Direct contiguity: 1 land; 2-5 separated by <= 12, 24, 150, 400 miles of water; 0 none."""

    name = "contiguity"
    sources = ("cow_contiguity",)
    summary = "CoW direct contiguity type by year (dyads); land/sea neighbour counts (states)"
    systems = ("cow",)
    level = "dyad"
    columns = (
        Column("contiguity", "TINYINT", "0 not contiguous, 1 land, 2-5 water <= 12/24/150/400 miles",
               fill=0, ps_name="conttype"),
    )
    state_columns = (
        Column("land_borders", "SMALLINT", "number of land-contiguous states", fill=0, ps_name="land"),
        Column("sea_borders", "SMALLINT", "number of states contiguous by water (types 2-5)", fill=0,
               ps_name="sea"),
    )

    def level_for(self, ctx):
        return "dyad" if ctx.unit == "dyad_year" else "state"

    def output_columns(self, ctx):
        return self.columns if ctx.unit == "dyad_year" else self.state_columns

    def table_sql(self, ctx):
        years = contiguity_years_sql()
        if ctx.unit == "dyad_year":
            return f"select code1, code2, year, conttype as contiguity from ({years})"
        return (
            "select code1 as code, year, count(*) filter (where conttype = 1) as land_borders, "
            f"count(*) filter (where conttype between 2 and 5) as sea_borders from ({years}) "
            "group by code1, year"
        )

    def rule(self, ctx):
        return ("a dyad-year takes the contiguity spell that began first in or before the year "
                "(the relationship on 1 January); years after 2016 are missing, not 0")

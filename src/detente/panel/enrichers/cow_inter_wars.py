"""CoW inter-state wars (v4.0): war onset and ongoing war per dyad-year (or state-year)."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

WARS = "cow_interstate_war.cow_war_inter_v4_0_dyad_year"


class CowInterWars(Enricher):
    """Inter-state wars; a dyad in two wars in one year keeps the onset, then the lowest war number."""

    name = "cow_inter_wars"
    sources = ("cow_interstate_war",)
    summary = "CoW inter-state war onset and ongoing war"
    systems = ("cow",)
    level = "dyad"
    columns = (
        Column("cow_war_num", "SMALLINT", "war number of the dyad-year's war", ps_name="warnum"),
        Column("cow_war_ongoing", "TINYINT", "1 = at war in the year", fill=0, ps_name="cowinterongoing"),
        Column("cow_war_onset", "TINYINT", "1 = a war began in the year", fill=0, ps_name="cowinteronset"),
        Column("cow_war_initiator1", "TINYINT", "1 = first state initiated the war", ps_name="initiator1"),
        Column("cow_war_initiator2", "TINYINT", "1 = second state initiated the war", ps_name="initiator2"),
        Column("cow_war_batdeath1", "INTEGER", "battle deaths of the first state", ps_name="batdeath1"),
        Column("cow_war_batdeath2", "INTEGER", "battle deaths of the second state", ps_name="batdeath2"),
    )
    state_columns = (
        Column("cow_war_ongoing", "TINYINT", "1 = in an inter-state war in the year", fill=0),
        Column("cow_war_onset", "TINYINT", "1 = entered an inter-state war in the year", fill=0),
    )

    def level_for(self, ctx):
        return "dyad" if ctx.unit == "dyad_year" else "state"

    def output_columns(self, ctx):
        return self.columns if ctx.unit == "dyad_year" else self.state_columns

    def table_sql(self, ctx):
        if ctx.unit == "state_year":
            return (f"select ccode1 as code, year, max(cowinterongoing) as cow_war_ongoing, "
                    f"max(cowinteronset) as cow_war_onset from {WARS} group by ccode1, year")
        return f"""
select ccode1 as code1, ccode2 as code2, year, warnum as cow_war_num, cowinterongoing as cow_war_ongoing,
  cowinteronset as cow_war_onset, initiator1 as cow_war_initiator1, initiator2 as cow_war_initiator2,
  batdeath1 as cow_war_batdeath1, batdeath2 as cow_war_batdeath2
from {WARS}
qualify row_number() over (partition by ccode1, ccode2, year
                           order by cowinteronset desc, warnum, batdeath1 desc, batdeath2 desc) = 1
"""

    def rule(self, ctx):
        if ctx.unit == "state_year":
            return None
        return "one war per dyad-year: the war that began that year first, then the lowest war number"

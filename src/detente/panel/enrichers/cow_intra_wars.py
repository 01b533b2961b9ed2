"""CoW intra-state wars: whether a state fights (side A or B) an intra-state war in the year."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

WARS = "cow_intrastate_war.cow_war_intra_participant_year"


class CowIntraWars(Enricher):
    """Intra-state war participation; state codes on either side count (non-state sides are -8)."""

    name = "cow_intra_wars"
    sources = ("cow_intrastate_war",)
    summary = "CoW intra-state war onset and ongoing war (side A or B)"
    systems = ("cow",)
    level = "state"
    columns = (
        Column("cow_intra_ongoing", "TINYINT", "1 = fighting an intra-state war", fill=0, ps_name="cowintraongoing"),
        Column("cow_intra_onset", "TINYINT", "1 = an intra-state war it fights began", fill=0, ps_name="cowintraonset"),
    )

    def table_sql(self, ctx):
        return f"""
select code, year, max(cowintraongoing) as cow_intra_ongoing, max(cowintraonset) as cow_intra_onset from (
  select ccodea as code, year, cowintraongoing, cowintraonset from {WARS} where ccodea > 0
  union all
  select ccodeb as code, year, cowintraongoing, cowintraonset from {WARS} where ccodeb > 0)
group by code, year
"""

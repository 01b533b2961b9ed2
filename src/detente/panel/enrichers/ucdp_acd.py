"""UCDP/PRIO armed conflicts (v25.1): onset, ongoing conflict, intensity and type, per state.

A state takes part in a conflict-year when it is on side A or side B (primary or secondary).
peacesciencer's ``add_ucdp_acd()`` counts side A only, which misses every state fighting as side B
of an interstate conflict; ``sides="a"`` reproduces it.
"""

from __future__ import annotations

from typing import ClassVar

from detente.exceptions import PanelError
from detente.panel.enricher import Column, Enricher

LONG = "ucdp_prio_acd.ucdp_acd_v25_1_peacesciencer_long"
SIDES = {"ab": ("gwno_a", "gwno_a_2nd", "gwno_b", "gwno_b_2nd"), "a": ("gwno_a",)}


class UCDPConflicts(Enricher):
    """Armed conflict (25+ battle deaths) involving the state, from the UCDP/PRIO ACD."""

    name = "ucdp_acd"
    sources = ("ucdp_prio_acd",)
    summary = "UCDP/PRIO conflicts: onset, ongoing, max intensity, type (side A or B)"
    systems = ("gw",)
    level = "state"
    options: ClassVar[dict] = {"sides": "ab"}
    columns = (
        Column("ucdp_ongoing", "TINYINT", "1 = in an armed conflict in the year (incidence)", fill=0,
               ps_name="ucdpongoing"),
        Column("ucdp_onset", "TINYINT", "1 = a conflict episode it takes part in began", fill=0,
               ps_name="ucdponset"),
        Column("ucdp_maxintensity", "TINYINT", "highest intensity: 1 minor (25-999 deaths), 2 war; 0 none",
               fill=0, ps_name="maxintensity"),
        Column("ucdp_war", "TINYINT", "1 = in a conflict-year with 1,000+ battle deaths", fill=0),
        Column("ucdp_interstate", "TINYINT", "1 = in an interstate conflict", fill=0),
        Column("ucdp_intrastate", "TINYINT", "1 = in an intrastate conflict", fill=0),
        Column("ucdp_internationalized", "TINYINT", "1 = in an internationalized intrastate conflict", fill=0),
        Column("ucdp_extrasystemic", "TINYINT", "1 = in an extrasystemic conflict", fill=0),
    )

    def __init__(self, **options):
        super().__init__(**options)
        if self.opts["sides"] not in SIDES:
            raise PanelError(f"sides={self.opts['sides']!r}: use 'ab' (default) or 'a' (peacesciencer)")

    def table_sql(self, ctx):
        parts = " union all ".join(
            f"select {col} as code, conflict_id, year, intensity_level, type_of_conflict, start_date2 "
            f"from {LONG} where {col} is not null"
            for col in SIDES[self.opts["sides"]]
        )
        return f"""
select code, year, 1 as ucdp_ongoing,
  max((year(start_date2) = year)::int) as ucdp_onset,
  max(intensity_level) as ucdp_maxintensity,
  max((intensity_level = 2)::int) as ucdp_war,
  max((type_of_conflict = 'interstate')::int) as ucdp_interstate,
  max((type_of_conflict = 'intrastate')::int) as ucdp_intrastate,
  max((type_of_conflict = 'II')::int) as ucdp_internationalized,
  max((type_of_conflict = 'extrasystemic')::int) as ucdp_extrasystemic
from (select distinct * from ({parts})) group by code, year
"""

    def rule(self, ctx):
        who = "side A or side B" if self.opts["sides"] == "ab" else "side A only (as peacesciencer)"
        return f"a state takes part in a conflict-year when it is on {who}; an onset is the first year of a conflict episode"

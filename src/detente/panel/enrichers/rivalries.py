"""Strategic rivalries (Thompson, Sakuwa & Suhas 2021): whether a dyad is in a rivalry, and its type."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

TSS = "strategic_rivalries.tss_rivalries"


class Rivalries(Enricher):
    """Strategic rivalry in the year (1/0) and its types; a rivalry counts in its start and end years."""

    name = "rivalries"
    sources = ("strategic_rivalries",)
    summary = "strategic rivalry (TSS 2021): ongoing, positional, spatial, ideological, interventionary"
    systems = ("cow",)
    units = ("dyad_year",)
    level = "dyad"
    columns = (
        Column("rivalry", "TINYINT", "1 = the dyad is in a strategic rivalry", fill=0, ps_name="ongoingrivalry"),
        Column("rivalry_id", "SMALLINT", "TSS rivalry id", ps_name="tssr_id"),
        Column("rivalry_positional", "TINYINT", "1 = positional rivalry", ps_name="positional"),
        Column("rivalry_spatial", "TINYINT", "1 = spatial rivalry", ps_name="spatial"),
        Column("rivalry_ideological", "TINYINT", "1 = ideological rivalry", ps_name="ideological"),
        Column("rivalry_interventionary", "TINYINT", "1 = interventionary rivalry", ps_name="interventionary"),
    )

    def table_sql(self, ctx):
        one = ("select {a} as code1, {b} as code2, unnest(range(start, \"end\" + 1)) as year, tssr_id, "
               "coalesce(\"positional\", 0) as r_pos, coalesce(spatial, 0) as r_spa, coalesce(ideological, 0) as r_ide, "
               f"coalesce(interventionary, 0) as r_int from {TSS}")
        both = one.format(a="ccode1", b="ccode2") + " union all " + one.format(a="ccode2", b="ccode1")
        # two rivalries of one dyad can overlap in a year (one ends, the next begins)
        return f"""
select code1, code2, year, 1 as rivalry, min(tssr_id) as rivalry_id, max(r_pos) as rivalry_positional,
  max(r_spa) as rivalry_spatial, max(r_ide) as rivalry_ideological, max(r_int) as rivalry_interventionary
from ({both}) group by code1, code2, year
"""

    def rule(self, ctx):
        return "a dyad in two rivalries in one year keeps the lower rivalry id; types are any of them"

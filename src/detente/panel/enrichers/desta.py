"""DESTA preferential trade agreements (v2.02): agreements signed and in force per dyad-year.

DESTA names countries, not CoW codes; names are resolved year by year with the curated aliases of
:mod:`detente.states` (exact matches only, so a name that cannot be resolved is left out, never
guessed). DESTA's parties that are not states in the year (dependent territories, the Palestinian
territories, Kosovo before 2008) are recorded as non-states in the alias table and left out.
"""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

DYADS = "desta_trade_agreements.desta_list_of_treaties_v2_02_dyads"


class DESTA(Enricher):
    """Trade agreements (base treaties and accessions): newly signed in the year, and in force."""

    name = "desta"
    sources = ("desta_trade_agreements",)
    summary = "DESTA trade agreements: signed in the year, in force, count in force"
    systems = ("cow", "gw")
    units = ("dyad_year",)
    level = "dyad"
    columns = (
        Column("desta_signed", "TINYINT", "1 = the two states signed an agreement in the year", fill=0),
        Column("desta_in_force", "TINYINT", "1 = an agreement between them is in force", fill=0),
        Column("desta_agreements", "SMALLINT", "agreements in force between them", fill=0),
    )

    def setup(self, con, ctx, prefix):
        """Register the name -> code table for this build; return the names to unregister."""
        import pandas as pd

        from detente.states import resolve_names

        rows = con.execute(
            f"select distinct name, year from (select country1 as name, year from {DYADS} "
            f"union select country2, year from {DYADS})"
        ).fetchall()
        frame = pd.DataFrame(rows, columns=["name", "year"])
        frame["code"] = resolve_names(frame["name"], system=ctx.system, years=frame["year"].tolist()).codes.values
        view = f"{prefix}_desta_codes"
        con.register(view, frame.dropna(subset=["code"]).astype({"code": "int64"}))
        self._view = view
        return [view]

    def table_sql(self, ctx):
        view = self._view
        agreements = f"""
select least(a.code, b.code) as c1, greatest(a.code, b.code) as c2, d.number, d.year as signed,
  coalesce(d.entryforceyear, d.year) as in_force_from
from {DYADS} d join {view} a on a.name = d.country1 and a.year = d.year
join {view} b on b.name = d.country2 and b.year = d.year
where d.entry_type in ('base_treaty', 'accession') and a.code <> b.code
"""
        per_year = f"""
select c1, c2, y as year, max((signed = y)::int) as desta_signed,
  max((y >= in_force_from)::int) as desta_in_force,
  count(distinct number) filter (where y >= in_force_from) as desta_agreements
from (select *, unnest(range(signed, {ctx.last} + 1)) as y from ({agreements}))
group by c1, c2, y
"""
        return (f"select c1 as code1, c2 as code2, year, desta_signed, desta_in_force, desta_agreements from ({per_year}) "
                f"union all select c2, c1, year, desta_signed, desta_in_force, desta_agreements from ({per_year})")

    def rule(self, ctx):
        return ("base treaties and accessions count; an agreement is in force from its entry-into-force year "
                "(its signature year when none is recorded) and, as DESTA records no exits, stays in force; "
                "pairs with a party that is not a state in the year (dependent territories such as Hong Kong "
                "or the Faroe Islands, the Palestinian territories, Kosovo before 2008) are left out")

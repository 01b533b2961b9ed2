"""ATOP alliances (v5.1): whether a directed dyad shares an alliance, by obligation."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher


class ATOP(Enricher):
    """Alliance Treaty Obligations and Provisions: any alliance and the five obligation types."""

    name = "atop"
    sources = ("atop_alliance",)
    summary = "ATOP alliance (any) and defense/offense/neutrality/non-aggression/consultation"
    systems = ("cow",)
    units = ("dyad_year",)
    level = "dyad"
    columns = (
        Column("atop_any", "TINYINT", "1 = the dyad shares an ATOP alliance of any kind", fill=0,
               ps_name="atop_alliance"),
        Column("atop_defense", "TINYINT", "1 = an alliance with a defense pledge", fill=0),
        Column("atop_offense", "TINYINT", "1 = an offense pledge", fill=0),
        Column("atop_neutral", "TINYINT", "1 = a neutrality pledge", fill=0),
        Column("atop_nonagg", "TINYINT", "1 = a non-aggression pledge", fill=0),
        Column("atop_consul", "TINYINT", "1 = a consultation pledge", fill=0),
    )

    def table_sql(self, ctx):
        # a listed dyad-year is an alliance even when none of the five obligations is coded
        return (
            "select ccode1 as code1, ccode2 as code2, year, 1 as atop_any, atop_defense, atop_offense, "
            "atop_neutral, atop_nonagg, atop_consul from atop_alliance.atop_v5_1_directed_dyad_year"
        )

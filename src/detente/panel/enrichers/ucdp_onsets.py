"""UCDP onset data (v19.1): new conflicts and onsets after 1-10 years of peace, per state-year."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher


class UCDPOnsets(Enricher):
    """Counts of new UCDP conflicts and of onsets after 1, 2, 3, 5 and 10 years without conflict."""

    name = "ucdp_onsets"
    sources = ("ucdp_onsets",)
    summary = "UCDP onsets: new conflicts, onsets after 1/2/3/5/10 peace years"
    systems = ("gw",)
    level = "state"
    columns = (
        Column("sumnewconf", "SMALLINT", "new conflicts in the year", fill=0),
        Column("sumonset1", "SMALLINT", "onsets after at least 1 year of peace", fill=0),
        Column("sumonset2", "SMALLINT", "onsets after at least 2 years of peace", fill=0),
        Column("sumonset3", "SMALLINT", "onsets after at least 3 years of peace", fill=0),
        Column("sumonset5", "SMALLINT", "onsets after at least 5 years of peace", fill=0),
        Column("sumonset10", "SMALLINT", "onsets after at least 10 years of peace", fill=0),
    )

    def table_sql(self, ctx):
        return ("select gwcode as code, year, sumnewconf, sumonset1, sumonset2, sumonset3, sumonset5, sumonset10 "
                "from ucdp_onsets.ucdp_onsets_v19_1_gw_country_year")

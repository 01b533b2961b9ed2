"""CoW intergovernmental organisations (v3.0): shared memberships (dyads), memberships (states)."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

DYADIC = "cow_igo.cow_igo_v3_nondirected_dyad_year"


class IGO(Enricher):
    """Number of IGOs both states belong to (full members); IGO membership counts per state."""

    name = "igo"
    sources = ("cow_igo",)
    summary = "CoW IGOs: shared memberships (dyads), membership counts (states)"
    systems = ("cow",)
    level = "dyad"
    columns = (Column("dyadigos", "SMALLINT", "IGOs in which both states are full members", fill=0),)
    state_columns = (
        Column("sum_igo_full", "SMALLINT", "IGOs with full membership", fill=0),
        Column("sum_igo_associate", "SMALLINT", "IGOs with associate membership", fill=0),
        Column("sum_igo_observer", "SMALLINT", "IGOs with observer status", fill=0),
        Column("sum_igo_anytype", "SMALLINT", "IGOs with any membership", fill=0),
    )

    def level_for(self, ctx):
        return "dyad" if ctx.unit == "dyad_year" else "state"

    def output_columns(self, ctx):
        return self.columns if ctx.unit == "dyad_year" else self.state_columns

    def table_sql(self, ctx):
        if ctx.unit == "state_year":
            return ("select ccode as code, year, sum_igo_full, sum_igo_associate, sum_igo_observer, "
                    "sum_igo_anytype from cow_igo.cow_igo_v3_state_year")
        return (f"select ccode1 as code1, ccode2 as code2, year, dyadigos from {DYADIC} union all "
                f"select ccode2, ccode1, year, dyadigos from {DYADIC}")

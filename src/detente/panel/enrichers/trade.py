"""CoW trade (v4.0): dyadic flows on dyad-years, national imports and exports on state-years."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

DYADIC = "cow_trade.cow_trade_dyadic_v4_0_rounded"


class Trade(Enricher):
    """Trade in current million USD. On a dyad, ``flow1`` is what the first state imports from the second."""

    name = "trade"
    sources = ("cow_trade",)
    summary = "CoW trade: dyadic flows (dyads), imports/exports (states)"
    systems = ("cow",)
    level = "dyad"
    columns = (
        Column("flow1", "DOUBLE", "imports of the first state from the second (million USD)"),
        Column("flow2", "DOUBLE", "imports of the second state from the first"),
        Column("smoothflow1", "DOUBLE", "flow1 smoothed by CoW"),
        Column("smoothflow2", "DOUBLE", "flow2 smoothed by CoW"),
    )
    state_columns = (
        Column("imports", "DOUBLE", "total imports (million USD)"),
        Column("exports", "DOUBLE", "total exports (million USD)"),
    )

    def level_for(self, ctx):
        return "dyad" if ctx.unit == "dyad_year" else "state"

    def output_columns(self, ctx):
        return self.columns if ctx.unit == "dyad_year" else self.state_columns

    def table_sql(self, ctx):
        if ctx.unit == "state_year":
            return "select ccode as code, year, imports, exports from cow_trade.cow_trade_national_v4_0"
        # the source lists each pair once (lower code first); the reversed pair swaps the flows
        return (f"select ccode1 as code1, ccode2 as code2, year, flow1, flow2, smoothflow1, smoothflow2 from {DYADIC} "
                f"union all select ccode2, ccode1, year, flow2, flow1, smoothflow2, smoothflow1 from {DYADIC}")

"""Democracy scores (isard): extended UDS, Polity5 polity2 and V-Dem polyarchy."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

TABLES = {"cow": ("democracy_isard.cw_democracy", "ccode"), "gw": ("democracy_isard.gw_democracy", "gwcode")}


class Democracy(Enricher):
    """Extended UDS (and its adjusted form), polity2 and V-Dem's electoral democracy index."""

    name = "democracy"
    sources = ("democracy_isard",)
    summary = "democracy: extended UDS, Polity5 polity2, V-Dem polyarchy"
    systems = ("cow", "gw")
    level = "state"
    columns = (
        Column("euds", "DOUBLE", "extended Unified Democracy Score"),
        Column("aeuds", "DOUBLE", "adjusted extended UDS (0 = average cut-point)"),
        Column("polity2", "DOUBLE", "Polity5 polity2 (-10..10; ends 2018)"),
        Column("v2x_polyarchy", "DOUBLE", "V-Dem electoral democracy index (0..1)"),
    )

    def table_sql(self, ctx):
        table, code = TABLES[ctx.system]
        return f"select {code} as code, year, euds, aeuds, polity2, v2x_polyarchy from {table}"

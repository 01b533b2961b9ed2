"""Surplus domestic product, GDP and population (Anders, Fariss & Markowitz 2020; legacy)."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

TABLES = {"cow": ("sdp_gdp_anders_legacy.cow_sdp_gdp", "ccode"), "gw": ("sdp_gdp_anders_legacy.gw_sdp_gdp", "gwcode")}


class SDP(Enricher):
    """Estimated GDP, population, surplus domestic product and GDP per capita (log scale)."""

    name = "sdp"
    sources = ("sdp_gdp_anders_legacy",)
    summary = "surplus domestic product, GDP, population (Anders et al., legacy)"
    systems = ("cow", "gw")
    level = "state"
    columns = (
        Column("wbgdp2011est", "DOUBLE", "log GDP, 2011 USD"),
        Column("wbpopest", "DOUBLE", "log population"),
        Column("sdpest", "DOUBLE", "log surplus domestic product"),
        Column("wbgdppc2011est", "DOUBLE", "log GDP per capita, 2011 USD"),
    )

    def table_sql(self, ctx):
        table, code = TABLES[ctx.system]
        return f"select {code} as code, year, wbgdp2011est, wbpopest, sdpest, wbgdppc2011est from {table}"

    def coverage_for(self, ctx):
        lo, hi = self.declared_coverage()
        # the G-W file ends a year earlier than the CoW file
        return (lo, hi - 1) if ctx.system == "gw" else (lo, hi)

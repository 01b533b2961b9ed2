"""Simulated GDP, GDP per capita and population (Fariss et al. 2022), per state-year."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

TABLES = {"cow": ("gdp_population_fariss.cw_gdppop", "ccode"), "gw": ("gdp_population_fariss.gw_gdppop", "gwcode")}


class GDPPopulation(Enricher):
    """Latent GDP per capita (Maddison), GDP and population (PWT), with their standard deviations."""

    name = "gdp_population"
    sources = ("gdp_population_fariss",)
    summary = "GDP, GDP per capita and population (Fariss et al. simulations)"
    systems = ("cow", "gw")
    level = "state"
    columns = (
        Column("mrgdppc", "DOUBLE", "GDP per capita (Maddison-scaled)"),
        Column("sd_mrgdppc", "DOUBLE", "its standard deviation"),
        Column("pwtrgdp", "DOUBLE", "real GDP (PWT-scaled)"),
        Column("sd_pwtrgdp", "DOUBLE", "its standard deviation"),
        Column("pwtpop", "DOUBLE", "population (PWT-scaled)"),
        Column("sd_pwtpop", "DOUBLE", "its standard deviation"),
    )

    def table_sql(self, ctx):
        table, code = TABLES[ctx.system]
        return (f"select {code} as code, year, mrgdppc, sd_mrgdppc, pwtrgdp, sd_pwtrgdp, pwtpop, sd_pwtpop "
                f"from {table}")

"""CoW National Material Capabilities (v7.0): the six indicators and CINC."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher


class NMC(Enricher):
    """Military expenditure and personnel, iron and steel, energy, population and CINC."""

    name = "nmc"
    sources = ("cow_nmc",)
    summary = "CoW material capabilities: milex, milper, irst, pec, tpop, upop, cinc"
    systems = ("cow",)
    level = "state"
    columns = (
        Column("milex", "DOUBLE", "military expenditure (thousands; GBP to 1913, current USD from 1914)"),
        Column("milper", "DOUBLE", "military personnel (thousands)"),
        Column("irst", "DOUBLE", "iron and steel production (thousand tons)"),
        Column("pec", "DOUBLE", "primary energy consumption (thousand coal-ton equivalents)"),
        Column("tpop", "DOUBLE", "total population (thousands)"),
        Column("upop", "DOUBLE", "urban population (thousands)"),
        Column("cinc", "DOUBLE", "Composite Index of National Capability"),
    )

    def table_sql(self, ctx):
        return "select ccode as code, year, milex, milper, irst, pec, tpop, upop, cinc from cow_nmc.cow_nmc_v7_0"

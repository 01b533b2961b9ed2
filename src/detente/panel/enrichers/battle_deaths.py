"""Battle deaths per country-year, 1946-2022 (PRIO 3.1 and UCDP, as in poldat::ucdpbrds)."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher


class BattleDeaths(Enricher):
    """Battle-related deaths in conflicts fought on the state's territory: best, low, high."""

    name = "battle_deaths"
    sources = ("battle_deaths_country_year",)
    summary = "battle deaths (best, low, high estimates)"
    systems = ("gw",)
    level = "state"
    columns = (
        Column("battle_deaths", "INTEGER", "battle deaths, best estimate", fill=0, ps_name="best"),
        Column("battle_deaths_low", "INTEGER", "battle deaths, low estimate", fill=0, ps_name="low"),
        Column("battle_deaths_high", "INTEGER", "battle deaths, high estimate", fill=0, ps_name="high"),
    )

    def table_sql(self, ctx):
        return ("select gwcode as code, year, best as battle_deaths, low as battle_deaths_low, "
                "high as battle_deaths_high from battle_deaths_country_year.battle_deaths_gw_country_year_1946_2022")

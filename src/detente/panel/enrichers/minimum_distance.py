"""Minimum distance between two states' territories, 1886-2019 (CShapes 2.0), in km."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

TABLES = {"cow": "minimum_distance.cow_mindist_1886_2019", "gw": "minimum_distance.gw_mindist_1886_2019"}


class MinimumDistance(Enricher):
    """The shortest distance between the two states' borders (0 = touching)."""

    name = "minimum_distance"
    sources = ("minimum_distance",)
    summary = "minimum distance between territories (km, CShapes 2.0)"
    systems = ("cow", "gw")
    units = ("dyad_year",)
    level = "dyad"
    columns = (Column("mindist", "DOUBLE", "minimum distance between the states (km)"),)

    def table_sql(self, ctx):
        code = "ccode" if ctx.system == "cow" else "gwcode"
        table = TABLES[ctx.system]
        # the source lists each pair once (lower code first); distance is symmetric
        return (f"select {code}1 as code1, {code}2 as code2, year, mindist from {table} union all "
                f"select {code}2, {code}1, year, mindist from {table}")

"""Capital-to-capital distance (great circle on a sphere, km), from peacesciencer's capitals."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher

TABLES = {"cow": ("capitals.cow_capitals", "ccode"), "gw": ("capitals.gw_capitals", "gwcode")}

#: The sphere radius geosphere's distVincentySphere uses (WGS84 semi-major axis), in km.
RADIUS_KM = 6378137.0 / 1000


class CapitalDistance(Enricher):
    """Distance between the two states' capitals; the capital held on 1 January counts."""

    name = "capital_distance"
    sources = ("capitals",)
    summary = "capital-to-capital distance (km, Vincenty formula on a sphere)"
    systems = ("cow", "gw")
    units = ("dyad_year",)
    level = "state"
    # helper values per state-year; the distance itself is computed per dyad in select_exprs
    columns = (
        Column("_slat", "DOUBLE", "sine of the capital's latitude"),
        Column("_clat", "DOUBLE", "cosine of the capital's latitude"),
        Column("_rlng", "DOUBLE", "capital's longitude in radians"),
    )
    distance = Column("capital_distance", "DOUBLE", "capital-to-capital distance (km)", ps_name="capdist")

    def table_sql(self, ctx):
        table, code = TABLES[ctx.system]
        # a state that moved its capital in a year keeps the first one (its 1 January capital)
        return f"""
select code, year, sin(radians(lat)) as _slat, cos(radians(lat)) as _clat, radians(lng) as _rlng from (
  select code, year, arg_min(lat, stdate) as lat, arg_min(lng, stdate) as lng from (
    select {code} as code, lat, lng, stdate::date as stdate,
           unnest(range(year(stdate::date), year(enddate::date) + 1)) as year from {table})
  group by code, year)
"""

    def select_exprs(self, ctx, ref):
        s1, c1, l1 = ref("_slat", "1"), ref("_clat", "1"), ref("_rlng", "1")
        s2, c2, l2 = ref("_slat", "2"), ref("_clat", "2"), ref("_rlng", "2")
        # the same formula as geosphere::distVincentySphere, so values agree to the last bits
        x = f"sqrt(pow({c2} * sin({l2} - {l1}), 2) + pow({c1} * {s2} - {s1} * {c2} * cos({l2} - {l1}), 2))"
        y = f"{s1} * {s2} + {c1} * {c2} * cos({l2} - {l1})"
        yield f"{RADIUS_KM!r} * atan2({x}, {y})", self.distance

    def vector_exprs(self, ctx, helper):
        """The same formula with numpy over gathered helper values (the default engine)."""
        import numpy as np

        (s1, ok1), (c1, _), (l1, _) = helper("_slat", "1"), helper("_clat", "1"), helper("_rlng", "1")
        (s2, ok2), (c2, _), (l2, _) = helper("_slat", "2"), helper("_clat", "2"), helper("_rlng", "2")
        dl = l2 - l1
        cos_dl = np.cos(dl)
        x = np.sqrt((c2 * np.sin(dl)) ** 2 + (c1 * s2 - s1 * c2 * cos_dl) ** 2)
        y = s1 * s2 + c1 * c2 * cos_dl
        yield self.distance, (RADIUS_KM * np.arctan2(x, y), ok1 & ok2)

"""UN General Assembly ideal points (Bailey, Strezhnev & Voeten method, July 2025 release)."""

from __future__ import annotations

from detente.panel.enricher import Column, Enricher


class UNIdealPoints(Enricher):
    """Ideal points from all votes; on dyads also the absolute distance between the two states."""

    name = "un_ideal_points"
    sources = ("unga_ideal_points",)
    summary = "UNGA ideal points (all votes) and, on dyads, their distance"
    systems = ("cow",)
    level = "state"
    columns = (
        Column("idealpoint", "DOUBLE", "ideal point estimated from all votes", ps_name="idealpointall"),
        Column("idealpoint_votes", "SMALLINT", "votes it rests on", ps_name="nvotesall"),
    )
    distance = Column("idealpoint_distance", "DOUBLE", "absolute difference of the two ideal points")

    def table_sql(self, ctx):
        return ("select ccode as code, year, idealpointall as idealpoint, nvotesall as idealpoint_votes "
                "from unga_ideal_points.unga_ideal_points_jul2025")

    def select_exprs(self, ctx, ref):
        if ctx.unit == "state_year":
            for col in self.columns:
                yield ref(col.name), col
            return
        for side in ("1", "2"):
            for col in self.columns:
                yield ref(col.name, side), Column(col.name + side, col.type, col.description,
                                                  ps_name=(col.ps_name + side) if col.ps_name else None)
        yield f"abs({ref('idealpoint', '1')} - {ref('idealpoint', '2')})", self.distance

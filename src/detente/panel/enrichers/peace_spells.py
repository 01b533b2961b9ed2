"""Peace spells: years since a unit's last event (an onset, or a year of ongoing conflict).

This enricher reads a column another enricher added earlier in the same panel, so it comes after
it: ``dyad_years(...).add_gml_mids().add_peace_spells(event="gml_onset")``.
"""

from __future__ import annotations

from typing import ClassVar

from detente.exceptions import PanelError
from detente.panel.enricher import Column, Enricher


class PeaceSpells(Enricher):
    """Years of peace before each year: 0 right after an event, counted from the first year with data.

    Options
    -------
    event : str
        A 0/1 column already in the panel (detente name), e.g. ``gml_onset``, ``ucdp_onset``,
        ``ucdp_ongoing``, ``cow_war_onset``. Years where it is missing (outside its source's
        coverage) have a missing spell, and counting restarts where data resume.
    """

    name = "peace_spells"
    sources: ClassVar[tuple[str, ...]] = ()
    summary = "peace spells: years since the unit's last event (from onsets or ongoing conflict)"
    systems = ("cow", "gw")
    level = "state"
    coverage = (1, 9999)
    options: ClassVar[dict] = {"event": None}

    def __init__(self, **options):
        super().__init__(**options)
        if not self.opts["event"]:
            raise PanelError("peace_spells needs event=<a 0/1 column already in the panel>, e.g. event='gml_onset'")

    @classmethod
    def declared_coverage(cls):
        return cls.coverage

    @classmethod
    def citations(cls):
        return {}

    def output_columns(self, ctx):
        return (Column(f"{self.opts['event']}_spell", "SMALLINT", f"years since the last {self.opts['event']}"),)

    def post_exprs(self, ctx, column, keys):
        """SQL over the built panel: ``column`` is the event column's name, ``keys`` the unit codes."""
        part = ", ".join(keys)
        ev = column
        last = (f"max(case when {ev} = 1 then year end) over (partition by {part} order by year "
                f"rows between unbounded preceding and 1 preceding)")
        # where data resume after a gap in coverage, counting restarts at the first year with data
        first = f"min(case when {ev} is not null then year end) over (partition by {part})"
        col = self.output_columns(ctx)[0]
        expr = (f"case when {ev} is null then null when {last} is null then year - {first} "
                f"else year - {last} - 1 end")
        return [(expr, col)]

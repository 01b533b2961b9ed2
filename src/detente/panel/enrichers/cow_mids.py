"""CoW MIDs (v5.0): dispute onset, ongoing disputes and their attributes, per dyad-year."""

from __future__ import annotations

from typing import ClassVar

from detente.panel.enricher import Enricher
from detente.panel.enrichers import _whittle
from detente.panel.enrichers.gml_mids import INIT, _dyad_columns, check_mid_options


class CowMIDs(Enricher):
    """CoW-MID dispute-years whittled to one dispute per dyad-year (rule as for GML MIDs)."""

    name = "cow_mids"
    sources = ("cow_mid",)
    summary = "CoW MIDs v5: onset, ongoing, hostility, fatality, initiation, reciprocation"
    systems = ("cow",)
    units = ("dyad_year",)
    level = "dyad"
    options: ClassVar[dict] = {"rule": _whittle.DEFAULT, "init": "sidea-all-joiners"}
    columns = _dyad_columns("cowmid", "cowmid")

    def __init__(self, **options):
        super().__init__(**options)
        check_mid_options(self.opts)

    def table_sql(self, ctx):
        rank = _whittle.order_by(self.opts["rule"], onset="disponset")
        init = INIT[self.opts["init"]]
        return f"""
select d.ccode1 as code1, d.ccode2 as code2, d.year, d.dispnum as cowmid_dispnum,
  d.dispongoing as cowmid_ongoing, d.disponset as cowmid_onset, d.sidea1 as cowmid_sidea1,
  d.sidea2 as cowmid_sidea2, d.fatality1 as cowmid_fatality1, d.fatality2 as cowmid_fatality2,
  d.fatalpre1 as cowmid_fatalpre1, d.fatalpre2 as cowmid_fatalpre2, d.hiact1 as cowmid_hiact1,
  d.hiact2 as cowmid_hiact2, d.hostlev1 as cowmid_hostlev1, d.hostlev2 as cowmid_hostlev2,
  d.orig1 as cowmid_orig1, d.orig2 as cowmid_orig2, m.fatality as cowmid_fatality,
  m.hostlev as cowmid_hostlev, m.recip as cowmid_recip, m.mindur as cowmid_mindur,
  m.maxdur as cowmid_maxdur, m.stmon as cowmid_stmon,
  case when {init.format(n=1)} then 1 else 0 end as cowmid_init1,
  case when {init.format(n=2)} then 1 else 0 end as cowmid_init2
from cow_mid.cow_mid_dirdisps_v5 d join cow_mid.cow_mid_disps_v5 m using (dispnum)
qualify row_number() over (partition by d.ccode1, d.ccode2, d.year order by {rank}) = 1
"""

    def rule(self, ctx):
        return _whittle.describe(self.opts["rule"]) + f"; initiation coded as {self.opts['init']}"

"""Gibler-Miller-Little MIDs (v2.2.1): dispute onset, ongoing disputes and their attributes."""

from __future__ import annotations

from typing import ClassVar

from detente.exceptions import PanelError
from detente.panel.enricher import Column, Enricher
from detente.panel.enrichers import _whittle

#: How initiation is coded (peacesciencer's ``init``): side A originators only, side A including
#: joiners, or side A plus every joiner (peacesciencer's default).
INIT = {
    "sidea-orig": "sidea{n} = 1 and orig{n} = 1",
    "sidea-with-joiners": "sidea{n} = 1",
    "sidea-all-joiners": "sidea{n} = 1 or orig{n} = 0",
}


def check_mid_options(opts: dict) -> None:
    """Validate the MID enrichers' ``rule`` (normalised in place) and ``init`` options."""
    opts["rule"] = _whittle.check_rule(opts["rule"])
    if opts["init"] not in INIT:
        raise PanelError(f"init={opts['init']!r}: use one of {', '.join(INIT)}")


def _dyad_columns(prefix: str, ps_prefix: str) -> tuple[Column, ...]:
    """The dispute columns; ``ps_prefix`` gives peacesciencer's ``<ps_prefix>ongoing``/``onset``."""
    def c(name, typ, desc, fill=None, ps_name=None):
        return Column(f"{prefix}_{name}", typ, desc, fill=fill, ps_name=ps_name or name)

    return (
        c("dispnum", "SMALLINT", "dispute number of the dyad-year's dispute"),
        c("ongoing", "TINYINT", "1 = a dispute ongoing in the dyad-year", fill=0,
          ps_name=f"{ps_prefix}ongoing"),
        c("onset", "TINYINT", "1 = a dispute began (or the dyad entered one) in the year", fill=0,
          ps_name=f"{ps_prefix}onset"),
        c("sidea1", "TINYINT", "1 = first state on side A"),
        c("sidea2", "TINYINT", "1 = second state on side A"),
        c("fatality1", "TINYINT", "fatality level of the first state (-9 unknown)"),
        c("fatality2", "TINYINT", "fatality level of the second state (-9 unknown)"),
        c("fatalpre1", "INTEGER", "known fatalities of the first state (-9 unknown)"),
        c("fatalpre2", "INTEGER", "known fatalities of the second state (-9 unknown)"),
        c("hiact1", "TINYINT", "highest action of the first state"),
        c("hiact2", "TINYINT", "highest action of the second state"),
        c("hostlev1", "TINYINT", "hostility level of the first state"),
        c("hostlev2", "TINYINT", "hostility level of the second state"),
        c("orig1", "TINYINT", "1 = first state an originator"),
        c("orig2", "TINYINT", "1 = second state an originator"),
        c("fatality", "TINYINT", "dispute fatality level"),
        c("hostlev", "TINYINT", "dispute hostility level"),
        c("recip", "TINYINT", "1 = dispute reciprocated"),
        c("mindur", "SMALLINT", "dispute minimum duration (days)"),
        c("maxdur", "SMALLINT", "dispute maximum duration (days)"),
        c("stmon", "TINYINT", "dispute start month"),
        c("init1", "TINYINT", "1 = first state an initiator (see the init option)"),
        c("init2", "TINYINT", "1 = second state an initiator"),
    )


class GMLMIDs(Enricher):
    """GML MIDs whittled to one dispute per dyad-year by an explicit, overridable rule.

    Options
    -------
    rule : sequence of str or "a,b,c"
        Criteria in order (default peacesciencer's: onset, fatality, hostlev, mindur, maxdur,
        recip, stmon); see :mod:`detente.panel.enrichers._whittle`.
    init : str
        ``"sidea-all-joiners"`` (default), ``"sidea-with-joiners"`` or ``"sidea-orig"``.
    """

    name = "gml_mids"
    sources = ("gml_mid",)
    summary = "GML MIDs: onset, ongoing, hostility, fatality, initiation, reciprocation"
    systems = ("cow",)
    units = ("dyad_year",)
    level = "dyad"
    options: ClassVar[dict] = {"rule": _whittle.DEFAULT, "init": "sidea-all-joiners"}
    columns = _dyad_columns("gml", "gmlmid")

    def __init__(self, **options):
        super().__init__(**options)
        check_mid_options(self.opts)

    def table_sql(self, ctx):
        rank = _whittle.order_by(self.opts["rule"], onset="midonset")
        init = INIT[self.opts["init"]]
        return f"""
select ccode1 as code1, ccode2 as code2, year, dispnum as gml_dispnum, midongoing as gml_ongoing,
  midonset as gml_onset, sidea1 as gml_sidea1, sidea2 as gml_sidea2, fatality1 as gml_fatality1,
  fatality2 as gml_fatality2, fatalpre1 as gml_fatalpre1, fatalpre2 as gml_fatalpre2,
  hiact1 as gml_hiact1, hiact2 as gml_hiact2, hostlev1 as gml_hostlev1, hostlev2 as gml_hostlev2,
  orig1 as gml_orig1, orig2 as gml_orig2, fatality as gml_fatality, hostlev as gml_hostlev,
  recip as gml_recip, mindur as gml_mindur, maxdur as gml_maxdur, stmon as gml_stmon,
  case when {init.format(n=1)} then 1 else 0 end as gml_init1,
  case when {init.format(n=2)} then 1 else 0 end as gml_init2
from gml_mid.gml_dirdisp_v2_2_1
qualify row_number() over (partition by ccode1, ccode2, year order by {rank}) = 1
"""

    def rule(self, ctx):
        return _whittle.describe(self.opts["rule"]) + f"; initiation coded as {self.opts['init']}"

"""The rule that keeps one dispute per dyad-year: explicit, printed, overridable, peacesciencer's by default."""

from __future__ import annotations

import pytest

from detente.exceptions import PanelError
from detente.panel import dyad_years

COLUMNS = ("dispnum", "sidea1", "sidea2", "fatality1", "fatality2", "fatalpre1", "fatalpre2", "hiact1",
           "hiact2", "hostlev1", "hostlev2", "orig1", "orig2", "fatality", "hostlev", "recip", "mindur",
           "maxdur", "stmon")


def _whittled(store, **options):
    from detente.panel.enrichers.gml_mids import GMLMIDs

    panel = dyad_years("cow", years="1816-2010", con=store, echo=None)
    sql = GMLMIDs(**options).table_sql(panel.context)
    return store.sql(sql).df()


def test_default_rule_reproduces_peacesciencer_dyad_year_file(store):
    ours = _whittled(store)
    theirs = store.sql("select * from gml_mid.gml_mid_ddydisps_v2_2_1").df()
    assert len(ours) == len(theirs)
    merged = ours.merge(theirs, left_on=["code1", "code2", "year"], right_on=["ccode1", "ccode2", "year"])
    assert len(merged) == len(theirs)
    for col in COLUMNS:
        assert (merged[f"gml_{col}"] == merged[col]).all(), col
    assert (merged.gml_onset == merged.gmlmidonset).all()


def test_another_rule_picks_other_disputes(store):
    default = _whittled(store).set_index(["code1", "code2", "year"]).gml_dispnum
    by_month = _whittled(store, rule="stmon").set_index(["code1", "code2", "year"]).gml_dispnum
    assert len(default) == len(by_month)
    assert (default != by_month.loc[default.index]).sum() > 0


def test_rule_is_printed(store):
    said = []
    dyad_years("cow", years="1990-2000", con=store, echo=said.append).add("gml_mids", rule=("hostlev", "onset"))
    assert said and "1) retaining the highest `hostlev`, 2) retaining unique onsets" in said[0]


def test_bad_rule(store):
    with pytest.raises(PanelError, match="unknown dispute rule criteria"):
        dyad_years("cow", years="1990-2000", con=store).add("gml_mids", rule="loudest")


def test_cow_mids_one_dispute_per_dyad_year(store):
    t = dyad_years("cow", years="1990-2014", con=store, echo=None).add("cow_mids").to_pandas()
    raw = store.sql(
        "select count(distinct (ccode1, ccode2, year)) from cow_mid.cow_mid_dirdisps_v5 where year >= 1990"
    ).fetchall()[0][0]
    # every dyad-year with a dispute in the data appears once (those of system members)
    assert t.cowmid_ongoing.sum() <= raw
    assert t.cowmid_ongoing.sum() > 0.9 * raw
    assert t.cowmid_onset.le(t.cowmid_ongoing).all()

"""Every enricher: coverage (missing outside, never 0), citation, and the columns it declares.

The property test is exhaustive over years: for each enricher, unit and system it serves, a panel
is built over a window reaching past both ends of its coverage, and every year is checked.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.panel import dyad_years, enricher_citations, enrichers, state_years
from detente.sources import all_sources

#: peace_spells needs an event column from another enricher.
PREREQ = {"peace_spells": {"state_year": ("cow_intra_wars", "cow_intra_onset"), "dyad_year": ("gml_mids", "gml_onset")}}


def _store_enrichers():
    """Enrichers reading the analytic store (registry engagements are tested with the registry)."""
    return {n: c for n, c in enrichers().items() if c.sources or n == "peace_spells"}


def _cases():
    for name, cls in _store_enrichers().items():
        for unit in cls.units:
            for system in cls.systems:
                if name == "peace_spells" and system != "cow":
                    continue
                yield pytest.param(name, unit, system, id=f"{name}-{unit}-{system}")


def _window(store, cls, unit, system):
    """Years around the coverage edges that the unit can represent (first/last 3 years either side)."""
    from detente.panel.units import spell_bounds

    data_first, _, _ = spell_bounds(store, system)
    if cls.name == "peace_spells":  # its coverage is that of the event column's enricher
        cls = enrichers()[PREREQ["peace_spells"][unit][0]]
    mry = 2025 if system == "cow" else 2024
    lo, hi = cls.declared_coverage()
    lo, hi = max(lo, data_first), min(hi, mry)
    windows = [(max(lo - 3, data_first), min(lo + 2, mry)), (max(hi - 2, data_first), min(hi + 3, mry))]
    return windows, mry


@pytest.mark.parametrize(("name", "unit", "system"), list(_cases()))
def test_missing_outside_coverage_never_zero(store, name, unit, system):
    cls = enrichers()[name]
    windows, mry = _window(store, cls, unit, system)
    for first, last in windows:
        make = state_years if unit == "state_year" else dyad_years
        kwargs = {} if unit == "state_year" else {"directed": False}
        panel = make(system, years=(first, last), mry=mry, con=store, echo=None, **kwargs)
        before = set(panel.to_arrow().column_names) if name != "peace_spells" else None
        if name == "peace_spells":
            pre, event = PREREQ[name][unit]
            panel = panel.add(pre)
            before = set(panel.to_arrow().column_names)
            panel = panel.add(name, event=event)
        else:
            panel = panel.add(name)
        t = panel.to_pandas()
        added = [c for c in t.columns if c not in before]
        assert added, "the enricher adds columns"
        entry = panel.metadata["enrichers"][-1]
        lo, hi = entry["coverage"]
        outside = (t.year < lo) | (t.year > hi)
        # outside the coverage window every added value is missing
        assert t.loc[outside, added].isna().all().all(), t.loc[outside, added].notna().sum()
        inside = t.loc[~outside, added]
        if len(inside):
            # inside, columns with a fill value are never missing, and the rest are not all missing
            table = panel.to_arrow()
            fills = _filled_columns(panel, added)
            assert inside[fills].notna().all().all()
            assert inside.notna().any().any(), "values inside the coverage window"
            assert table.num_rows == len(t)


def _filled_columns(panel, added):
    from detente.panel.enrichers import get_enricher

    entry = panel.metadata["enrichers"][-1]
    cls = get_enricher(entry["name"])
    ctx = panel.context
    inst = cls(**{k: v for k, v in entry["options"].items()})
    sub = ctx.with_system(entry["system"])
    cols = inst.output_columns(sub)
    filled = {c.name for c in cols if c.fill is not None}
    return [c for c in added if c in filled or (c[:-1] in filled and c[-1] in "12")]


def test_every_enricher_cites_defined_sources():
    sources = all_sources()
    names = [n for n in _store_enrichers() if n != "peace_spells"]
    cites = enricher_citations(names)
    assert set(cites) == set(names)
    for name, ids in cites.items():
        assert ids, name
        for sid in ids:
            assert sid in sources
            assert "@" in sources[sid].citation  # BibTeX from the source definition
        lo, hi = enrichers()[name].declared_coverage()
        assert lo <= hi


def test_coverage_read_from_one_definition_equals_the_catalogue():
    from detente.panel.enricher import source_coverage
    from detente.sources import get_source

    for sid in {sid for cls in enrichers().values() for sid in cls.sources}:
        assert source_coverage(sid) == get_source(sid).coverage, sid
    with pytest.raises(Exception, match="unknown source"):
        source_coverage("no_such_source")


def test_lookup_by_name_finds_the_registered_class():
    from detente.panel.enrichers import ALIASES, get_enricher

    for name, cls in enrichers().items():
        assert get_enricher(name) is cls
    for alias, name in ALIASES.items():
        assert get_enricher(alias) is enrichers()[name]


def test_enricher_citations_accepts_aliases():
    assert enricher_citations(["mids"]) == {"mids": ["gml_mid"]}


def test_side_a_or_b_counts_more_states_than_side_a(store):
    ab = state_years("gw", years="1946-2024", mry=2024, con=store, echo=None).add("ucdp_acd").to_pandas()
    a = state_years("gw", years="1946-2024", mry=2024, con=store, echo=None).add("ucdp_acd", sides="a").to_pandas()
    assert (ab.ucdp_ongoing >= a.ucdp_ongoing).all()
    assert ab.ucdp_ongoing.sum() > a.ucdp_ongoing.sum()
    # a state on side B of an interstate conflict, e.g. Kuwait (690) against Iraq in 1991,
    # takes part only when side B counts
    row = (ab.gwcode == 690) & (ab.year == 1991)
    assert ab.loc[row, "ucdp_interstate"].item() == 1
    assert a.loc[(a.gwcode == 690) & (a.year == 1991), "ucdp_interstate"].item() == 0


def test_capital_distance_is_symmetric(store):
    t = dyad_years("cow", years="2000-2001", con=store, echo=None).add("capital_distance").to_pandas()
    rev = t.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1"})
    m = t.merge(rev, on=["ccode1", "ccode2", "year"])
    assert np.allclose(m.capital_distance_x, m.capital_distance_y, rtol=1e-12, equal_nan=True)


def test_trade_flows_swap_with_direction(store):
    t = dyad_years("cow", years="2000-2000", con=store, echo=None).add("trade").to_pandas()
    a = t[(t.ccode1 == 2) & (t.ccode2 == 20)].iloc[0]
    b = t[(t.ccode1 == 20) & (t.ccode2 == 2)].iloc[0]
    assert a.flow1 == b.flow2 and a.flow2 == b.flow1


def test_peace_spells_count_years_since_the_last_onset(store):
    t = (dyad_years("cow", directed=False, years="1816-2010", con=store, echo=None)
         .add("gml_mids").add("peace_spells", event="gml_onset").to_pandas())
    g = t[(t.ccode1 == 2) & (t.ccode2 == 200)].sort_values("year")
    last = None
    for year, onset, spell in zip(g.year, g.gml_onset, g.gml_onset_spell, strict=True):
        want = (year - g.year.min()) if last is None else year - last - 1
        assert spell == want
        if onset == 1:
            last = year

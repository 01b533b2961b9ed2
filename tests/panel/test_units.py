"""Units: day-overlap dyad-years and state-years against the membership spells and peacesciencer."""

from __future__ import annotations

import numpy as np
import pytest

from detente.exceptions import PanelError
from detente.panel import dyad_years, state_years
from detente.states import members, membership_spells


def _keys(table, a, b=None):
    y = table.column("year").to_numpy().astype(np.int64)
    k = table.column(a).to_numpy().astype(np.int64) * 10000 + y
    if b is not None:
        k = (table.column(a).to_numpy().astype(np.int64) * 1000 + table.column(b).to_numpy()) * 10000 + y
    return k


def test_directed_cow_dyad_years_match_peacesciencer(store, parity):
    ref = parity["P1"]
    t = dyad_years("cow", years="1816-2025", mry=2025, con=store, echo=None).to_arrow()
    assert t.num_rows == ref["nrow"]
    for col in ("ccode1", "ccode2", "year"):
        assert int(np.sum(t.column(col).to_numpy(), dtype=np.int64)) == ref["column_summary"][col]["sum"]
    keys = _keys(t, "ccode1", "ccode2")
    assert np.all(np.diff(keys) > 0), "rows are sorted by ccode1, ccode2, year and unique"


@pytest.mark.parametrize("system", ["cow", "gw"])
def test_dyads_exist_only_with_a_common_day(store, system):
    """Recompute the day-overlap rule independently from the states layer's spells, year by year."""
    spells = membership_spells(system, con=store)
    first, last = 1816, int(max(spells["end"]).year)
    t = dyad_years(system, directed=True, con=store, echo=None).to_arrow()
    got = set(_keys(t, t.column_names[0], t.column_names[1]).tolist())
    want = set()
    st = np.array([d.toordinal() for d in spells["start"]])
    en = np.array([d.toordinal() for d in spells["end"]])
    code = spells["code"].to_numpy()
    import datetime as dt

    for year in range(first, last + 1):
        lo, hi = dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
        a0, a1 = np.maximum(st, lo), np.minimum(en, hi)
        live = a0 <= a1
        s0, s1, c = a0[live], a1[live], code[live]
        overlap = (np.maximum.outer(s0, s0) <= np.minimum.outer(s1, s1)) & (c[:, None] != c[None, :])
        i, j = np.nonzero(overlap)
        want.update(((c[i].astype(np.int64) * 1000 + c[j]) * 10000 + year).tolist())
    assert got == want
    # the rule matters: some pairs of states are members in the same year without a common day
    yearly = set()
    for year in range(first, last + 1):
        codes = members(system, year=year, con=store)["code"].to_numpy().astype(np.int64)
        yearly.update(((codes[:, None] * 1000 + codes[None, :]) * 10000 + year)[codes[:, None] != codes[None, :]].tolist())
    assert want < yearly


def test_undirected_is_half_of_directed(store):
    d = dyad_years("cow", years="1900-1950", con=store, echo=None).to_arrow()
    u = dyad_years("cow", directed=False, years="1900-1950", con=store, echo=None).to_arrow()
    assert 2 * u.num_rows == d.num_rows
    assert np.all(u.column("ccode1").to_numpy() < u.column("ccode2").to_numpy())


@pytest.mark.parametrize("system", ["cow", "gw"])
def test_state_years_match_members(store, system):
    t = state_years(system, con=store, echo=None).to_pandas()
    col = t.columns[0]
    for year in (1816, 1914, 1940, 1945, 1991, 2011, int(t.year.max())):
        want = set(members(system, year=year, con=store)["code"].astype(int))
        assert set(t.loc[t.year == year, col].astype(int)) == want, year
    assert not t.duplicated([col, "year"]).any()


def test_mry_extends_states_alive_at_the_end(store):
    t = state_years("cow", years="2016-2025", mry=2025, con=store, echo=None).to_pandas()
    per_year = t.groupby("year").size()
    assert per_year.nunique() == 1 and per_year.index.max() == 2025


def test_politically_relevant_keeps_contiguous_or_major(store):
    p = dyad_years("cow", years="1990-2000", politically_relevant=True, con=store, echo=None)
    t = p.add_contiguity().add_majors().to_pandas()
    assert ((t.contiguity.between(1, 5)) | (t.major1 == 1) | (t.major2 == 1)).all()
    full = dyad_years("cow", years="1990-2000", con=store, echo=None).add_contiguity().add_majors().to_pandas()
    relevant = full[(full.contiguity.between(1, 5)) | (full.major1 == 1) | (full.major2 == 1)]
    assert len(t) == len(relevant)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"years": "1816-2025"}, "pass mry=2025"),
        ({"years": "1990-2030", "mry": 2025}, "raise mry to 2030"),
        ({"years": "2000-1990"}, "first year is after the last"),
        ({"years": "1700-1750"}, "outside"),
        ({"mry": 2010}, "before the end"),
        ({"years": "nineteen"}, "FIRST-LAST"),
    ],
)
def test_bad_years_are_clear_errors(store, kwargs, message):
    with pytest.raises(PanelError, match=message):
        dyad_years("cow", con=store, echo=None, **kwargs)


def test_unknown_system(store):
    with pytest.raises(PanelError, match="use 'cow' or 'gw'"):
        state_years("iso3", con=store)

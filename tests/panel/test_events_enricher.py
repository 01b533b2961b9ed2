"""add_events: event-store aggregates joined to dyad-years and state-years, coverage-aware."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from detente.events import aggregate, import_events
from detente.exceptions import PanelError
from detente.panel import dyad_years, state_years

GDELT1 = Path("gdelt_v1_event_sample") / "gdelt1_events_georgia_2011-08.csv"
YEARS = (2010, 2012)  # the sample covers August 2011 only


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory, mirror) -> Path:
    store = tmp_path_factory.mktemp("events")
    assert import_events(mirror / GDELT1, store).events > 0
    return store


def _one(frame, **keys):
    hit = frame
    for k, v in keys.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, keys
    return hit.iloc[0]


def test_dyad_years_equal_the_events_aggregate(store_path, events_dir):
    frame = (dyad_years("cow", years=YEARS, directed=True, store=store_path, echo=None)
             .add_events(store=str(events_dir)).to_pandas())  # fmt: skip
    expected = aggregate(events_dir, by="dyad-year")
    for _, row in expected.head(200).iterrows():
        if not ((frame.ccode1 == row.source) & (frame.ccode2 == row.target) & (frame.year == 2011)).any():
            continue  # a dyad that is not a pair of system members that year
        got = _one(frame, ccode1=row.source, ccode2=row.target, year=2011)
        for col in ("events", "verbal_coop", "material_conflict", "goldstein_sum"):
            assert got[col] == row[col], col
        assert got["goldstein_mean"] == pytest.approx(row["goldstein_mean"], rel=1e-12)
    us_ru = _one(frame, ccode1=2, ccode2=365, year=2011)
    assert us_ru["events"] > 0
    # Inside coverage, a dyad without events has 0 events and no mean; outside, all missing.
    quiet = _one(frame, ccode1=20, ccode2=900, year=2011)
    assert quiet["events"] == 0 and math.isnan(quiet["goldstein_mean"])
    before = _one(frame, ccode1=2, ccode2=365, year=2010)
    assert math.isnan(before["events"])


def test_state_years_received_with_filters(store_path, events_dir):
    frame = (state_years("gw", years=YEARS, store=store_path, echo=None)
             .add_events(store=str(events_dir), role="target", roots=[19], weight="mentions")
             .to_pandas())  # fmt: skip
    expected = aggregate(events_dir, by="state-year", role="target", roots=[19], weight="mentions", system="gw")
    row = expected[expected.target == 372].iloc[0]
    got = _one(frame, gwcode=372, year=2011)
    assert got["events"] == row["events"] > 0
    assert got["material_conflict"] == row["material_conflict"]


def test_store_is_required(store_path, tmp_path):
    with pytest.raises(PanelError, match="store"):
        state_years("cow", years=YEARS, store=store_path, echo=None).add_events()
    with pytest.raises(PanelError, match="no events"):
        state_years("cow", years=YEARS, store=store_path, echo=None).add_events(store=str(tmp_path)).to_pandas()

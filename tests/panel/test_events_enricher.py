"""add_events: event-store aggregates joined to dyad-years and state-years, coverage-aware."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# -- coverage: the days the imported files cover, not the years that happen to hold events ------

SAMPLES = {
    "gdelt1": GDELT1,
    "gdelt2": Path("gdelt_v2_event_sample") / "gdelt2_events_sample_20170701234500.csv",
    "icews": Path("icews_event_sample") / "icews_events_2018-06-01_to_02.csv",
}


def _days_by_hand(mirror: Path, dataset: str) -> set[str]:
    """The days a sample covers, read with the csv module: GDELT rows speak for the day they were
    published (DATEADDED) from April 2013 on, back-file rows and ICEWS rows for their event day."""
    with (mirror / SAMPLES[dataset]).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if dataset == "icews":
        return {r["Event Date"] for r in rows}
    days = set()
    for r in rows:
        added = r["DATEADDED"][:8]
        day = added if added >= "20130401" else r["SQLDATE"]
        days.add(f"{day[:4]}-{day[4:6]}-{day[6:]}")
    return days


@pytest.fixture(scope="module")
def sample_stores(tmp_path_factory, mirror) -> dict[frozenset, Path]:
    """One store per non-empty subset of the three samples (imported on first use)."""
    stores: dict[frozenset, Path] = {}

    def get(subset: frozenset) -> Path:
        if subset not in stores:
            store = tmp_path_factory.mktemp("cov")
            import_events([mirror / SAMPLES[d] for d in sorted(subset)], store)
            stores[subset] = store
        return stores[subset]

    return get


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subset=st.sets(st.sampled_from(sorted(SAMPLES)), min_size=1).map(frozenset),
    keep=st.sets(st.sampled_from(sorted(SAMPLES))),
    first=st.integers(2006, 2018),
    span=st.integers(0, 4),
    dyads=st.booleans(),
    system=st.sampled_from(["cow", "gw"]),
    min_days=st.sampled_from([1, 2, 31]),
)
def test_coverage_is_the_imported_days(
    store_path, mirror, sample_stores, subset, keep, first, span, dyads, system, min_days
):
    store = sample_stores(subset)
    chosen = keep & subset if keep else subset
    days: dict[int, int] = {}
    for day in set().union(*(_days_by_hand(mirror, d) for d in chosen)):
        days[int(day[:4])] = days.get(int(day[:4]), 0) + 1
    covered = {y: n for y, n in days.items() if n >= min_days}
    years = (first, first + span)
    make = dyad_years if dyads else state_years
    base = make(system, years=years, mry=2020, store=store_path, echo=None)
    if not covered or years[1] < min(covered) or years[0] > max(covered):
        with pytest.raises(PanelError, match=r"covered days|entirely outside"):
            base.add_events(store=str(store), datasets=sorted(keep), min_days=min_days)
        return
    frame = base.add_events(store=str(store), datasets=sorted(keep), min_days=min_days).to_pandas()
    inside = frame["year"].isin(list(covered))
    # Outside the covered days every value is missing -- even in years that hold events.
    assert frame.loc[~inside, ["events", "goldstein_sum", "covered_days"]].isna().all().all()
    if not inside.any():
        return
    got = frame[inside]
    assert got["events"].notna().all() and got["goldstein_sum"].notna().all()
    assert (got["covered_days"] == got["year"].map(covered)).all()
    # Inside, the values are the aggregate's, and a unit without events has 0 (and no mean).
    by = "dyad-year" if dyads else "state-year"
    expected = aggregate(store, by=by, system=system, datasets=sorted(keep))
    expected["year"] = expected["period"].astype(int)
    keys = ["ccode1", "ccode2"] if dyads else ["ccode"]
    keys = [k.replace("ccode", "gwcode") for k in keys] if system == "gw" else keys
    sides = ["source", "target"] if dyads else ["source"]
    merged = got.merge(
        expected.rename(columns=dict(zip(sides, keys, strict=True))), on=[*keys, "year"], how="left",
        suffixes=("", "_expected"),
    )  # fmt: skip
    quiet = merged["events_expected"].isna()
    assert (merged.loc[quiet, "events"] == 0).all()
    assert merged.loc[quiet, "goldstein_mean"].isna().all()
    assert (merged.loc[~quiet, "events"] == merged.loc[~quiet, "events_expected"]).all()
    assert (merged.loc[~quiet, "goldstein_sum"] == merged.loc[~quiet, "goldstein_sum_expected"]).all()

"""add_engagements: registry engagements as state-year and dyad-year treatments."""

from __future__ import annotations

import math

import pytest

from detente.exceptions import PanelError
from detente.panel import dyad_years, state_years
from detente.registry import Registry

# Two peacekeeping missions and an exercise, with the quantities the panel must reproduce.
MISSION_A = {
    "id": "pk-a", "type": "peacekeeping", "title": "Mission A", "status": "completed",
    "start": "1996-03-01", "end": "1998-06-30",
    "participants": [
        {"system": "cow", "code": 2, "role": "contributor", "personnel": 100},
        {"system": "cow", "code": 200, "role": "contributor", "personnel": 50},
        {"system": "cow", "code": 346, "role": "host"},
    ],
    "yearly": [{"year": 1996, "personnel": 1000}, {"year": 1997, "personnel": 800},
               {"year": 1998, "personnel": 500}],
}
MISSION_B = {  # coded in G-W: Germany is G-W 260 (CoW 255), Bosnia 346 in both
    "id": "pk-b", "type": "peacekeeping", "title": "Mission B", "status": "ongoing",
    "start": "1997-01-15",
    "participants": [
        {"system": "gw", "code": 260, "role": "contributor", "personnel": 30},
        {"system": "gw", "code": 346, "role": "host"},
    ],
}
EXERCISE = {
    "id": "ex-c", "type": "joint_exercise", "title": "Exercise C", "status": "completed",
    "start": "1996-05-01", "end": "1996-05-20",
    "participants": [{"system": "cow", "code": 2, "role": "contributor"},
                     {"system": "cow", "code": 200, "role": "contributor"}],
}
PLANNED = {
    "id": "pk-d", "type": "peacekeeping", "title": "Never deployed", "status": "cancelled",
    "start": "1999-01-01",
    "participants": [{"system": "cow", "code": 2, "role": "contributor", "personnel": 999}],
}
YEARS = (1990, 2005)


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory, store_path):
    from detente.registry.codes import load_codes

    url = f"sqlite:///{tmp_path_factory.mktemp('enricher') / 'registry.sqlite'}"
    reg = Registry(url, known_code=load_codes(store_path))
    for rec in (MISSION_A, MISSION_B, EXERCISE, PLANNED):
        reg.add(rec)
    reg.close()
    return url


def _row(frame, code_col, code, year):
    hit = frame[(frame[code_col] == code) & (frame["year"] == year)]
    assert len(hit) == 1, (code, year)
    return hit.iloc[0]


def test_state_years_of_contributors(registry_url, store_path):
    frame = (state_years("cow", years=YEARS, store=store_path, echo=None)
             .add_engagements(type="peacekeeping", role="contributor", registry=registry_url)
             .to_pandas())
    for year in (1996, 1997, 1998):
        us = _row(frame, "ccode", 2, year)
        assert us["engagements"] == 1
        assert us["engagement_personnel"] == 100  # its own number: it shares the role
        assert us["engagement_first_year"] == 1996
        assert us["engagement_years_since"] == 0
    assert _row(frame, "ccode", 2, 1996)["engagements_started"] == 1
    assert _row(frame, "ccode", 2, 1997)["engagements_started"] == 0
    after = _row(frame, "ccode", 2, 2000)
    assert after["engagements"] == 0 and after["engagement_years_since"] == 2  # the cancelled one is not counted
    # the G-W coded contributor arrives as united Germany (CoW 255) and stays to the last year
    assert all(_row(frame, "ccode", 255, y)["engagements"] == 1 for y in range(1997, 2006))
    assert _row(frame, "ccode", 255, 1996)["engagements"] == 0 or math.isnan(
        _row(frame, "ccode", 255, 1996)["engagements"])
    never = _row(frame, "ccode", 20, 2000)  # Canada: inside coverage, no engagement
    assert never["engagements"] == 0 and never["engagement_personnel"] == 0
    assert math.isnan(never["engagement_first_year"])


def test_host_personnel_comes_from_yearly_levels(registry_url, store_path):
    frame = (state_years("cow", years=YEARS, store=store_path, echo=None)
             .add_engagements(type="peacekeeping", role="host", registry=registry_url)
             .to_pandas())
    levels = {y["year"]: y["personnel"] for y in MISSION_A["yearly"]}
    assert _row(frame, "ccode", 346, 1996)["engagements"] == 1
    assert _row(frame, "ccode", 346, 1997)["engagements"] == 2
    for year in (1996, 1997, 1998):
        assert _row(frame, "ccode", 346, year)["engagement_personnel"] == levels[year]
    assert _row(frame, "ccode", 2, 1997)["engagements"] == 0  # contributors are not hosts


def test_years_before_the_registry_are_missing_not_zero(registry_url, store_path):
    frame = (state_years("cow", years=YEARS, store=store_path, echo=None)
             .add_engagements(registry=registry_url).to_pandas())
    early = frame[frame["year"] < 1996]
    assert len(early) > 0 and early["engagements"].isna().all()
    assert (frame.loc[frame["year"] >= 1996, "engagements"].notna()).all()


def test_dyad_years_count_joint_engagements(registry_url, store_path):
    pk = (dyad_years("cow", years=YEARS, store=store_path, echo=None)
          .add_engagements(type="peacekeeping", registry=registry_url).to_pandas())
    ex = (dyad_years("cow", years=YEARS, store=store_path, echo=None)
          .add_engagements(type="joint_exercise", registry=registry_url).to_pandas())
    both = pk[(pk["ccode1"] == 2) & (pk["ccode2"] == 200)].set_index("year")
    assert both.loc[1996:1998, "engagements"].tolist() == [1, 1, 1]
    assert both.loc[1999, "engagements"] == 0 and both.loc[1999, "engagement_years_since"] == 1
    assert both.loc[1996, "engagement_personnel"] == 100  # the first state's own personnel
    reverse = pk[(pk["ccode1"] == 200) & (pk["ccode2"] == 2)].set_index("year")
    assert reverse.loc[1997, "engagement_personnel"] == 50
    pair = ex[(ex["ccode1"] == 2) & (ex["ccode2"] == 200)].set_index("year")
    assert pair.loc[1996, "engagements"] == 1 and pair.loc[1996, "engagements_started"] == 1
    # the registry's exercises span 1996 only: later years are outside coverage, not zero
    assert math.isnan(pair.loc[1997, "engagements"])


def test_bad_options_are_refused(registry_url, store_path):
    panel = state_years("cow", years=YEARS, store=store_path, echo=None)
    with pytest.raises(PanelError, match="unknown engagement type"):
        panel.add_engagements(type="parade", registry=registry_url)
    with pytest.raises(PanelError, match="unknown role"):
        panel.add_engagements(role="observer", registry=registry_url)

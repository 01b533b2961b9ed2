"""Dated membership, checked against the raw spell files read with the csv module."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from detente.exceptions import StatesError
from detente.states import members, membership_spells

RAW = {
    "cow": ("cow_state_system/cw_system_isard.csv", "ccode"),
    "gw": ("gw_state_system/gw_system_isard.csv", "gwcode"),
}


def raw_members(mirror: Path, system: str, first: date, last: date) -> set[int]:
    """Codes with a spell overlapping [first, last], straight from the mirror file."""
    path, col = RAW[system]
    with (mirror / path).open(newline="", encoding="utf-8") as fh:
        return {
            int(r[col])
            for r in csv.DictReader(fh)
            if date.fromisoformat(r["start"]) <= last and date.fromisoformat(r["end"]) >= first
        }


@pytest.mark.parametrize("system", ["cow", "gw"])
@pytest.mark.parametrize("year", [1816, 1900, 1946, 1990, 2016])
def test_year_members_match_raw_spells(store, mirror, system, year):
    got = members(system, year=year, con=store)
    expected = raw_members(mirror, system, date(year, 1, 1), date(year, 12, 31))
    assert len(got) == len(expected)
    assert set(got["code"]) == expected
    assert got["code"].is_unique


def test_cow_v2016_raw_file_agrees_with_isard_copy(store, mirror):
    # the CoW original (day/month/year columns) and isard's dated copy describe the same spells
    with (mirror / "cow_state_system/cow_states_v2016.csv").open(newline="") as fh:
        orig = {
            (int(r["ccode"]), date(int(r["styear"]), int(r["stmonth"]), int(r["stday"])))
            for r in csv.DictReader(fh)
        }
    spells = membership_spells("cow", store)
    assert set(zip(spells["code"], spells["start"], strict=True)) == orig


@pytest.mark.parametrize("system", ["cow", "gw"])
def test_south_sudan_enters_on_its_independence_day(store, system):
    before = members(system, on=date(2011, 7, 8), con=store)
    after = members(system, on=date(2011, 7, 9), con=store)
    assert 626 not in set(before["code"])
    assert 626 in set(after["code"])
    assert 625 in set(before["code"]) and 625 in set(after["code"])
    assert set(after["code"]) - set(before["code"]) == {626}


def test_german_unification_by_day(store):
    eve = set(members("cow", on=date(1990, 10, 2), con=store)["code"])
    day = set(members("cow", on=date(1990, 10, 3), con=store)["code"])
    assert {260, 265} <= eve and 255 not in eve
    assert 255 in day and not ({260, 265} & day)
    # in the year both the two German states and united Germany are members
    assert {255, 260, 265} <= set(members("cow", year=1990, con=store)["code"])
    gw_day = set(members("gw", on=date(1990, 10, 3), con=store)["code"])
    assert 260 in gw_day and 265 not in gw_day


def test_spells_have_day_precision_and_order(store):
    for system in ("cow", "gw"):
        spells = membership_spells(system, store)
        assert list(spells.columns) == ["code", "abbrev", "name", "start", "end"]
        assert (spells["start"] <= spells["end"]).all()
        assert all(isinstance(d, date) for d in spells["start"])


def test_bad_requests_fail_clearly(store):
    with pytest.raises(StatesError, match="exactly one"):
        members("cow", con=store)
    with pytest.raises(StatesError, match="exactly one"):
        members("cow", year=1990, on=date(1990, 1, 1), con=store)
    with pytest.raises(StatesError, match="unknown state system"):
        members("iso", year=1990, con=store)
    with pytest.raises(StatesError, match="outside"):
        members("cow", year=2030, con=store)

"""Name, ISO3 and CAMEO resolution: exact matching, dates, and coverage of the mirror's files."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from detente.exceptions import StatesError
from detente.states import code_table, resolve_cameo, resolve_iso3, resolve_names
from detente.states._aliases import SCHEMES, alias_windows, resolve

from ._mirror_values import SPEC, values

FALSE_FRIENDS = [  # (value, the state it must NOT become, what it must be instead or None)
    ("Guinea-Bissau", 438, 404),
    ("Equatorial Guinea", 438, 411),
    ("Papua New Guinea", 438, 910),
    ("Niger", 475, 436),
    ("Nigeria", 436, 475),
    ("Dominica", 42, 54),
    ("Dominican Republic", 54, 42),
    ("Sudan", 626, 625),
    ("South Sudan", 625, 626),
    ("Atlanta, Georgia", 372, None),
    ("Georgia Tech", 372, None),
    ("New Mexico", 70, None),
    ("Congo River", 484, None),
    ("Jersey City", 200, None),
    ("Republic of Ireland Act", 205, None),
]


@pytest.mark.parametrize(("value", "wrong", "right"), FALSE_FRIENDS)
def test_no_match_inside_words(value, wrong, right):
    res = resolve_names([value], years=[2015])
    got = res.codes.iloc[0]
    assert got is not wrong
    if right is None:
        assert res.codes.isna().all()
        assert res.unmatched["value"].tolist() == [value]
    else:
        assert got == right


def test_names_that_changed_meaning_follow_the_year():
    names = ["Germany", "Germany", "Germany", "Yemen", "Yemen", "Serbia", "Serbia", "Korea", "Vietnam"]
    years = [1930, 1970, 1995, 1980, 1995, 1995, 2010, 2000, 2000]
    assert resolve_names(names, years=years).codes.tolist() == [255, 260, 255, 678, 679, 345, 345, 732, 816]
    gw = resolve_names(names, years=years, system="gw").codes.tolist()
    assert gw == [255, 260, 260, 678, 678, 345, 340, 732, 816]
    # the day decides inside a year
    from datetime import date

    assert resolve_names(["Germany", "Germany"], years=[date(1990, 10, 2), date(1990, 10, 3)]).codes.tolist() == [
        260, 255]


def test_date_dependent_names_without_years_are_unmatched_not_guessed():
    res = resolve_names(["Germany", "France", "Kosovo"])
    assert res.codes.tolist()[1] == 220
    assert res.codes.iloc[[0, 2]].isna().all()
    assert set(res.unmatched["value"]) == {"Germany", "Kosovo"}


def test_kosovo_and_south_sudan_before_statehood_are_declared_non_states():
    res = resolve_names(["Kosovo", "Kosovo", "South Sudan", "South Sudan"], years=[2000, 2010, 2010, 2012])
    assert res.codes.tolist()[1::2] == [347, 626]
    assert res.unmatched.empty
    assert res.excluded["value"].tolist() == ["Kosovo", "South Sudan"]


def test_codes_normalised_and_iso_cameo_dated():
    res = resolve_iso3([" kWT", "DEU", "DEU", "YEM", "ROM", "XYZ"], years=[2000, 1980, 2000, 1980, 2000, 2000],
                       file="f.csv", rows=[10, 11, 12, 13, 14, 15])
    assert res.codes.tolist()[:5] == [690, 260, 255, 678, 360]
    assert res.unmatched[["value", "file", "row"]].values.tolist() == [["XYZ", "f.csv", 15]]
    cam = resolve_cameo(["USA", "EUR", "AFR"], years=2011)
    assert cam.codes.tolist()[0] == 2 and cam.codes.iloc[1:].isna().all()
    assert len(cam.excluded) == 2 and cam.unmatched.empty


def test_gw_only_states_are_excluded_in_cow():
    res = resolve_names(["Abkhazia", "Tibet"], years=[2010, 1930])
    assert res.codes.isna().all() and res.unmatched.empty
    assert resolve_names(["Abkhazia", "Tibet"], years=[2010, 1930], system="gw").codes.tolist() == [396, 711]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_alias_tables_load_without_overlaps_and_codes_exist(store, scheme):
    known = {
        "cow": {r[0] for r in store.execute("select ccode from cow_state_system.cw_system_isard").fetchall()},
        "gw": {r[0] for r in store.execute("select gwcode from gw_state_system.gw_system_isard").fetchall()},
    }
    assert alias_windows(scheme)
    for system in ("cow", "gw"):
        table = code_table(scheme, system)
        assert list(table.columns) == ["code", "key", "state", "start", "end"]
        assert set(table["state"]) <= known[system], set(table["state"]) - known[system]
        assert (table["start"] <= table["end"]).all()


@pytest.mark.parametrize("spec", SPEC, ids=lambda s: f"{s.folder}/{s.file}:{s.columns[0]}")
def test_every_value_in_the_mirror_resolves_or_is_declared(mirror: Path, spec):
    found = list(values(mirror, spec))
    assert found, "the column yielded no values: the spec is out of date"
    vals, years, lines = zip(*found, strict=True)
    schemes = ("iso3", "names") if spec.scheme == "mixed" else (spec.scheme,)
    for system in ("cow", "gw"):
        gaps = None
        for scheme in schemes:
            res = resolve(vals, scheme=scheme, system=system, years=years, file=spec.file, rows=lines)
            pos = set(res.unmatched["position"])
            gaps = pos if gaps is None else gaps & pos
        missing = Counter(vals[p] for p in sorted(gaps))
        assert not missing, f"{spec.file} ({system}): unmatched {dict(missing)}"


def _pairs(mirror: Path, path: str, name: str, code: str, year: str):
    with (mirror / path).open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r[code].strip() and r[name].strip():
                yield r[name], int(float(r[code])), int(float(r[year]))


# where a source's own code disagrees with the name's dated meaning, on purpose (see docs/states.md)
SOURCE_DISAGREES = {
    ("West Germany", 260),  # troopdata codes 1950-54 West Germany 260 too, CoW admits 260 from 1955: same
    ("Germany", 255),  # troopdata (rebuild) and SIPRI use 255 for West Germany before 1990
    ("Yemen", 679),  # troopdata (rebuild) codes Yemen 679 before 1990 (North Yemen is 678)
    ("Vietnam", 817),
    ("Serbia", 340),  # MME codes one pre-2006 Serbia row with G-W 340 (G-W has 345 until 2006-06-04)  # troopdata 1950-53 (State of Vietnam) and MME (modern Vietnam) use 817
}


@pytest.mark.parametrize(
    ("path", "name", "code", "year", "system"),
    [
        ("us_troop_deployments/troopdata_legacy_country_year.csv", "countryname", "ccode", "year", "cow"),
        ("sipri_arms_transfers_dyad_year/sipri_tiv_directed_dyad_year.csv", "receiver", "ccode2", "year", "cow"),
        ("major_power_support_signals/individual_signals_country_year.csv", "country", "ccode", "year", "cow"),
        ("multinational_military_exercises_mme/mme_v7_exercise_country_year.csv", "country", "gwcode", "year", "gw"),
    ],
)
def test_names_agree_with_the_sources_own_codes(mirror, path, name, code, year, system):
    spells = {"cow": ("cow_state_system/cw_system_isard.csv", "ccode"),
              "gw": ("gw_state_system/gw_system_isard.csv", "gwcode")}[system]
    with (mirror / spells[0]).open(newline="") as fh:
        known = {int(r[spells[1]]) for r in csv.DictReader(fh)}
    # sources give their own codes (> 1000) to territories; only codes of the state system are compared
    rows = [r for r in _pairs(mirror, path, name, code, year) if r[1] in known]
    assert len(rows) > 1000
    names, codes, years = zip(*rows, strict=True)
    res = resolve_names(names, years=years, system=system)
    bad = Counter(
        (n, c, int(g))
        for n, c, g in zip(names, codes, res.codes, strict=True)
        if not pd.isna(g) and g != c and (n, c) not in SOURCE_DISAGREES
    )
    assert not bad, dict(bad)


def test_unknown_scheme_and_length_errors():
    with pytest.raises(StatesError, match="unknown alias scheme"):
        code_table("fips", "cow")
    with pytest.raises(StatesError, match="differ in length"):
        resolve_names(["France"], years=[2000, 2001])

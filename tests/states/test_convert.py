"""CoW <-> G-W conversion by year."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from detente.exceptions import StatesError
from detente.states import convert

CASES = [  # (cow, gw, year): the documented differences and a plain case
    (255, 260, 1995),  # united Germany
    (260, 260, 1980),  # West Germany
    (255, 255, 1900),  # Germany (Prussia)
    (679, 678, 2000),  # unified Yemen
    (678, 678, 1980),  # Yemen Arab Republic
    (345, 340, 2010),  # Serbia after 2006
    (345, 345, 1995),  # Yugoslavia
    (946, 970, 2010),  # Kiribati
    (970, 971, 2010),  # Nauru
    (2, 2, 1900),
]


@pytest.mark.parametrize(("cow", "gw", "year"), CASES)
def test_known_pairs_both_ways(store, cow, gw, year):
    assert convert([cow], [year], source="cow", target="gw", con=store).iloc[0] == gw
    assert convert([gw], [year], source="gw", target="cow", con=store).iloc[0] == cow


def test_unmatched_is_missing_not_guessed(store):
    out = convert([260, 2, 396, None], [1950, 1700, 2010, 2000], source="gw", target="cow", con=store)
    # West Germany before CoW admits it (1955), a year before the data, Abkhazia (G-W only), a missing input
    assert out.isna().all()
    assert str(out.dtype) == "Int64"


def test_vectorised_and_aligned(store):
    codes = pd.Series([255, 679, 345], index=["a", "b", "c"])
    out = convert(codes, 2010, source="cow", target="gw", con=store)
    assert list(out.index) == ["a", "b", "c"]
    assert out.tolist() == [260, 678, 340]


def test_agrees_with_raw_panel(store, mirror):
    # every (ccode, year) row of the raw CoW-universe panel converts to its gwcode
    with (mirror / "cow_gw_crosswalk/cw_gw_panel.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["ccode"]]
    got = convert([int(r["ccode"]) for r in rows], [int(r["year"]) for r in rows],
                  source="cow", target="gw", con=store)
    want = pd.array([int(r["gwcode"]) if r["gwcode"] else None for r in rows], dtype="Int64")
    assert (got.fillna(-1).to_numpy() == pd.Series(want).fillna(-1).to_numpy()).all()


def test_bad_input(store):
    with pytest.raises(StatesError, match="differ in length"):
        convert([2, 20], [2000], source="cow", target="gw", con=store)
    with pytest.raises(StatesError, match="same system"):
        convert([2], [2000], source="gw", target="gw", con=store)

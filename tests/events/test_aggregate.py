"""Aggregation, checked against counts computed by hand from the mirror files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.events import aggregate
from detente.exceptions import EventsError
from detente.states import code_table

from .conftest import GDELT1, ICEWS

COLUMNS = ["source", "target", "period", "events", "verbal_coop", "material_coop",
           "verbal_conflict", "material_conflict", "goldstein_mean", "goldstein_sum", "coop_share"]  # fmt: skip


def _gdelt1(mirror: Path) -> pd.DataFrame:
    return pd.read_csv(mirror / GDELT1, dtype=str, keep_default_na=False)


def _expected(frame: pd.DataFrame, quad: str, gold: str, weight: str | None = None) -> dict:
    w = frame[weight].astype(int) if weight else pd.Series(1, index=frame.index)
    q = frame[quad].astype(int)
    g = frame[gold].astype(float)
    n = int(w.sum())
    out = {"events": n}
    for k, name in enumerate(COLUMNS[4:8], start=1):
        out[name] = int(w[q == k].sum())
    out["goldstein_sum"] = float((g * w).sum())
    out["goldstein_mean"] = out["goldstein_sum"] / n
    out["coop_share"] = (out["verbal_coop"] + out["material_coop"]) / n
    return out


def _row(result: pd.DataFrame, **keys) -> dict:
    mask = np.ones(len(result), dtype=bool)
    for k, v in keys.items():
        mask &= result[k] == v
    [row] = result[mask].to_dict("records")
    return row


def _close(got: dict, expected: dict) -> None:
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-12), k


def test_columns_and_order(event_store: Path) -> None:
    result = aggregate(event_store)
    assert list(result.columns) == COLUMNS
    keys = result[["source", "target", "period"]]
    assert keys.equals(keys.sort_values(["source", "target", "period"]).reset_index(drop=True))
    assert result["events"].sum() == (
        result[["verbal_coop", "material_coop", "verbal_conflict", "material_conflict"]].sum().sum()
    )


def test_gdelt1_dyad_month_by_hand(event_store: Path, mirror: Path) -> None:
    raw = _gdelt1(mirror)
    result = aggregate(event_store, by="dyad-month")
    for a, b, ca, cb in (("USA", "RUS", 2, 365), ("RUS", "GEO", 365, 372), ("GEO", "RUS", 372, 365)):
        sel = raw[(raw.Actor1CountryCode == a) & (raw.Actor2CountryCode == b)]
        assert len(sel) > 0
        _close(_row(result, source=ca, target=cb, period="2011-08"), _expected(sel, "QuadClass", "GoldsteinScale"))


def test_icews_dyad_year_weighted_and_filtered_by_hand(event_store: Path, mirror: Path) -> None:
    raw = pd.read_csv(mirror / ICEWS, dtype=str, keep_default_na=False)
    raw["root"] = raw["CAMEO Code"].str[:2].astype(int)
    raw["quad"] = np.select([raw.root <= 5, raw.root <= 8, raw.root <= 13], [1, 2, 3], 4)
    result = aggregate(event_store, by="dyad-year", weight="mentions", start="2018-01-01")
    sel = raw[(raw["Source Country"] == "North Korea") & (raw["Target Country"] == "United States")]
    _close(_row(result, source=731, target=2, period="2018"), _expected(sel, "quad", "Intensity"))
    # Military to military, consultations only (root 04).
    mil = aggregate(event_store, by="dyad-year", source_types=["military"], target_types=["military"], roots=[4])
    assert len(mil) > 0
    # The documented rule: a sector list naming a military body or the defence ministry.
    words = "Military|Army|Navy|Air Force|Marines|Defense / Security Ministry"
    is_mil = raw["Source Sectors"].str.contains(words) & raw["Target Sectors"].str.contains(words)
    has_states = raw["Source Country"].ne("") & raw["Target Country"].ne("")
    expected = int((is_mil & has_states & (raw.root == 4)).sum())
    assert mil.loc[mil.period == "2018", "events"].sum() == expected


def test_mentions_weighting_by_hand(event_store: Path, mirror: Path) -> None:
    raw = _gdelt1(mirror)
    sel = raw[(raw.Actor1CountryCode == "USA") & (raw.Actor2CountryCode == "RUS")]
    result = aggregate(event_store, by="dyad-month", weight="mentions", countries=[2])
    got = _row(result, source=2, target=365, period="2011-08")
    _close(got, _expected(sel, "QuadClass", "GoldsteinScale", weight="NumMentions"))
    assert set(result["source"]).union(result["target"]) >= {2}
    assert ((result["source"] == 2) | (result["target"] == 2)).all()


def test_cameo_keys_keep_international_actors(event_store: Path, mirror: Path) -> None:
    raw = _gdelt1(mirror)
    result = aggregate(event_store, keys="cameo", by="dyad-month", end="2011-12-31")
    assert {"EUR", "WST", "UNO"} <= set(result["source"])
    actor1 = raw.Actor1CountryCode.where(raw.Actor1CountryCode != "", raw.Actor1KnownGroupCode)
    actor2 = raw.Actor2CountryCode.where(raw.Actor2CountryCode != "", raw.Actor2KnownGroupCode)
    sel = raw[(actor1 == "EUR") & (actor2 == "FRA")]
    _close(_row(result, source="EUR", target="FRA", period="2011-08"), _expected(sel, "QuadClass", "GoldsteinScale"))


def test_state_month_by_role_and_gw_codes(event_store: Path, mirror: Path) -> None:
    raw = _gdelt1(mirror)
    gw = code_table("cameo", "gw")
    de = set(gw.loc[gw.key == "DEU", "state"])
    assert 260 in de
    sent = aggregate(event_store, by="state-month", system="gw", measures=["count"])
    assert list(sent.columns) == ["source", "period", "events"]
    assert _row(sent, source=372, period="2011-08")["events"] == int((raw.Actor1CountryCode == "GEO").sum())
    received = aggregate(event_store, by="state-year", role="target", measures=["count", "coop_share"])
    assert list(received.columns) == ["target", "period", "events", "coop_share"]
    assert _row(received, target=372, period="2011")["events"] == int((raw.Actor2CountryCode == "GEO").sum())


def test_date_range_prunes_periods(event_store: Path) -> None:
    result = aggregate(event_store, by="dyad-month", start="2018-06-02", end="2018-06-02")
    assert set(result["period"]) == {"2018-06"}
    every = aggregate(event_store, by="dyad-month", start="2018-06-01", end="2018-06-30")
    assert result["events"].sum() < every["events"].sum()


def test_output_files(event_store: Path, tmp_path: Path) -> None:
    a = aggregate(event_store, by="dyad-year", output=tmp_path / "r.csv")
    b = pd.read_csv(tmp_path / "r.csv", dtype={"period": str})
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    aggregate(event_store, by="dyad-year", output=tmp_path / "r.parquet")
    pd.testing.assert_frame_equal(a, pd.read_parquet(tmp_path / "r.parquet"))
    with pytest.raises(EventsError, match=r"\.csv or \.parquet"):
        aggregate(event_store, output=tmp_path / "r.xlsx")


@pytest.mark.parametrize(
    "kwargs",
    [{"by": "dyad-week"}, {"measures": ["tone"]}, {"keys": "iso"}, {"roots": [21]},
     {"start": "2018-02-30"}, {"engine": "polars"}, {"countries": ["USA"]}],
)  # fmt: skip
def test_bad_requests(event_store: Path, kwargs: dict) -> None:
    with pytest.raises(EventsError):
        aggregate(event_store, **kwargs)


def test_empty_store_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EventsError, match="not an event store"):
        aggregate(tmp_path)

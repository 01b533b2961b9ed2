"""M4 communication: UN ideal-point distances against the raw file, the stacked DiD and its
matched controls, event-data levels and before/after against the raw GDELT rows, warnings."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.exceptions import DetenteError
from detente.metrics import Scope, get_measure
from detente.metrics.communication import (
    EVENT_SOURCES,
    MIN_DAYS,
    MIN_TREATED,
    communication,
    engagement_dyads,
    event_coverage,
    event_store,
    ideal_point_did,
)
from detente.metrics.scope import region_of


@pytest.fixture(scope="module")
def visits_url(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> str:
    """A SQLite registry with the US defence official visits and the classic cases (import-public)."""
    from detente.registry import Registry, import_public

    url = f"sqlite:///{tmp_path_factory.mktemp('reg') / 'visits.sqlite'}"
    reg = Registry(url)
    import_public(reg, store=store_path, only=["us_defense_official_visits", "detente_cases"])
    reg.close()
    return url


@pytest.fixture(scope="module")
def user_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A user's own record: staff talks between the United States and Russia from 16 August 2011,
    inside the month the GDELT 1.0 sample covers."""
    from detente.registry import Registry

    url = f"sqlite:///{tmp_path_factory.mktemp('reg') / 'user.sqlite'}"
    reg = Registry(url)
    reg.add({"id": "talks-2011", "type": "official_visit", "title": "Staff talks", "status": "completed",
             "start": "2011-08-16", "end": "2011-08-17",
             "participants": [{"system": "cow", "code": 2, "role": "contributor"},
                              {"system": "cow", "code": 365, "role": "partner"}]})
    reg.close()
    return url


@pytest.fixture(scope="module")
def visits_result(store_path: Path, visits_url: str):
    import pyfixest  # noqa: F401 - loaded first so the timing below is the measure's own
    import scipy.stats  # noqa: F401

    event_store(store_path)  # built once per store; the timing below is the measure's own
    began = time.perf_counter()
    result = communication(Scope(type="official_visit"), store=store_path, registry=visits_url)
    return result, time.perf_counter() - began


@pytest.fixture(scope="module")
def raw_ideal(mirror: Path) -> pd.DataFrame:
    raw = pd.read_csv(mirror / "unga_ideal_points" / "unga_ideal_points_jul2025.csv")
    wide = raw.pivot(index="year", columns="ccode", values="idealpointfp")
    return wide.reindex(range(wide.index.min(), wide.index.max() + 1))  # 1964 had no votes


@pytest.fixture(scope="module")
def raw_gdelt1(mirror: Path) -> pd.DataFrame:
    return pd.read_csv(mirror / "gdelt_v1_event_sample" / "gdelt1_events_georgia_2011-08.csv", low_memory=False)


def test_dyads_are_first_engagements_of_contributor_and_partner(store_path, visits_url):
    from detente.registry import open_registry, participants_frame

    dyads = engagement_dyads(Scope(type="official_visit"), visits_url, store_path)
    reg = open_registry(visits_url, check_codes=False)
    parts = participants_frame(reg, "official_visit")
    reg.close()
    c = parts[parts.role == "contributor"][["engagement_id", "code", "start"]]
    p = parts[parts.role.isin(["host", "partner"])][["engagement_id", "code"]]
    pairs = c.merge(p, on="engagement_id", suffixes=("_c", "_p"))
    first = pairs.groupby(["code_c", "code_p"])["start"].min()
    assert len(dyads) == len(first) > 50
    got = dyads.set_index(["contributor", "partner"])["start"]
    for key in first.index[:: max(1, len(first) // 40)]:
        assert got[key] == first[key].date()
    narrowed = engagement_dyads(Scope(type="official_visit", region="asia"), visits_url, store_path)
    assert len(narrowed) and narrowed["partner"].map(region_of).eq("asia").all()


def test_before_after_distances_match_the_raw_file(visits_result, raw_ideal):
    result, _ = visits_result
    per = result.details["ideal_point_per_dyad"]
    assert len(per) > 40
    for r in per.iloc[:: max(1, len(per) // 25)].itertuples():
        d = (raw_ideal[r.contributor] - raw_ideal[r.partner]).abs()
        assert r.before == pytest.approx(d.loc[r.year - 5: r.year - 1].mean(), rel=1e-6)
        assert r.after == pytest.approx(d.loc[r.year + 1: r.year + 5].mean(), rel=1e-6)
        controls = [int(x) for x in r.controls.split(",")]
        cchange = np.mean([(raw_ideal[r.contributor] - raw_ideal[q]).abs().loc[r.year + 1: r.year + 5].mean()
                           - (raw_ideal[r.contributor] - raw_ideal[q]).abs().loc[r.year - 5: r.year - 1].mean()
                           for q in controls])
        assert r.control_change == pytest.approx(cchange, rel=1e-6, abs=1e-9)


def test_controls_are_untreated_complete_and_nearest(visits_result, raw_ideal, store_path, visits_url):
    result, _ = visits_result
    per = result.details["ideal_point_per_dyad"]
    every = engagement_dyads(Scope(type="official_visit"), visits_url, store_path)
    engaged = {(min(a, b), max(a, b)) for a, b in zip(every.contributor, every.partner, strict=True)}
    for r in per.iloc[:: max(1, len(per) // 15)].itertuples():
        c, p, t = r.contributor, r.partner, r.year
        window = raw_ideal.loc[t - 5: t + 5]
        dist = (window.sub(window[c], axis=0)).abs()
        complete = [q for q in dist.columns if dist[q].notna().all() and q not in (c, p)
                    and (min(c, q), max(c, q)) not in engaged]
        same = [q for q in complete if region_of(q) == region_of(p)]
        pool = same if len(same) >= 3 else complete
        gap = (dist[pool].iloc[:5].mean() - dist[p].iloc[:5].mean()).abs().sort_values(kind="stable")
        chosen = [int(x) for x in r.controls.split(",")]
        assert set(chosen) <= set(pool)
        assert max(gap[chosen]) <= gap.iloc[3 - 1] + 1e-12  # none closer was passed over


def test_stacked_did_equals_mean_dyad_difference_and_is_clustered(visits_result):
    result, _ = visits_result
    est = result.tidy().set_index("quantity")
    did = est.loc["effect on ideal-point distance (DiD, years +1..+5 vs -5..-1)"]
    per = result.details["ideal_point_per_dyad"]
    # balanced stacks of equal size: the two-way FE estimate is the mean of the stack differences
    assert did["estimate"] == pytest.approx(per["difference"].mean(), rel=1e-8)
    assert "cluster" in did["se_type"] and did["std_error"] > 0
    assert did["conf_low"] < did["estimate"] < did["conf_high"]
    pre = result.diagnostics["pre-trend test"]
    assert pre["leads"] == ["rel_m5", "rel_m4", "rel_m3", "rel_m2"] and 0 <= pre["p_value"] <= 1
    assert result.causal == (pre["p_value"] >= 0.05 and len(per) >= MIN_TREATED)
    assert ("causal under parallel trends" in result.headline) == result.causal
    assert ("descriptive" in result.headline) != result.causal


def test_event_levels_and_sample_warning(visits_result, mirror):
    result, seconds = visits_result
    assert seconds < 10
    cov = result.details["event_coverage"].set_index("dataset")
    assert cov.loc["gdelt1", "days"] == 31 and cov.loc["icews", "days"] == 2
    assert any("cannot support a before/after" in w for w in result.warnings)
    assert result.diagnostics["dyads with event data before and after"] == 0
    levels = result.details["event_levels"]
    ice = pd.read_csv(mirror / "icews_event_sample" / "icews_events_2018-06-01_to_02.csv",
                      dtype={"CAMEO Code": str})
    src, tgt = ice["Source Country"], ice["Target Country"]
    us_cn = ice[((src == "United States") & (tgt == "China")) | ((src == "China") & (tgt == "United States"))]
    row = levels[(levels.dataset == "icews") & (levels.subset == "all actors") & (levels.a == 2) & (levels.b == 710)]
    assert int(row["events"].iloc[0]) == len(us_cn) > 0
    assert float(row["goldstein_mean"].iloc[0]) == pytest.approx(us_cn["Intensity"].mean())
    assert float(row["coop_share"].iloc[0]) == pytest.approx(
        us_cn["CAMEO Code"].str[:2].astype(int).le(8).mean())  # roots 01-08 are cooperation
    assert set(EVENT_SOURCES) | {"unga_ideal_points"} <= set(result.sources)
    assert result.figure is not None and len(result.figure.axes) == 2
    assert result.figure_png()[:4] == b"\x89PNG"


def test_before_after_where_one_dataset_covers_both_sides(store_path, user_url, raw_gdelt1):
    result = get_measure("M4")(Scope(engagement="talks-2011"), store=store_path, registry=user_url)
    assert not result.causal and "descriptive" in result.headline
    assert not any("cannot support" in w for w in result.warnings)
    change = result.details["event_change"]
    allc = change[change.subset == "all actors"].set_index("side")
    a, b = raw_gdelt1["Actor1CountryCode"], raw_gdelt1["Actor2CountryCode"]
    pair = raw_gdelt1[((a == "USA") & (b == "RUS")) | ((a == "RUS") & (b == "USA"))]
    before, after = pair[pair.SQLDATE < 20110816], pair[pair.SQLDATE >= 20110816]
    assert allc.loc["before", "days"] == 15 >= MIN_DAYS and allc.loc["after", "days"] == 16
    assert allc.loc["before", "per_day"] == pytest.approx(len(before) / 15)
    assert allc.loc["after", "per_day"] == pytest.approx(len(after) / 16)
    assert allc.loc["after", "goldstein_mean"] == pytest.approx(after["GoldsteinScale"].mean())
    assert allc.loc["before", "coop_share"] == pytest.approx(before["QuadClass"].isin([1, 2]).mean())
    est = result.tidy().set_index("quantity")
    assert est.loc["change in events per covered day, all actors", "estimate"] == pytest.approx(
        len(after) / 16 - len(before) / 15)
    assert not any(q.startswith("effect on") for q in est.index)  # one engagement: no DiD


def test_single_case_and_bad_scope(store_path, visits_url):
    kfor = communication(Scope(engagement="case-kosovo-kfor"), store=store_path, registry=visits_url)
    assert not kfor.causal
    # Kosovo casts no UN votes: its dyads are left out and said so, never filled with 0
    excl = kfor.details["ideal_point_excluded"]
    assert (excl["partner"] == 347).any() and any("left out" in w for w in kfor.warnings)
    with pytest.raises(DetenteError, match="not in the registry"):
        communication(Scope(engagement="no-such-engagement"), store=store_path, registry=visits_url)


def test_event_cache_is_built_once(store_path):
    first = event_store(store_path)
    stamp = sorted(p.stat().st_mtime_ns for p in first.rglob("*.parquet"))
    again = event_store(store_path)
    assert again == first and sorted(p.stat().st_mtime_ns for p in again.rglob("*.parquet")) == stamp
    assert not event_coverage(first).empty


def test_no_complete_window_is_reported_not_imputed(raw_ideal):
    ideal = raw_ideal.sort_index()
    dyads = pd.DataFrame({"contributor": [2, 2], "partner": [365, 365], "engagement_id": ["a", "b"],
                          "year": [2022, 1948]})
    out = ideal_point_did(dyads, ideal, estimate=False)
    assert out["per_dyad"].empty and len(out["excluded"]) == 2
    assert out["excluded"]["reason"].str.contains("outside UN voting coverage").all()

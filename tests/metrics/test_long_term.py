"""M7 long_term on the mirror: US forward presence (troop deployments) and single deployments."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from detente.metrics import Scope
from detente.metrics.long_term import dyad_outcomes, long_term


@pytest.fixture(scope="module")
def registry(store_path: Path, tmp_path_factory: pytest.TempPathFactory):
    from detente.registry import Registry, import_public

    url = f"sqlite:///{tmp_path_factory.mktemp('m7') / 'registry.sqlite'}"
    reg = Registry(url)
    import_public(reg, store=store_path, only=["us_troop_deployments", "detente_cases"])
    return reg


def _engagement(registry, host: int) -> tuple[str, int]:
    from detente.registry import participants_frame

    p = participants_frame(registry, type="forward_presence")
    p = p[(p["code"] == host) & (p["role"] == "host") & (p["system"] == "cow")].sort_values("start")
    return str(p.iloc[0]["engagement_id"]), int(p.iloc[0]["start"].year)


def _ideal(con, code: int, year: int) -> float:
    row = con.execute("select idealpointfp from unga_ideal_points.unga_ideal_points_jul2025 "
                      "where ccode = ? and year = ?", [code, year]).fetchone()
    return float("nan") if row is None or row[0] is None else float(row[0])


def test_dyad_outcomes_follow_the_sources_and_coverage(store_path: Path) -> None:
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        req = pd.DataFrame({"c": [2, 2, 2, 2], "p": [200, 740, 200, 200], "year": [1960, 1949, 2019, 2015]})
        out = dyad_outcomes(con, req).set_index(["p", "year"])
        assert out.loc[(200, 1960), "ally"] == 1  # NATO
        assert pd.isna(out.loc[(740, 1949), "ally"])  # Japan was not a system member: missing, not 0
        assert pd.isna(out.loc[(200, 2019), "ally"])  # ATOP ends in 2018
        assert pd.isna(out.loc[(200, 2015), "igo"])  # IGO ends in 2014
        assert out.loc[(200, 1960), "dist"] == pytest.approx(abs(_ideal(con, 2, 1960) - _ideal(con, 200, 1960)))
        igo = con.execute("select dyadigos from cow_igo.cow_igo_v3_nondirected_dyad_year "
                          "where ccode1 = 2 and ccode2 = 200 and year = 1960").fetchone()[0]
        assert out.loc[(200, 1960), "igo"] == igo
    finally:
        con.close()


def test_single_engagement_after_coverage_is_missing_and_said(store_path: Path, registry) -> None:
    eid, t0 = _engagement(registry, 652)  # Syria, first above the threshold after 2014
    res = long_term(Scope(engagement=eid), store=store_path, registry=registry)
    est = res.tidy().set_index("quantity")
    assert pd.isna(est.loc["shared IGO full memberships: engaged change at 5 years", "estimate"])
    assert pd.isna(est.loc["alliance (share of dyads allied, ATOP): engaged change at 10 years", "estimate"])
    assert any("past the data's end (2014)" in w for w in res.warnings)
    assert any("past the data's end (2018)" in w for w in res.warnings)
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        before = abs(_ideal(con, 2, t0 - 1) - _ideal(con, 652, t0 - 1))
        after = abs(_ideal(con, 2, t0 + 5) - _ideal(con, 652, t0 + 5))
    finally:
        con.close()
    assert est.loc["UN ideal-point distance: engaged change at 5 years", "estimate"] == pytest.approx(after - before)
    assert not res.causal and "Descriptive" in res.headline


def test_type_comparison_with_placebo_and_spillover(store_path: Path, registry) -> None:
    res = long_term(Scope(type="forward_presence", contributor=2), store=store_path, registry=registry)
    est = res.tidy().set_index("quantity")
    for label in ("UN ideal-point distance", "shared IGO full memberships", "alliance (share of dyads allied, ATOP)"):
        for h in (5, 10):
            row = est.loc[f"{label}: difference vs matched at {h} years"]
            assert row["n"] >= 10
            assert row["conf_low"] <= row["estimate"] <= row["conf_high"]
            assert f"placebo: {label}, {h} pre-period years" in est.index
    # the difference is the engaged change minus the matched dyads' change, dyad by dyad
    d = res.details["dyad_changes"]
    diff = (d["dist_d5"] - d["dist_d5_matched"]).dropna()
    assert est.loc["UN ideal-point distance: difference vs matched at 5 years", "estimate"] == pytest.approx(diff.mean())
    # shared IGO memberships grow over time for everyone: the engaged change is positive
    assert est.loc["shared IGO full memberships: engaged change at 10 years", "estimate"] > 0
    spill = est.loc["neighbours' conflict incidence: change (after - before)"]
    assert spill["n"] > 5
    assert res.causal is False
    assert {"atop_alliance", "unga_ideal_points", "cow_igo", "cow_contiguity", "ucdp_prio_acd"} <= set(res.sources)
    assert res.figure is not None and len(res.figure.axes) == 4
    assert res.details["distance_path"]["group"].nunique() == 2

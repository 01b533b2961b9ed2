"""M3 trade_agreements on the mirror: US forward presence (troop deployments) and single deployments."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from detente.metrics import Scope
from detente.metrics.trade_agreements import trade_agreements


@pytest.fixture(scope="module")
def registry(store_path: Path, tmp_path_factory: pytest.TempPathFactory):
    from detente.registry import Registry, import_public

    url = f"sqlite:///{tmp_path_factory.mktemp('m3') / 'registry.sqlite'}"
    reg = Registry(url)
    import_public(reg, store=store_path, only=["us_troop_deployments", "detente_cases"])
    return reg


def _engagement(registry, host: int) -> tuple[str, int]:
    """The first US forward-presence engagement hosted by ``host``: id and start year."""
    from detente.registry import participants_frame

    p = participants_frame(registry, type="forward_presence")
    p = p[(p["code"] == host) & (p["role"] == "host") & (p["system"] == "cow")].sort_values("start")
    row = p.iloc[0]
    return str(row["engagement_id"]), int(row["start"].year)


@pytest.fixture(scope="module")
def panel(store_path: Path, registry):
    return trade_agreements(Scope(type="forward_presence", contributor=2), store=store_path, registry=registry)


def test_panel_reports_ppml_event_study_and_pretrend(panel) -> None:
    tidy = panel.tidy()
    ppml = tidy.set_index("quantity").loc["trade: engagement effect (PPML, log points)"]
    assert ppml["conf_low"] < ppml["estimate"] < ppml["conf_high"]
    assert ppml["n"] > 500 and ppml["se_type"].startswith("cluster-robust")
    pct = tidy.set_index("quantity").loc["trade: implied change (%)", "estimate"]
    assert pct == pytest.approx(100 * np.expm1(ppml["estimate"]))
    es = panel.details["event_study"]
    assert set(range(-10, 11)) <= set(es["rel_year"])
    assert es.loc[es["rel_year"] == -1, "estimate"].item() == 0.0
    pre = panel.diagnostics["pre_trend_test"]
    # the causal reading is given only when the pre-trend test does not reject
    assert panel.causal == (pre["p_value"] >= 0.05)
    if not panel.causal:
        assert "association" in panel.headline
        assert any("pre-trend" in w for w in panel.warnings)
    assert {"cow_trade", "desta_trade_agreements", "gdp_population_fariss"} <= set(panel.sources)
    assert panel.figure is not None
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in panel.figure.axes)


def test_matched_controls_are_same_region_and_not_yet_engaged(panel, registry) -> None:
    from detente.metrics.scope import region_of
    from detente.registry import participants_frame

    ctl = panel.details["matched_controls"]
    assert len(ctl) > 0
    assert (ctl["partner"].map(region_of) == ctl["control"].map(region_of)).all()
    p = participants_frame(registry, type="forward_presence")
    first = p[p["role"] == "host"].groupby("code")["start"].min().dt.year
    engaged = ctl["control"].map(first)
    assert (engaged.isna() | (engaged > ctl["first_year"] + 10)).all()


def test_agreement_counts_match_a_direct_count(panel, store_path: Path) -> None:
    counts = panel.details["agreements"]
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        # resolve DESTA's names for the partner directly, independent of the measure's join
        from detente.states import resolve_names

        rows = con.execute(
            "select country1, country2, year, number from desta_trade_agreements.desta_list_of_treaties_v2_02_dyads "
            "where entry_type <> 'consolidated' and year is not null and "
            "(country1 = 'United States' or country2 = 'United States')"
        ).df()
    finally:
        con.close()
    other = np.where(rows["country1"] == "United States", rows["country2"], rows["country1"])
    rows["partner"] = resolve_names(list(other), years=rows["year"].tolist()).codes.to_numpy()
    checked = 0
    for r in counts.dropna(subset=["before"]).itertuples():
        mine = rows[rows["partner"] == r.partner].drop_duplicates("number")
        rel = mine["year"] - r.first_year
        assert r.after == int(((rel >= 1) & (rel <= 5)).sum())
        assert r.before == int(((rel >= -5) & (rel <= -1)).sum())
        checked += 1
    assert checked > 10


def test_single_engagement_trade_path_matches_raw_flows(store_path: Path, registry) -> None:
    eid, t0 = _engagement(registry, 732)  # South Korea
    res = trade_agreements(Scope(engagement=eid), store=store_path, registry=registry)
    assert not res.causal
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        raw = dict(con.execute(
            "select year, flow1 + flow2 from cow_trade.cow_trade_dyadic_v4_0_rounded "
            "where ccode1 = 2 and ccode2 = 732").fetchall())
    finally:
        con.close()
    pre = np.nanmean([raw.get(y, np.nan) for y in range(t0 - 5, t0)])
    post = np.nanmean([raw.get(y, np.nan) for y in range(t0, t0 + 5)])
    est = res.tidy().set_index("quantity")["estimate"]
    assert est["trade with contributors: change (%)"] == pytest.approx(100 * (post / pre - 1))
    path = res.details["trade_path"].set_index("year")
    assert path.loc[t0, "dyad_trade"] == raw[t0]
    assert "Descriptive" in res.headline


def test_engagement_after_trade_coverage_warns(store_path: Path, registry) -> None:
    eid, t0 = _engagement(registry, 652)  # Syria: first above the threshold after 2014
    assert t0 > 2014
    res = trade_agreements(Scope(engagement=eid), store=store_path, registry=registry)
    assert any("after the trade data end" in w for w in res.warnings)
    assert "trade with contributors: change (%)" not in set(res.tidy()["quantity"])
    path = res.details["trade_path"]
    assert path.loc[path["year"] > 2014, "dyad_trade"].isna().all()


def test_large_type_gets_a_ppml_estimate_and_a_stack_of_raw_flows(store_path: Path, registry_url: str) -> None:
    # official visits: ~480 engaged dyads whose stacked trade panel the alternating-projection
    # demeaning could not converge on (no estimate at all); the direct solve gives one
    res = trade_agreements(Scope(type="official_visit"), store=store_path, registry=registry_url)
    ppml = res.tidy().set_index("quantity").loc["trade: engagement effect (PPML, log points)"]
    assert np.isfinite(ppml["estimate"]) and 0 < ppml["std_error"] < 1
    assert ppml["n"] > 10_000
    assert not any("could not be fitted" in w for w in res.warnings)
    # the mean path at the first year is the mean of log(1 + raw flow) over the stacked dyads
    ctl = res.details["matched_controls"]
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        raw = {(a, b, y): t for a, b, y, t in con.execute(
            "select ccode1, ccode2, year, flow1 + flow2 from cow_trade.cow_trade_dyadic_v4_0_rounded").fetchall()}
    finally:
        con.close()

    def flow(a: int, b: int, y: int) -> float:
        t = raw.get((min(a, b), max(a, b), y))
        return np.nan if t is None else t

    treated = ctl[["contributor", "partner", "first_year"]].drop_duplicates()
    engaged = [np.log1p(flow(r.contributor, r.partner, r.first_year)) for r in treated.itertuples()]
    matched = [np.log1p(flow(r.contributor, r.control, r.first_year)) for r in ctl.itertuples()]
    path = res.details["trade_path"].set_index(["rel_year", "group"])
    assert path.loc[(0, "engaged"), "mean_log1p_trade"] == pytest.approx(np.nanmean(engaged))
    assert path.loc[(0, "engaged"), "n"] == np.isfinite(engaged).sum()
    assert path.loc[(0, "matched"), "mean_log1p_trade"] == pytest.approx(np.nanmean(matched))

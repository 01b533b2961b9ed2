"""M3 — economic partnership and agreements: do trade and trade agreements grow after engagement?

For a type of engagement the unit is the contributor–partner dyad-year. Each treated dyad (first
engaged in year t0) is stacked with up to three comparison dyads: the same contributor with
partners of the same region, not engaged by it before t0 + 10, nearest in pre-period trade. On the
stack, bilateral trade (CoW, current million USD) is regressed by Poisson pseudo-maximum likelihood
(PPML, the gravity estimator that keeps zero flows) on an engagement indicator with stack-dyad and
stack-year fixed effects and log real GDP of both states, clustered by dyad; an event-study variant
gives leads and lags and the pre-trend test. DESTA agreements signed by the dyad in the five years
after t0 are compared with the five years before, and with the matched dyads over the same years.

For one engagement the dyad's trade path is set beside the partner's trade with everyone else
(descriptive), with the agreements signed before and after.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.exceptions import ModelError
from detente.metrics._dyad_treatment import (
    Treatment,
    comparison_pool,
    coverage,
    desta_for,
    match_controls,
    mean_row,
    run_dyad_measure,
    state_years,
)
from detente.metrics.result import MeasureResult
from detente.metrics.scope import Scope

if TYPE_CHECKING:
    import duckdb
    from matplotlib.figure import Figure

__all__ = ["trade_agreements"]

#: Years either side of the first engagement in the stacked panel and the event study.
WINDOW = 10
#: Years before/after counted for agreements and for the pre-period trade score.
SPAN = 5
#: Comparison dyads per treated dyad.
K_CONTROLS = 3
#: Fewest treated dyads with trade data for a panel estimate.
MIN_TREATED = 5
SOURCES = ["cow_trade", "desta_trade_agreements", "gdp_population_fariss", "cow_state_system"]
QUESTION = "Do trade and trade agreements between contributor and partner grow after the engagement?"

BENCH = "partner's trade with all other states: change (%)"
TRADE_NOTE = (
    "CoW dyadic trade is in current US dollars rounded to whole millions: a 0 is a flow below "
    "half a million, not the absence of trade; years after 2014 are outside coverage and missing."
)


def trade_agreements(scope: Scope, *, store: Any = None, registry: Any = None) -> MeasureResult:
    """Trade and trade agreements after engagement (M3).

    Parameters
    ----------
    scope : Scope
        A type of engagement, narrowed by contributor, partner and region (the stacked PPML
        difference-in-differences), or one engagement (its dyads' trade path, descriptive).
    store, registry : optional
        The analytic store (path or open DuckDB connection) and the registry (URL or open
        registry); the configured ones when None.

    Returns
    -------
    MeasureResult
        For a type: the PPML effect and implied change in trade, the OLS check, the pre-trend test
        and the agreement counts; ``details`` hold the matched dyads, event study and trade paths.

    Examples
    --------
    >>> from detente.metrics import Scope
    >>> res = trade_agreements(Scope(type="forward_presence", contributor=2))  # doctest: +SKIP
    >>> res.tidy()[["quantity", "estimate", "p_value"]]  # doctest: +SKIP
    """
    return run_dyad_measure(scope, store, registry, single=_single, panel=_panel)


# ---------------------------------------------------------------- data


def _trade(con: duckdb.DuckDBPyConnection, contributors: list[int] | None) -> pd.DataFrame:
    """Directed view (contributor first) of CoW dyadic trade; total flow missing if a side is."""
    where = ""
    if contributors is not None:
        codes = ",".join(str(int(c)) for c in contributors)
        where = f"where ccode1 in ({codes}) or ccode2 in ({codes})"
    sql = f"""
        with t as (select ccode1, ccode2, year, flow1 + flow2 as trade
                   from cow_trade.cow_trade_dyadic_v4_0_rounded {where})
        select ccode1 as a, ccode2 as b, year, trade from t
        union all select ccode2 as a, ccode1 as b, year, trade from t
    """
    return con.execute(sql).df()


class _Lookup:
    """Values by (code, code, year) or (code, year), looked up in bulk by sorted integer keys."""

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self.keys, self.values = keys[order], values[order].astype(float)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """Values for ``keys``; missing where the key is absent."""
        if len(self.keys) == 0:
            return np.full(len(keys), np.nan)
        pos = np.searchsorted(self.keys, keys).clip(max=len(self.keys) - 1)
        return np.where(self.keys[pos] == keys, self.values[pos], np.nan)


def _dyad_key(a: np.ndarray, b: np.ndarray, year: np.ndarray) -> np.ndarray:
    """An integer key of an undirected dyad-year (CoW codes are below 1000)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    return (np.minimum(a, b) * 1000 + np.maximum(a, b)) * 10_000 + np.asarray(year, dtype=np.int64)


def _trade_lookup(con: duckdb.DuckDBPyConnection) -> _Lookup:
    """CoW bilateral trade, flow1 + flow2 (missing when either side is), by undirected dyad-year."""
    d = con.execute("select ccode1, ccode2, year, flow1 + flow2 as trade "
                    "from cow_trade.cow_trade_dyadic_v4_0_rounded").fetchnumpy()
    trade = np.asarray(d["trade"], dtype=float)  # masked (NULL) flows become missing
    if np.ma.isMaskedArray(d["trade"]):
        trade = d["trade"].filled(np.nan).astype(float)
    return _Lookup(_dyad_key(d["ccode1"], d["ccode2"], d["year"]), trade)


def _gdp_lookup(con: duckdb.DuckDBPyConnection) -> _Lookup:
    """Log real GDP (Fariss et al.) by state-year."""
    d = con.execute("select ccode, year, ln(pwtrgdp) as lgdp from gdp_population_fariss.cw_gdppop "
                    "where pwtrgdp > 0 and ccode is not null").fetchnumpy()
    return _Lookup(np.asarray(d["ccode"], dtype=np.int64) * 10_000 + np.asarray(d["year"], dtype=np.int64),
                   np.asarray(d["lgdp"], dtype=float))


def _pre_score(trade: _Lookup, pairs: pd.DataFrame, a: str, b: str, lag: int = 0) -> np.ndarray:
    """Mean log(1 + trade) of (a, b) over the SPAN years ending ``lag + 1`` years before
    ``first_year`` (missing if none)."""
    back = lag + np.arange(1, SPAN + 1)
    years = pairs["first_year"].to_numpy()[:, None] - back[None, :]
    lt = np.log1p(trade.get(_dyad_key(np.repeat(pairs[a].to_numpy(), SPAN), np.repeat(pairs[b].to_numpy(), SPAN),
                                      years.ravel()))).reshape(-1, SPAN)
    seen = np.isfinite(lt).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(seen > 0, np.nansum(lt, axis=1) / seen, np.nan)


# ---------------------------------------------------------------- type of engagement


def _panel(scope: Scope, treatment: Treatment, con: duckdb.DuckDBPyConnection) -> MeasureResult:
    t_start, t_end = coverage("trade")
    warnings: list[str] = []
    first = treatment.first.copy()
    n_all = len(first)
    out_cov = first[(first["first_year"] <= t_start) | (first["first_year"] > t_end)]
    first = first[(first["first_year"] > t_start) & (first["first_year"] <= t_end)]
    if len(out_cov):
        warnings.append(
            f"{len(out_cov)} of {n_all} engaged dyads were first engaged outside the trade data's "
            f"coverage ({t_start + 1}-{t_end}, a pre-period year needed); they are left out of the "
            "trade estimates."
        )
    details: dict[str, pd.DataFrame] = {}
    diagnostics: dict[str, Any] = {"treated_dyads": n_all, "treated_dyads_in_trade_coverage": len(first)}
    rows: list[dict[str, Any]] = []

    controls = pd.DataFrame(columns=["contributor", "partner", "first_year", "control", "distance"])
    trade = _trade_lookup(con)
    if len(first):
        # matching on the level just before and the level 5 years earlier aligns pre-trends too
        pool = comparison_pool(first, state_years(con))
        for name, lag in (("score", 0), ("score_early", SPAN)):
            first[name] = _pre_score(trade, first, "contributor", "partner", lag)
            pool[name] = _pre_score(trade, pool, "contributor", "control", lag)
        controls = match_controls(first, pool, treatment.ever, score=["score", "score_early"],
                                  k=K_CONTROLS, window=WINDOW)
        diagnostics["matched_controls"] = len(controls)
        diagnostics["treated_with_controls"] = int(controls.groupby(["contributor", "partner"]).ngroups)
        details["matched_controls"] = controls

    stacked = _stack(first, controls, trade, _gdp_lookup(con), t_start, t_end)
    n_treated = int(stacked.loc[stacked["treated"] == 1, "dyad"].nunique()) if len(stacked) else 0
    fit_ok = n_treated >= MIN_TREATED and stacked["trade"].notna().sum() > 0
    if not fit_ok:
        warnings.append(
            f"only {n_treated} treated dyads have trade data and matched comparisons (at least "
            f"{MIN_TREATED} needed): no panel estimate is reported."
        )
    es = pd.DataFrame()
    pretrend: dict[str, Any] = {}
    if fit_ok:
        ppml_rows, start = _fit_ppml(stacked, warnings, diagnostics)
        rows.extend(ppml_rows)
        es, pretrend = _fit_event_study(stacked, warnings, start)
        details["event_study"] = es
        diagnostics["pre_trend_test"] = pretrend
        if pretrend:
            rows.append({
                "quantity": "pre-trend joint test of leads (chi-squared)", "estimate": pretrend["chi2"],
                "p_value": pretrend["p_value"], "n": pretrend["df"],
                "design": "event-study PPML, leads -10..-2", "se_type": "cluster-robust by dyad (CRV1)",
            })
        details["trade_path"] = _mean_paths(stacked)

    agr_rows, agr_detail = _agreements(first if len(first) else treatment.first, controls, con, warnings)
    rows.extend(agr_rows)
    details["agreements"] = agr_detail

    pre_ok = bool(pretrend) and pretrend.get("p_value", 0) >= 0.05
    causal = fit_ok and pre_ok
    if fit_ok and not pre_ok:
        warnings.append(
            "the pre-trend test rejects parallel trends (or could not be computed): the trade "
            "estimate is reported as an association, not an effect."
        )
    estimates = pd.DataFrame(rows)
    headline = _panel_headline(scope, estimates, causal, n_treated, fit_ok)
    fig = _panel_figure(scope, es, details.get("trade_path"))
    return MeasureResult(
        measure="trade_agreements",
        question=QUESTION,
        scope=scope.as_dict(),
        estimates=estimates,
        design=(
            "stacked difference-in-differences: PPML gravity panel of bilateral trade on an engagement "
            "indicator with stack-dyad and stack-year fixed effects and log real GDP of both states, "
            "against matched not-yet-engaged partners of the same contributor and region; event-study "
            "leads and lags; DESTA agreements 5 years after vs 5 years before"
        ),
        causal=causal,
        assumptions=[
            "without the engagement, trade of engaged dyads would have moved like that of the matched "
            "dyads (parallel trends in the multiplicative PPML sense)",
            "comparison partners were not engaged by the contributor within 10 years of the first engagement",
            "the timing of engagements does not respond to expected trade shocks",
            "the agreement comparison is descriptive: agreements are few and signed for many reasons",
        ],
        diagnostics=diagnostics,
        caveats=[
            TRADE_NOTE,
            "Engagement is coded as absorbing from the first engagement on; later engagements of the "
            "same dyad are not separate treatments.",
            "DESTA names are resolved to CoW states by year; plurilateral agreements count for every "
            "pair of members.",
        ],
        sources=SOURCES,
        warnings=warnings,
        figure=fig,
        details=details,
        headline=headline,
    )


STACK_COLUMNS = ["stack", "dyad", "contributor", "partner", "partner_state", "first_year", "year", "rel", "treated",
                 "post", "trade", "lgdp_c", "lgdp_p", "stack_dyad", "stack_year"]


def _stack(first: pd.DataFrame, controls: pd.DataFrame, trade: _Lookup, gdp: _Lookup,
           t_start: int, t_end: int) -> pd.DataFrame:
    """Stack each treated dyad with its matched dyads over the window around its first year.

    One row per stack, dyad and year in the window and in the trade data's coverage; ``dyad``,
    ``stack_dyad`` and ``stack_year`` are integer codes (the fixed effects and the cluster).
    """
    if first.empty or controls.empty:
        return pd.DataFrame(columns=STACK_COLUMNS)
    keys = ["contributor", "partner", "first_year"]
    tr = first[keys].merge(controls[keys].drop_duplicates(), on=keys)
    tr["stack"] = np.arange(len(tr))
    ctl = controls.merge(tr, on=keys)
    units = pd.concat([
        tr.assign(unit=tr["partner"], treated=1),
        ctl[list(tr.columns)].assign(unit=ctl["control"].to_numpy(), treated=0),
    ], ignore_index=True)
    n_rel = 2 * WINDOW + 1
    rel = np.tile(np.arange(-WINDOW, WINDOW + 1), len(units))
    rep = {c: np.repeat(units[c].to_numpy(), n_rel) for c in ("stack", "contributor", "partner", "first_year",
                                                                "unit", "treated")}
    year = rep["first_year"] + rel
    inside = (year >= t_start) & (year <= t_end)
    rep = {c: v[inside] for c, v in rep.items()}
    rel, year = rel[inside], year[inside]
    c, u = rep["contributor"], rep["unit"]
    panel = pd.DataFrame({
        "stack": rep["stack"],
        # the contributor-partner pair, for clustering; the same pair in two stacks is one cluster
        "dyad": pd.factorize(c * 1000 + u)[0],
        "contributor": c,
        "partner": rep["partner"],
        "partner_state": u,
        "first_year": rep["first_year"],
        "year": year,
        "rel": rel,
        "treated": rep["treated"],
        "post": ((rep["treated"] == 1) & (rel >= 0)).astype(int),
        "trade": trade.get(_dyad_key(c, u, year)),
        "lgdp_c": gdp.get(c * 10_000 + year),
        "lgdp_p": gdp.get(u * 10_000 + year),
    })
    panel["stack_dyad"] = pd.factorize(panel["stack"].to_numpy() * 1_000_000 + c * 1000 + u)[0]
    panel["stack_year"] = panel["stack"].to_numpy() * (n_rel + 1) + (rel + WINDOW)
    return panel


def _fit(fml: str, data: pd.DataFrame, family: str, label: str, warnings: list[str], start: str | None = None) -> Any:
    """Fit with the dyad clusters; the fit's own cautions (singletons, separation, collinearity)
    become result warnings so that nothing is dropped silently."""
    import warnings as pywarnings

    from detente.methods import feglm

    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        fit = feglm(fml, data, family=family, cluster="dyad", start=start)
    # rows without trade or GDP are counted once, by the PPML fit, not by every fit
    warnings.extend(f"{label}: {w}" for w in fit.warnings_ if "dropped for missing values" not in w)
    return fit


def _fit_ppml(panel: pd.DataFrame, warnings: list[str],
              diagnostics: dict[str, Any]) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    """The PPML DiD rows and its fitted means by panel row (missing where unused), which start
    the event study's iterations."""
    rows: list[dict[str, Any]] = []
    # the contributor is the same in every dyad of a stack, so its GDP is absorbed by the
    # stack-year effects: only the partner's GDP is a control
    has_trade = panel["trade"].notna()
    n_gdp_missing = int((has_trade & panel["lgdp_p"].isna()).sum())
    if n_gdp_missing:
        diagnostics["rows_without_gdp"] = n_gdp_missing
    n_missing = int((~has_trade | panel["lgdp_p"].isna()).sum())
    if n_missing:
        diagnostics["rows_without_trade_or_gdp"] = n_missing
        warnings.append(f"{n_missing} of {len(panel)} stacked dyad-years have no trade flow or partner GDP on "
                        "record; they are left out of the trade models (missing, not zero).")
    design = "stacked PPML DiD, stack-dyad and stack-year FE, log GDP controls"
    se_type = "cluster-robust by dyad (CRV1)"
    try:
        fit = _fit("trade ~ post + lgdp_p | stack_dyad + stack_year", panel, "poisson", "PPML", warnings)
    except ModelError as exc:
        warnings.append(f"the PPML model could not be fitted ({exc}); no trade estimate is reported.")
        return rows, None
    fitted = np.full(len(panel), np.nan)
    fitted[fit.rows_] = fit.fitted_
    t = fit.tidy().set_index("term")
    if "post" not in t.index:
        warnings.append("the engagement indicator is collinear with the fixed effects: no trade estimate.")
        return rows, fitted
    r = t.loc["post"]
    b, lo, hi = float(r["estimate"]), float(r["conf_low"]), float(r["conf_high"])
    n = fit.n_
    diagnostics["ppml_dropped_rows"] = int(fit.extra_["rows_singleton"] + fit.extra_["rows_separated"])
    diagnostics["ppml_clusters"] = fit.clusters_
    rows.append({"quantity": "trade: engagement effect (PPML, log points)", "estimate": b,
                 "std_error": float(r["std_error"]), "conf_low": lo, "conf_high": hi,
                 "p_value": float(r["p_value"]), "n": n, "design": design, "se_type": se_type})
    rows.append({"quantity": "trade: implied change (%)", "estimate": 100 * math.expm1(b),
                 "conf_low": 100 * math.expm1(lo), "conf_high": 100 * math.expm1(hi),
                 "p_value": float(r["p_value"]), "n": n, "design": design, "se_type": se_type})
    try:
        ols = _fit("ltrade ~ post + lgdp_p | stack_dyad + stack_year",
                   panel.assign(ltrade=np.log1p(panel["trade"])), "gaussian", "OLS check", warnings)
        o = ols.tidy().set_index("term").loc["post"]
        rows.append({"quantity": "trade: DiD in log(1 + trade) (OLS)", "estimate": float(o["estimate"]),
                     "std_error": float(o["std_error"]), "conf_low": float(o["conf_low"]),
                     "conf_high": float(o["conf_high"]), "p_value": float(o["p_value"]), "n": ols.n_,
                     "design": "stacked OLS DiD, same fixed effects and controls", "se_type": se_type})
    except (ModelError, KeyError) as exc:
        warnings.append(f"the OLS check on log trade could not be fitted ({exc}).")
    return rows, fitted


def _fit_event_study(panel: pd.DataFrame, warnings: list[str],
                     start: np.ndarray | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    from detente.methods._dist import chi2_sf

    data = panel[["trade", "lgdp_p", "stack_dyad", "stack_year", "dyad"]].copy()
    treated_rel = np.where(panel["treated"].to_numpy() == 1, panel["rel"].to_numpy(), np.iinfo(np.int64).min)
    usable = (panel["trade"].notna() & panel["lgdp_p"].notna()).to_numpy()
    names = []
    for k in range(-WINDOW, WINDOW + 1):
        if k == -1:  # the reference year
            continue
        name = f"ev_m{-k}" if k < 0 else f"ev_p{k}"
        data[name] = (treated_rel == k).astype(int)
        if (data[name].to_numpy()[usable]).any():
            names.append((k, name))
    if not names:
        return pd.DataFrame(), {}
    fml = "trade ~ " + " + ".join(n for _, n in names) + " + lgdp_p | stack_dyad + stack_year"
    try:
        if start is not None:
            data["start"] = start
        fit = _fit(fml, data, "poisson", "event study", warnings, start=None if start is None else "start")
    except ModelError as exc:
        warnings.append(f"the event-study model could not be fitted ({exc}).")
        return pd.DataFrame(), {}
    t = fit.tidy().set_index("term")
    out = pd.DataFrame([
        {"rel_year": k, "estimate": float(t.at[n, "estimate"]), "std_error": float(t.at[n, "std_error"]),
         "conf_low": float(t.at[n, "conf_low"]), "conf_high": float(t.at[n, "conf_high"])}
        for k, n in names if n in t.index
    ])
    out = pd.concat([out, pd.DataFrame([{"rel_year": -1, "estimate": 0.0, "std_error": 0.0,
                                         "conf_low": 0.0, "conf_high": 0.0}])]).sort_values("rel_year")
    leads = [n for k, n in names if k <= -2 and n in t.index]
    pretrend: dict[str, Any] = {}
    if leads:
        b = fit.params_[leads].to_numpy()
        v = fit.vcov_.loc[leads, leads].to_numpy()
        try:
            chi2 = float(b @ np.linalg.solve(v, b))
            pretrend = {"chi2": chi2, "df": len(leads), "p_value": float(chi2_sf(chi2, len(leads)))}
        except np.linalg.LinAlgError:
            warnings.append("the lead covariance is singular: no pre-trend test.")
    return out.reset_index(drop=True), pretrend


def _mean_paths(panel: pd.DataFrame) -> pd.DataFrame:
    """Mean log(1 + trade) by year relative to the first engagement, treated vs matched."""
    d = panel.dropna(subset=["trade"]).assign(ltrade=lambda x: np.log1p(x["trade"]))
    g = d.groupby(["rel", "treated"])["ltrade"].agg(["mean", "count"]).reset_index()
    g["group"] = np.where(g["treated"] == 1, "engaged", "matched")
    return g.rename(columns={"rel": "rel_year", "mean": "mean_log1p_trade", "count": "n"})[
        ["rel_year", "group", "mean_log1p_trade", "n"]]


def _count_agreements(desta: pd.DataFrame, pairs: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Agreements signed by each pair in the SPAN years before and after ``first_year``."""
    lo, hi = pairs[[a, b]].min(axis=1), pairs[[a, b]].max(axis=1)
    p = pairs.assign(lo=lo.to_numpy(), hi=hi.to_numpy())
    m = p.merge(desta.rename(columns={"a": "lo", "b": "hi", "year": "signed"}), on=["lo", "hi"], how="left")
    rel = m["signed"] - m["first_year"]
    m["before"] = ((rel >= -SPAN) & (rel <= -1)).astype(int)
    m["after"] = ((rel >= 1) & (rel <= SPAN)).astype(int)
    keys = list(pairs.columns)
    counts = m.groupby(keys, dropna=False)[["before", "after"]].sum().reset_index()
    return pairs.merge(counts, on=keys, how="left")


def _agreements(first: pd.DataFrame, controls: pd.DataFrame, con: duckdb.DuckDBPyConnection,
                warnings: list[str]) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    d_start, d_end = coverage("agreements")
    desta = desta_for(con)
    tr = first[["contributor", "partner", "first_year"]].copy()
    inside = (tr["first_year"] - SPAN >= d_start) & (tr["first_year"] + SPAN <= d_end)
    if (~inside).any():
        warnings.append(
            f"{int((~inside).sum())} engaged dyads lack a full 5-year window on both sides inside DESTA's "
            f"coverage ({d_start}-{d_end}); their agreement counts are missing."
        )
    tr = tr[inside]
    if tr.empty:
        warnings.append("no engaged dyad has agreement data in coverage: no agreement comparison.")
        return [], pd.DataFrame()
    counts = _count_agreements(desta, tr, "contributor", "partner")
    counts["change"] = counts["after"] - counts["before"]
    rows: list[dict[str, Any]] = []
    design = "DESTA agreements signed 1-5 years after vs 1-5 years before the first engagement"
    rows.append(mean_row("agreements: engaged dyads, change after vs before", counts["change"], design))
    ctl = controls[["contributor", "partner", "first_year", "control"]].merge(tr, on=["contributor", "partner",
                                                                                      "first_year"])
    if not ctl.empty:
        cc = _count_agreements(desta, ctl, "contributor", "control")
        cc["change"] = cc["after"] - cc["before"]
        cmean = cc.groupby(["contributor", "partner", "first_year"])["change"].mean().rename("control_change")
        counts = counts.merge(cmean.reset_index(), on=["contributor", "partner", "first_year"], how="left")
        rows.append(mean_row("agreements: matched dyads, change after vs before", counts["control_change"],
                             design))
        rows.append(mean_row("agreements: difference (engaged - matched)",
                             counts["change"] - counts["control_change"], design + ", against matched dyads"))
    return rows, counts


def _panel_headline(scope: Scope, est: pd.DataFrame, causal: bool, n_treated: int, fit_ok: bool) -> str:
    label = scope.label
    if not fit_ok or est.empty or "trade: implied change (%)" not in set(est["quantity"]):
        return (f"{label}: too few engaged dyads with trade data for a panel estimate; agreement counts "
                "are descriptive.")
    r = est.set_index("quantity").loc["trade: implied change (%)"]
    word = "effect" if causal else "association"
    reading = ("causal under parallel trends (pre-trend test passed)" if causal
               else "descriptive: an association, not an effect")
    return (f"{label}: trade of {n_treated} engaged dyads changed by {r['estimate']:+.0f}% "
            f"(95% CI {r['conf_low']:+.0f}% to {r['conf_high']:+.0f}%) relative to matched not-yet-engaged "
            f"partners after the first engagement; read as an {word} ({reading}), resting on a stacked "
            "PPML difference-in-differences with dyad and year fixed effects.")


def _panel_figure(scope: Scope, es: pd.DataFrame, paths: pd.DataFrame | None) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    if not es.empty:
        ax1.errorbar(es["rel_year"], es["estimate"],
                     yerr=[es["estimate"] - es["conf_low"], es["conf_high"] - es["estimate"]],
                     fmt="o", color="#1f4e79", ecolor="#7f9fbf", capsize=2)
        ax1.axhline(0, color="grey", lw=0.8)
        ax1.axvline(-0.5, color="firebrick", lw=0.8, ls="--")
    else:
        ax1.text(0.5, 0.5, "no event-study estimate", ha="center", va="center", transform=ax1.transAxes)
    ax1.set_title("Event study: trade relative to year -1 (PPML)")
    ax1.set_xlabel("years since first engagement")
    ax1.set_ylabel("coefficient (log points), 95% CI")
    if paths is not None and not paths.empty:
        for group, colour in (("engaged", "#1f4e79"), ("matched", "#d08c2b")):
            g = paths[paths["group"] == group]
            ax2.plot(g["rel_year"], g["mean_log1p_trade"], marker=".", color=colour, label=f"{group} dyads")
        ax2.axvline(0, color="firebrick", lw=0.8, ls="--")
        ax2.legend(frameon=False)
    ax2.set_title("Mean bilateral trade path")
    ax2.set_xlabel("years since first engagement")
    ax2.set_ylabel("mean log(1 + trade, million current USD)")
    fig.suptitle(f"Trade after engagement — {scope.label}")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- one engagement


def _single(scope: Scope, treatment: Treatment, con: duckdb.DuckDBPyConnection) -> MeasureResult:
    t_start, t_end = coverage("trade")
    d_start, d_end = coverage("agreements")
    warnings: list[str] = []
    first = treatment.first
    if first.empty:
        warnings.append("the engagement has no contributor–partner pair in the registry: nothing to measure.")
        return _empty_single(scope, warnings)
    t0 = int(first["first_year"].min())
    partners = sorted(first["partner"].unique().tolist())
    contributors = sorted(first["contributor"].unique().tolist())
    trade = _trade(con, partners)
    trade = trade[trade["a"].isin(partners)].rename(columns={"a": "partner", "b": "other"})
    years = range(t0 - WINDOW, t0 + WINDOW + 1)
    trade = trade[trade["year"].isin(years)]
    is_dyad = trade.merge(first[["partner", "contributor"]].rename(columns={"contributor": "other"}).assign(d=1),
                          on=["partner", "other"], how="left")["d"].eq(1).to_numpy()
    # sum only where the flow is known: missing flows are missing, not zero
    dyad = trade[is_dyad].groupby("year")["trade"].agg(lambda s: s.sum(min_count=1))
    bench = trade[~is_dyad].groupby("year")["trade"].agg(lambda s: s.sum(min_count=1))
    path = pd.DataFrame({"year": list(years)})
    path["rel_year"] = path["year"] - t0
    path["dyad_trade"] = path["year"].map(dyad)
    path["benchmark_trade"] = path["year"].map(bench)
    path.loc[(path["year"] < t_start) | (path["year"] > t_end), ["dyad_trade", "benchmark_trade"]] = np.nan
    rows: list[dict[str, Any]] = []
    pre = path[(path["rel_year"] >= -SPAN) & (path["rel_year"] <= -1)]
    post = path[(path["rel_year"] >= 0) & (path["rel_year"] <= SPAN - 1)]
    design = "descriptive: mean trade in the 5 years from the first engagement vs the 5 years before"
    if t0 > t_end:
        warnings.append(f"the engagement starts in {t0}, after the trade data end ({t_end}): no trade "
                        "outcome in coverage.")
    elif pre["dyad_trade"].notna().sum() == 0 or post["dyad_trade"].notna().sum() == 0:
        warnings.append("the dyad lacks trade data before or after the engagement within coverage: no "
                        "trade change reported.")
    else:
        g_d = post["dyad_trade"].mean() / pre["dyad_trade"].mean() - 1 if pre["dyad_trade"].mean() > 0 else np.nan
        g_b = (post["benchmark_trade"].mean() / pre["benchmark_trade"].mean() - 1
               if pre["benchmark_trade"].mean() > 0 else np.nan)
        n_d = int(pre["dyad_trade"].notna().sum() + post["dyad_trade"].notna().sum())
        rows.append({"quantity": "trade with contributors: change (%)", "estimate": 100 * g_d, "n": n_d,
                     "design": design, "se_type": "none (descriptive)"})
        rows.append({"quantity": BENCH, "estimate": 100 * g_b,
                     "n": n_d, "design": design, "se_type": "none (descriptive)"})
        rows.append({"quantity": "trade with contributors relative to benchmark (percentage points)",
                     "estimate": 100 * (g_d - g_b), "n": n_d, "design": design,
                     "se_type": "none (descriptive)"})
        if t0 + SPAN - 1 > t_end:
            warnings.append(f"the post-engagement window runs past {t_end}; only years in coverage are used.")
    desta = desta_for(con)
    pairs = first[["contributor", "partner"]].assign(first_year=t0)
    counts = _count_agreements(desta, pairs, "contributor", "partner")
    before_ok, after_ok = t0 - SPAN >= d_start, t0 + SPAN <= d_end
    if before_ok and after_ok:
        rows.append({"quantity": "agreements signed 1-5 years before", "estimate": float(counts["before"].sum()),
                     "n": len(pairs), "design": "DESTA count", "se_type": "none (count)"})
        rows.append({"quantity": "agreements signed 1-5 years after", "estimate": float(counts["after"].sum()),
                     "n": len(pairs), "design": "DESTA count", "se_type": "none (count)"})
    else:
        warnings.append(f"the agreement windows ({t0 - SPAN}-{t0 + SPAN}) fall partly outside DESTA's coverage "
                        f"({d_start}-{d_end}): agreement counts are missing.")
    lo = pairs[["contributor", "partner"]].min(axis=1)
    hi = pairs[["contributor", "partner"]].max(axis=1)
    signed = desta.merge(pd.DataFrame({"a": lo, "b": hi}).drop_duplicates(), on=["a", "b"])
    signed = signed[signed["year"] >= t0].sort_values("year")[["a", "b", "year", "number", "name", "entry_type"]]
    estimates = pd.DataFrame(rows)
    headline = _single_headline(scope, estimates, t0, len(contributors), len(partners), len(signed))
    return MeasureResult(
        measure="trade_agreements",
        question=QUESTION,
        scope=scope.as_dict(),
        estimates=estimates,
        design=("descriptive before/after: the dyads' bilateral trade against the partner's trade with all "
                "other states, and DESTA agreements signed before and after the first engagement"),
        causal=False,
        assumptions=["the partner's trade with other states shows what its trade would have done anyway "
                     "(a benchmark, not a counterfactual)"],
        diagnostics={"first_year": t0, "contributors": contributors, "partners": partners},
        caveats=[TRADE_NOTE, "One engagement gives no basis for a causal claim: this is a description."],
        sources=SOURCES,
        warnings=warnings,
        figure=_single_figure(scope, path, t0),
        details={"trade_path": path, "agreements_after": signed.reset_index(drop=True),
                 "agreement_counts": counts},
        headline=headline,
    )


def _single_headline(scope: Scope, est: pd.DataFrame, t0: int, n_c: int, n_p: int, n_signed: int) -> str:
    q = est.set_index("quantity")["estimate"] if not est.empty else pd.Series(dtype=float)
    key = "trade with contributors relative to benchmark (percentage points)"
    if key in q.index:
        trade = (f"trade with the {n_c} contributing state(s) changed by "
                 f"{q['trade with contributors: change (%)']:+.0f}% in the 5 years from {t0} against "
                 f"{q[BENCH]:+.0f}% for "
                 "the partner's other trade")
    else:
        trade = "no trade change can be measured in the data's coverage"
    return (f"{scope.label} (first year {t0}, {n_p} partner state(s)): {trade}; {n_signed} trade agreement "
            "signature(s) by these dyads from then on. Descriptive only: one engagement supports no causal claim.")


def _single_figure(scope: Scope, path: pd.DataFrame, t0: int) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.2))
    ax = fig.subplots()
    pre = path[(path["rel_year"] >= -SPAN) & (path["rel_year"] <= -1)]
    plotted = False
    for col, label, colour in (("dyad_trade", "with contributing state(s)", "#1f4e79"),
                               ("benchmark_trade", "with all other states", "#d08c2b")):
        base = pre[col].mean()
        if base and base == base and base > 0:
            ax.plot(path["year"], 100 * path[col] / base, marker=".", color=colour, label=label)
            plotted = True
    ax.axvline(t0, color="firebrick", lw=0.8, ls="--", label=f"first engagement ({t0})")
    if not plotted:
        ax.text(0.5, 0.5, "no trade data in coverage", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"Partner's trade, index (mean of 5 years before = 100) — {scope.label}")
    ax.set_xlabel("year")
    ax.set_ylabel("trade index (current USD)")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def _empty_single(scope: Scope, warnings: list[str]) -> MeasureResult:
    return MeasureResult(
        measure="trade_agreements", question=QUESTION, scope=scope.as_dict(), estimates=pd.DataFrame(),
        design="descriptive before/after", causal=False, sources=SOURCES, warnings=warnings,
        headline=f"{scope.label}: no contributor–partner dyad to measure.",
    )

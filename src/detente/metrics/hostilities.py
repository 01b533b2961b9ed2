"""M2 ``hostilities``: do hostilities and armed conflict fall after the engagement?

Designs, chosen by the scope:

- **A type of engagement** (narrowed by contributor, partner, region) — partner/host state-years
  are treated from their first engagement year; controls are never-treated states of the same
  region matched on pre-period conflict history. An event study (leads and lags -5..+5, two-way
  fixed effects, clustered by state) of armed-conflict incidence (UCDP/PRIO ACD), MID onset (GML)
  and log battle deaths, with the joint pre-trend test; a negative binomial of battle deaths as a
  robustness check.
- **Peacekeeping** (no contributor) — the classic case: Hultman, Kathman & Shannon's
  conflict-months, a negative binomial of civilian killings on UN troops (clustered by
  conflict), and an event study of conflict-years around the first deployment.
- **One engagement** — a synthetic control of the host's yearly battle deaths from donor states
  without engagements of that type, with placebo-in-space inference.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.exceptions import ModelError
from detente.metrics._survival_data import acd_state_years
from detente.metrics._treatment import (
    first_treated_year,
    run_state_measure,
    scope_participants,
    treated_state_years,
    treatment_coverage,
)
from detente.metrics.result import MeasureResult
from detente.metrics.result import estimate_row as _row
from detente.metrics.scope import Scope, region_of

if TYPE_CHECKING:
    import duckdb
    from matplotlib.figure import Figure

__all__ = ["hostilities"]

QUESTION = "Do hostilities and armed conflict fall after the engagement?"
WINDOW = (-5, 5)
#: Matched never-treated controls per treated state.
N_MATCH = 3
#: Years before the first engagement used to match on conflict history.
MATCH_YEARS = 10
BRD = "battle_deaths_country_year.battle_deaths_gw_country_year_1946_2022"
GML = "gml_mid.gml_dirdisp_v2_2_1"
HKS = "hultman_kathman_shannon_2013.hks_ajps_2013_conflict_month"
OUTCOMES = {
    "conflict": ("armed-conflict incidence (share of state-years)", "ucdp_prio_acd"),
    "mid_onset": ("MID onset (share of state-years)", "gml_mid"),
    "log_battle_deaths": ("log(1 + battle deaths)", "battle_deaths_country_year"),
}


def hostilities(scope: Scope, *, store: str | Path | None = None, registry: str | None = None) -> MeasureResult:
    """Reduction in hostilities and armed conflict after the engagement (M2).

    Parameters
    ----------
    scope : Scope
        One engagement, or a type narrowed by contributor, partner and region.
    store : path, optional
        The analytic store.
    registry : str, optional
        Registry URL.

    Returns
    -------
    MeasureResult
        Average post-engagement changes from the event studies (or the synthetic-control gap),
        the negative-binomial rate ratio, the pre-trend test as a diagnostic; the event-study
        plot (or synthetic vs actual path) as the figure.

    Examples
    --------
    >>> from detente.metrics import Scope
    >>> hostilities(Scope(type="joint_exercise", contributor=2)).headline  # doctest: +SKIP
    """
    return run_state_measure(scope, store, registry, single=_single, peacekeeping=_hks, by_type=_type)


def _base(scope: Scope, design: str, causal: bool, sources: list[str]) -> MeasureResult:
    return MeasureResult(measure="hostilities", question=QUESTION, scope=scope.as_dict(), estimates=pd.DataFrame(),
                         design=design, causal=causal, sources=list(sources))


# -- data ----------------------------------------------------------------------------------------
def _state_outcomes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """State-years (CoW codes) with conflict incidence, battle deaths and MID onset; each missing
    outside its dataset's coverage (never 0)."""
    sy = acd_state_years(con)
    sy = sy[sy.ccode.notna()].copy()
    sy["ccode"] = sy["ccode"].astype(int)
    brd = con.execute(f"select gwcode, year, sum(best) as battle_deaths from {BRD} group by all").df()
    b0, b1 = con.execute(f"select min(year), max(year) from {BRD}").fetchone()
    sy = sy.merge(brd, on=["gwcode", "year"], how="left")
    in_brd = sy.year.between(b0, b1)
    sy.loc[in_brd, "battle_deaths"] = sy.loc[in_brd, "battle_deaths"].fillna(0)
    sy.loc[~in_brd, "battle_deaths"] = np.nan
    mid = con.execute(f"select ccode1 as ccode, year, max(midonset) as mid_onset from {GML} group by all").df()
    m0, m1 = con.execute(f"select min(year), max(year) from {GML}").fetchone()
    sy = sy.merge(mid, on=["ccode", "year"], how="left")
    in_mid = sy.year.between(m0, m1)
    sy.loc[in_mid, "mid_onset"] = sy.loc[in_mid, "mid_onset"].fillna(0)
    sy.loc[~in_mid, "mid_onset"] = np.nan
    sy["log_battle_deaths"] = np.log1p(sy["battle_deaths"])
    return sy


def _match_controls(sy: pd.DataFrame, first: pd.Series, pool: list[int]) -> tuple[list[int], pd.DataFrame]:
    """Never-treated states of the treated state's region nearest in conflict-years over the
    :data:`MATCH_YEARS` before its first engagement (ties: lower code)."""
    conflict = sy.pivot_table(index="ccode", columns="year", values="conflict", aggfunc="max")
    years = conflict.columns.to_numpy()
    # Cumulative conflict-years with a leading zero column: a window's sum is a difference.
    cum = np.concatenate([np.zeros((len(conflict), 1)), np.nan_to_num(conflict.to_numpy()).cumsum(axis=1)], axis=1)
    seen = np.concatenate([np.zeros((len(conflict), 1)), conflict.notna().to_numpy().cumsum(axis=1)], axis=1)
    row_of = {int(c): i for i, c in enumerate(conflict.index)}
    regions = {int(c): region_of(int(c)) for c in conflict.index}
    pool_rows = np.array([row_of[int(d)] for d in pool if int(d) in row_of], dtype=int)
    pool_codes = np.array([int(d) for d in pool if int(d) in row_of], dtype=int)
    pool_regions = np.array([regions[int(d)] for d in pool_codes], dtype=object)
    chosen: set[int] = set()
    rows = []
    for c, g in first.items():
        if int(c) not in row_of:
            continue
        a = int(np.searchsorted(years, int(g) - MATCH_YEARS))
        b = int(np.searchsorted(years, int(g)))
        if b <= a:
            continue
        hist = cum[:, b] - cum[:, a]
        observed = (seen[:, b] - seen[:, a]) > 0
        sel = (pool_regions == regions[int(c)]) & observed[pool_rows]
        if not sel.any():
            continue
        dist = np.abs(hist[pool_rows[sel]] - hist[row_of[int(c)]])
        order = np.lexsort((pool_codes[sel], dist))[:N_MATCH]
        pick = pool_codes[sel][order]
        chosen.update(int(p) for p in pick)
        rows.append({"ccode": int(c), "first_year": int(g), "pre_conflict_years": float(hist[row_of[int(c)]]),
                     "controls": ";".join(str(p) for p in pick),
                     "controls_pre_conflict_years": float(hist[[row_of[int(p)] for p in pick]].mean())})
    return sorted(chosen), pd.DataFrame(rows)


# -- event study helpers ---------------------------------------------------------------------------
def _es_path(fit: Any) -> pd.DataFrame:
    t = fit.tidy()
    t = t[t.term.str.contains("_rel_time")].copy()
    t["rel_time"] = t.term.str.extract(r"::(-?\d+)")[0].astype(int)
    ref = pd.DataFrame([{"term": "reference", "estimate": 0.0, "std_error": 0.0, "conf_low": 0.0, "conf_high": 0.0,
                         "rel_time": -1}])
    return pd.concat([t, ref], ignore_index=True).sort_values("rel_time").reset_index(drop=True)


def _post_average(fit: Any) -> tuple[float, float, float, float, float]:
    """Mean of the lag coefficients 0..+5 with its standard error from the fitted covariance."""
    from detente.methods._dist import norm_ppf, norm_sf

    names = [n for n in fit.params_.index if "_rel_time" in n and int(n.split("::")[1].rstrip("]")) >= 0]
    a = np.full(len(names), 1.0 / len(names))
    est = float(a @ fit.params_[names].to_numpy())
    se = float(np.sqrt(a @ fit.vcov_.loc[names, names].to_numpy() @ a))
    q = norm_ppf(0.975)
    p = float(2 * norm_sf(abs(est / se))) if se > 0 else np.nan
    return est, se, est - q * se, est + q * se, p


def _es_figure(paths: dict[str, pd.DataFrame], title: str) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * len(paths), 4.2))
    axes = fig.subplots(1, len(paths), squeeze=False)[0]
    for ax, (label, p) in zip(axes, paths.items(), strict=True):
        ax.axvspan(WINDOW[0] - 0.5, -0.5, color="#bbbbbb", alpha=0.3, label="pre-period (leads)")
        ax.axhline(0, color="black", lw=0.8)
        ax.errorbar(p.rel_time, p.estimate, yerr=[p.estimate - p.conf_low, p.conf_high - p.estimate],
                    fmt="o", color="#1f6f8b", capsize=3, label="estimate, 95% CI")
        ax.set_xlabel("Years relative to first engagement (-1 = reference)")
        ax.set_ylabel(f"Change in {label}")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="best")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


# -- a type of engagement --------------------------------------------------------------------------
def _type(scope: Scope, con: duckdb.DuckDBPyConnection, store: str | Path | None,
          registry: str | None) -> MeasureResult:
    from detente.methods import event_study, negbin

    design = ("event study / staggered difference-in-differences (two-way fixed effects, leads and lags -5..+5, "
              "clustered by state) of partner states against matched never-treated states of the same region")
    base = _base(scope, design, causal=True, sources=["ucdp_prio_acd", "cow_gw_crosswalk"])
    base.assumptions = [
        "parallel trends: without the engagement, treated and matched control states would have followed the "
        "same path (checked by the pre-trend test)",
        "no anticipation: hostilities do not change in the years before the first engagement because of it",
        "controls matched on region and conflict-years in the decade before treatment; other differences remain",
        "state-years outside the engagement record's coverage are left out, not coded untreated",
    ]
    base.caveats = [
        "Engagements are not assigned at random: partners chosen for their stability or their troubles bias the "
        "comparison in ways matching on conflict history only partly removes.",
        "Two-way fixed effects with staggered timing can mis-weight effects that change over time.",
    ]
    warn: list[str] = []
    parts = scope_participants(scope, registry, store, con=con)
    cov0, cov1, srcs = treatment_coverage(parts)
    base.sources.extend(srcs)
    sy = _state_outcomes(con)
    treated = treated_state_years(scope, registry, store, last_year=int(sy.year.max()), con=con,
                                  participants=parts)
    if treated.empty or cov0 is None:
        base.warnings.append(f"no engagements with host or partner states in the registry for {scope.label}")
        base.headline = f"No engagements found for {scope.label}: nothing to evaluate."
        base.causal = False
        return base
    first = first_treated_year(treated)
    cov1 = min(cov1 or int(sy.year.max()), int(sy.year.max()))
    # A first engagement in the record's first year may only be the first one recorded.
    left = first[first <= cov0]
    first = first[(first > cov0) & (first <= cov1)]
    if len(left):
        warn.append(f"{len(left)} partner state(s) engaged in the record's first year ({cov0}) left out: their "
                    "true first engagement may be earlier")
    if scope.region is not None:
        sy = sy[sy.region == scope.region]
        first = first[first.index.map(region_of) == scope.region]
    all_treated = set(treated.ccode)
    pool = sorted(set(sy.ccode) - all_treated)
    controls, match = _match_controls(sy, first, pool)
    if not controls:
        warn.append("no never-treated state to match in the treated states' regions: identification rests on "
                    "not-yet-treated states only")
    units = set(first.index) | set(controls)
    lo, hi = cov0 - MATCH_YEARS, cov1
    panel = sy[sy.ccode.isin(units) & sy.year.between(lo, hi)].copy()
    panel["first_year"] = panel.ccode.map(first).astype(float)
    if first.empty or panel.empty:
        base.warnings.append(f"no partner state with a first engagement inside the record's coverage for {scope.label}")
        base.headline = f"No usable treated states for {scope.label}."
        base.causal = False
        return base
    est: list[dict[str, Any]] = []
    paths: dict[str, pd.DataFrame] = {}
    pretrends: dict[str, Any] = {}
    for col, (label, src) in OUTCOMES.items():
        d = panel.dropna(subset=[col])
        d = d[d.ccode.isin(d.loc[d.first_year.notna(), "ccode"].unique()) | d.first_year.isna()]
        n_tr = d.loc[d.first_year.notna(), "ccode"].nunique()
        if n_tr == 0 or d[col].nunique() < 2:
            warn.append(f"{label}: no outcome data (or no variation) for treated states in coverage; not estimated")
            continue
        try:
            fit = event_study(d, outcome=col, unit="ccode", time="year", treated_at="first_year", window=WINDOW,
                              cluster="ccode")
        except (ModelError, AssertionError, ValueError) as exc:
            warn.append(f"{label}: event study not estimated ({exc})")
            continue
        warn.extend(f"{label}: {w}" for w in fit.warnings_)
        if src not in base.sources:
            base.sources.append(src)
        paths[label] = _es_path(fit)
        pretrends[col] = fit.pretrend_
        e, se, l95, h95, p = _post_average(fit)
        est.append(_row(f"average change in {label}, years 0..+5 after first engagement", e, se=se, low=l95,
                        high=h95, p=p, n=fit.n_, design="event study (TWFE), matched never-treated controls",
                        se_type=fit.se_type_))
        if n_tr < 5:
            warn.append(f"{label}: only {n_tr} treated state(s): the estimate is fragile")
    # Robustness: negative binomial of battle deaths on post-engagement years.
    nb_d = panel.dropna(subset=["battle_deaths"]).copy()
    # The count model uses the event-study window around each first engagement (controls: those years).
    near = nb_d.first_year.isna() | (nb_d.year - nb_d.first_year).between(WINDOW[0], WINDOW[1])
    span = first.min() + WINDOW[0], first.max() + WINDOW[1]
    nb_d = nb_d[near & nb_d.year.between(*span)]
    nb_d["post"] = (nb_d.first_year.notna() & (nb_d.year >= nb_d.first_year)).astype(int)
    nb_d["treated_group"] = nb_d.first_year.notna().astype(int)
    nb_d["decade"] = (nb_d.year // 10 * 10).astype(str)
    nb_d["battle_deaths"] = nb_d["battle_deaths"].astype(int)
    if nb_d.post.sum() > 0 and nb_d.battle_deaths.sum() > 0:
        try:
            with np.errstate(all="ignore"):
                nb = negbin("battle_deaths ~ post + treated_group + C(decade)", nb_d, cluster="ccode")
            warn.extend(f"negative binomial: {w}" for w in nb.warnings_)
            r = nb.tidy(exponentiate=True).set_index("term").loc["post"]
            est.append(_row("rate ratio of battle deaths, post-engagement years (negative binomial)",
                            float(r.estimate),
                            se=float(r.std_error), low=float(r.conf_low), high=float(r.conf_high), p=float(r.p_value),
                            n=nb.n_, design="negative binomial, treated-group and decade effects, clustered by state",
                            se_type=nb.se_type_))
            if "battle_deaths_country_year" not in base.sources:
                base.sources.append("battle_deaths_country_year")
        except ModelError as exc:
            warn.append(f"negative binomial not estimated: {exc}")
    base.estimates = pd.DataFrame(est)
    bal = {}
    if not match.empty:
        bal = {"treated_pre_conflict_years": float(match.pre_conflict_years.mean()),
               "controls_pre_conflict_years": float(match.controls_pre_conflict_years.mean())}
    base.diagnostics = {"pre_trend": pretrends, "balance_conflict_history": bal, "treated_states": len(first),
                        "control_states": len(controls), "years": [int(lo), int(hi)]}
    base.details = {f"event_study_{k}": v for k, v in paths.items()}
    base.details["matches"] = match
    # the count model's sample, so that its rate ratio can be refitted elsewhere (R's MASS::glm.nb)
    base.details["negbin_data"] = nb_d[["ccode", "year", "first_year", "battle_deaths", "post", "treated_group",
                                        "decade"]].reset_index(drop=True)
    main = pretrends.get("conflict") or {}
    if main.get("p_value") is not None and main["p_value"] < 0.05:
        base.causal = False
        warn.append("pre-trends fail for conflict incidence: read the result as descriptive")
    base.warnings = list(dict.fromkeys(warn))
    if paths:
        base.figure = _es_figure(paths, f"Hostilities around the first engagement: {scope.label}")
    base.headline = _type_headline(scope, est, main, base.causal, len(first), len(controls))
    return base


def _type_headline(scope: Scope, est: list[dict[str, Any]], pre: dict[str, Any], causal: bool, n_t: int,
                   n_c: int) -> str:
    if not est:
        return f"No estimate for {scope.label}: no outcome data in coverage (see warnings)."
    e = est[0]
    reading = "Causal under parallel trends" if causal else "Descriptive (association, not effect)"
    pre_txt = f"pre-trend test p = {pre['p_value']:.2g}" if pre.get("p_value") is not None else "no pre-trend test"
    return (f"{reading}: after a first {scope.label} engagement, {e['quantity'].split(',')[0].replace('average change in ', '')} "
            f"changed by {e['estimate']:+.3f} on average over years 0..+5 (95% CI {e['conf_low']:+.3f} to "
            f"{e['conf_high']:+.3f}) in {n_t} partner states against {n_c} matched never-treated states; {pre_txt}.")


# -- peacekeeping: HKS conflict-months ------------------------------------------------------------
def _hks(scope: Scope, con: duckdb.DuckDBPyConnection) -> MeasureResult:
    from detente.methods import event_study, negbin

    design = ("negative binomial of monthly civilian killings on UN troops (Hultman, Kathman & Shannon 2013), "
              "clustered by conflict; event study of conflict-years around the first UN deployment")
    base = _base(scope, design, causal=False, sources=["hultman_kathman_shannon_2013", "cow_gw_crosswalk"])
    base.assumptions = [
        "troop levels are conditionally independent of future violence given lagged violence, battle deaths, "
        "conflict type and duration and population (HKS's selection-on-observables design)",
        "the event study assumes parallel trends between conflicts that do and do not (yet) receive UN troops",
    ]
    base.caveats = [
        "UN troops deploy to the conflicts where violence is expected; the association is read as effect only under "
        "the stated assumptions, which HKS defend with lagged controls rather than a design.",
        "Covers intra-state conflicts in Africa 1991-2008 (HKS's sample).",
    ]
    warn: list[str] = []
    d = con.execute(f"select * from {HKS}").df()
    cw = con.execute("select gwcode, year, ccode from cow_gw_crosswalk.gw_cw_panel where gwcode is not null").df()
    d = d.merge(cw.rename(columns={"gwcode": "gwnoloc"}), on=["gwnoloc", "year"], how="left")
    if scope.partner is not None:
        d = d[d.ccode == scope.partner]
    if scope.region is not None:
        d = d[d.ccode.map(lambda c: region_of(int(c)) if pd.notna(c) else None) == scope.region]
    if d.empty or d.osv_all.notna().sum() == 0:
        base.warnings.append(f"no HKS conflict-months in scope ({scope.label}): no outcome data in coverage")
        base.headline = f"No outcome data for {scope.label}: HKS covers African civil conflicts 1991-2008."
        return base
    rhs = "troop_lag + police_lag + militaryobservers_lag + brv_all_lag + osv_all_lag_dum + incomp + epduration + lntpop"
    est: list[dict[str, Any]] = []
    try:
        with np.errstate(all="ignore"):
            nb = negbin(f"osv_all ~ {rhs}", d, cluster="conflict_id")
        warn.extend(f"negative binomial: {w}" for w in nb.warnings_)
        t = nb.tidy(exponentiate=True).set_index("term")
        for term, label in (("troop_lag", "UN troops (per unit of troop_lag)"),
                            ("police_lag", "UN police"), ("militaryobservers_lag", "UN military observers")):
            r = t.loc[term]
            est.append(_row(f"rate ratio of civilian killings per month, {label}", float(r.estimate),
                            se=float(r.std_error), low=float(r.conf_low), high=float(r.conf_high), p=float(r.p_value),
                            n=nb.n_, design="negative binomial (MASS::glm.nb), clustered by conflict",
                            se_type=nb.se_type_))
        base.diagnostics["negbin_terms"] = nb.tidy(exponentiate=True)
        base.diagnostics["theta"] = nb.glance().get("theta")
    except ModelError as exc:
        warn.append(f"negative binomial not estimated: {exc}")
    # Event study on conflict-years: first year UN troops are present.
    cy = d.groupby(["conflict_id", "year"], as_index=False).agg(osv=("osv_all", "sum"), pko=("pkodum", "max"))
    cy["log_osv"] = np.log1p(cy["osv"])
    first = cy[cy.pko == 1].groupby("conflict_id").year.min()
    cy["first_year"] = cy.conflict_id.map(first).astype(float)
    paths = {}
    if first.empty or (cy.first_year.notna().all() and len(first) < 2):
        warn.append("too few conflicts with UN troops for an event study")
    else:
        try:
            es = event_study(cy, outcome="log_osv", unit="conflict_id", time="year", treated_at="first_year",
                             window=WINDOW, cluster="conflict_id")
            warn.extend(f"event study: {w}" for w in es.warnings_)
            paths["log(1 + civilian killings) per conflict-year"] = _es_path(es)
            e, se, lo, hi, p = _post_average(es)
            est.append(_row("average change in log(1 + civilian killings), years 0..+5 after UN troops arrive", e,
                            se=se, low=lo, high=hi, p=p, n=es.n_, design="event study (TWFE), conflict-years",
                            se_type=es.se_type_))
            base.diagnostics["pre_trend"] = es.pretrend_
        except (ModelError, AssertionError, ValueError) as exc:
            warn.append(f"event study not estimated: {exc}")
    base.estimates = pd.DataFrame(est)
    base.details = {f"event_study_{k}": v for k, v in paths.items()}
    base.warnings = list(dict.fromkeys(warn))
    if paths:
        base.figure = _es_figure(paths, "Civilian killings around the first UN troop deployment (HKS conflicts)")
    if est and est[0]["quantity"].startswith("rate ratio"):
        r = est[0]
        base.headline = (
            f"Descriptive (association under HKS's controls, not a design-based effect): each unit of UN troops "
            f"(troop_lag) goes with {r['estimate']:.3f} times the monthly civilian killings (95% CI "
            f"{r['conf_low']:.3f}-{r['conf_high']:.3f}, p = {r['p_value']:.2g}) in {d.conflict_id.nunique()} "
            f"conflicts (HKS 2013 conflict-months), negative binomial clustered by conflict.")
    else:
        base.headline = f"No estimate for {scope.label} (see warnings)."
    return base


# -- one engagement: synthetic control ------------------------------------------------------------
def _single(scope: Scope, con: duckdb.DuckDBPyConnection, store: str | Path | None,
            registry: str | None) -> MeasureResult:
    from detente.metrics._synthetic_control import synthetic_control

    design = ("synthetic control of the host's yearly log(1 + battle deaths) from donor states of its region "
              "without engagements of this type; placebo-in-space inference")
    base = _base(scope, design, causal=False, sources=["battle_deaths_country_year", "ucdp_prio_acd",
                                                       "cow_gw_crosswalk"])
    base.assumptions = [
        "the weighted donors reproduce what the host's hostilities would have been without the engagement "
        "(credible only when the pre-period fit is close)",
        "donors are not affected by the engagement (no spill-over)",
    ]
    base.caveats = ["A single case: the placebo p-value is the share of donors with as large a post/pre "
                    "misfit ratio, not a sampling-based test."]
    parts = scope_participants(scope, registry, store, con=con)
    _, _, srcs = treatment_coverage(parts)
    base.sources.extend(srcs)
    hosts = parts[parts.role.isin(("host", "partner")) & parts.start.notna()]
    if hosts.empty:
        base.warnings.append(f"engagement {scope.engagement} has no dated host or partner state: no outcome data")
        base.headline = f"No outcome data for {scope.label}."
        return base
    h = hosts.iloc[0]
    etype = str(h.type)
    g = int(h.start.year)
    sy = _state_outcomes(con).dropna(subset=["battle_deaths"])
    y0, y1 = int(sy.year.min()), int(sy.year.max())
    pre0, post1 = g - 10, min(g + 9, y1)
    if pre0 < y0 or g > y1:
        base.warnings.append(f"no outcome data: battle deaths cover {y0}-{y1}; the engagement starts in {g} and the "
                             f"design needs 10 pre-period years")
        base.headline = f"No outcome data in coverage for {scope.label}."
        return base
    engaged = set(treated_state_years(Scope(type=etype), registry, store, con=con).ccode)
    reg = region_of(int(h.ccode))
    win = sy[sy.year.between(pre0, post1)]
    wide = win.pivot_table(index="year", columns="ccode", values="log_battle_deaths")
    wide = wide.dropna(axis=1)
    if int(h.ccode) not in wide.columns:
        base.warnings.append(f"no outcome data for host {h.ccode} over {pre0}-{post1}")
        base.headline = f"No outcome data in coverage for {scope.label}."
        return base
    donors = [c for c in wide.columns if c != h.ccode and c not in engaged and region_of(int(c)) == reg]
    if len(donors) < 5:
        donors = [c for c in wide.columns if c != h.ccode and c not in engaged]
        base.caveats.append("Fewer than 5 donors in the host's region: donors from every region.")
    if len(donors) < 2:
        base.warnings.append("too few donor states without engagements of this type")
        base.headline = f"No synthetic control for {scope.label}: too few donors."
        return base
    sc = synthetic_control(wide[[int(h.ccode), *donors]], int(h.ccode), g)
    base.warnings.extend(sc.notes)
    pre_y = sc.path[sc.path.year < g].actual
    if pre_y.abs().sum() == 0 and sc.path.actual.abs().sum() == 0:
        base.warnings.append(f"host {h.ccode} has no battle deaths in {pre0}-{post1}: there were no hostilities "
                             "to reduce")
    poor = sc.pre_rmspe > max(0.5 * float(pre_y.std(ddof=0)), 0.25)
    if poor:
        base.warnings.append(f"poor pre-period fit (RMSPE {sc.pre_rmspe:.2f} on the log scale): the synthetic host "
                             "does not track the actual one before the engagement; do not read the gap as an effect")
    est = [
        _row("average gap, actual - synthetic log(1 + battle deaths), post-period", sc.effect, p=sc.p_value,
             n=len(donors) + 1, design="synthetic control, placebo-in-space p-value", se_type="placebo rank"),
        _row("pre-period RMSPE (log scale)", sc.pre_rmspe, n=int((sc.path.year < g).sum()), design="fit diagnostic"),
        _row("post/pre RMSPE ratio", sc.post_rmspe / sc.pre_rmspe if sc.pre_rmspe > 0 else np.nan,
             p=sc.p_value, n=len(donors) + 1, design="placebo-in-space"),
    ]
    base.estimates = pd.DataFrame(est)
    base.diagnostics = {"pre_rmspe": sc.pre_rmspe, "post_rmspe": sc.post_rmspe, "placebo_p_value": sc.p_value,
                        "pre_fit_poor": bool(poor), "donors": len(donors), "window": [pre0, post1]}
    base.details = {"path": sc.path, "weights": sc.weights.rename("weight").rename_axis("ccode").reset_index(),
                    "placebos": sc.placebo}
    base.figure = _synth_figure(sc.path, g, f"{scope.engagement}: host {h.ccode}, actual vs synthetic")
    fit_txt = "poor pre-period fit, not interpretable" if poor else f"pre-period RMSPE {sc.pre_rmspe:.2f}"
    base.headline = (f"Descriptive single case: after {scope.engagement} began ({g}), host {h.ccode}'s log battle "
                     f"deaths were {sc.effect:+.2f} against its synthetic control on average (placebo p = "
                     f"{sc.p_value:.2f}; {fit_txt}; {len(donors)} donors).")
    return base


def _synth_figure(path: pd.DataFrame, g: int, title: str) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.4))
    ax = fig.subplots()
    ax.axvspan(path.year.min() - 0.5, g - 0.5, color="#bbbbbb", alpha=0.3, label="pre-period")
    ax.plot(path.year, path.actual, "-o", color="#c0392b", label="actual host")
    ax.plot(path.year, path.synthetic, "--s", color="#1f6f8b", label="synthetic control")
    ax.axvline(g - 0.5, color="black", lw=0.8)
    ax.set_xlabel("Year")
    ax.set_ylabel("log(1 + battle deaths)")
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig

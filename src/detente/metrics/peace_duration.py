"""M1 ``peace_duration``: does peace last longer after the engagement?

Three designs, chosen by the scope:

- **Peacekeeping (no contributor given)** — Fortna's cease-fire spells after civil wars
  (1947–1999, followed to 2004): Kaplan–Meier curves by current peacekeeping status with the
  log-rank test, a Cox model on the counting-process rows (delayed entry, time-varying
  ``pk_dum``, Efron ties, standard errors clustered by conflict) with Fortna's controls, the
  proportional-hazards test, restricted mean survival time at 2 and 5 years and a discrete-time
  hazard logit as a check. The Regression and Other Stories shares are in ``details``.
- **Any other type (or a contributor)** — post-conflict peace spells of states built from the
  UCDP/PRIO Armed Conflict Dataset, with the registry's engagements as a time-varying treatment:
  a discrete-time hazard logit with cubic time and standard errors clustered by state, and
  Kaplan–Meier curves of spells with and without an engagement in their first year.
- **One engagement** — the host's peace spell after the engagement against comparable spells
  (same region, same decade): descriptive.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.exceptions import ModelError
from detente.metrics._survival_data import (
    FORTNA_CONTROLS,
    acd_state_years,
    fortna_rows,
    fortna_spell_years,
    peace_spells,
    ros_shares,
)
from detente.metrics._treatment import (
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

__all__ = ["peace_duration"]

QUESTION = "Does peace last longer after the engagement?"
#: Fewest events for a survival model to be reported without a warning.
MIN_EVENTS = 10
HORIZONS = (2.0, 5.0)
#: Years since the cease-fire kept in the discrete-time check on Fortna's spells.
DISCRETE_CAP = 20
ACD_SOURCES = ["ucdp_prio_acd", "cow_gw_crosswalk"]


def peace_duration(
    scope: Scope, *, store: str | Path | None = None, registry: str | None = None
) -> MeasureResult:
    """Duration of peace after the engagement (M1).

    Parameters
    ----------
    scope : Scope
        One engagement, or a type narrowed by contributor, partner and region.
    store : path, optional
        The analytic store (default: the configured store).
    registry : str, optional
        Registry URL (default: the configured registry).

    Returns
    -------
    MeasureResult
        Hazard ratio (or odds ratio of the discrete-time hazard), survival at 2 and 5 years,
        RMST differences; KM curves as the figure.

    Examples
    --------
    >>> from detente.metrics import Scope
    >>> res = peace_duration(Scope(type="peacekeeping"))  # doctest: +SKIP
    >>> res.details["ros_shares"]  # doctest: +SKIP
    """
    return run_state_measure(scope, store, registry, single=_single, peacekeeping=_fortna, by_type=_acd_type)


# -- shared pieces ------------------------------------------------------------------------------
def _km_rows(fit: Any, labels: dict[str, str], design: str) -> list[dict[str, Any]]:
    rows = []
    tab = fit.table_
    for h in HORIZONS:
        for key, name in labels.items():
            t = tab[tab.group == key]
            if t.empty:
                continue
            i = np.searchsorted(t.time.to_numpy(), h, side="right")
            if i == 0:
                s, lo, hi = 1.0, np.nan, np.nan
            else:
                r = t.iloc[i - 1]
                s, lo, hi = float(r.survival), float(r.conf_low), float(r.conf_high)
            if t.time.max() < h:
                s = lo = hi = np.nan  # not followed that long: unknown, not the last value
            rows.append(_row(f"share at peace after {h:g} years, {name}", s, low=lo, high=hi,
                             n=fit.groups_.get(key, {}).get("n"), design=design, se_type="Greenwood, log CI"))
    return rows


def _rmst_rows(data: pd.DataFrame, group: str, entry: str | None, duration: str, event: str,
               design: str, warn: list[str]) -> list[dict[str, Any]]:
    from detente.methods import rmst

    rows = []
    for tau in HORIZONS:
        try:
            r = rmst(group, data, duration=duration, event=event, entry=entry, tau=tau)
        except ModelError as exc:
            warn.append(f"RMST at {tau:g} years not computed: {exc}")
            continue
        warn.extend(w for w in r.warnings_ if w not in warn)
        diff = r.table_[r.table_["term"].str.contains(" - ")]
        if diff.empty:
            continue
        d = diff.iloc[0]
        rows.append(_row(f"RMST difference to {tau:g} years (engaged - not), years", float(d.estimate),
                         se=float(d.std_error), low=float(d.conf_low), high=float(d.conf_high),
                         p=float(d.p_value), n=r.n_, design=design, se_type=str(d.se_type)))
    return rows


def _km_figure(fit: Any, labels: dict[str, str], title: str, xlabel: str, marker: tuple[float, bool] | None = None
               ) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.6))
    ax = fig.subplots()
    colours = ["#1f6f8b", "#c0392b", "#7f8c8d"]
    for (key, name), colour in zip(labels.items(), colours, strict=False):
        t = fit.table_[fit.table_.group == key]
        if t.empty:
            continue
        x = np.concatenate([[0.0], t.time.to_numpy()])
        y = np.concatenate([[1.0], t.survival.to_numpy()])
        lo = np.concatenate([[1.0], t.conf_low.fillna(0).to_numpy()])
        hi = np.concatenate([[1.0], t.conf_high.fillna(1).to_numpy()])
        n = fit.groups_.get(key, {}).get("n")
        ax.step(x, y, where="post", color=colour, lw=2, label=f"{name} (n = {n})")
        ax.fill_between(x, lo, hi, step="post", color=colour, alpha=0.15)
    if marker is not None:
        dur, failed = marker
        ax.axvline(dur, color="black", ls="--", lw=1)
        ax.annotate("host's spell: " + ("conflict returned" if failed else "still at peace (censored)"),
                    (dur, 0.95), xytext=(5, 0), textcoords="offset points", fontsize=8, va="top")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Share still at peace (Kaplan-Meier)")
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig


# -- peacekeeping: Fortna's spells --------------------------------------------------------------
def _fortna(scope: Scope, con: duckdb.DuckDBPyConnection) -> MeasureResult:
    from detente.methods import cox, cox_zph, discrete_hazard, km

    warn: list[str] = []
    rows = fortna_rows(con)
    if scope.partner is not None:
        rows = rows[rows.ccode == scope.partner]
    if scope.region is not None:
        rows = rows[rows.ccode.map(region_of) == scope.region]
    design = "Cox PH, counting process (delayed entry, time-varying peacekeeping), Efron ties, clustered by conflict"
    base = _base_result(scope, design, causal=True, sources=["fortna_peacekeeping_duration"])
    base.assumptions = [
        "no unmeasured confounding once victory, treaty, identity war and war deaths are held fixed",
        "peacekeepers go to the harder cases (Fortna): selection on difficulty biases the estimate "
        "towards no effect, so the effect of peacekeeping is if anything understated",
        "non-informative censoring at the end of 2004 follow-up",
        "proportional hazards (tested below)",
    ]
    base.caveats = [
        "Civil-war cease-fires 1947-1999 only (Fortna's data); it says nothing about inter-state peace.",
        "Peacekeeping status is time-varying: a spell counts as peacekept only while a mission is present.",
    ]
    n_events = int(rows.event.sum())
    if rows.empty or n_events == 0:
        base.warnings.append("no cease-fire spells with a return to war in this scope: nothing to estimate")
        base.headline = f"No outcome data for {scope.label}: Fortna's spells have no return to war in this scope."
        return base
    if n_events < MIN_EVENTS:
        warn.append(f"only {n_events} returns to war in this scope: estimates are very uncertain")
    if rows.pk_dum.nunique() < 2:
        base.warnings.append("every spell in this scope has the same peacekeeping status: no comparison possible")
        base.headline = f"No comparison for {scope.label}: all spells share one peacekeeping status."
        return base
    labels = {"pk_dum=1": "peacekeepers present", "pk_dum=0": "no peacekeepers"}
    fit_km = km("pk_dum", rows, entry="start", duration="stop", event="event")
    warn.extend(fit_km.warnings_)
    est = _km_rows(fit_km, labels, "Kaplan-Meier by current peacekeeping status (delayed entry)")
    lr = fit_km.logrank_ or {}
    est.append(_row("log-rank chi-square (peacekeepers vs not)", float(lr.get("statistic", np.nan)),
                    p=float(lr.get("p_value", np.nan)), n=fit_km.n_, design="log-rank test", se_type=""))
    rhs = "pk_dum + " + " + ".join(FORTNA_CONTROLS)
    fit = cox(rhs, rows, entry="start", duration="stop", event="event", cluster="cluster")
    warn.extend(fit.warnings_)
    t = fit.tidy(exponentiate=True).set_index("term")
    hr = t.loc["pk_dum"]
    est.insert(0, _row("hazard ratio of renewed war, peacekeepers present", float(hr.estimate),
                       se=float(hr.std_error), low=float(hr.conf_low), high=float(hr.conf_high),
                       p=float(hr.p_value), n=fit.n_, design=design, se_type=fit.se_type_))
    ph = cox_zph(fit).tidy()
    ph_p = ph.set_index("term")["p_value"]
    est.extend(_rmst_rows(rows, "pk_dum", "start", "stop", "event", "RMST, KM by current status", warn))
    # Cubic time extrapolates wildly over the few spells followed 20-42 years (no events there),
    # which separates the logit; the check uses the first 20 years, where nearly all events are.
    sy = fortna_spell_years(rows)
    sy = sy[sy.t <= DISCRETE_CAP]
    dh = None
    try:
        dh = discrete_hazard("event ~ " + rhs, sy, time="t", cluster="cluster")
        warn.extend(dh.warnings_)
        o = dh.tidy(exponentiate=True).set_index("term").loc["pk_dum"]
        est.append(_row("odds ratio of renewed war per year, peacekeepers (discrete-time check)", float(o.estimate),
                        se=float(o.std_error), low=float(o.conf_low), high=float(o.conf_high), p=float(o.p_value),
                        n=dh.n_, design=f"discrete-time hazard logit, cubic time, first {DISCRETE_CAP} years, "
                        "clustered by conflict",
                        se_type=dh.se_type_))
    except ModelError as exc:
        warn.append(f"discrete-time hazard logit not estimated: {exc}")
    if float(ph_p.get("pk_dum", 1.0)) < 0.05:
        warn.append("proportional-hazards test rejects for peacekeeping (p < 0.05): the hazard ratio is an average "
                    "over time; read the RMST differences and KM curves")
    base.estimates = pd.DataFrame(est)
    base.diagnostics = {
        "proportional_hazards": ph,
        "logrank": {k: v for k, v in lr.items() if k in ("statistic", "df", "p_value")},
        "n_rows": fit.n_, "events": fit.events_, "clusters": fit.clusters_,
        "cox_terms": fit.tidy(exponentiate=True),
    }
    if dh is not None:
        base.diagnostics["discrete_hazard_terms"] = dh.tidy(exponentiate=True)
    base.details = {"survival_table": fit_km.table_, "ros_shares": ros_shares(con)}
    base.warnings = list(dict.fromkeys(warn))
    lo, hi = float(hr.conf_low), float(hr.conf_high)
    direction = "lower" if hr.estimate < 1 else "higher"
    base.headline = (
        f"Causal under stated assumptions (selection on observables): with peacekeepers present the hazard of renewed "
        f"war is {hr.estimate:.2f} times that without (95% CI {lo:.2f}-{hi:.2f}, p = {hr.p_value:.3g}), i.e. "
        f"{abs(1 - hr.estimate):.0%} {direction}"
        + ("" if (hi < 1 or lo > 1) else " but not distinguishable from no difference at the 5% level")
        + f"; Cox model on Fortna's {fit.clusters_} conflicts "
        f"({fit.events_} returns to war), controlling for victory, treaty, identity war and deaths. "
        f"Peacekeepers go to harder cases, so this likely understates their effect."
    )
    base.figure = _km_figure(fit_km, labels, "Peace after civil-war cease-fires, by peacekeeping (Fortna)",
                             "Years since the cease-fire")
    return base


def _base_result(scope: Scope, design: str, *, causal: bool, sources: list[str]) -> MeasureResult:
    return MeasureResult(measure="peace_duration", question=QUESTION, scope=scope.as_dict(),
                         estimates=pd.DataFrame(), design=design, causal=causal, sources=list(sources))


# -- other types: ACD peace spells with the registry as treatment ------------------------------
def _engaged(spells: pd.DataFrame, treated: pd.DataFrame) -> pd.DataFrame:
    """Mark spell-years after an engagement: ``engaged`` = an engagement year in
    [spell start - 1, year - 1] (lagged, so an engagement that follows renewed fighting within a
    year is not credited); ``engaged_first`` = an engagement in the spell's first year or the
    last conflict year."""
    years = treated.groupby("ccode")["year"].apply(lambda s: np.unique(s.to_numpy())).to_dict()
    eng = np.zeros(len(spells), dtype=int)
    first = np.zeros(len(spells), dtype=int)
    cc = spells["ccode"].to_numpy()
    yr = spells["year"].to_numpy()
    st = spells["spell_start"].to_numpy()
    for i in range(len(spells)):
        c = cc[i]
        if pd.isna(c) or int(c) not in years:
            continue
        ys = years[int(c)]
        eng[i] = int(((ys >= st[i] - 1) & (ys <= yr[i] - 1)).any())
        first[i] = int(((ys >= st[i] - 1) & (ys <= st[i])).any())
    return spells.assign(engaged=eng, engaged_first=first)


def _acd_type(scope: Scope, con: duckdb.DuckDBPyConnection, store: str | Path | None,
              registry: str | None) -> MeasureResult:
    from detente.methods import discrete_hazard, km

    design = ("discrete-time hazard logit of renewed armed conflict on post-conflict peace spell-years (UCDP/PRIO "
              "ACD), engagement as lagged time-varying treatment, cubic time, clustered by state")
    base = _base_result(scope, design, causal=False, sources=list(ACD_SOURCES))
    warn: list[str] = []
    sy = acd_state_years(con)
    spells = peace_spells(sy)
    acd_last = int(sy["year"].max())
    parts = scope_participants(scope, registry, store, con=con)
    treated = treated_state_years(scope, registry, store, last_year=acd_last, con=con, participants=parts)
    first, last, srcs = treatment_coverage(parts)
    base.sources.extend(srcs)
    base.assumptions = [
        "association only: states receiving engagements differ from others in ways the model does not hold fixed",
        "engagement coded from the registry; state-years outside its sources' coverage are left out, not coded 0",
        "conflict = a UCDP/PRIO armed conflict (25+ battle deaths) with the state as a primary party",
    ]
    base.caveats = [
        "Descriptive: a lower hazard after engagements is not evidence that the engagements caused the peace.",
        "Annual data: a conflict that ends and restarts within a year is not a peace spell.",
    ]
    if treated.empty:
        base.warnings.append(f"no engagements with host or partner states in the registry for {scope.label}")
        base.headline = f"No engagements found for {scope.label}: nothing to evaluate."
        return base
    if first is not None:
        spells = spells[(spells.year >= first) & (spells.year <= (last or acd_last))]
        base.caveats.append(f"Spell-years restricted to {first}-{min(last or acd_last, acd_last)}, the years the "
                            "engagement record covers.")
    if scope.region is not None:
        spells = spells[spells.region == scope.region]
    spells = _engaged(spells, treated)
    if spells.empty or spells.event.sum() == 0:
        base.warnings.append("no post-conflict peace spells with renewed conflict in coverage: no outcome data")
        base.headline = f"No outcome data in coverage for {scope.label}."
        return base
    n_eng = int(spells.loc[spells.engaged == 1, "spell_id"].nunique())
    ev_eng = int(spells.loc[spells.engaged == 1, "event"].sum())
    if n_eng == 0:
        base.warnings.append("no post-conflict peace spell received an engagement in coverage: no comparison")
        base.headline = f"No engaged peace spells for {scope.label}: no comparison possible."
        return base
    if ev_eng < MIN_EVENTS:
        warn.append(f"only {ev_eng} renewed conflicts in engaged spell-years: estimates are very uncertain")
    spells = spells.assign(cold_war=(spells.year < 1990).astype(int), region=spells.region.fillna("other"))
    rhs = "engaged + prior_conflict_years + prior_war"
    if spells.cold_war.nunique() > 1:
        rhs += " + cold_war"
    if spells.region.nunique() > 1:
        rhs += " + C(region)"
    est: list[dict[str, Any]] = []
    dh = None
    try:
        dh = discrete_hazard(f"event ~ {rhs}", spells, time="t", cluster="gwcode")
        warn.extend(dh.warnings_)
        if not dh.converged_:
            warn.append("the discrete-time hazard logit did not converge")
        o = dh.tidy(exponentiate=True).set_index("term").loc["engaged"]
        est.append(_row("odds ratio of renewed conflict per year, after engagement", float(o.estimate),
                        se=float(o.std_error), low=float(o.conf_low), high=float(o.conf_high), p=float(o.p_value),
                        n=dh.n_, design="discrete-time hazard logit, cubic time, clustered by state",
                        se_type=dh.se_type_))
    except ModelError as exc:
        warn.append(f"discrete-time hazard logit not estimated: {exc}")
    level = spells.groupby("spell_id").agg(duration=("t", "max"), event=("event", "max"),
                                          engaged_first=("engaged_first", "first"), gwcode=("gwcode", "first"))
    labels = {"engaged_first=1": "engagement in the spell's first year", "engaged_first=0": "no engagement then"}
    fit_km = None
    if level.engaged_first.nunique() > 1:
        fit_km = km("engaged_first", level, duration="duration", event="event")
        warn.extend(fit_km.warnings_)
        est.extend(_km_rows(fit_km, labels, "Kaplan-Meier of peace spells by engagement in the first year"))
        lr = fit_km.logrank_ or {}
        est.append(_row("log-rank chi-square (engaged first year vs not)", float(lr.get("statistic", np.nan)),
                        p=float(lr.get("p_value", np.nan)), n=fit_km.n_, design="log-rank test"))
        est.extend(_rmst_rows(level.reset_index(), "engaged_first", None, "duration", "event",
                              "RMST of peace spells by engagement in the first year", warn))
    else:
        warn.append("no peace spell had an engagement in its first year: no Kaplan-Meier comparison")
    base.estimates = pd.DataFrame(est)
    base.diagnostics = {"spell_years": len(spells), "spells": int(spells.spell_id.nunique()),
                        "engaged_spells": n_eng, "renewed_conflicts": int(spells.event.sum()),
                        "renewed_conflicts_engaged": ev_eng, "states": int(spells.gwcode.nunique())}
    if dh is not None:
        base.diagnostics["discrete_hazard_terms"] = dh.tidy(exponentiate=True)
        base.diagnostics["clusters"] = dh.clusters_
    base.details = {"spells": level.reset_index()}
    if fit_km is not None:
        base.details["survival_table"] = fit_km.table_
        base.figure = _km_figure(fit_km, labels, f"Post-conflict peace spells, {scope.label}",
                                 "Years since the conflict ended (UCDP/PRIO ACD)")
    base.warnings = list(dict.fromkeys(warn))
    if est and est[0]["quantity"].startswith("odds ratio"):
        o = est[0]
        base.headline = (
            f"Descriptive (association, not effect): in post-conflict peace spells after {scope.label} engagements "
            f"the yearly odds of renewed armed conflict are {o['estimate']:.2f} times those without "
            f"(95% CI {o['conf_low']:.2f}-{o['conf_high']:.2f}, p = {o['p_value']:.3g}); discrete-time hazard on "
            f"{base.diagnostics['spells']} UCDP/PRIO spells ({n_eng} engaged), clustered by state."
        )
    else:
        base.headline = f"Descriptive only for {scope.label}: the hazard model could not be estimated (see warnings)."
    return base


# -- one engagement -----------------------------------------------------------------------------
def _single(scope: Scope, con: duckdb.DuckDBPyConnection, store: str | Path | None,
            registry: str | None) -> MeasureResult:
    from detente.methods import km

    design = "the host's post-conflict peace spell against comparable spells (same region, same decade)"
    base = _base_result(scope, design, causal=False, sources=list(ACD_SOURCES))
    base.assumptions = ["comparison only: spells in the same region and decade are a reference, not a counterfactual"]
    base.caveats = ["Descriptive: one spell cannot show that the engagement caused the peace to last or fail."]
    parts = scope_participants(scope, registry, store, con=con)
    _, _, srcs = treatment_coverage(parts)
    base.sources.extend(srcs)
    hosts = parts[parts.role.isin(("host", "partner")) & parts.start.notna()]
    if hosts.empty:
        base.warnings.append(f"engagement {scope.engagement} has no host or partner state with a start date: "
                             "no outcome data can be attached to it")
        base.headline = f"No outcome data for {scope.label}: it has no dated host or partner state."
        return base
    sy = acd_state_years(con)
    acd_last = int(sy.year.max())
    spells = peace_spells(sy)
    level = spells.groupby("spell_id").agg(ccode=("ccode", "first"), region=("region", "first"),
                                          start=("spell_start", "first"), duration=("t", "max"),
                                          event=("event", "max")).reset_index()
    rows, found = [], []
    for h in hosts.drop_duplicates("ccode").itertuples(index=False):
        y0 = int(h.start.year)
        y1 = int(h.end.year) if pd.notna(h.end) else acd_last
        own = level[(level.ccode == h.ccode) & (level.start + level.duration - 1 >= y0) & (level.start <= y1 + 1)]
        if y0 > acd_last or own.empty:
            base.warnings.append(
                f"no outcome data: host {h.ccode} has no post-conflict peace spell in UCDP/PRIO ACD coverage "
                f"(1946-{acd_last}) during or right after the engagement ({y0}-{y1})")
            continue
        sp = own.sort_values("start").iloc[0]
        found.append(sp)
        decade = int(sp.start) // 10 * 10
        comp = level[(level.region == sp.region) & (level.start // 10 * 10 == decade)
                     & (level.spell_id != sp.spell_id)]
        rows.append((h, sp, comp, decade))
    if not rows:
        base.headline = f"No outcome data for {scope.label}: no post-conflict peace spell of its host in coverage."
        return base
    est = []
    h, sp, comp, decade = rows[0]
    est.append(_row(f"host {h.ccode}: years of peace in the spell starting {int(sp.start)}", float(sp.duration),
                    n=1, design="observed spell" + (" (conflict returned)" if sp.event else " (censored: still at peace)")))
    fit = None
    if len(comp) >= 5 and comp.event.sum() > 0:
        comp = comp.assign(group="comparable")
        fit = km("1", comp, duration="duration", event="event")
        tab = fit.table_
        i = np.searchsorted(tab.time.to_numpy(), float(sp.duration), side="right")
        share = 1.0 if i == 0 else float(tab.survival.iloc[i - 1])
        est.append(_row("share of comparable spells lasting at least as long", share, n=len(comp),
                        design=f"Kaplan-Meier of {sp.region} spells starting in the {decade}s",
                        se_type="Greenwood, log CI"))
        med = fit.medians_.get("all")
        est.append(_row("median peace of comparable spells, years", np.nan if med is None else float(med),
                        n=len(comp), design="Kaplan-Meier median"))
        base.figure = _km_figure(fit, {"all": f"comparable spells ({sp.region}, {decade}s)"},
                                 f"Peace after {scope.engagement}: host {h.ccode} against comparable spells",
                                 "Years since the conflict ended (UCDP/PRIO ACD)",
                                 marker=(float(sp.duration), bool(sp.event)))
        base.details["survival_table"] = tab
    else:
        base.warnings.append(f"too few comparable spells ({len(comp)}) in {sp.region} in the {decade}s for a reference")
    if len(rows) > 1:
        base.caveats.append(f"The engagement has {len(rows)} hosts with spells; the first ({h.ccode}) is compared.")
    base.estimates = pd.DataFrame(est)
    base.details["host_spells"] = pd.DataFrame([r[1] for r in rows])
    state = "conflict returned after" if sp.event else "still at peace after"
    tail = ""
    if len(est) > 1 and not np.isnan(est[1]["estimate"]):
        tail = f"; {est[1]['estimate']:.0%} of comparable spells ({sp.region}, {decade}s) lasted at least as long"
    base.headline = (f"Descriptive: host {h.ccode}'s peace spell starting {int(sp.start)} — {state} "
                     f"{int(sp.duration)} year(s){tail}. Not evidence of an effect.")
    return base

"""M7 — long-term impact: do alignment and ties persist 5 and 10 years after the engagement?

For a type of engagement each treated contributor–partner dyad (first engaged in year t0) is
compared with up to three matched dyads: the same contributor with partners of the same CoW region,
not engaged by it before t0 + 10, nearest in UN ideal-point distance in t0 - 1 (and with the same
alliance status then, where possible). Changes from t0 - 1 to t0 + 5 and t0 + 10 are compared:

- alliance (ATOP: any defence, offence, neutrality, non-aggression or consultation pledge);
- UN General Assembly ideal-point distance (negative change = convergence);
- IGOs in which both are full members (CoW IGO).

A placebo repeats the comparison on pre-period years (t0 - h - 1 to t0 - 1), where the engagement
can have had no effect. Spill-over: armed conflict (UCDP/PRIO ACD) located in the partner's
directly contiguous neighbours (CoW contiguity in t0), five years before against five years after.

For one engagement the same quantities are given for its dyads, descriptively. Years beyond a
dataset's coverage (ATOP 2018, IGO 2014, ideal points 2024) are missing and the result says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.metrics._dyad_treatment import (
    Treatment,
    comparison_pool,
    coverage,
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

__all__ = ["long_term"]

HORIZONS = (5, 10)
#: Relative years loaded around the first engagement (the 10-year placebo needs t0 - 11).
REL_YEARS = range(-11, 11)
K_CONTROLS = 3
#: Fewest dyads with data for a comparison to be reported without a warning.
MIN_DYADS = 5
SPILL_SPAN = 5
OUTCOMES = {
    "alliance": ("ally", "alliance (share of dyads allied, ATOP)", "share allied"),
    "ideal_points": ("dist", "UN ideal-point distance", "ideal-point distance"),
    "igo": ("igo", "shared IGO full memberships", "shared IGOs"),
}
SOURCES = ["atop_alliance", "unga_ideal_points", "cow_igo", "cow_contiguity", "ucdp_prio_acd",
           "cow_gw_crosswalk", "cow_state_system"]
QUESTION = "Do alignment and ties between contributor and partner persist 5 and 10 years after the engagement?"
COVERAGE_CAVEAT = (
    "Coverage ends differ: ATOP alliances end in 2018, CoW IGO memberships in 2014, UN ideal points in "
    "2024, UCDP conflicts in 2024; a horizon past a dataset's end is missing, never zero."
)


def long_term(scope: Scope, *, store: Any = None, registry: Any = None) -> MeasureResult:
    """Long-term alignment, ties and regional spill-over after engagement (M7).

    Parameters
    ----------
    scope : Scope
        A type of engagement narrowed by contributor, partner and region (engaged against
        matched dyads, with a placebo), or one engagement (its dyads, descriptively).
    store, registry : optional
        The analytic store (path or open DuckDB connection) and the registry (URL or open
        registry); the configured ones when None.

    Returns
    -------
    MeasureResult
        Changes at 5 and 10 years in alliance, ideal-point distance and shared IGOs, against
        matched dyads and in the placebo years, and the neighbours' conflict before and after.

    Examples
    --------
    >>> from detente.metrics import Scope
    >>> res = long_term(Scope(type="forward_presence", contributor=2))  # doctest: +SKIP
    >>> res.tidy()[["quantity", "estimate", "n"]]  # doctest: +SKIP
    """
    return run_dyad_measure(scope, store, registry, single=_single, panel=_panel)


# ---------------------------------------------------------------- data


def dyad_outcomes(con: duckdb.DuckDBPyConnection, request: pd.DataFrame) -> pd.DataFrame:
    """Alliance, ideal-point distance and shared IGOs for requested (c, p, year) rows.

    Parameters
    ----------
    con : duckdb connection
    request : DataFrame
        Columns ``c, p, year`` (CoW codes).

    Returns
    -------
    DataFrame
        ``request`` with ``ally`` (0/1: any ATOP pledge; a dyad-year absent from ATOP within its
        coverage is 0 when both are CoW system members that year, else missing), ``dist`` (absolute difference of final-passage ideal points) and ``igo``;
        each missing outside its dataset's coverage.
    """
    a0, a1 = coverage("alliance")
    g0, g1 = coverage("igo")
    req = request[["c", "p", "year"]].drop_duplicates().astype("int64")
    cur = con.cursor()
    cur.register("m7_request", req)
    try:
        out = cur.execute(f"""
            select r.c, r.p, r.year,
                   case when r.year between {a0} and {a1} and m1.ccode is not null and m2.ccode is not null
                        then coalesce(a.ally, 0) end as ally,
                   abs(i1.idealpointfp - i2.idealpointfp) as dist,
                   case when r.year between {g0} and {g1} then g.dyadigos end as igo
            from m7_request r
            left join (select ccode1, ccode2, year,
                              max(greatest(atop_defense, atop_offense, atop_neutral, atop_nonagg,
                                           atop_consul)) as ally
                       from atop_alliance.atop_v5_1_directed_dyad_year group by all) a
              on a.ccode1 = r.c and a.ccode2 = r.p and a.year = r.year
            left join unga_ideal_points.unga_ideal_points_jul2025 i1 on i1.ccode = r.c and i1.year = r.year
            left join unga_ideal_points.unga_ideal_points_jul2025 i2 on i2.ccode = r.p and i2.year = r.year
            -- a dyad-year absent from ATOP means no alliance only when both are system members
            left join (select distinct ccode, styear, case when endyear = 2016 then 9999 else endyear end as endyear
                       from cow_state_system.cow_states_v2016) m1
              on m1.ccode = r.c and r.year between m1.styear and m1.endyear
            left join (select distinct ccode, styear, case when endyear = 2016 then 9999 else endyear end as endyear
                       from cow_state_system.cow_states_v2016) m2
              on m2.ccode = r.p and r.year between m2.styear and m2.endyear
            left join cow_igo.cow_igo_v3_nondirected_dyad_year g
              on g.ccode1 = least(r.c, r.p) and g.ccode2 = greatest(r.c, r.p) and g.year = r.year
        """).df()
    finally:
        cur.unregister("m7_request")
        cur.close()
    return request.merge(out, on=["c", "p", "year"], how="left")


def _expand(units: pd.DataFrame) -> pd.DataFrame:
    """One row per unit and relative year in :data:`REL_YEARS`."""
    rel = np.array(list(REL_YEARS))
    out = units.loc[units.index.repeat(len(rel))].copy()
    out["rel"] = np.tile(rel, len(units))
    out["year"] = out["first_year"] + out["rel"]
    return out.reset_index(drop=True)


def _changes(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per unit: change of each outcome from t0 - 1 to t0 + h, and the placebo change from
    t0 - h - 1 to t0 - 1, for h in :data:`HORIZONS`."""
    # unstack, not pivot_table: the latter would cross every level of the keys
    wide = long.set_index([*keys, "rel"])[["ally", "dist", "igo"]].unstack("rel")
    out = pd.DataFrame(index=wide.index)
    for col, _, _ in OUTCOMES.values():
        base = wide.get((col, -1), np.nan)
        for h in HORIZONS:
            out[f"{col}_d{h}"] = wide.get((col, h), np.nan) - base
            out[f"{col}_placebo{h}"] = base - wide.get((col, -h - 1), np.nan)
        out[f"{col}_base"] = base
    return out.reset_index()


# ---------------------------------------------------------------- type of engagement


def _panel(scope: Scope, treatment: Treatment, con: duckdb.DuckDBPyConnection) -> MeasureResult:
    warnings: list[str] = []
    first = treatment.first[["contributor", "partner", "first_year"]].copy()
    diagnostics: dict[str, Any] = {"treated_dyads": len(first)}
    ip0, ip1 = coverage("ideal_points")
    inside = (first["first_year"] - 1 >= ip0) & (first["first_year"] - 1 <= ip1)
    if (~inside).any():
        warnings.append(f"{int((~inside).sum())} engaged dyads were first engaged before UN ideal points "
                        f"exist ({ip0}) or after they end: they cannot be matched and are left out.")
    first = first[inside].reset_index(drop=True)
    rows: list[dict[str, Any]] = []
    details: dict[str, pd.DataFrame] = {}
    diffs = pd.DataFrame()
    path = pd.DataFrame()
    if not first.empty:
        base = dyad_outcomes(con, first.assign(c=first["contributor"], p=first["partner"],
                                               year=first["first_year"] - 1))
        first["dist_b"] = base["dist"].to_numpy()
        first["ally_b"] = 10.0 * base["ally"].to_numpy()  # weight 10: match on alliance status first
        pool = comparison_pool(first, state_years(con))
        pb = dyad_outcomes(con, pool.assign(c=pool["contributor"], p=pool["control"], year=pool["first_year"] - 1))
        pool["dist_b"] = pb["dist"].to_numpy()
        pool["ally_b"] = 10.0 * pb["ally"].to_numpy()
        controls = match_controls(first, pool, treatment.ever, score=["dist_b", "ally_b"], k=K_CONTROLS)
        details["matched_controls"] = controls
        unmatched = len(first) - controls.groupby(["contributor", "partner"]).ngroups
        diagnostics["matched_controls"] = len(controls)
        if unmatched:
            warnings.append(f"{unmatched} engaged dyads have no ideal-point distance in t0 - 1 or no "
                            "comparable partner: they are left out of the comparison.")
        diffs, path = _compare(first, controls, con)
        details["dyad_changes"] = diffs
        details["distance_path"] = path
        rows, diag = _comparison_rows(diffs, warnings)
        diagnostics.update(diag)
    else:
        warnings.append("no engaged dyad in scope can be compared: no long-term estimate.")
    spill_rows, spill = _spillover(first if not first.empty else treatment.first, con, warnings)
    rows.extend(spill_rows)
    details["spillover"] = spill
    estimates = pd.DataFrame(rows)
    return MeasureResult(
        measure="long_term",
        question=QUESTION,
        scope=scope.as_dict(),
        estimates=estimates,
        design=(
            "matched comparison of changes from the year before the first engagement to 5 and 10 years "
            "after: engaged contributor–partner dyads against the same contributor's not-yet-engaged "
            "partners of the same region, nearest in prior UN ideal-point distance and alliance status; "
            "placebo on pre-period years; neighbours' conflict before and after"
        ),
        causal=False,
        assumptions=[
            "matched dyads show how alignment would have changed without the engagement, given equal "
            "prior distance and alliance status (selection on these observables only)",
            "no anticipation: the placebo changes before the engagement should be near zero",
        ],
        diagnostics=diagnostics,
        caveats=[
            COVERAGE_CAVEAT,
            "Engagements follow alignment as much as they create it; matching on one year's distance "
            "and alliance status does not remove that, so differences are associations, not effects.",
            "Spill-over is a before/after description of the neighbours' conflict, with no comparison group.",
        ],
        sources=SOURCES,
        warnings=warnings,
        figure=_figure(scope, path, estimates, single=False),
        details=details,
        headline=_headline(scope, estimates, len(first)),
    )


def _compare(first: pd.DataFrame, controls: pd.DataFrame, con: duckdb.DuckDBPyConnection
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per treated dyad: its changes, its matched dyads' mean changes, and the distance paths."""
    keys = ["contributor", "partner", "first_year"]
    tr = first[keys].merge(controls[keys].drop_duplicates(), on=keys)
    units = pd.concat([tr.assign(c=tr["contributor"], p=tr["partner"], treated=1),
                       controls.assign(c=controls["contributor"], p=controls["control"], treated=0)[
                           [*keys, "c", "p", "treated"]]], ignore_index=True)
    long = dyad_outcomes(con, _expand(units))
    ch = _changes(long, [*keys, "p", "treated"])
    treated = ch[ch["treated"] == 1].drop(columns=["p", "treated"]).set_index(keys)
    ctrl = ch[ch["treated"] == 0].drop(columns=["p", "treated"]).groupby(keys).mean()
    diffs = treated.join(ctrl, rsuffix="_matched", how="left").reset_index()
    path = (long.groupby(["rel", "treated"])["dist"].agg(["mean", "count"]).reset_index()
            .rename(columns={"rel": "rel_year", "mean": "mean_distance", "count": "n"}))
    path["group"] = np.where(path["treated"] == 1, "engaged", "matched")
    return diffs, path.drop(columns="treated")


def _comparison_rows(diffs: pd.DataFrame, warnings: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    placebo: dict[str, Any] = {}
    for key, (col, label, _) in OUTCOMES.items():
        end = coverage(key)[1]
        for h in HORIZONS:
            d = diffs[f"{col}_d{h}"] - diffs[f"{col}_d{h}_matched"]
            design = f"matched comparison of changes t0-1 to t0+{h}"
            rows.append(mean_row(f"{label}: engaged change at {h} years", diffs[f"{col}_d{h}"], design))
            rows.append(mean_row(f"{label}: difference vs matched at {h} years", d, design))
            n = int(d.notna().sum())
            lost = int((diffs["first_year"] + h > end).sum())
            if lost:
                warnings.append(f"{label} at {h} years: {lost} dyads reach past the data's end ({end}); "
                                "their values are missing.")
            if n < MIN_DYADS:
                warnings.append(f"{label} at {h} years: only {n} dyads have data (at least {MIN_DYADS} "
                                "wanted); read with great care.")
            pl = diffs[f"{col}_placebo{h}"] - diffs[f"{col}_placebo{h}_matched"]
            prow = mean_row(f"placebo: {label}, {h} pre-period years", pl,
                            f"placebo: change t0-{h + 1} to t0-1, engaged vs matched")
            rows.append(prow)
            placebo[f"{key}_{h}"] = {"estimate": prow["estimate"], "p_value": prow["p_value"], "n": prow["n"]}
    failed = [k for k, v in placebo.items() if v["p_value"] == v["p_value"] and v["p_value"] < 0.05]
    if failed:
        warnings.append("placebo differences before the engagement are significant for "
                        + ", ".join(failed) + ": engaged and matched dyads were already diverging.")
    return rows, {"placebo": placebo}


def _neighbours(con: duckdb.DuckDBPyConnection, partners: pd.DataFrame) -> pd.DataFrame:
    """Directly contiguous neighbours (CoW types 1-5) of each partner in its first year."""
    cur = con.cursor()
    cur.register("m7_partners", partners[["partner", "first_year"]].drop_duplicates().astype("int64"))
    try:
        # the contiguity file ends in December 2016: spells open then are taken to continue
        return cur.execute("""
            select distinct p.partner, p.first_year, c.ccode2 as neighbour
            from m7_partners p join cow_contiguity.cow_contdir_v3_2_directed c
              on c.ccode1 = p.partner and c.conttype between 1 and 5
             and year(c.stdate) <= p.first_year
             and (year(c.enddate) >= p.first_year or c.enddate >= date '2016-12-01')
        """).df()
    finally:
        cur.unregister("m7_partners")
        cur.close()


def _conflict_years(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """CoW state-years with at least one UCDP/PRIO armed conflict located in the state."""
    return con.execute("""
        with loc as (
            select distinct year, cast(trim(unnest(string_split(gwno_loc, ','))) as integer) as gw
            from ucdp_prio_acd.ucdp_prio_acd_v25_1)
        select distinct x.ccode as ccode, loc.year
        from loc join cow_gw_crosswalk.gw_cw_panel x on x.gwcode = loc.gw and x.year = loc.year
        where x.ccode is not null
    """).df()


def _spillover(first: pd.DataFrame, con: duckdb.DuckDBPyConnection, warnings: list[str]
               ) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    c0, c1 = coverage("conflict")
    partners = first.groupby("partner", as_index=False)["first_year"].min()
    partners = partners[(partners["first_year"] - SPILL_SPAN >= c0) & (partners["first_year"] + SPILL_SPAN <= c1)]
    if partners.empty:
        warnings.append(f"no partner has 5 years of conflict data on both sides of its first engagement "
                        f"(UCDP {c0}-{c1}): no spill-over measure.")
        return [], pd.DataFrame()
    nb = _neighbours(con, partners)
    if nb.empty:
        warnings.append("the partners have no directly contiguous neighbours: no spill-over measure.")
        return [], pd.DataFrame()
    conflict = _conflict_years(con).assign(hit=1)
    rel = np.r_[-SPILL_SPAN:0, 1:SPILL_SPAN + 1]
    nb = nb.loc[nb.index.repeat(len(rel))].assign(rel=np.tile(rel, len(nb)))
    nb["year"] = nb["first_year"] + nb["rel"]
    nb = nb.merge(conflict.rename(columns={"ccode": "neighbour"}), on=["neighbour", "year"], how="left")
    nb["hit"] = nb["hit"].fillna(0)  # inside UCDP coverage, a state-year without a conflict has none
    nb["period"] = np.where(nb["rel"] < 0, "before", "after")
    share = nb.groupby(["partner", "first_year", "period"])["hit"].mean().unstack("period").reset_index()
    n_nb = nb.groupby("partner")["neighbour"].nunique()
    share["neighbours"] = share["partner"].map(n_nb)
    share["change"] = share["after"] - share["before"]
    design = "descriptive: share of neighbour-years with armed conflict, 5 years after vs 5 before"
    rows = [
        mean_row("neighbours' conflict incidence: before", share["before"], design),
        mean_row("neighbours' conflict incidence: after", share["after"], design),
        mean_row("neighbours' conflict incidence: change (after - before)", share["change"], design),
    ]
    for r in rows:
        r["se_type"] = "standard error of the mean across partners"
    return rows, share


def _headline(scope: Scope, est: pd.DataFrame, n: int) -> str:
    if est.empty:
        return f"{scope.label}: no long-term comparison could be made."
    q = est.set_index("quantity")
    parts = []
    for key in ("ideal_points", "alliance"):
        label = OUTCOMES[key][1]
        name = f"{label}: difference vs matched at 10 years"
        if name in q.index and q.loc[name, "n"] > 0:
            r = q.loc[name]
            parts.append(f"{OUTCOMES[key][2]} {r['estimate']:+.2f} (95% CI {r['conf_low']:+.2f} to "
                         f"{r['conf_high']:+.2f}, {int(r['n'])} dyads)")
    body = "; ".join(parts) if parts else "no 10-year difference in coverage"
    return (f"{scope.label}: 10 years after the first engagement, engaged dyads differ from matched "
            f"comparable dyads by {body}. Descriptive: a matched association (prior distance and alliance "
            f"status), not an effect; {n} engaged dyads with ideal points before the engagement.")


def _figure(scope: Scope, path: pd.DataFrame, est: pd.DataFrame, *, single: bool) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4.2))
    gs = fig.add_gridspec(1, 4, width_ratios=[2.2, 1, 1, 1])
    ax = fig.add_subplot(gs[0])
    if not path.empty:
        for group, colour in (("engaged", "#1f4e79"), ("matched", "#d08c2b")):
            g = path[path["group"] == group].sort_values("rel_year")
            if not g.empty:
                ax.plot(g["rel_year"], g["mean_distance"], marker=".", color=colour, label=f"{group} dyads")
        ax.legend(frameon=False)
    else:
        ax.text(0.5, 0.5, "no ideal-point data", ha="center", va="center", transform=ax.transAxes)
    ax.axvline(0, color="firebrick", lw=0.8, ls="--")
    ax.set_title("UN ideal-point distance")
    ax.set_xlabel("years since first engagement")
    ax.set_ylabel("mean |ideal point difference|")
    kind = "engaged change" if single else "difference vs matched"
    for i, key in enumerate(OUTCOMES):
        bx = fig.add_subplot(gs[i + 1])
        label, short = OUTCOMES[key][1], OUTCOMES[key][2]
        vals, lows, highs = [], [], []
        for h in HORIZONS:
            name = f"{label}: {kind} at {h} years"
            r = est[est["quantity"] == name] if not est.empty else est
            v = float(r["estimate"].iloc[0]) if len(r) else np.nan
            lo = float(r["conf_low"].iloc[0]) if len(r) and "conf_low" in r else np.nan
            hi = float(r["conf_high"].iloc[0]) if len(r) and "conf_high" in r else np.nan
            vals.append(v)
            lows.append(v - lo if lo == lo else 0.0)
            highs.append(hi - v if hi == hi else 0.0)
        x = np.arange(len(HORIZONS))
        bx.bar(x, np.nan_to_num(vals), yerr=[lows, highs], color=["#5b8db8", "#1f4e79"], capsize=3)
        for xi, v in zip(x, vals, strict=True):
            if v != v:
                bx.text(xi, 0, "no data", ha="center", va="bottom", fontsize=8, rotation=90)
        bx.axhline(0, color="grey", lw=0.8)
        bx.set_xticks(x, [f"{h} years" for h in HORIZONS])
        bx.set_title(short)
        bx.set_ylabel(f"{kind} ({short})")
    fig.suptitle(f"Long-term ties after engagement — {scope.label}")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- one engagement


def _single(scope: Scope, treatment: Treatment, con: duckdb.DuckDBPyConnection) -> MeasureResult:
    warnings: list[str] = []
    first = treatment.first[["contributor", "partner", "first_year"]].copy()
    if first.empty:
        warnings.append("the engagement has no contributor–partner pair in the registry: nothing to measure.")
        return MeasureResult(measure="long_term", question=QUESTION, scope=scope.as_dict(),
                             estimates=pd.DataFrame(), design="descriptive", causal=False, sources=SOURCES,
                             warnings=warnings, headline=f"{scope.label}: no dyad to measure.")
    keys = ["contributor", "partner", "first_year"]
    long = dyad_outcomes(con, _expand(first.assign(c=first["contributor"], p=first["partner"])))
    ch = _changes(long, keys)
    rows: list[dict[str, Any]] = []
    for key, (col, label, _) in OUTCOMES.items():
        end = coverage(key)[1]
        for h in HORIZONS:
            design = f"descriptive: change t0-1 to t0+{h} for the engagement's dyads"
            r = mean_row(f"{label}: engaged change at {h} years", ch[f"{col}_d{h}"], design,
                         se_type="none (descriptive)" if len(ch) == 1 else "standard error across dyads")
            rows.append(r)
            past = ch["first_year"] + h > end
            if past.any():
                warnings.append(f"{label} at {h} years: the year {int(ch['first_year'].min()) + h} is past the "
                                f"data's end ({end}); the value is missing.")
            elif r["n"] == 0:
                warnings.append(f"{label} at {h} years: no data for the engagement's dyads.")
    spill_rows, spill = _spillover(first, con, warnings)
    rows.extend(spill_rows)
    path = (long.groupby("rel")["dist"].agg(["mean", "count"]).reset_index()
            .rename(columns={"rel": "rel_year", "mean": "mean_distance", "count": "n"}).assign(group="engaged"))
    estimates = pd.DataFrame(rows)
    t0 = int(first["first_year"].min())
    q = estimates.set_index("quantity")
    bits = []
    for key in ("alliance", "ideal_points", "igo"):
        label = OUTCOMES[key][1]
        for h in HORIZONS:
            v = q.loc[f"{label}: engaged change at {h} years", "estimate"]
            bits.append(f"{OUTCOMES[key][2]} {h}y {'missing' if v != v else f'{v:+.2f}'}")
    headline = (f"{scope.label} (first year {t0}, {len(first)} dyad(s)): changes from {t0 - 1}: "
                + ", ".join(bits) + ". Descriptive only; no comparison group for one engagement.")
    return MeasureResult(
        measure="long_term",
        question=QUESTION,
        scope=scope.as_dict(),
        estimates=estimates,
        design="descriptive: the engagement's dyads from the year before the first engagement to 5 and 10 "
               "years after; neighbours' conflict before and after",
        causal=False,
        assumptions=["none beyond the data: a description, not an estimate of effect"],
        diagnostics={"first_year": t0, "dyads": len(first)},
        caveats=[COVERAGE_CAVEAT, "One engagement supports no causal claim."],
        sources=SOURCES,
        warnings=warnings,
        figure=_figure(scope, path, estimates, single=True),
        details={"dyad_changes": ch, "dyad_years": long, "distance_path": path, "spillover": spill},
        headline=headline,
    )

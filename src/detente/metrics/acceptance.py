"""M6 ``acceptance``: local acceptance of and trust in the engaging state's forces.

Two bodies of evidence:

* **Surveys the user imports** (:func:`detente.metrics.surveys.import_survey`): weighted
  proportions per question x group x response with linearised standard errors and Wald CIs, and
  differences between groups and between waves.
* **Hostile-event share** from event data (:mod:`detente.events`): among the events whose target
  is the contributor's military (actor type military, target country = contributor) and whose
  source is the host state, the share that is conflictual (CAMEO quad classes 3-4). The
  **misperception alert** is raised when that share rises after an engagement's start by at least
  :data:`ALERT_RISE` and a one-sided Fisher exact test of "higher after than before" gives
  p < :data:`ALERT_ALPHA`; it needs one event dataset covering both sides of the start.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.metrics.communication import (
    EVENT_SOURCES,
    EVENT_WINDOW_DAYS,
    MIN_DAYS,
    before_after_windows,
    covered_days,
    engagement_dyads,
    event_coverage,
    event_store,
)
from detente.metrics.result import MeasureResult
from detente.metrics.result import estimate_row as _row
from detente.metrics.scope import Scope
from detente.metrics.surveys import compare, load_surveys, weighted_proportions

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ALERT_ALPHA", "ALERT_RISE", "acceptance", "hostile_events", "misperception_test"]

QUESTION = "Is the engagement accepted locally, or are the engaging state's forces met with hostility?"
#: Rise in the hostile share (after minus before) that, if significant, raises the alert.
ALERT_RISE = 0.10
#: One-sided significance level of the alert's Fisher exact test.
ALERT_ALPHA = 0.05
#: Fewer hostile-share events than this in a cell earns a warning.
MIN_EVENTS = 20


def _wilson(k: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a binomial share (sensible for small n and shares near 0 or 1)."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def _pairs_values(dyads: pd.DataFrame) -> str:
    pairs = sorted(set(zip(dyads["contributor"].astype(int), dyads["partner"].astype(int), strict=True)))
    return "VALUES " + ", ".join(f"({c}, {h})" for c, h in pairs)


_HOSTILE_WHERE = "target_type = 'military' AND target_cow = c AND source_cow = h"


def hostile_events(events: Path, dyads: pd.DataFrame) -> pd.DataFrame:
    """Events sourced from the host and aimed at the contributor's military, per dataset and day.

    Returns
    -------
    pandas.DataFrame
        ``dataset, contributor, host, day, events, hostile`` (hostile = quad class 3 or 4).
    """
    if dyads.empty:
        return pd.DataFrame(columns=["dataset", "contributor", "host", "day", "events", "hostile"])
    import duckdb

    from detente.events import read_events

    rel = read_events(events)  # noqa: F841 - referenced by name in the SQL below
    sql = f"""
        WITH pairs(c, h) AS ({_pairs_values(dyads)})
        SELECT dataset, c AS contributor, h AS host, date::DATE AS day, count(*) AS events,
               count(*) FILTER (WHERE quad_class IN (3, 4)) AS hostile
        FROM rel JOIN pairs ON target_cow = c AND source_cow = h
        WHERE target_type = 'military'
        GROUP BY ALL ORDER BY dataset, contributor, host, day
    """
    return duckdb.sql(sql).df()


def misperception_test(before: tuple[int, int], after: tuple[int, int]) -> dict[str, Any]:
    """The alert's test: does the hostile share rise after the start?

    Parameters
    ----------
    before, after : (hostile, events)
        Hostile and all events toward the contributor's military before and after.

    Returns
    -------
    dict
        ``share_before``, ``share_after``, ``rise``, ``p_value`` (one-sided Fisher exact test,
        alternative: the odds of a hostile event are higher after), ``alert`` (rise >= ALERT_RISE
        and p < ALERT_ALPHA), ``rule`` (the rule in words).
    """
    from detente.methods._dist import fisher_greater

    (kb, nb), (ka, na) = before, after
    rule = (f"alert when the hostile share rises by at least {ALERT_RISE:.0%} points and a one-sided Fisher "
            f"exact test (after > before) gives p < {ALERT_ALPHA}")
    if nb == 0 or na == 0:
        return {"share_before": float("nan") if nb == 0 else kb / nb,
                "share_after": float("nan") if na == 0 else ka / na,
                "rise": float("nan"), "p_value": float("nan"), "alert": False, "rule": rule,
                "events_before": nb, "events_after": na}
    p = fisher_greater(ka, na - ka, kb, nb - kb)
    rise = ka / na - kb / nb
    return {"share_before": kb / nb, "share_after": ka / na, "rise": rise, "p_value": p,
            "alert": bool(rise >= ALERT_RISE and p < ALERT_ALPHA), "rule": rule,
            "events_before": nb, "events_after": na}


def _survey_rows(scope: Scope, store: Path, dyads: pd.DataFrame, ids: set[str]) -> tuple[
        list[dict[str, Any]], dict[str, pd.DataFrame], list[str]]:
    surveys = load_surveys(store)
    warnings: list[str] = []
    if surveys.empty:
        return [], {}, ["no survey imported: local acceptance rests on event data only "
                        "(import survey results with detente.metrics.surveys.import_survey)"]
    hosts = set(dyads["partner"].astype(int)) if not dyads.empty else set()
    linked = surveys["engagement"].isin(ids)
    if "state" in surveys.columns:
        linked |= surveys["engagement"].isna() & surveys["state"].isin(hosts)
    mine = surveys[linked]
    if mine.empty:
        return [], {}, [f"no imported survey belongs to {scope.label} (by engagement or host state)"]
    by = ("question", "wave", "group") if mine["wave"].nunique() > 1 else ("question", "group")
    props = weighted_proportions(mine, by=by, se="linearised")
    design = "weighted proportion (survey weights), descriptive"
    rows = []
    for r in props.itertuples(index=False):
        wave = f", wave {r.wave}" if "wave" in props.columns else ""
        rows.append(_row(f"share '{r.response}' to '{r.question}', group {r.group}{wave}", r.proportion,
                         se=r.std_error, low=r.conf_low, high=r.conf_high, n=r.n, design=design,
                         se_type=r.se_type, n_eff=r.n_eff))
        if r.n < 30:
            warnings.append(f"survey cell '{r.question}' / {r.group}{wave}: only {r.n} respondents")
    details = {"survey_proportions": props}
    comparisons = []
    if mine["group"].nunique() > 1:
        comparisons.append(compare(props, along="group").assign(along="group"))
    if "wave" in props.columns:
        by_wave = weighted_proportions(mine, by=("question", "wave"), se="linearised")
        comparisons.append(compare(by_wave, along="wave").assign(along="wave"))
    if comparisons:
        comp = pd.concat(comparisons, ignore_index=True)
        details["survey_comparisons"] = comp
        design = "difference of weighted proportions, independent samples, two-sided z test"
        for r in comp.itertuples(index=False):
            group = f" (group {r.group})" if "group" in comp.columns and isinstance(r.group, str) else ""
            rows.append(_row(f"difference in share '{r.response}' to '{r.question}', {r.along} {r.compared} minus "
                             f"{r.base}{group}", r.difference, se=r.std_error, low=r.conf_low, high=r.conf_high,
                             p=r.p_value, design=design, se_type=props["se_type"].iloc[0]))
    warnings = list(dict.fromkeys(warnings))
    return rows, details, warnings


def acceptance(scope: Scope, *, store: str | Path | None = None, registry: str | None = None) -> MeasureResult:
    """M6: survey acceptance and the hostile-event share toward the engaging state's forces.

    Parameters
    ----------
    scope : Scope
        One engagement, or a type narrowed by contributor, partner and region.
    store : path, optional
        The analytic store (its event cache and imported surveys sit beside it).
    registry : str, optional
        Registry URL (default: the configured registry).

    Returns
    -------
    MeasureResult
        Descriptive estimates: survey proportions and differences, hostile shares per dataset
        (with Wilson CIs) and, where the event data cover both sides of a start, the change with
        the misperception alert in ``diagnostics``.
    """
    from detente import config
    from detente.metrics._treatment import scope_participants

    store_file = config.store_path(store)
    dyads = engagement_dyads(scope, registry, store_file)
    ids = set(scope_participants(scope, registry, store_file)["engagement_id"])
    warnings: list[str] = []
    diagnostics: dict[str, Any] = {}
    details: dict[str, pd.DataFrame] = {"dyads": dyads}
    rows, survey_details, survey_warn = _survey_rows(scope, store_file, dyads, ids)
    details.update(survey_details)
    warnings.extend(survey_warn)
    sources = []
    if dyads.empty:
        warnings.append("no contributor-host dyad in scope: no event-data acceptance measure")

    events = event_store(store_file)
    coverage = event_coverage(events)
    details["event_coverage"] = coverage
    diagnostics["event data coverage"] = "; ".join(
        f"{r.dataset}: {r.days} day(s) from {pd.Timestamp(r.first).date()} to {pd.Timestamp(r.last).date()}"
        for r in coverage.itertuples())
    hostile = hostile_events(events, dyads)
    details["hostile_events"] = hostile
    design = "share of conflictual (CAMEO quad 3-4) events from the host toward the contributor's military"
    total = 0
    for ds, g in hostile.groupby("dataset"):
        n, k = int(g["events"].sum()), int(g["hostile"].sum())
        total += n
        low, high = _wilson(k, n)
        rows.append(_row(f"hostile-event share toward the contributor's forces ({ds}, level)", k / n, n=n,
                         design=design + " — level in the covered days, descriptive", low=low,
                         high=high, se_type="Wilson score interval (binomial, events independent)",
                         dataset=ds))
    if not dyads.empty and total < MIN_EVENTS:
        warnings.append(f"too few events: {total} event(s) from the host(s) toward the contributor's military in "
                        f"the covered days (fewer than {MIN_EVENTS}); the hostile share is not interpretable")

    # before/after and the misperception alert
    windows = before_after_windows(dyads, covered_days(events)) if not dyads.empty else dyads
    eligible = windows[windows["dataset"].notna()] if not dyads.empty else windows
    diagnostics["dyads with event data before and after"] = len(eligible)
    if not dyads.empty and eligible.empty:
        warnings.append(
            "the event data cannot support a before/after comparison, so no misperception alert can be "
            f"computed: no event dataset covers at least {MIN_DAYS} days on both sides of any engagement "
            "start in scope (the samples cover "
            + ", ".join(f"{r.days} day(s) of {r.dataset}" for r in coverage.itertuples()) + ")")
    elif not eligible.empty:
        kb = nb = ka = na = 0
        span = pd.Timedelta(days=EVENT_WINDOW_DAYS)
        for r in eligible.itertuples(index=False):
            g = hostile[(hostile["dataset"] == r.dataset) & (hostile["contributor"] == r.contributor)
                        & (hostile["host"] == r.partner)]
            day = pd.to_datetime(g["day"])
            start = pd.Timestamp(r.start)
            b = g[(day >= start - span) & (day < start)]
            a = g[(day >= start) & (day < start + span)]
            kb, nb = kb + int(b["hostile"].sum()), nb + int(b["events"].sum())
            ka, na = ka + int(a["hostile"].sum()), na + int(a["events"].sum())
        test = misperception_test((kb, nb), (ka, na))
        diagnostics["misperception alert"] = test
        d = "before/after the engagement start in one event dataset, pooled over eligible dyads (descriptive)"
        rows.append(_row("hostile-event share before the engagement", test["share_before"], n=nb, design=d,
                         low=_wilson(kb, nb)[0], high=_wilson(kb, nb)[1]))
        rows.append(_row("hostile-event share after the engagement", test["share_after"], n=na, design=d,
                         low=_wilson(ka, na)[0], high=_wilson(ka, na)[1]))
        rows.append(_row("rise in hostile-event share (after minus before)", test["rise"], n=nb + na, design=d,
                         p=test["p_value"], se_type="one-sided Fisher exact test (after > before)"))
        if min(nb, na) < MIN_EVENTS:
            warnings.append(f"too few events for the alert: {nb} before and {na} after (fewer than {MIN_EVENTS} "
                            "on a side); a missing alert is no all-clear")
        if test["alert"]:
            warnings.append(f"MISPERCEPTION ALERT: the hostile share toward the contributor's forces rose from "
                            f"{test['share_before']:.0%} to {test['share_after']:.0%} (p = {test['p_value']:.3g})")
    if "survey_proportions" in details:
        diagnostics["survey standard errors"] = details["survey_proportions"]["se_type"].iloc[0]
    sources.extend(EVENT_SOURCES)
    caveats = [
        "Survey proportions describe the respondents as weighted; the standard errors assume respondents were "
        "drawn independently (no clustering or strata in the file) and say nothing about non-response bias.",
        "Event data code what news reports: a hostile event toward foreign forces may be under- or over-reported, "
        "and actor-type coding (military) is automatic. The GDELT 1.0 sample is limited to events geolocated to "
        "Georgia in August 2011, so its shares are for that selection.",
        "The hostile share counts events by the host state's actors (source country = host) aimed at the "
        "contributor's military; the event store has no place of action, so events elsewhere count too.",
        "A rising hostile share is an alert for the assessor's attention, not a measured effect of the engagement.",
    ]
    assumptions = ["survey weights make the respondents represent the population surveyed",
                   "event coding of actor type and CAMEO quad class is correct on average"]
    estimates = pd.DataFrame(rows) if rows else pd.DataFrame(columns=["quantity", "estimate"])
    result = MeasureResult(
        measure="acceptance", question=QUESTION, scope=scope.as_dict(), estimates=estimates,
        design="weighted survey proportions and event-data hostile shares with a before/after alert (descriptive)",
        causal=False, assumptions=assumptions, diagnostics=diagnostics, caveats=caveats, sources=sources,
        warnings=warnings, details=details,
    )
    result.headline = _headline(scope, details, hostile, diagnostics)
    result.figure = _figure(scope, details.get("survey_proportions"), hostile)
    return result


def _headline(scope: Scope, details: dict[str, pd.DataFrame], hostile: pd.DataFrame, diag: dict[str, Any]) -> str:
    parts = [f"M6 acceptance, {scope.label} (descriptive, not an effect):"]
    props = details.get("survey_proportions")
    if props is not None and not props.empty:
        parts.append(f"{props['question'].nunique()} survey question(s) in {props['group'].nunique()} group(s), "
                     "weighted proportions with linearised 95% CIs;")
    else:
        parts.append("no survey for this scope;")
    n, k = int(hostile["events"].sum()), int(hostile["hostile"].sum())
    if n:
        parts.append(f"{k} of {n} events from the host(s) toward the contributor's military were conflictual "
                     f"({k / n:.0%}) in the covered days")
    else:
        parts.append("no event from the host(s) toward the contributor's military in the covered days")
    test = diag.get("misperception alert")
    if test is None:
        parts.append("— the event samples cannot show a change, so no misperception alert is computed.")
    else:
        parts.append("— misperception alert RAISED." if test["alert"] else "— no misperception alert.")
    return " ".join(parts)


def _figure(scope: Scope, props: pd.DataFrame | None, hostile: pd.DataFrame) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.5))
    ax, bx = fig.subplots(1, 2)
    if props is None or props.empty:
        ax.text(0.5, 0.5, "no survey imported\nfor this scope", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        # one bar per question x group x response (first 18, so labels stay readable)
        show = props.head(18).iloc[::-1]
        labels = [f"{r.question[:28]} | {r.group} | {r.response}" + (f" | {r.wave}" if "wave" in show.columns else "")
                  for r in show.itertuples()]
        y = np.arange(len(show))
        prop = show["proportion"].to_numpy(dtype=float)
        ax.errorbar(prop, y, xerr=[prop - show["conf_low"].to_numpy(dtype=float),
                                   show["conf_high"].to_numpy(dtype=float) - prop],
                    fmt="o", capsize=3)
        ax.set_yticks(y, labels, fontsize=7)
        ax.set_xlim(0, 1)
        ax.set_xlabel("weighted proportion (95% CI, linearised)")
        shown = "" if len(props) <= len(show) else f" (first {len(show)} of {len(props)})"
        ax.set_title(f"Survey responses{shown}")
    if hostile.empty:
        bx.text(0.5, 0.5, "no event from the host toward\nthe contributor's military", ha="center",
                va="center", transform=bx.transAxes)
        bx.set_axis_off()
    else:
        h = hostile.assign(period=pd.to_datetime(hostile["day"]).dt.strftime("%Y-%m"))
        series = h.groupby(["dataset", "period"])[["events", "hostile"]].sum().reset_index()
        x = np.arange(len(series))
        share = (series["hostile"] / series["events"]).to_numpy(dtype=float)
        ci = np.array([_wilson(k, n) for k, n in zip(series["hostile"], series["events"], strict=True)])
        bx.errorbar(x, share, yerr=[share - ci[:, 0], ci[:, 1] - share], fmt="s-", capsize=3, color="#b3361b")
        bx.set_xticks(x, [f"{p}\n{d}\nn={n}" for p, d, n in zip(series["period"], series["dataset"],
                                                                  series["events"], strict=True)], fontsize=8)
        bx.set_ylim(0, 1)
        bx.set_ylabel("hostile share (quad 3-4), Wilson 95% CI")
        bx.set_title("Hostile-event share toward the contributor's forces")
    fig.suptitle(f"M6 acceptance — {scope.label}")
    fig.tight_layout()
    return fig

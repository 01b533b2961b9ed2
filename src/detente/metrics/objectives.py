"""M5 ``objectives``: are an engagement's objectives met, on time?

Every indicator recorded in the registry is compared with its own baseline and target:

* **progress** = (latest − baseline) / (target − baseline), the share of the planned change
  achieved. It is bounded to [0, 1] for display (``progress``); the raw value is kept
  (``progress_raw``): below 0 the indicator moved away from its target, above 1 it overshot.
* **elapsed** = the share of the time from the baseline date to the target date that had
  passed when the latest value was observed.
* **status**: *achieved* (progress ≥ 1), *on track* (progress keeps pace with the time elapsed,
  within :data:`TOLERANCE`), *off track* (it does not), *not started* (no observation yet and the
  engagement or the indicator's baseline period has not begun), *no data* (nothing to judge, with
  the reason).
* **timeliness**: *on time* (target reached by the target date), *late* (reached after it, or not
  reached and the date has passed), *not yet due*.

Indicators whose data source is ``measure:<name>`` are computed through that detente measure for
the engagement where the measure reports a quantity named like the indicator's key; otherwise
they are "no data" with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from detente.exceptions import DetenteError
from detente.metrics._treatment import read_registry
from detente.metrics.result import MeasureResult
from detente.metrics.scope import Scope, region_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from detente.registry.api import Registry

#: How far progress may lag the elapsed share of time and still count as on track.
TOLERANCE = 0.10
#: At most this many indicators are drawn in the figure (the table holds them all).
FIGURE_LIMIT = 40

STATUSES = ("achieved", "on track", "off track", "not started", "no data")
STATUS_COLOURS = {
    "achieved": "#2e7d32", "on track": "#1f77b4", "off track": "#c0392b",
    "not started": "#9e9e9e", "no data": "#d0d0d0",
}

#: Columns of the per-indicator table (after the tidy columns).
INDICATOR_COLUMNS = (
    "engagement", "objective", "indicator", "definition", "unit", "data_source",
    "baseline_value", "baseline_date", "target_value", "target_date", "latest_value",
    "latest_date", "progress_raw", "elapsed", "status", "timeliness", "reason",
)

QUESTION = "Are the engagement's objectives met, on time, against the baselines and targets it set itself?"
DESIGN = "progress of each indicator from its baseline towards its own target, judged against the time elapsed"

CAVEATS = [
    "Progress against an engagement's own targets is not impact: an indicator can move for reasons "
    "that have nothing to do with the engagement, and targets set by the engaging party may be easy "
    "or hard to reach.",
    "Observations are what was recorded in the registry; they are only as good as whoever recorded them.",
    f"'On track' allows progress to lag the elapsed share of time by up to {TOLERANCE:.0%}; progress "
    "is rarely linear, so an indicator off track early may still reach its target.",
]


# -- registry access -------------------------------------------------------------------------

def _scope_ids(reg: Registry, scope: Scope) -> tuple[list[str], list[str]]:
    """The ids of the engagements in ``scope``, and of those among them with objectives."""
    from detente.registry import engagements_frame, participants_frame

    if scope.engagement is not None:
        if not reg.exists(scope.engagement):
            raise DetenteError(f"no engagement with id {scope.engagement!r} in the registry")
        return [scope.engagement], [scope.engagement]
    eng = engagements_frame(reg, scope.type)
    ids = set(eng["id"])
    if scope.contributor is not None or scope.partner is not None or scope.region:
        parts = participants_frame(reg, scope.type)
        # participants are coded in CoW or G-W; the scope speaks CoW, and the two agree for most states
        if scope.contributor is not None:
            ids &= set(parts.loc[(parts["role"] == "contributor") & (parts["code"] == scope.contributor),
                                 "engagement_id"])
        partner_rows = parts[parts["role"].isin(["host", "partner"])]
        if scope.partner is not None:
            ids &= set(partner_rows.loc[partner_rows["code"] == scope.partner, "engagement_id"])
        if scope.region:
            in_region = partner_rows["code"].map(region_of) == scope.region
            ids &= set(partner_rows.loc[in_region, "engagement_id"])
    # only records with objectives are read in full: the public record holds thousands without
    return sorted(ids), sorted(ids & set(eng.loc[eng["n_objectives"] > 0, "id"]))


# -- indicator arithmetic --------------------------------------------------------------------

def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def progress_of(baseline: float, target: float, latest: float) -> float | None:
    """The share of the planned change from ``baseline`` to ``target`` achieved at ``latest``.

    None when the target equals the baseline (no change was planned, so no share can be taken).

    Examples
    --------
    >>> progress_of(10, 20, 15)
    0.5
    >>> progress_of(100, 40, 70)  # a reduction target
    0.5
    """
    if target == baseline:
        return None
    return (latest - baseline) / (target - baseline)


def elapsed_share(baseline_date: dt.date, target_date: dt.date, on: dt.date) -> float | None:
    """The share of the time from ``baseline_date`` to ``target_date`` passed ``on`` a day, in [0, 1]."""
    span = (target_date - baseline_date).days
    if span <= 0:
        return None
    return min(1.0, max(0.0, (on - baseline_date).days / span))


def judge(
    indicator: dict[str, Any],
    observations: list[tuple[dt.date, float]],
    *,
    started: bool,
    as_of: dt.date,
) -> dict[str, Any]:
    """Judge one indicator: progress, elapsed share, status, timeliness and the reason.

    Parameters
    ----------
    indicator : dict
        The indicator's registry fields (baseline and target values and dates).
    observations : list of (date, value)
        Its observations, any order.
    started : bool
        Whether the engagement has begun (ongoing or completed, or its start date has passed).
    as_of : date
        The day of the judgement (for "late" when the target date has passed).
    """
    base, target = indicator.get("baseline_value"), indicator.get("target_value")
    base_d, target_d = _date(indicator.get("baseline_date")), _date(indicator.get("target_date"))
    obs = sorted(observations)
    out: dict[str, Any] = {"latest_value": None, "latest_date": None, "progress_raw": None,
                           "progress": None, "elapsed": None, "status": "no data",
                           "timeliness": None, "reason": None}
    if obs:
        out["latest_date"], out["latest_value"] = obs[-1]
    if target is None:
        out["reason"] = "no target value recorded"
        return out
    if base is None:
        out["reason"] = "no baseline value recorded"
        return out
    if not obs:
        before_baseline = base_d is not None and as_of < base_d
        if not started or before_baseline:
            out["status"], out["reason"] = "not started", "no observation yet; the engagement has not begun"
        else:
            out["reason"] = "no observation recorded"
        if target_d is not None and as_of > target_d:
            out["timeliness"] = "late"
        elif target_d is not None:
            out["timeliness"] = "not yet due"
        return out
    latest_d, latest = obs[-1]
    raw = progress_of(base, target, latest)
    if raw is None:
        # no change was planned: the target is to hold the baseline level
        reached = [d for d, v in obs if v == target]
        raw = 1.0 if latest == target else 0.0
        note = "the target equals the baseline (hold the level): progress is 1 when the latest value equals it"
    else:
        reached = [d for d, v in obs if (progress_of(base, target, v) or 0.0) >= 1.0]
        note = None
    out["progress_raw"] = raw
    out["progress"] = min(1.0, max(0.0, raw))
    if base_d is not None and target_d is not None:
        out["elapsed"] = elapsed_share(base_d, target_d, latest_d)
    if raw >= 1.0:
        out["status"] = "achieved"
        first = reached[0] if reached else latest_d
        out["timeliness"] = "on time" if target_d is None or first <= target_d else "late"
        out["reason"] = note or f"target reached on {first.isoformat()}"
        return out
    if out["elapsed"] is None:
        out["status"] = "on track" if raw > 0 else "off track"
        out["reason"] = "no baseline or target date: judged on direction only"
    elif out["progress"] + TOLERANCE >= out["elapsed"]:
        out["status"] = "on track"
        out["reason"] = f"{out['progress']:.0%} of the change with {out['elapsed']:.0%} of the time elapsed"
    else:
        out["status"] = "off track"
        out["reason"] = f"{out['progress']:.0%} of the change with {out['elapsed']:.0%} of the time elapsed"
    if raw < 0:
        out["reason"] += "; the indicator moved away from its target"
    if target_d is not None:
        out["timeliness"] = "late" if as_of > target_d else "not yet due"
        if as_of > target_d and out["status"] == "on track":
            # the time is up: not reaching the target by its date is off track whatever the pace
            out["status"] = "off track"
            out["reason"] += "; the target date has passed"
    return out


# -- indicators computed through other measures ----------------------------------------------

def _measure_value(
    name: str, key: str, engagement: str, store: Any, reg: Registry, cache: dict[str, Any]
) -> tuple[list[tuple[dt.date, float]], str | None, list[str]]:
    """Observations of an indicator computed by measure ``name``, or none with the reason."""
    from detente.metrics import MEASURES, get_measure

    if name == "objectives":
        return [], "an indicator cannot be computed from the objectives measure itself", []
    if name not in MEASURES:
        return [], f"unknown measure {name!r}", []
    if name not in cache:
        try:
            cache[name] = get_measure(name)(Scope(engagement=engagement), store=store, registry=reg.url)
        except ModuleNotFoundError:
            cache[name] = f"the measure {name} is not available in this installation"
        except Exception as exc:  # a failing measure makes the indicator "no data", never a crash
            cache[name] = f"the measure {name} failed: {exc}"
    res = cache[name]
    if isinstance(res, str):
        return [], res, []
    est = res.tidy()
    rows = est[est["quantity"].astype(str) == key]
    if rows.empty or rows["estimate"].isna().all():
        return [], f"the measure {name} reports no quantity named {key!r}", list(res.sources)
    row = rows.dropna(subset=["estimate"]).iloc[-1]
    when = None
    for col in ("date", "year"):
        if col in rows.columns and pd.notna(row.get(col)):
            v = row[col]
            when = dt.date(int(v), 12, 31) if col == "year" else _date(v)
            break
    if when is None:
        return [], f"the measure {name} gives {key!r} without a date, so it cannot be placed on the timeline", list(res.sources)
    return [(when, float(row["estimate"]))], None, list(res.sources)


# -- the measure -----------------------------------------------------------------------------

def indicator_table(records: Iterable[dict[str, Any]], *, store: Any = None, reg: Registry | None = None,
                    as_of: dt.date | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One row per indicator of the given registry records, judged (see :func:`judge`).

    Returns the table and the source ids of any measures computed for measure-based indicators.
    """
    as_of = as_of or dt.date.today()
    rows: list[dict[str, Any]] = []
    sources: list[str] = []
    for rec in records:
        start = _date(rec.get("start"))
        started = rec.get("status") in ("ongoing", "completed") or (start is not None and start <= as_of)
        cache: dict[str, Any] = {}
        for obj in rec.get("objectives") or []:
            for ind in obj.get("indicators") or []:
                obs = [(_date(o["date"]), float(o["value"])) for o in ind.get("observations") or []]
                source = ind.get("data_source") or "manual"
                reason = None
                if source.startswith("measure:") and reg is not None:
                    computed, reason, used = _measure_value(
                        source.split(":", 1)[1], ind["key"], rec["id"], store, reg, cache)
                    obs += computed
                    sources += used
                judged = judge(ind, obs, started=started, as_of=as_of)
                if judged["status"] == "no data" and reason:
                    judged["reason"] = reason
                rows.append({
                    "engagement": rec["id"], "objective": obj["key"], "statement": obj.get("statement"),
                    "indicator": ind["key"], "definition": ind.get("definition"), "unit": ind.get("unit"),
                    "data_source": source,
                    "baseline_value": ind.get("baseline_value"), "baseline_date": ind.get("baseline_date"),
                    "target_value": ind.get("target_value"), "target_date": ind.get("target_date"),
                    "n_observations": len(obs), **judged,
                })
    frame = pd.DataFrame(rows, columns=[*INDICATOR_COLUMNS, "statement", "n_observations", "progress"])
    return frame, sources


#: The per-indicator columns kept in the estimates table (the full table is in ``details``).
TIDY_EXTRA = ("definition", "baseline", "target", "target_date", "latest", "latest_date", "elapsed", "status",
              "timeliness", "reason")


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return pd.DataFrame(columns=["quantity", "estimate", "n", *TIDY_EXTRA])
    label = table["objective"] + " / " + table["indicator"]
    if table["engagement"].nunique() > 1:
        label = table["engagement"] + " / " + label
    out = pd.DataFrame({
        "quantity": "progress " + label,
        "estimate": table["progress"].astype("Float64"),
        "n": table["n_observations"].astype("Int64"),
        "definition": table["definition"],
        "baseline": table["baseline_value"].astype("Float64"),
        "target": table["target_value"].astype("Float64"),
        "target_date": table["target_date"],
        "latest": table["latest_value"].astype("Float64"),
        "latest_date": [None if d is None else str(d) for d in table["latest_date"]],
        "elapsed": table["elapsed"].astype("Float64"),
    })
    for c in ("status", "timeliness", "reason"):
        out[c] = table[c].values
    return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _headline(table: pd.DataFrame, n_engagements: int, n_with: int, single: bool) -> str:
    if table.empty:
        return (f"No objective with indicators is recorded for the {n_engagements} engagement(s) in scope, "
                "so whether they met their objectives cannot be said.")
    counts = table["status"].value_counts()
    parts = [f"{int(counts[s])} {s}" for s in STATUSES if s in counts]
    n_obj = table[["engagement", "objective"]].drop_duplicates().shape[0]
    judged = table[table["status"].isin(["achieved", "on track", "off track"])]
    where = "the engagement" if single else f"{n_with} of {_n(n_engagements, 'engagement')} in scope"
    text = f"{_n(len(table), 'indicator')} of {_n(n_obj, 'objective')} in {where}: " + ", ".join(parts) + "."
    if not judged.empty:
        reached = int((judged["status"] == "achieved").sum())
        text += (f" {reached} of the {len(judged)} with data reached {'its' if len(judged) == 1 else 'their'} "
                 f"target; median progress {judged['progress'].median():.0%}.")
    late = int((table["timeliness"] == "late").sum())
    if late:
        text += f" {late} {'is' if late == 1 else 'are'} late against the target date."
    return text


def progress_figure(table: pd.DataFrame, title: str = "Progress against own targets") -> Figure | None:
    """Horizontal bars of progress per indicator, with a tick at the share of time elapsed."""
    if table.empty:
        return None
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    shown = table.head(FIGURE_LIMIT).iloc[::-1]
    # a reader knows an indicator by its definition, not by its key
    many = table["engagement"].nunique() > 1
    labels = []
    for e, d, i in zip(shown["engagement"], shown["definition"], shown["indicator"], strict=True):
        text = str(d or i)
        if many:
            labels.append(f"{e}\n{textwrap.shorten(text, 40, placeholder='…')}")
        else:
            labels.append("\n".join(textwrap.wrap(text, 38, max_lines=2, placeholder="…")))
    fig = Figure(figsize=(8.5, 1.9 + 0.5 * len(shown)), layout="constrained")
    ax = fig.add_subplot()
    y = range(len(shown))
    prog = [0.0 if p is None or (isinstance(p, float) and math.isnan(p)) else float(p) for p in shown["progress"]]
    ax.barh(list(y), [1.0] * len(shown), color="#f0f0f0", height=0.6)
    ax.barh(list(y), prog, color=[STATUS_COLOURS[s] for s in shown["status"]], height=0.6)
    for yi, el in zip(y, shown["elapsed"], strict=True):
        if el is not None and not (isinstance(el, float) and math.isnan(el)):
            ax.plot([el, el], [yi - 0.38, yi + 0.38], color="#222222", linewidth=2)
    for yi, (s, p) in enumerate(zip(shown["status"], prog, strict=True)):
        ax.text(1.02, yi, s if s in ("no data", "not started") else f"{p:.0%}", va="center", fontsize=8)
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.set_xlim(0, 1.12)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("share of the planned change from baseline to target achieved (bounded to 0–100%)")
    ax.set_title(title, fontsize=11)
    present = [s for s in STATUSES if s in set(shown["status"])]
    handles = [Patch(color=STATUS_COLOURS[s], label=s) for s in present]
    handles.append(Line2D([0], [0], color="#222222", linewidth=2, label="time elapsed"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def objectives(scope: Scope, *, store: Any = None, registry: Any = None,
               as_of: dt.date | None = None) -> MeasureResult:
    """M5: progress of each objective's indicators against baseline and target, on time or late.

    Parameters
    ----------
    scope : Scope
        One engagement, or a type narrowed by contributor, partner and region.
    store : path, optional
        The analytic store (used by indicators computed through other measures).
    registry : str or Registry, optional
        Registry URL or an open registry (default: beside the store).
    as_of : date, optional
        The day of the judgement (default today).

    Returns
    -------
    MeasureResult
        ``estimates``: one row per indicator (``estimate`` = progress bounded to [0, 1]);
        ``details["indicators"]`` the full table, ``details["status"]`` the counts by status.
    """
    reg, opened = read_registry(registry, store)
    try:
        ids, with_obj = _scope_ids(reg, scope)
        records = reg.records(with_obj) if with_obj else []
        table, sources = indicator_table(records, store=store, reg=reg, as_of=as_of)
    finally:
        if opened:
            reg.close()
    n_with = sum(1 for r in records if r.get("objectives"))
    warnings = []
    if not ids:
        warnings.append(f"no engagement in the registry matches {scope.label}")
    elif table.empty:
        warnings.append("no objective with indicators is recorded for the engagements in scope")
    missing = table[table["status"] == "no data"]
    if not missing.empty:
        warnings.append(f"{len(missing)} indicator(s) have no data to judge: "
                        + "; ".join(sorted(set(missing["reason"].dropna()))))
    status = table["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    return MeasureResult(
        measure="objectives",
        question=QUESTION,
        scope=scope.as_dict(),
        estimates=_tidy(table),
        design=DESIGN,
        causal=False,
        assumptions=[
            "baselines, targets and observations are recorded as the engagement's owners measured them",
            "progress towards a target is judged as if it were planned to be linear in time",
        ],
        diagnostics={"engagements_in_scope": len(ids), "engagements_with_objectives": n_with,
                     "indicators": len(table), "tolerance": TOLERANCE},
        caveats=list(CAVEATS),
        sources=list(dict.fromkeys(sources)),
        warnings=warnings,
        figure=progress_figure(table),
        details={"indicators": table, "status": status.rename_axis("status").reset_index(name="n")},
        headline=_headline(table, len(ids), n_with, scope.engagement is not None),
    )

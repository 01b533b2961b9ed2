"""M4 ``communication``: frequency and quality of diplomatic communication around engagements.

Two bodies of evidence:

* **UN voting alignment.** The distance between contributor and partner ideal points
  (Bailey, Strezhnev & Voeten, final-passage votes) five years before and five years after the
  first engagement of each dyad. For a type of engagement: a stacked difference-in-differences
  against matched untreated dyads (same contributor, partner in the same region, nearest
  pre-engagement distance), with dyad and year effects, standard errors clustered by dyad and a
  pre-trend test from the event-study leads. A single engagement is described, not estimated.
* **Event data** (GDELT / ICEWS through :mod:`detente.events`): dyad counts by CAMEO quad class,
  mean Goldstein weight and cooperative share, for all actors, government-to-government and
  military-to-military events; the change after the engagement where one event dataset covers
  both sides of its start, otherwise the level with a plain warning.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.exceptions import DetenteError
from detente.metrics._dyad_treatment import mean_row
from detente.metrics.result import MeasureResult
from detente.metrics.result import estimate_row as _row
from detente.metrics.scope import Scope, region_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["communication", "engagement_dyads", "event_coverage", "event_store", "ideal_point_did"]

QUESTION = "Does diplomatic communication become more frequent and more cooperative after the engagement?"
UNGA_TABLE = "unga_ideal_points.unga_ideal_points_jul2025"
#: Years before / after the first engagement compared (year 0, the engagement year, is left out:
#: it is partly before and partly after).
WINDOW = 5
#: Matched untreated dyads per treated dyad.
N_CONTROLS = 3
#: Days an event dataset must cover on each side of an engagement's start for a before/after.
MIN_DAYS = 7
#: Days on each side of the start that a before/after comparison looks at.
EVENT_WINDOW_DAYS = 365
#: Fewer events than this in a cell earns a warning.
MIN_EVENTS = 20
#: Treated dyads needed before the DiD is read causally (cluster-robust SEs need many treated clusters).
MIN_TREATED = 30
EVENT_SOURCES = ("gdelt_v1_event_sample", "gdelt_v2_event_sample", "icews_event_sample", "cameo_goldstein")
#: Event files of the mirror's samples (relative to the mirror), imported into the event cache.
SAMPLE_FILES = (
    "gdelt_v1_event_sample/gdelt1_events_*.csv",
    "gdelt_v2_event_sample/gdelt2_events_*.csv",
    "icews_event_sample/icews_events_*.csv",
)
#: Actor subsets of the event measures: label -> (source type, target type).
SUBSETS: dict[str, tuple[str | None, str | None]] = {
    "all actors": (None, None),
    "government to government": ("government", "government"),
    "military to military": ("military", "military"),
}


# -- shared helpers (also used by M6) ---------------------------------------------------------


def engagement_dyads(scope: Scope, registry: str | None = None, store: str | Path | None = None) -> pd.DataFrame:
    """Contributor-partner dyads of the engagements in ``scope``, with each dyad's first start.

    Hosts and partners both count as partners (the participants come from
    :func:`detente.metrics._treatment.scope_participants`, in CoW codes). For a type, each dyad
    is dated by its first engagement of that type in scope; for one engagement, by its start.

    Returns
    -------
    pandas.DataFrame
        ``contributor``, ``partner`` (CoW codes), ``engagement_id`` (of the first engagement),
        ``start`` (date), ``year``, ``n_engagements``; sorted by contributor and partner.
    """
    from detente.metrics._treatment import TREATED_ROLES, scope_participants

    parts = scope_participants(scope, registry, store)
    contrib = parts[parts["role"] == "contributor"][["engagement_id", "start", "ccode"]]
    partner = parts[parts["role"].isin(TREATED_ROLES)][["engagement_id", "ccode"]]
    dyads = contrib.merge(partner, on="engagement_id", suffixes=("_c", "_p"))
    dyads = dyads.rename(columns={"ccode_c": "contributor", "ccode_p": "partner"})
    dyads = dyads[(dyads["contributor"] != dyads["partner"]) & dyads["start"].notna()]
    if scope.contributor is not None:
        dyads = dyads[dyads["contributor"] == scope.contributor]
    cols = ["contributor", "partner", "engagement_id", "start", "year", "n_engagements"]
    if dyads.empty:
        return pd.DataFrame(columns=cols)
    dyads = dyads.sort_values(["contributor", "partner", "start", "engagement_id"])
    counts = dyads.groupby(["contributor", "partner"])["engagement_id"].nunique()
    first = dyads.drop_duplicates(["contributor", "partner"]).copy()
    first["n_engagements"] = counts.loc[list(zip(first["contributor"], first["partner"], strict=True))].to_numpy()
    first["start"] = pd.to_datetime(first["start"]).dt.date
    first["year"] = [d.year for d in first["start"]]
    return first[cols].reset_index(drop=True).astype({"contributor": "int64", "partner": "int64"})


def event_store(store: str | Path | None = None, mirror: str | Path | None = None) -> Path:
    """The canonical event store built from the mirror's event samples, cached beside the store.

    The first call imports the samples into ``<store>.events/`` (next to the DuckDB file);
    later calls reuse it. The import is written to a temporary directory and renamed into
    place, so concurrent first calls never see half a store.
    """
    from detente import config

    target = config.store_path(store)
    cache = target.with_name(target.name + ".events")
    if (cache / "events").is_dir():
        return cache
    from detente.events import import_events

    root = config.mirror_dir(mirror)
    files = sorted(str(f) for pattern in SAMPLE_FILES for f in Path(root).glob(pattern))
    if not files:
        raise DetenteError(f"the mirror {root} holds no GDELT or ICEWS event sample")
    tmp = cache.with_name(f"{cache.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        import_events(files, tmp, mirror=root)
        try:
            os.rename(tmp, cache)
        except OSError:
            if not (cache / "events").is_dir():  # lost a race only if the winner finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return cache


def event_coverage(events: Path) -> pd.DataFrame:
    """Days covered by each event dataset in the store: ``dataset, first, last, days``."""
    from detente.events import read_events

    rel = read_events(events)
    frame = rel.aggregate("dataset, min(date)::DATE AS first, max(date)::DATE AS last, "
                          "count(DISTINCT date::DATE) AS days", "dataset").df()
    for col in ("first", "last"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame.sort_values("first").reset_index(drop=True)


def covered_days(events: Path) -> pd.DataFrame:
    """Every covered day per dataset: ``dataset, day``."""
    from detente.events import read_events

    rel = read_events(events)
    return rel.aggregate("dataset, date::DATE AS day", "dataset, date::DATE").df()


def before_after_windows(dyads: pd.DataFrame, days: pd.DataFrame) -> pd.DataFrame:
    """For each dyad, the dataset (if any) covering ``MIN_DAYS`` days on each side of its start.

    Returns ``dyads`` with ``dataset``, ``days_before``, ``days_after`` (missing when no
    dataset covers both sides).
    """
    out = dyads.copy()
    out["dataset"], out["days_before"], out["days_after"] = None, pd.NA, pd.NA
    span = dt.timedelta(days=EVENT_WINDOW_DAYS)
    by_ds = {d: pd.to_datetime(g["day"]).dt.date.to_numpy() for d, g in days.groupby("dataset")}
    for i, start in zip(out.index, out["start"], strict=True):
        best = None
        for ds, arr in by_ds.items():
            before = int(((arr >= start - span) & (arr < start)).sum())
            after = int(((arr >= start) & (arr < start + span)).sum())
            if before >= MIN_DAYS and after >= MIN_DAYS and (best is None or before + after > best[1] + best[2]):
                best = (ds, before, after)
        if best:
            out.loc[i, ["dataset", "days_before", "days_after"]] = list(best)
    return out


def _pairs_sql(dyads: pd.DataFrame) -> str:
    # unordered pairs: communication in either direction counts for the dyad
    pairs = {(min(c, p), max(c, p)) for c, p in zip(dyads["contributor"], dyads["partner"], strict=True)}
    return "VALUES " + ", ".join(f"({a}, {b})" for a, b in sorted(pairs))


_MEASURES_SQL = """
    count(*) AS events,
    count(*) FILTER (WHERE quad_class = 1) AS verbal_coop,
    count(*) FILTER (WHERE quad_class = 2) AS material_coop,
    count(*) FILTER (WHERE quad_class = 3) AS verbal_conflict,
    count(*) FILTER (WHERE quad_class = 4) AS material_conflict,
    avg(goldstein) AS goldstein_mean,
    (count(*) FILTER (WHERE quad_class IN (1, 2)))::DOUBLE / count(*) AS coop_share
"""


_COUNTS = ["events", "verbal_coop", "material_coop", "verbal_conflict", "material_conflict"]


def _subsets_sql() -> str:
    """The actor subsets as a SQL table ``subsets(subset, st, tt, ord)`` (type NULL = any)."""
    def lit(v: str | None) -> str:
        return "NULL" if v is None else f"'{v}'"

    rows = ", ".join(f"('{label}', {lit(st)}, {lit(tt)}, {i})" for i, (label, (st, tt)) in enumerate(SUBSETS.items()))
    return f"subsets(subset, st, tt, ord) AS (VALUES {rows})"


_IN_SUBSET = "(s.st IS NULL OR e.source_type = s.st) AND (s.tt IS NULL OR e.target_type = s.tt)"


def dyad_event_levels(events: Path, dyads: pd.DataFrame) -> pd.DataFrame:
    """Event measures per dataset, actor subset and dyad over every covered day.

    Returns one row per dataset x subset x dyad with events (``a`` < ``b``, CoW codes), plus
    ``days`` covered by the dataset.
    """
    from detente.events import read_events

    if dyads.empty:
        return pd.DataFrame()
    rel = read_events(events)  # noqa: F841 - referenced by name in the SQL below
    import duckdb

    # one pass over the events: each dyad's events, then counted once per actor subset
    sql = f"""
        WITH pairs(a, b) AS ({_pairs_sql(dyads)}), {_subsets_sql()},
        e AS (SELECT dataset, least(source_cow, target_cow) AS a, greatest(source_cow, target_cow) AS b,
                     source_type, target_type, quad_class, goldstein
              FROM rel JOIN pairs ON least(source_cow, target_cow) = a AND greatest(source_cow, target_cow) = b)
        SELECT dataset, s.subset, e.a, e.b, {_MEASURES_SQL}
        FROM e JOIN subsets s ON {_IN_SUBSET}
        GROUP BY s.ord, s.subset, dataset, e.a, e.b
        ORDER BY s.ord, dataset, e.a, e.b
    """
    return duckdb.sql(sql).df()


def dyad_event_change(events: Path, windows: pd.DataFrame) -> pd.DataFrame:
    """Before/after event measures for dyads with a covering dataset (see :func:`before_after_windows`).

    Returns one row per dyad x subset x side (``before`` / ``after``) with the measures and
    ``per_day`` = events / covered days on that side; a side without events has counts of 0
    and no Goldstein mean or cooperative share.
    """
    from detente.events import read_events

    ok = windows[windows["dataset"].notna()]
    if ok.empty:
        return pd.DataFrame()
    rel = read_events(events)  # noqa: F841 - referenced by name in the SQL below
    import duckdb

    span = pd.Timedelta(days=EVENT_WINDOW_DAYS)
    start = pd.to_datetime(ok["start"]).to_numpy()
    win = pd.DataFrame({  # noqa: F841 - referenced by name in the SQL below
        "w": np.arange(len(ok)), "dataset": ok["dataset"].astype(str).to_numpy(),
        "a": np.minimum(ok["contributor"], ok["partner"]).to_numpy(),
        "b": np.maximum(ok["contributor"], ok["partner"]).to_numpy(),
        "lo": start - span, "mid": start, "hi": start + span,
    })
    sql = f"""
        WITH {_subsets_sql()},
        e AS (SELECT w.w, CASE WHEN r.date < w.mid THEN 'before' ELSE 'after' END AS side,
                     r.source_type, r.target_type, r.quad_class, r.goldstein
              FROM rel r JOIN win w ON r.dataset = w.dataset AND least(r.source_cow, r.target_cow) = w.a
                   AND greatest(r.source_cow, r.target_cow) = w.b AND r.date >= w.lo AND r.date < w.hi)
        SELECT e.w, s.subset, e.side, {_MEASURES_SQL}
        FROM e JOIN subsets s ON {_IN_SUBSET}
        GROUP BY ALL
    """
    found = duckdb.sql(sql).df()
    # every dyad, subset and side, with or without events
    frame = pd.DataFrame([
        {"w": w, "contributor": r.contributor, "partner": r.partner, "dataset": r.dataset, "subset": label,
         "side": side, "days": int(days)}
        for w, r in enumerate(ok.itertuples(index=False)) for label in SUBSETS
        for side, days in (("before", r.days_before), ("after", r.days_after))
    ])
    out = frame.merge(found, on=["w", "subset", "side"], how="left").drop(columns="w")
    out[_COUNTS] = out[_COUNTS].fillna(0).astype("int64")
    out["per_day"] = out["events"] / out["days"]
    return out


# -- UN ideal-point distance --------------------------------------------------------------------


def _ideal_points(store: str | Path | None) -> pd.DataFrame:
    """Years x CoW codes of final-passage ideal points (missing where a state did not vote)."""
    from detente.store import connect, require_table

    con = connect(store, read_only=True)
    try:
        require_table(con, UNGA_TABLE)
        frame = con.execute(
            f"SELECT ccode, year, idealpointfp FROM {UNGA_TABLE} WHERE idealpointfp IS NOT NULL"
        ).df()
    finally:
        con.close()
    return frame.pivot(index="year", columns="ccode", values="idealpointfp").sort_index()


def ideal_point_did(
    dyads: pd.DataFrame,
    ideal: pd.DataFrame,
    *,
    exclude: set[tuple[int, int]] | None = None,
    estimate: bool = True,
) -> dict[str, Any]:
    """Ideal-point distance before/after for treated dyads and their matched untreated dyads.

    For each treated dyad (contributor c, partner p, first engagement year T) with distances in
    every year T-5..T+5, the untreated dyads (c, q) — q never engaged with c in ``exclude``, q in
    p's region when possible — with complete windows are ranked by the distance between their
    pre-engagement mean distance and the treated dyad's; the nearest ``N_CONTROLS`` join its
    stack. With ``estimate``, the stacked panel is fitted by least squares with the
    stack-dyad and stack-year effects absorbed (:func:`detente.methods.feglm`, clustered by dyad):
    ``distance ~ treated:post | stack-dyad + stack-year``, and the event study
    ``distance ~ treated:rel_k (k != -1) | stack-dyad + stack-year`` gives the pre-trend test.

    Returns
    -------
    dict
        ``per_dyad`` (treated dyads with before, after, change, control_change, difference),
        ``excluded`` (dyads without a complete window, with the reason), ``panel`` (the stacked
        panel), ``path`` (mean distance by relative year, treated vs matched), and with
        ``estimate``: ``did`` and ``event_study`` fits and ``pretrend`` (dict).
    """
    # a year without votes (1964) is a missing row, not a gap to close up: index by calendar year
    ideal = ideal.reindex(range(int(ideal.index.min()), int(ideal.index.max()) + 1))
    years = ideal.index.to_numpy()
    states = ideal.columns.to_numpy().astype(int)
    values = ideal.to_numpy(dtype=float)
    col = {int(s): i for i, s in enumerate(states)}
    regions = np.array([region_of(int(s)) or "" for s in states])
    engaged: dict[int, np.ndarray] = {}  # contributor -> states it ever engaged (not comparisons)
    for a, b in exclude or set():
        for x, y in ((a, b), (b, a)):
            if x in col:
                engaged.setdefault(x, np.zeros(len(states), bool))
                if y in col:
                    engaged[x][col[y]] = True
    per_dyad, excluded, stacks = [], [], []
    rel = np.arange(-WINDOW, WINDOW + 1)
    pre = slice(0, WINDOW)
    post = slice(WINDOW + 1, 2 * WINDOW + 1)
    for k, r in enumerate(dyads.itertuples(index=False)):
        c, p, t = int(r.contributor), int(r.partner), int(r.year)
        rows = t + rel
        if rows[0] < years.min() or rows[-1] > years.max():
            excluded.append((c, p, t, f"the window (±{WINDOW} years) reaches outside UN voting coverage "
                                      f"({years.min()}-{years.max()})"))
            continue
        if c not in col or p not in col:
            excluded.append((c, p, t, "no UN ideal point for one of the states"))
            continue
        block = values[rows - years.min()]  # window years x states
        dist = np.abs(block - block[:, [col[c]]])  # distance of every state to the contributor
        treated = dist[:, col[p]]
        if np.isnan(treated).any():
            excluded.append((c, p, t, "ideal points missing in part of the window"))
            continue
        ok = ~np.isnan(dist).any(axis=0)
        ok[[col[c], col[p]]] = False
        if c in engaged:
            ok &= ~engaged[c]
        same = ok & (regions == regions[col[p]])
        pool = np.flatnonzero(same if same.sum() >= N_CONTROLS else ok)
        target = treated[pre].mean()
        gap = np.abs(dist[pre][:, pool].mean(axis=0) - target)
        chosen = pool[np.lexsort((states[pool], gap))][:N_CONTROLS]
        if len(chosen) == 0:
            excluded.append((c, p, t, "no untreated comparison dyad with complete data"))
            continue
        ctrl = dist[:, chosen]
        change = treated[post].mean() - treated[pre].mean()
        cchange = float((ctrl[post].mean(axis=0) - ctrl[pre].mean(axis=0)).mean())
        per_dyad.append({
            "contributor": c, "partner": p, "engagement_id": r.engagement_id, "year": t,
            "before": treated[pre].mean(), "after": treated[post].mean(), "change": change,
            "controls": ",".join(str(int(states[i])) for i in chosen), "control_change": cchange,
            "difference": change - cchange,
        })
        for j, i in enumerate([col[p], *chosen]):
            stacks.append((k, c, int(states[i]), int(j == 0), rows, dist[:, i]))
    out: dict[str, Any] = {
        "per_dyad": pd.DataFrame(per_dyad),
        "excluded": pd.DataFrame(excluded, columns=["contributor", "partner", "year", "reason"]),
    }
    if not stacks:
        out["panel"] = pd.DataFrame()
        out["path"] = pd.DataFrame()
        return out
    m = len(rel)
    panel = pd.DataFrame({
        "stack": np.repeat([x[0] for x in stacks], m), "contributor": np.repeat([x[1] for x in stacks], m),
        "other": np.repeat([x[2] for x in stacks], m), "treated": np.repeat([x[3] for x in stacks], m),
        "year": np.concatenate([x[4] for x in stacks]), "rel": np.tile(rel, len(stacks)),
        "distance": np.concatenate([x[5] for x in stacks]),
    })
    panel["dyad"] = (np.minimum(panel["contributor"], panel["other"]) * 1000
                     + np.maximum(panel["contributor"], panel["other"]))
    # integer ids for the within-stack effects
    panel["unit"] = panel["stack"].to_numpy() * 1_000_000 + panel["dyad"].to_numpy()
    panel["stack_year"] = panel["stack"].to_numpy() * 10_000 + panel["year"].to_numpy()
    out["panel"] = panel
    path = (panel.groupby(["rel", "treated"])["distance"].agg(["mean", "std", "count"]).reset_index())
    path["group"] = np.where(path["treated"] == 1, "treated", "matched untreated")
    out["path"] = path
    if estimate:
        out.update(_fit_did(panel))
    return out


def _fit_did(panel: pd.DataFrame) -> dict[str, Any]:
    """Stacked DiD and event study with stack-dyad and stack-year effects, clustered by dyad."""
    import warnings

    from detente.methods import feglm
    from detente.methods._dist import f_sf

    data = panel[panel["rel"] != 0].copy()
    data["treat_post"] = data["treated"] * (data["rel"] > 0)
    es = panel.copy()
    terms = []
    for k in range(-WINDOW, WINDOW + 1):
        if k == -1:
            continue
        name = f"rel_m{-k}" if k < 0 else f"rel_p{k}"
        es[name] = es["treated"] * (es["rel"] == k)
        terms.append(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        did = feglm("distance ~ treat_post | unit + stack_year", data, family="gaussian", cluster="dyad")
        study = feglm("distance ~ " + " + ".join(terms) + " | unit + stack_year", es, family="gaussian",
                      cluster="dyad")
    leads = [t for t in terms if t.startswith("rel_m")]
    b = study.params_[leads].to_numpy()
    v = study.vcov_.loc[leads, leads].to_numpy()
    try:
        wald = float(b @ np.linalg.solve(v, b))
        f = wald / len(leads)
        df2 = max((study.clusters_ or 2) - 1, 1)
        p = float(f_sf(f, len(leads), df2))
    except np.linalg.LinAlgError:
        wald, f, p = float("nan"), float("nan"), float("nan")
    pretrend = {"leads": leads, "wald": wald, "f": f, "df": [len(leads), (study.clusters_ or 2) - 1],
                "p_value": p, "test": "joint Wald F test that the distance leads -5..-2 are zero "
                                      "(cluster-robust, F(leads, G-1))"}
    return {"did": did, "event_study": study, "pretrend": pretrend}


# -- the measure --------------------------------------------------------------------------------


def communication(scope: Scope, *, store: str | Path | None = None, registry: str | None = None) -> MeasureResult:
    """M4: UN ideal-point distance and event-data communication around the engagements in ``scope``.

    Parameters
    ----------
    scope : Scope
        One engagement, or a type narrowed by contributor, partner and region.
    store : path, optional
        The analytic store (DuckDB); its event cache is built beside it on first use.
    registry : str, optional
        Registry URL (default: the configured registry, beside the store).

    Returns
    -------
    MeasureResult
        Estimates: the DiD effect on ideal-point distance (type scope), mean before/after change
        of treated and matched dyads, and event-data levels or changes per actor subset.

    Examples
    --------
    >>> communication(Scope(type="joint_exercise", contributor=2))     # doctest: +SKIP
    """
    from detente import config

    store_file = config.store_path(store)
    dyads = engagement_dyads(scope, registry, store_file)
    warnings: list[str] = []
    caveats: list[str] = []
    diagnostics: dict[str, Any] = {}
    details: dict[str, pd.DataFrame] = {"dyads": dyads}
    rows: list[dict[str, Any]] = []
    single = scope.engagement is not None
    if dyads.empty:
        warnings.append("no contributor-partner dyad in scope: the registry has no engagement with both "
                        "a contributor and a host or partner for it")
    # UN voting: untreated = never engaged with the contributor in an engagement of this type
    ideal = _ideal_points(store_file)
    exclude = _engaged_pairs(scope, registry, store_file, dyads)
    un = ideal_point_did(dyads, ideal, exclude=exclude, estimate=not single) if not dyads.empty else {
        "per_dyad": pd.DataFrame(), "excluded": pd.DataFrame(), "panel": pd.DataFrame(), "path": pd.DataFrame()}
    per = un["per_dyad"]
    details["ideal_point_per_dyad"] = per
    details["ideal_point_excluded"] = un["excluded"]
    details["ideal_point_path"] = un["path"]
    diagnostics["treated dyads with a complete UN window"] = len(per)
    diagnostics["treated dyads without one"] = len(un["excluded"])
    if len(un["excluded"]):
        reasons = un["excluded"]["reason"].value_counts()
        warnings.append(f"{len(un['excluded'])} of {len(dyads)} dyads left out of the UN-voting comparison "
                        f"(missing outside coverage, never imputed): "
                        + "; ".join(f"{n} × {r}" for r, n in reasons.items()))
    causal = False
    desc = "descriptive before/after of UN ideal-point distance, with matched untreated dyads for reference"
    if not per.empty:
        rows.append(mean_row("ideal-point distance, change after engagement (treated)", per["change"], desc))
        rows.append(mean_row("ideal-point distance, change over the same years (matched untreated)",
                              per["control_change"], desc))
        rows.append(mean_row("ideal-point distance, treated minus matched change", per["difference"], desc))
    if not single and "did" in un:
        did, pre = un["did"], un["pretrend"]
        t = did.tidy().set_index("term").loc["treat_post"]
        did_design = ("stacked difference-in-differences, matched untreated dyads, dyad and year effects "
                      "(within stack), clustered by dyad")
        rows.insert(0, _row("effect on ideal-point distance (DiD, years +1..+5 vs -5..-1)", float(t["estimate"]),
                            n=int(did.n_), design=did_design, se=float(t["std_error"]),
                            low=float(t["conf_low"]), high=float(t["conf_high"]), p=float(t["p_value"]),
                            se_type=did.se_type_))
        diagnostics["pre-trend test"] = pre
        diagnostics["clusters (dyads)"] = did.clusters_
        details["event_study"] = un["event_study"].tidy()
        # cluster-robust inference leans on the treated clusters, so count those, not all dyads
        enough = len(per) >= MIN_TREATED
        parallel = not (pre["p_value"] < 0.05)
        causal = enough and parallel
        if not parallel:
            warnings.append(f"pre-trends: treated and matched dyads already diverged before the engagement "
                            f"(p = {pre['p_value']:.3g}); the DiD is read as descriptive")
        if not enough:
            warnings.append(f"only {len(per)} treated dyads (fewer than {MIN_TREATED}): too few for a causal "
                            "reading; the DiD is reported as descriptive")
        warnings.extend(f"DiD: {w}" for w in did.warnings_ if w not in warnings)
    elif single and not per.empty:
        caveats.append("a single engagement is described, not estimated: its before/after change beside "
                       "matched untreated dyads is no effect estimate")

    # event data
    events = event_store(store_file)
    coverage = event_coverage(events)
    details["event_coverage"] = coverage
    diagnostics["event data coverage"] = "; ".join(
        f"{r.dataset}: {r.days} day(s) between {r.first} and {r.last}" for r in coverage.itertuples())
    levels = dyad_event_levels(events, dyads)
    details["event_levels"] = levels
    windows = before_after_windows(dyads, covered_days(events)) if not dyads.empty else dyads
    change = dyad_event_change(events, windows) if not dyads.empty else pd.DataFrame()
    details["event_change"] = change
    rows.extend(_event_rows(levels, change, coverage))
    n_ba = 0 if change.empty else change[["contributor", "partner"]].drop_duplicates().shape[0]
    diagnostics["dyads with event data before and after"] = n_ba
    if not dyads.empty and n_ba == 0:
        warnings.append(
            "the event data cannot support a before/after comparison: no event dataset covers at least "
            f"{MIN_DAYS} days on both sides of any engagement start in scope (the samples cover "
            + ", ".join(f"{r.days} day(s) of {r.dataset} around {r.first}" for r in coverage.itertuples())
            + "); only levels in the covered days are reported, and they are not changes")
    total = 0 if levels.empty else int(levels.loc[levels["subset"] == "all actors", "events"].sum())
    if not dyads.empty and total < MIN_EVENTS:
        warnings.append(f"too few events: {total} event(s) between the dyads in scope in the covered days "
                        f"(fewer than {MIN_EVENTS}); the event measures are not interpretable")
    caveats.extend([
        "UN ideal-point distance measures alignment in General Assembly voting, a slow-moving proxy for "
        "diplomatic closeness; it does not count contacts.",
        "The matched comparison dyads share the contributor and (where possible) the partner's region and "
        "had the nearest pre-engagement distance; they are not matched on anything else.",
        "Event counts depend on news coverage: more reporting is not more communication. The GDELT 1.0 "
        "sample is limited to events geolocated to Georgia in August 2011 and the GDELT 2.0 sample to one "
        "15-minute update, so their dyad counts are selections, not totals.",
    ])
    assumptions = ["UN ideal points (final-passage votes) measure the same preference dimension across years"]
    if not single:
        assumptions.append("parallel trends: without the engagement, treated dyads' distance would have moved "
                           "like their matched untreated dyads' (checked by the pre-trend test)")
        assumptions.append("no anticipation before the engagement year and no spill-over onto comparison dyads")
    design = ("stacked difference-in-differences on UN ideal-point distance with matched untreated dyads; "
              "event-data levels" if not single else
              "descriptive before/after of UN ideal-point distance and event-data levels for one engagement")
    estimates = pd.DataFrame(rows) if rows else pd.DataFrame(columns=["quantity", "estimate"])
    result = MeasureResult(
        measure="communication", question=QUESTION, scope=scope.as_dict(), estimates=estimates,
        design=design, causal=causal, assumptions=assumptions, diagnostics=diagnostics, caveats=caveats,
        sources=["unga_ideal_points", *EVENT_SOURCES], warnings=warnings, details=details,
    )
    result.headline = _headline(scope, per, un, causal, n_ba)
    result.figure = _figure(scope, un["path"], levels)
    return result


def _engaged_pairs(scope: Scope, registry: Any, store: Path, dyads: pd.DataFrame) -> set[tuple[int, int]]:
    """Every contributor-partner pair ever engaged in an engagement of the scope's type."""
    if scope.type is not None and scope != Scope(type=scope.type):
        every = engagement_dyads(Scope(type=scope.type), registry, store)
    else:  # one engagement, or the whole type: the scope's own dyads
        every = dyads
    return {(min(c, p), max(c, p)) for c, p in zip(every["contributor"], every["partner"], strict=True)}


def _event_rows(levels: pd.DataFrame, change: pd.DataFrame, coverage: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    days = dict(zip(coverage["dataset"], coverage["days"], strict=True))
    design = "event-data level in the covered days (descriptive, no before/after)"
    if not levels.empty:
        for (ds, subset), g in levels.groupby(["dataset", "subset"], sort=True):
            n = int(g["events"].sum())
            coop = int(g["verbal_coop"].sum() + g["material_coop"].sum())
            gold = float((g["goldstein_mean"] * g["events"]).sum() / n)
            cov = f"{ds}, {days.get(ds, 0)} covered day(s)"
            rows.append(_row(f"events per covered day, {subset}", n / max(days.get(ds, 1), 1), n=n,
                             design=design, dataset=ds, coverage=cov))
            rows.append(_row(f"mean Goldstein, {subset}", gold, n=n, design=design, dataset=ds, coverage=cov))
            rows.append(_row(f"cooperative share, {subset}", coop / n, n=n, design=design, dataset=ds,
                             coverage=cov))
            for q in ("verbal_coop", "material_coop", "verbal_conflict", "material_conflict"):
                rows.append(_row(f"{q.replace('_', ' ')} events, {subset}", float(g[q].sum()), n=n,
                                 design=design, dataset=ds, coverage=cov))
    if not change.empty:
        design = f"before/after the engagement start in one event dataset ({EVENT_WINDOW_DAYS} days each side)"
        wide = change.pivot_table(index=["contributor", "partner", "subset"], columns="side",
                                  values=["per_day", "goldstein_mean", "coop_share"]).reset_index()
        for subset, g in wide.groupby("subset"):
            for measure, label in (("per_day", "events per covered day"), ("goldstein_mean", "mean Goldstein"),
                                   ("coop_share", "cooperative share")):
                diff = g[(measure, "after")] - g[(measure, "before")]
                rows.append(mean_row(f"change in {label}, {subset}", diff, design))
    return rows


def _headline(scope: Scope, per: pd.DataFrame, un: dict[str, Any], causal: bool, n_ba: int) -> str:
    if per.empty:
        return (f"M4 communication, {scope.label}: no dyad has UN ideal points over the whole ten-year window, "
                "so no before/after is reported; event data give levels only (descriptive).")
    if "did" in un:
        t = un["did"].tidy().set_index("term").loc["treat_post"]
        word = "fell" if t["estimate"] < 0 else "rose"
        reading = ("causal under parallel trends (pre-trend test passed)" if causal
                   else "descriptive, not an effect")
        if t["conf_low"] <= 0 <= t["conf_high"]:
            word = "moved, indistinguishably from zero," if causal else "moved"
            word = f"{word} {'down' if t['estimate'] < 0 else 'up'}"
        text = (f"M4 communication, {scope.label}: UN ideal-point distance {word} by {abs(t['estimate']):.3f} "
                f"(95% CI {t['conf_low']:.3f} to {t['conf_high']:.3f}) relative to matched untreated dyads "
                f"over five years, across {len(per)} treated dyads — {reading}; resting on a stacked "
                "difference-in-differences of UN voting.")
    else:
        m = per["change"].mean()
        text = (f"M4 communication, {scope.label}: mean UN ideal-point distance changed by {m:+.3f} from five "
                f"years before to five years after, across {len(per)} dyad(s), against {per['control_change'].mean():+.3f} "
                "for matched untreated dyads — descriptive, one engagement, not an effect.")
    if n_ba == 0:
        text += " Event data: levels only; the samples cannot show a change."
    return text


def _figure(scope: Scope, path: pd.DataFrame, levels: pd.DataFrame) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2))
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    if path.empty:
        ax.text(0.5, 0.5, "no dyad with a complete\nUN-voting window", ha="center", va="center",
                transform=ax.transAxes)
    else:
        for group, style in (("treated", "-o"), ("matched untreated", "--s")):
            g = path[path["group"] == group].sort_values("rel")
            se = g["std"].fillna(0) / np.sqrt(g["count"])
            ax.plot(g["rel"], g["mean"], style, label=f"{group} (n = {int(g['count'].max())})")
            ax.fill_between(g["rel"], g["mean"] - 1.96 * se, g["mean"] + 1.96 * se, alpha=0.15)
        ax.axvline(0, color="grey", lw=1)
        ax.legend(frameon=False)
    ax.set_xlabel("years from first engagement")
    ax.set_ylabel("UN ideal-point distance (mean, 95% band)")
    ax.set_title("UN voting distance, treated vs matched dyads")
    if levels.empty:
        bx.text(0.5, 0.5, "no events between the dyads\nin the covered days", ha="center", va="center",
                transform=bx.transAxes)
        bx.set_axis_off()
    else:
        quads = ["verbal_coop", "material_coop", "verbal_conflict", "material_conflict"]
        colours = ["#4c9f70", "#1b6b3a", "#e39b4b", "#b3361b"]
        agg = levels.groupby("subset")[quads].sum().reindex(list(SUBSETS)).fillna(0)
        left = np.zeros(len(agg))
        for q, colour in zip(quads, colours, strict=True):
            bx.barh(agg.index, agg[q], left=left, color=colour, label=q.replace("_", " "))
            left += agg[q].to_numpy()
        bx.invert_yaxis()
        bx.set_xlabel("events in the covered days (all samples)")
        bx.legend(frameon=False, fontsize=8)
        bx.set_title("Event data by CAMEO quad class (levels)")
    fig.suptitle(f"M4 communication — {scope.label}")
    fig.tight_layout()
    return fig

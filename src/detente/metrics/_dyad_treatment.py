"""Contributor–partner dyads treated by engagements, matched comparison dyads, and the store
access the dyadic measures share (coverage windows, DESTA in CoW codes).

A *treated dyad* is a (contributor, partner) pair of CoW states joined by at least one engagement
in scope; its *first year* is the start year of the earliest such engagement. Hosts and partners
both count as the partner side. Comparison dyads pair the same contributor with partners of the
same CoW region that the contributor has not engaged (by any engagement of the same types) before
the end of the comparison window, so they are "not yet treated" throughout it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.exceptions import DetenteError
from detente.metrics.scope import Scope, region_of

if TYPE_CHECKING:
    import duckdb

    from detente.metrics.result import MeasureResult
    from detente.registry.api import Registry

#: Columns of :func:`engagement_dyads`.
DYAD_COLUMNS = ("engagement_id", "contributor", "partner", "start_year", "end_year")


@dataclass
class Treatment:
    """The engagements in scope as dyads.

    Attributes
    ----------
    links : pandas.DataFrame
        One row per engagement and contributor–partner pair (:data:`DYAD_COLUMNS`).
    first : pandas.DataFrame
        One row per treated dyad: ``contributor, partner, first_year, n_engagements``.
    ever : pandas.DataFrame
        Every contributor–partner pair ever engaged by the scope's engagement types (any
        contributor or partner), with its first year: used to keep comparison dyads untreated.
    types : list of str
        The engagement types involved.
    """

    links: pd.DataFrame
    first: pd.DataFrame
    ever: pd.DataFrame
    types: list[str]


def run_dyad_measure(scope: Scope, store: Any, registry: Any,
                     single: Callable[[Scope, Treatment, duckdb.DuckDBPyConnection], MeasureResult],
                     panel: Callable[[Scope, Treatment, duckdb.DuckDBPyConnection], MeasureResult]) -> MeasureResult:
    """Run a dyadic measure: find the scope's treated dyads, then apply the one-engagement
    design (``single``) or the type design (``panel``) to them.

    Parameters
    ----------
    scope : Scope
    store : path or duckdb connection, optional
        The analytic store (default store when None).
    registry : str or Registry, optional
        Registry URL or an open registry (default registry when None).
    single, panel : callable
        ``(scope, treatment, con) -> MeasureResult``.
    """
    from detente.metrics._treatment import read_registry

    con = open_store(store)
    own_con = con is not store
    try:
        reg, own_reg = read_registry(registry, store if own_con else None)
        try:
            treatment = engagement_dyads(scope, reg, con)
        finally:
            if own_reg:
                reg.close()
        return (single if scope.engagement is not None else panel)(scope, treatment, con)
    finally:
        if own_con:
            con.close()


def _to_cow(frame: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.Series:
    """CoW codes for participants recorded in either system (G-W converted by the start year)."""
    codes = frame["code"].astype("Int64").copy()
    gw = frame["system"] == "gw"
    if gw.any():
        from detente.states import convert

        years = frame.loc[gw, "start"].dt.year.fillna(2000).astype("int64")
        codes.loc[gw] = convert(frame.loc[gw, "code"].astype("int64"), years, source="gw", target="cow",
                                con=con).to_numpy()
    return codes


def _pairs(parts: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Cross contributors with partners/hosts inside each engagement."""
    parts = parts[parts["start"].notna()].copy()
    if parts.empty:
        return pd.DataFrame(columns=list(DYAD_COLUMNS))
    parts["cow"] = _to_cow(parts, con)
    parts = parts[parts["cow"].notna()]
    con_side = parts[parts["role"] == "contributor"][["engagement_id", "cow", "start", "end"]]
    par_side = parts[parts["role"].isin(["host", "partner"])][["engagement_id", "cow"]]
    pairs = con_side.merge(par_side, on="engagement_id", suffixes=("_c", "_p"))
    pairs = pairs[pairs["cow_c"] != pairs["cow_p"]]
    out = pd.DataFrame({
        "engagement_id": pairs["engagement_id"].to_numpy(),
        "contributor": pairs["cow_c"].astype("int64").to_numpy(),
        "partner": pairs["cow_p"].astype("int64").to_numpy(),
        "start_year": pairs["start"].dt.year.astype("int64").to_numpy(),
        # an engagement without an end is ongoing: its last year is unknown, not the start year
        "end_year": pairs["end"].dt.year.astype("Int64").to_numpy(),
    })
    return out.drop_duplicates().reset_index(drop=True)


def engagement_dyads(scope: Scope, registry: Registry, con: duckdb.DuckDBPyConnection) -> Treatment:
    """The treated contributor–partner dyads of a scope.

    Parameters
    ----------
    scope : Scope
        One engagement, or a type narrowed by contributor, partner and region (of the partner).
    registry : Registry
        An open registry.
    con : duckdb connection
        The analytic store (for G-W to CoW conversion).

    Returns
    -------
    Treatment
    """
    from detente.registry import engagements_frame, participants_frame

    if scope.engagement is not None:
        eng = engagements_frame(registry, ids=[scope.engagement])
        if eng.empty:
            raise DetenteError(f"no engagement {scope.engagement!r} in the registry")
        types = [str(eng["type"].iloc[0])]
    else:
        types = [str(scope.type)]
    parts = participants_frame(registry, type=types)
    parts = parts[parts["status"] != "cancelled"]
    ever_links = _pairs(parts, con)
    ever = (ever_links.groupby(["contributor", "partner"], as_index=False)["start_year"].min()
            .rename(columns={"start_year": "first_year"}))
    links = ever_links
    if scope.engagement is not None:
        links = links[links["engagement_id"] == scope.engagement]
    if scope.contributor is not None:
        links = links[links["contributor"] == scope.contributor]
    if scope.partner is not None:
        links = links[links["partner"] == scope.partner]
    if scope.region is not None:
        links = links[links["partner"].map(region_of) == scope.region]
    first = (links.groupby(["contributor", "partner"], as_index=False)
             .agg(first_year=("start_year", "min"), n_engagements=("engagement_id", "nunique")))
    return Treatment(links=links.reset_index(drop=True), first=first, ever=ever, types=types)


def match_controls(
    treated: pd.DataFrame,
    candidates: pd.DataFrame,
    ever: pd.DataFrame,
    *,
    score: str | list[str],
    k: int = 3,
    window: int = 10,
) -> pd.DataFrame:
    """Nearest comparison dyads for each treated dyad.

    Parameters
    ----------
    treated : DataFrame
        ``contributor, partner, first_year`` and the pre-period ``score`` column(s).
    candidates : DataFrame
        ``contributor, partner, first_year, control`` and ``score``: the comparison pool, scored
        for the treated dyad's first year.
    ever : DataFrame
        Every engaged pair with its first year: a candidate engaged before
        ``first_year + window`` is not a valid comparison.
    score : str or list of str
        Pre-period matching variables; the distance is the sum of absolute differences over the
        scores the treated dyad has (the first is required of both sides).
    k : int
        Comparisons per treated dyad (fewer when the pool is smaller).
    window : int
        Years after the first year during which comparisons must stay untreated.

    Returns
    -------
    DataFrame
        ``contributor, partner (treated), first_year, control, distance``.
    """
    scores = [score] if isinstance(score, str) else list(score)
    keys = ["contributor", "partner", "first_year"]
    pool = candidates.merge(ever.rename(columns={"partner": "control", "first_year": "engaged"}),
                            how="left", on=["contributor", "control"])
    # not yet treated over the whole window (the same contributor's other engagements count too)
    pool = pool[pool["engaged"].isna() | (pool["engaged"] > pool["first_year"] + window)]
    pool = pool.merge(treated[keys + scores], on=keys, suffixes=("_c", ""))
    # a score the treated dyad lacks is not used for it; one it has must be present in the candidate
    parts = [(pool[f"{s}_c"] - pool[s]).abs().where(pool[s].notna(), 0.0) for s in scores]
    pool["distance"] = sum(parts)
    pool = pool[pool["distance"].notna() & pool[[f"{s}_c" for s in scores[:1]]].notna().all(axis=1)]
    pool = pool.sort_values([*keys, "distance", "control"])
    best = pool.groupby(keys, sort=False).head(k)
    return best[[*keys, "control", "distance"]].reset_index(drop=True)


def comparison_pool(treated: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
    """Candidate partners for each treated dyad: states of the partner's region in its first year.

    Parameters
    ----------
    treated : DataFrame
        ``contributor, partner, first_year``.
    states : DataFrame
        ``ccode, year``: the state system by year.

    Returns
    -------
    DataFrame
        ``contributor, partner, first_year, control``.
    """
    st = states.copy()
    st["region"] = st["ccode"].map(region_of)
    tr = treated[["contributor", "partner", "first_year"]].copy()
    tr["region"] = tr["partner"].map(region_of)
    pool = tr.merge(st.rename(columns={"ccode": "control", "year": "first_year"}),
                    on=["region", "first_year"])
    pool = pool[(pool["control"] != pool["partner"]) & (pool["control"] != pool["contributor"])]
    return pool[["contributor", "partner", "first_year", "control"]].reset_index(drop=True)


def state_years(con: duckdb.DuckDBPyConnection, last_year: int = 2024) -> pd.DataFrame:
    """CoW system members by year (``ccode, year``).

    The CoW list ends on 2016-12-31; states members on that day are carried to ``last_year``
    (the system has not changed since, and the outcome datasets run later).
    """
    from detente.states import membership_spells

    spells = membership_spells("cow", con)
    rows = []
    for r in spells.itertuples(index=False):
        start, end = r.start.year, r.end.year
        if (r.end.month, r.end.day) == (12, 31) and end == 2016:
            end = last_year
        rows.extend((int(r.code), y) for y in range(start, end + 1))
    return pd.DataFrame(rows, columns=["ccode", "year"]).drop_duplicates().reset_index(drop=True)


def paired_difference(diff: pd.Series) -> tuple[float, float, int]:
    """Mean, standard error and n of unit-level differences (missing dropped)."""
    d = pd.to_numeric(diff, errors="coerce").dropna()
    n = len(d)
    if n == 0:
        return float("nan"), float("nan"), 0
    se = float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return float(d.mean()), se, n


#: Coverage windows (first, last year) of the outcome datasets, from their source definitions.
COVERAGE_SOURCES = {
    "trade": "cow_trade",
    "agreements": "desta_trade_agreements",
    "alliance": "atop_alliance",
    "ideal_points": "unga_ideal_points",
    "igo": "cow_igo",
    "gdp": "gdp_population_fariss",
    "conflict": "ucdp_prio_acd",
    "contiguity": "cow_contiguity",
}


def coverage(name: str) -> tuple[int, int]:
    """The (first, last) year covered by an outcome dataset (its source definition)."""
    from detente.sources import get_source

    start, end = get_source(COVERAGE_SOURCES[name]).coverage
    return int(start), int(end)


def open_store(store: Any) -> duckdb.DuckDBPyConnection:
    """A read-only connection to ``store`` (a path, an open connection, or None for the default)."""
    import duckdb

    from detente import config
    from detente.store import connect

    if isinstance(store, duckdb.DuckDBPyConnection):
        return store
    return connect(config.store_path(store if store is None else Path(store)), read_only=True)


def desta_dyads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """DESTA treaty dyads in CoW codes.

    Country names are resolved with :func:`detente.states.resolve_names` in the treaty's year
    (DESTA's ISO numeric codes have no crosswalk here, and names such as "Germany" change meaning
    over time). Consolidated versions repeat base treaties and are left out; signatures without a
    year cannot be placed in time and are left out too.

    Returns
    -------
    DataFrame
        ``a, b`` (CoW codes, a < b), ``year`` (signature), ``number``, ``name``, ``entry_type``,
        ``typememb``.
    """
    raw = con.execute(
        "select country1, country2, year, number, name, entry_type, typememb "
        "from desta_trade_agreements.desta_list_of_treaties_v2_02_dyads "
        "where entry_type <> 'consolidated' and year is not null"
    ).df()
    return _resolve_desta(raw)


def _resolve_desta(raw: pd.DataFrame) -> pd.DataFrame:
    from detente.states import resolve_names

    names = pd.concat([raw[["country1", "year"]].set_axis(["name", "year"], axis=1),
                       raw[["country2", "year"]].set_axis(["name", "year"], axis=1)]).drop_duplicates()
    res = resolve_names(names["name"].tolist(), system="cow", years=names["year"].astype(int).tolist())
    names["code"] = res.codes.to_numpy()
    key = names.set_index(["name", "year"])["code"]
    c1 = pd.Series(key.reindex(pd.MultiIndex.from_frame(raw[["country1", "year"]])).to_numpy(), dtype="Int64")
    c2 = pd.Series(key.reindex(pd.MultiIndex.from_frame(raw[["country2", "year"]])).to_numpy(), dtype="Int64")
    out = raw.assign(c1=c1.to_numpy(), c2=c2.to_numpy()).dropna(subset=["c1", "c2"])
    out = out[out["c1"] != out["c2"]]
    a = out[["c1", "c2"]].min(axis=1).astype("int64")
    b = out[["c1", "c2"]].max(axis=1).astype("int64")
    res_frame = pd.DataFrame({
        "a": a.to_numpy(), "b": b.to_numpy(), "year": out["year"].astype("int64").to_numpy(),
        "number": out["number"].astype(str).to_numpy(), "name": out["name"].to_numpy(),
        "entry_type": out["entry_type"].to_numpy(), "typememb": out["typememb"].to_numpy(),
    })
    return res_frame.drop_duplicates(["a", "b", "number"]).reset_index(drop=True)


@lru_cache(maxsize=1)
def _cached_desta(path: str) -> pd.DataFrame:
    from detente.store import connect

    con = connect(path, read_only=True)
    try:
        return desta_dyads(con)
    finally:
        con.close()


def desta_for(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """:func:`desta_dyads`, cached per store file (name resolution is the slow part)."""
    row = con.execute("select file from pragma_database_list where name = current_database()").fetchone()
    if row and row[0]:
        return _cached_desta(str(row[0])).copy()
    return desta_dyads(con)


def mean_row(quantity: str, diff: pd.Series, design: str,
             se_type: str = "standard error of the mean across dyads") -> dict[str, Any]:
    """A tidy estimates row for the mean of unit-level values, with a t-based 95% interval."""
    from detente.methods._dist import t_ppf, t_sf

    mean, se, n = paired_difference(diff)
    ok = n > 1 and se == se and se > 0
    p = float(2 * t_sf(abs(mean / se), n - 1)) if ok else float("nan")
    half = float(t_ppf(0.975, n - 1) * se) if ok else float("nan")
    return {"quantity": quantity, "estimate": mean, "std_error": se, "conf_low": mean - half,
            "conf_high": mean + half, "p_value": p, "n": n, "design": design, "se_type": se_type}

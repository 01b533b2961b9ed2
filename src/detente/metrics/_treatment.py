"""Engagement treatment tables: which partner/host states an evaluation scope treats, and when.

The measures read engagements from the registry and turn them into state-years (CoW codes):

- :func:`scope_participants` — the participants of the engagements in a scope, codes in CoW;
- :func:`treated_state_years` — one row per treated (host or partner) state, year and engagement;
- :func:`first_treated_year` — each treated state's first engagement year.

Participants recorded in Gleditsch–Ward codes are converted to CoW with the dated crosswalk
(a code with no CoW counterpart that year is dropped and counted, never guessed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from detente.exceptions import DetenteError
from detente.metrics.scope import Scope, region_of

if TYPE_CHECKING:
    import duckdb

    from detente.metrics.result import MeasureResult
    from detente.registry.api import Registry

__all__ = [
    "TREATED_ROLES",
    "first_treated_year",
    "read_registry",
    "run_state_measure",
    "scope_participants",
    "treated_state_years",
    "treatment_coverage",
]

#: Roles whose state receives the engagement (the treated unit); contributors engage.
TREATED_ROLES = ("host", "partner")

PARTICIPANT_COLUMNS = ["engagement_id", "type", "start", "end", "ccode", "role", "personnel", "source"]
TREATED_COLUMNS = ["ccode", "year", "engagement_id", "type", "role", "personnel", "source"]


def read_registry(registry: Any, store: Any = None) -> tuple[Registry, bool]:
    """An open registry for a measure to read, and whether this call opened it (then close it).

    Parameters
    ----------
    registry : str, Registry or None
        A registry URL, an open :class:`~detente.registry.Registry` (returned as it is), or None
        for the configured one.
    store : path, optional
        The analytic store (locates the default registry).

    Raises
    ------
    DetenteError
        The database holds no registry tables (nothing was ever imported or added).
    """
    from sqlalchemy import inspect

    from detente.registry import Registry, open_registry

    if isinstance(registry, Registry):
        return registry, False
    # The measures only read: no schema migration (a write's job) and no state-code checks
    # (they would load the state tables for nothing).
    reg = open_registry(registry, store=store, check_codes=False, migrate=False)
    if not inspect(reg.engine).has_table("engagements"):
        url = reg.engine.url.render_as_string(hide_password=True)
        reg.close()
        raise DetenteError(f"the registry {url} has no engagements table: add engagements or import the "
                           "public record (detente registry import-public) first")
    return reg, True


def run_state_measure(scope: Scope, store: str | Path | None, registry: str | None, *,
                      single: Callable[..., MeasureResult], peacekeeping: Callable[..., MeasureResult],
                      by_type: Callable[..., MeasureResult]) -> MeasureResult:
    """Run a state-level measure with the design its scope calls for.

    One engagement goes to ``single(scope, con, store, registry)``; peacekeeping as a whole (no
    contributor) to ``peacekeeping(scope, con)``, the published studies; any other scope to
    ``by_type(scope, con, store, registry)``. The store is opened read-only for the run; model
    cautions are not printed, since each design copies its fits' warnings into the result.
    """
    import warnings

    from detente.exceptions import StatisticalWarning
    from detente.store import connect

    con = connect(store, read_only=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)
            if scope.engagement is not None:
                return single(scope, con, store, registry)
            if scope.type == "peacekeeping" and scope.contributor is None:
                return peacekeeping(scope, con)
            return by_type(scope, con, store, registry)
    finally:
        con.close()


def _to_cow(parts: pd.DataFrame, con: duckdb.DuckDBPyConnection | None) -> tuple[pd.DataFrame, int]:
    """Convert G-W participant codes to CoW by the engagement's start year."""
    gw = parts["system"].str.lower().eq("gw")
    out = parts.copy()
    out["ccode"] = out["code"].astype("Int64")
    dropped = 0
    if gw.any():
        from detente.states import convert

        years = out.loc[gw, "start"].dt.year.fillna(dt.date.today().year).astype(int)
        out.loc[gw, "ccode"] = convert(out.loc[gw, "code"], years, source="gw", target="cow", con=con).to_numpy()
        dropped = int(out.loc[gw, "ccode"].isna().sum())
    out = out[out["ccode"].notna()].copy()
    out["ccode"] = out["ccode"].astype("int64")
    return out, dropped


def scope_participants(
    scope: Scope,
    registry: str | None = None,
    store: str | Path | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """The participants of every engagement in ``scope``, with CoW codes.

    Parameters
    ----------
    scope : Scope
        One engagement, or a type narrowed by contributor, partner (host) and region (of the
        partner/host state).
    registry : str, optional
        Registry URL (default: the configured registry).
    store : path, optional
        The analytic store (for the CoW/G-W crosswalk and the default registry location).
    con : duckdb connection, optional
        An open store connection, used instead of opening ``store``.

    Returns
    -------
    pandas.DataFrame
        Columns ``engagement_id, type, start, end, ccode, role, personnel, source``; every participant
        (contributors too) of the engagements kept. Empty when nothing matches.

    Raises
    ------
    DetenteError
        The engagement id is not in the registry.
    """
    from detente.registry import participants_frame

    reg, opened = read_registry(registry, store)
    try:
        parts = participants_frame(reg, scope.type) if scope.type else participants_frame(reg)
        if scope.engagement is not None:
            parts = parts[parts["engagement_id"] == scope.engagement]
            if parts.empty and not reg.exists(scope.engagement):
                raise DetenteError(f"engagement {scope.engagement!r} is not in the registry")
    finally:
        if opened:
            reg.close()
    if parts.empty:
        return pd.DataFrame(columns=PARTICIPANT_COLUMNS)
    own = con is None and any(parts["system"].str.lower().eq("gw"))
    if own:
        from detente.store import connect

        con = connect(store, read_only=True)
    try:
        parts, _ = _to_cow(parts, con)
    finally:
        if own and con is not None:
            con.close()
    keep = pd.Series(True, index=parts.index)
    treated = parts["role"].isin(TREATED_ROLES)
    if scope.contributor is not None:
        ids = set(parts.loc[(parts["role"] == "contributor") & (parts["ccode"] == scope.contributor), "engagement_id"])
        keep &= parts["engagement_id"].isin(ids)
    if scope.partner is not None:
        ids = set(parts.loc[treated & (parts["ccode"] == scope.partner), "engagement_id"])
        keep &= parts["engagement_id"].isin(ids)
        # Other hosts of a multi-host engagement are not the partner asked about.
        keep &= ~treated | (parts["ccode"] == scope.partner)
    if scope.region is not None:
        in_region = parts["ccode"].map(region_of) == scope.region
        ids = set(parts.loc[treated & in_region, "engagement_id"])
        keep &= parts["engagement_id"].isin(ids)
        keep &= ~treated | in_region
    out = parts.loc[keep, PARTICIPANT_COLUMNS].reset_index(drop=True)
    return out


def treated_state_years(
    scope: Scope,
    registry: str | None = None,
    store: str | Path | None = None,
    *,
    last_year: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    participants: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The host/partner state-years an evaluation scope treats.

    A state is treated in every calendar year from its engagement's start to its end; an
    engagement without an end date is counted through ``last_year`` (default: the current year).
    Engagements without a start date are left out (they cannot be placed in time).

    Parameters
    ----------
    scope : Scope
    registry : str, optional
        Registry URL.
    store : path, optional
        The analytic store.
    last_year : int, optional
        The last year an open-ended engagement is counted in.
    con : duckdb connection, optional
    participants : pandas.DataFrame, optional
        The scope's participants from :func:`scope_participants`, when already read.

    Returns
    -------
    pandas.DataFrame
        Columns ``ccode, year, engagement_id, type, role, personnel, source`` (one row per state, year
        and engagement; ``personnel`` is the engagement's yearly level where the registry has
        it, else the participant's, else missing).

    Examples
    --------
    >>> from detente.metrics import Scope
    >>> tsy = treated_state_years(Scope(type="peacekeeping", region="africa"))  # doctest: +SKIP
    >>> tsy.groupby("ccode").year.min()  # doctest: +SKIP
    """
    parts = participants if participants is not None else scope_participants(scope, registry, store, con=con)
    hosts = parts[parts["role"].isin(TREATED_ROLES) & parts["start"].notna()]
    if hosts.empty:
        return pd.DataFrame(columns=TREATED_COLUMNS).astype({"ccode": "int64", "year": "int64"})
    last = int(last_year or dt.date.today().year)
    first_y = hosts["start"].dt.year.astype(int)
    last_y = hosts["end"].dt.year.fillna(last).astype(int).clip(upper=max(last, int(first_y.max())))
    rows = hosts.assign(_y0=first_y, _y1=last_y.where(last_y >= first_y, first_y))
    rows = rows.assign(year=[list(range(a, b + 1)) for a, b in zip(rows["_y0"], rows["_y1"], strict=True)])
    out = rows.explode("year").astype({"year": "int64"})
    yearly = _yearly_personnel(scope, registry, store)
    if not yearly.empty:
        out = out.merge(yearly, on=["engagement_id", "year"], how="left")
        out["personnel"] = out["yearly_personnel"].fillna(out["personnel"])
    out = out[TREATED_COLUMNS].sort_values(["ccode", "year", "engagement_id"]).reset_index(drop=True)
    out["personnel"] = out["personnel"].astype("Float64")
    return out


def _yearly_personnel(scope: Scope, registry: str | None, store: str | Path | None) -> pd.DataFrame:
    from detente.registry import yearly_frame

    reg, opened = read_registry(registry, store)
    try:
        y = yearly_frame(reg, scope.type) if scope.type else yearly_frame(reg)
    finally:
        if opened:
            reg.close()
    if scope.engagement is not None:
        y = y[y["engagement_id"] == scope.engagement]
    y = y.dropna(subset=["personnel"])
    if y.empty:
        return pd.DataFrame(columns=["engagement_id", "year", "yearly_personnel"])
    y = y.groupby(["engagement_id", "year"], as_index=False)["personnel"].sum()
    return y.rename(columns={"personnel": "yearly_personnel"}).astype({"year": "int64"})


def first_treated_year(treated: pd.DataFrame) -> pd.Series:
    """Each treated state's first engagement year (index ``ccode``), from :func:`treated_state_years`."""
    if treated.empty:
        return pd.Series(dtype="int64", name="first_year")
    return treated.groupby("ccode")["year"].min().rename("first_year")


def treatment_coverage(participants: pd.DataFrame) -> tuple[int | None, int | None, list[str]]:
    """The years in which the engagement record of a scope is complete enough to code "not engaged".

    A state-year outside the coverage of every public dataset the engagements come from is not
    known to be untreated: the measures leave such years out rather than count them as 0. The
    window is the union of the sources' coverage; engagements without a public source (a user's
    own records) widen it to their own years.

    Parameters
    ----------
    participants : pandas.DataFrame
        From :func:`scope_participants`.

    Returns
    -------
    (first, last, sources)
        First and last covered year (None when unknown) and the public source ids met.
    """
    from detente.exceptions import SourceError
    from detente.sources import get_source

    if participants.empty:
        return None, None, []
    firsts: list[int] = []
    lasts: list[int] = []
    sources: list[str] = []
    for src, g in participants.groupby(participants["source"].fillna(""), sort=True):
        cov: tuple[int | None, int | None] = (None, None)
        if src:
            try:
                cov = get_source(str(src)).coverage
                sources.append(str(src))
            except (SourceError, KeyError):
                cov = (None, None)
        lo = cov[0] if cov[0] is not None else g["start"].dt.year.min()
        hi = cov[1] if cov[1] is not None else g["end"].fillna(g["start"]).dt.year.max()
        if pd.notna(lo):
            firsts.append(int(lo))
        if pd.notna(hi):
            lasts.append(int(hi))
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None), sources

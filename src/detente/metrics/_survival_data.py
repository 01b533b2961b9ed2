"""Survival data for the peace-duration measure: Fortna's cease-fire spells and post-conflict
peace spells of states built from the UCDP/PRIO Armed Conflict Dataset.

- :func:`fortna_rows` — Fortna's counting-process rows (time in years, time-varying ``pk_dum``);
- :func:`fortna_spell_years` — the same spells split into spell-years for a discrete-time hazard;
- :func:`ros_shares` — the Regression and Other Stories (ch. 1) shares still at peace;
- :func:`acd_state_years` — G-W state-years 1946–last ACD year with conflict involvement, CoW codes;
- :func:`peace_spells` — spell-years of peace after a conflict-year, ending when conflict recurs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from detente.metrics.scope import region_of

if TYPE_CHECKING:
    import duckdb

__all__ = ["acd_state_years", "fortna_rows", "fortna_spell_years", "peace_spells", "ros_shares"]

#: Days per year used to express Fortna's analysis time in years (ROS uses 365.24).
DAYS_PER_YEAR = 365.25
FORTNA = "fortna_peacekeeping_duration.fortna_pk_pkept"
FORTNA_OLD = "fortna_peacekeeping_duration.fortna_pk_pkept_old"
ACD = "ucdp_prio_acd.ucdp_acd_v25_1_peacesciencer_long"
CROSSWALK = "cow_gw_crosswalk.gw_cw_panel"
#: Fortna's standard controls (Fortna 2004, 2008): military victory, treaty, identity war, log deaths.
FORTNA_CONTROLS = ("victory", "treaty", "wartype", "logdead")


def fortna_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Fortna's cease-fire spells in counting-process form.

    Returns
    -------
    pandas.DataFrame
        One row per spell and peacekeeping status: ``id, ccode, cname, cluster, start, stop``
        (years since the cease-fire; Stata's ``_t0``/``_t`` in days divided by 365.25), ``event``
        (war resumes at ``stop``), ``pk_dum`` (peacekeepers present) and the controls
        :data:`FORTNA_CONTROLS`.
    """
    cols = ", ".join(FORTNA_CONTROLS)
    d = con.execute(
        f"select id, ccode, cname, cluster, _t0, _t, _d as event, pk_dum, {cols} from {FORTNA} order by id, _t0"
    ).df()
    d["start"] = d["_t0"] / DAYS_PER_YEAR
    d["stop"] = d["_t"] / DAYS_PER_YEAR
    return d.drop(columns=["_t0", "_t"])


def fortna_spell_years(rows: pd.DataFrame) -> pd.DataFrame:
    """Split Fortna's spells into spell-years (year ``t`` = 1, 2, ... since the cease-fire).

    ``pk_dum`` in a spell-year is 1 when peacekeepers were present at any time in it (status
    changes are rare and mostly at a mission's start or end); ``event`` is 1 in the year war
    resumes. Controls are constant within a spell.
    """
    r = rows.sort_values(["id", "start"])
    spell = r.groupby("id", sort=True).agg(
        end=("stop", "max"), failed=("event", "last"), **{c: (c, "first") for c in ("cluster", "ccode", *FORTNA_CONTROLS)}
    )
    n_years = np.maximum(np.ceil(spell["end"].to_numpy()).astype(int), 1)
    out = spell.loc[spell.index.repeat(n_years)].reset_index()
    out["t"] = out.groupby("id").cumcount() + 1
    out["event"] = ((out["t"] == out["id"].map(dict(zip(spell.index, n_years, strict=True))))
                    & out["failed"].astype(bool)).astype(int)
    # Peacekeeping in a year: any row with peacekeepers overlapping [t - 1, t).
    pk = r[r["pk_dum"] == 1][["id", "start", "stop"]]
    cand = out[["id", "t"]].reset_index().merge(pk, on="id")
    hit = cand[(cand["start"] < cand["t"]) & (cand["stop"] > cand["t"] - 1)]["index"].unique()
    out["pk_dum"] = 0
    out.loc[hit, "pk_dum"] = 1
    return out[["id", "t", "event", "pk_dum", "cluster", "ccode", *FORTNA_CONTROLS]]


def ros_shares(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The peacekeeping example of Gelman, Hill & Vehtari (2020, ch. 1) on Fortna's older data.

    Recipe of ROS-Examples ``Peacekeeping/peace.Rmd``: post-Cold-War cases (``pcw == 1``) with a
    known delay; a missing failure date with a cease-fire date means still at peace on
    2004-12-31; delay in years of 365.24 days.

    Returns
    -------
    pandas.DataFrame
        One row per group (``all``, ``peacekeepers``, ``no peacekeepers``): ``n``,
        ``share_at_peace`` (share never returning to war), ``mean_years_to_war`` and
        ``median_years_to_war`` among the failed cases.
    """
    d = con.execute(f"select cfdate, faildate, morewar, pk_dum, pcw from {FORTNA_OLD}").df()
    cf = pd.to_datetime(d["cfdate"])
    fail = pd.to_datetime(d["faildate"])
    fail = fail.where(~(fail.isna() & cf.notna()), pd.Timestamp("2004-12-31"))
    d["delay"] = (fail - cf).dt.days / 365.24
    d = d[(d["pcw"] == 1) & d["delay"].notna()]
    rows = []
    for label, g in (("all", d), ("peacekeepers", d[d.pk_dum == 1]), ("no peacekeepers", d[d.pk_dum != 1])):
        failed = g[g["morewar"] == 1]["delay"]
        rows.append({
            "group": label, "n": len(g), "share_at_peace": float((g["morewar"] == 0).mean()),
            "mean_years_to_war": float(failed.mean()), "median_years_to_war": float(np.median(failed)),
        })
    return pd.DataFrame(rows)


def acd_state_years(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """G-W state-years from 1946 to the last ACD year, with conflict involvement.

    A state is in conflict in a year when it is a primary party (side A or B) of a UCDP/PRIO
    armed conflict active that year (25+ battle deaths); secondary supporters are not counted, so
    a state sending troops abroad does not lose its peace at home. Units are the G-W state-years
    of isard's crosswalk panel; ``ccode`` is the CoW code that year (missing for G-W-only states).

    Returns
    -------
    pandas.DataFrame
        ``gwcode, ccode, year, conflict (0/1), war (0/1: 1,000+ deaths), region`` (CoW region of
        ``ccode``).
    """
    sql = f"""
    with bounds as (select min(year) as y0, max(year) as y1 from {ACD}),
    parties as (
        select gwno_a as gwcode, year, intensity_level from {ACD} where gwno_a is not null
        union all
        select gwno_b, year, intensity_level from {ACD} where gwno_b is not null
    ),
    inv as (select gwcode, year, max(intensity_level) as lvl from parties group by all)
    select p.gwcode, p.ccode, p.year,
           (inv.lvl is not null)::int as conflict, coalesce(inv.lvl = 2, false)::int as war
    from {CROSSWALK} p cross join bounds
    left join inv on inv.gwcode = p.gwcode and inv.year = p.year
    where p.gwcode is not null and p.year between bounds.y0 and bounds.y1
    order by p.gwcode, p.year
    """
    d = con.execute(sql).df()
    d["ccode"] = d["ccode"].astype("Int64")
    d["region"] = d["ccode"].map(lambda c: region_of(int(c)) if pd.notna(c) else None)
    return d


def peace_spells(sy: pd.DataFrame) -> pd.DataFrame:
    """Post-conflict peace spells, one row per spell-year at risk of renewed conflict.

    A spell starts in the first year without conflict after a conflict-year and runs until
    conflict recurs (``event = 1`` in that year) or the state's observed years end (censored:
    the last ACD year, exit from the system, or a gap in membership).

    Parameters
    ----------
    sy : pandas.DataFrame
        From :func:`acd_state_years`.

    Returns
    -------
    pandas.DataFrame
        ``spell_id, gwcode, ccode, region, year, t`` (1 in the spell's first year), ``event``,
        ``spell_start``, ``prior_conflict_years`` (length of the conflict run before the spell),
        ``prior_war`` (that run reached 1,000 deaths in a year).
    """
    d = sy.sort_values(["gwcode", "year"]).reset_index(drop=True)
    same = d["gwcode"].eq(d["gwcode"].shift()) & d["year"].eq(d["year"].shift() + 1)
    # Runs of identical conflict status within a contiguous membership stretch.
    run = (~same | d["conflict"].ne(d["conflict"].shift())).cumsum()
    d["run"] = run
    runs = d.groupby("run").agg(gwcode=("gwcode", "first"), conflict=("conflict", "first"),
                                first=("year", "min"), last=("year", "max"), war=("war", "max"))
    runs["length"] = runs["last"] - runs["first"] + 1
    prev = runs.shift()
    nxt = runs.shift(-1)
    contiguous_prev = prev["gwcode"].eq(runs["gwcode"]) & (prev["last"] + 1).eq(runs["first"])
    contiguous_next = nxt["gwcode"].eq(runs["gwcode"]) & (runs["last"] + 1).eq(nxt["first"])
    peace = runs[(runs["conflict"] == 0) & contiguous_prev].copy()
    peace["prior_conflict_years"] = prev.loc[peace.index, "length"].astype(int)
    peace["prior_war"] = prev.loc[peace.index, "war"].astype(int)
    peace["recurs"] = contiguous_next.loc[peace.index]
    if peace.empty:
        return pd.DataFrame(columns=["spell_id", "gwcode", "ccode", "region", "year", "t", "event", "spell_start",
                                     "prior_conflict_years", "prior_war"])
    at_risk = d[d["run"].isin(peace.index)].merge(
        peace[["prior_conflict_years", "prior_war", "first"]], left_on="run", right_index=True
    )
    # The recurrence year itself is the event row of the spell (conflict observed in it).
    ends = peace[peace["recurs"]]
    event_rows = d[d["run"].isin(ends.index + 1)].groupby("run").head(1).copy()
    event_rows["run"] = event_rows["run"] - 1
    event_rows = event_rows.merge(peace[["prior_conflict_years", "prior_war", "first"]], left_on="run",
                                  right_index=True)
    at_risk["event"] = 0
    event_rows["event"] = 1
    out = pd.concat([at_risk, event_rows], ignore_index=True).sort_values(["gwcode", "year"])
    out = out.rename(columns={"run": "spell_id", "first": "spell_start"})
    out["t"] = out["year"] - out["spell_start"] + 1
    cols = ["spell_id", "gwcode", "ccode", "region", "year", "t", "event", "spell_start",
            "prior_conflict_years", "prior_war"]
    return out[cols].reset_index(drop=True)

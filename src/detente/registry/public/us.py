"""US troop deployments above a threshold (``forward_presence``) and US defence official visits."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from detente.registry.public.common import (
    Batch,
    participant,
    present,
    spells,
    status_dates,
    status_for,
    table_frame,
    ymd,
)

if TYPE_CHECKING:
    import duckdb

TROOPS = "us_troop_deployments"
VISITS = "us_defense_official_visits"
TROOPS_CITATION = ("Allen, Michael A., Michael E. Flynn and Carla Martinez Machain. 2022. Global "
                   "U.S. military deployment data: 1950-2020. Conflict Management and Peace "
                   "Science 39(3): 351-370 (troopdata, DMDC rebuild).")
VISITS_CITATION = "US defense official visits abroad (mirror dataset us_defense_official_visits)."
US = 2


def us_troops(con: duckdb.DuckDBPyConnection, threshold: int = 1000) -> Batch:
    """One engagement per host and run of consecutive years with at least ``threshold`` US
    active-duty troops (DMDC rebuild series); troops by year as yearly levels."""
    batch = Batch(TROOPS)
    df = table_frame(con, f"{TROOPS}.troopdata_rebuild_country_year",
                     "countryname, year, ccode, troops_ad")
    last_year = int(df["year"].max())
    df = df[(df["troops_ad"] >= threshold) & (df["ccode"] != US)]
    by_host: dict[int, dict[int, int]] = defaultdict(dict)
    names: dict[int, str] = {}
    for r in df.itertuples(index=False):
        if not present(r.ccode):
            batch.unresolved_name(r.countryname, "troopdata_rebuild_country_year.csv", r.line,
                                  "no CoW code in the source")
            continue
        by_host[int(r.ccode)][int(r.year)] = int(r.troops_ad)
        names[int(r.ccode)] = r.countryname
    for code, years in sorted(by_host.items()):
        for first, last in spells(years):
            start = f"{first}-01-01"
            end = None if last == last_year else f"{last}-12-31"
            status = status_for(start, end)
            peak = max(years[y] for y in range(first, last + 1))
            batch.records.append({
                "id": f"us-troops-{code}-{first}",
                "type": "forward_presence",
                "title": f"US forces in {names[code]}, {first}–{'' if end is None else last}".rstrip("–"),
                "description": f"Years with at least {threshold} US active-duty personnel "
                               "(DMDC); yearly levels are the source's country-year counts.",
                "status": status,
                "status_dates": status_dates(start, end, status),
                "start": start, "end": end, "location": names[code], "personnel": peak,
                "source": TROOPS,
                "citations": [TROOPS_CITATION],
                "participants": [participant("cow", US, "contributor", "United States", peak),
                                 participant("cow", code, "host", names[code])],
                "yearly": [{"year": y, "personnel": years[y], "value": None, "unit": None}
                           for y in range(first, last + 1)],
            })
    return batch


def us_visits(con: duckdb.DuckDBPyConnection) -> Batch:
    """One ``official_visit`` per visit row (official, country, dates)."""
    from detente.states import resolve_iso3

    batch = Batch(VISITS)
    df = table_frame(con, f"{VISITS}.visits")
    years = [int(y) if present(y) else None for y in df["start_year"]]
    res = resolve_iso3(df["state_visit"].fillna(""), system="cow", years=years, file="visits.csv",
                       rows=df["line"].tolist())
    batch.add_resolution(res)
    for r, code in zip(df.itertuples(index=False), res.codes, strict=True):
        start, _ = ymd(r.start_year, r.start_month, r.start_day)
        end, _ = ymd(r.end_year, r.end_month, r.end_day, end=True)
        if start is None:
            batch.unresolved_name(f"line {r.line}", "visits.csv", r.line, "skipped: no start date")
            continue
        if end is not None and end < start:
            end = start
        status = status_for(start, end or start)
        parts = [participant("cow", US, "contributor", "United States")]
        if present(code):
            parts.append(participant("cow", int(code), "host", r.state_visit))
        batch.records.append({
            "id": f"us-visit-{r.line}",
            "type": "official_visit",
            "title": f"{r.title} {r.name} visits {r.state_visit}",
            "status": status,
            "status_dates": status_dates(start, end or start, status),
            "start": start, "end": (end or start) if status == "completed" else None,
            "location": r.city_visited if present(r.city_visited) else None,
            "source": VISITS, "citations": [VISITS_CITATION], "participants": parts,
        })
    return batch

"""UN peacekeeping missions (UN DPPA/DPO list) with hosts, and Geo-PKO contributors and troops."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from detente.registry.public.common import (
    Batch,
    participant,
    present,
    slug,
    status_dates,
    status_for,
    table_frame,
)

if TYPE_CHECKING:
    import duckdb

DATASET = "un_peacekeeping_missions_list"
MISSIONS = f"{DATASET}.un_dppa_dpo_pko_missions"
HOSTS = f"{DATASET}.mission_host_country_crosswalk"
GEOPKO = "geo_pko_v2_3_location_year"
DEPLOY = f"{GEOPKO}.geopko_v2_3_deployment_location_year"
TCC = f"{GEOPKO}.geopko_v2_3_tcc_location_year"
CITATIONS = [
    "United Nations DPPA/DPO, Peace and Security Data Hub, dataset DPPADPOSS-PKO "
    "(list of peacekeeping operations), last update 2024-02-19.",
    "Cil, Deniz, Hanne Fjelde, Lisa Hultman and Desirée Nilsson. 2020. Mapping blue helmets: "
    "Introducing the Geocoded Peacekeeping Operations (Geo-PKO) dataset. Journal of Peace "
    "Research 57(2): 360-370 (Geo-PKO v2.3).",
]
#: Geo-PKO spellings the name aliases do not know (a quirk of this source's TCC overview).
_GEOPKO_NAMES = {"Korea (ROK)": "Republic of Korea"}
_TCC_ITEM = re.compile(r"^(?P<name>.*\S)\s*\((?P<size>[^()]*)\)$")


def mission_id(acronym: str) -> str:
    """The registry id of a UN mission, e.g. ``un-pko-unmik``."""
    return f"un-pko-{slug(acronym)}"


def _tcc_entries(text: str | None) -> list[tuple[str, int | None]]:
    """Parse Geo-PKO's ``year.overview``: "India (650), South Africa (size unknown)"."""
    if not text:
        return []
    items, depth, current = [], 0, ""
    for ch in text:  # split on commas outside parentheses: "Korea (ROK) (150), Peru (300)"
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    out = []
    for item in (i.strip() for i in items):
        m = _TCC_ITEM.match(item)
        if m is None:
            if item:
                out.append((item, None))
            continue
        size = m.group("size").strip()
        out.append((m.group("name").strip(), int(size) if size.isdigit() else None))
    return out


def un_missions(con: duckdb.DuckDBPyConnection) -> Batch:
    """One ``peacekeeping`` engagement per UN mission; hosts from the crosswalk; Geo-PKO
    contributing countries (with their largest yearly troop number) and total troops by year."""
    from detente.states import resolve_iso3, resolve_names

    batch = Batch(DATASET)
    missions = table_frame(con, MISSIONS)
    hosts = table_frame(con, HOSTS)
    records = {}
    for m in missions.itertuples(index=False):
        start = str(m.start_date)[:10] if present(m.start_date) else None
        end = str(m.end_date)[:10] if present(m.end_date) else None
        if start is None:
            batch.unresolved_name(m.mission_acronym, "un_dppa_dpo_pko_missions.csv", m.line,
                                  "skipped: no start date in the source")
            continue
        status = status_for(start, end) if m.mission_isactive != "Yes" else "ongoing"
        records[m.mission_acronym] = {
            "id": mission_id(m.mission_acronym),
            "type": "peacekeeping",
            "title": f"{m.mission_name} ({m.mission_acronym})",
            "description": f"UN peacekeeping operation led by {m.lead_department}.",
            "status": status,
            "status_dates": status_dates(start, end, status),
            "start": start,
            "end": end if status == "completed" else None,
            "location": m.mission_location or None,
            "source": DATASET,
            "citations": list(CITATIONS[:1]),
            "participants": [],
            "yearly": [],
        }
    # hosts: ISO3 codes, resolved on the mission's start date
    hosts = hosts[hosts["mission_acronym"].isin(records.keys())]
    for r in hosts[hosts["iso3c"].isna()].itertuples(index=False):
        batch.unresolved_name(r.mission_acronym, "mission_host_country_crosswalk.csv", r.line,
                              "no host country code in the source")
    hosts = hosts[hosts["iso3c"].notna()]
    years = [int(records[a]["start"][:4]) for a in hosts["mission_acronym"]]
    res = resolve_iso3(hosts["iso3c"], system="cow", years=years,
                       file="mission_host_country_crosswalk.csv", rows=hosts["line"].tolist())
    batch.add_resolution(res)
    for acronym, code, iso in zip(hosts["mission_acronym"], res.codes, hosts["iso3c"], strict=True):
        if present(code):
            parts = records[acronym]["participants"]
            if not any(p["code"] == int(code) and p["role"] == "host" for p in parts):
                parts.append(participant("cow", int(code), "host", iso))

    # Geo-PKO: total troops by mission-year, contributing countries from the TCC overview
    from detente.store import has_table

    if not (has_table(con.cursor(), DEPLOY) and has_table(con.cursor(), TCC)):
        batch.note = "Geo-PKO not in the store: missions without troop levels"
        return batch_with(batch, records)
    troops = con.sql(
        f"select mission, year, sum(no_troops) as troops from {DEPLOY} group by 1, 2"
    ).fetchall()
    for mission, year, total in troops:
        if mission in records:
            records[mission]["yearly"].append(
                {"year": int(year), "personnel": int(total), "value": None, "unit": None})
            if CITATIONS[1] not in records[mission]["citations"]:
                records[mission]["citations"].append(CITATIONS[1])
    missing = sorted({m for m, _, _ in troops if m not in records})
    for m in missing:
        batch.unresolved_name(m, "geopko_v2_3_deployment_location_year.csv", None,
                              "Geo-PKO mission not in the UN peacekeeping list")
    tcc = table_frame(con, TCC, "mission, year, year_overview")
    names, yrs, lines, keys = [], [], [], []
    for r in tcc.itertuples(index=False):
        if r.mission not in records:
            continue
        for name, size in _tcc_entries(r.year_overview):
            names.append(_GEOPKO_NAMES.get(name, name))
            yrs.append(int(r.year))
            lines.append(int(r.line))
            keys.append((r.mission, int(r.year), size))
    res = resolve_names(names, system="cow", years=yrs, file="geopko_v2_3_tcc_location_year.csv",
                        rows=lines)
    batch.add_resolution(res)
    per_year: dict[tuple[str, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    named: dict[tuple[str, int], str] = {}
    for (mission, year, size), code, name in zip(keys, res.codes, names, strict=True):
        if not present(code):
            continue
        per_year[(mission, int(code))][year] += size or 0
        named[(mission, int(code))] = name
    for (mission, code), by_year in sorted(per_year.items()):
        largest = max(by_year.values())
        records[mission]["participants"].append(
            participant("cow", code, "contributor", named[(mission, code)], largest or None))
    return batch_with(batch, records)


def batch_with(batch: Batch, records: dict) -> Batch:
    """Attach records to a batch in a stable order."""
    batch.records = [records[k] for k in sorted(records)]
    return batch

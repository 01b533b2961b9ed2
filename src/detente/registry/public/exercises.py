"""Multinational military exercises: MME v7 (G-W codes given) and JME v3 (ISO3-like codes)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from detente.registry.public.common import (
    Batch,
    date_parts,
    participant,
    present,
    status_dates,
    status_for,
    table_frame,
    ymd,
)

if TYPE_CHECKING:
    import duckdb

MME = "multinational_military_exercises_mme"
JME = "joint_military_exercises_jme_v3"
MME_CITATION = ("D'Orazio, Vito, and Kevin Galambos. 2021. Multinational Military Exercises, "
                "1980-2010. Harvard Dataverse V1, doi:10.7910/DVN/KHFODX (v7 as packaged in "
                "the troopdata R package by Michael E. Flynn).")
JME_CITATION = ("Joint Military Exercises (JME) coding, version 3, as distributed with the "
                "troopdata R package (Flynn); attribution provisional.")
_DOMAINS = ("cpx", "air", "land", "sea", "amphibious", "cyber")
_AIMS = ("warfighting", "peacekeeping", "humanitarian")


def _dates(r, batch: Batch, file: str, line: int, ident: str) -> tuple[str | None, str | None, bool]:
    """Dates from the year/month/day columns, else from the date text when the year is blank."""
    s_parts = (r.s_year, r.s_month, r.s_day) if present(r.s_year) else date_parts(r.start_date)
    end_text = getattr(r, "end_date", None) if hasattr(r, "end_date") else getattr(r, "enddate", None)
    e_parts = (r.e_year, r.e_month, r.e_day) if present(r.e_year) and str(r.e_year).strip().isdigit() \
        else date_parts(end_text)
    start, w1 = ymd(*s_parts)
    end, w2 = ymd(*e_parts, end=True)
    if start is not None and end is not None and end < start:
        batch.unresolved_name(ident, file, line, f"end {end} before start {start} in the source: end dropped")
        end = None
    return start, end, w1 or w2


def _record(eid, title, start, end, widened, location, description, source, citation, parts):
    status = status_for(start, end)
    note = "Unknown days or months were widened to the whole month or year." if widened else ""
    return {
        "id": eid, "type": "joint_exercise", "title": title,
        "description": ". ".join(x.rstrip(". ") for x in (description, note) if x) or None,
        "status": status, "status_dates": status_dates(start, end, status),
        "start": start, "end": end if status == "completed" else None,
        "location": location, "source": source, "citations": [citation], "participants": parts,
    }


def mme_exercises(con: duckdb.DuckDBPyConnection) -> Batch:
    """One ``joint_exercise`` per MME exercise, every participating state a contributor."""
    batch = Batch(MME)
    ex = table_frame(con, f"{MME}.mme_v7_exercises")
    long = table_frame(con, f"{MME}.mme_v7_exercise_country_year",
                       "mmeid, gwcode, country, year")
    members: dict[str, dict[int, str]] = defaultdict(dict)
    for r in long.itertuples(index=False):
        if present(r.gwcode):
            members[r.mmeid].setdefault(int(r.gwcode), r.country)
        else:
            batch.unresolved_name(r.country, "mme_v7_exercise_country_year.csv", r.line,
                                  "no G-W code in the source (not a state)")
    for r in ex.itertuples(index=False):
        if not r.mmeid:
            continue
        start, end, widened = _dates(r, batch, "mme_v7_exercises.csv", r.line, r.mmeid)
        if start is None:
            batch.unresolved_name(r.mmeid, "mme_v7_exercises.csv", r.line, "skipped: no start year")
            continue
        domains = [d for d in _DOMAINS if getattr(r, d) == 1]
        aims = [a for a in _AIMS if getattr(r, a) == 1]
        desc = "; ".join(filter(None, [
            f"domains: {', '.join(domains)}" if domains else "",
            f"aims: {', '.join(aims)}" if aims else "",
            r.focus_description if present(r.focus_description) else "",
            r.additional_participant_info if present(r.additional_participant_info) else "",
        ]))
        parts = [participant("gw", code, "contributor", name)
                 for code, name in sorted(members.get(r.mmeid, {}).items())]
        known = present(r.ex_name) and str(r.ex_name).strip() not in ("", "-9")
        title = str(r.ex_name).strip() if known else f"Multinational exercise, {start[:4]} ({r.mmeid})"
        batch.records.append(_record(
            f"mme-{r.mmeid.removeprefix('mme')}", str(title), start, end, widened,
            r.location if present(r.location) else None, desc, MME, MME_CITATION, parts))
    return batch


def jme_exercises(con: duckdb.DuckDBPyConnection) -> Batch:
    """One ``joint_exercise`` per JME row (ids from the file's line), participants by ISO3 code."""
    from detente.states import resolve_iso3, resolve_names

    batch = Batch(JME)
    df = table_frame(con, f"{JME}.jme_v3")
    slots = [c for c in df.columns if c.startswith("state_")]
    values, years, lines, owners = [], [], [], []
    records = {}
    for r in df.itertuples(index=False):
        start, end, widened = _dates(r, batch, "jme_v3.csv", r.line, f"line {r.line}")
        if start is None:
            batch.unresolved_name(f"line {r.line}", "jme_v3.csv", r.line, "skipped: no start year")
            continue
        name = r.exercise_name if present(r.exercise_name) and r.exercise_name not in ("-9", "") else None
        where = ", ".join(str(x) for x in (r.location1, r.location2) if present(x)) or None
        desc = "; ".join(str(x) for x in (r.jme_type, r.what_is_the_purpose_of_the_jme) if present(x))
        eid = f"jme-{r.line}"
        records[eid] = _record(eid, name or f"Joint military exercise, {start[:4]} (JME line {r.line})",
                               start, end, widened, where, desc, JME, JME_CITATION, [])
        for slot in slots:
            v = getattr(r, slot)
            if present(v) and str(v).strip() and str(v).strip() != "-9":
                values.append(str(v).strip())
                years.append(int(start[:4]))
                lines.append(int(r.line))
                owners.append((eid, "contributor"))
        host = r.which_state_hosted_the_exercise
        if present(host) and str(host).strip():
            res = resolve_names([str(host)], years=[int(start[:4])], file="jme_v3.csv", rows=[r.line])
            code = res.codes.iloc[0]
            if present(code):
                records[eid]["participants"].append(participant("cow", int(code), "host", str(host)))
            else:
                batch.add_resolution(res)
    res = resolve_iso3(values, system="cow", years=years, file="jme_v3.csv", rows=lines)
    batch.add_resolution(res)
    for (eid, role), code, value in zip(owners, res.codes, values, strict=True):
        if present(code):
            parts = records[eid]["participants"]
            if not any(p["code"] == int(code) and p["role"] == role for p in parts):
                parts.append(participant("cow", int(code), role, value))
    batch.records = list(records.values())
    return batch

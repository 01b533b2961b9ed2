"""Mapping between canonical records and table rows, in bulk."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from detente.registry import tables as t
from detente.registry.records import FIELDS, Record

_CHUNK = 500  # ids per IN (...) list: keeps SQLite under its bound-parameter limit


def _d(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _s(value: dt.date | str | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def dumps(record: Record | None) -> str | None:
    """Serialise a record for the audit log (stable key order, text verbatim)."""
    return None if record is None else json.dumps(record, ensure_ascii=False)


def digest(text: str) -> str:
    """Content digest of a serialised record (finds unchanged records without reading them)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_meta(
    conn: Connection, ids: Sequence[str], *, lock: bool = False
) -> dict[str, tuple[int, str | None]]:
    """Return ``{id: (version, digest)}`` for the ids that exist.

    ``lock`` takes row locks (PostgreSQL ``FOR UPDATE``; SQLite holds the database write lock
    from ``BEGIN IMMEDIATE``) so the rows cannot change before the transaction writes them.
    """
    out: dict[str, tuple[int, str | None]] = {}
    e = t.engagements
    for chunk in _chunks(ids):
        q = select(e.c.id, e.c.version, e.c.digest).where(e.c.id.in_(chunk))
        if lock:
            q = q.with_for_update()
        for eid, version, dig in conn.execute(q):
            out[eid] = (version, dig)
    return out


def engagement_row(rec: Record) -> dict[str, Any]:
    """Return the ``engagements`` columns of a record (without version and timestamps)."""
    return {
        "id": rec["id"],
        "type": rec["type"],
        "title": rec["title"],
        "description": rec["description"],
        "status": rec["status"],
        "status_dates": json.dumps(rec["status_dates"], ensure_ascii=False),
        "start_date": _d(rec["start"]),
        "end_date": _d(rec["end"]),
        "location": rec["location"],
        "personnel": rec["personnel"],
        "cost": rec["cost"],
        "currency": rec["currency"],
        "source": rec["source"],
        "citations": json.dumps(rec["citations"], ensure_ascii=False),
    }


def child_rows(rec: Record) -> dict[str, list[dict[str, Any]]]:
    """Return the rows of every child table for one record."""
    eid = rec["id"]
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i, p in enumerate(rec["participants"]):
        out["participants"].append({"engagement_id": eid, "position": i, **p})
    for i, lb in enumerate(rec["legal_bases"]):
        out["legal_bases"].append(
            {"engagement_id": eid, "position": i, **lb, "date": _d(lb["date"])}
        )
    for i, o in enumerate(rec["objectives"]):
        row = {k: v for k, v in o.items() if k != "indicators"}
        out["objectives"].append(
            {"engagement_id": eid, "position": i, **row, "time_bound": _d(o["time_bound"])}
        )
        for j, ind in enumerate(o["indicators"]):
            irow = {k: v for k, v in ind.items() if k != "observations"}
            irow.update(baseline_date=_d(ind["baseline_date"]), target_date=_d(ind["target_date"]))
            out["indicators"].append(
                {"engagement_id": eid, "objective_key": o["key"], "position": j, **irow}
            )
            for ob in ind["observations"]:
                out["observations"].append(
                    {"engagement_id": eid, "objective_key": o["key"], "indicator_key": ind["key"],
                     **ob, "date": _d(ob["date"])}
                )
    for i, a in enumerate(rec["assessments"]):
        out["assessments"].append({"engagement_id": eid, "position": i, **a, "date": _d(a["date"])})
    for y in rec["yearly"]:
        out["yearly"].append({"engagement_id": eid, **y})
    return out


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _fetch(conn: Connection, table: t.Table, ids: Sequence[str] | None, order: list[str]):
    cols = [table.c[c] for c in order]
    if ids is None:
        yield from conn.execute(select(table).order_by(*cols)).mappings()
        return
    key = table.c.id if table is t.engagements else table.c.engagement_id
    for chunk in _chunks(ids):
        yield from conn.execute(select(table).where(key.in_(chunk)).order_by(*cols)).mappings()


def read_records(
    conn: Connection, ids: Sequence[str] | None = None
) -> dict[str, tuple[Record, int]]:
    """Read records (all, or those with ``ids``) as ``{id: (canonical record, version)}``."""
    out: dict[str, tuple[Record, int]] = {}
    recs: dict[str, Record] = {}
    for r in _fetch(conn, t.engagements, ids, ["id"]):
        rec: Record = dict.fromkeys(FIELDS)
        rec.update(
            id=r["id"], type=r["type"], title=r["title"], description=r["description"],
            status=r["status"], status_dates=json.loads(r["status_dates"]),
            start=_s(r["start_date"]), end=_s(r["end_date"]), location=r["location"],
            personnel=r["personnel"], cost=r["cost"], currency=r["currency"], source=r["source"],
            citations=json.loads(r["citations"]), participants=[], legal_bases=[], objectives=[],
            assessments=[], yearly=[],
        )
        recs[r["id"]] = rec
        out[r["id"]] = (rec, r["version"])
    if not recs:
        return out
    sub = None if ids is None else list(recs)
    for r in _fetch(conn, t.participants, sub, ["engagement_id", "position"]):
        recs[r["engagement_id"]]["participants"].append(
            {"system": r["system"], "code": r["code"], "role": r["role"], "name": r["name"],
             "personnel": r["personnel"]}
        )
    for r in _fetch(conn, t.legal_bases, sub, ["engagement_id", "position"]):
        recs[r["engagement_id"]]["legal_bases"].append(
            {"kind": r["kind"], "reference": r["reference"], "resolution": r["resolution"],
             "chapter": r["chapter"], "date": _s(r["date"]), "description": r["description"]}
        )
    objectives: dict[tuple[str, str], dict[str, Any]] = {}
    for r in _fetch(conn, t.objectives, sub, ["engagement_id", "position"]):
        o = {"key": r["key"], "statement": r["statement"], "specific": r["specific"],
             "measurable": r["measurable"], "achievable": r["achievable"],
             "relevant": r["relevant"], "time_bound": _s(r["time_bound"]), "indicators": []}
        objectives[(r["engagement_id"], r["key"])] = o
        recs[r["engagement_id"]]["objectives"].append(o)
    indicators: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in _fetch(conn, t.indicators, sub, ["engagement_id", "objective_key", "position"]):
        ind = {"key": r["key"], "definition": r["definition"], "unit": r["unit"],
               "baseline_value": r["baseline_value"], "baseline_date": _s(r["baseline_date"]),
               "target_value": r["target_value"], "target_date": _s(r["target_date"]),
               "data_source": r["data_source"], "observations": []}
        indicators[(r["engagement_id"], r["objective_key"], r["key"])] = ind
        objectives[(r["engagement_id"], r["objective_key"])]["indicators"].append(ind)
    for r in _fetch(conn, t.observations, sub,
                    ["engagement_id", "objective_key", "indicator_key", "date"]):
        indicators[(r["engagement_id"], r["objective_key"], r["indicator_key"])][
            "observations"
        ].append({"date": _s(r["date"]), "value": r["value"], "recorded_by": r["recorded_by"],
                  "note": r["note"]})
    for r in _fetch(conn, t.assessments, sub, ["engagement_id", "position"]):
        recs[r["engagement_id"]]["assessments"].append(
            {"kind": r["kind"], "date": _s(r["date"]), "author": r["author"],
             "findings": r["findings"], "rating": r["rating"]}
        )
    for r in _fetch(conn, t.yearly, sub, ["engagement_id", "year"]):
        recs[r["engagement_id"]]["yearly"].append(
            {"year": r["year"], "personnel": r["personnel"], "value": r["value"], "unit": r["unit"]}
        )
    return out

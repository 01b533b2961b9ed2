"""Year-by-year flows between states turned into spells: SIPRI arms transfers and the
major-power support signals (visits, exercises, arms, troops, pacts)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from detente.registry.public.common import (
    Batch,
    participant,
    spells,
    status_dates,
    status_for,
    table_frame,
)

if TYPE_CHECKING:
    import duckdb

SIPRI = "sipri_arms_transfers_dyad_year"
SIGNALS = "major_power_support_signals"
SIPRI_CITATION = ("Stockholm International Peace Research Institute, SIPRI Arms Transfers "
                  "Database, trend-indicator values (TIV), directed dyad-year.")
SIGNALS_CITATION = ("McManus, Roseanne W. and Mark David Nieman. 2019. Identifying the level of "
                    "major power support signaled for protégés: A latent measure approach. "
                    "Journal of Peace Research 56(3): 364-378.")
POWERS = {"us": (2, "United States"), "uk": (200, "United Kingdom"), "fra": (220, "France"),
          "rus": (365, "Russia"), "chi": (710, "China")}
#: signal column suffix -> (engagement type, yearly unit, words)
SIGNAL_TYPES = {
    "vis": ("official_visit", "visits", "high-level visits"),
    "ex": ("joint_exercise", "exercises", "joint military exercises"),
    "arms": ("arms_transfer", "SIPRI TIV (millions)", "arms transfers"),
    "troops": ("forward_presence", "troops", "troops stationed"),
    "pact": ("defence_agreement", "pact in force (1 = yes)", "alliance or defence pact"),
}


def _spell_records(flows, last_year, make):
    out = []
    for key, years in sorted(flows.items()):
        for first, last in spells(years):
            start = f"{first}-01-01"
            end = None if last == last_year else f"{last}-12-31"
            status = status_for(start, end)
            out.append(make(key, first, last, start, end, status,
                            {y: years[y] for y in range(first, last + 1)}))
    return out


def sipri_transfers(con: duckdb.DuckDBPyConnection) -> Batch:
    """One ``arms_transfer`` per supplier-recipient pair and run of years with deliveries
    (TIV > 0); the supplier contributes, the recipient is the partner; TIV by year."""
    batch = Batch(SIPRI)
    df = table_frame(con, f"{SIPRI}.sipri_tiv_directed_dyad_year",
                     "year, sender, ccode1, receiver, ccode2, value")
    last_year = int(df["year"].max())
    df = df[df["value"] > 0]
    flows: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    names: dict[int, str] = {}
    for r in df.itertuples(index=False):
        flows[(int(r.ccode1), int(r.ccode2))][int(r.year)] = float(r.value)
        names[int(r.ccode1)], names[int(r.ccode2)] = r.sender, r.receiver

    def make(key, first, last, start, end, status, years):
        a, b = key
        return {
            "id": f"sipri-{a}-{b}-{first}",
            "type": "arms_transfer",
            "title": f"Arms transfers, {names[a]} to {names[b]}, {first}–{last}",
            "status": status, "status_dates": status_dates(start, end, status),
            "start": start, "end": end, "source": SIPRI, "citations": [SIPRI_CITATION],
            "participants": [participant("cow", a, "contributor", names[a]),
                             participant("cow", b, "partner", names[b])],
            "yearly": [{"year": y, "personnel": None, "value": v, "unit": "SIPRI TIV (millions)"}
                       for y, v in years.items()],
        }

    batch.records = _spell_records(flows, last_year, make)
    return batch


def support_signals(con: duckdb.DuckDBPyConnection) -> Batch:
    """One engagement per major power, protégé, signal and run of years with the signal."""
    batch = Batch(SIGNALS)
    cols = [f"{p}_{s}" for s in SIGNAL_TYPES for p in POWERS]
    have = {r[0] for r in con.cursor().execute(
        "select column_name from information_schema.columns where table_schema = ? and "
        "table_name = ?", [SIGNALS, "individual_signals_country_year"]).fetchall()}
    cols = [c for c in cols if c in have]
    df = table_frame(con, f"{SIGNALS}.individual_signals_country_year",
                     "ccode, country, year, " + ", ".join(cols))
    last_year = int(df["year"].max())
    flows: dict[tuple[str, str, int], dict[int, float]] = defaultdict(dict)
    names: dict[int, str] = {}
    for col in cols:
        power, signal = col.split("_")
        sub = df[df[col] > 0]
        for code, country, year, value in zip(sub["ccode"], sub["country"], sub["year"], sub[col],
                                              strict=True):
            flows[(power, signal, int(code))][int(year)] = float(value)
            names[int(code)] = country

    def make(key, first, last, start, end, status, years):
        power, signal, code = key
        pcode, pname = POWERS[power]
        etype, unit, words = SIGNAL_TYPES[signal]
        return {
            "id": f"mps-{power}-{signal}-{code}-{first}",
            "type": etype,
            "title": f"{pname}: {words} with {names[code]}, {first}–{last}",
            "description": "Major-power support signal (country-year indicator).",
            "status": status, "status_dates": status_dates(start, end, status),
            "start": start, "end": end, "source": SIGNALS, "citations": [SIGNALS_CITATION],
            "participants": [participant("cow", pcode, "contributor", pname),
                             participant("cow", code, "partner", names[code])],
            "yearly": [{"year": y, "personnel": int(v) if signal == "troops" else None,
                        "value": v, "unit": unit} for y, v in years.items()],
        }

    batch.records = _spell_records(flows, last_year, make)
    return batch

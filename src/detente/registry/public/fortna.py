"""Fortna's cease-fire spells with peacekeeping present (``peacekeeping``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from detente.registry.public.common import Batch, participant, present, table_frame

if TYPE_CHECKING:
    import duckdb

DATASET = "fortna_peacekeeping_duration"
TABLE = f"{DATASET}.fortna_pk_pkept"
CITATION = ("Fortna, Virginia Page. 2008. Does Peacekeeping Work? Shaping Belligerents' Choices "
            "after Civil War. Princeton University Press (replication data pk_pkept).")
MISSION_TYPES = {2: "monitoring", 3: "interpositional", 4: "multidimensional", 5: "enforcement"}
BY_WHOM = {1: "the UN", 2: "a regional organisation", 3: "a great or regional power"}


def fortna_spells(con: duckdb.DuckDBPyConnection) -> Batch:
    """One engagement per run of consecutive episodes of a cease-fire with peacekeeping.

    Fortna splits each cease-fire into episodes (``t0``-``t1``) when the peacekeeping coding
    changes; consecutive episodes with ``pk_dum = 1`` and the same deployer (``pkwho``) form
    one spell. Host: the state at war (``ccode``); the deployer's kind and the mission's type
    go into the description; the UN chapter and consent codings become legal bases.
    """
    batch = Batch(DATASET)
    df = table_frame(con, TABLE, "id, ccode, cname, t0, t1, pk_dum, pkop, pkwho, chapter, consent")
    df = df.sort_values(["id", "t0"])
    spells: list[list] = []
    last_key = None
    for r in df.itertuples(index=False):
        key = (r.id, r.pkwho if present(r.pkwho) else None)
        if r.pk_dum != 1:
            last_key = None
            continue
        if key == last_key and spells:
            spells[-1].append(r)
        else:
            spells.append([r])
        last_key = key
    counter: dict[int, int] = {}
    for rows in spells:
        first, last = rows[0], rows[-1]
        case = int(first.id)
        counter[case] = counter.get(case, 0) + 1
        start, end = str(first.t0)[:10], str(last.t1)[:10]
        who = BY_WHOM.get(int(first.pkwho), "an unrecorded deployer") if present(first.pkwho) else "an unrecorded deployer"
        kinds = sorted({MISSION_TYPES[int(r.pkop)] for r in rows if present(r.pkop) and int(r.pkop) in MISSION_TYPES})
        legal = []
        chapters = {int(r.chapter) for r in rows if present(r.chapter)}
        if present(first.pkwho) and int(first.pkwho) == 1:
            for ch in sorted(chapters):
                if ch in (1, 2):
                    legal.append({"kind": "un_mandate", "reference": "UN Security Council mandate "
                                  "(chapter as coded by Fortna; resolution not in the source)",
                                  "resolution": None, "chapter": "VI" if ch == 1 else "VII",
                                  "date": None, "description": None})
        if any(present(r.consent) and int(r.consent) == 1 for r in rows):
            legal.append({"kind": "host_consent", "reference": "consent of the parties "
                          "(as coded by Fortna)", "resolution": None, "chapter": None,
                          "date": None, "description": None})
        batch.records.append({
            "id": f"fortna-{case}-{counter[case]}",
            "type": "peacekeeping",
            "title": f"Peacekeeping after the cease-fire in {first.cname} (Fortna case {case})",
            "description": f"Peacekeeping by {who}; mission type {', '.join(kinds) or 'unknown'}. "
                           "Dates are the episodes of the cease-fire spell with peacekeeping "
                           "present (observation ends with the data).",
            "status": "completed",
            "status_dates": {"ongoing": start, "completed": end},
            "start": start,
            "end": end,
            "source": DATASET,
            "citations": [CITATION],
            "participants": [participant("cow", int(first.ccode), "host", first.cname)],
            "legal_bases": legal,
        })
    return batch

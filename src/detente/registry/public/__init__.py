"""The public record of engagements, loaded from the analytic store into the registry.

=================================  ==========================================  ===================
dataset                            engagements                                 type
=================================  ==========================================  ===================
un_peacekeeping_missions_list      one per UN mission; hosts; Geo-PKO           peacekeeping
(+ geo_pko_v2_3_location_year)     contributors and troops by year
fortna_peacekeeping_duration       cease-fire spells with peacekeeping          peacekeeping
multinational_military_exercises   one per exercise, every participant          joint_exercise
joint_military_exercises_jme_v3    one per coded exercise                       joint_exercise
us_troop_deployments               host-spells with >= threshold US troops      forward_presence
us_defense_official_visits         one per visit                                official_visit
sipri_arms_transfers_dyad_year     supplier-recipient spells of deliveries     arms_transfer
major_power_support_signals        power-protégé-signal spells                  by signal
detente_cases                      the classic cases (Japan, Bosnia, Kosovo,   as recorded
                                   Korea), written from public facts
=================================  ==========================================  ===================

Countries are resolved through :mod:`detente.states`; what cannot be resolved is reported
(value, file, row, reason), never dropped silently. Each dataset is written in one transaction
with ids as natural keys, so running the import again changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.exceptions import RecordValidationError, RegistryError
from detente.registry.api import WriteReport
from detente.registry.public.common import UNRESOLVED_COLUMNS, Batch

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from detente.registry.api import Registry

CASES = "detente_cases"


def cases_batch(_con: Any = None) -> Batch:
    """The classic cases shipped with the package (``cases.json``, the published file schema)."""
    text = resources.files("detente.registry.public").joinpath("cases.json").read_text("utf-8")
    doc = json.loads(text)
    return Batch(CASES, records=list(doc["engagements"]))


def _importers(threshold: int) -> dict[str, tuple[Callable[[Any], Batch], tuple[str, ...]]]:
    from detente.registry.public import exercises, flows, fortna, un, us

    return {
        "un_peacekeeping_missions_list": (un.un_missions, (un.MISSIONS, un.HOSTS)),
        "fortna_peacekeeping_duration": (fortna.fortna_spells, (fortna.TABLE,)),
        "multinational_military_exercises_mme": (
            exercises.mme_exercises,
            (f"{exercises.MME}.mme_v7_exercises", f"{exercises.MME}.mme_v7_exercise_country_year")),
        "joint_military_exercises_jme_v3": (exercises.jme_exercises, (f"{exercises.JME}.jme_v3",)),
        "us_troop_deployments": (lambda con: us.us_troops(con, threshold),
                                 (f"{us.TROOPS}.troopdata_rebuild_country_year",)),
        "us_defense_official_visits": (us.us_visits, (f"{us.VISITS}.visits",)),
        "sipri_arms_transfers_dyad_year": (
            flows.sipri_transfers, (f"{flows.SIPRI}.sipri_tiv_directed_dyad_year",)),
        "major_power_support_signals": (
            flows.support_signals, (f"{flows.SIGNALS}.individual_signals_country_year",)),
        CASES: (cases_batch, ()),
    }


#: Every public dataset import-public knows, in load order.
DATASETS: tuple[str, ...] = (
    "un_peacekeeping_missions_list", "fortna_peacekeeping_duration",
    "multinational_military_exercises_mme", "joint_military_exercises_jme_v3",
    "us_troop_deployments", "us_defense_official_visits", "sipri_arms_transfers_dyad_year",
    "major_power_support_signals", CASES,
)


def _drop_unknown_states(registry: Registry, rec: dict[str, Any], batch: Batch) -> None:
    """Report participants whose codes are not states in their system, and keep the rest.

    Sources code some territories (Aden, Hong Kong ...) outside the state lists; the engagement
    stays in the registry and the participant is reported, not dropped silently.
    """
    if registry.known_code is None:
        return
    kept = []
    for p in rec.get("participants", []):
        if registry.known_code(p["system"], p["code"]):
            kept.append(p)
        else:
            batch.unresolved_name(p.get("name") or p["code"], batch.dataset, None,
                                  f"{p['system']} code {p['code']} is not a state "
                                  f"({p['role']} of {rec['id']}): participant left out")
    rec["participants"] = kept


@dataclass
class DatasetResult:
    """What one public dataset contributed."""

    dataset: str
    engagements: int
    report: WriteReport
    unresolved: list[dict[str, Any]]
    note: str | None = None


@dataclass
class PublicResult:
    """The report of :func:`import_public`."""

    datasets: list[DatasetResult] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> pd.DataFrame:
        """One row per dataset: engagements, inserted, updated, unchanged, unresolved."""
        import pandas as pd

        return pd.DataFrame([
            {"dataset": d.dataset, "engagements": d.engagements, **d.report.counts(),
             "unresolved": len(d.unresolved), "note": d.note} for d in self.datasets
        ])

    def unresolved_frame(self) -> pd.DataFrame:
        """Every name or row that did not become (part of) a record: dataset, value, file, row,
        reason."""
        import pandas as pd

        rows = [u for d in self.datasets for u in d.unresolved]
        frame = pd.DataFrame(rows, columns=UNRESOLVED_COLUMNS)
        frame["row"] = frame["row"].astype("Int64")
        return frame


def import_public(
    registry: Registry,
    *,
    store: str | Path | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    only: Sequence[str] | None = None,
    troop_threshold: int = 1000,
    actor: str | None = None,
) -> PublicResult:
    """Load the public engagement datasets and the classic cases into the registry.

    Parameters
    ----------
    registry : Registry
        The target registry.
    store : path, optional
        The analytic store to read (default ``DETENTE_STORE``); ignored when ``con`` is given.
    con : DuckDB connection, optional
        An open store connection.
    only : list of str, optional
        A subset of :data:`DATASETS`.
    troop_threshold : int
        US active-duty troops in a country-year that count as a forward presence.
    actor : str, optional
        Who is recorded in the audit log (default: the login name).

    Returns
    -------
    PublicResult
        Counts per dataset and every unresolved name with its file and row.
    """
    from detente.store import connect, has_table

    wanted = list(only) if only else list(DATASETS)
    for name in wanted:
        if name not in DATASETS:
            raise RegistryError(f"unknown public dataset {name!r}: use one of {', '.join(DATASETS)}")
    if troop_threshold < 0:
        raise RegistryError("the troop threshold cannot be negative")
    began = time.perf_counter()
    own = con is None
    con = connect(store, read_only=True) if own else con
    result = PublicResult()
    importers = _importers(troop_threshold)
    try:
        for name in wanted:
            build, tables = importers[name]
            missing = [t for t in tables if not has_table(con.cursor(), t)]
            if missing:
                result.datasets.append(DatasetResult(
                    name, 0, WriteReport(), [],
                    f"not in the store: run `detente data import {missing[0].split('.')[0]}`"))
                continue
            batch = build(con)
            records, seen = [], set()
            for rec in batch.records:
                if rec.get("id") in seen:  # a source listing the same item twice
                    batch.unresolved_name(rec.get("id"), name, None,
                                          "duplicate id in the source: first kept")
                    continue
                seen.add(rec.get("id"))
                _drop_unknown_states(registry, rec, batch)
                try:
                    records.append(registry.validate(rec))
                except RecordValidationError as exc:
                    batch.unresolved_name(rec.get("id"), name, None, f"record refused: {exc}")
            report = registry.write(records, actor=actor, action=f"import-public:{name}")
            result.datasets.append(DatasetResult(name, len(records), report, batch.unresolved,
                                                 batch.note))
    finally:
        if own:
            con.close()
    result.seconds = time.perf_counter() - began
    return result

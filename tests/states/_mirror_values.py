"""The state names and codes that occur in the mirror's engagement, trade and event files.

Read with the standard ``csv`` module, independently of the store, so that the alias tables are
checked against the files exactly as they are.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Values that mean "no value" in these files (not names).
MISSING = {"", "NA", "-9", "-9.0", "0.0", "1.0"}


@dataclass(frozen=True)
class Column:
    """A column holding state names or codes, with its year column when the file has one."""

    folder: str
    file: str
    columns: tuple[str, ...]
    scheme: str  # names, iso3 or cameo
    year: str | tuple[str, ...] | None = None  # the first column holding a year is used
    delimiter: str = ","
    split: str | None = None  # a regex splitting one cell into several values
    # (file in the same folder, key column shared with this file, column holding the year)
    year_from: tuple[str, str, str] | None = None


def _states(prefix: str, letters: str) -> tuple[str, ...]:
    out = [f"{prefix}{c}" for c in letters]
    out += [f"{prefix}A{c}" for c in "ABCDEFGHIJKLM"]
    return tuple(out)


SPEC = (
    Column("multinational_military_exercises_mme", "mme_v7_exercise_country_year.csv", ("country",), "names", "year"),
    Column("multinational_military_exercises_mme", "mme_v7_exercises.csv",
           _states("State", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "names", "s.year"),
    Column("joint_military_exercises_jme_v3", "jme_v3.csv",
           (*tuple(f"State {c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "State AA", "State AB", "State AC", "State AD"),
           "iso3", ("s.year", "Start Date")),
    Column("joint_military_exercises_jme_v3", "jme_v3.csv", ("Which state hosted the exercise?",), "mixed",
           ("s.year", "Start Date"), split=r"\s*;\s*"),
    Column("geo_pko_v2_3_location_year", "geopko_v2_3_deployment_location_year.csv", ("country",), "names", "year"),
    Column("geo_pko_v2_3_location_year", "geopko_v2_3_tcc_location_year.csv", ("year.overview",), "names", "year",
           split=r"\s*\([^)]*\),?\s*"),
    Column("us_troop_deployments", "troopdata_legacy_country_year.csv", ("countryname",), "names", "year"),
    Column("us_troop_deployments", "troopdata_legacy_country_year.csv", ("iso3c",), "iso3", "year"),
    Column("us_troop_deployments", "troopdata_rebuild_country_year.csv", ("countryname",), "names", "year"),
    Column("us_troop_deployments", "troopdata_rebuild_country_year.csv", ("iso3c",), "iso3", "year"),
    Column("us_defense_official_visits", "visits.csv", ("State Visit",), "iso3", "Start Year"),
    Column("un_peacekeeping_missions_list", "mission_host_country_crosswalk.csv", ("iso3c",), "iso3",
           year_from=("un_dppa_dpo_pko_missions.csv", "mission_acronym", "start_date")),
    Column("sipri_arms_transfers_dyad_year", "sipri_tiv_directed_dyad_year.csv", ("sender", "receiver"), "names",
           "year"),
    Column("major_power_support_signals", "individual_signals_country_year.csv", ("country",), "names", "year"),
    Column("desta_trade_agreements", "desta_list_of_treaties_v2_02_dyads.csv", ("country1", "country2"), "names",
           "year"),
    Column("gdelt_v1_event_sample", "gdelt1_events_georgia_2011-08.csv",
           ("Actor1CountryCode", "Actor2CountryCode"), "cameo", "Year"),
    Column("gdelt_v2_event_sample", "gdelt2_events_sample_20170701234500.csv",
           ("Actor1CountryCode", "Actor2CountryCode"), "cameo", "Year"),
    Column("icews_event_sample", "icews_events_2018-06-01_to_02.csv",
           ("Source Country", "Target Country", "Country"), "names", "Event Date"),
)


def _year(value: str) -> int | None:
    m = re.search(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", value or "")
    return int(m.group(1)) if m else None


def values(mirror: Path, spec: Column) -> Iterator[tuple[str, int | None, int]]:
    """Yield (value, year, line) for every non-missing value in the spec's columns."""
    path = mirror / spec.folder / spec.file
    lookup: dict[str, int | None] = {}
    if spec.year_from:
        other, key, col = spec.year_from
        with (mirror / spec.folder / other).open(newline="", encoding="utf-8") as fh:
            lookup = {r[key]: _year(r[col]) for r in csv.DictReader(fh)}
    years = (spec.year,) if isinstance(spec.year, str) else (spec.year or ())
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter=spec.delimiter)
        for line, row in enumerate(reader, start=2):
            year = next((y for y in (_year(row[c]) for c in years) if y is not None), None)
            if spec.year_from:
                year = lookup.get(row[spec.year_from[1]])
            for col in spec.columns:
                cell = row[col]
                parts = re.split(spec.split, cell) if spec.split else [cell]
                for part in parts:
                    part = part.strip()
                    if part in MISSING or re.fullmatch(r"-?\d+(\.\d+)?", part):
                        continue
                    yield part, year, line

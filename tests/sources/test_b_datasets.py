"""Per-dataset checks for democracy, economy, UCDP, UN voting, V-Dem, DESTA and published-study sources.

Each test compares the store with the raw mirror file (read with the csv module) or with a value
quoted in the dataset's PROVENANCE.md; nothing expected is computed by the code under test.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from detente.sources.definition import FileSpec, Source, get_source
from detente.sources.reader import quote_ident

SOURCES = [
    "democracy_isard",
    "desta_trade_agreements",
    "gdp_population_fariss",
    "polity5",
    "sdp_gdp_anders_legacy",
    "ucdp_brd_dyadic",
    "ucdp_conflict_termination",
    "ucdp_onsets",
    "ucdp_peace_agreements",
    "ucdp_prio_acd",
    "unga_ideal_points",
    "vdem_simple",
    "doyle_sambanis_2000",
    "fortna_peacekeeping_duration",
    "hultman_kathman_shannon_2013",
    "walter_2015_postwar_peace",
]

#: How each source's years are read from the store: (table, SQL expression giving a year).
YEARS: dict[str, list[tuple[str, str]]] = {
    "democracy_isard": [("cw_democracy", "year"), ("gw_democracy", "year")],
    "desta_trade_agreements": [("desta_list_of_treaties_v2_02", "year"), ("desta_list_of_treaties_v2_02_dyads", "year")],
    "gdp_population_fariss": [("cw_gdppop", "year"), ("gw_gdppop", "year")],
    "polity5": [("polity5", "year")],
    "sdp_gdp_anders_legacy": [("cow_sdp_gdp", "year"), ("gw_sdp_gdp", "year")],
    "ucdp_brd_dyadic": [("ucdp_brd_dyadic_v24_1", "year")],
    "ucdp_conflict_termination": [("ucdp_term_conflict_v3_2021", "year"), ("ucdp_term_dyad_v3_2021", "year")],
    "ucdp_onsets": [("ucdp_onsets_v19_1_gw_country_year", "year")],
    "ucdp_peace_agreements": [("ucdp_peace_agreements_v22_1", "year")],
    "ucdp_prio_acd": [("ucdp_prio_acd_v25_1", "year"), ("ucdp_acd_v25_1_peacesciencer_long", "year")],
    "unga_ideal_points": [("unga_ideal_points_jul2025", "year")],
    "vdem_simple": [("vdem_simple_v15", "year")],
    # two-digit war start and end years
    "doyle_sambanis_2000": [("doyle_sambanis_2000_full", "1900 + yrbeg"), ("doyle_sambanis_2000_full", "1900 + yrend")],
    # cease-fire dates, and follow-up to the censoring date
    "fortna_peacekeeping_duration": [("fortna_pk_pkept", "year(cfdate)"), ("fortna_pk_pkept", "year(t1)")],
    "hultman_kathman_shannon_2013": [("hks_ajps_2013_conflict_month", "year")],
    "walter_2015_postwar_peace": [("walter_2015_jcr_country_year", "year")],
}


def _files() -> list[tuple[Source, FileSpec]]:
    return [(get_source(s), f) for s in SOURCES for f in get_source(s).files]


FILES = _files()
FILE_IDS = [f"{s.id}/{f.table}" for s, f in FILES]


def _raw_rows(mirror: Path, source: Source, spec: FileSpec) -> list[dict[str, str]]:
    with (mirror / source.id / spec.name).open(newline="", encoding=spec.encoding) as fh:
        rows = list(csv.DictReader(fh, delimiter=spec.delimiter, quotechar=spec.quote))
    return rows


def _expected(spec: FileSpec, column: str, raw: str) -> object:
    """The stored value a raw CSV cell should become, under the file's NA strings and column type."""
    if raw in spec.na:
        return None
    ctype = spec.column(column).type
    if ctype == "integer":
        return int(float(raw))
    if ctype == "double":
        return float(raw)
    if ctype == "boolean":
        return raw.lower() == "true"
    return raw


def _same(stored: object, expected: object) -> bool:
    if expected is None or stored is None:
        return stored is expected
    if isinstance(expected, float):
        return math.isclose(float(stored), expected, rel_tol=1e-12) or (
            math.isinf(expected) and stored == expected
        )
    return str(stored) == str(expected)


def test_every_assigned_dataset_is_defined() -> None:
    for sid in SOURCES:
        source = get_source(sid)
        assert source.files, sid
        assert source.coverage[0] is not None and source.coverage[1] is not None, sid


@pytest.mark.parametrize("sid", SOURCES)
def test_coverage_window_matches_the_store(store, sid: str) -> None:
    source = get_source(sid)
    lows, highs = [], []
    for table, expr in YEARS[sid]:
        lo, hi = store.execute(f"select min({expr}), max({expr}) from {sid}.{table}").fetchone()
        lows.append(lo)
        highs.append(hi)
    assert (min(lows), max(highs)) == source.coverage


@pytest.mark.parametrize(("source", "spec"), FILES, ids=FILE_IDS)
def test_documented_keys_are_unique_in_the_store(store, source: Source, spec: FileSpec) -> None:
    for key in spec.unique:
        cols = ", ".join(quote_ident(spec.column(k).canonical) for k in key)
        dups = store.execute(
            f"select count(*) from (select {cols} from {source.id}.{spec.table} group by all having count(*) > 1)"
        ).fetchone()[0]
        assert dups == 0, (source.id, spec.table, key)


@pytest.mark.parametrize(("source", "spec"), FILES, ids=FILE_IDS)
def test_rows_match_the_raw_file(store, mirror: Path, source: Source, spec: FileSpec) -> None:
    """First, middle and last raw rows are stored with every value intact, in file order."""
    raw = _raw_rows(mirror, source, spec)
    names = [c.name for c in spec.columns]
    select = ", ".join(quote_ident(c.canonical) for c in spec.columns)
    for i in sorted({0, len(raw) // 2, len(raw) - 1}):
        stored = store.execute(
            f"select {select} from (select row_number() over () - 1 as __i, * from {source.id}.{spec.table}) "
            f"where __i = {i}"
        ).fetchone()
        assert stored is not None
        for name, value in zip(names, stored, strict=True):
            expected = _expected(spec, name, raw[i][name])
            assert _same(value, expected), (spec.name, i + 2, name, value, raw[i][name])


def _one(store, sql: str) -> tuple:
    row = store.execute(sql).fetchone()
    assert row is not None, sql
    return row


def test_values_quoted_in_provenance(store) -> None:
    # gdp_population_fariss PROVENANCE: "USA 1816: mrgdppc 2668.1, pwtpop 9.16 million"
    mrgdppc, pwtpop = _one(store, "select mrgdppc, pwtpop from gdp_population_fariss.cw_gdppop where ccode = 2 and year = 1816")
    assert round(mrgdppc, 1) == 2668.1
    assert round(pwtpop, 2) == 9.16
    # ucdp_prio_acd PROVENANCE: conflict 11349 (China-ETIM) 2008 rebuilt with gwno_a 710, region 3
    gwno_a, region, start = _one(
        store, "select gwno_a, region, start_date from ucdp_prio_acd.ucdp_prio_acd_v25_1 where conflict_id = 11349 and year = 2008"
    )
    assert (gwno_a, region, str(start)) == ("710", "3", "1990-04-05")
    # ... and conflict 11350 in 2005 is only in the peacesciencer long file
    assert _one(store, "select count(*) from ucdp_prio_acd.ucdp_prio_acd_v25_1 where conflict_id = 11350 and year = 2005") == (0,)
    assert _one(
        store, "select count(*) > 0 from ucdp_prio_acd.ucdp_acd_v25_1_peacesciencer_long where conflict_id = 11350 and year = 2005"
    ) == (True,)
    # polity5 PROVENANCE: polity2 present for only one country in 2019-2020
    assert _one(store, "select count(distinct scode) from polity5.polity5 where year >= 2019 and polity2 is not null") == (1,)
    # fortna PROVENANCE: 192 spells, 156 cease-fires (rows with firstob == 1)
    assert _one(store, "select count(*) from fortna_peacekeeping_duration.fortna_pk_pkept where firstob = 1") == (156,)
    # ucdp_brd_dyadic PROVENANCE: 436 dyads, 197 conflicts
    assert _one(store, "select count(distinct dyad_id), count(distinct conflict_id) from ucdp_brd_dyadic.ucdp_brd_dyadic_v24_1") == (436, 197)
    # hultman_kathman_shannon_2013 PROVENANCE: 36 conflicts, 26 countries
    assert _one(
        store, "select count(distinct conflict_id), count(distinct gwnoloc) from hultman_kathman_shannon_2013.hks_ajps_2013_conflict_month"
    ) == (36, 26)


def test_documented_quirks_are_kept(store) -> None:
    # legacy SDP: a zero surplus is -inf in the G-W file, stored as -infinity rather than missing
    n_inf = _one(store, "select count(*) from sdp_gdp_anders_legacy.gw_sdp_gdp where isinf(sdpest) and sdpest < 0")[0]
    assert n_inf == 11137
    # polity5: Djibouti 2013 end year typed 3013 in the source
    assert _one(store, "select eyear from polity5.polity5 where scode = 'DJI' and year = 2013") == (3013,)
    # termination dyads: '.' cells are missing, multi-date cease-fire notes stay verbatim text
    assert _one(store, "select count(*) from ucdp_conflict_termination.ucdp_term_dyad_v3_2021 where cfiredate like '%;%'")[0] > 0
    # peace agreements: header names with a trailing space are stored snake_case
    assert _one(store, "select count(*) from ucdp_peace_agreements.ucdp_peace_agreements_v22_1 where \"ref\" in (0, 1)") == (374,)

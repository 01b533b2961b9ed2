"""Per-dataset checks for alliances, contiguity, capitals, IGOs, wars, MIDs, capabilities, trade,
distance and rivalries.

Expected values come from the raw mirror files (read with the csv module or pyarrow, never through
the importer) or are quoted from the dataset's PROVENANCE.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from detente.sources.definition import FileSpec, Source, get_source
from detente.sources.reader import quote_ident

SOURCES = [
    "atop_alliance",
    "battle_deaths_country_year",
    "capitals",
    "cow_contiguity",
    "cow_igo",
    "cow_interstate_war",
    "cow_intrastate_war",
    "cow_mid",
    "cow_nmc",
    "cow_trade",
    "gml_mid",
    "minimum_distance",
    "strategic_rivalries",
]

#: Year expressions per table: the span of the data in the store.
YEARS: dict[str, list[tuple[str, str]]] = {
    "atop_alliance": [("atop_v5_1_directed_dyad_year", "year")],
    "battle_deaths_country_year": [("battle_deaths_gw_country_year_1946_2022", "year")],
    "capitals": [(t, e) for t in ("cow_capitals", "gw_capitals") for e in ("year(stdate)", "year(enddate)")],
    "cow_contiguity": [("cow_contdir_v3_2_directed", "year(stdate)"), ("cow_contdir_v3_2_directed", "year(enddate)")],
    "cow_igo": [("cow_igo_v3_state_year", "year"), ("cow_igo_v3_nondirected_dyad_year", "year")],
    "cow_interstate_war": [("cow_war_inter_v4_0_dyad_year", "year")],
    "cow_intrastate_war": [("cow_war_intra_participant_year", "year")],
    "cow_mid": [("cow_mid_disps_v5", "styear"), ("cow_mid_dirdisps_v5", "year"), ("cow_mid_ddydisps_v5", "year")],
    "cow_nmc": [("cow_nmc_v7_0", "year")],
    "cow_trade": [("cow_trade_national_v4_0", "year"), ("cow_trade_dyadic_v4_0_rounded", "year")],
    "gml_mid": [
        ("gml_mid_disps_v2_2_1", "styear"), ("gml_dirdisp_v2_2_1", "year"),
        ("gml_mid_ddydisps_v2_2_1", "year"), ("gml_part_v2_2_1", "styear"), ("gml_part_v2_2_1", "endyear"),
    ],
    "minimum_distance": [("cow_mindist_1886_2019", "year"), ("gw_mindist_1886_2019", "year")],
    "strategic_rivalries": [
        ("td_rivalries", "styear"), ("td_rivalries", "endyear"),
        ("tss_rivalries", "start"), ("tss_rivalries", '"end"'),
    ],
}

#: Keys narrower than the documented ones that the notes say are NOT unique (the reason the
#: documented key is wider); checking they really repeat keeps the notes honest.
NOT_UNIQUE = [
    ("cow_interstate_war", "cow_war_inter_v4_0_dyad_year", ["warnum", "ccode1", "ccode2", "year"]),
    ("cow_intrastate_war", "cow_war_intra_participant_year", ["warnum", "ccodea", "sidea", "ccodeb", "sideb", "year"]),
    ("gml_mid", "gml_part_v2_2_1", ["dispnum", "ccode"]),
    ("battle_deaths_country_year", "battle_deaths_gw_country_year_1946_2022", ["fid", "year"]),
]

FILES = [(get_source(s), f) for s in SOURCES for f in get_source(s).files]
FILE_IDS = [f"{s.id}/{f.table}" for s, f in FILES]


# --- helpers reading the raw files -----------------------------------------------------------


def _provenance_spans(mirror: Path, source_id: str) -> dict[str, tuple[str, str, str]]:
    """File name -> (column, first, last) from the 'time span' cell of PROVENANCE.md's files table."""
    text = (mirror / source_id / "PROVENANCE.md").read_text(encoding="utf-8")
    out: dict[str, tuple[str, str, str]] = {}
    row = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*[\d,]+\s*\|\s*\d+\s*\|\s*(\w+):\s*(\S+)\s+-\s+(\S+)\s*\|", re.M)
    for name, column, first, last in row.findall(text):
        out[name] = (column, first, last)
    return out


def _typed(spec: FileSpec, column: str, raw: str) -> object:
    """The value a raw CSV cell should have in the store, under the file's NA strings and type."""
    if raw in spec.na:
        return None
    ctype = spec.column(column).type
    if ctype == "integer":
        return int(raw)
    if ctype == "double":
        return float(raw)
    if ctype == "date":
        return dt.date.fromisoformat(raw)
    return raw


def _last_csv_row(path: Path, spec: FileSpec, header: list[str]) -> dict[str, str]:
    """The last data row, read from the end of the file (the big files need no full scan)."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 65536))
        tail = fh.read().decode(spec.encoding)
    last_line = tail.rstrip("\r\n").rsplit("\n", 1)[-1]
    values = next(csv.reader([last_line], delimiter=spec.delimiter, quotechar=spec.quote))
    return dict(zip(header, values, strict=True))


def _sample_csv_rows(path: Path, spec: FileSpec, scan: int = 50_000) -> list[dict[str, str]]:
    """The first two rows, the first row with a missing cell (within ``scan`` rows), the last row."""
    first: list[dict[str, str]] = []
    with_missing: dict[str, str] | None = None
    with path.open(newline="", encoding=spec.encoding) as fh:
        reader = csv.DictReader(fh, delimiter=spec.delimiter, quotechar=spec.quote)
        for i, row in enumerate(reader):
            if len(first) < 2:
                first.append(row)
            if with_missing is None and any(v in spec.na for v in row.values()):
                with_missing = row
            if i >= scan or (with_missing is not None and len(first) == 2):
                break
        header = list(reader.fieldnames or [])
    missing = [with_missing] if with_missing is not None else []
    return [*first, *missing, _last_csv_row(path, spec, header)]


def _sample_parquet_rows(path: Path) -> list[dict[str, object]]:
    table = pq.read_table(path)
    n = table.num_rows
    picks = [0, 1, n // 2, n - 1]
    return [{c: table.column(c)[i].as_py() for c in table.column_names} for i in picks]


def _same(stored: object, expected: object) -> bool:
    if expected is None or stored is None:
        return stored is expected
    if isinstance(expected, float):
        return math.isclose(float(stored), expected, rel_tol=1e-12, abs_tol=0.0)
    return stored == expected


def _raw_state_codes(mirror: Path, system: str) -> set[int]:
    """Every code in the raw CoW or G-W state-system files (read with the csv module)."""
    files = {
        "cow": [("cow_state_system/cow_states_v2016.csv", "ccode")],
        "gw": [("gw_state_system/gw_system_isard.csv", "gwcode"),
               ("gw_state_system/gw_states_peacesciencer.csv", "gwcode")],
    }[system]
    codes: set[int] = set()
    for rel, col in files:
        with (mirror / rel).open(newline="", encoding="utf-8") as fh:
            codes |= {int(r[col]) for r in csv.DictReader(fh)}
    return codes


# --- generic checks over every assigned file --------------------------------------------------


def test_every_assigned_dataset_is_defined_with_coverage() -> None:
    for sid in SOURCES:
        source = get_source(sid)
        assert source.files, sid
        start, end = source.coverage
        assert start is not None and end is not None and start <= end, sid


@pytest.mark.parametrize("sid", SOURCES)
def test_coverage_window_matches_the_store(store, sid: str) -> None:
    source = get_source(sid)
    lows, highs = [], []
    for table, expr in YEARS[sid]:
        lo, hi = store.execute(f"select min({expr}), max({expr}) from {sid}.{table}").fetchone()
        lows.append(lo)
        highs.append(hi)
    span = (min(lows), max(highs))
    if span == source.coverage:
        return
    # A coverage window wider than the rows is allowed only where the producer's window is
    # documented in the notes together with the rows' actual span.
    notes = " ".join(source.notes)
    assert f"{source.coverage[0]}-{source.coverage[1]}" in notes, (sid, span, source.coverage)
    assert str(span[0]) in notes and str(span[1]) in notes, (sid, span, notes)


def test_war_rows_outside_coverage_are_the_documented_ones(store) -> None:
    start, end = get_source("cow_intrastate_war").coverage
    outside = store.execute(
        "select distinct warnum, warname, year from cow_intrastate_war.cow_war_intra_participant_year "
        "where year < ? or year > ?", [start, end],
    ).fetchall()
    assert outside == [(938, "Third Somalia", 2008)]
    start, end = get_source("cow_interstate_war").coverage
    (n,) = store.execute(
        "select count(*) from cow_interstate_war.cow_war_inter_v4_0_dyad_year where year < ? or year > ?",
        [start, end],
    ).fetchone()
    assert n == 0


@pytest.mark.parametrize("sid", SOURCES)
def test_store_span_matches_provenance(store, mirror: Path, sid: str) -> None:
    source = get_source(sid)
    spans = _provenance_spans(mirror, sid)
    assert set(spans) == {f.name for f in source.files}, sid
    for spec in source.files:
        column, first, last = spans[spec.name]
        col = quote_ident(spec.column(column).canonical)
        lo, hi = store.execute(f"select min({col}), max({col}) from {sid}.{spec.table}").fetchone()
        assert (str(lo), str(hi)) == (first, last), spec.name


@pytest.mark.parametrize(("source", "spec"), FILES, ids=FILE_IDS)
def test_documented_keys_are_unique_in_the_store(store, source: Source, spec: FileSpec) -> None:
    assert spec.unique, f"{spec.name} has no documented key"
    for key in spec.unique:
        cols = ", ".join(quote_ident(spec.column(k).canonical) for k in key)
        (dups,) = store.execute(
            f"select count(*) from (select {cols} from {source.id}.{spec.table} group by all having count(*) > 1)"
        ).fetchone()
        assert dups == 0, (spec.name, key)


@pytest.mark.parametrize(("sid", "table", "key"), NOT_UNIQUE, ids=[f"{s}/{t}" for s, t, _ in NOT_UNIQUE])
def test_narrower_keys_repeat_as_the_notes_say(store, sid: str, table: str, key: list[str]) -> None:
    cols = ", ".join(quote_ident(k) for k in key)
    (dups,) = store.execute(
        f"select count(*) from (select {cols} from {sid}.{table} group by all having count(*) > 1)"
    ).fetchone()
    assert dups > 0


@pytest.mark.parametrize(("source", "spec"), FILES, ids=FILE_IDS)
def test_sampled_rows_equal_the_raw_file(store, mirror: Path, source: Source, spec: FileSpec) -> None:
    path = mirror / source.id / spec.name
    key = spec.unique[0]
    canon = [c.canonical for c in spec.columns]
    select = ", ".join(quote_ident(c) for c in canon)
    where = " and ".join(f"{quote_ident(spec.column(k).canonical)} = ?" for k in key)
    if spec.format == "parquet":
        expected_rows = _sample_parquet_rows(path)
    else:
        raw_rows = _sample_csv_rows(path, spec)
        expected_rows = [{c.name: _typed(spec, c.name, r[c.name]) for c in spec.columns} for r in raw_rows]
    assert len(expected_rows) >= 3
    for expected in expected_rows:
        found = store.execute(
            f"select {select} from {source.id}.{spec.table} where {where}", [expected[k] for k in key]
        ).fetchall()
        assert len(found) == 1, (spec.name, {k: expected[k] for k in key})
        for col, stored in zip(spec.columns, found[0], strict=True):
            assert _same(stored, expected[col.name]), (spec.name, col.name, stored, expected[col.name])


@pytest.mark.parametrize(("source", "spec"), [(s, f) for s, f in FILES if f.extra_codes],
                         ids=[i for i, (_, f) in zip(FILE_IDS, FILES, strict=True) if f.extra_codes])
def test_extra_codes_occur_and_are_not_state_codes(store, mirror: Path, source: Source, spec: FileSpec) -> None:
    code_cols = [c for c in spec.columns if c.code in ("cow", "gw")]
    assert code_cols
    systems = {c.code for c in code_cols}
    assert len(systems) == 1
    states = _raw_state_codes(mirror, systems.pop())
    union = " union ".join(
        f"select {quote_ident(c.canonical)} as code from {source.id}.{spec.table}" for c in code_cols
    )
    present = {r[0] for r in store.execute(union).fetchall()}
    for code in spec.extra_codes:
        assert code in present, (spec.name, code)
        assert code not in states, (spec.name, code)
    # and nothing else outside the state list got in
    assert present - states - {None} == set(spec.extra_codes)


# --- values quoted from PROVENANCE.md and the documented quirks --------------------------------


def test_atop_rows_with_no_obligation(store) -> None:
    # PROVENANCE: "170 rows have all five indicators = 0"
    (n,) = store.execute(
        "select count(*) from atop_alliance.atop_v5_1_directed_dyad_year "
        "where atop_defense + atop_offense + atop_neutral + atop_nonagg + atop_consul = 0"
    ).fetchone()
    assert n == 170


def test_nmc_missing_counts(store) -> None:
    # PROVENANCE: "milex 2,360 NA, milper 456, pec 448, upop 68, irst 26"
    got = store.execute(
        "select count(*) - count(milex), count(*) - count(milper), count(*) - count(pec), "
        "count(*) - count(upop), count(*) - count(irst) from cow_nmc.cow_nmc_v7_0"
    ).fetchone()
    assert got == (2360, 456, 448, 68, 26)


def test_nmc_first_row_from_raw_file(store, mirror: Path) -> None:
    with (mirror / "cow_nmc" / "cow_nmc_v7_0.csv").open(newline="") as fh:
        raw = next(csv.DictReader(fh))
    row = store.execute(
        "select milex, tpop, cinc from cow_nmc.cow_nmc_v7_0 where ccode = ? and year = ?",
        [int(raw["ccode"]), int(raw["year"])],
    ).fetchone()
    assert row == (float(raw["milex"]), float(raw["tpop"]), float(raw["cinc"]))


def test_battle_deaths_source_switches_in_1989(store) -> None:
    # PROVENANCE: 'PRIO Battle-deaths 3.1' (<1989) or 'UCDP GED 23.1' (>=1989)
    rows = store.execute(
        "select source, min(year), max(year) from battle_deaths_country_year.battle_deaths_gw_country_year_1946_2022 "
        "group by source order by 2"
    ).fetchall()
    assert rows == [("PRIO Battle-deaths 3.1", 1946, 1988), ("UCDP GED 23.1", 1989, 2022)]


def test_battle_deaths_estimates_out_of_order_as_noted(store) -> None:
    (n,) = store.execute(
        "select count(*) from battle_deaths_country_year.battle_deaths_gw_country_year_1946_2022 "
        "where low > best or best > high or low > high"
    ).fetchone()
    assert f"{n} rows" in " ".join(get_source("battle_deaths_country_year").file(
        "battle_deaths_gw_country_year_1946_2022.csv").notes)


def test_dates_are_typed_and_contiguity_days_are_first_of_month(store) -> None:
    types = dict(
        store.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'cow_contiguity' and table_name = 'cow_contdir_v3_2_directed'"
        ).fetchall()
    )
    assert types["stdate"] == "DATE" and types["enddate"] == "DATE"
    (n,) = store.execute(
        "select count(*) from cow_contiguity.cow_contdir_v3_2_directed where day(stdate) <> 1 or day(enddate) <> 1"
    ).fetchone()
    assert n == 0
    (brasilia,) = store.execute(
        "select stdate from capitals.cow_capitals where ccode = 140 and capital = 'Brasilia'"
    ).fetchone()
    assert brasilia == dt.date(1960, 4, 21)


def test_nondirected_files_list_each_pair_once(store) -> None:
    for table, a, b in [
        ("cow_trade.cow_trade_dyadic_v4_0_rounded", "ccode1", "ccode2"),
        ("cow_igo.cow_igo_v3_nondirected_dyad_year", "ccode1", "ccode2"),
        ("minimum_distance.cow_mindist_1886_2019", "ccode1", "ccode2"),
        ("minimum_distance.gw_mindist_1886_2019", "gwcode1", "gwcode2"),
        ("strategic_rivalries.tss_rivalries", "ccode1", "ccode2"),
    ]:
        (n,) = store.execute(f"select count(*) from {table} where {a} >= {b}").fetchone()
        assert n == 0, table


def test_directed_files_hold_both_directions(store) -> None:
    for table in [
        "atop_alliance.atop_v5_1_directed_dyad_year",
        "cow_mid.cow_mid_dirdisps_v5",
        "gml_mid.gml_dirdisp_v2_2_1",
    ]:
        (n,) = store.execute(
            f"select count(*) from {table} t where not exists (select 1 from {table} u "
            f"where u.ccode1 = t.ccode2 and u.ccode2 = t.ccode1 and u.year = t.year)"
        ).fetchone()
        assert n == 0, table


def test_gml_impossible_months_are_kept(store) -> None:
    st = store.execute("select dispnum, styear, stmon from gml_mid.gml_mid_disps_v2_2_1 where stmon > 12").fetchall()
    assert st == [(1272, 1918, 13)]
    end = store.execute("select distinct dispnum, endmon from gml_mid.gml_dirdisp_v2_2_1 where endmon > 12").fetchall()
    assert end == [(3514, 19)]


def test_interstate_war_resumption_rows_lack_outcomes(store) -> None:
    rows = store.execute(
        "select resume, count(*), count(outcome1), count(outcome2) "
        "from cow_interstate_war.cow_war_inter_v4_0_dyad_year group by resume order by resume"
    ).fetchall()
    # PROVENANCE-derived profile: resumption rows are the only ones without an outcome
    assert rows[1][0] == 1 and rows[1][2] == 0 and rows[1][3] == 0
    assert rows[0][1] == rows[0][2] == rows[0][3]
    assert rows[0][1] + rows[1][1] == get_source("cow_interstate_war").files[0].rows


def test_intrastate_missing_side_b_codes_are_the_hmong_rows(store) -> None:
    rows = store.execute(
        "select warnum, sideb, min(year), max(year), count(*) from cow_intrastate_war.cow_war_intra_participant_year "
        "where ccodeb is null group by all"
    ).fetchall()
    assert rows == [(803, "Hmong", 1976, 1979, 4)]


def test_trade_dyadic_flows_are_rounded(store) -> None:
    (fractional,) = store.execute(
        "select count(*) from cow_trade.cow_trade_dyadic_v4_0_rounded "
        "where flow1 <> round(flow1) or flow2 <> round(flow2) "
        "or smoothflow1 <> round(smoothflow1) or smoothflow2 <> round(smoothflow2)"
    ).fetchone()
    assert fractional == 0
    (national_fractional,) = store.execute(
        "select count(*) from cow_trade.cow_trade_national_v4_0 where imports <> round(imports)"
    ).fetchone()
    assert national_fractional > 0

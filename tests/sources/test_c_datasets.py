"""Engagement, event-data and codebook sources: the store holds exactly what the mirror files hold.

Expected values are read from the raw files with the ``csv`` module (or quoted from the
datasets' PROVENANCE.md) and compared with the imported tables.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from detente.sources.definition import FileSpec, get_source

SOURCES = (
    "cameo_goldstein",
    "gdelt_v1_event_sample",
    "gdelt_v2_event_sample",
    "icews_event_sample",
    "geo_pko_v2_3_location_year",
    "joint_military_exercises_jme_v3",
    "major_power_support_signals",
    "multinational_military_exercises_mme",
    "sipri_arms_transfers_dyad_year",
    "un_peacekeeping_missions_list",
    "us_defense_official_visits",
    "us_military_construction_abroad",
    "us_overseas_bases_vine",
    "us_troop_deployments",
)

FILES = [(sid, spec.name) for sid in SOURCES for spec in get_source(sid).files]


def raw_rows(mirror: Path, source_id: str, name: str) -> list[dict[str, str]]:
    """The file's rows as strings, read with the csv module and the file's dialect."""
    spec = get_source(source_id).file(name)
    with (mirror / source_id / name).open(newline="", encoding=spec.encoding) as fh:
        return list(csv.DictReader(fh, delimiter=spec.delimiter, quotechar=spec.quote))


def table(source_id: str, name: str) -> str:
    return f'"{source_id}"."{get_source(source_id).file(name).table}"'


def present(spec: FileSpec, value: str) -> bool:
    return value not in spec.na


def number(spec: FileSpec, value: str) -> float:
    return float(value.replace(spec.decimal, ".")) if spec.decimal != "." else float(value)


# -- every column of every file, against the raw file ------------------------------------------


@pytest.mark.parametrize(("source_id", "name"), FILES)
def test_columns_match_raw_file(store, mirror, source_id, name):
    """Non-missing counts of every column and sums of numeric columns equal the raw file's."""
    spec = get_source(source_id).file(name)
    rows = raw_rows(mirror, source_id, name)
    exprs = []
    for col in spec.columns:
        c = f'"{col.canonical}"'
        exprs.append(f"count({c})")
        exprs.append(f"sum({c})::DOUBLE" if col.type in ("integer", "double") else "NULL")
    got = store.execute(f"select {', '.join(exprs)} from {table(source_id, name)}").fetchone()
    for i, col in enumerate(spec.columns):
        values = [r[col.name] for r in rows if present(spec, r[col.name])]
        assert got[2 * i] == len(values), f"{name}:{col.name} non-missing count"
        if col.type in ("integer", "double") and values:
            expected = math.fsum(number(spec, v) for v in values)
            assert got[2 * i + 1] == pytest.approx(expected, rel=1e-9, abs=1e-6), f"{name}:{col.name} sum"


@pytest.mark.parametrize(("source_id", "name"), FILES)
def test_documented_keys_unique_in_store(store, source_id, name):
    spec = get_source(source_id).file(name)
    for key in spec.unique:
        cols = ", ".join(f'"{spec.column(k).canonical}"' for k in key)
        n, distinct = store.execute(
            f"select count(*), count(distinct ({cols})) from {table(source_id, name)}"
        ).fetchone()
        assert n == distinct == spec.rows, f"{name}: key {key}"


# -- coverage windows --------------------------------------------------------------------------

COVERAGE_SQL = {
    "gdelt_v1_event_sample": "select min(year), max(year) from gdelt_v1_event_sample.gdelt1_events_georgia_2011_08",
    "gdelt_v2_event_sample": "select min(year), max(year) from gdelt_v2_event_sample.gdelt2_events_sample_20170701234500",
    "icews_event_sample": "select min(year(event_date)), max(year(event_date)) from icews_event_sample.icews_events_2018_06_01_to_02",
    "geo_pko_v2_3_location_year": (
        "select min(year), max(year) from (select year from geo_pko_v2_3_location_year.geopko_v2_3_deployment_location_year "
        "union all select year from geo_pko_v2_3_location_year.geopko_v2_3_tcc_location_year "
        "union all select year from geo_pko_v2_3_location_year.geopko_v2_3_troop_types_location_year)"
    ),
    "joint_military_exercises_jme_v3": "select min(s_year), max(s_year) from joint_military_exercises_jme_v3.jme_v3",
    "major_power_support_signals": "select min(year), max(year) from major_power_support_signals.individual_signals_country_year",
    "multinational_military_exercises_mme": (
        "select min(y), max(y) from (select s_year as y from multinational_military_exercises_mme.mme_v7_exercises "
        "union all select year from multinational_military_exercises_mme.mme_v7_exercise_country_year)"
    ),
    "sipri_arms_transfers_dyad_year": "select min(year), max(year) from sipri_arms_transfers_dyad_year.sipri_tiv_directed_dyad_year",
    "un_peacekeeping_missions_list": (
        "select min(year(start_date)), max(year(last_update)) from un_peacekeeping_missions_list.un_dppa_dpo_pko_missions"
    ),
    "us_defense_official_visits": "select min(start_year), max(end_year) from us_defense_official_visits.visits",
    "us_military_construction_abroad": "select min(year), max(year) from us_military_construction_abroad.builddata",
    "us_troop_deployments": (
        "select min(year), max(year) from (select year from us_troop_deployments.troopdata_legacy_country_year "
        "union all select year from us_troop_deployments.troopdata_rebuild_country_year)"
    ),
}


@pytest.mark.parametrize("source_id", sorted(COVERAGE_SQL))
def test_coverage_window(store, source_id):
    assert tuple(store.execute(COVERAGE_SQL[source_id]).fetchone()) == get_source(source_id).coverage


def test_sources_without_a_year_column_say_why():
    # A codebook has no time dimension; the bases list is a cross-section dated by its notes.
    assert get_source("cameo_goldstein").coverage == (None, None)
    assert any("no coverage window" in n for n in get_source("cameo_goldstein").notes)
    assert any("2018" in n for n in get_source("us_overseas_bases_vine").notes)


# -- spot checks -------------------------------------------------------------------------------


def test_cameo_codes_keep_leading_zeros_and_both_weights(store, mirror):
    raw = {r["CAMEOEVENTCODE"] for r in raw_rows(mirror, "cameo_goldstein", "gdelt_cameo_eventcodes_goldstein.csv")}
    got = {r[0] for r in store.execute("select cameoeventcode from cameo_goldstein.gdelt_cameo_eventcodes_goldstein").fetchall()}
    assert got == raw and {"01", "010"} <= got and "1" not in got
    # PROVENANCE.md: 016 Deny responsibility is -2.0 in the GDELT lookup and -5.0 in the icews file.
    gdelt = store.execute(
        "select goldsteinscale from cameo_goldstein.gdelt_cameo_eventcodes_goldstein where cameoeventcode = '016'"
    ).fetchone()[0]
    icews = store.execute("select goldstein from cameo_goldstein.icews_cameo_codebook_goldstein where code = '016'").fetchone()[0]
    assert (gdelt, icews) == (-2.0, -5.0)
    only_icews = store.execute(
        "select code from cameo_goldstein.icews_cameo_codebook_goldstein except "
        "select cameoeventcode from cameo_goldstein.gdelt_cameo_eventcodes_goldstein"
    ).fetchall()
    assert only_icews == [("1213",)]


def test_gdelt_v1_rows(store, mirror):
    rows = raw_rows(mirror, "gdelt_v1_event_sample", "gdelt1_events_georgia_2011-08.csv")
    for r in (rows[0], rows[len(rows) // 2], rows[-1]):
        got = store.execute(
            "select strftime(sqldate, '%Y%m%d'), event_code, event_root_code, goldstein_scale, action_geo_country_code "
            "from gdelt_v1_event_sample.gdelt1_events_georgia_2011_08 where globaleventid = ?",
            [int(r["GLOBALEVENTID"])],
        ).fetchone()
        assert got == (r["SQLDATE"], r["EventCode"], r["EventRootCode"], float(r["GoldsteinScale"]), "GG")


def test_gdelt_v2_rows_and_layouts(store, mirror):
    rows = raw_rows(mirror, "gdelt_v2_event_sample", "gdelt2_events_sample_20170701234500.csv")
    layout = [r["tableId"] for r in raw_rows(mirror, "gdelt_v2_event_sample", "gdelt2_event_columns_official.csv")]
    assert list(rows[0]) == layout  # the sample has exactly the official column order
    for r in (rows[0], rows[-1]):
        got = store.execute(
            "select event_code, actor1_country_code, action_geo_feature_id, dateadded "
            "from gdelt_v2_event_sample.gdelt2_events_sample_20170701234500 where globaleventid = ?",
            [int(r["GLOBALEVENTID"])],
        ).fetchone()
        assert got == (r["EventCode"], r["Actor1CountryCode"] or None, r["ActionGeo_FeatureID"] or None, int(r["DATEADDED"]))
    mentions = raw_rows(mirror, "gdelt_v2_event_sample", "gdelt2_mentions_sample.csv")
    first = mentions[0]
    got = store.execute(
        "select mentionsourcename, confidence, mentiondoctranslationinfo from gdelt_v2_event_sample.gdelt2_mentions_sample "
        "where globaleventid = ? and mentionidentifier = ? and sentenceid = ?",
        [int(first["globaleventid"]), first["mentionidentifier"], int(first["sentenceid"])],
    ).fetchall()
    assert (first["mentionsourcename"], int(first["confidence"]), first["mentiondoctranslationinfo"]) in got


def test_icews_rows(store, mirror):
    rows = raw_rows(mirror, "icews_event_sample", "icews_events_2018-06-01_to_02.csv")
    for r in (rows[0], rows[-1]):
        got = store.execute(
            "select strftime(event_date, '%Y-%m-%d'), cameo_code, intensity, source_country, target_country "
            "from icews_event_sample.icews_events_2018_06_01_to_02 where event_id = ?",
            [int(r["Event ID"])],
        ).fetchone()
        assert got == (r["Event Date"], r["CAMEO Code"], float(r["Intensity"]), r["Source Country"] or None, r["Target Country"] or None)


def test_geo_pko_troops_by_year(store, mirror):
    rows = raw_rows(mirror, "geo_pko_v2_3_location_year", "geopko_v2_3_deployment_location_year.csv")
    expected: dict[int, float] = {}
    for r in rows:
        if r["NoTroops"] not in ("", "NA"):
            expected[int(r["year"])] = expected.get(int(r["year"]), 0.0) + float(r["NoTroops"])
    got = dict(store.execute(
        "select year, sum(no_troops)::DOUBLE from geo_pko_v2_3_location_year.geopko_v2_3_deployment_location_year "
        "where no_troops is not null group by year"
    ).fetchall())
    assert got == expected


def test_jme_keeps_the_coding_sheet_as_it_is(store, mirror):
    rows = raw_rows(mirror, "joint_military_exercises_jme_v3", "jme_v3.csv")
    # PROVENANCE.md: State C is filled in 663 rows; the sheet's -9 and xx codes stay as text.
    assert store.execute("select count(state_c) from joint_military_exercises_jme_v3.jme_v3").fetchone()[0] == 663
    n_minus9 = sum(r["e.year"] == "-9" for r in rows)
    assert n_minus9 > 0
    assert store.execute("select count(*) from joint_military_exercises_jme_v3.jme_v3 where e_year = '-9'").fetchone()[0] == n_minus9
    first = rows[0]
    got = store.execute(
        "select coder, start_date, state_a, state_b from joint_military_exercises_jme_v3.jme_v3 where unnamed_2 = ?",
        [int(float(first["Unnamed: 2"]))],
    ).fetchone()
    assert got == (first["Coder"], first["Start Date"], first["State A"], first["State B"])


def test_major_power_signals_row(store, mirror):
    rows = raw_rows(mirror, "major_power_support_signals", "individual_signals_country_year.csv")
    r = next(x for x in rows if x["ctry_yr"] == "Canada1950")
    got = store.execute(
        "select ccode, us_arms, uk_arms, us_pact, log_us_arms from major_power_support_signals.individual_signals_country_year "
        "where ccode = 20 and year = 1950"
    ).fetchone()
    assert got == (int(r["ccode"]), int(r["us_arms"]), int(r["uk_arms"]), int(r["us_pact"]), float(r["log_us_arms"]))


def test_mme_duplicated_ids_are_kept(store, mirror):
    rows = raw_rows(mirror, "multinational_military_exercises_mme", "mme_v7_exercises.csv")
    ids = [r["MMEID"] for r in rows]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    got = store.execute(
        "select mmeid from multinational_military_exercises_mme.mme_v7_exercises group by mmeid having count(*) > 1 order by mmeid"
    ).fetchall()
    assert [g[0] for g in got] == dup == ["mme3457", "mme3458", "mme3460"]
    long_rows = raw_rows(mirror, "multinational_military_exercises_mme", "mme_v7_exercise_country_year.csv")
    canada = next(r for r in long_rows if r["country"] == "Canada")
    got = store.execute(
        "select gwcode from multinational_military_exercises_mme.mme_v7_exercise_country_year "
        "where mmeid = ? and country = 'Canada' and year = ?",
        [canada["MMEID"], int(canada["year"])],
    ).fetchone()
    assert got == (int(float(canada["gwcode"])),)


def test_sipri_positive_deliveries(store, mirror):
    # PROVENANCE.md: 13502 rows have value > 0.
    n = store.execute("select count(*) from sipri_arms_transfers_dyad_year.sipri_tiv_directed_dyad_year where value > 0").fetchone()[0]
    assert n == 13502
    r = raw_rows(mirror, "sipri_arms_transfers_dyad_year", "sipri_tiv_directed_dyad_year.csv")[0]
    got = store.execute(
        "select ccode1, ccode2, value from sipri_arms_transfers_dyad_year.sipri_tiv_directed_dyad_year "
        "where year = ? and sender = ? and receiver = ?",
        [int(float(r["year"])), r["sender"], r["receiver"]],
    ).fetchone()
    assert got == (int(float(r["ccode1"])), int(float(r["ccode2"])), float(r["value"]))


def test_un_missions_decimal_commas_and_swapped_coordinates(store, mirror):
    rows = {r["mission_acronym"]: r for r in raw_rows(mirror, "un_peacekeeping_missions_list", "un_dppa_dpo_pko_missions.csv")}
    for acronym in ("UNPSG", "UNOSOM II"):
        r = rows[acronym]
        got = store.execute(
            "select mission_longitude, mission_latitude from un_peacekeeping_missions_list.un_dppa_dpo_pko_missions "
            "where mission_acronym = ?",
            [acronym],
        ).fetchone()
        assert got == (float(r["mission_longitude"].replace(",", ".")), float(r["mission_latitude"].replace(",", ".")))
    # Mogadishu's coordinates are swapped in the source and stay swapped (longitude ~2, latitude ~45).
    lon, lat = store.execute(
        "select mission_longitude, mission_latitude from un_peacekeeping_missions_list.un_dppa_dpo_pko_missions "
        "where mission_acronym = 'UNOSOM II'"
    ).fetchone()
    assert lon < 10 < 40 < lat
    hosts = store.execute(
        "select count(*), count(iso3c) from un_peacekeeping_missions_list.mission_host_country_crosswalk"
    ).fetchone()
    assert hosts == (107, 102)  # PROVENANCE.md


def test_visits_row(store, mirror):
    r = raw_rows(mirror, "us_defense_official_visits", "visits.csv")[0]
    got = store.execute(
        "select count(*) from us_defense_official_visits.visits where name = ? and state_visit = ? "
        "and start_year = ? and start_month = ? and start_day = ?",
        [r["Name"], r["State Visit"], int(r["Start Year"]), int(r["Start Month"]), int(r["Start Day"])],
    ).fetchone()[0]
    assert got >= 1


def test_construction_negative_amount_kept(store, mirror):
    rows = raw_rows(mirror, "us_military_construction_abroad", "builddata.csv")
    negative = sorted(int(r["spend_construction"]) for r in rows if int(r["spend_construction"]) < 0)
    got = store.execute(
        "select spend_construction from us_military_construction_abroad.builddata where spend_construction < 0 order by 1"
    ).fetchall()
    assert [g[0] for g in got] == negative and negative


def test_bases_counts(store, mirror):
    rows = raw_rows(mirror, "us_overseas_bases_vine", "basedata.csv")
    got = store.execute("select sum(base), sum(lilypad), sum(fundedsite) from us_overseas_bases_vine.basedata").fetchone()
    assert got == tuple(sum(int(r[c]) for r in rows) for c in ("base", "lilypad", "fundedsite"))


def test_troop_series(store, mirror):
    legacy = raw_rows(mirror, "us_troop_deployments", "troopdata_legacy_country_year.csv")
    r = next(x for x in legacy if x["ccode"] == "255" and x["year"] == "1990")
    got = store.execute(
        "select troops from us_troop_deployments.troopdata_legacy_country_year where ccode = 255 and year = 1990"
    ).fetchone()
    assert got == (int(r["troops"]),)
    # The rebuild's negative 1959 Marine Corps figures are kept, not rejected.
    rebuild = raw_rows(mirror, "us_troop_deployments", "troopdata_rebuild_country_year.csv")
    greece = next(x for x in rebuild if x["countryname"] == "Greece" and x["year"] == "1959")
    got = store.execute(
        "select marine_corps_ad from us_troop_deployments.troopdata_rebuild_country_year "
        "where countryname = 'Greece' and year = 1959"
    ).fetchone()
    assert got == (int(greece["marine_corps_ad"]),) and got[0] < 0
    # Non-CoW territory codes are accepted only because the definition lists them.
    spec = get_source("us_troop_deployments").file("troopdata_rebuild_country_year.csv")
    codes = {c for (c,) in store.execute("select distinct ccode from us_troop_deployments.troopdata_rebuild_country_year").fetchall()}
    cow = {c for (c,) in store.execute("select distinct ccode from cow_state_system.cow_states_v2016").fetchall()}
    assert codes - cow == set(spec.extra_codes)

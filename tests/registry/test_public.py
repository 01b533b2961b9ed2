"""import-public: every engagement dataset of the store loads, with unresolved names reported.

Expected numbers are computed here from the store with SQL, independently of the importers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from detente.registry import Registry, engagements_frame, import_public, yearly_frame
from detente.registry.public import CASES, DATASETS


@pytest.fixture(scope="module")
def loaded(module_registry_url, store_path, known_codes):
    """A registry with the public record loaded once per back end, and the first report."""
    reg = Registry(module_registry_url, known_code=known_codes)
    result = import_public(reg, store=store_path, actor="tester")
    yield reg, result
    reg.close()


def _spells(con: duckdb.DuckDBPyConnection, table: str, keys: str, where: str) -> int:
    """Runs of consecutive years per key (gaps and islands)."""
    return con.execute(f"""
        with d as (select distinct {keys}, year from {table} where {where}),
        g as (select *, year - row_number() over (partition by {keys} order by year) as grp from d)
        select count(*) from (select distinct {keys}, grp from g)""").fetchone()[0]


def test_every_dataset_loads(loaded):
    _, result = loaded
    counts = result.counts().set_index("dataset")
    assert list(counts.index) == list(DATASETS)
    assert (counts["engagements"] > 0).all(), counts
    assert (counts["inserted"] == counts["engagements"]).all()
    assert counts["note"].isna().all()


def test_counts_match_the_store(loaded, store):
    reg, result = loaded
    n = result.counts().set_index("dataset")["engagements"]
    missions = store.execute(
        "select count(*) from un_peacekeeping_missions_list.un_dppa_dpo_pko_missions "
        "where start_date is not null").fetchone()[0]
    assert n["un_peacekeeping_missions_list"] == missions
    assert n["us_troop_deployments"] == _spells(
        store, "us_troop_deployments.troopdata_rebuild_country_year", "ccode",
        "troops_ad >= 1000 and ccode <> 2")
    assert n["sipri_arms_transfers_dyad_year"] == _spells(
        store, "sipri_arms_transfers_dyad_year.sipri_tiv_directed_dyad_year", "ccode1, ccode2",
        "value > 0")
    assert n["multinational_military_exercises_mme"] == store.execute(
        "select count(distinct mmeid) from multinational_military_exercises_mme.mme_v7_exercises"
    ).fetchone()[0]
    assert n["us_defense_official_visits"] == store.execute(
        "select count(*) from us_defense_official_visits.visits where start_year is not null"
    ).fetchone()[0]
    assert n[CASES] == 4
    assert reg.count() == int(n.sum())
    for dataset in DATASETS:
        assert reg.count(source=dataset) == n[dataset]


def test_geo_pko_troops_and_contributors(loaded, store):
    reg, _ = loaded
    expected = dict(store.execute(
        "select year, sum(no_troops) from "
        "geo_pko_v2_3_location_year.geopko_v2_3_deployment_location_year "
        "where mission = 'MINUSCA' group by year").fetchall())
    rec = reg.get("un-pko-minusca")
    assert {y["year"]: y["personnel"] for y in rec["yearly"]} == expected
    roles = {(p["role"], p["code"]) for p in rec["participants"]}
    assert ("host", 482) in roles  # Central African Republic
    overview = " ".join(r[0] for r in store.execute(
        "select year_overview from geo_pko_v2_3_location_year.geopko_v2_3_tcc_location_year "
        "where mission = 'MINUSCA'").fetchall())
    contributors = [p for p in rec["participants"] if p["role"] == "contributor"]
    assert len(contributors) > 10
    assert all(p["name"] in overview or p["name"] == "Republic of Korea" for p in contributors)


def test_exercise_participants_are_all_kept(loaded, store):
    reg, _ = loaded
    parts = store.execute(
        "select count(distinct (mmeid, gwcode)) from "
        "multinational_military_exercises_mme.mme_v7_exercise_country_year where gwcode is not null"
    ).fetchone()[0]
    frame = engagements_frame(reg, source="multinational_military_exercises_mme")
    per_row = frame["contributors"].str.split(";").map(lambda x: len([c for c in x if c]))
    assert per_row.sum() == parts
    jme = engagements_frame(reg, source="joint_military_exercises_jme_v3")
    assert (jme["contributors"].str.count("cow:") >= 1).mean() > 0.95


def test_unresolved_names_point_at_their_line(loaded, mirror):
    _, result = loaded
    unresolved = result.unresolved_frame()
    assert len(unresolved) > 0
    assert set(unresolved.columns) == {"dataset", "value", "file", "row", "reason"}
    with_rows = unresolved[unresolved["row"].notna() & unresolved["file"].str.endswith(".csv")]
    assert len(with_rows) > 100
    files = {p.name: p for p in Path(mirror).rglob("*.csv")}
    cache: dict[str, list[str]] = {}
    for r in with_rows.itertuples(index=False):
        if r.file not in cache:
            with files[r.file].open(encoding="utf-8", newline="") as fh:
                cache[r.file] = [",".join(row) for row in csv.reader(fh)]
        line = cache[r.file][int(r.row) - 1]
        if not r.value.startswith("line ") and r.value:
            assert r.value in line, (r.file, r.row, r.value, line)
    # the Geo-PKO placeholder is reported, not dropped silently
    assert (unresolved["value"] == "TCC name unknown").sum() > 0


def test_rerun_changes_nothing(loaded, store_path):
    reg, _first = loaded
    before = reg.count()
    again = import_public(reg, store=store_path)
    counts = again.counts()
    assert (counts["inserted"] == 0).all() and (counts["updated"] == 0).all()
    assert (counts["unchanged"] == counts["engagements"]).all()
    assert reg.count() == before


def test_classic_cases(loaded):
    reg, _ = loaded
    ifor = reg.get("case-balkans-ifor-sfor")
    mandates = {(lb["resolution"], lb["chapter"]) for lb in ifor["legal_bases"]}
    assert {("1031", "VII"), ("1088", "VII")} <= mandates
    assert (ifor["start"], ifor["end"]) == ("1995-12-20", "2004-12-02")
    assert {"host": [p["code"] for p in ifor["participants"] if p["role"] == "host"]} == {"host": [346]}
    kfor = reg.get("case-kosovo-kfor")
    assert ("1244", "VII") in {(lb["resolution"], lb["chapter"]) for lb in kfor["legal_bases"]}
    assert kfor["status"] == "ongoing" and kfor["end"] is None
    korea = reg.get("case-korea-rok")
    assert any(lb["kind"] == "treaty" and lb["date"] == "1953-10-01" for lb in korea["legal_bases"])
    japan = reg.get("case-japan-1945")
    assert (japan["start"], japan["end"]) == ("1945-09-02", "1952-04-28")
    for rec in (ifor, kfor, korea, japan):
        assert rec["citations"] and rec["objectives"]
        assert all(o["indicators"] for o in rec["objectives"])


def test_yearly_levels_feed_the_frames(loaded, store):
    reg, _ = loaded
    troops = yearly_frame(reg, "forward_presence", source="us_troop_deployments")
    germany = troops[troops["engagement_id"].str.startswith("us-troops-255-")]
    expected = dict(store.execute(
        "select year, troops_ad from us_troop_deployments.troopdata_rebuild_country_year "
        "where ccode = 255 and troops_ad >= 1000").fetchall())
    assert dict(zip(germany["year"], germany["personnel"], strict=True)) == expected


def test_threshold_is_configurable(module_registry_url, store_path, store, known_codes, tmp_path):
    reg = Registry(f"sqlite:///{tmp_path / 'threshold.sqlite'}", known_code=known_codes)
    result = import_public(reg, store=store_path, only=["us_troop_deployments"],
                           troop_threshold=20000)
    expected = _spells(store, "us_troop_deployments.troopdata_rebuild_country_year", "ccode",
                       "troops_ad >= 20000 and ccode <> 2")
    assert result.counts()["engagements"].tolist() == [expected]
    assert 0 < expected < 30
    reg.close()


def test_loading_is_fast(loaded):
    _, result = loaded
    assert result.seconds < 60


def test_the_whole_public_record_round_trips(loaded, tmp_path, known_codes):
    """Export from this back end, import into a fresh SQLite registry, export again: same bytes."""
    from detente.registry.io import export_file, import_file

    reg, _ = loaded
    first = tmp_path / "public.jsonl"
    n = export_file(reg, first)
    other = Registry(f"sqlite:///{tmp_path / 'copy.sqlite'}", known_code=known_codes)
    assert import_file(other, first).report.counts()["inserted"] == n == reg.count()
    second = tmp_path / "again.jsonl"
    export_file(other, second)
    other.close()
    assert second.read_bytes() == first.read_bytes()

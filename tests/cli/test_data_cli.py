"""The `detente data` commands end to end, as subprocesses on the session store."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from detente.sources import all_sources


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "detente.cli.main", *args], capture_output=True, text=True, check=False
    )


def test_list_shows_every_mirror_folder(mirror: Path, store_path: Path) -> None:
    proc = run("data", "list", "--format", "json", "--store", str(store_path))
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert [r["dataset"] for r in listed] == sorted(p.name for p in mirror.iterdir() if p.is_dir())
    assert all(r["imported"] for r in listed)
    assert all(r["licence"] and r["version"] for r in listed)


def test_query_returns_the_row_count_of_every_file(store_path: Path) -> None:
    union = " union all ".join(
        f"select '{s.id}.{f.table}' as t, count(*) as n from \"{s.id}\".\"{f.table}\""
        for s in all_sources().values() for f in s.files
    )
    proc = run("data", "query", union, "--store", str(store_path))
    assert proc.returncode == 0, proc.stderr
    got = {row["t"]: int(row["n"]) for row in csv.DictReader(io.StringIO(proc.stdout))}
    expected = {f"{s.id}.{f.table}": f.rows for s in all_sources().values() for f in s.files}
    assert got == expected


def test_query_is_read_only(store_path: Path) -> None:
    proc = run("data", "query", "drop table cow_state_system.cow_states_v2016", "--store", str(store_path))
    assert proc.returncode == 1
    assert "read-only" in proc.stderr


def test_cite_gives_bibtex_and_text() -> None:
    bib = run("data", "cite", "cow_state_system")
    assert bib.returncode == 0 and bib.stdout.lstrip().startswith("@")
    text = run("data", "cite", "cow_state_system", "--format", "text")
    assert "Correlates of War Project (2017)" in text.stdout
    unknown = run("data", "cite", "no_such_dataset")
    assert unknown.returncode == 1 and "no_such_dataset" in unknown.stderr


def test_import_with_progress_prints_the_summary_and_stores_every_row(mirror: Path, tmp_path: Path) -> None:
    ids = ["cow_state_system", "gw_state_system", "cow_nmc", "strategic_rivalries", "cow_trade"]
    store = tmp_path / "store.duckdb"
    proc = run("data", "import", *ids, "--mirror", str(mirror), "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    files = sum(len(s.files) for s in all_sources().values() if s.id in ids)
    assert f"imported {len(ids)} datasets, {files} files" in " ".join(proc.stdout.split())
    for sid in ids:
        assert sid in proc.stdout
    got = run("data", "query", "select source_id, sum(rows) as n from meta.catalog group by all", "--store", str(store))
    assert got.returncode == 0, got.stderr
    rows = {r["source_id"]: int(r["n"]) for r in csv.DictReader(io.StringIO(got.stdout))}
    assert rows == {sid: sum(f.rows for f in all_sources()[sid].files) for sid in ids}

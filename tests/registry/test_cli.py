"""`detente registry ...` end to end (SQLite and PostgreSQL through --registry)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from detente.cli.main import app
from detente.exceptions import RecordValidationError, TransitionError

runner = CliRunner()


@pytest.fixture()
def cli(registry_url, store_path):
    def run(*args: str):
        return runner.invoke(app, ["registry", *args, "--registry", registry_url,
                                   "--store", str(store_path)], env={"COLUMNS": "200"})
    return run


def test_add_list_show_transition(cli):
    r = cli("add", "--id", "trn-1", "--type", "training", "--title", "Staff course; DROP TABLE x",
            "--status", "planned", "--start", "2024-02-01", "--contributor", "cow:2",
            "--partner", "cow:452", "--personnel", "40")
    assert r.exit_code == 0, r.output
    r = cli("list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows == [{"id": "trn-1", "type": "training", "title": "Staff course; DROP TABLE x",
                     "status": "planned", "start": "2024-02-01", "end": "", "contributors": "cow:2",
                     "partners": "cow:452", "hosts": "", "personnel": "40", "source": ""}]
    r = cli("transition", "trn-1", "ongoing", "--date", "2024-02-01")
    assert r.exit_code == 0, r.output
    listed = json.loads(cli("list", "--format", "json").stdout)
    assert listed[0]["status"] == "ongoing" and listed[0]["partners"] == "cow:452"
    shown = json.loads(cli("show", "trn-1", "--audit").stdout)
    assert shown["version"] == 2 and shown["record"]["status_dates"] == {"ongoing": "2024-02-01"}
    assert [a["action"] for a in shown["audit"]] == ["add", "transition:planned->ongoing"]


def test_bad_input_is_a_clear_error(cli):
    r = cli("add", "--id", "x", "--type", "parade", "--title", "T")
    assert isinstance(r.exception, RecordValidationError) and "unknown type" in str(r.exception)
    cli("add", "--id", "y", "--type", "training", "--title", "T")
    r = cli("transition", "y", "completed")
    assert isinstance(r.exception, TransitionError)
    r = cli("add", "--id", "z", "--type", "training", "--title", "T", "--host", "cow:1")
    assert "unknown country" in str(r.exception)


def test_import_export_and_check(cli, tmp_path, make_record):
    good = make_record("trn-good")
    bad = make_record("trn-bad", end="2018-01-01")
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    r = cli("import", str(path))
    assert r.exit_code == 1 and "nothing was imported" in r.output and "row 2" in r.output
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    assert cli("import", str(path)).exit_code == 0
    out = tmp_path / "out.csv"
    assert cli("export", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("trn-good,training,")
    r = cli("check", "--format", "json")
    assert r.exit_code == 0, r.output  # the full record meets every standard
    cli("add", "--id", "bare", "--type", "training", "--title", "T")
    r = cli("check", "--format", "json")
    assert r.exit_code == 1
    assert json.loads(r.stdout) == [{"rule": "no_legal_basis", "engagement_id": "bare",
                                     "detail": "no legal basis recorded"}]


def test_import_public_cases_from_the_cli(cli, tmp_path):
    report = tmp_path / "unresolved.csv"
    r = cli("import-public", "--only", "detente_cases", "--only", "us_defense_official_visits",
            "--report", str(report))
    assert r.exit_code == 0, r.output
    assert "detente_cases" in r.output and "unresolved names written" in r.output
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert rows and all(row["file"] == "visits.csv" and row["row"] for row in rows)
    listed = json.loads(cli("list", "--format", "json", "--source", "detente_cases").stdout)
    assert {e["id"] for e in listed} == {"case-japan-1945", "case-balkans-ifor-sfor",
                                         "case-kosovo-kfor", "case-korea-rok"}

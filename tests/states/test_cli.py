"""``detente states`` commands."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from detente.cli.states import app

runner = CliRunner()


def test_members_csv_matches_api_count(store_path, store):
    from detente.states import members

    out = runner.invoke(app, ["members", "--system", "gw", "--year", "1946", "--format", "csv",
                              "--store", str(store_path)])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert len(rows) == len(members("gw", year=1946, con=store))


def test_members_on_a_day_json(store_path):
    out = runner.invoke(app, ["members", "--system", "cow", "--on", "2011-07-09", "--format", "json",
                              "--store", str(store_path)])
    assert out.exit_code == 0, out.output
    assert 626 in {r["code"] for r in json.loads(out.output)}


def test_convert_and_resolve(store_path):
    out = runner.invoke(app, ["convert", "255", "679", "--year", "2000", "--format", "csv", "--store", str(store_path)])
    assert out.exit_code == 0, out.output
    assert [r["gw"] for r in csv.DictReader(io.StringIO(out.output))] == ["260", "678"]
    bad = runner.invoke(app, ["resolve", "Guinea-Bissau", "Atlantis", "--year", "2000", "--format", "csv"])
    assert bad.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(bad.output)))
    assert [r["status"] for r in rows] == ["matched", "unmatched"]

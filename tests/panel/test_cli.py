"""``detente panel``: enrichers listing, options on --add, clear errors."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from detente.cli.main import app
from detente.panel import enrichers


def test_enrichers_lists_sources_coverage_and_citation():
    result = CliRunner().invoke(app, ["panel", "enrichers", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert set(rows) == set(enrichers())
    assert rows["gml_mids"]["sources"] == "gml_mid"
    assert rows["gml_mids"]["coverage"] == "1816-2010"
    assert "Gibler" in rows["gml_mids"]["citation"]


def test_options_on_add(store_path, tmp_path):
    out = tmp_path / "dy.csv"
    result = CliRunner().invoke(app, [
        "panel", "dyad-years", "--years", "1990-2000", "--undirected",
        "--add", "gml_mids:rule=hostlev|onset,peace_spells:event=gml_onset",
        "--output", str(out), "--store", str(store_path),
    ])
    assert result.exit_code == 0, result.output
    t = pd.read_csv(out)
    assert {"gml_onset", "gml_onset_spell"} <= set(t.columns)
    assert (t.ccode1 < t.ccode2).all()


def test_years_beyond_the_data_is_an_error_that_says_what_to_do(store_path, tmp_path):
    from detente.cli.main import main  # noqa: F401  (the entry point turns errors into exit 1)

    result = CliRunner().invoke(app, [
        "panel", "dyad-years", "--years", "1816-2025", "--add", "nmc",
        "--output", str(tmp_path / "x.parquet"), "--store", str(store_path),
    ])
    assert result.exit_code != 0
    assert "mry=2025" in str(result.exception)

"""``detente fit``: every model from the command line, JSON contents, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli.fit import app

runner = CliRunner()


def _json(args: list[str]) -> dict:
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


@pytest.fixture(scope="module")
def fortna_csv(mirror: Path) -> Path:
    return mirror / "fortna_peacekeeping_duration" / "fortna_pk_pkept.csv"


def test_cox_json_has_what_the_reader_needs(fortna_csv: Path) -> None:
    out = _json(["cox", "--data", str(fortna_csv), "--formula", "pk_dum + victory + treaty + wartype + logdead",
                 "--entry", "_t0", "--duration", "_t", "--event", "_d", "--cluster", "id", "--ph-test"])
    assert out["n"] == 191 and out["events"] == 83 and out["clusters"] == 155
    assert out["log_likelihood"] == pytest.approx(-362.81334729176643, rel=1e-9)
    term = {t["term"]: t for t in out["terms"]}["pk_dum"]
    assert term["estimate"] == pytest.approx(-0.38630686319189145, rel=1e-6)
    assert term["std_error"] == pytest.approx(0.284122872459773967, rel=1e-6)
    assert "cluster-robust" in term["se_type"] and "no small-sample factor" in term["se_type"]
    spec = out["specification"]
    assert spec["entry"] == "_t0" and spec["cluster"] == "id" and spec["ties"] == "efron"
    assert spec["rows_dropped_missing"] == 1
    assert any("dropped" in w for w in out["warnings"])
    assert out["ph_test"]["tests"][-1]["term"] == "GLOBAL"


def test_glm_commands(mirror: Path) -> None:
    ds = mirror / "doyle_sambanis_2000" / "doyle_sambanis_2000_full.csv"
    f = "pbs2s3 ~ wartype + logcost + treaty + untype4"
    for cmd in ("logit", "probit"):
        out = _json([cmd, "--data", str(ds), "--formula", f, "--cluster", "cluster"])
        assert out["clusters"] > 50
        assert "HC1" in out["se_type"]
    out = _json(["logit", "--data", str(ds), "--formula", f, "--cluster", "cluster", "--small-sample", "none"])
    assert "no small-sample factor" in out["se_type"]
    hks = mirror / "hultman_kathman_shannon_2013" / "hks_ajps_2013_conflict_month.csv"
    out = _json(["negbin", "--data", str(hks), "--formula", "osvAll ~ troopLag + incomp + lntpop"])
    assert out["theta"] == pytest.approx(0.041661396135487111, rel=1e-6)
    out = _json(["poisson", "--data", str(hks), "--formula", "osvAll ~ troopLag + incomp + lntpop"])
    assert out["model"] == "poisson"


def test_km_ols_feols_event_study(fortna_csv: Path, mirror: Path, tmp_path: Path) -> None:
    out = _json(["km", "--data", str(fortna_csv), "--formula", "pk_dum", "--entry", "_t0", "--duration", "_t",
                 "--event", "_d", "--tau", "1000"])
    assert out["logrank"]["df"] == 1 and "rmst" in out
    walter = pd.read_csv(mirror / "walter_2015_postwar_peace" / "walter_2015_jcr_country_year.csv")
    first = walter[walter.unpko > 0].groupby("id").year.min().rename("first_pko")
    walter = walter.join(first, on="id")
    path = tmp_path / "walter.parquet"
    walter.to_parquet(path)
    out = _json(["ols", "--data", str(path), "--formula", "lgdpl ~ unpko + victory", "--cluster", "ccode"])
    assert out["n"] == len(walter)
    out = _json(["feols", "--data", str(path), "--formula", "lgdpl ~ unpko | id + year", "--cluster", "ccode"])
    assert out["model"] == "feols" and "CRV1" in out["se_type"]
    out = _json(["event-study", "--data", str(path), "--formula", "lgdpl ~ 1", "--unit", "id", "--time", "year",
                 "--treated-at", "first_pko", "--lead", "-3", "--lag", "3"])
    assert out["model"] == "event_study" and out["pretrend"]["df"] == 2


def test_table_format_and_errors(fortna_csv: Path) -> None:
    res = runner.invoke(app, ["cox", "--data", str(fortna_csv), "--formula", "pk_dum", "--entry", "_t0",
                              "--duration", "_t", "--event", "_d"])
    assert res.exit_code == 0 and "pk_dum" in res.output and "model-based" in res.output
    res = runner.invoke(app, ["cox", "--data", str(fortna_csv), "--formula", "pk_dum + nosuch", "--duration", "_t",
                              "--event", "_d"])
    assert res.exit_code != 0 and "nosuch" in str(res.exception)
    res = runner.invoke(app, ["cox", "--data", str(fortna_csv), "--formula", "pk_dum", "--duration", "_t",
                              "--event", "outcome"])
    assert res.exit_code != 0 and "must be 0/1" in str(res.exception)

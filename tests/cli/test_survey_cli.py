"""`detente survey`: user-supplied survey files (there is no public survey in the mirror)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "detente.cli.main", *args], capture_output=True, text=True, check=False)


def test_proportions_are_weighted_shares(tmp_path: Path) -> None:
    survey = tmp_path / "wave1.csv"
    survey.write_text("question,group,weight,response\ntrust,urban,1.5,yes\ntrust,urban,1,no\ntrust,urban,0.5,yes\n")
    proc = run("survey", "proportions", str(survey))
    assert proc.returncode == 0, proc.stderr
    rows = {r["response"]: r for r in csv.DictReader(io.StringIO(proc.stdout))}
    assert abs(float(rows["yes"]["proportion"]) - 2.0 / 3.0) < 1e-12
    assert abs(float(rows["no"]["proportion"]) - 1.0 / 3.0) < 1e-12


def test_bad_weight_names_file_line_and_field(tmp_path: Path) -> None:
    survey = tmp_path / "bad.csv"
    survey.write_text("question,group,weight,response\ntrust,urban,1,yes\ntrust,urban,-2,no\n")
    proc = run("survey", "import", str(survey), "--store", str(tmp_path / "s.duckdb"))
    assert proc.returncode == 1
    assert "bad.csv" in proc.stderr and "line 3" in proc.stderr and "weight" in proc.stderr

"""``detente events import`` and ``detente events aggregate`` end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from detente.cli.main import app
from detente.events import aggregate

runner = CliRunner()


def test_import_then_aggregate(tmp_path: Path, native: dict[str, Path]) -> None:
    store = tmp_path / "store"
    result = runner.invoke(app, ["events", "import", str(native["gdelt1"]), str(native["icews"]), "-o", str(store)])
    assert result.exit_code == 0, result.output
    assert "9,599 events" in result.output
    out = tmp_path / "mil.csv"
    result = runner.invoke(
        app,
        ["events", "aggregate", str(store), "--by", "dyad-year", "--source-types", "military",
         "--target-types", "military", "--roots", "4,5", "--weight-mentions", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, dtype={"period": str})
    expected = aggregate(
        store, by="dyad-year", source_types=["military"], target_types=["military"], roots=[4, 5],
        weight="mentions",
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_strict_import_reports_the_line(tmp_path: Path, native: dict[str, Path]) -> None:
    bad = tmp_path / "bad.export.CSV"
    lines = native["gdelt1"].read_text().splitlines()
    fields = lines[2].split("\t")
    fields[30] = "n/a"  # GoldsteinScale
    lines[2] = "\t".join(fields)
    bad.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["events", "import", str(bad), "-o", str(tmp_path / "s"), "--strict"])
    assert result.exit_code != 0
    assert f"{bad}:3: non-numeric Goldstein" in str(result.exception)
    result = runner.invoke(app, ["events", "import", str(bad), "-o", str(tmp_path / "s")])
    assert result.exit_code == 0 and "1 bad rows skipped" in result.output

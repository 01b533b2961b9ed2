"""Parity with peacesciencer: the reference pipeline's row count and every column's n and sum."""

from __future__ import annotations

import math

import pyarrow.compute as pc
import pyarrow.parquet as pq
from typer.testing import CliRunner

from detente.panel import dyad_years

PARITY_ENRICHERS = ("majors", "contiguity", "nmc", "democracy", "atop", "gml_mids", "capital_distance")


def _compare(table, ref) -> list[str]:
    """Columns whose non-missing count or sum differ from the reference (relative 1e-9)."""
    assert table.num_rows == ref["nrow"]
    assert table.column_names == ref["columns"]
    bad = []
    for name in ref["columns"]:
        want = ref["column_summary"][name]
        col = table.column(name)
        n = len(col) - col.null_count
        total = pc.sum(col.cast("double")).as_py() or 0.0
        if n != want["n_non_na"] or not math.isclose(total, want["sum"], rel_tol=1e-9, abs_tol=1e-9):
            bad.append(f"{name}: n {n} vs {want['n_non_na']}, sum {total!r} vs {want['sum']!r}")
    return bad


def test_parity_pipeline_in_process(store, parity):
    panel = dyad_years("cow", years="1816-2025", directed=True, mry=2025, con=store, echo=None)
    for name in PARITY_ENRICHERS:
        panel = panel.add(name)
    table = panel.to_arrow(names="peacesciencer")
    assert _compare(table, parity["P2"]) == []
    # rows in peacesciencer's order, and onsets as it counts them
    onsets = pc.sum(table.column("gmlmidonset")).as_py()
    assert onsets == parity["P2"]["rows_with_any_mid_onset"]


def test_parity_pipeline_from_the_cli(store_path, parity, tmp_path):
    from detente.cli.main import app

    out = tmp_path / "p2.parquet"
    result = CliRunner().invoke(app, [
        "panel", "dyad-years", "--system", "cow", "--years", "1816-2025", "--directed", "--mry", "2025",
        "--add", ",".join(PARITY_ENRICHERS), "--names", "peacesciencer", "--output", str(out),
        "--store", str(store_path),
    ])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert _compare(table, parity["P2"]) == []
    assert b"detente.panel" in table.schema.metadata

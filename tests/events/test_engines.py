"""Spark returns exactly the DuckDB result; DuckDB honours a memory cap on an input larger than it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from detente.events import aggregate, import_events

ROOT = Path(__file__).resolve().parents[2]

QUERIES = [
    {"by": "dyad-month"},
    {"by": "dyad-year", "system": "gw", "weight": "mentions"},
    {"by": "dyad-month", "keys": "cameo"},
    {"by": "state-month", "role": "target", "measures": ["count", "goldstein"]},
    {"by": "dyad-year", "source_types": ["government"], "target_types": ["military", "government"],
     "roots": [4, 5, 6], "start": "2011-08-05", "end": "2018-06-01"},
    {"by": "state-year", "countries": [2, 365], "measures": ["quad", "coop_share"]},
]  # fmt: skip


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) > 0
    floats = [c for c in a.columns if c.startswith(("goldstein", "coop"))]
    exact = [c for c in a.columns if c not in floats]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_dtype=False)
    for c in floats:
        assert (a[c] - b[c]).abs().max() <= 1e-9, c


@pytest.mark.spark
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "-".join(str(v) for v in q.values())[:40])
def test_spark_equals_duckdb(event_store: Path, spark, query: dict) -> None:
    _same(aggregate(event_store, **query), aggregate(event_store, engine="spark", **query))


def _generator():
    spec = importlib.util.spec_from_file_location("generate_gdelt", ROOT / "benchmarks" / "generate_gdelt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One million synthetic GDELT 2.0 events over 20 years (the benchmark generator), imported."""
    raw = tmp_path_factory.mktemp("synthetic-raw")
    _generator().generate(raw, 1_000_000, fmt="parquet", seed=7, months=240)
    store = tmp_path_factory.mktemp("synthetic-store")
    report = import_events(raw, store)
    assert report.events == 1_000_000 and report.bad == 0
    return store


def test_duckdb_memory_cap_is_honoured(synthetic_store: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    cap = 24 * 1024 * 1024
    files = list((synthetic_store / "events").rglob("*.parquet"))
    decoded = sum(pq.read_table(f).nbytes for f in files)
    assert decoded > 4 * cap  # the input, decoded, is several times the cap
    profile = tmp_path / "profile.json"
    settings = {"enable_profiling": "json", "profiling_output": str(profile)}
    free = aggregate(synthetic_store, keys="cameo", threads=1, duckdb_config=settings)
    unbounded = json.loads(profile.read_text())["system"]
    capped = aggregate(
        synthetic_store, keys="cameo", threads=1, memory_limit="24MB",
        temp_directory=tmp_path / "spill", duckdb_config=settings,
    )  # fmt: skip
    bounded = json.loads(profile.read_text())["system"]
    _same(free, capped)
    # The aggregation streams the input: capped, its buffers never exceed the cap although the
    # decoded input is several times larger (it would spill to temp_directory beyond that).
    assert bounded["peak_buffer_memory"] <= cap
    assert unbounded["peak_buffer_memory"] < decoded / 4


@pytest.mark.spark
def test_spark_equals_duckdb_on_synthetic_data(synthetic_store: Path, spark) -> None:
    query = {"by": "dyad-month", "weight": "mentions"}
    _same(aggregate(synthetic_store, **query), aggregate(synthetic_store, engine="spark", **query))

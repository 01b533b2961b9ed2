"""Spark returns exactly the DuckDB result (on the mirror's samples and on synthetic events)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from detente.events import aggregate

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


@pytest.mark.spark
def test_spark_equals_duckdb_on_synthetic_data(synthetic_store: Path, spark) -> None:
    query = {"by": "dyad-month", "weight": "mentions"}
    _same(aggregate(synthetic_store, **query), aggregate(synthetic_store, engine="spark", **query))

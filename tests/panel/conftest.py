"""Shared helpers for panel tests: the peacesciencer parity reference, found from the repo root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARITY = ROOT.parent / "shared" / "reference" / "peacesciencer_dyad_year_parity.json"

PARITY_ENRICHERS = ("majors", "contiguity", "nmc", "democracy", "atop", "gml_mids", "capital_distance")

@pytest.fixture(scope="session")
def parity() -> dict:
    """peacesciencer's summary of its dyad-year pipelines (row count, per-column n and sum)."""
    if not PARITY.is_file():
        raise RuntimeError(f"the parity reference is missing: {PARITY}")
    return json.loads(PARITY.read_text())

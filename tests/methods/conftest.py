"""Fixtures for the methods tests: the four studies read from the mirror, and a reader of R's
printed output (the oracle numbers are kept verbatim as R printed them)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest


def r_named(text: str) -> dict[str, float]:
    """Parse R's print of a named numeric vector (name lines alternate with value lines)."""
    lines = [ln for ln in text.strip("\n").splitlines() if ln.strip()]
    out: dict[str, float] = {}
    for names, values in zip(lines[::2], lines[1::2], strict=True):
        for k, v in zip(names.split(), values.split(), strict=True):
            out[k] = float(v)
    return out


def r_unnamed(text: str) -> np.ndarray:
    """Parse R's print of an unnamed vector ("[1] a b c" lines)."""
    vals = []
    for ln in text.strip().splitlines():
        vals.extend(float(v) for v in re.sub(r"^\s*\[\d+\]", "", ln).split())
    return np.array(vals)


def r_matrix(text: str) -> np.ndarray:
    """Parse R's print of an unnamed matrix, possibly wrapped into column blocks."""
    rows: dict[int, list[float]] = {}
    for ln in text.strip().splitlines():
        m = re.match(r"^\s*\[(\d+),\]\s*(.*)$", ln)
        if m:
            rows.setdefault(int(m.group(1)), []).extend(float(v) for v in m.group(2).split())
    return np.array([rows[k] for k in sorted(rows)])


def r_table(text: str) -> dict[str, list[float]]:
    """Parse R's print of a matrix with row names (first line: column names)."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return {ln.split()[0]: [float(v) for v in ln.split()[1:]] for ln in lines[1:]}


def assert_rel(actual, expected, rtol: float = 1e-6, what: str = "") -> None:
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    np.testing.assert_allclose(a, e, rtol=rtol, atol=0, err_msg=what)


@pytest.fixture(scope="session")
def rout() -> SimpleNamespace:
    """Parsers for R output and the relative-agreement assertion."""
    return SimpleNamespace(named=r_named, unnamed=r_unnamed, matrix=r_matrix, table=r_table, assert_rel=assert_rel)


@pytest.fixture(scope="session")
def fortna(mirror: Path) -> pd.DataFrame:
    return pd.read_csv(mirror / "fortna_peacekeeping_duration" / "fortna_pk_pkept.csv")


@pytest.fixture(scope="session")
def doyle_sambanis(mirror: Path) -> pd.DataFrame:
    d = pd.read_csv(mirror / "doyle_sambanis_2000" / "doyle_sambanis_2000_full.csv")
    d["ended"] = d["yrend"].notna().astype(int)
    return d


@pytest.fixture(scope="session")
def walter(mirror: Path) -> pd.DataFrame:
    """Walter's country-years with time at risk t = 1, 2, ... within each spell id (R: ave(seq_along))."""
    w = pd.read_csv(mirror / "walter_2015_postwar_peace" / "walter_2015_jcr_country_year.csv")
    w = w.sort_values(["id", "year"], kind="stable").reset_index(drop=True)
    w["t"] = w.groupby("id").cumcount() + 1
    w["start"] = w["t"] - 1
    return w


@pytest.fixture(scope="session")
def hks(mirror: Path) -> pd.DataFrame:
    return pd.read_csv(mirror / "hultman_kathman_shannon_2013" / "hks_ajps_2013_conflict_month.csv")

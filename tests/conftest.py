"""Shared fixtures: the mirror (``DETENTE_MIRROR``, default ../shared/data) and an imported store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _mirror() -> Path:
    env = os.environ.get("DETENTE_MIRROR")
    path = Path(env) if env else ROOT.parent / "shared" / "data"
    if not path.is_dir():
        raise RuntimeError(f"the test suite needs the data mirror: set DETENTE_MIRROR (tried {path})")
    return path


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The data mirror directory."""
    return _mirror()


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> Path:
    """A DuckDB store with every mirror dataset imported, built once per test session."""
    from detente.store import connect
    from detente.store.importer import import_all

    path = tmp_path_factory.mktemp("store") / "detente.duckdb"
    con = connect(path)
    try:
        import_all(con, mirror)
    finally:
        con.close()
    return path


@pytest.fixture()
def store(store_path: Path):
    """A read-only connection to the session store."""
    import duckdb

    con = duckdb.connect(str(store_path), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> str:
    """A SQLite registry with the public record imported from the session store, built once."""
    from detente.registry import import_public, open_registry

    url = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'registry.sqlite'}"
    registry = open_registry(url, store=store_path)
    try:
        import_public(registry, store=store_path)
    finally:
        registry.close()
    return url


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (two cores) for every Spark test."""
    from detente.events.spark import spark_session

    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()

"""A registry with the classic cases loaded by import-public, shared by the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def cases_registry_url(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> str:
    """SQLite registry URL holding the classic cases (import-public)."""
    from detente.registry import Registry, import_public

    url = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'public.sqlite'}"
    reg = Registry(url)
    try:
        import_public(reg, store=store_path, only=["detente_cases"])
    finally:
        reg.close()
    return url

"""Which state codes the registry accepts: those of the CoW and G-W lists in the analytic store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from detente import config
from detente.exceptions import ConfigurationError
from detente.registry.records import CodeCheck


class KnownCodes:
    """A ``known_code(system, code)`` callable backed by sets of codes per system."""

    def __init__(self, codes: Mapping[str, set[int]]):
        self.codes = {system: {int(c) for c in values} for system, values in codes.items()}

    def __call__(self, system: str, code: int) -> bool:
        if system not in self.codes:
            raise ConfigurationError(
                f"the analytic store has no {system} state list: run `detente data import` first"
            )
        return int(code) in self.codes[system]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{s}: {len(c)}" for s, c in sorted(self.codes.items()))
        return f"KnownCodes({sizes})"


def load_codes(store: str | Path | None = None) -> KnownCodes | None:
    """Read the code lists from the analytic store (None when the store does not exist)."""
    from detente.store import connect
    from detente.store.importer import known_codes

    path = config.store_path(store)
    if not path.exists():
        return None
    con = connect(path, read_only=True)
    try:
        codes = known_codes(con)
    finally:
        con.close()
    return KnownCodes(codes) if codes else None


def code_checker(store: str | Path | None = None) -> CodeCheck | None:
    """Return the code check for a store, or None when no state list is available."""
    return load_codes(store)

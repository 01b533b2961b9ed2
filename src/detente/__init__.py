"""detente: the evidence behind military engagement in diplomatic missions.

The public API is small and imported lazily so that ``import detente`` stays fast::

    import detente
    panel = detente.dyad_years(system="cow", years=(1946, 2010)).add_mids().add_trade()
    con = detente.connect()                     # the analytic store (DuckDB)
    detente.members("gw", year=1990)            # the dated state system
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "connect": "detente.store",
    "import_all": "detente.store.importer",
    "all_sources": "detente.sources",
    "get_source": "detente.sources",
    "members": "detente.states",
    "convert": "detente.states",
    "resolve_names": "detente.states",
    "state_years": "detente.panel",
    "dyad_years": "detente.panel",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'detente' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

"""CAMEO event data: read GDELT and ICEWS files, store them canonically, aggregate to dyad-periods.

>>> from detente.events import import_events, aggregate
>>> report = import_events(["gdelt/*.zip"], "event-store")             # doctest: +SKIP
>>> aggregate("event-store", by="dyad-month", engine="duckdb")         # doctest: +SKIP

Reading is done with pyarrow, checking and storing with DuckDB, aggregation with DuckDB (default,
bounded memory) or Apache Spark (``engine="spark"``, any cluster ``master``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "LAYOUTS",
    "BadRow",
    "ImportReport",
    "aggregate",
    "cameo_table",
    "coverage",
    "import_events",
    "read_events",
]

if TYPE_CHECKING:
    from detente.events.aggregation import aggregate
    from detente.events.cameo import cameo_table
    from detente.events.layouts import LAYOUTS
    from detente.events.manifest import coverage
    from detente.events.reader import BadRow
    from detente.events.store import ImportReport, import_events, read_events

_WHERE = {
    "aggregate": "detente.events.aggregation",
    "cameo_table": "detente.events.cameo",
    "LAYOUTS": "detente.events.layouts",
    "coverage": "detente.events.manifest",
    "BadRow": "detente.events.reader",
    "ImportReport": "detente.events.store",
    "import_events": "detente.events.store",
    "read_events": "detente.events.store",
}


def __getattr__(name: str) -> Any:
    # Lazy imports keep `import detente.events` (and the CLI start-up) fast.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'detente.events' has no attribute {name!r}")

"""The seven measures of the evaluation framework (M1–M7), each a function returning a
:class:`~detente.metrics.result.MeasureResult`.

| # | name | question |
|---|---|---|
| M1 | ``peace_duration`` | does peace last longer after the engagement? |
| M2 | ``hostilities`` | do hostilities and armed conflict fall? |
| M3 | ``trade_agreements`` | do trade and agreements grow? |
| M4 | ``communication`` | does diplomatic communication become more frequent and cooperative? |
| M5 | ``objectives`` | are the engagement's objectives met, on time? |
| M6 | ``acceptance`` | is the engagement accepted locally, or read as hostile? |
| M7 | ``long_term`` | does alignment persist at 5 and 10 years? |
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from detente.exceptions import DetenteError
from detente.metrics.result import MeasureResult
from detente.metrics.scope import REGIONS, Scope

#: measure name -> (code, module) — every module defines a function of the same name.
MEASURES: dict[str, tuple[str, str]] = {
    "peace_duration": ("M1", "detente.metrics.peace_duration"),
    "hostilities": ("M2", "detente.metrics.hostilities"),
    "trade_agreements": ("M3", "detente.metrics.trade_agreements"),
    "communication": ("M4", "detente.metrics.communication"),
    "objectives": ("M5", "detente.metrics.objectives"),
    "acceptance": ("M6", "detente.metrics.acceptance"),
    "long_term": ("M7", "detente.metrics.long_term"),
}

__all__ = ["MEASURES", "REGIONS", "MeasureResult", "Scope", "get_measure"]


def get_measure(name: str) -> Callable[..., MeasureResult]:
    """Return the measure function called ``name`` (or its code ``M1``..``M7``)."""
    by_code = {code.lower(): key for key, (code, _) in MEASURES.items()}
    key = by_code.get(name.lower(), name.replace("-", "_"))
    if key not in MEASURES:
        known = ", ".join(f"{k} ({c})" for k, (c, _) in MEASURES.items())
        raise DetenteError(f"unknown measure {name!r}; known: {known}")
    module = importlib.import_module(MEASURES[key][1])
    fn: Any = getattr(module, key)
    return fn

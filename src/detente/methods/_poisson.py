"""Poisson regression (log link)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from detente.methods._glm import GLM

__all__ = ["Poisson", "poisson"]


class Poisson(GLM):
    """Poisson model; matches R ``glm(family = poisson)``."""

    model = "poisson"
    family = "poisson"
    link = "log"
    count = True


def poisson(
    formula: str, data: pd.DataFrame, *, cluster: str | None = None, small_sample: str = "HC1", **kwargs: Any
) -> Poisson:
    """Fit a Poisson model; the outcome must hold non-negative whole counts."""
    return Poisson().fit(formula, data, cluster=cluster, small_sample=small_sample, **kwargs)

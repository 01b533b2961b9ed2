"""Probit regression (binomial GLM, probit link)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from detente.methods._glm import GLM

__all__ = ["Probit", "probit"]


class Probit(GLM):
    """Probit model; matches R ``glm(family = binomial("probit"))`` (expected information)."""

    model = "probit"
    family = "binomial"
    link = "probit"
    binary = True


def probit(
    formula: str, data: pd.DataFrame, *, cluster: str | None = None, small_sample: str = "HC1", **kwargs: Any
) -> Probit:
    """Fit a probit model; arguments as :func:`detente.methods.logit`."""
    return Probit().fit(formula, data, cluster=cluster, small_sample=small_sample, **kwargs)

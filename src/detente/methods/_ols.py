"""Ordinary least squares with model-based or cluster-robust standard errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from detente.methods._base import SE_MODEL
from detente.methods._design import Design
from detente.methods._glm import GLM

__all__ = ["OLS", "ols"]


class OLS(GLM):
    """Linear model; matches R ``lm`` (model-based, t with n-k df) and ``sandwich::vcovCL``
    (cluster-robust; p-values and intervals then use t with G-1 df, Stata's convention)."""

    model = "ols"
    family = "gaussian"
    link = "identity"
    distribution = "t"

    def _estimate(
        self, X: np.ndarray, y: np.ndarray, d: Design, **kwargs: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, int]:
        beta = np.linalg.lstsq(X, y, rcond=None)[0]
        eta = X @ beta
        return beta, eta, eta, True, 1

    def _scale(self, y: np.ndarray, mu: np.ndarray, n: int, k: int) -> float:
        rss = float(np.sum((y - mu) ** 2))
        self.extra_["sigma"] = float(np.sqrt(rss / (n - k)))
        tss = float(np.sum((y - y.mean()) ** 2))
        self.extra_["r_squared"] = 1 - rss / tss if tss > 0 else float("nan")
        self.extra_["extra_parameters"] = 1
        return rss / (n - k)

    def _cluster_df(self, g: int) -> None:
        self.df_resid_ = float(g - 1)

    def _model_se_label(self) -> str:
        return f"{SE_MODEL}: sigma^2 (X'X)^-1 with sigma^2 = RSS/(n-k) (as R lm)"


def ols(
    formula: str, data: pd.DataFrame, *, cluster: str | None = None, small_sample: str = "HC1", **kwargs: Any
) -> OLS:
    """Fit a linear model by least squares."""
    return OLS().fit(formula, data, cluster=cluster, small_sample=small_sample, **kwargs)

"""Cluster-robust variance: summing scores by cluster and the small-sample conventions.

Conventions (G clusters, n rows, k coefficients):

- ``"HC1"`` - meat scaled by G/(G-1) * (n-1)/(n-k); R ``sandwich::vcovCL(type="HC1")`` (its default
  for glm/lm) and Stata's ``vce(cluster)``.
- ``"HC0"`` - meat scaled by G/(G-1) only; R ``sandwich::vcovCL(type="HC0")`` (``cadjust=TRUE``).
- ``"none"`` - no factor; R ``vcovCL(type="HC0", cadjust=FALSE)`` and R ``survival::coxph`` with
  ``cluster()``.
"""

from __future__ import annotations

import numpy as np

from detente.exceptions import ModelError

__all__ = ["SMALL_SAMPLE", "cluster_sums", "small_sample_factor"]

SMALL_SAMPLE = ("HC1", "HC0", "none")


def cluster_sums(scores: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum the rows of ``scores`` (n x k) within each cluster; returns G x k."""
    # bincount per column is much faster than np.add.at for millions of rows.
    return np.column_stack(
        [np.bincount(codes, weights=scores[:, j], minlength=n_clusters) for j in range(scores.shape[1])]
    )


def small_sample_factor(convention: str, n: int, k: int, g: int) -> float:
    """The factor applied to the cluster-robust meat under ``convention``."""
    if convention not in SMALL_SAMPLE:
        raise ModelError(f"small-sample convention {convention!r} is not one of {', '.join(SMALL_SAMPLE)}")
    if g < 2:
        raise ModelError("cluster-robust standard errors need at least 2 clusters")
    if convention == "none":
        return 1.0
    f = g / (g - 1)
    if convention == "HC1":
        f *= (n - 1) / (n - k)
    return f


def sandwich(bread: np.ndarray, scores: np.ndarray, codes: np.ndarray, n_clusters: int, factor: float) -> np.ndarray:
    """bread @ (factor * sum_g s_g s_g') @ bread."""
    s = cluster_sums(scores, codes, n_clusters)
    meat = s.T @ s
    v = bread @ meat @ bread * factor
    return (v + v.T) / 2

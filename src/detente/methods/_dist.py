"""The reference distributions of tests and intervals, evaluated with ``scipy.special``.

``scipy.stats`` takes a second or more to import (it builds every distribution's documentation
on import), and every measure would pay that on its first call. The few functions needed here
are the special functions ``scipy.stats`` itself evaluates for these distributions, so the values
are the same to the last bit: ``t.sf(x, df) = stdtr(df, -x)``, ``chi2.sf(x, df) =
chdtrc(df, x)``, ``f.sf(x, m, n) = fdtrc(m, n, x)``, ``norm.sf(x) = ndtr(-x)``, and so on.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["chi2_sf", "f_sf", "fisher_greater", "norm_cdf", "norm_pdf", "norm_ppf", "norm_sf", "rankdata", "t_ppf",
           "t_sf"]


def norm_cdf(x: float | np.ndarray) -> float | np.ndarray:
    """Standard normal distribution function."""
    return special.ndtr(x)


def norm_sf(x: float | np.ndarray) -> float | np.ndarray:
    """Standard normal upper tail, 1 - Phi(x), accurate far in the tail."""
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(q: float | np.ndarray) -> float | np.ndarray:
    """Standard normal quantile."""
    return special.ndtri(q)


def norm_pdf(x: float | np.ndarray) -> float | np.ndarray:
    """Standard normal density."""
    x = np.asarray(x, dtype=float)
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def t_sf(x: float | np.ndarray, df: float) -> float | np.ndarray:
    """Upper tail of Student's t with ``df`` degrees of freedom."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def t_ppf(q: float | np.ndarray, df: float) -> float | np.ndarray:
    """Quantile of Student's t with ``df`` degrees of freedom."""
    return special.stdtrit(df, q)


def chi2_sf(x: float | np.ndarray, df: float) -> float | np.ndarray:
    """Upper tail of the chi-squared distribution."""
    return special.chdtrc(df, x)


def f_sf(x: float | np.ndarray, dfn: float, dfd: float) -> float | np.ndarray:
    """Upper tail of the F distribution."""
    return special.fdtrc(dfn, dfd, x)


def rankdata(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties given their average rank (``scipy.stats.rankdata``'s default)."""
    v = np.asarray(values)
    order = np.argsort(v, kind="mergesort")
    sorted_v = v[order]
    new = np.r_[True, sorted_v[1:] != sorted_v[:-1]]
    dense = np.cumsum(new)  # 1-based group of each sorted value
    ends = np.r_[np.flatnonzero(new)[1:], len(v)]  # one past the last position of each group
    starts = np.flatnonzero(new)
    avg = (starts + 1 + ends) / 2.0  # mean of the 1-based positions start+1 .. end
    ranks = np.empty(len(v), dtype=float)
    ranks[order] = avg[dense - 1]
    return ranks


def fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided Fisher exact p-value for the 2x2 table [[a, b], [c, d]]: the probability, given
    the margins, of an upper-left count of ``a`` or more (``scipy.stats.fisher_exact`` with
    ``alternative="greater"``)."""
    row1, col1, n = a + b, a + c, a + b + c + d
    hi = min(row1, col1)

    def log_pmf(k: np.ndarray) -> np.ndarray:
        return (special.gammaln(col1 + 1) - special.gammaln(k + 1) - special.gammaln(col1 - k + 1)
                + special.gammaln(n - col1 + 1) - special.gammaln(row1 - k + 1)
                - special.gammaln(n - col1 - row1 + k + 1)
                - (special.gammaln(n + 1) - special.gammaln(row1 + 1) - special.gammaln(n - row1 + 1)))

    k = np.arange(a, hi + 1, dtype=float)
    if len(k) == 0:
        return 0.0
    # the point probabilities of the observed table and of the tables more extreme, summed
    return float(min(1.0, np.exp(log_pmf(k)).sum()))

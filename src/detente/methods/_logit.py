"""Logistic regression (binomial GLM, logit link)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from detente.methods._glm import GLM

__all__ = ["Logit", "logit"]


class Logit(GLM):
    """Logit model; matches R ``glm(family = binomial)`` and ``sandwich::vcovCL``."""

    model = "logit"
    family = "binomial"
    link = "logit"
    binary = True


def logit(
    formula: str, data: pd.DataFrame, *, cluster: str | None = None, small_sample: str = "HC1", **kwargs: Any
) -> Logit:
    """Fit a logit model.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"``; the outcome must be 0/1.
    data : pandas.DataFrame
    cluster : str, optional
        Cluster column for cluster-robust standard errors.
    small_sample : {"HC1", "HC0", "none"}
        Cluster-robust convention; "HC1" is R ``sandwich::vcovCL``'s default and Stata's.

    Examples
    --------
    >>> import pandas as pd
    >>> from detente.methods import logit
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 0], "x": [1, 2, 2, 3, 4, 1, 2, 3]})
    >>> import warnings; warnings.simplefilter("ignore")  # few events: a StatisticalWarning
    >>> round(float(logit("y ~ x", df).params_["x"]), 4)
    1.3572
    """
    return Logit().fit(formula, data, cluster=cluster, small_sample=small_sample, **kwargs)

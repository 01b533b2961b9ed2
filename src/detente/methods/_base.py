"""The fitted-model base class: standard errors, tidy tables, summaries and JSON for every estimator.

An estimator only has to fill in ``params_``, ``vcov_`` and the bookkeeping attributes; everything
a user reads (``tidy()``, ``summary()``, ``to_dict()``) is derived here, so every model reports the
same columns and states the kind of standard error it used.
"""

from __future__ import annotations

import json
import math
import warnings as _warnings
from typing import Any

import numpy as np
import pandas as pd

from detente.exceptions import StatisticalWarning
from detente.methods._dist import norm_ppf, norm_sf, t_ppf, t_sf

__all__ = ["SE_CLUSTER_COX", "SE_MODEL", "FittedModel"]

#: How model-based standard errors are described.
SE_MODEL = "model-based"
#: The convention of R's survival::coxph(..., cluster(id)): dfbeta residuals summed by cluster.
SE_CLUSTER_COX = (
    "cluster-robust: sum over clusters of dfbeta residuals, D'D, no small-sample factor "
    "(as R survival::coxph with cluster())"
)


def se_cluster_glm(small_sample: str) -> str:
    """Describe the cluster-robust convention of the GLM family."""
    if small_sample == "HC1":
        return (
            "cluster-robust HC1: meat scaled by G/(G-1)*(n-1)/(n-k) "
            "(as R sandwich::vcovCL(type='HC1'), Stata's vce(cluster))"
        )
    return "cluster-robust HC0: no small-sample factor (as R sandwich::vcovCL(type='HC0', cadjust=FALSE))"


class FittedModel:
    """Base class of every fitted model.

    Attributes set by the estimators (fitted attributes end in ``_``):

    params_ : pandas.Series
        Coefficients, indexed by term.
    vcov_ : pandas.DataFrame
        The variance matrix used for the standard errors (model-based or cluster-robust).
    vcov_model_ : pandas.DataFrame
        The model-based variance matrix (equal to ``vcov_`` without ``cluster``).
    log_likelihood_ : float or None
        Log-likelihood (partial log-likelihood for Cox) at the estimate.
    n_ : int
        Rows used.
    events_ : int or None
        Number of events (survival and binary models).
    clusters_ : int or None
        Number of clusters when standard errors are cluster-robust.
    se_type_ : str
        Which standard error, with its small-sample convention.
    specification_ : dict
        The exact specification: model, formula, columns, options, rows used and dropped.
    warnings_ : list of str
        Every caution raised while fitting; also issued as ``StatisticalWarning``.
    """

    #: Short model name ("cox", "logit", ...).
    model: str = "model"
    #: Reference distribution of the Wald statistic: "z" (normal) or "t".
    distribution: str = "z"

    def __init__(self) -> None:
        # Set by fit(); typed placeholders keep construction cheap for small models.
        self.params_: pd.Series = None  # type: ignore[assignment]
        self.vcov_: pd.DataFrame = None  # type: ignore[assignment]
        self.vcov_model_: pd.DataFrame = None  # type: ignore[assignment]
        self.log_likelihood_: float | None = None
        self.n_: int = 0
        self.events_: int | None = None
        self.clusters_: int | None = None
        self.se_type_: str = SE_MODEL
        self.df_resid_: float | None = None
        self.converged_: bool = True
        self.iterations_: int | None = None
        self.specification_: dict[str, Any] = {}
        self.warnings_: list[str] = []
        self.extra_: dict[str, Any] = {}

    # -- helpers for estimators -------------------------------------------------------------
    def _warn(self, message: str) -> None:
        """Record a caution in the result and issue it as a StatisticalWarning."""
        if message not in self.warnings_:
            self.warnings_.append(message)
            _warnings.warn(message, StatisticalWarning, stacklevel=3)

    # -- derived quantities -----------------------------------------------------------------
    @property
    def standard_errors_(self) -> pd.Series:
        """Standard errors (square roots of the diagonal of ``vcov_``)."""
        return pd.Series(np.sqrt(np.diag(self.vcov_.to_numpy())), index=self.params_.index)

    @property
    def statistic_(self) -> pd.Series:
        """Wald statistics, estimate / standard error."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params_ / self.standard_errors_

    def _t_df(self) -> float | None:
        """Degrees of freedom of the t reference, or None for the normal."""
        if self.distribution == "t" and self.df_resid_ is not None and self.df_resid_ > 0:
            return float(self.df_resid_)
        return None

    def _upper_tail(self, x: np.ndarray) -> np.ndarray:
        df = self._t_df()
        return t_sf(x, df) if df is not None else norm_sf(x)

    def _quantile(self, q: float) -> float:
        df = self._t_df()
        return float(t_ppf(q, df) if df is not None else norm_ppf(q))

    @property
    def p_values_(self) -> pd.Series:
        """Two-sided p-values from the reference distribution (normal or t)."""
        return pd.Series(2 * self._upper_tail(np.abs(self.statistic_.to_numpy())), index=self.params_.index)

    def confidence_intervals_(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals at level 1 - alpha."""
        q = self._quantile(1 - alpha / 2)
        se = self.standard_errors_
        return pd.DataFrame(
            {"conf_low": self.params_ - q * se, "conf_high": self.params_ + q * se},
            index=self.params_.index,
        )

    def tidy(self, alpha: float = 0.05, exponentiate: bool = False) -> pd.DataFrame:
        """One row per term: estimate, standard error and its kind, statistic, p-value, CI.

        Parameters
        ----------
        alpha : float
            1 - confidence level of the intervals.
        exponentiate : bool
            Report exp(estimate) and exp of the interval bounds (hazard, odds or rate ratios);
            the standard error stays on the coefficient scale.
        """
        ci = self.confidence_intervals_(alpha)
        est = self.params_.to_numpy(dtype=float)
        low, high = ci["conf_low"].to_numpy(), ci["conf_high"].to_numpy()
        if exponentiate:
            est, low, high = np.exp(est), np.exp(low), np.exp(high)
        return pd.DataFrame(
            {
                "term": list(self.params_.index),
                "estimate": est,
                "std_error": self.standard_errors_.to_numpy(),
                "se_type": self.se_type_,
                "statistic": self.statistic_.to_numpy(),
                "p_value": self.p_values_.to_numpy(),
                "conf_low": low,
                "conf_high": high,
            }
        )

    def glance(self) -> dict[str, Any]:
        """Model-level figures: n, events, clusters, log-likelihood, AIC, convergence."""
        k = len(self.params_) + int(self.extra_.get("extra_parameters", 0))
        ll = self.log_likelihood_
        return {
            "model": self.model,
            "n": self.n_,
            "events": self.events_,
            "clusters": self.clusters_,
            "log_likelihood": ll,
            "aic": None if ll is None else -2 * ll + 2 * k,
            "converged": self.converged_,
            "iterations": self.iterations_,
            **{k2: v for k2, v in self.extra_.items() if k2 != "extra_parameters"},
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything a reader needs, as plain JSON-ready Python values."""
        terms = []
        for row in self.tidy().itertuples(index=False):
            terms.append(
                {
                    "term": row.term,
                    "estimate": _num(row.estimate),
                    "std_error": _num(row.std_error),
                    "se_type": row.se_type,
                    "statistic": _num(row.statistic),
                    "p_value": _num(row.p_value),
                    "conf_low": _num(row.conf_low),
                    "conf_high": _num(row.conf_high),
                }
            )
        return {
            **{k: _jsonable(v) for k, v in self.glance().items()},
            "se_type": self.se_type_,
            "terms": terms,
            "specification": _jsonable(self.specification_),
            "warnings": list(self.warnings_),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict()`` as a JSON string (NaN and infinity become null)."""
        return json.dumps(self.to_dict(), indent=indent)

    def summary(self, alpha: float = 0.05) -> str:
        """A plain-text summary: specification, fit statistics, the coefficient table, warnings."""
        lines = [f"{self.model}: {self.specification_.get('formula', '')}"]
        g = self.glance()
        facts = [f"n = {g['n']}"]
        if g["events"] is not None:
            facts.append(f"events = {g['events']}")
        if g["clusters"] is not None:
            facts.append(f"clusters = {g['clusters']}")
        if g["log_likelihood"] is not None:
            facts.append(f"log-likelihood = {g['log_likelihood']:.4f}")
        lines.append(", ".join(facts))
        lines.append(f"standard errors: {self.se_type_}")
        table = self.tidy(alpha).drop(columns="se_type").set_index("term")
        lines.append(table.to_string(float_format=lambda v: f"{v:.4g}"))
        for w in self.warnings_:
            lines.append(f"warning: {w}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return _num(v)
    if v is None or isinstance(v, str):
        return v
    return str(v)

"""Discrete-time hazard model: a logit on unit-period (e.g. spell-year) data with a smooth
function of time at risk and cluster-robust standard errors (Beck, Katz & Tucker 1998; Carter &
Signorino 2010).

Time enters as a cubic polynomial (t, t^2, t^3), a B-spline basis (R ``splines::bs`` with ``df``
degrees of freedom), a linear term or one dummy per period.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from detente.exceptions import ModelError
from detente.methods._design import split_formula
from detente.methods._logit import Logit

__all__ = ["DiscreteHazard", "discrete_hazard"]

TIME_TERMS = ("cubic", "spline", "linear", "dummies")


class DiscreteHazard(Logit):
    """Logit hazard on period data; the time terms are named in ``specification_['time_terms']``."""

    model = "discrete_hazard"


def discrete_hazard(
    formula: str,
    data: pd.DataFrame,
    *,
    time: str,
    time_terms: str = "cubic",
    df: int = 3,
    cluster: str | None = None,
    small_sample: str = "HC1",
) -> DiscreteHazard:
    """Fit a discrete-time hazard logit.

    Parameters
    ----------
    formula : str
        ``"event ~ x1 + x2"``: the outcome is 1 in the period the event happens, else 0; one row
        per unit and period at risk.
    data : pandas.DataFrame
    time : str
        Column with the time at risk (periods since the spell began: 1, 2, ...).
    time_terms : {"cubic", "spline", "linear", "dummies"}
    df : int
        Degrees of freedom of the spline basis.
    cluster : str, optional
        Cluster column (usually the unit or spell) for cluster-robust standard errors.
    small_sample : {"HC1", "HC0", "none"}
    """
    if time not in data.columns:
        raise ModelError(f"column {time!r} (time) is not in the data")
    lhs, rhs = split_formula(formula, rhs_only=False)
    # Time terms are added as formula terms so that the same transforms apply, and they are
    # reported under readable names. A name that is not an identifier ("time at risk") is quoted
    # in backticks so the formula parser reads it as one column.
    t = time if time.isidentifier() else f"`{time.replace('`', '')}`"
    if time_terms == "cubic":
        extra = f"{t} + I({t} ** 2) + I({t} ** 3)"
    elif time_terms == "linear":
        extra = t
    elif time_terms == "spline":
        extra = f"bs({t}, df={int(df)})"
    elif time_terms == "dummies":
        extra = f"C({t})"
    else:
        raise ModelError(f"time_terms {time_terms!r} is not one of {', '.join(TIME_TERMS)}")
    rhs_full = extra if rhs.strip() == "1" else f"{rhs} + {extra}"
    full = f"{lhs} ~ {rhs_full}"
    # The time column is passed as a required column: formulaic does not list the arguments of
    # stateful transforms (``bs(t, df=3)``) among a formula's variables, and a column missing from
    # the model frame ends in "name 't' is not defined".
    fit = DiscreteHazard().fit(full, data, cluster=cluster, small_sample=small_sample, extra=[time])
    spec: dict[str, Any] = dict(fit.specification_)
    spec.update({"model": "discrete_hazard", "formula": formula, "full_formula": full, "time": time,
                 "time_terms": time_terms, "spline_df": int(df) if time_terms == "spline" else None})
    fit.specification_ = spec
    return fit

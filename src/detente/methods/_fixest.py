"""Linear models with high-dimensional fixed effects (pyfixest) and event studies.

pyfixest checks some inputs with ``assert`` (which disappears under ``python -O``) and reports
others with library-internal messages, so every input is validated here first and refused with
a :class:`~detente.exceptions.ModelError` naming the column.

The event study has two fixed effects (unit and period) and plain dummies, so it absorbs them by
direct solve (:mod:`detente.methods._absorb`) with pyfixest's conventions: the same estimates,
standard errors, dropped singletons and term names (``_rel_time::k``), without importing pyfixest.

Standard errors are pyfixest's (= R ``fixest``): "iid", "hetero" (HC1) or cluster-robust CRV1
with the small-sample factor G/(G-1) * (n-1)/(n-k) and t(G-1) reference distribution.
"""

from __future__ import annotations

import re
import warnings as _warnings
from typing import Any

import numpy as np
import pandas as pd

from detente.exceptions import ModelError
from detente.methods._base import FittedModel
from detente.methods._design import _check_columns, _required
from detente.methods._dist import chi2_sf, f_sf

__all__ = ["EventStudy", "FixedEffectsOLS", "event_study", "feols"]

SE_CRV1 = "cluster-robust CRV1: G/(G-1)*(n-1)/(n-k), t(G-1) (as R fixest / pyfixest)"
SE_IID = "model-based (iid), t(n-k) (as R fixest)"
SE_HETERO = "heteroskedasticity-robust HC1 (as R fixest 'hetero')"


def _validate_fixest_formula(formula: str, data: pd.DataFrame, cluster: str | None) -> tuple[str, list[str]]:
    if "~" not in formula:
        raise ModelError(f"formula {formula!r} has no outcome: write it as 'y ~ x1 + x2 | fe1 + fe2'")
    lhs, rest = formula.split("~", 1)
    parts = rest.split("|")
    if len(parts) > 2:
        raise ModelError(f"formula {formula!r}: instrumental-variable parts are not supported here")
    rhs = parts[0].strip() or "1"
    fes = [f.strip() for f in parts[1].split("+")] if len(parts) == 2 else []
    # i(var, ref=...) is pyfixest syntax, not formulaic: take its variable name.
    plain = re.sub(r"\bi\(\s*([A-Za-z_][A-Za-z0-9_.]*)[^)]*\)", r"\1", rhs)
    needed = _required(plain) if plain.strip() not in {"1", "0"} else set()
    _check_columns(data, sorted(_required(lhs.strip())), "outcome in the formula")
    _check_columns(data, sorted(needed), "named in the formula")
    fe_cols = []
    for fe in fes:
        for col in re.split(r"\^", fe):
            if col:
                fe_cols.append(col.strip())
    _check_columns(data, fe_cols, "fixed effect")
    if cluster:
        _check_columns(data, [cluster], "cluster")
    y = lhs.strip()
    if y in data.columns and not pd.api.types.is_numeric_dtype(data[y]):
        raise ModelError(f"outcome column {y!r} is not numeric (dtype {data[y].dtype})")
    used = sorted(set(_required(lhs.strip())) | needed | set(fe_cols) | ({cluster} if cluster else set()))
    return y, used


class FixedEffectsOLS(FittedModel):
    """Result of :func:`feols`: a pyfixest ``Feols`` in the common result layout (``fit_``)."""

    model = "feols"
    distribution = "t"

    def _from_pyfixest(self, m: Any, formula: str, vcov_label: str, spec: dict[str, Any]) -> None:
        names = list(m._coefnames)
        idx = pd.Index(names)
        self.fit_ = m
        self.params_ = pd.Series(np.asarray(m._beta_hat, float), index=idx)
        self.vcov_ = pd.DataFrame(np.asarray(m._vcov, float), index=idx, columns=idx)
        self.vcov_model_ = self.vcov_
        self.n_ = int(m._N)
        self.df_resid_ = float(m._df_t)
        self.se_type_ = vcov_label
        self.clusters_ = int(np.atleast_1d(m._G)[0]) if getattr(m, "_is_clustered", False) else None
        u = np.asarray(m._u_hat, float)
        self.log_likelihood_ = float(-len(u) / 2 * (np.log(2 * np.pi * np.sum(u**2) / len(u)) + 1))
        self.extra_["r_squared"] = float(m._r2)
        self.extra_["r_squared_within"] = float(getattr(m, "_r2_within", np.nan) or np.nan)
        self.specification_ = spec


def _vcov(cluster: str | None, se: str | None) -> tuple[Any, str]:
    if cluster:
        return {"CRV1": cluster}, SE_CRV1
    if se in (None, "iid"):
        return "iid", SE_IID
    if se in ("hetero", "HC1"):
        return "hetero", SE_HETERO
    raise ModelError(f"se {se!r} is not one of iid, hetero (or give a cluster column)")


def _prepare(data: pd.DataFrame, used: list[str]) -> tuple[pd.DataFrame, int, dict[str, int]]:
    sub = data.loc[:, used]
    miss = sub.isna()
    keep = ~miss.any(axis=1)
    dropped = {c: int(n) for c, n in miss.sum().items() if n}
    if not keep.any():
        raise ModelError("no rows left after dropping rows with missing values in the model's columns")
    return data.loc[keep.to_numpy(), used].reset_index(drop=True), int((~keep).sum()), dropped


def feols(formula: str, data: pd.DataFrame, *, cluster: str | None = None, se: str | None = None) -> FixedEffectsOLS:
    """Linear model with fixed effects: ``"y ~ x1 + x2 | unit + year"`` (pyfixest syntax).

    Parameters
    ----------
    formula : str
        Outcome, regressors and, after ``|``, the fixed effects.
    cluster : str, optional
        Cluster column (CRV1 standard errors).
    se : {"iid", "hetero"}, optional
        Without ``cluster``: model-based or heteroskedasticity-robust.
    """
    import pyfixest as pf

    _y, used = _validate_fixest_formula(formula, data, cluster)
    frame, dropped, by = _prepare(data, used)
    vcov, label = _vcov(cluster, se)
    out = FixedEffectsOLS()
    if dropped:
        out._warn(f"{dropped} of {len(data)} rows dropped for missing values ({', '.join(f'{c}: {n}' for c, n in by.items())})")
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        try:
            m = pf.feols(formula, frame, vcov=vcov)
        except (AssertionError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"feols could not fit {formula!r}: {exc}") from exc
    for w in caught:
        out._warn(f"pyfixest: {w.message}")
    if getattr(m, "_collin_vars", None):
        out._warn(f"term(s) {', '.join(map(repr, m._collin_vars))} dropped as collinear with the fixed effects")
    spec = {"model": "feols", "formula": formula, "cluster": cluster, "se": label, "estimator": "pyfixest feols",
            "rows_in_data": len(data), "rows_used": int(m._N), "rows_dropped_missing": dropped,
            "dropped_by_column": by}
    out._from_pyfixest(m, formula, label, spec)
    if cluster and out.clusters_ is not None and out.clusters_ < 30:
        out._warn(f"only {out.clusters_} clusters: cluster-robust standard errors may be too small")
    return out


class EventStudy(FixedEffectsOLS):
    """Two-way fixed-effects event study; ``pretrend_`` holds the joint test that all leads are 0."""

    model = "event_study"

    def __init__(self) -> None:
        super().__init__()
        self.pretrend_: dict[str, Any] = {}


def event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated_at: str,
    window: tuple[int, int] = (-5, 5),
    covariates: str | None = None,
    cluster: str | None = None,
) -> EventStudy:
    """Event study / difference-in-differences with unit and time fixed effects.

    Relative time ``time - treated_at`` is binned at the window ends; never-treated units
    (``treated_at`` missing) serve as controls, and period -1 is the reference. Leads test the
    parallel-trends assumption (``pretrend_``: Wald test that every lead is zero).

    Parameters
    ----------
    outcome, unit, time : str
        Outcome, unit identifier and period columns.
    treated_at : str
        Column with the first treated period of each unit (missing for never-treated units).
    window : (int, int)
        First lead and last lag kept; periods outside are binned into the end points.
    covariates : str, optional
        Extra right-hand-side terms, e.g. ``"x1 + x2"``.
    cluster : str, optional
        Cluster column; defaults to ``unit``.
    """
    from detente.methods._absorb import fit_absorbed

    cols = [outcome, unit, time, treated_at]
    _check_columns(data, cols, "event-study column")
    lo, hi = int(window[0]), int(window[1])
    if not lo < -1 < hi + 1 or lo >= 0:
        raise ModelError(f"window {window!r} must start before -1 (the reference period) and end at or after 0")
    for c in (outcome, time, treated_at):
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise ModelError(f"column {c!r} must be numeric (dtype {data[c].dtype})")
    cl = cluster or unit
    if cluster:
        _check_columns(data, [cluster], "cluster")
    rel = (data[time] - data[treated_at]).clip(lower=lo, upper=hi)
    never = data[treated_at].isna()
    if never.all():
        raise ModelError(f"column {treated_at!r} is missing in every row: no unit is ever treated")
    # Never-treated units get the reference period so they only enter the fixed effects.
    rel_time = rel.where(~never, -1).to_numpy()
    periods = sorted(int(k) for k in pd.unique(rel_time[~pd.isna(rel_time)]) if int(k) != -1)
    names = [f"_rel_time::{k}" for k in periods]
    x = np.column_stack([(rel_time == k).astype(float) for k in periods]) if periods else np.empty((len(data), 0))
    if covariates:
        cov_x, cov_names = _covariates(covariates, data)
        x, names = np.column_stack([x, cov_x]), names + cov_names
    res = fit_absorbed(data[outcome].to_numpy(dtype=float), x, names, [data[unit].to_numpy(), data[time].to_numpy()],
                       data[cl].to_numpy(), family="gaussian", outcome=outcome)
    out = EventStudy()
    out.__dict__.update(res.__dict__)
    out.pretrend_ = {}
    if not never.any():
        out._warn("no never-treated units: identification rests on not-yet-treated units and timing")
    lead_names = [n for n in out.params_.index if _rel_of(n) is not None and _rel_of(n) < -1]
    if lead_names:
        b = out.params_[lead_names].to_numpy()
        V = out.vcov_.loc[lead_names, lead_names].to_numpy()
        stat = float(b @ np.linalg.solve(V, b))
        q = len(lead_names)
        f = stat / q
        p = float(f_sf(f, q, out.df_resid_)) if out.df_resid_ else float(chi2_sf(stat, q))
        out.pretrend_ = {"leads": lead_names, "wald": stat, "f": f, "df": q, "p_value": p}
        if p < 0.05:
            out._warn(f"pre-trends: the leads are jointly non-zero (p = {p:.3g}); parallel trends is doubtful")
    rhs = "i(_rel_time, ref=-1)" + (f" + {covariates}" if covariates else "")
    out.specification_ = {**out.specification_, "model": "event_study", "formula": f"{outcome} ~ {rhs} | {unit} + {time}",
                          "cluster": cl, "unit": unit, "time": time, "treated_at": treated_at, "window": [lo, hi],
                          "reference_period": -1,
                          "estimator": "two-way fixed effects (OLS, unit and period effects absorbed by direct solve) "
                                       "with binned relative-time dummies"}
    return out


def _covariates(expr: str, data: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The columns of ``expr`` ("x1 + x2", or any formula right-hand side) without an intercept."""
    from detente.methods._design import _simple_terms

    plain = _simple_terms(expr)
    if plain is not None:
        _check_columns(data, plain, "covariate")
        for c in plain:
            if not pd.api.types.is_numeric_dtype(data[c]):
                raise ModelError(f"covariate column {c!r} is not numeric (dtype {data[c].dtype})")
        return data[plain].to_numpy(dtype=float), plain
    from formulaic import model_matrix

    _check_columns(data, sorted(_required(expr)), "covariate")
    try:
        mm = model_matrix(f"{expr} - 1", data, na_action="ignore")
    except Exception as exc:  # formulaic raises several parser errors
        raise ModelError(f"cannot build the covariates {expr!r}: {exc}") from exc
    return mm.to_numpy(dtype=float), [str(c) for c in mm.columns]


def _rel_of(name: str) -> int | None:
    m = re.search(r"::(-?\d+)", name) or re.search(r"\[T\.(-?\d+)\]", name)
    return int(m.group(1)) if m else None

"""Synthetic control (Abadie, Diamond & Hainmueller 2010) with placebo-in-space inference.

The synthetic unit is the convex combination of donors (weights >= 0, summing to 1) that best
reproduces the treated unit's pre-period outcome path; the weights solve a non-negative least
squares problem with the adding-up constraint imposed by a heavily weighted extra row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["SyntheticControl", "synthetic_control"]

#: Weight of the adding-up row: large enough that the weights sum to 1 within 1e-6.
_ADDING_UP = 1e4


def _weights(y: np.ndarray, Y: np.ndarray) -> np.ndarray:
    from scipy.optimize import nnls

    scale = max(float(np.abs(Y).max()), float(np.abs(y).max()), 1.0)
    A = np.vstack([Y / scale, np.full(Y.shape[1], _ADDING_UP)])
    b = np.concatenate([y / scale, [_ADDING_UP]])
    w, _ = nnls(A, b, maxiter=50 * Y.shape[1])
    total = w.sum()
    return w / total if total > 0 else np.full(Y.shape[1], 1.0 / Y.shape[1])


def _rmspe(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


@dataclass
class SyntheticControl:
    """Fitted synthetic control.

    Attributes
    ----------
    path : pandas.DataFrame
        ``year, actual, synthetic, gap`` for every year of the window.
    weights : pandas.Series
        Donor weights (index: donor id), the non-zero ones sorted.
    pre_rmspe, post_rmspe : float
        Root mean squared prediction error before and after treatment.
    placebo : pandas.DataFrame
        ``unit, pre_rmspe, post_rmspe, ratio`` for the treated unit and every donor in turn.
    p_value : float
        Share of units (treated included) whose post/pre RMSPE ratio is at least the treated's.
    effect : float
        Mean post-period gap (actual - synthetic).
    """

    path: pd.DataFrame
    weights: pd.Series
    pre_rmspe: float
    post_rmspe: float
    placebo: pd.DataFrame
    p_value: float
    effect: float
    notes: list[str] = field(default_factory=list)


def synthetic_control(wide: pd.DataFrame, treated: object, first_post: int) -> SyntheticControl:
    """Fit the synthetic control of ``treated`` and run placebos in space.

    Parameters
    ----------
    wide : pandas.DataFrame
        Outcome by year (index) and unit (columns), no missing values; the treated unit and
        the donors.
    treated : hashable
        The treated unit's column.
    first_post : int
        The first treated year; earlier rows are the pre-period.
    """
    years = wide.index.to_numpy()
    pre = years < first_post
    donors = [c for c in wide.columns if c != treated]
    Y = wide[donors].to_numpy(dtype=float)
    y = wide[treated].to_numpy(dtype=float)

    def fit(target: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = _weights(target[pre], pool[pre])
        return w, pool @ w

    w, synth = fit(y, Y)
    pre_r, post_r = _rmspe(y[pre], synth[pre]), _rmspe(y[~pre], synth[~pre])
    rows = [{"unit": treated, "pre_rmspe": pre_r, "post_rmspe": post_r}]
    for j, d in enumerate(donors):
        pool = np.delete(Y, j, axis=1)
        if pool.shape[1] == 0:
            break
        _, s = fit(Y[:, j], pool)
        rows.append({"unit": d, "pre_rmspe": _rmspe(Y[pre, j], s[pre]), "post_rmspe": _rmspe(Y[~pre, j], s[~pre])})
    plac = pd.DataFrame(rows)
    # An exact fit before and after (e.g. a path of zeros matched by zeros) is 0/0 and carries no
    # information; an exact pre-period fit with a post-period gap is as extreme as a ratio gets.
    plac["ratio"] = plac["post_rmspe"] / plac["pre_rmspe"].clip(lower=1e-9)
    plac.loc[(plac["pre_rmspe"] <= 1e-9) & (plac["post_rmspe"] <= 1e-9), "ratio"] = np.nan
    ratio = plac["ratio"].iloc[0]
    valid = plac["ratio"].notna() & np.isfinite(plac["ratio"])
    notes = []
    if not np.isfinite(ratio) or pd.isna(ratio):
        p = float("nan")
        notes.append("the treated unit is matched exactly before and after (e.g. no battle deaths at all): "
                     "no placebo p-value")
    else:
        p = float((plac.loc[valid, "ratio"] >= ratio).sum() / valid.sum())
    path = pd.DataFrame({"year": years, "actual": y, "synthetic": synth, "gap": y - synth})
    weights = pd.Series(w, index=donors)
    weights = weights[weights > 1e-4].sort_values(ascending=False)
    return SyntheticControl(path=path, weights=weights, pre_rmspe=pre_r, post_rmspe=post_r, placebo=plac,
                            p_value=p, effect=float(np.mean(y[~pre] - synth[~pre])), notes=notes)

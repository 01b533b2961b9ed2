"""Kaplan-Meier survival curves (with delayed entry) and the log-rank test.

Written on the risk-set definition {entry < t <= duration}, so left-truncated (delayed-entry)
data are handled the same way as in the Cox model. Greenwood standard errors and log-scale
confidence intervals follow R ``survival::survfit`` (``conf.type = "log"``); the log-rank test
follows ``survival::survdiff`` (hypergeometric variance).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from detente.exceptions import ModelError
from detente.methods._base import _jsonable, _num
from detente.methods._design import design
from detente.methods._dist import chi2_sf, norm_ppf

__all__ = ["KaplanMeier", "km", "logrank", "survival_table"]

SE_GREENWOOD = "Greenwood (as R survfit); intervals on the log scale"


def survival_table(entry: np.ndarray, duration: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier table at each distinct event or censoring time."""
    times = np.unique(duration)
    ss, se = np.sort(duration), np.sort(entry)
    n_risk = (len(duration) - np.searchsorted(ss, times, "left")) - (len(entry) - np.searchsorted(se, times, "left"))
    idx = np.searchsorted(times, duration)
    n_event = np.bincount(idx, weights=event, minlength=len(times))
    n_censor = np.bincount(idx, weights=1 - event, minlength=len(times))
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n_risk > 0, 1 - n_event / n_risk, 1.0))
        gw = np.cumsum(np.where(n_risk > n_event, n_event / (n_risk * (n_risk - n_event)), 0.0))
    return pd.DataFrame(
        {"time": times, "n_risk": n_risk, "n_event": n_event, "n_censor": n_censor, "survival": surv,
         "std_err_log": np.sqrt(gw)}
    )


def logrank(
    entry: np.ndarray, duration: np.ndarray, event: np.ndarray, groups: np.ndarray
) -> dict[str, Any]:
    """Log-rank test of equal survival across groups (R ``survdiff``, rho = 0)."""
    labels, g = np.unique(groups, return_inverse=True)
    G = len(labels)
    if G < 2:
        raise ModelError("the log-rank test needs at least two groups")
    times = np.unique(duration[event == 1])
    obs = np.zeros(G)
    exp_ = np.zeros(G)
    var = np.zeros((G, G))
    n_risk_g = np.zeros((len(times), G))
    d_g = np.zeros((len(times), G))
    for j in range(G):
        sel = g == j
        ds_, es_ = np.sort(duration[sel]), np.sort(entry[sel])
        n_risk_g[:, j] = (sel.sum() - np.searchsorted(ds_, times, "left")) - (sel.sum() - np.searchsorted(es_, times, "left"))
        ev = sel & (event == 1)
        d_g[:, j] = np.bincount(np.searchsorted(times, duration[ev]), minlength=len(times))
    n = n_risk_g.sum(axis=1)
    d = d_g.sum(axis=1)
    obs = d_g.sum(axis=0)
    frac = n_risk_g / n[:, None]
    exp_ = (d[:, None] * frac).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    var = np.einsum("t,tg,th->gh", w, frac, -frac) + np.diag((w[:, None] * frac).sum(axis=0))
    diff = obs - exp_
    stat = float(diff[:-1] @ np.linalg.solve(var[:-1, :-1], diff[:-1]))
    return {
        "statistic": stat,
        "df": G - 1,
        "p_value": float(chi2_sf(stat, G - 1)),
        "groups": [str(x) for x in labels],
        "observed": obs.tolist(),
        "expected": exp_.tolist(),
    }


def _group_labels(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """'col=value' labels; whole-number floats print without a trailing '.0'."""
    parts = []
    for c in cols:
        v = frame[c]
        if pd.api.types.is_float_dtype(v) and (v == np.floor(v)).all():
            v = v.astype(np.int64)
        parts.append(c + "=" + v.astype(str))
    out = parts[0]
    for p_ in parts[1:]:
        out = out + ", " + p_
    return out.to_numpy()


class KaplanMeier:
    """Kaplan-Meier estimates for one or more groups, with the log-rank test between them.

    Attributes
    ----------
    table_ : pandas.DataFrame
        group, time, n_risk, n_event, n_censor, survival, std_error, conf_low, conf_high.
    medians_ : dict
        Median survival time per group (None when the curve stays above 0.5).
    logrank_ : dict or None
        Log-rank test (statistic, df, p_value, observed, expected) when there are groups.
    """

    model = "km"

    def __init__(self) -> None:
        self.table_ = pd.DataFrame()
        self.medians_: dict[str, float | None] = {}
        self.logrank_: dict[str, Any] | None = None
        self.n_: int = 0
        self.events_: int = 0
        self.groups_: dict[str, dict[str, Any]] = {}
        self.specification_: dict[str, Any] = {}
        self.warnings_: list[str] = []

    def fit(
        self,
        data: pd.DataFrame,
        formula: str = "1",
        *,
        duration: str,
        event: str,
        entry: str | None = None,
        alpha: float = 0.05,
    ) -> KaplanMeier:
        """Estimate the curves.

        Parameters
        ----------
        formula : str
            ``"1"`` (one curve) or the grouping column(s), e.g. ``"pk_dum"``; groups are the
            distinct combinations of the named columns.
        """
        from detente.methods._design import split_formula

        _, rhs = split_formula(formula, rhs_only=True)
        group_cols = [c.strip() for c in rhs.replace("*", "+").split("+") if c.strip() not in {"", "1"}]
        d = design(data, "1", rhs_only=True, entry=entry, duration=duration, event=event, extra=group_cols)
        assert d.duration is not None and d.event is not None and d.entry is not None and d.frame is not None
        self.warnings_.extend(d.notes)
        labels = _group_labels(d.frame, group_cols) if group_cols else np.full(d.n, "all")
        z = norm_ppf(1 - alpha / 2)
        parts = []
        for lab in sorted(set(labels)):
            sel = labels == lab
            t = survival_table(d.entry[sel], d.duration[sel], d.event[sel])
            t.insert(0, "group", lab)
            t["std_error"] = t.survival * t.std_err_log
            with np.errstate(divide="ignore"):
                logs = np.log(t.survival)
            t["conf_low"] = np.where(t.survival > 0, np.exp(logs - z * t.std_err_log), np.nan)
            t["conf_high"] = np.where(t.survival > 0, np.minimum(np.exp(logs + z * t.std_err_log), 1.0), np.nan)
            parts.append(t.drop(columns="std_err_log"))
            below = t.survival.to_numpy() <= 0.5
            med = None
            if below.any():
                # R's median: where the curve first reaches 0.5, the midpoint if it sits exactly at 0.5.
                i = int(np.argmax(below))
                med = float(t.time.iloc[i])
                if np.isclose(t.survival.iloc[i], 0.5) and i + 1 < len(t):
                    med = float((t.time.iloc[i] + t.time.iloc[i + 1]) / 2)
            self.medians_[lab] = med
            self.groups_[lab] = {"n": int(sel.sum()), "events": int(d.event[sel].sum()), "median": med}
            if d.event[sel].sum() == 0:
                self.warnings_.append(f"group {lab!r} has no events: its curve stays at 1")
        self.table_ = pd.concat(parts, ignore_index=True)
        self.n_, self.events_ = d.n, int(d.event.sum())
        if self.events_ == 0:
            raise ModelError(f"event column {event!r} has no events among the {d.n} rows used")
        if group_cols and len(set(labels)) > 1:
            self.logrank_ = logrank(d.entry, d.duration, d.event, labels)
        self.specification_ = {
            "model": "km", "formula": formula, "groups": group_cols, "entry": entry, "duration": duration,
            "event": event, "se": SE_GREENWOOD, "confidence_level": 1 - alpha, **d.spec(),
        }
        return self

    def tidy(self) -> pd.DataFrame:
        """The survival table in the common layout (term = group, estimate = survival)."""
        t = self.table_
        return pd.DataFrame(
            {"term": t.group, "time": t.time, "n_risk": t.n_risk, "n_event": t.n_event,
             "estimate": t.survival, "std_error": t.std_error, "se_type": SE_GREENWOOD,
             "statistic": np.nan, "p_value": np.nan, "conf_low": t.conf_low, "conf_high": t.conf_high}
        )

    def survival_at(self, time: float) -> dict[str, float]:
        """S(time) per group (step function, right-continuous)."""
        out = {}
        for lab, t in self.table_.groupby("group"):
            i = np.searchsorted(t.time.to_numpy(), time, side="right")
            out[str(lab)] = 1.0 if i == 0 else float(t.survival.iloc[i - 1])
        return out

    def to_dict(self) -> dict[str, Any]:
        return _jsonable({
            "model": "km", "n": self.n_, "events": self.events_, "clusters": None, "log_likelihood": None,
            "se_type": SE_GREENWOOD, "groups": self.groups_, "logrank": self.logrank_,
            "specification": self.specification_, "warnings": self.warnings_,
        })

    def summary(self) -> str:
        lines = [f"Kaplan-Meier: {self.specification_.get('formula')}  (n = {self.n_}, events = {self.events_})"]
        for lab, g in self.groups_.items():
            med = "not reached" if g["median"] is None else f"{g['median']:.4g}"
            lines.append(f"  {lab}: n = {g['n']}, events = {g['events']}, median = {med}")
        if self.logrank_:
            lr = self.logrank_
            lines.append(f"log-rank: chi2 = {lr['statistic']:.4f}, df = {lr['df']}, p = {_num(lr['p_value']):.4g}")
        lines.extend(f"warning: {w}" for w in self.warnings_)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def km(
    formula: str,
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    entry: str | None = None,
    alpha: float = 0.05,
) -> KaplanMeier:
    """Kaplan-Meier curves by group, with the log-rank test (see :class:`KaplanMeier`)."""
    return KaplanMeier().fit(data, formula, duration=duration, event=event, entry=entry, alpha=alpha)

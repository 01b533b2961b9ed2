"""Restricted mean survival time: the area under the Kaplan-Meier curve up to a horizon tau.

Per group, with the standard error R ``survival`` prints for ``print(survfit(...), rmean = tau)``;
with two groups, also the difference (second minus first) with the SE of independent groups.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from detente.exceptions import ModelError
from detente.methods._base import _jsonable
from detente.methods._design import design
from detente.methods._dist import norm_ppf, norm_sf
from detente.methods._kaplan_meier import _group_labels, survival_table

__all__ = ["RMST", "rmst"]

SE_RMST = "asymptotic, from the Kaplan-Meier Greenwood terms (as R print.survfit rmean)"


def _rmst_one(entry: np.ndarray, duration: np.ndarray, event: np.ndarray, tau: float) -> tuple[float, float]:
    t = survival_table(entry, duration, event)
    t = t[t.time <= tau]
    ev = t[t.n_event > 0]
    # Step function S: knots at event times up to tau.
    knots = np.concatenate([[0.0], ev.time.to_numpy(), [tau]])
    s = np.concatenate([[1.0], ev.survival.to_numpy()])
    widths = np.diff(knots)
    areas = s * widths
    mean = float(areas.sum())
    # A_j: area from the j-th event time to tau.
    tail = np.cumsum(areas[::-1])[::-1][1:]
    n, d = ev.n_risk.to_numpy(float), ev.n_event.to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > d, tail**2 * d / (n * (n - d)), 0.0)
    return mean, float(np.sqrt(terms.sum()))


class RMST:
    """Restricted mean survival time per group (and the difference of two groups)."""

    model = "rmst"

    def __init__(self) -> None:
        self.table_ = pd.DataFrame()
        self.tau_: float = float("nan")
        self.n_ = 0
        self.events_ = 0
        self.specification_: dict[str, Any] = {}
        self.warnings_: list[str] = []

    def fit(self, data: pd.DataFrame, formula: str = "1", *, duration: str, event: str, tau: float | None = None,
            entry: str | None = None, alpha: float = 0.05) -> RMST:
        from detente.methods._design import split_formula

        _, rhs = split_formula(formula, rhs_only=True)
        cols = [c.strip() for c in rhs.split("+") if c.strip() not in {"", "1"}]
        d = design(data, "1", rhs_only=True, entry=entry, duration=duration, event=event, extra=cols)
        assert d.duration is not None and d.event is not None and d.entry is not None and d.frame is not None
        self.warnings_.extend(d.notes)
        labels = _group_labels(d.frame, cols) if cols else np.full(d.n, "all")
        groups = sorted(set(labels))
        if tau is None:
            # The largest horizon every group reaches, as recommended for comparisons.
            tau = float(min(d.duration[labels == g].max() for g in groups))
            self.warnings_.append(f"tau not given: using {tau:g}, the shortest follow-up among the groups")
        if tau <= 0:
            raise ModelError("tau must be positive")
        z = norm_ppf(1 - alpha / 2)
        rows = []
        for g in groups:
            sel = labels == g
            if d.duration[sel].max() < tau:
                self.warnings_.append(f"group {g!r} is followed only to {d.duration[sel].max():g} < tau")
            m, se = _rmst_one(d.entry[sel], d.duration[sel], d.event[sel], tau)
            rows.append({"term": g, "estimate": m, "std_error": se, "se_type": SE_RMST, "statistic": np.nan,
                         "p_value": np.nan, "conf_low": m - z * se, "conf_high": m + z * se})
        if len(rows) == 2:
            a, b = rows
            diff = b["estimate"] - a["estimate"]
            se = float(np.hypot(a["std_error"], b["std_error"]))
            zstat = diff / se if se > 0 else np.nan
            rows.append({"term": f"{b['term']} - {a['term']}", "estimate": diff, "std_error": se, "se_type": SE_RMST,
                         "statistic": zstat, "p_value": float(2 * norm_sf(abs(zstat))),
                         "conf_low": diff - z * se, "conf_high": diff + z * se})
        self.table_ = pd.DataFrame(rows)
        self.tau_, self.n_, self.events_ = float(tau), d.n, int(d.event.sum())
        self.specification_ = {"model": "rmst", "formula": formula, "groups": cols, "tau": float(tau),
                               "entry": entry, "duration": duration, "event": event, "se": SE_RMST, **d.spec()}
        return self

    def tidy(self) -> pd.DataFrame:
        return self.table_.copy()

    def to_dict(self) -> dict[str, Any]:
        return _jsonable({"model": "rmst", "n": self.n_, "events": self.events_, "tau": self.tau_,
                          "terms": self.table_.to_dict(orient="records"), "specification": self.specification_,
                          "warnings": self.warnings_})

    def summary(self) -> str:
        lines = [f"restricted mean survival time to tau = {self.tau_:g} (n = {self.n_}, events = {self.events_})"]
        lines.append(self.table_.drop(columns="se_type").set_index("term").to_string(float_format=lambda v: f"{v:.4g}"))
        lines.extend(f"warning: {w}" for w in self.warnings_)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def rmst(formula: str, data: pd.DataFrame, *, duration: str, event: str, tau: float | None = None,
         entry: str | None = None, alpha: float = 0.05) -> RMST:
    """Restricted mean survival time up to ``tau`` per group (``formula`` names the grouping)."""
    return RMST().fit(data, formula, duration=duration, event=event, tau=tau, entry=entry, alpha=alpha)

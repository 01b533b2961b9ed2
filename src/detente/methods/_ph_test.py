"""Test of proportional hazards from Schoenfeld residuals, as R ``survival::cox.zph``.

For each coefficient, the score test of adding x * g(t) to the fitted model (at gamma = 0), where
g is the transformed time centred on its mean over events; "km" (the default) uses 1 - KM(t-),
the left-continuous Kaplan-Meier estimate over all rows. The global test adds every x * g(t).
This is the survival >= 3 test (``terms = FALSE``), not the older regression of scaled residuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from detente.exceptions import ModelError
from detente.methods._cox import CoxPH
from detente.methods._dist import chi2_sf, rankdata

__all__ = ["PHTest", "cox_zph"]


def _km_left(entry: np.ndarray, stop: np.ndarray, event: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Kaplan-Meier S(t-) for counting-process data, evaluated at ``at``."""
    times = np.unique(stop[event == 1])
    d = np.bincount(np.searchsorted(times, stop[event == 1]), minlength=len(times))
    n_risk = (np.sum(stop[None, :] >= times[:, None], axis=1) - np.sum(entry[None, :] >= times[:, None], axis=1)) if len(times) * len(stop) < 5e7 else None
    if n_risk is None:  # large data: sorted counts instead of the broadcast
        ss, se = np.sort(stop), np.sort(entry)
        n_risk = (len(stop) - np.searchsorted(ss, times, "left")) - (len(entry) - np.searchsorted(se, times, "left"))
    surv = np.cumprod(1 - d / n_risk)
    idx = np.searchsorted(times, at, side="left")  # event times strictly before each value
    return np.concatenate([[1.0], surv])[idx]


@dataclass
class PHTest:
    """Result of :func:`cox_zph`: one chi-square test per coefficient and a global test."""

    table: pd.DataFrame
    transform: str
    warnings_: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """Columns term, statistic (chi-square), df, p_value; the last row is GLOBAL."""
        return self.table.copy()

    def summary(self) -> str:
        lines = [f"proportional-hazards test (score test of x * g(t), g = {self.transform})"]
        lines.append(self.table.set_index("term").to_string(float_format=lambda v: f"{v:.4g}"))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"transform": self.transform, "tests": self.table.to_dict(orient="records")}

    def __repr__(self) -> str:
        return self.summary()


def cox_zph(fit: CoxPH, transform: str = "km") -> PHTest:
    """Test the proportional-hazards assumption of a fitted Cox model.

    Parameters
    ----------
    fit : CoxPH
        A fitted Cox model.
    transform : {"km", "identity", "log", "rank"}
        The function of time the effect is allowed to vary with.

    Returns
    -------
    PHTest
        ``tidy()`` gives chi-square, df and p-value per coefficient and GLOBAL; a small p-value
        says the hazard ratio changes over time.
    """
    if not isinstance(fit, CoxPH) or not hasattr(fit, "_pieces_final"):
        raise ModelError("cox_zph needs a fitted Cox model")
    stop, entry, event = fit._duration, fit._entry, fit._event_arr
    if transform == "km":
        g_all = 1 - _km_left(entry, stop, event, stop)
    elif transform == "identity":
        g_all = stop.copy()
    elif transform == "log":
        g_all = np.log(stop)
    elif transform == "rank":
        g_all = rankdata(stop)
    else:
        raise ModelError(f"transform {transform!r} is not one of km, identity, log, rank")
    g_all = g_all - g_all[event == 1].mean()
    p = len(fit.params_)
    u = np.zeros(p)
    i11 = np.zeros((p, p))
    i12 = np.zeros((p, p))
    i22 = np.zeros((p, p))
    for s, pc in zip(fit._strata, fit._pieces_final, strict=True):
        g_rows = g_all[s.rows]
        gk = np.zeros(len(s.times))
        gk[s.death_k] = g_rows[s.deaths]
        u += (pc.schoenfeld() * g_rows[s.deaths][:, None]).sum(axis=0)
        i11 += pc.info()
        i12 += pc.info(gk)
        i22 += pc.info(gk**2)
    imat = np.block([[i11, i12], [i12.T, i22]])
    rows = []
    for j, term in enumerate(fit.params_.index):
        kk = [*range(p), p + j]
        uu = np.concatenate([np.zeros(p), [u[j]]])
        stat = float(np.linalg.solve(imat[np.ix_(kk, kk)], uu) @ uu)
        rows.append((term, stat, 1, float(chi2_sf(stat, 1))))
    uu = np.concatenate([np.zeros(p), u])
    stat = float(np.linalg.solve(imat, uu) @ uu)
    rows.append(("GLOBAL", stat, p, float(chi2_sf(stat, p))))
    table = pd.DataFrame(rows, columns=["term", "statistic", "df", "p_value"])
    out = PHTest(table=table, transform=transform)
    bad = table[(table.term != "GLOBAL") & (table.p_value < 0.05)]
    for term in bad.term:
        out.warnings_.append(f"proportional hazards rejected for {term!r} at the 5% level: its hazard ratio varies over time")
    return out

"""Cox proportional-hazards model for counting-process data (start, stop], with Efron or Breslow
ties, strata, and cluster-robust standard errors computed as R ``survival::coxph`` does.

The partial likelihood is written out here instead of delegated to lifelines for one reason:
lifelines' robust variance for start-stop data (``CoxTimeVaryingFitter`` has none;
``CoxPHFitter(cluster_col=...)`` ignores delayed entry) does not reproduce R's. R's cluster-robust
variance is the sum over clusters of dfbeta residuals (score residuals times the model-based
variance), D'D, with no small-sample factor; that is what :class:`CoxPH` computes.

Risk-set sums use reverse cumulative sums over rows sorted by stop and by start, so one Newton
step costs O(n p^2) and no n x p x p array is formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detente.exceptions import ConvergenceError, ModelError
from detente.methods._base import SE_CLUSTER_COX, SE_MODEL, FittedModel
from detente.methods._design import design
from detente.methods._dist import chi2_sf
from detente.methods._glm import check_aliased
from detente.methods._sandwich import cluster_sums

__all__ = ["CoxPH", "cox"]


def _revcum(a: np.ndarray) -> np.ndarray:
    """Reverse cumulative sum with a trailing zero: out[j] = sum(a[j:])."""
    out = np.zeros((a.shape[0] + 1, *a.shape[1:]))
    out[:-1] = np.cumsum(a[::-1], axis=0)[::-1]
    return out


@dataclass
class _Stratum:
    """Sorting and event bookkeeping for one stratum; it does not depend on the coefficients."""

    rows: np.ndarray  # indices into the full data
    start: np.ndarray
    stop: np.ndarray
    event: np.ndarray
    times: np.ndarray  # unique event times, ascending
    ord_stop: np.ndarray
    ord_start: np.ndarray
    at_stop: np.ndarray  # first position (in stop order) with stop >= t_k
    at_start: np.ndarray  # first position (in start order) with start >= t_k
    deaths: np.ndarray  # local indices of event rows
    death_k: np.ndarray  # event-time index of each event row
    d_k: np.ndarray  # deaths per event time
    kk: np.ndarray  # event-time index per Efron term
    frac: np.ndarray  # l / d_k per Efron term (0 for Breslow)
    pos_stop: np.ndarray  # number of event times <= stop_i
    pos_start: np.ndarray  # number of event times <= start_i

    @classmethod
    def build(cls, rows: np.ndarray, start: np.ndarray, stop: np.ndarray, event: np.ndarray, ties: str) -> _Stratum:
        deaths = np.flatnonzero(event == 1)
        times = np.unique(stop[deaths])
        ord_stop = np.argsort(stop, kind="stable")
        ord_start = np.argsort(start, kind="stable")
        death_k = np.searchsorted(times, stop[deaths])
        d_k = np.bincount(death_k, minlength=len(times))
        kk = np.repeat(np.arange(len(times)), d_k)
        first = np.concatenate([[0], np.cumsum(d_k)[:-1]])
        frac = (np.arange(len(kk)) - first[kk]) / d_k[kk] if ties == "efron" else np.zeros(len(kk))
        return cls(
            rows=rows,
            start=start,
            stop=stop,
            event=event,
            times=times,
            ord_stop=ord_stop,
            ord_start=ord_start,
            at_stop=np.searchsorted(stop[ord_stop], times, side="left"),
            at_start=np.searchsorted(start[ord_start], times, side="left"),
            deaths=deaths,
            death_k=death_k,
            d_k=d_k,
            kk=kk,
            frac=frac,
            pos_stop=np.searchsorted(times, stop, side="right"),
            pos_start=np.searchsorted(times, start, side="right"),
        )

    def risk_sums(self, a: np.ndarray) -> np.ndarray:
        """sum of a_i over the risk set {start_i < t_k <= stop_i} at each event time."""
        return _revcum(a[self.ord_stop])[self.at_stop] - _revcum(a[self.ord_start])[self.at_start]

    def over_interval(self, per_time: np.ndarray) -> np.ndarray:
        """For each row, the sum of ``per_time`` over event times in (start_i, stop_i]."""
        cum = np.zeros((len(self.times) + 1, *per_time.shape[1:]))
        cum[1:] = np.cumsum(per_time, axis=0)
        return cum[self.pos_stop] - cum[self.pos_start]


class _Pieces:
    """Partial log-likelihood, score and information at one beta, with what residuals need."""

    def __init__(self, s: _Stratum, X: np.ndarray, eta: np.ndarray) -> None:
        r = np.exp(eta)
        K = len(s.times)
        self.s, self.X, self.r = s, X, r
        S0 = s.risk_sums(r)
        S1 = s.risk_sums(r[:, None] * X)
        rd = r[s.deaths]
        rD = np.bincount(s.death_k, weights=rd, minlength=K)
        xrD = np.column_stack(
            [np.bincount(s.death_k, weights=rd * X[s.deaths, j], minlength=K) for j in range(X.shape[1])]
        ) if X.shape[1] else np.zeros((K, 0))
        den = S0[s.kk] - s.frac * rD[s.kk]
        if np.any(den <= 0):
            raise ModelError("an event time has an empty risk set; check entry and duration columns")
        a = (S1[s.kk] - s.frac[:, None] * xrD[s.kk]) / den[:, None]
        h = 1.0 / den
        self.den, self.a, self.h = den, a, h
        self.loglik = float(eta[s.deaths].sum() - np.log(den).sum())
        self.score = X[s.deaths].sum(axis=0) - a.sum(axis=0)
        self.A = np.bincount(s.kk, weights=h, minlength=K)
        self.Ap = np.bincount(s.kk, weights=s.frac * h, minlength=K)

    def info(self, g: np.ndarray | None = None) -> np.ndarray:
        """Information sum_k g_k V_k (g = 1 gives the usual information)."""
        s, X = self.s, self.X
        gk = np.ones(len(s.times)) if g is None else g
        c = s.over_interval(gk * self.A)
        c[s.deaths] -= (gk * self.Ap)[s.death_k]
        gl = gk[s.kk]
        return (X * (self.r * c)[:, None]).T @ X - (self.a * gl[:, None]).T @ self.a

    def schoenfeld(self) -> np.ndarray:
        """x_i minus the (Efron-averaged) risk-set mean, one row per event row."""
        s = self.s
        K = len(s.times)
        C = np.column_stack(
            [np.bincount(s.kk, weights=self.a[:, j], minlength=K) for j in range(self.a.shape[1])]
        ) / s.d_k[:, None]
        return self.X[s.deaths] - C[s.death_k]

    def score_residuals(self) -> np.ndarray:
        s, X, r = self.s, self.X, self.r
        K = len(s.times)
        ha = self.a * self.h[:, None]
        B = np.column_stack([np.bincount(s.kk, weights=ha[:, j], minlength=K) for j in range(X.shape[1])])
        Bp = np.column_stack(
            [np.bincount(s.kk, weights=s.frac * ha[:, j], minlength=K) for j in range(X.shape[1])]
        )
        c = s.over_interval(self.A)
        Bsum = s.over_interval(B)
        c[s.deaths] -= self.Ap[s.death_k]
        Bsum[s.deaths] -= Bp[s.death_k]
        U = -(r[:, None] * (X * c[:, None] - Bsum))
        U[s.deaths] += self.schoenfeld()
        return U


class CoxPH(FittedModel):
    """Cox proportional-hazards model.

    Matches R ``survival::coxph(Surv(start, stop, event) ~ x + strata(s) + cluster(id),
    ties = "efron")``: coefficients, model-based and cluster-robust variance, partial
    log-likelihood.
    """

    model = "cox"
    distribution = "z"

    def _pieces(self, beta: np.ndarray) -> list[_Pieces]:
        eta = self._Xc @ beta
        return [_Pieces(s, self._Xc[s.rows], eta[s.rows]) for s in self._strata]

    def _totals(self, pieces: list[_Pieces]) -> tuple[float, np.ndarray, np.ndarray]:
        ll = sum(p.loglik for p in pieces)
        u = np.sum([p.score for p in pieces], axis=0)
        info = np.sum([p.info() for p in pieces], axis=0)
        return float(ll), u, info

    def fit(
        self,
        data: pd.DataFrame,
        formula: str,
        *,
        duration: str,
        event: str,
        entry: str | None = None,
        cluster: str | None = None,
        strata: str | None = None,
        ties: str = "efron",
        maxiter: int = 50,
    ) -> CoxPH:
        """Fit the model.

        Parameters
        ----------
        data : pandas.DataFrame
        formula : str
            Right-hand side only: ``"x1 + x2"`` or ``"~ x1 + C(g)"``.
        duration : str
            Column with the end of each interval (the stop time; the survival time when
            ``entry`` is not given).
        event : str
            0/1 column: 1 when the event happens at the end of the interval.
        entry : str, optional
            Column with the start of each interval (delayed entry, time-varying covariates).
        cluster : str, optional
            Column identifying clusters (e.g. the subject or the conflict) for robust SEs.
        strata : str, optional
            Column whose levels get their own baseline hazard.
        ties : {"efron", "breslow"}
        """
        if ties not in {"efron", "breslow"}:
            raise ModelError(f"ties must be 'efron' or 'breslow', not {ties!r}")
        d = design(
            data, formula, rhs_only=True, intercept=False, entry=entry, duration=duration, event=event,
            cluster=cluster, extra=[strata] if strata else None,
        )
        assert d.duration is not None and d.event is not None and d.entry is not None
        for note in d.notes:
            self._warn(note)
        X = d.X
        n, p = X.shape
        if p == 0:
            raise ModelError("the Cox model needs at least one covariate (use km for no covariates)")
        check_aliased(X - X.mean(axis=0), d.terms) if n > 1 else None
        events = int(d.event.sum())
        self.events_ = events
        if events == 0:
            raise ModelError(f"event column {event!r} has no events among the {n} rows used: nothing to model")
        if events < 10 * p:
            self._warn(
                f"only {events} events for {p} coefficients (fewer than 10 per coefficient): "
                "estimates may be biased and unstable"
            )
        # Centre the covariates (as R does) so exp(eta) stays finite; the fit is unchanged.
        self._Xc = X - X.mean(axis=0)
        if strata:
            codes, _ = pd.factorize(d.columns[strata], sort=True)
        else:
            codes = np.zeros(n, dtype=np.int64)
        self._strata = []
        for code in np.unique(codes):
            rows = np.flatnonzero(codes == code)
            self._strata.append(_Stratum.build(rows, d.entry[rows], d.duration[rows], d.event[rows], ties))

        beta = np.zeros(p)
        pieces = self._pieces(beta)
        ll, u, info = self._totals(pieces)
        ll0 = ll
        converged = False
        it = 0
        monotone = False
        for it in range(1, maxiter + 1):
            try:
                step = np.linalg.solve(info, u)
            except np.linalg.LinAlgError as exc:
                raise ModelError("the information matrix is singular; a covariate may be constant") from exc
            new = beta + step
            pieces_new = self._pieces(new)
            ll_new = sum(pc.loglik for pc in pieces_new)
            halvings = 0
            # Step-halving when the partial likelihood falls, as R's coxph does.
            while (not np.isfinite(ll_new) or ll_new < ll - 1e-12 * abs(ll)) and halvings < 30:
                step /= 2
                new = beta + step
                pieces_new = self._pieces(new)
                ll_new = sum(pc.loglik for pc in pieces_new)
                halvings += 1
            beta = new
            ll_old = ll
            ll, u, info = self._totals(pieces_new)
            pieces = pieces_new
            if np.max(np.abs(step)) < 1e-10 * (1 + np.max(np.abs(beta))) or abs(ll - ll_old) < 1e-15 * abs(ll):
                converged = True
                break
            if it >= 15 and abs(ll - ll_old) <= 1e-10 * abs(ll) and np.max(np.abs(step)) > 1e-4:
                # The likelihood is flat while a coefficient runs off: monotone likelihood.
                monotone = True
                converged = True
                break
        self.iterations_ = it
        if not converged:
            raise ConvergenceError(f"Cox model did not converge in {maxiter} iterations")
        try:
            vmodel = np.linalg.inv(info)
        except np.linalg.LinAlgError as exc:
            raise ModelError("the information matrix is singular at the estimate") from exc
        if monotone or np.any(np.abs(beta) > 20 / np.maximum(self._Xc.std(axis=0), 1e-12)):
            step = np.abs(vmodel @ u)
            runaway = [t for t, b, s_ in zip(d.terms, beta, step, strict=True) if s_ > 1e-6 * max(1, abs(b)) or monotone]
            names = ", ".join(map(repr, runaway or d.terms))
            self._warn(
                f"monotone likelihood: the coefficient of {names} may be infinite (no events, or only "
                "events, in part of its range); its estimate and standard error are not meaningful"
            )
        idx = pd.Index(d.terms)
        self.params_ = pd.Series(beta, index=idx)
        self.vcov_model_ = pd.DataFrame(vmodel, index=idx, columns=idx)
        self.log_likelihood_ = float(ll)
        self.n_ = n
        lr = 2 * (ll - ll0)
        self.extra_.update(
            {
                "log_likelihood_null": float(ll0),
                "lr_test": float(lr),
                "lr_df": p,
                "lr_p_value": float(chi2_sf(lr, p)),
            }
        )
        self._terms = d.terms
        self._pieces_final = pieces
        self._event_times = np.concatenate([d.duration[s.rows][s.deaths] for s in self._strata])
        self._duration, self._entry, self._event_arr = d.duration, d.entry, d.event
        if cluster is not None:
            assert d.cluster is not None and d.n_clusters is not None
            U = self.score_residuals_()
            dfbeta = U @ vmodel
            D = cluster_sums(dfbeta, d.cluster, d.n_clusters)
            v = D.T @ D
            self.vcov_ = pd.DataFrame((v + v.T) / 2, index=idx, columns=idx)
            self.clusters_ = d.n_clusters
            self.se_type_ = SE_CLUSTER_COX
            if d.n_clusters < 30:
                self._warn(f"only {d.n_clusters} clusters: cluster-robust standard errors may be too small")
        else:
            self.vcov_ = self.vcov_model_
            self.se_type_ = f"{SE_MODEL}: inverse observed information of the partial likelihood"
        self.specification_ = {
            "model": "cox",
            "formula": formula,
            "terms": d.terms,
            "entry": entry,
            "duration": duration,
            "event": event,
            "cluster": cluster,
            "strata": strata,
            "ties": ties,
            "se": self.se_type_,
            "estimator": "maximum partial likelihood (Newton-Raphson), counting-process (start, stop] data",
            **d.spec(),
        }
        return self

    # -- residuals ----------------------------------------------------------------------------
    def score_residuals_(self) -> np.ndarray:
        """Score residuals, one row per data row (as R ``residuals(fit, "score")``)."""
        U = np.zeros_like(self._Xc)
        for s, pc in zip(self._strata, self._pieces_final, strict=True):
            U[s.rows] = pc.score_residuals()
        return U

    def dfbeta_(self) -> np.ndarray:
        """dfbeta residuals: score residuals times the model-based variance."""
        return self.score_residuals_() @ self.vcov_model_.to_numpy()

    def schoenfeld_residuals_(self) -> pd.DataFrame:
        """Schoenfeld residuals at each event, with its time (R ``residuals(fit, "schoenfeld")``)."""
        res = np.vstack([pc.schoenfeld() for pc in self._pieces_final])
        out = pd.DataFrame(res, columns=self._terms)
        out.insert(0, "time", self._event_times)
        return out.sort_values("time", kind="stable").reset_index(drop=True)


def cox(
    formula: str,
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    entry: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    ties: str = "efron",
) -> CoxPH:
    """Fit a Cox proportional-hazards model (see :class:`CoxPH`).

    Examples
    --------
    >>> import pandas as pd
    >>> from detente.methods import cox
    >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10], "d": [1, 1, 1, 0, 0, 1, 1, 0],
    ...                    "x": [1, 0, 1, 0, 0, 1, 0, 1]})
    >>> import warnings; warnings.simplefilter("ignore")  # few events: a StatisticalWarning
    >>> fit = cox("x", df, duration="t", event="d")
    >>> round(float(fit.params_["x"]), 4)
    1.1243
    """
    return CoxPH().fit(
        data, formula, duration=duration, event=event, entry=entry, cluster=cluster, strata=strata, ties=ties
    )

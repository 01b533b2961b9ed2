"""Generalised linear models fitted by iteratively reweighted least squares (Fisher scoring).

The estimator is written out rather than delegated so that it reproduces R's ``glm`` exactly: the
model-based variance is the inverse *expected* information (R's ``summary.glm`` for every link,
probit included), the cluster-robust variance is ``sandwich::vcovCL`` with the convention chosen
(see :mod:`detente.methods._sandwich`), and separation, aliasing and non-convergence are diagnosed
by name instead of ending in a silent number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from detente.exceptions import ConvergenceError, ModelError
from detente.methods._base import SE_MODEL, FittedModel, se_cluster_glm
from detente.methods._design import Design, design
from detente.methods._dist import norm_cdf, norm_pdf, norm_ppf
from detente.methods._sandwich import sandwich, small_sample_factor

__all__ = ["GLM", "check_aliased"]

_EPS = np.finfo(float).eps
_PROBIT_BOUND = -norm_ppf(_EPS)  # as R's binomial("probit") linkinv


def check_aliased(X: np.ndarray, terms: list[str]) -> None:
    """Refuse a design whose columns are linearly dependent, naming the aliased term(s).

    R drops such a column and reports ``NA``; a number for a term the data cannot identify is what
    this package promises never to print, so the user is told to drop it.
    """
    G = X.T @ X
    keep: list[int] = []
    aliased: list[str] = []
    for j in range(X.shape[1]):
        gjj = G[j, j]
        if gjj <= 0:
            aliased.append(terms[j])
            continue
        if keep:
            sub = G[np.ix_(keep, keep)]
            b = np.linalg.lstsq(sub, G[keep, j], rcond=None)[0]
            resid = gjj - G[j, keep] @ b
        else:
            resid = gjj
        if resid <= 1e-10 * gjj:
            aliased.append(terms[j])
        else:
            keep.append(j)
    if aliased:
        raise ModelError(
            f"term(s) {', '.join(map(repr, aliased))} are collinear with the other terms "
            "(constant or a combination of other columns); drop them from the formula"
        )


class GLM(FittedModel):
    """Base class of the GLM estimators (logit, probit, Poisson, negative binomial, OLS)."""

    family: str = "gaussian"
    link: str = "identity"
    binary: bool = False
    count: bool = False

    # -- family pieces ----------------------------------------------------------------------
    def _linkinv(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """mu and dmu/deta."""
        if self.link == "logit":
            mu = special.expit(eta)
            return mu, np.maximum(mu * (1 - mu), _EPS)
        if self.link == "probit":
            e = np.clip(eta, -_PROBIT_BOUND, _PROBIT_BOUND)
            return norm_cdf(e), np.maximum(norm_pdf(eta), _EPS)
        if self.link == "log":
            mu = np.exp(np.minimum(eta, 700.0))
            return mu, np.maximum(mu, _EPS)
        return eta, np.ones_like(eta)

    def _variance(self, mu: np.ndarray) -> np.ndarray:
        if self.family == "binomial":
            return mu * (1 - mu)
        if self.family == "poisson":
            return mu
        if self.family == "negbin":
            return mu + mu**2 / self._theta
        return np.ones_like(mu)

    def _mustart(self, y: np.ndarray) -> np.ndarray:
        if self.family == "binomial":
            return (y + 0.5) / 2
        if self.family in {"poisson", "negbin"}:
            return y + 0.1 if self.family == "poisson" else y + (y == 0) / 6
        return y

    def _link(self, mu: np.ndarray) -> np.ndarray:
        if self.link == "logit":
            return np.log(mu / (1 - mu))
        if self.link == "probit":
            return norm_ppf(mu)
        if self.link == "log":
            return np.log(mu)
        return mu

    def _deviance(self, y: np.ndarray, mu: np.ndarray) -> float:
        if self.family == "binomial":
            # y is 0/1 (checked): one log per row instead of two xlogy passes.
            return float(-2 * np.sum(np.log(np.where(y > 0, mu, 1 - mu))))
        if self.family == "poisson":
            return float(2 * np.sum(special.xlogy(y, y / mu) - (y - mu)))
        if self.family == "negbin":
            th = self._theta
            return float(2 * np.sum(special.xlogy(y, y / mu) - (y + th) * np.log((y + th) / (mu + th))))
        return float(np.sum((y - mu) ** 2))

    def _loglik(self, y: np.ndarray, mu: np.ndarray) -> float:
        if self.family == "binomial":
            return float(np.sum(special.xlogy(y, mu) + special.xlogy(1 - y, 1 - mu)))
        if self.family == "poisson":
            return float(np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1)))
        if self.family == "negbin":
            th = self._theta
            return float(
                np.sum(
                    special.gammaln(th + y)
                    - special.gammaln(th)
                    - special.gammaln(y + 1)
                    + th * np.log(th / (th + mu))
                    + special.xlogy(y, mu / (th + mu))
                )
            )
        n = len(y)
        return float(-n / 2 * (np.log(2 * np.pi * np.sum((y - mu) ** 2) / n) + 1))

    # -- IRLS ---------------------------------------------------------------------------------
    def _irls(
        self, X: np.ndarray, y: np.ndarray, eta: np.ndarray | None = None, tol: float = 1e-16, maxiter: int = 200
    ) -> tuple[np.ndarray, np.ndarray, bool, int]:
        mu = self._mustart(y) if eta is None else self._linkinv(eta)[0]
        eta = self._link(mu) if eta is None else eta
        dev_old = np.inf
        beta = np.zeros(X.shape[1])
        converged = False
        it = 0
        mu, dmu = self._linkinv(eta)
        for it in range(1, maxiter + 1):  # noqa: B007 - the count is reported
            w = dmu**2 / np.maximum(self._variance(mu), _EPS)
            z = eta + (y - mu) / dmu
            xtw = X.T * w
            try:
                beta_new = np.linalg.solve(xtw @ X, xtw @ z)
            except np.linalg.LinAlgError as exc:
                raise ModelError("the weighted information matrix is singular") from exc
            eta_new = X @ beta_new
            mu_new, dmu_new = self._linkinv(eta_new)
            dev = self._deviance(y, mu_new)
            halvings = 0
            # Step-halving when the deviance is undefined or rises (R's glm.fit halves only on
            # undefined values; also halving on a rise keeps Fisher scoring from overshooting
            # with heavy-tailed counts, where R's glm.nb can diverge).
            while (not np.isfinite(dev) or dev > dev_old * (1 + 1e-12) + 1e-12) and halvings < 50:
                beta_new = (beta_new + beta) / 2
                eta_new = X @ beta_new
                mu_new, dmu_new = self._linkinv(eta_new)
                dev = self._deviance(y, mu_new)
                halvings += 1
            step = np.max(np.abs(beta_new - beta) / (np.abs(beta_new) + 1e-3))
            # The next iteration's mu and dmu/deta are those just computed (one link pass per step).
            beta, eta, mu, dmu = beta_new, eta_new, mu_new, dmu_new
            # Tighter than R's default (1e-8 on the deviance) so that Fisher scoring, which
            # converges only linearly for non-canonical links, lands on the optimum to ~1e-10.
            if step < 1e-11 or abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
                converged = True
                break
            dev_old = dev
        return beta, eta, converged, it

    # -- fitting -------------------------------------------------------------------------------
    def fit(
        self,
        formula: str,
        data: pd.DataFrame,
        *,
        cluster: str | None = None,
        small_sample: str = "HC1",
        **kwargs: Any,
    ) -> GLM:
        """Fit the model.

        Parameters
        ----------
        formula : str
            ``"y ~ x1 + x2"`` in R/patsy syntax (``C(x)``, ``np.log(x)``, ``x1:x2``).
        data : pandas.DataFrame
        cluster : str, optional
            Column whose values define clusters for cluster-robust standard errors.
        small_sample : {"HC1", "HC0", "none"}
            Convention of the cluster-robust variance (see :mod:`detente.methods._sandwich`).
        """
        d = design(
            data,
            formula,
            cluster=cluster,
            binary_outcome=self.binary,
            count_outcome=self.count,
            extra=kwargs.pop("extra", None),
        )
        return self._fit_design(d, formula, cluster=cluster, small_sample=small_sample, **kwargs)

    def _fit_design(
        self, d: Design, formula: str, *, cluster: str | None, small_sample: str, **kwargs: Any
    ) -> GLM:
        assert d.y is not None
        X, y = d.X, d.y
        n, k = X.shape
        for note in d.notes:
            self._warn(note)
        if n <= k:
            raise ModelError(f"{n} rows for {k} coefficients: too few observations")
        check_aliased(X, d.terms)
        if self.binary:
            events = int(y.sum())
            self.events_ = events
            if events == 0 or events == n:
                raise ModelError(f"outcome {d.outcome!r} is {int(y[0])} in every row: nothing to model")
            if min(events, n - events) < 10 * k:
                self._warn(
                    f"only {min(events, n - events)} {'events' if events <= n - events else 'non-events'} "
                    f"for {k} coefficients (fewer than 10 per coefficient): estimates may be biased and "
                    "unstable"
                )
        beta, eta, mu, converged, it = self._estimate(X, y, d, **kwargs)
        self.iterations_ = it
        if self.binary:
            self._check_separation(X, y, mu, d.terms, converged)
        if not converged:
            raise ConvergenceError(
                f"{self.model} did not converge in {it} iterations; check for separation, "
                "very large values or too few events"
            )
        mu, dmu = self._linkinv(eta)
        var = np.maximum(self._variance(mu), _EPS)
        w = dmu**2 / var
        info = (X.T * w) @ X
        bread = np.linalg.inv(info)
        scale = self._scale(y, mu, n, k)
        vmodel = bread * scale
        idx = pd.Index(d.terms)
        self.params_ = pd.Series(beta, index=idx)
        self.vcov_model_ = pd.DataFrame(vmodel, index=idx, columns=idx)
        self.n_ = n
        self.log_likelihood_ = self._loglik(y, mu)
        self.df_resid_ = float(n - k)
        self.extra_["deviance"] = self._deviance(y, mu)
        if cluster is not None:
            assert d.cluster is not None and d.n_clusters is not None
            g = d.n_clusters
            scores = X * ((y - mu) * dmu / var)[:, None]
            fac = small_sample_factor(small_sample, n, k, g)
            v = sandwich(bread, scores, d.cluster, g, fac)
            self.vcov_ = pd.DataFrame(v, index=idx, columns=idx)
            self.clusters_ = g
            self.se_type_ = se_cluster_glm(small_sample)
            self._cluster_df(g)
            if g < 30:
                self._warn(f"only {g} clusters: cluster-robust standard errors may be too small")
        else:
            self.vcov_ = self.vcov_model_
            self.se_type_ = self._model_se_label()
        self.specification_ = {
            "model": self.model,
            "formula": formula,
            "outcome": d.outcome,
            "family": self.family,
            "link": self.link,
            "terms": d.terms,
            "cluster": cluster,
            "se": self.se_type_,
            "small_sample": small_sample if cluster else None,
            "estimator": "maximum likelihood by iteratively reweighted least squares (Fisher scoring)",
            **self._spec_extra(),
            **d.spec(),
        }
        return self

    def _estimate(
        self, X: np.ndarray, y: np.ndarray, d: Design, **kwargs: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, int]:
        beta, eta, converged, it = self._irls(X, y)
        return beta, eta, self._linkinv(eta)[0], converged, it

    def _scale(self, y: np.ndarray, mu: np.ndarray, n: int, k: int) -> float:
        return 1.0

    def _cluster_df(self, g: int) -> None:
        pass

    def _model_se_label(self) -> str:
        return f"{SE_MODEL}: inverse expected information (as R summary.glm)"

    def _spec_extra(self) -> dict[str, Any]:
        return {}

    def _check_separation(
        self, X: np.ndarray, y: np.ndarray, mu: np.ndarray, terms: list[str], converged: bool
    ) -> None:
        extreme = (mu < 1e-8) | (mu > 1 - 1e-8)
        if not extreme.any():
            return
        culprits = _separating_terms(X, y, terms)
        names = ", ".join(map(repr, culprits)) if culprits else "a combination of terms"
        if extreme.all():
            raise ModelError(
                f"perfect separation: the outcome is predicted exactly by {names}; "
                "the maximum-likelihood estimate does not exist (drop or recode the term, "
                "or use a penalised model)"
            )
        self._warn(
            f"quasi-complete separation: fitted probabilities are numerically 0 or 1 for "
            f"{int(extreme.sum())} rows; {names} predict(s) the outcome perfectly in part, so "
            "their estimates and standard errors are not meaningful"
        )


def _separating_terms(X: np.ndarray, y: np.ndarray, terms: list[str]) -> list[str]:
    """Binary terms within one level of which the outcome never varies, and continuous terms that
    split the outcome by a threshold."""
    out = []
    for j, t in enumerate(terms):
        if t == "Intercept":
            continue
        x = X[:, j]
        vals = np.unique(x)
        if len(vals) == 2:
            for v in vals:
                sel = x == v
                if np.ptp(y[sel]) == 0 and sel.sum() > 0:
                    out.append(t)
                    break
        else:
            lo1, hi1 = x[y == 1].min(), x[y == 1].max()
            lo0, hi0 = x[y == 0].min(), x[y == 0].max()
            if hi0 <= lo1 or hi1 <= lo0:
                out.append(t)
    return out

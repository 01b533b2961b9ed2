"""Negative binomial regression in the parametrisation of R ``MASS::glm.nb``.

Var(y) = mu + mu^2 / theta; theta is estimated by maximum likelihood, alternating with the GLM fit
at fixed theta as ``glm.nb`` does. As in ``summary.negbin`` the coefficient variance is the GLM's at
the estimated theta (theta treated as known); theta's own standard error is ``SE.theta``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from detente.exceptions import ConvergenceError
from detente.methods._design import Design
from detente.methods._glm import GLM

__all__ = ["NegativeBinomial", "negbin", "theta_ml"]


_LOG_THETA_MAX = float(np.log(1e8))


def _theta_loglik(theta: float, y: np.ndarray, mu: np.ndarray) -> float:
    return float(np.sum(
        special.gammaln(theta + y) - special.gammaln(theta) + theta * np.log(theta)
        - (theta + y) * np.log(theta + mu)
    ))


def _theta_score_info(theta: float, y: np.ndarray, mu: np.ndarray) -> tuple[float, float]:
    score = np.sum(
        special.digamma(theta + y) - special.digamma(theta) + np.log(theta) + 1
        - np.log(theta + mu) - (y + theta) / (mu + theta)
    )
    info = np.sum(
        -special.polygamma(1, theta + y) + special.polygamma(1, theta) - 1 / theta
        + 2 / (mu + theta) - (y + theta) / (mu + theta) ** 2
    )
    return float(score), float(info)


def theta_ml(y: np.ndarray, mu: np.ndarray, theta: float | None = None, maxiter: int = 200) -> tuple[float, float, bool]:
    """ML estimate of theta given mu; returns (theta, standard error, converged).

    The score and information are those of ``MASS::theta.ml`` (so ``SE.theta`` agrees), but the
    Newton steps are taken on log(theta) with step-halving, which stays positive and does not
    overshoot when theta is small (heavily overdispersed counts), where theta.ml can stall.
    """
    n = len(y)
    if theta is None:
        theta = n / np.sum((y / mu - 1) ** 2)
    phi = float(np.log(theta))
    ll = _theta_loglik(np.exp(phi), y, mu)
    for _ in range(maxiter):
        th = np.exp(phi)
        score, info = _theta_score_info(th, y, mu)
        d1 = th * score  # dl/dphi
        d2 = th * score - th**2 * info  # d2l/dphi2
        step = -d1 / d2 if d2 < 0 else np.sign(d1) * 1.0
        improved = False
        for _h in range(60):
            new_ll = _theta_loglik(np.exp(phi + step), y, mu)
            if np.isfinite(new_ll) and new_ll >= ll:
                improved = True
                break
            step /= 2
        if improved:
            phi += step
            ll = new_ll
        # Converged when the step is negligible, or when no step improves the likelihood any
        # more (it is flat to rounding error at the optimum).
        if not improved or abs(step) < 1e-11:
            th = float(np.exp(phi))
            info = _theta_score_info(th, y, mu)[1]
            return th, float(np.sqrt(1 / info)) if info > 0 else float("nan"), True
        if phi > _LOG_THETA_MAX:
            # The likelihood keeps rising as theta grows: no overdispersion, the Poisson limit.
            # Stop at a theta large enough that the fit equals Poisson's; the caller warns.
            return float(np.exp(_LOG_THETA_MAX)), float("nan"), True
    return float(np.exp(phi)), float("nan"), False


class NegativeBinomial(GLM):
    """Negative binomial (NB2) model; matches R ``MASS::glm.nb``."""

    model = "negbin"
    family = "negbin"
    link = "log"
    count = True
    _theta: float = 1.0

    def _estimate(
        self, X: np.ndarray, y: np.ndarray, d: Design, **kwargs: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, int]:
        # Start from the Poisson fit, as glm.nb does.
        self.family = "poisson"
        beta, eta, conv, it_total = self._irls(X, y)
        self.family = "negbin"
        mu = self._linkinv(eta)[0]
        theta, se_theta, ok = theta_ml(y, mu)
        if not ok:
            raise ConvergenceError("negative binomial: the ML estimate of theta did not converge")
        converged = False
        for _ in range(200):
            self._theta = theta
            beta, eta, conv, it = self._irls(X, y, eta=eta)
            it_total += it
            mu = self._linkinv(eta)[0]
            new, se_theta, ok = theta_ml(y, mu, theta)
            if not ok:
                raise ConvergenceError("negative binomial: the ML estimate of theta did not converge")
            done = abs(new - theta) <= 1e-12 * theta
            theta = new
            if done and conv:
                converged = True
                break
        self._theta = theta
        if theta > 1e6:
            self._warn(
                f"theta = {theta:.3g}: no overdispersion detected; the Poisson model is adequate"
            )
        beta, eta, conv, it = self._irls(X, y, eta=eta)
        self.extra_.update({"theta": theta, "se_theta": se_theta, "extra_parameters": 1})
        return beta, eta, self._linkinv(eta)[0], converged and conv, it_total + it

    def _spec_extra(self) -> dict[str, Any]:
        return {"parametrisation": "Var(y) = mu + mu^2/theta (MASS::glm.nb); theta by maximum likelihood"}


def negbin(
    formula: str, data: pd.DataFrame, *, cluster: str | None = None, small_sample: str = "HC1", **kwargs: Any
) -> NegativeBinomial:
    """Fit a negative binomial model (``MASS::glm.nb`` parametrisation); ``theta`` and
    ``se_theta`` are in ``glance()``."""
    return NegativeBinomial().fit(formula, data, cluster=cluster, small_sample=small_sample, **kwargs)

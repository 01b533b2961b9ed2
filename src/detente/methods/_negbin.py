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

from detente.exceptions import ConvergenceError, ModelError
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
    """Negative binomial (NB2) model; matches R ``MASS::glm.nb``.

    ``glm.nb`` alternates a GLM fit at fixed theta with a search for theta. Both steps converge
    slowly (Fisher scoring is linear for this non-canonical link) and, with counts in the tens of
    thousands, the alternation can crawl for minutes. Here the alternation is used only to start;
    the likelihood is then maximised jointly in (beta, log theta) by Newton's method with the
    observed information and a line search, which converges in a handful of steps to the same
    maximum. Convergence is declared on the step in the coefficients and log theta together with
    the change in the log-likelihood, and ``maxiter`` caps the Newton steps so that a model that
    does not converge fails in seconds with a :class:`~detente.exceptions.ConvergenceError`.
    """

    model = "negbin"
    family = "negbin"
    link = "log"
    count = True
    _theta: float = 1.0

    def _estimate(
        self, X: np.ndarray, y: np.ndarray, d: Design, **kwargs: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, int]:
        maxiter = int(kwargs.get("maxiter", 100))
        if maxiter < 1:
            raise ModelError("maxiter must be a positive number of iterations")
        # Start from the Poisson fit and theta's ML estimate given its means, as glm.nb does.
        self.family = "poisson"
        beta, eta, _conv, it_total = self._irls(X, y, maxiter=min(maxiter, 50))
        self.family = "negbin"
        mu = self._linkinv(eta)[0]
        theta0 = len(y) / max(float(np.sum((y / mu - 1) ** 2)), 1e-300)
        theta, _se, ok = theta_ml(y, mu, min(max(theta0, 1e-8), 1e8), maxiter=50)
        if not ok or not np.isfinite(theta):
            theta = min(max(theta0, 1e-8), 1e8)
        # One GLM fit at that theta brings beta near the optimum cheaply (loose tolerance).
        self._theta = theta
        beta, eta, _conv, it = self._irls(X, y, eta=eta, tol=1e-8, maxiter=min(maxiter, 25))
        it_total += it
        beta, phi, converged, it, note = _newton_nb(X, y, beta, float(np.log(theta)), maxiter)
        it_total += it
        theta = float(np.exp(phi))
        self._theta = theta
        self.converged_ = converged
        if not converged:
            raise ConvergenceError(
                f"negative binomial did not converge in {maxiter} Newton steps ({note}); "
                "rescale very large counts or regressors, simplify the model, or raise maxiter"
            )
        if theta > 1e6:
            self._warn(
                f"theta = {theta:.3g}: no overdispersion detected; the Poisson model is adequate"
            )
        eta = X @ beta
        mu = self._linkinv(eta)[0]
        info = _theta_score_info(theta, y, mu)[1]
        se_theta = float(np.sqrt(1 / info)) if info > 0 and theta < np.exp(_LOG_THETA_MAX) else float("nan")
        self.extra_.update({"theta": theta, "se_theta": se_theta, "extra_parameters": 1})
        return beta, eta, mu, True, it_total

    def _spec_extra(self) -> dict[str, Any]:
        return {"parametrisation": "Var(y) = mu + mu^2/theta (MASS::glm.nb); theta by maximum likelihood"}


def negbin(
    formula: str,
    data: pd.DataFrame,
    *,
    cluster: str | None = None,
    small_sample: str = "HC1",
    maxiter: int = 100,
    **kwargs: Any,
) -> NegativeBinomial:
    """Fit a negative binomial model (``MASS::glm.nb`` parametrisation).

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"``; the outcome must hold non-negative whole counts.
    data : pandas.DataFrame
    cluster : str, optional
        Cluster column for cluster-robust standard errors.
    small_sample : {"HC1", "HC0", "none"}
        Cluster-robust convention (see :mod:`detente.methods._sandwich`).
    maxiter : int
        Cap on the joint Newton steps in (beta, log theta); a fit that has not converged by then
        raises :class:`~detente.exceptions.ConvergenceError`. Well-posed models need fewer than 20.

    Returns
    -------
    NegativeBinomial
        ``theta`` and ``se_theta`` are in ``glance()`` and ``extra_``.

    Raises
    ------
    ConvergenceError
        The likelihood could not be maximised within ``maxiter`` steps.
    """
    return NegativeBinomial().fit(
        formula, data, cluster=cluster, small_sample=small_sample, maxiter=maxiter, **kwargs
    )


def _nb_loglik(theta: float, y: np.ndarray, eta: np.ndarray) -> float:
    """NB log-likelihood without the constant -sum(lgamma(y + 1))."""
    mu = np.exp(np.minimum(eta, 700.0))
    return float(np.sum(
        special.gammaln(theta + y) - special.gammaln(theta) + theta * np.log(theta)
        + y * eta - (y + theta) * np.log(theta + mu)
    ))


def _newton_nb(
    X: np.ndarray, y: np.ndarray, beta: np.ndarray, phi: float, maxiter: int
) -> tuple[np.ndarray, float, bool, int, str]:
    """Maximise the NB likelihood jointly in (beta, phi = log theta).

    Returns (beta, phi, converged, iterations, note on the last step). Newton steps use the
    observed information; where it is not positive definite (far from the optimum) the
    block-diagonal expected information gives an ascent direction instead. Steps are halved until
    the log-likelihood does not fall.
    """
    k = X.shape[1]
    theta_max = _LOG_THETA_MAX
    phi = min(phi, theta_max)
    fixed_theta = phi >= theta_max  # the Poisson limit: only beta is free
    eta = X @ beta
    ll = _nb_loglik(float(np.exp(phi)), y, eta)
    note = "not started"
    for it in range(1, maxiter + 1):
        th = float(np.exp(phi))
        mu = np.exp(np.minimum(eta, 700.0))
        tm = th + mu
        r = (y - mu) / tm
        s_eta = th * r  # dl/deta
        g_beta = X.T @ s_eta
        h_ee = th * mu * (y + th) / tm**2  # -d2l/deta2
        info_bb = (X.T * h_ee) @ X
        if fixed_theta:
            g = g_beta
            H = info_bb
        else:
            score, info = _theta_score_info(th, y, mu)
            g_phi = th * score
            h_pp = -(th * score - th**2 * info)  # -d2l/dphi2
            h_bp = -(X.T @ (th * r * mu / tm))  # -d2l/dbeta dphi
            g = np.append(g_beta, g_phi)
            H = np.empty((k + 1, k + 1))
            H[:k, :k] = info_bb
            H[:k, k] = H[k, :k] = h_bp
            H[k, k] = h_pp
        try:
            step = _solve_pd(H, g)
        except np.linalg.LinAlgError:
            # Not concave here: Fisher scoring for beta, a damped gradient step for log theta.
            w = th * mu / tm
            step_b = _solve_pd((X.T * w) @ X, g_beta)
            if fixed_theta:
                step = step_b
            else:
                h = h_pp if h_pp > 0 else abs(g_phi) + 1.0
                step = np.append(step_b, g_phi / h)
        decrement = float(g @ step)  # expected gain x 2 (Newton decrement squared)
        t = 1.0
        accepted = False
        for _h in range(40):
            beta_new = beta + t * step[:k]
            phi_new = phi if fixed_theta else min(phi + t * float(step[k]), theta_max)
            eta_new = X @ beta_new
            ll_new = _nb_loglik(float(np.exp(phi_new)), y, eta_new)
            # Rounding noise in a sum of n terms: a fall below it is not a fall.
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * (abs(ll) + 1):
                accepted = True
                break
            t /= 2
        if not accepted:
            note = f"no step raises the log-likelihood (last {ll:.10g}, Newton decrement {decrement:.3g})"
            # At the optimum to rounding error nothing can raise it: that is convergence.
            return beta, phi, decrement <= 1e-8 * (abs(ll) + 1), it, note
        params_old = np.append(beta, phi)
        beta, phi, eta = beta_new, phi_new, eta_new
        dll, ll = ll_new - ll, ll_new
        if not fixed_theta and phi >= theta_max:
            fixed_theta = True  # the likelihood rises without bound in theta: no overdispersion
        rel = np.max(np.abs(np.append(beta, phi) - params_old) / (np.abs(params_old) + 1e-3))
        note = f"log-likelihood {ll:.10g}, change {dll:.3g}, theta {np.exp(phi):.6g}, relative step {rel:.3g}"
        if rel < 1e-10 or (t == 1.0 and decrement < 1e-20 * (abs(ll) + 1)):
            return beta, phi, True, it, note
    return beta, phi, False, maxiter, note


def _solve_pd(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solve H x = g for a positive definite H (Cholesky); LinAlgError if H is not."""
    c = np.linalg.cholesky(H)
    return np.linalg.solve(c.T, np.linalg.solve(c, g))

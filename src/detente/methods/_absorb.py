"""Poisson (PPML) and linear models with one or two fixed-effect factors absorbed exactly.

pyfixest removes fixed effects by alternating projections. Under the weights of a Poisson fit
those can crawl or stop without converging: in a gravity panel a few large flows carry almost
all the weight of their year, so the dyad and year directions are nearly parallel (on the
stacked trade panels of the dyadic measures pyfixest stops after 10,000 iterations). Here the
weighted projection on the fixed effects is solved directly instead: the factor with more
levels is eliminated in closed form (its normal equations are diagonal) and the Schur complement
for the other factor, sparse with one block per connected component of the two factors, is
factorised once per iteration, with one step of iterative refinement.

Everything else follows pyfixest's ``fepois``/``feols`` (and R ``fixest``), so the estimates agree
with theirs wherever their iterations converge: the iteratively reweighted least squares of
``ppmlhdfe`` with the same start, deviance criterion and tolerance; observations in singleton
fixed-effect levels dropped (iteratively), then, for the Poisson model, observations in levels
whose outcome is 0 throughout (separated: their fitted mean is 0); collinear regressors dropped
after the first projection; CRV1 standard errors with the small-sample factor
G/(G-1) * (n-1)/(n-k), where k counts the regressors and the fixed-effect levels not nested in the
clusters; normal reference distribution for the Poisson model, t(G-1) for the linear one.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from detente.exceptions import ModelError
from detente.methods._base import FittedModel
from detente.methods._design import _check_columns

__all__ = ["AbsorbedFit", "AbsorbedOLS", "FixedEffects", "feglm", "fit_absorbed"]

SE_CRV1 = ("cluster-robust CRV1: G/(G-1)*(n-1)/(n-k), k counting fixed effects not nested in the "
           "clusters, {ref} (as R fixest / pyfixest)")
SE_IID = "model-based (iid), (n-1)/(n-k), {ref} (as R fixest)"
#: IRLS convergence: relative change in deviance (as fixest and pyfixest).
IRLS_TOL = 1e-8
IRLS_MAXITER = 25
#: Relative tolerance of the collinearity check (pyfixest's default).
COLLIN_TOL = 1e-9
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class FixedEffects:
    """One or two fixed-effect factors on a fixed set of rows, and the weighted projection on them.

    Parameters
    ----------
    codes : list of numpy.ndarray
        One integer array per factor (levels 0..L-1, every level present).
    """

    def __init__(self, codes: list[np.ndarray]) -> None:
        import scipy.sparse as sp
        from scipy.sparse.csgraph import connected_components

        if not 1 <= len(codes) <= 2:
            raise ModelError(f"one or two fixed-effect factors can be absorbed, not {len(codes)}")
        self.codes = [np.asarray(c, dtype=np.int64) for c in codes]
        self.levels = [int(c.max()) + 1 for c in self.codes]
        self.n = len(self.codes[0])
        rows = np.arange(self.n)
        # indicator matrices (levels x rows), built once; the weights enter as a diagonal
        self._ind = [sp.csr_matrix((np.ones(self.n), (c, rows)), shape=(L, self.n))
                     for c, L in zip(self.codes, self.levels, strict=True)]
        self._pinned: np.ndarray | None = None
        if len(codes) == 2:
            # eliminate the factor with more levels; pin one level of the other per component
            if self.levels[1] > self.levels[0]:
                self.codes.reverse()
                self.levels.reverse()
                self._ind.reverse()
            la, lb = self.levels
            graph = sp.csr_matrix((np.ones(self.n), (self.codes[0], self.codes[1] + la)), shape=(la + lb, la + lb))
            n_comp, labels = connected_components(graph, directed=False)
            self.components = int(n_comp)
            # the first level of the second factor in each component is fixed at 0
            _, first_b = np.unique(labels[la:], return_index=True)
            pinned = np.zeros(lb, dtype=bool)
            pinned[first_b] = True
            self._pinned = pinned
        else:
            self.components = 1

    def residualise(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``values`` minus their weighted least-squares projection on the fixed effects.

        Parameters
        ----------
        values : numpy.ndarray
            (n, m) columns to residualise.
        weights : numpy.ndarray
            (n,) positive weights.
        """
        return values - self._projector(weights)(values)

    def _projector(self, w: np.ndarray) -> Any:
        import scipy.sparse as sp
        from scipy.sparse.linalg import splu

        ind_a = self._ind[0]
        wa = np.asarray(ind_a @ w).ravel()
        if len(self.codes) == 1:
            code_a = self.codes[0]

            def project1(v: np.ndarray) -> np.ndarray:
                return (ind_a @ (w[:, None] * v) / wa[:, None])[code_a]

            return project1
        ind_b = self._ind[1]
        code_a, code_b = self.codes
        wb = np.asarray(ind_b @ w).ravel()
        cross = (ind_a.multiply(w) @ ind_b.T).tocsr()  # la x lb, summed weights per cell
        inv_wa = sp.diags(1.0 / wa)
        schur = (sp.diags(wb) - cross.T @ inv_wa @ cross).tocsc()
        keep = sp.diags((~self._pinned).astype(float))
        schur = (keep @ schur @ keep + sp.diags(self._pinned.astype(float))).tocsc()
        lu = splu(schur)

        def project2(v: np.ndarray) -> np.ndarray:
            wv = w[:, None] * v
            ra = ind_a @ wv
            rb = ind_b @ wv - cross.T @ (ra / wa[:, None])
            rb[self._pinned] = 0.0
            b = lu.solve(np.ascontiguousarray(rb))
            # one step of iterative refinement on the reduced system keeps the residuals
            # orthogonal to the second factor to rounding error
            b += lu.solve(np.ascontiguousarray(rb - schur @ b))
            a = (ra - cross @ b) / wa[:, None]
            return a[code_a] + b[code_b]

        return project2


class AbsorbedFit(FittedModel):
    """Result of :func:`feglm`.

    Besides the common attributes, ``rows_`` holds the positions (in the data given) of the rows
    used and ``fitted_`` the fitted means on them (fixed effects included).
    """

    model = "fepois"
    distribution = "z"

    def __init__(self) -> None:
        super().__init__()
        self.rows_: np.ndarray = np.empty(0, dtype=np.int64)
        self.fitted_: np.ndarray = np.empty(0)


class AbsorbedOLS(AbsorbedFit):
    """Result of :func:`feglm` with ``family="gaussian"``: t reference distribution."""

    model = "feols"
    distribution = "t"


def _parse(formula: str, data: pd.DataFrame, cluster: str | None) -> tuple[str, list[str], list[str]]:
    from detente.methods._fixest import _validate_fixest_formula

    y, _ = _validate_fixest_formula(formula, data, cluster)
    rest = formula.split("~", 1)[1]
    rhs, _, fe_part = rest.partition("|")
    terms = [t.strip() for t in rhs.split("+") if t.strip()]
    fes = [f.strip() for f in fe_part.split("+") if f.strip()]
    bad = [t for t in terms if not _NAME.match(t) or t in {"1", "0"}]
    if bad:
        raise ModelError(f"formula {formula!r}: the right-hand side must name numeric columns only, not {bad[0]!r}")
    if not 1 <= len(fes) <= 2 or any(not _NAME.match(f) for f in fes):
        raise ModelError(f"formula {formula!r}: give one or two fixed-effect columns after '|'")
    for col in terms:
        if not pd.api.types.is_numeric_dtype(data[col]):
            raise ModelError(f"column {col!r} (regressor) is not numeric (dtype {data[col].dtype})")
    return y, terms, fes


def _drop_singletons(codes: np.ndarray) -> np.ndarray:
    """Rows kept after dropping, until none is left, rows alone in a level of any factor."""
    keep = np.ones(codes.shape[0], dtype=bool)
    while True:
        single = np.zeros(codes.shape[0], dtype=bool)
        for j in range(codes.shape[1]):
            counts = np.bincount(codes[keep, j], minlength=int(codes[:, j].max()) + 1)
            single |= keep & (counts[codes[:, j]] == 1)
        if not single.any():
            return keep
        keep &= ~single


def _separated(y: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Rows in a fixed-effect level whose outcome is 0 throughout (pyfixest's "fe" check)."""
    out = np.zeros(len(y), dtype=bool)
    for j in range(codes.shape[1]):
        total = np.bincount(codes[:, j], weights=y)
        out |= total[codes[:, j]] == 0
    return out


def _recode(codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.column_stack([pd.factorize(codes[rows, j])[0] for j in range(codes.shape[1])])


def feglm(
    formula: str,
    data: pd.DataFrame,
    *,
    family: str = "poisson",
    cluster: str | None = None,
    tol: float = IRLS_TOL,
    maxiter: int = IRLS_MAXITER,
    start: str | None = None,
) -> AbsorbedFit:
    """Poisson pseudo-maximum likelihood (PPML) or OLS with fixed effects absorbed exactly.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 | fe1 + fe2"``: numeric columns on the right-hand side, one or two
        fixed-effect columns (any type) after ``|``.
    data : pandas.DataFrame
    family : {"poisson", "gaussian"}
        PPML (``y`` non-negative; rate ratios are ``exp(coefficient)``) or the linear model.
    cluster : str, optional
        Cluster column for CRV1 standard errors (model-based without it).
    tol : float
        Convergence criterion of the Poisson fit: relative change in deviance.
    maxiter : int
        Most IRLS iterations of the Poisson fit.
    start : str, optional
        A column of starting means for the Poisson iterations, such as the ``fitted_`` means of
        a nested model on the same rows: fewer iterations to the same estimate (the default
        start is ppmlhdfe's, (y + mean(y)) / 2).

    Returns
    -------
    AbsorbedFit
        ``params_``, ``vcov_``, ``n_`` (rows used), ``clusters_``; ``extra_`` holds the rows
        dropped as singletons and as separated, the deviance and the fixed-effect levels.

    Raises
    ------
    ModelError
        A column is missing or not numeric, the outcome is negative (Poisson), no rows remain,
        or every regressor is collinear with the fixed effects.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [1, 3, 2, 6, 0, 2, 4, 9], "x": [0, 1, 0, 1, 0, 1, 1, 1],
    ...                   "u": [1, 1, 2, 2, 3, 3, 4, 4], "t": [1, 2, 1, 2, 1, 2, 1, 2]})
    >>> round(float(feglm("y ~ x | u + t", d).params_["x"]), 4)
    0.8109
    """
    y_name, terms, fes = _parse(formula, data, cluster)
    x = data[terms].to_numpy(dtype=float) if terms else np.empty((len(data), 0))
    if start is not None:
        _check_columns(data, [start], "starting means")
    out = fit_absorbed(data[y_name].to_numpy(dtype=float), x, terms, [data[f].to_numpy() for f in fes],
                       data[cluster].to_numpy() if cluster else None, family=family, tol=tol, maxiter=maxiter,
                       outcome=y_name, start=None if start is None else data[start].to_numpy(dtype=float))
    out.specification_.update({"formula": formula, "cluster": cluster})
    return out


def fit_absorbed(
    y: np.ndarray,
    x: np.ndarray,
    names: list[str],
    fixef: list[np.ndarray],
    cluster: np.ndarray | None = None,
    *,
    family: str = "poisson",
    tol: float = IRLS_TOL,
    maxiter: int = IRLS_MAXITER,
    outcome: str = "y",
    start: np.ndarray | None = None,
) -> AbsorbedFit:
    """:func:`feglm` on arrays: outcome, regressors (named), one or two fixed-effect arrays and
    an optional cluster array, all of one length; rows with a missing value are dropped. ``start``
    (one value per row) gives starting means for the Poisson iterations, see :func:`feglm`."""
    from threadpoolctl import threadpool_limits

    if family not in ("poisson", "gaussian"):
        raise ModelError(f"family {family!r} is not one of poisson, gaussian")
    if not 1 <= len(fixef) <= 2:
        raise ModelError(f"give one or two fixed-effect factors, not {len(fixef)}")
    # the products here are n x k with few columns: BLAS threads gain nothing on them, and on a
    # busy machine their spinning costs seconds
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit(np.asarray(y, dtype=float), np.asarray(x, dtype=float).reshape(len(y), -1), list(names),
                    fixef, cluster, family, tol, maxiter, outcome, start)


def _fit(y_all: np.ndarray, x_all: np.ndarray, terms: list[str], fixef: list[np.ndarray], cluster: np.ndarray | None,
         family: str, tol: float, maxiter: int, outcome: str, start: np.ndarray | None) -> AbsorbedFit:
    complete = np.isfinite(y_all) & np.isfinite(x_all).all(axis=1)
    for col in [*fixef, *([cluster] if cluster is not None else [])]:
        complete &= ~pd.isna(col)
    if not complete.any():
        raise ModelError(f"no row has the outcome {outcome!r}, every regressor and fixed effect present and finite")
    if family == "poisson" and (y_all[complete] < 0).any():
        raise ModelError(f"outcome {outcome!r} has negative values: a Poisson model needs counts or flows >= 0")
    rows = np.flatnonzero(complete)
    codes = np.column_stack([pd.factorize(np.asarray(f)[rows])[0] for f in fixef])
    keep = _drop_singletons(codes)
    n_single = int((~keep).sum())
    rows, codes = rows[keep], _recode(codes, keep)
    n_sep = 0
    if family == "poisson":
        sep = _separated(y_all[rows], codes)
        n_sep = int(sep.sum())
        rows, codes = rows[~sep], _recode(codes, ~sep)
    if len(rows) == 0:
        raise ModelError("no rows left after dropping singleton and separated observations")
    y, x = y_all[rows], x_all[rows]
    fe = FixedEffects([codes[:, j] for j in range(codes.shape[1])])
    out = AbsorbedFit() if family == "poisson" else AbsorbedOLS()
    ref = "normal reference" if family == "poisson" else "t(G-1) reference"
    names = list(terms)
    if family == "poisson":
        first = None
        if start is not None:
            first = np.asarray(start, dtype=float)[rows]
            if not (np.isfinite(first).all() and (first > 0).all()):
                first = None
                out._warn("the starting values are not all positive and finite: the default start is used")
        beta, xw, resid_w, fitted, converged, iters, deviance, names = _irls(y, x, fe, names, tol, maxiter, out,
                                                                             first)
    else:
        z = fe.residualise(np.column_stack([y, x]), np.ones(len(y)))
        xd, names, _ = _drop_collinear(z[:, 1:], names, out)
        beta = np.linalg.solve(xd.T @ xd, xd.T @ z[:, 0])
        xw, resid_w = xd, z[:, 0] - xd @ beta
        fitted = y - resid_w
        converged, iters, deviance = True, 1, float(resid_w @ resid_w)
        rss = deviance
        out.log_likelihood_ = float(-len(y) / 2 * (np.log(2 * np.pi * rss / len(y)) + 1))
        out.extra_["r_squared"] = float(1 - rss / np.sum((y - y.mean()) ** 2))
        out.extra_["r_squared_within"] = float(1 - rss / np.sum(z[:, 0] ** 2))
    bread = np.linalg.inv(xw.T @ xw)
    n, k = len(y), len(names)
    levels = [int(codes[:, j].max()) + 1 for j in range(codes.shape[1])]
    k_fe = sum(levels)
    n_fe = sum(L > 1 for L in levels)
    k_fe_adj = k_fe - (n_fe - 1) if n_fe > 1 else k_fe
    if cluster is not None:
        cl = pd.factorize(np.asarray(cluster)[rows])[0]
        g = int(cl.max()) + 1
        scores = resid_w[:, None] * xw
        sums = np.zeros((g, k))
        np.add.at(sums, cl, scores)
        meat = sums.T @ sums
        nested = [j for j in range(codes.shape[1]) if _nested(codes[:, j], cl)]
        df_k = k + k_fe_adj - sum(levels[j] for j in nested) + len(nested)
        ssc = (n - 1) / (n - df_k) * g / (g - 1)
        vcov = ssc * bread @ meat @ bread
        out.clusters_ = g
        out.se_type_ = SE_CRV1.format(ref=ref)
        out.df_resid_ = float(g - 1)
    else:
        df_k = k + k_fe_adj
        if family == "poisson":
            vcov = (n - 1) / (n - df_k) * bread
        else:
            vcov = float(resid_w @ resid_w) / (n - df_k) * bread
        out.se_type_ = SE_IID.format(ref="normal reference" if family == "poisson" else "t(n-k) reference")
        out.df_resid_ = float(n - df_k)
    idx = pd.Index(names)
    out.params_ = pd.Series(beta, index=idx)
    out.vcov_ = pd.DataFrame(vcov, index=idx, columns=idx)
    out.vcov_model_ = out.vcov_
    out.n_ = n
    out.rows_ = rows
    out.fitted_ = fitted
    out.converged_ = converged
    out.iterations_ = iters
    out.extra_.update({"deviance": deviance, "rows_singleton": n_single, "rows_separated": n_sep,
                       "fixef_levels": levels})
    if n_single:
        out._warn(f"{n_single} observation(s) in singleton fixed-effect levels dropped")
    if n_sep:
        out._warn(f"{n_sep} observation(s) dropped as separated (a fixed-effect level with outcome 0 throughout)")
    if not converged:
        out._warn(f"the Poisson IRLS did not converge in {maxiter} iterations")
    if (~complete).any():
        out._warn(f"{int((~complete).sum())} of {len(y_all)} rows dropped for missing values")
    if cluster is not None and out.clusters_ is not None and out.clusters_ < 30:
        out._warn(f"only {out.clusters_} clusters: cluster-robust standard errors may be too small")
    out.specification_ = {"model": out.model, "outcome": outcome, "family": family, "se": out.se_type_,
                          "estimator": ("IRLS" if family == "poisson" else "OLS")
                          + " with the fixed effects absorbed by direct solve",
                          "rows_in_data": len(y_all), "rows_used": n,
                          "rows_dropped_missing": int((~complete).sum())}
    return out


def _nested(code: np.ndarray, cluster: np.ndarray) -> bool:
    """Whether every level of ``code`` lies in one cluster."""
    rep = np.empty(int(code.max()) + 1, dtype=cluster.dtype)
    rep[code] = cluster  # one cluster per level, whichever row wrote last
    return bool((rep[code] == cluster).all())


def _drop_collinear(xd: np.ndarray, names: list[str], out: AbsorbedFit) -> tuple[np.ndarray, list[str], np.ndarray]:
    from pyfixest.core import find_collinear_variables

    if xd.shape[1] == 0:
        raise ModelError("the model has no regressor besides the fixed effects")
    excl, n_excl, all_removed = find_collinear_variables(np.ascontiguousarray(xd.T @ xd, dtype=np.float64),
                                                         COLLIN_TOL)
    if all_removed:
        raise ModelError("every regressor is collinear with the fixed effects")
    excl = np.asarray(excl, dtype=bool)
    if n_excl:
        dropped = [n for n, e in zip(names, excl, strict=True) if e]
        out._warn(f"term(s) {', '.join(map(repr, dropped))} dropped as collinear with the fixed effects")
    return xd[:, ~excl], [n for n, e in zip(names, excl, strict=True) if not e], excl


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y == 0, 0.0, y * np.log(y / mu))
    return float(2 * np.sum(term - (y - mu)))


def _irls(y: np.ndarray, x: np.ndarray, fe: FixedEffects, names: list[str], tol: float, maxiter: int,
          out: AbsorbedFit, start: np.ndarray | None = None,
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool, int, float, list[str]]:
    """The ppmlhdfe iterations (as pyfixest): returns beta, sqrt(w)-scaled demeaned X, sqrt(w)-scaled
    working residuals, the fitted means, convergence, iterations, deviance and the kept names.
    ``start`` replaces ppmlhdfe's starting means, (y + mean(y)) / 2."""
    mu = (y + y.mean()) / 2 if start is None else start
    eta = np.log(mu)
    last = _deviance(y, mu)
    converged = False
    beta = np.zeros(x.shape[1])
    zx = np.empty((len(y), 1 + x.shape[1]))  # the working outcome beside the regressors
    zx[:, 1:] = x
    for it in range(1, maxiter + 1):
        z = eta + y / mu - 1
        w = mu
        zx[:, 0] = z
        res = fe.residualise(zx, w)
        zd, xd = res[:, 0], res[:, 1:]
        if it == 1:
            xd, names, excl = _drop_collinear(xd, names, out)
            zx = zx[:, np.r_[True, ~excl]]
        sw = np.sqrt(w)
        wx, wz = sw[:, None] * xd, sw * zd
        beta = np.linalg.solve(wx.T @ wx, wx.T @ wz)
        resid = zd - xd @ beta
        eta = z - resid
        mu = np.exp(eta)
        dev = _deviance(y, mu)
        crit = abs(dev - last) / (0.1 + abs(last))
        last = dev
        if crit < tol:
            converged = True
            break
    return beta, wx, wz - wx @ beta, mu, converged, it, last, names

"""feglm (PPML and OLS with fixed effects absorbed by direct solve) against pyfixest, against a
Poisson GLM with explicit dummies, and by its first-order conditions on a stacked panel of skewed flows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from detente.exceptions import ModelError, StatisticalWarning
from detente.methods import feglm, poisson

pytestmark = pytest.mark.filterwarnings("ignore::detente.exceptions.StatisticalWarning")


def _pyfixest(method: str, formula: str, data: pd.DataFrame, cluster: str, **kwargs):
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(pf, method)(formula, data=data, vcov={"CRV1": cluster}, **kwargs)


def test_ppml_matches_pyfixest_on_hks(hks) -> None:
    d = hks.dropna(subset=["osvAll", "troopLag", "policeLag"])
    from pyfixest.demeaners import MapDemeaner

    formula = "osvAll ~ troopLag + policeLag | conflict_id + year"
    default = feglm(formula, d, cluster="conflict_id")
    ref = _pyfixest("fepois", formula, d, "conflict_id")
    np.testing.assert_allclose(default.params_.to_numpy(), ref.coef().to_numpy(), rtol=1e-8)
    # the standard errors use the weights of the last iteration: compare both converged tightly
    mine = feglm(formula, d, cluster="conflict_id", tol=1e-13)
    ref = _pyfixest("fepois", formula, d, "conflict_id", iwls_tol=1e-13, demeaner=MapDemeaner(fixef_tol=1e-12))
    assert mine.n_ == ref._N
    np.testing.assert_allclose(mine.params_.to_numpy(), ref.coef().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(mine.standard_errors_.to_numpy(), ref.se().to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(mine.p_values_.to_numpy(), ref.pvalue().to_numpy(), rtol=1e-5)
    # separation: conflicts (and years) without a single killing drop out, as in pyfixest
    assert mine.extra_["rows_separated"] > 0
    assert mine.n_ + mine.extra_["rows_separated"] + mine.extra_["rows_singleton"] == len(d)
    assert mine.clusters_ == d.loc[d.groupby("conflict_id").osvAll.transform("sum") > 0, "conflict_id"].nunique()


def test_ols_matches_pyfixest_on_walter(walter) -> None:
    formula = "lgdpl ~ unpko + fhcompor1 | id + year"
    mine = feglm(formula, walter, family="gaussian", cluster="ccode")
    ref = _pyfixest("feols", formula, walter, "ccode")
    assert mine.n_ == ref._N
    np.testing.assert_allclose(mine.params_.to_numpy(), ref.coef().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(mine.standard_errors_.to_numpy(), ref.se().to_numpy(), rtol=1e-6)
    ci = mine.confidence_intervals_()
    np.testing.assert_allclose(ci.to_numpy(), ref.confint().to_numpy(), rtol=0, atol=1e-6)
    # singleton spells (one country-year) are dropped as pyfixest drops them
    assert mine.extra_["rows_singleton"] == len(walter) - ref._N


def _gravity(seed: int = 3) -> pd.DataFrame:
    """Stacks of four dyads over 15 years; one dyad per stack trades ~10^5 times more than the others."""
    rng = np.random.default_rng(seed)
    rows = []
    for stack in range(40):
        for d in range(4):
            size = 1e5 if d == 0 else rng.uniform(0.5, 5)
            for t in range(15):
                post = int(d == 0 and t >= 7)
                x = rng.normal()
                mu = size * np.exp(0.2 * post + 0.3 * x + 0.05 * t)
                rows.append({"stack_dyad": f"{stack}:{d}", "stack_year": f"{stack}:{t}", "dyad": d + 10 * (stack % 7),
                             "post": post, "x": x, "y": rng.poisson(mu)})
    return pd.DataFrame(rows)


def test_ppml_equals_poisson_glm_with_dummies_under_skewed_weights() -> None:
    # a connected dyad-year panel: two dyads trade ~10^5 times more than the other ten
    rng = np.random.default_rng(5)
    d = pd.DataFrame([(i, t) for i in range(12) for t in range(20)], columns=["dyad", "year"])
    size = np.where(d.dyad < 2, 1e5, rng.uniform(0.5, 5, len(d)))
    d["post"] = ((d.dyad % 3 == 0) & (d.year >= 10)).astype(int)
    d["x"] = rng.normal(size=len(d))
    d["y"] = rng.poisson(size * np.exp(0.2 * d.post + 0.3 * d.x + 0.05 * d.year))
    mine = feglm("y ~ post + x | dyad + year", d)
    dummies = poisson("y ~ post + x + C(dyad) + C(year)", d)
    np.testing.assert_allclose(mine.params_.to_numpy(), dummies.params_[["post", "x"]].to_numpy(), rtol=1e-7)
    # model-based variance: the GLM's, times fixest's small-sample factor (n-1)/(n-k), k counting
    # the regressors and every fixed-effect level but one of the second factor
    n, k = mine.n_, 2 + 12 + 20 - 1
    se = dummies.standard_errors_[["post", "x"]].to_numpy() * np.sqrt((n - 1) / (n - k))
    np.testing.assert_allclose(mine.standard_errors_.to_numpy(), se, rtol=1e-6)
    assert mine.converged_ and mine.iterations_ < 25


def test_ppml_first_order_conditions_hold_on_stacked_skewed_panel() -> None:
    d = _gravity(seed=11)
    fit = feglm("y ~ post + x | stack_dyad + stack_year", d, cluster="dyad", tol=1e-14)
    used = d.iloc[fit.rows_]
    mu, y = fit.fitted_, used.y.to_numpy(dtype=float)
    # the likelihood's first-order conditions: every fixed-effect level and every regressor
    for fe in ("stack_dyad", "stack_year"):
        gap = pd.Series(y - mu).groupby(used[fe].to_numpy()).sum()
        total = pd.Series(y).groupby(used[fe].to_numpy()).sum()
        assert (gap.abs() / total).max() < 1e-8
    x = used[["post", "x"]].to_numpy()
    assert np.all(np.abs(((y - mu)[:, None] * x).sum(axis=0)) / (y[:, None] * np.abs(x)).sum(axis=0) < 1e-8)
    # and the fitted means have the model's form: log mu - x'beta is a dyad effect plus a year effect
    dummies = pd.get_dummies(used[["stack_dyad", "stack_year"]], dtype=float).to_numpy()
    rest = np.log(mu) - x @ fit.params_.to_numpy()
    coef, *_ = np.linalg.lstsq(dummies, rest, rcond=None)
    assert np.abs(dummies @ coef - rest).max() < 1e-8


def test_bad_input_is_refused_with_the_column_named() -> None:
    d = _gravity().head(200)
    with pytest.raises(ModelError, match="negative"):
        feglm("y ~ x | stack_dyad + stack_year", d.assign(y=d.y - 10**6))
    with pytest.raises(ModelError, match="'nope'"):
        feglm("y ~ nope | stack_dyad", d)
    with pytest.raises(ModelError, match="numeric columns only"):
        feglm("y ~ log(x) | stack_dyad", d)
    with pytest.raises(ModelError, match="one or two fixed-effect"):
        feglm("y ~ x | stack_dyad + stack_year + dyad", d)
    with pytest.raises(ModelError, match="family"):
        feglm("y ~ x | stack_dyad", d, family="logit")
    with pytest.raises(ModelError, match="collinear"):
        feglm("y ~ post | stack_dyad + stack_year", d.assign(post=d.stack_dyad.str.endswith(":0").astype(int)))


def test_event_study_equals_pyfixest_with_i_terms(walter) -> None:
    from pyfixest.demeaners import MapDemeaner

    from detente.methods import event_study

    w = walter.join(walter[walter.unpko > 0].groupby("id").year.min().rename("first_pko"), on="id")
    es = event_study(w, outcome="lgdpl", unit="id", time="year", treated_at="first_pko", window=(-3, 3),
                     covariates="fhcompor1 + I(fhcompor1 ** 2)")
    d = w.assign(_rel_time=(w.year - w.first_pko).clip(-3, 3).where(w.first_pko.notna(), -1).astype(int))
    ref = _pyfixest("feols", "lgdpl ~ i(_rel_time, ref=-1) + fhcompor1 + I(fhcompor1 ** 2) | id + year", d, "id",
                    demeaner=MapDemeaner(fixef_tol=1e-12))
    assert list(es.params_.index[:6]) == list(ref.coef().index[:6])
    assert es.n_ == ref._N and es.clusters_ == 61
    np.testing.assert_allclose(es.params_.to_numpy(), ref.coef().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(es.standard_errors_.to_numpy(), ref.se().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(es.p_values_.to_numpy(), ref.pvalue().to_numpy(), rtol=1e-6)
    assert es.pretrend_["df"] == 2 and es.model == "event_study"


def test_starting_means_from_a_nested_model_reach_the_same_estimate_sooner() -> None:
    d = _gravity(seed=4)
    d["later"] = (d.stack_year.str.split(":").str[1].astype(int) >= 10).astype(int) * d.post
    small = feglm("y ~ post + x | stack_dyad + stack_year", d)
    d["start"] = np.nan
    d.loc[d.index[small.rows_], "start"] = small.fitted_
    cold = feglm("y ~ post + later + x | stack_dyad + stack_year", d, tol=1e-12)
    warm = feglm("y ~ post + later + x | stack_dyad + stack_year", d, tol=1e-12, start="start")
    np.testing.assert_allclose(warm.params_.to_numpy(), cold.params_.to_numpy(), rtol=1e-9)
    assert warm.iterations_ < cold.iterations_
    with pytest.warns(StatisticalWarning, match="default start"):
        bad = feglm("y ~ post + x | stack_dyad + stack_year", d.assign(start=-1.0), start="start")
    np.testing.assert_allclose(bad.params_.to_numpy(), small.params_.to_numpy(), rtol=1e-12)

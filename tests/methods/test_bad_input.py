"""Bad input gives a clear error naming the column, or a warning in the result - never a silent
number."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from detente.exceptions import ModelError, StatisticalWarning
from detente.methods import (
    cox,
    discrete_hazard,
    event_study,
    feols,
    km,
    logit,
    negbin,
    ols,
    poisson,
    read_table,
)


@pytest.fixture()
def df() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 200
    x = rng.normal(size=n)
    return pd.DataFrame({
        "y": (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int),
        "x": x,
        "z": rng.normal(size=n),
        "g": np.repeat(np.arange(40), 5),
        "t": rng.exponential(5, size=n) + 0.1,
        "d": (rng.random(n) < 0.6).astype(int),
        "count": rng.poisson(3, size=n),
    })


def test_missing_column_is_named(df) -> None:
    with pytest.raises(ModelError, match="'nosuch'"):
        logit("y ~ x + nosuch", df)
    with pytest.raises(ModelError, match="did you mean 'z'"):
        ols("y ~ zz", df)
    with pytest.raises(ModelError, match="'nosuch' \\(cluster\\)"):
        logit("y ~ x", df, cluster="nosuch")
    with pytest.raises(ModelError, match="'dur' \\(duration\\)"):
        cox("x", df, duration="dur", event="d")
    with pytest.raises(ModelError, match="'zz'"):
        feols("y ~ x | zz", df)


def test_event_not_binary(df) -> None:
    with pytest.raises(ModelError, match="event column 'count' must be 0/1"):
        cox("x", df, duration="t", event="count")
    with pytest.raises(ModelError, match="outcome column 'count' must be 0/1"):
        logit("count ~ x", df)
    with pytest.raises(ModelError, match="event column 'count' must be 0/1"):
        km("1", df, duration="t", event="count")


def test_bad_times(df) -> None:
    bad = df.assign(start=df.t + 1)
    with pytest.raises(ModelError, match="not after entry column 'start'"):
        cox("x", bad, entry="start", duration="t", event="d")
    with pytest.raises(ModelError, match="must be positive"):
        cox("x", df.assign(t=-df.t), duration="t", event="d")


def test_count_outcome_checked(df) -> None:
    with pytest.raises(ModelError, match="non-negative whole counts"):
        poisson("x ~ z", df)


def test_perfect_separation_names_the_column(df) -> None:
    sep = df.assign(s=df.y)
    with pytest.raises(ModelError, match=r"perfect separation.*'s'"):
        logit("y ~ s", sep)


def test_quasi_separation_is_a_warning_in_the_result(df) -> None:
    q = df.copy()
    q["s"] = 0
    q.loc[q.index[:10], "s"] = 1
    q.loc[q.index[:10], "y"] = 1
    with pytest.warns(StatisticalWarning, match="quasi-complete separation"):
        fit = logit("y ~ x + s", q)
    assert any("'s'" in w for w in fit.warnings_)
    assert "quasi-complete" in fit.to_dict()["warnings"][0]


def test_too_few_events(df) -> None:
    none = df.assign(d=0)
    with pytest.raises(ModelError, match="no events"):
        cox("x", none, duration="t", event="d")
    few = df.assign(d=0)
    few.loc[few.index[:3], "d"] = 1
    with pytest.warns(StatisticalWarning, match="only 3 events"):
        fit = cox("x + z", few, duration="t", event="d")
    assert any("fewer than 10 per coefficient" in w for w in fit.warnings_)
    with pytest.raises(ModelError, match="nothing to model"):
        logit("y ~ x", df.assign(y=1))


def test_collinear_terms_refused(df) -> None:
    with pytest.raises(ModelError, match=r"'x2'.*collinear"):
        logit("y ~ x + x2", df.assign(x2=2 * df.x))
    with pytest.raises(ModelError, match="collinear"):
        cox("x + x2", df.assign(x2=df.x + 1), duration="t", event="d")


def test_monotone_likelihood_warns_in_cox(df) -> None:
    m = df.copy()
    m["s"] = 0
    m.loc[m.d == 1, "s"] = (np.arange((m.d == 1).sum()) % 2).astype(int)
    # s = 1 only among rows that have the event and never among the censored ones.
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        fit = cox("x + s", m, duration="t", event="d")
    if abs(fit.params_["s"]) > 5:
        assert any("monotone likelihood" in w or "infinite" in w for w in fit.warnings_)


def test_missing_rows_are_reported(df) -> None:
    m = df.copy()
    m.loc[m.index[:7], "x"] = np.nan
    with pytest.warns(StatisticalWarning, match="7 of 200 rows dropped"):
        fit = logit("y ~ x", m)
    assert fit.specification_["rows_dropped_missing"] == 7
    assert fit.specification_["dropped_by_column"] == {"x": 7}


def test_formula_shape(df) -> None:
    with pytest.raises(ModelError, match="right-hand side only"):
        cox("t ~ x", df, duration="t", event="d")
    with pytest.raises(ModelError, match="has no outcome"):
        logit("x + z", df)


def test_infinite_transform(df) -> None:
    with pytest.raises(ModelError, match="infinite or undefined"):
        ols("y ~ np.log(x)", df.assign(x=np.abs(df.x).where(df.index > 0, 0)))


def test_few_clusters_warn(df) -> None:
    with pytest.warns(StatisticalWarning, match="only 4 clusters"):
        logit("y ~ x", df.assign(g=df.g % 4), cluster="g")


def test_small_sample_convention_checked(df) -> None:
    with pytest.raises(ModelError, match="small-sample convention"):
        logit("y ~ x", df, cluster="g", small_sample="HC3")


def test_discrete_hazard_and_event_study_inputs(df) -> None:
    with pytest.raises(ModelError, match="'period' \\(time\\)"):
        discrete_hazard("y ~ x", df, time="period")
    with pytest.raises(ModelError, match="time_terms"):
        discrete_hazard("y ~ x", df, time="t", time_terms="quartic")
    with pytest.raises(ModelError, match="'first'"):
        event_study(df, outcome="x", unit="g", time="t", treated_at="first")
    with pytest.raises(ModelError, match="no unit is ever treated"):
        event_study(df.assign(first=np.nan, yr=df.index % 5), outcome="x", unit="g", time="yr", treated_at="first")


def test_negbin_without_overdispersion_warns() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=3000)
    # Under-dispersed counts (variance below the mean): the NB likelihood rises without bound in theta.
    d = pd.DataFrame({"x": x, "y": 3 + (x > 0).astype(int)})
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        fit = negbin("y ~ x", d)
    assert fit.extra_["theta"] > 1e6
    assert any("no overdispersion" in w for w in fit.warnings_)


def test_read_table_errors(tmp_path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    p = tmp_path / "x.xlsx"
    p.write_text("a")
    with pytest.raises(ModelError, match="unsupported format"):
        read_table(p)

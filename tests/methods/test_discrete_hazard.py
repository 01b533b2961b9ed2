"""Discrete-time hazard: the time terms are built whatever the time column is called.

A time column named ``t`` used to end in formulaic's ``NameError: name 't' is not defined`` on
``bs(t, df=3)``: the arguments of stateful transforms are not among a formula's required variables,
so the column was left out of the model frame. The fits below are compared with the same logit on an
explicitly built basis.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix

from detente.methods import discrete_hazard, logit


@pytest.fixture()
def spells() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n_units, periods = 120, 12
    t = np.tile(np.arange(1, periods + 1), n_units)
    x = rng.normal(size=t.size)
    p = 1 / (1 + np.exp(-(-2.0 + 0.5 * x - 0.08 * t)))
    return pd.DataFrame({"event": (rng.random(t.size) < p).astype(int), "x": x, "t": t,
                         "unit": np.repeat(np.arange(n_units), periods)})


def _explicit(data: pd.DataFrame, time: str, basis: str) -> pd.Series:
    """The same logit with the time basis materialised as plain columns."""
    mm = model_matrix(basis, data.rename(columns={time: "tt"}))
    cols = [c for c in mm.columns if c != "Intercept"]
    frame = pd.DataFrame(mm[cols].to_numpy(), columns=[f"b{i}" for i in range(len(cols))])
    frame["event"], frame["x"], frame["unit"] = data["event"].to_numpy(), data["x"].to_numpy(), data["unit"]
    fit = logit("event ~ x + " + " + ".join(frame.columns[: len(cols)]), frame, cluster="unit")
    return fit.params_


@pytest.mark.parametrize("name", ["t", "time", "time at risk", "t.1"])
def test_spline_time_whatever_its_name(spells: pd.DataFrame, name: str) -> None:
    data = spells.rename(columns={"t": name})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either
        fit = discrete_hazard("event ~ x", data, time=name, time_terms="spline", df=3, cluster="unit")
    expected = _explicit(data, name, "bs(tt, df=3)")
    np.testing.assert_allclose(fit.params_.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert fit.specification_["time"] == name and fit.specification_["spline_df"] == 3
    assert fit.n_ == len(spells) and fit.clusters_ == 120


@pytest.mark.parametrize("terms", ["cubic", "linear", "dummies", "spline"])
def test_time_terms_with_t_and_an_intercept_only_model(spells: pd.DataFrame, terms: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one dummy per period: fewer than 10 events per term
        fit = discrete_hazard("event ~ 1", spells, time="t", time_terms=terms, cluster="unit")
    assert np.isfinite(fit.standard_errors_).all()
    assert fit.specification_["time_terms"] == terms


def test_spline_time_with_missing_values(spells: pd.DataFrame) -> None:
    data = spells.astype({"t": float})
    data.loc[::10, "t"] = np.nan
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        fit = discrete_hazard("event ~ x", data, time="t", time_terms="spline", cluster="unit")
    assert fit.n_ == int(data["t"].notna().sum())
    assert fit.specification_["dropped_by_column"] == {"t": int(data["t"].isna().sum())}

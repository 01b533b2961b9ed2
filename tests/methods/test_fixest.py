"""feols and the event study agree with least squares on explicit dummies."""

from __future__ import annotations

import numpy as np
import pytest

from detente.methods import event_study, feols, ols

pytestmark = pytest.mark.filterwarnings("ignore::detente.exceptions.StatisticalWarning")


def test_feols_equals_ols_with_dummies(walter) -> None:
    w = walter[walter.groupby("id").id.transform("size") > 1]
    fe = feols("lgdpl ~ unpko + fhcompor1 | id + year", w, cluster="ccode")
    dummies = ols("lgdpl ~ unpko + fhcompor1 + C(id) + C(year)", w)
    np.testing.assert_allclose(fe.params_[["unpko", "fhcompor1"]], dummies.params_[["unpko", "fhcompor1"]], rtol=1e-8)
    assert fe.clusters_ == w.ccode.nunique()
    assert fe.tidy().se_type.str.contains("CRV1").all()


def test_event_study_reference_and_pretrend(walter) -> None:
    w = walter.copy()
    first = w[w.unpko > 0].groupby("id").year.min().rename("first_pko")
    w = w.join(first, on="id")
    es = event_study(w, outcome="lgdpl", unit="id", time="year", treated_at="first_pko", window=(-3, 3))
    terms = list(es.params_.index)
    assert not any(t.endswith("::-1") for t in terms)  # the reference period
    assert len(terms) == 6
    assert es.pretrend_["df"] == 2 and 0 <= es.pretrend_["p_value"] <= 1
    assert es.specification_["reference_period"] == -1

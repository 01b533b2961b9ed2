"""The reference distributions evaluated with scipy.special agree with scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from detente.methods import _dist


def test_tails_and_quantiles_are_scipy_stats_values() -> None:
    x = np.random.default_rng(0).normal(size=500) * 4
    np.testing.assert_array_equal(_dist.t_sf(x, 7.5), stats.t.sf(x, 7.5))
    np.testing.assert_array_equal(_dist.t_ppf([0.025, 0.5, 0.975], 12), stats.t.ppf([0.025, 0.5, 0.975], 12))
    np.testing.assert_array_equal(_dist.chi2_sf(np.abs(x), 3), stats.chi2.sf(np.abs(x), 3))
    np.testing.assert_array_equal(_dist.f_sf(np.abs(x), 4, 60), stats.f.sf(np.abs(x), 4, 60))
    np.testing.assert_array_equal(_dist.norm_sf(x), stats.norm.sf(x))
    np.testing.assert_array_equal(_dist.norm_cdf(x), stats.norm.cdf(x))
    np.testing.assert_array_equal(_dist.norm_ppf([1e-12, 0.3, 0.975]), stats.norm.ppf([1e-12, 0.3, 0.975]))
    np.testing.assert_allclose(_dist.norm_pdf(x), stats.norm.pdf(x), rtol=1e-14)


def test_rankdata_averages_ties() -> None:
    v = np.random.default_rng(1).integers(0, 15, 300).astype(float)
    np.testing.assert_array_equal(_dist.rankdata(v), stats.rankdata(v))
    np.testing.assert_array_equal(_dist.rankdata([3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0])


@pytest.mark.parametrize("table", [(0, 5, 0, 7), (3, 1, 1, 3), (12, 88, 4, 96), (250, 40, 170, 300), (7, 0, 0, 9)])
def test_fisher_greater_is_scipys_one_sided_test(table: tuple[int, int, int, int]) -> None:
    a, b, c, d = table
    expected = stats.fisher_exact([[a, b], [c, d]], alternative="greater").pvalue
    assert _dist.fisher_greater(a, b, c, d) == pytest.approx(expected, rel=1e-10, abs=1e-300)

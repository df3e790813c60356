"""Cochran's Q and I² (ttstats.stats.heterogeneity), against hand-worked values and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ttstats.stats import cochran_q


def test_three_groups_worked_by_hand() -> None:
    # y = (0.10, 0.30, -0.05), v = (0.01, 0.02, 0.015): w = (100, 50, 200/3), sum w = 650/3,
    # sum w y = 10 + 15 - 10/3 = 65/3, so the pooled mean is 0.1 and
    # Q = 100 * 0 + 50 * 0.2^2 + (200/3) * 0.15^2 = 2 + 1.5 = 3.5 on 2 df;
    # I^2 = (3.5 - 2) / 3.5 = 3/7; p = exp(-3.5/2) (the chi-square with 2 df is exponential).
    res = cochran_q([0.10, 0.30, -0.05], [0.01, 0.02, 0.015])
    assert float(res.statistic) == pytest.approx(3.5, rel=1e-13)
    assert float(res.df) == 2.0 and float(res.groups) == 3.0
    assert float(res.pooled) == pytest.approx(0.1, rel=1e-13)
    assert float(res.i_squared) == pytest.approx(3 / 7, rel=1e-13)
    assert float(res.pvalue) == pytest.approx(np.exp(-1.75), rel=1e-12)
    assert res.reason.item() == ""


def test_no_spread_beyond_chance_gives_zero_i_squared() -> None:
    # y = (0.1, 0.2), v = (0.01, 0.01): pooled 0.15,
    # Q = 2 * 0.05^2 / 0.01 = 0.5 < df = 1, so I^2 = 0; p from scipy's chi2 with 1 df.
    res = cochran_q([0.1, 0.2], [0.01, 0.01])
    assert float(res.statistic) == pytest.approx(0.5, rel=1e-13)
    assert float(res.i_squared) == 0.0
    assert float(res.pvalue) == pytest.approx(stats.chi2.sf(0.5, 1), rel=1e-12)


def test_groups_without_a_weight_do_not_count_and_cells_are_vectorised() -> None:
    y = np.array([[0.10, 0.30, -0.05, np.nan], [0.10, 0.30, -0.05, 0.7], [0.2, np.nan, 0.1, 0.0]])
    v = np.array([[0.01, 0.02, 0.015, 0.01], [0.01, 0.02, 0.015, 0.0], [0.01, 0.02, np.inf, 0.1]])
    res = cochran_q(y, v)
    # rows 0 and 1 reduce to the hand-worked three groups; row 2 keeps (0.2, 0.0) only
    np.testing.assert_allclose(res.statistic[:2], 3.5, rtol=1e-13)
    np.testing.assert_array_equal(res.groups, [3, 3, 2])
    w = np.array([100.0, 10.0])
    pooled = (w * [0.2, 0.0]).sum() / w.sum()
    q = (w * (np.array([0.2, 0.0]) - pooled) ** 2).sum()
    assert res.statistic[2] == pytest.approx(q, rel=1e-13)
    col = cochran_q(y.T, v.T, axis=0)
    np.testing.assert_allclose(col.statistic, res.statistic, rtol=1e-15)


def test_fewer_than_two_groups_is_undefined() -> None:
    res = cochran_q([[0.1, np.nan], [0.1, 0.2]], [[0.01, 0.01], [0.0, 0.01]])
    assert np.isnan(res.statistic).all() and np.isnan(res.pvalue).all()
    assert (res.reason != "").all()
    with pytest.raises(ValueError, match="variance"):
        cochran_q([0.1, 0.2], [0.01, -0.01])
    with pytest.raises(ValueError, match="axis"):
        cochran_q([0.1, 0.2], [0.01, 0.01], axis=2)

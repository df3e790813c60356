"""Adjusted p-values (ttstats.stats.multiple); the reference is statsmodels' multipletests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from statsmodels.stats.multitest import multipletests

from ttstats.stats import adjust_pvalues

METHODS = ["bonferroni", "holm", "fdr_bh"]


@pytest.mark.parametrize("method", METHODS)
def test_matches_statsmodels_per_family(method: str) -> None:
    # Source: statsmodels multipletests(p, method=...)[1], one family (row) at a time.
    rng = np.random.default_rng(5)
    p = rng.random((6, 9)) ** 3
    p[2, 4] = p[2, 5]  # a tie
    p[3] = 1.0
    got = adjust_pvalues(p, method=method)  # type: ignore[arg-type]
    for i, row in enumerate(p):
        np.testing.assert_allclose(got[i], multipletests(row, method=method)[1], rtol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_nan_is_kept_and_not_counted(method: str) -> None:
    # Source: statsmodels multipletests on the non-NaN entries only (m = 4, not 6); statsmodels
    # itself would turn the whole fdr_bh family into NaN.
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan, 0.2])
    got = adjust_pvalues(p, method=method)  # type: ignore[arg-type]
    keep = ~np.isnan(p)
    assert np.isnan(got[~keep]).all()
    np.testing.assert_allclose(got[keep], multipletests(p[keep], method=method)[1], rtol=1e-12)


def test_axis_and_hand_values() -> None:
    # By hand, family [0.01, 0.04, 0.03] (m = 3), sorted 0.01, 0.03, 0.04:
    # holm 3*0.01 = 0.03, max(0.03, 2*0.03) = 0.06, max(0.06, 1*0.04) = 0.06;
    # fdr_bh 0.04*3/3 = 0.04, min(0.04, 0.03*3/2 = 0.045) = 0.04, min(0.04, 0.01*3) = 0.03.
    p = np.array([[0.01, 0.5], [0.04, 0.5], [0.03, np.nan]])  # families along axis 0
    holm = adjust_pvalues(p, method="holm", axis=0)
    np.testing.assert_allclose(holm[:, 0], [0.03, 0.06, 0.06], rtol=1e-12)
    np.testing.assert_allclose(holm[:2, 1], [1.0, 1.0])
    assert np.isnan(holm[2, 1])
    bh = adjust_pvalues(p, method="fdr_bh", axis=0)
    np.testing.assert_allclose(bh[:, 0], [0.03, 0.04, 0.04], rtol=1e-12)
    np.testing.assert_allclose(bh[:2, 1], [0.5, 0.5])
    all_nan = adjust_pvalues([np.nan, np.nan])
    assert np.isnan(all_nan).all()


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="method"):
        adjust_pvalues([0.1], method="sidak")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^p"):
        adjust_pvalues([0.1, 1.2])
    with pytest.raises(ValueError, match="axis"):
        adjust_pvalues([0.1, 0.2], axis=1)
    for bad in (None, 1.0, True):
        with pytest.raises(ValueError, match="axis must be an integer"):
            adjust_pvalues(np.full((2, 3), 0.1), axis=bad)  # type: ignore[arg-type]


pvalues = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=8),
    elements=st.one_of(st.floats(0, 1), st.just(np.nan)),
)


@settings(max_examples=80, deadline=None)
@given(pvalues)
def test_property_orderings(p: np.ndarray) -> None:
    # raw <= holm <= bonferroni; fdr_bh <= holm; all in [0, 1]; NaN exactly where the input is.
    bonf, holm, bh = (adjust_pvalues(p, method=m) for m in METHODS)  # type: ignore[arg-type]
    nan = np.isnan(p)
    for adj in (bonf, holm, bh):
        assert (np.isnan(adj) == nan).all()
        assert ((adj[~nan] >= 0) & (adj[~nan] <= 1)).all()
    tol = 1e-12
    assert (p[~nan] <= holm[~nan] + tol).all()
    assert (holm[~nan] <= bonf[~nan] + tol).all()
    assert (bh[~nan] <= holm[~nan] + tol).all()
    assert (p[~nan] <= bh[~nan] + tol).all()

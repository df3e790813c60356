"""Tests of p_t = p_c and the sample-ratio test (ttstats.stats.hypothesis_tests).

Every expected number names its source: scipy (``fisher_exact``, ``chi2_contingency``,
``ttest_ind_from_stats``, ``chisquare``), statsmodels (``proportions_ztest``), or a closed form
worked by hand in the comment.
"""

from __future__ import annotations

import math
import warnings
from decimal import Decimal, getcontext
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats.proportion import proportions_ztest

from ttstats.stats import proportion_test, sample_ratio_test

SMALL = [(0, 1), (1, 1), (0, 4), (1, 4), (3, 4), (4, 4), (2, 9), (7, 9), (0, 30), (13, 30)]
ROWS = [(xt, nt, xc, nc) for xt, nt in SMALL for xc, nc in SMALL] + [
    (1030, 9955, 821, 8655),
    (5, 1000, 0, 1000),
    (1000, 1000, 990, 1000),
    (355, 4003, 377, 4008),
    (45, 20_000, 70, 20_000),
    (51_234, 1_000_000, 50_321, 1_000_000),
    (999_500, 1_000_000, 999_300, 1_000_000),
    (2_345_678, 40_000_000, 2_351_234, 40_000_000),
]
ARR = np.array(ROWS, dtype=float)
XT, NT, XC, NC = ARR.T
ALTS = ["two-sided", "less", "greater"]
SM_ALT = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _pooled_degenerate() -> np.ndarray:
    s = XT + XC
    return (s == 0) | (s == NT + NC)


@pytest.mark.parametrize("alternative", ALTS)
def test_z_matches_statsmodels(alternative: str) -> None:
    # Source: statsmodels proportions_ztest (pooled variance), treatment listed first.
    res = proportion_test(XT, NT, XC, NC, method="z", alternative=alternative)  # type: ignore[arg-type]
    bad = _pooled_degenerate()
    assert np.isnan(res.pvalue[bad]).all()
    assert (res.reason[bad] != "").all()
    for i in np.flatnonzero(~bad):
        z, p = proportions_ztest([XT[i], XC[i]], [NT[i], NC[i]], alternative=SM_ALT[alternative])
        assert res.statistic[i] == pytest.approx(z, rel=1e-10, abs=1e-12)
        assert res.pvalue[i] == pytest.approx(p, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize(("method", "correction"), [("chi2", False), ("yates", True)])
def test_chi2_matches_scipy_chi2_contingency(method: str, correction: bool) -> None:
    # Source: scipy.stats.chi2_contingency on the 2x2 table, with and without Yates.
    res = proportion_test(XT, NT, XC, NC, method=method)  # type: ignore[arg-type]
    bad = _pooled_degenerate()
    assert np.isnan(res.pvalue[bad]).all()
    for i in np.flatnonzero(~bad):
        table = [[XT[i], NT[i] - XT[i]], [XC[i], NC[i] - XC[i]]]
        ref = stats.chi2_contingency(table, correction=correction)
        assert res.statistic[i] == pytest.approx(ref.statistic, rel=1e-10, abs=1e-12)
        assert res.pvalue[i] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)


def test_chi2_is_two_sided_only() -> None:
    with pytest.raises(ValueError, match="alternative"):
        proportion_test(1, 10, 2, 10, method="chi2", alternative="greater")


@pytest.mark.parametrize("alternative", ALTS)
def test_fisher_matches_scipy(alternative: str) -> None:
    # Source: scipy.stats.fisher_exact, table [[x_t, n_t - x_t], [x_c, n_c - x_c]].
    res = proportion_test(XT, NT, XC, NC, method="fisher", alternative=alternative)  # type: ignore[arg-type]
    assert (res.reason == "").all()
    for i in range(len(XT)):
        table = np.array([[XT[i], NT[i] - XT[i]], [XC[i], NC[i] - XC[i]]], dtype=np.int64)
        ref = stats.fisher_exact(table, alternative=alternative)
        assert res.pvalue[i] == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-300)
        np.testing.assert_equal(res.statistic[i], ref.statistic)


def test_fisher_random_tables_match_scipy() -> None:
    # Source: scipy.stats.fisher_exact one table at a time; ours in one vectorised call.
    rng = np.random.default_rng(11)
    nt = rng.integers(1, 80, 400)
    nc = rng.integers(1, 80, 400)
    xt, xc = rng.integers(0, nt + 1), rng.integers(0, nc + 1)
    res = proportion_test(xt, nt, xc, nc, method="fisher")
    ref = [
        stats.fisher_exact([[a, b - a], [c, d - c]]).pvalue
        for a, b, c, d in zip(xt, nt, xc, nc, strict=False)
    ]
    np.testing.assert_allclose(res.pvalue, ref, rtol=1e-10, atol=1e-300)


def test_fisher_mirror_tables_of_symmetric_designs() -> None:
    # Regression: with n_t = n_c the mirror table is exactly as likely as the observed one and
    # must be counted (a log-scale comparison alone dropped it and halved the p-value).
    # Source: scipy.stats.fisher_exact.
    rows = np.array([(0, 97, 97, 97), (20, 58, 58, 58), (19, 269, 269, 269), (3, 10, 7, 10)])
    res = proportion_test(*rows.T.astype(float), method="fisher")
    for i, (a, b, c, d) in enumerate(rows):
        ref = stats.fisher_exact([[a, b - a], [c, d - c]]).pvalue
        assert res.pvalue[i] == pytest.approx(ref, rel=1e-12, abs=1e-300)


def test_fisher_stops_where_its_cost_would_explode() -> None:
    """scipy's hypergeometric pmf costs time in proportion to the entries (0.25 s a call at
    1e9): above 100,000,000 entries the exact test is NaN with a reason, at the limit it runs.
    Source for the table at the limit: scipy.stats.fisher_exact."""
    res = proportion_test([10.0, 10.0], [1e11, 5e6], [3.0, 3.0], [1e11, 5e6], method="fisher")
    assert np.isnan(res.pvalue[0]) and np.isnan(res.statistic[0])
    assert res.reason[0].startswith("more than 100,000,000 entries: Fisher's exact test")
    ref = stats.fisher_exact([[10, 5e6 - 10], [3, 5e6 - 3]]).pvalue
    assert res.pvalue[1] == pytest.approx(ref, rel=1e-12) and res.reason[1] == ""


@pytest.mark.parametrize("alternative", ALTS)
def test_adobe_matches_scipy_welch(alternative: str) -> None:
    # Source: scipy.stats.ttest_ind_from_stats(equal_var=False) with the 0/1 outcomes'
    # mean p and unbiased standard deviation sqrt(p(1-p) n/(n-1)).
    res = proportion_test(XT, NT, XC, NC, method="adobe", alternative=alternative)  # type: ignore[arg-type]
    pt, pc = XT / NT, XC / NC
    with np.errstate(divide="ignore", invalid="ignore"):
        st_, sc_ = np.sqrt(pt * (1 - pt) * NT / (NT - 1)), np.sqrt(pc * (1 - pc) * NC / (NC - 1))
    bad = (NT < 2) | (NC < 2) | ((st_ == 0) & (sc_ == 0))
    assert np.isnan(res.pvalue[bad]).all()
    assert (res.reason[bad] != "").all()
    for i in np.flatnonzero(~bad):
        ref = stats.ttest_ind_from_stats(
            pt[i], st_[i], NT[i], pc[i], sc_[i], NC[i], equal_var=False, alternative=alternative
        )
        assert res.statistic[i] == pytest.approx(ref.statistic, rel=1e-10)
        assert res.pvalue[i] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)


def test_tt_legacy_worked_example() -> None:
    # Test&Target 2009 worked example: control 377 of 4,008, alternative 355 of 4,003.
    # By hand: p_c = 377/4008 = 0.0940619, p_t = 355/4003 = 0.0886835;
    # var_c = p_c(1-p_c) = 0.0852142, var_t = 0.0808187;
    # SE = sqrt(0.0852142/4008 + 0.0808187/4003) = sqrt(2.12610e-5 + 2.01895e-5) = 0.00643821;
    # t = (0.0886835 - 0.0940619)/0.00643821 = -0.835385, df = 4008 + 4003 - 2 = 8009;
    # two-sided p = 2 * (1 - T_8009(0.835385)) = 0.403526, confidence 1 - p = 0.596474
    # (one-sided, "alternative is worse": 0.798237).
    res = proportion_test(355, 4003, 377, 4008, method="tt_legacy")
    assert float(res.statistic) == pytest.approx(-0.835385, abs=1e-6)
    assert float(res.pvalue) == pytest.approx(0.403526, abs=1e-6)
    assert 1 - float(res.pvalue) == pytest.approx(0.596474, abs=1e-6)
    less = proportion_test(355, 4003, 377, 4008, method="tt_legacy", alternative="less")
    assert 1 - float(less.pvalue) == pytest.approx(0.798237, abs=1e-6)


def test_tt_legacy_closed_form_over_grid() -> None:
    # Source: the T&T formula by hand, p-value from scipy.stats.t with n_t + n_c - 2 df.
    res = proportion_test(XT, NT, XC, NC, method="tt_legacy")
    pt, pc = XT / NT, XC / NC
    se = np.sqrt(pc * (1 - pc) / NC + pt * (1 - pt) / NT)
    ok = (se > 0) & (NT + NC > 2)
    t = (pt[ok] - pc[ok]) / se[ok]
    np.testing.assert_allclose(res.statistic[ok], t, rtol=1e-12)
    p = 2 * stats.t.sf(np.abs(t), NT[ok] + NC[ok] - 2)
    np.testing.assert_allclose(res.pvalue[ok], p, rtol=1e-9)
    assert np.isnan(res.pvalue[~ok]).all()
    assert (res.reason[~ok] != "").all()


def test_one_of_one_vs_zero_of_one_p_not_zero() -> None:
    # Regression: 1/1 vs 0/1. z by hand: pooled 0.5, SE = sqrt(0.25 * 2) = 0.707107,
    # z = 1.414214, p = 2(1 - Phi(1.414214)) = 0.157299. Fisher (scipy): p = 1.
    z = proportion_test(1, 1, 0, 1)
    assert float(z.pvalue) == pytest.approx(0.157299, abs=1e-6)
    assert float(proportion_test(1, 1, 0, 1, method="fisher").pvalue) == 1.0
    for method in ("adobe", "tt_legacy"):  # t would be infinite: NaN with a reason, never 0
        res = proportion_test(1, 1, 0, 1, method=method)  # type: ignore[arg-type]
        assert np.isnan(res.pvalue)
        assert res.reason.item() != ""


def test_control_zero_still_tested() -> None:
    # Regression: control 0/1000 vs 5/1000 has a p-value. Source: statsmodels
    # proportions_ztest([5, 0], [1000, 1000]); scipy fisher_exact([[5, 995], [0, 1000]]).
    z = proportion_test(5, 1000, 0, 1000)
    ref = proportions_ztest([5, 0], [1000, 1000])
    assert float(z.pvalue) == pytest.approx(ref[1], rel=1e-10)
    f = proportion_test(5, 1000, 0, 1000, method="fisher")
    assert float(f.pvalue) == pytest.approx(stats.fisher_exact([[5, 995], [0, 1000]]).pvalue)
    adobe = proportion_test(5, 1000, 0, 1000, method="adobe")
    assert 0 < float(adobe.pvalue) < 0.1
    assert adobe.reason.item() == ""


def test_all_converted_vs_almost_all_not_zeros() -> None:
    # Regression: 1000/1000 vs 990/1000. Welch by hand: s_t = 0, s_c^2/n_c = 0.99*0.01/999,
    # t = 0.01/sqrt(9.90991e-6) = 3.17660, df = n_c - 1 = 999.
    res = proportion_test(1000, 1000, 990, 1000, method="adobe")
    assert float(res.statistic) == pytest.approx(0.01 / math.sqrt(0.0099 / 999), rel=1e-10)
    assert float(res.pvalue) == pytest.approx(2 * stats.t.sf(float(res.statistic), 999), 1e-9)
    for method in ("z", "chi2", "yates", "fisher", "tt_legacy"):
        r = proportion_test(1000, 1000, 990, 1000, method=method)  # type: ignore[arg-type]
        assert 0 < float(r.pvalue) < 0.05
        assert r.reason.item() == ""


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="method"):
        proportion_test(1, 2, 1, 2, method="t")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alternative"):
        proportion_test(1, 2, 1, 2, alternative="larger")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^n_c"):
        proportion_test(1, 2, 1, -2)


def test_reasons_broadcast() -> None:
    res = proportion_test([[1], [np.nan]], [10, 0], 3, 10)
    assert res.reason.tolist() == [
        ["", "treatment: no entries (n = 0)"],
        ["treatment: missing input (NaN)"] * 2,
    ]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 3000)] * 4), min_size=1, max_size=20))
def test_property_one_sided_halves(rows: list[tuple[int, int, int, int]]) -> None:
    # Property: for the symmetric z test, the two one-sided p-values add to 1 and the
    # two-sided one is twice the smaller; p-values lie in [0, 1].
    a = np.array(rows, dtype=float)
    nt, nc = a[:, 0] + a[:, 1] + 1, a[:, 2] + a[:, 3] + 1
    xt, xc = a[:, 0], a[:, 2]
    two = proportion_test(xt, nt, xc, nc)
    less = proportion_test(xt, nt, xc, nc, alternative="less")
    greater = proportion_test(xt, nt, xc, nc, alternative="greater")
    ok = two.reason == ""
    np.testing.assert_allclose(less.pvalue[ok] + greater.pvalue[ok], 1.0, rtol=1e-12)
    np.testing.assert_allclose(
        two.pvalue[ok], 2 * np.minimum(less.pvalue[ok], greater.pvalue[ok]), rtol=1e-9
    )
    for method in ("z", "chi2", "yates", "fisher", "adobe", "tt_legacy"):
        p = proportion_test(xt, nt, xc, nc, method=method).pvalue  # type: ignore[arg-type]
        assert ((p >= 0) & (p <= 1) | np.isnan(p)).all()


# ------------------------------------------------------------------------------------------
# sample_ratio_test
# ------------------------------------------------------------------------------------------
def test_srm_matches_scipy_chisquare() -> None:
    # Source: scipy.stats.chisquare(f_obs, f_exp) per family.
    entries = np.array([[5000, 5200], [5000, 5000], [4000, 6100], [1, 0]], dtype=float)
    res = sample_ratio_test(entries)
    for i, row in enumerate(entries):
        ref = stats.chisquare(row)
        assert res.statistic[i] == pytest.approx(ref.statistic, rel=1e-12, abs=1e-15)
        assert res.pvalue[i] == pytest.approx(ref.pvalue, rel=1e-10)


def test_srm_weights_and_axis() -> None:
    # Source: scipy.stats.chisquare with f_exp = total * w / sum(w); arms on axis 0.
    entries = np.array([[2400, 3000, 11], [2600, 7000, 9], [5000, 10_000, 40]], dtype=float)
    w = [1, 1, 2]
    res = sample_ratio_test(entries, w, axis=0)
    assert res.pvalue.shape == (3,)
    for j in range(3):
        col = entries[:, j]
        ref = stats.chisquare(col, col.sum() * np.array(w) / 4)
        assert res.statistic[j] == pytest.approx(ref.statistic, rel=1e-12)
        assert res.pvalue[j] == pytest.approx(ref.pvalue, rel=1e-10)


def test_srm_undefined_and_invalid() -> None:
    res = sample_ratio_test([[0, 0], [np.nan, 4]])
    assert res.reason.tolist() == ["no entries in any arm (total = 0)", "missing input (NaN)"]
    assert np.isnan(res.pvalue).all()
    with pytest.raises(ValueError, match="two arms"):
        sample_ratio_test([[5], [6]])
    with pytest.raises(ValueError, match="weights"):
        sample_ratio_test([5, 6], [1, 0])
    with pytest.raises(ValueError, match="weights"):
        sample_ratio_test([5, 6], [1, 2, 3])


# -- last digits near a rate of 1 (Display mboxes runs at 92-100%) ----------------------------
def _exact_statistics(xt: int, nt: int, xc: int, nc: int) -> dict[str, Decimal]:
    """z, chi2, Yates and tt_legacy's t in exact rational arithmetic (a 50-digit square root)."""
    getcontext().prec = 50
    pt, pc = Fraction(xt, nt), Fraction(xc, nc)
    big_n, s = nt + nc, xt + xc
    pooled = Fraction(s, big_n)
    z2 = (pt - pc) ** 2 / (pooled * (1 - pooled) * (Fraction(1, nt) + Fraction(1, nc)))
    expected = [nt * pooled, nt * (1 - pooled), nc * pooled, nc * (1 - pooled)]
    gap = max(abs(xt - nt * pooled) - Fraction(1, 2), Fraction(0))
    yates = gap**2 * sum(1 / e for e in expected)
    legacy2 = (pt - pc) ** 2 / (pc * (1 - pc) / nc + pt * (1 - pt) / nt)

    def dec(q: Fraction) -> Decimal:
        return Decimal(q.numerator) / Decimal(q.denominator)

    sign = 1 if pt >= pc else -1
    return {
        "z": sign * dec(z2).sqrt(),
        "chi2": dec(z2),
        "yates": dec(yates),
        "tt_legacy": sign * dec(legacy2).sqrt(),
    }


@pytest.mark.parametrize(
    ("xt", "nt", "xc", "nc"),
    [
        (999_500, 10**6, 999_300, 10**6),
        (9_995_000, 10**7, 9_993_000, 10**7),
        (999_999, 10**6, 10**6, 10**6),
        (999_999, 10**6, 99_999, 10**5),
        (5, 10, 3, 12),
    ],
)
def test_statistics_keep_their_last_digits_near_a_rate_of_one(
    xt: int, nt: int, xc: int, nc: int
) -> None:
    exact = _exact_statistics(xt, nt, xc, nc)
    for method, want in exact.items():
        got = float(proportion_test(xt, nt, xc, nc, method=method).statistic)  # type: ignore[arg-type]
        assert got == pytest.approx(float(want), rel=2e-15, abs=0), method


def test_z_against_statsmodels_test_proportions_2indep() -> None:
    # statsmodels' score test without correction is the pooled z-test. It subtracts rates, so
    # near a rate of 1 its last digits go (1e-11 at 999,500 vs 999,300 of a million); the
    # exact test above holds ours to 2e-15 there, hence 1e-9 here.
    got = proportion_test(XT, NT, XC, NC, method="z")
    for i, (xt, nt, xc, nc) in enumerate(ROWS):
        if xt + xc in (0, nt + nc):
            assert np.isnan(got.pvalue[i])
            continue
        ref = _quiet(
            sm_proportion.test_proportions_2indep, xt, nt, xc, nc, method="score", correction=False
        )
        assert got.statistic[i] == pytest.approx(ref.statistic, rel=1e-9, abs=1e-14)
        assert got.pvalue[i] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_fisher_beyond_two_to_the_53_says_why_and_ends() -> None:
    # float64 holds every whole number only up to 2**53: no exact test, a reason, no hang
    res = proportion_test([1e16, 3], [1e17, 10], [1.1e16, 7], [1e17, 10], method="fisher")
    assert np.isnan(res.pvalue[0]) and "2**53" in res.reason[0]
    assert res.pvalue[1] == pytest.approx(stats.fisher_exact([[3, 7], [7, 3]]).pvalue, rel=1e-12)

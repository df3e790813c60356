"""Continuous metrics from (count, total, sumOfSquares) (ttstats.stats.moments).

Every expected number names its source. Most come from raw per-visitor values drawn with a
seeded numpy Generator: their exact sums are taken in decimal arithmetic and printed with 5
decimals as the T&T API does, the functions see only those moments, and the expectation is
numpy (``np.mean``, ``np.var(ddof=1)``) or scipy (``ttest_ind(equal_var=False)``,
``ttest_ind_from_stats``, ``t.ppf``, ``norm.ppf``) on the raw values. The published T&T
engagement triples are worked by hand in the comments.
"""

from __future__ import annotations

import math
import warnings
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ttstats.stats import (
    Interval,
    MeanVar,
    Moments,
    PointEstimate,
    WelchResult,
    average_order_value,
    mean_difference_interval,
    mean_lift_interval,
    moments_mean_var,
    per_entry_moments,
    revenue_per_visitor,
    welch_test_from_moments,
)

UNRESOLVED = "variance not resolvable from the reported sums"
EPS = float(np.finfo(np.float64).eps)
DELTA = 0.5e-5  # half a unit in the 5th decimal: the rounding of a printed sum


# ------------------------------------------------------------------------------------------
# Helpers: exact sums, printed as the API prints them, and the documented error bound
# ------------------------------------------------------------------------------------------
def exact_sums(values: Any) -> tuple[Decimal, Decimal]:
    """Sum of x and of x**2 over the float64 values, exactly (decimal arithmetic)."""
    with localcontext() as ctx:
        ctx.prec = 120
        xs = [Decimal(float(x)) for x in np.ravel(values)]
        return sum(xs, Decimal(0)), sum((x * x for x in xs), Decimal(0))


def reported(values: Any) -> tuple[float, float, float]:
    """(count, total, sumOfSquares) as the API writes them: exact sums with 5 decimals."""
    total, sumsq = exact_sums(values)
    return float(np.size(values)), float(f"{total:.5f}"), float(f"{sumsq:.5f}")


def triples(arms: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c, t, s = zip(*(reported(a) for a in arms), strict=True)
    return np.array(c), np.array(t), np.array(s)


def bound(c: float, t: float, s: float, delta: float = DELTA) -> float:
    """The bound B on the error of S - T**2/c documented in moments_mean_var's Notes."""
    dt, ds = delta + EPS * abs(t), delta + EPS * s
    return ds + (2 * abs(t) * dt + dt * dt) / c + 4 * EPS * (s + t * t / c)


def exact_numerator(values: Any) -> Decimal:
    """N* = sum (x - mean)**2 of the raw values, exactly."""
    total, sumsq = exact_sums(values)
    with localcontext() as ctx:
        ctx.prec = 120
        return sumsq - total * total / Decimal(int(np.size(values)))


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a reference implementation, silencing its warnings at degenerate cells."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _arms() -> list[np.ndarray]:
    """Per-visitor values of several arms, with the resolution T&T metrics have (seconds to
    the millisecond, page counts, cents): their totals print exactly with 5 decimals and the
    sums of squares nearly so, which lets the comparisons with the raw values be tight."""
    rng = np.random.default_rng(20240611)
    return [
        np.round(rng.lognormal(4.0, 1.0, 211), 3),  # time on site
        rng.poisson(2.0, 190).astype(float) + 1.0,  # page counts
        np.round(rng.gamma(2.0, 40.0, 57), 2),  # order values
        np.round(rng.normal(50.0, 12.0, 2), 2),  # two units: the fewest with a variance
        np.round(rng.normal(1000.0, 3.0, 1200), 3),  # large mean, modest spread
        np.round(rng.exponential(5.0, 33), 3),
    ]


ARMS = _arms()
C, T, S = triples(ARMS)


# ------------------------------------------------------------------------------------------
# moments_mean_var and per_entry_moments
# ------------------------------------------------------------------------------------------
def test_mean_var_matches_numpy_on_raw_values() -> None:
    # Source: np.mean and np.var(ddof=1) of the raw values behind each triple.
    res = moments_mean_var(C, T, S)
    assert isinstance(res, MeanVar)
    assert res.reliable.all()
    assert (res.reason == "").all()
    for i, raw in enumerate(ARMS):
        assert res.mean[i] == pytest.approx(np.mean(raw), rel=1e-12)
        assert res.var[i] == pytest.approx(np.var(raw, ddof=1), rel=1e-8)  # S printed to 5 decimals
        # The documented guarantee: within B/(c - 1) of the exact variance.
        exact = float(exact_numerator(raw)) / (C[i] - 1)
        assert abs(res.var[i] - exact) <= bound(C[i], T[i], S[i]) / (C[i] - 1) * (1 + 1e-9)


def test_per_entry_matches_numpy_on_zero_padded_values() -> None:
    # Source: np.mean / np.var(ddof=1) of the values padded with zeros up to the entries
    # (entries without a value count as 0).
    extra = np.array([0, 5, 300, 1, 0, 40])
    entries = C + extra
    res = per_entry_moments(C, T, S, entries)
    assert res.reliable.all()
    for i, raw in enumerate(ARMS):
        padded = np.concatenate([raw, np.zeros(extra[i])])
        assert res.mean[i] == pytest.approx(np.mean(padded), rel=1e-12)
        assert res.var[i] == pytest.approx(np.var(padded, ddof=1), rel=1e-8)
    # The method on Moments is the same function.
    method = Moments(C, T, S).per_entry(entries)
    np.testing.assert_array_equal(method.var, res.var)
    np.testing.assert_array_equal(method.mean, res.mean)


def test_published_engagement_triples() -> None:
    # Source: the T&T API documentation's example, recipe "Experience A"; worked by hand in
    # exact decimal arithmetic:
    # Page Count (190, 558, 4382): mean = 558/190 = 2.9368421052631578...,
    #   558^2/190 = 311364/190 = 1638.7578947368421..., var = (4382 - 1638.7578947...)/189
    #   = 2743.2421052631578.../189 = 14.514508493455861..., sd = 3.8097911351484692...
    # Time on Site (211, 44773.425, 43287221.65236): mean = 212.19632701421800...,
    #   44773.425^2 = 2004659586.230625, /211 = 9500756.3328465639...,
    #   var = 33786465.319513436.../210 = 160887.93009292112..., sd = 401.10837699170672...
    # Score (207, 117, 843): mean = 117/207 = 0.56521739130434782..., 117^2/207 = 13689/207
    #   = 66.130434782608695..., var = 776.86956521739130.../206 = 3.7712114816378218...,
    #   sd = 1.9419607312296049...
    res = moments_mean_var([190, 211, 207], [558, 44773.425, 117], [4382, 43287221.65236, 843])
    assert res.reliable.all()
    np.testing.assert_allclose(
        res.mean, [2.9368421052631578, 212.19632701421800, 0.56521739130434782], rtol=1e-15
    )
    np.testing.assert_allclose(
        np.sqrt(res.var), [3.8097911351484692, 401.10837699170672, 1.9419607312296049], rtol=1e-13
    )
    np.testing.assert_allclose(
        res.var, [14.514508493455861, 160887.93009292112, 3.7712114816378218], rtol=1e-13
    )


def test_published_page_count_per_entry() -> None:
    # Source: by hand, 476 entries of "Experience A": mean = 558/476 = 1.1722689075630252...,
    # 558^2/476 = 311364/476 = 654.12605042016807..., var = (4382 - 654.12605042016807)/475
    # = 3727.8739495798319.../475 = 7.8481556833259620...
    res = per_entry_moments(190, 558, 4382, 476)
    assert float(res.mean) == pytest.approx(1.1722689075630252, rel=1e-15)
    assert float(res.var) == pytest.approx(7.8481556833259620, rel=1e-13)


def test_cancellation_gives_not_resolvable_instead_of_a_wrong_variance() -> None:
    # Source: np.var(ddof=1) of the raw values, 1e7 + N(0, 0.01^2): true variance ~1e-4. The
    # printed total carries up to 5e-6 of rounding, which moves S - T^2/c by up to
    # 2 * 1e7 * 5e-6 = 100, far more than the true numerator 49 * 1e-4.
    rng = np.random.default_rng(7)
    raw = 1e7 + rng.normal(0.0, 0.01, 50)
    c, t, s = reported(raw)
    naive = (s - t * t / c) / (c - 1)  # what the textbook formula would report
    true = np.var(raw, ddof=1)
    assert abs(naive - true) > 100 * true  # the naive number is wrong by orders of magnitude
    res = moments_mean_var(c, t, s)
    assert np.isnan(res.var)
    assert not bool(res.reliable)
    assert res.reason.item() == UNRESOLVED
    # The mean is fine: off by at most the rounding of the total over c.
    assert abs(float(res.mean) - np.mean(raw)) <= DELTA / c + 1e-15 * 1e7


@pytest.mark.parametrize(("offset", "spread"), [(1e7, 100.0), (1e5, 1.0), (1e9, 3e3)])
def test_resolvable_variance_next_to_a_large_mean_is_right(offset: float, spread: float) -> None:
    # Source: np.var(ddof=1) of the raw values; the bound B/(c - 1) of the Notes holds.
    rng = np.random.default_rng(11)
    raw = offset + rng.normal(0.0, spread, 400)
    c, t, s = reported(raw)
    res = moments_mean_var(c, t, s)
    assert bool(res.reliable)
    true = float(exact_numerator(raw)) / (c - 1)
    assert float(res.var) == pytest.approx(np.var(raw, ddof=1), rel=0.01)
    assert abs(float(res.var) - true) <= bound(c, t, s) / (c - 1)


def test_undefined_cells_and_their_reasons() -> None:
    # count 0, count 1, NaN, count 0 with sums, S < T^2/c beyond rounding (no values have
    # these sums: 2 units with total 10 need S >= 50), all zeros printed with 5 decimals.
    res = moments_mean_var(
        [0, 1, np.nan, 0, 2, 5], [0.0, 3.0, 1.0, 2.0, 10.0, 0.0], [0.0, 9.0, 1.0, 4.0, 40.0, 0.0]
    )
    assert res.reason.tolist() == [
        "no units (count = 0)",
        "fewer than 2 units: no sample variance",
        "missing input (NaN)",
        "count is 0 but the sums are not: inconsistent moments",
        "variance not resolvable from the reported sums: they are inconsistent "
        "(sumOfSquares < total**2/count beyond their rounding)",
        UNRESOLVED,
    ]
    assert np.isnan(res.var).all()
    assert not res.reliable.any()
    # The mean survives where it is defined: 3/1, 10/2 and 0/5.
    np.testing.assert_array_equal(res.mean, [np.nan, 3.0, np.nan, np.nan, 5.0, 0.0])


def test_exact_zero_variance_only_from_exact_zeros() -> None:
    # All values 0 and the sums exact (decimals=None): the variance is 0, exactly known.
    res = moments_mean_var(5, 0.0, 0.0, decimals=None)
    assert float(res.var) == 0.0
    assert bool(res.reliable)
    # Equal non-zero values: S - T^2/c = 0 cannot be told from a tiny positive numerator.
    assert moments_mean_var(4, 12.0, 36.0).reason.item() == UNRESOLVED


def test_sums_printed_to_tens_and_hundreds() -> None:
    """Negative decimals: sums printed in exponent notation ("5.0e6" is -5: to 100,000s).

    Values 0, 1000, 2000: T = 3000, S = 5e6, S - T^2/3 = 2e6, variance 1e6, by hand. Printed
    to tens (decimals -1) the error bound is 5 + 2 * 3000 * 5 / 3 = 10,005, under 1% of 2e6;
    printed to hundreds (-2) it is 100,050, over it: then the variance is not resolvable.
    """
    tens = moments_mean_var(3, 3000.0, 5e6, decimals=-1)
    assert (float(tens.mean), float(tens.var), bool(tens.reliable)) == (1000.0, 1e6, True)
    hundreds = moments_mean_var(3, 3000.0, 5e6, decimals=-2)
    assert float(hundreds.mean) == 1000.0 and np.isnan(hundreds.var)
    assert hundreds.reason.item() == UNRESOLVED


def test_per_entry_undefined_cells() -> None:
    res = per_entry_moments(
        [5, 0, 1, 0], [10.0, 0.0, 3.0, 0.0], [30.0, 0.0, 9.0, 0.0], [4, 0, 1, 2]
    )
    assert res.reason.tolist() == [
        "count exceeds entries: more units with a value than entries",
        "no entries (n = 0)",
        "fewer than 2 entries: no sample variance",
        UNRESOLVED,  # two entries, both 0, sums printed with 5 decimals
    ]
    np.testing.assert_array_equal(res.mean, [np.nan, np.nan, 3.0, 0.0])


def test_broadcasting_and_zero_d_results() -> None:
    res = moments_mean_var([[10], [20]], [5.0, 50.0, 100.0], 1000.0)
    assert res.mean.shape == res.var.shape == res.reliable.shape == res.reason.shape == (2, 3)
    one = moments_mean_var(190, 558, 4382)
    assert one.mean.shape == one.var.shape == one.reliable.shape == one.reason.shape == ()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"count": -1}, "count"),
        ({"count": 2.5}, "count"),
        ({"count": np.inf}, "count"),
        ({"total": np.inf}, "total"),
        ({"sumsq": -1.0}, "sumsq"),
        ({"decimals": -301}, "decimals"),
        ({"decimals": 2.5}, "decimals"),
        ({"decimals": True}, "decimals"),
    ],
)
def test_invalid_arguments_raise_naming_the_argument(kwargs: dict[str, Any], name: str) -> None:
    args: dict[str, Any] = {"count": 10, "total": 5.0, "sumsq": 10.0, **kwargs}
    with pytest.raises(ValueError, match=name):
        moments_mean_var(**args)
    with pytest.raises(ValueError, match=name):
        Moments(**args)


def test_two_arm_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="count_c"):
        welch_test_from_moments(10, 5, 10, -1, 5, 10)
    with pytest.raises(ValueError, match="sumsq_t"):
        mean_difference_interval(10, 5, -10, 10, 5, 10)
    with pytest.raises(ValueError, match="alpha"):
        mean_lift_interval(10, 5, 10, 10, 5, 10, alpha=1.0)
    with pytest.raises(ValueError, match="alternative"):
        welch_test_from_moments(10, 5, 10, 10, 5, 10, alternative="both")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="entries"):
        per_entry_moments(10, 5, 10, -3)


# ------------------------------------------------------------------------------------------
# Welch's t-test and the intervals
# ------------------------------------------------------------------------------------------
PAIRS = [(0, 1), (1, 0), (2, 5), (4, 0), (3, 2), (5, 4), (0, 3)]


def _welch_by_hand(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Difference, standard error and Welch-Satterthwaite df from the raw values."""
    wa, wb = np.var(a, ddof=1) / a.size, np.var(b, ddof=1) / b.size
    df = (wa + wb) ** 2 / (wa**2 / (a.size - 1) + wb**2 / (b.size - 1))
    return float(np.mean(a) - np.mean(b)), math.sqrt(wa + wb), float(df)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_welch_matches_scipy_ttest_ind_on_raw_values(alternative: str) -> None:
    # Source: scipy.stats.ttest_ind(equal_var=False) on the raw values; df by hand.
    ti, ci = (np.array(x) for x in zip(*PAIRS, strict=True))
    res = welch_test_from_moments(
        C[ti],
        T[ti],
        S[ti],
        C[ci],
        T[ci],
        S[ci],
        alternative=alternative,  # type: ignore[arg-type]
    )
    assert isinstance(res, WelchResult)
    assert (res.reason == "").all()
    for k, (i, j) in enumerate(PAIRS):
        ref = stats.ttest_ind(ARMS[i], ARMS[j], equal_var=False, alternative=alternative)
        _, _, df = _welch_by_hand(ARMS[i], ARMS[j])
        assert res.statistic[k] == pytest.approx(ref.statistic, rel=1e-8)
        assert res.pvalue[k] == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-300)
        assert res.df[k] == pytest.approx(df, rel=1e-8)


def test_welch_agrees_with_ttest_ind_from_stats_on_the_same_moments() -> None:
    # Source: scipy.stats.ttest_ind_from_stats(equal_var=False) fed mean T/c and the standard
    # deviation sqrt((S - T^2/c)/(c - 1)) of the same printed moments, and the published pair
    # Time on Site (211, 44773.425, 43287221.65236) vs Page Count (190, 558, 4382).
    rows = [(C[i], T[i], S[i], C[j], T[j], S[j]) for i, j in PAIRS]
    rows.append((211, 44773.425, 43287221.65236, 190, 558, 4382))
    arr = np.array(rows, dtype=float)
    res = welch_test_from_moments(*arr.T)
    for k, (ct, tt, st_, cc, tc, sc) in enumerate(rows):
        ref = stats.ttest_ind_from_stats(
            tt / ct,
            math.sqrt((st_ - tt * tt / ct) / (ct - 1)),
            ct,
            tc / cc,
            math.sqrt((sc - tc * tc / cc) / (cc - 1)),
            cc,
            equal_var=False,
        )
        assert res.statistic[k] == pytest.approx(ref.statistic, rel=1e-12)
        assert res.pvalue[k] == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
def test_mean_difference_interval_matches_t_quantile_by_hand(alpha: float) -> None:
    # Source: by hand from the raw values, d +/- t.ppf(1 - alpha/2, df) * se with Welch's df.
    ti, ci = (np.array(x) for x in zip(*PAIRS, strict=True))
    res = mean_difference_interval(C[ti], T[ti], S[ti], C[ci], T[ci], S[ci], alpha=alpha)
    assert isinstance(res, Interval)
    for k, (i, j) in enumerate(PAIRS):
        d, se, df = _welch_by_hand(ARMS[i], ARMS[j])
        half = stats.t.ppf(1 - alpha / 2, df) * se
        assert res.low[k] == pytest.approx(d - half, rel=1e-8, abs=1e-9)
        assert res.high[k] == pytest.approx(d + half, rel=1e-8, abs=1e-9)


@pytest.mark.parametrize("alpha", [0.01, 0.05])
def test_mean_lift_interval_matches_delta_method_by_hand(alpha: float) -> None:
    # Source: by hand from the raw values, exp(log(m_t/m_c) +/- norm.ppf(1 - alpha/2) *
    # sqrt(v_t/(c_t m_t^2) + v_c/(c_c m_c^2))) - 1.
    ti, ci = (np.array(x) for x in zip(*PAIRS, strict=True))
    res = mean_lift_interval(C[ti], T[ti], S[ti], C[ci], T[ci], S[ci], alpha=alpha)
    z = stats.norm.ppf(1 - alpha / 2)
    for k, (i, j) in enumerate(PAIRS):
        a, b = ARMS[i], ARMS[j]
        ma, mb = np.mean(a), np.mean(b)
        se = math.sqrt(np.var(a, ddof=1) / (a.size * ma**2) + np.var(b, ddof=1) / (b.size * mb**2))
        assert res.low[k] == pytest.approx(ma / mb * math.exp(-z * se) - 1, rel=1e-8)
        assert res.high[k] == pytest.approx(ma / mb * math.exp(z * se) - 1, rel=1e-8)
        assert res.low[k] < ma / mb - 1 < res.high[k]


def test_two_arm_undefined_cells_name_the_arm() -> None:
    good = reported(ARMS[0])
    rows = [
        (1, 5.0, 25.0, *good),  # treatment has one unit
        (*good, np.nan, 1.0, 1.0),  # control missing
    ]
    arr = np.array(rows, dtype=float)
    expected = ["treatment: fewer than 2 units: no sample variance", "control: missing input (NaN)"]
    for fn in (welch_test_from_moments, mean_difference_interval, mean_lift_interval):
        res = fn(*arr.T)
        assert res.reason.tolist() == expected
        assert np.isnan(res[0]).all()
        assert np.isnan(res[1]).all()


def test_one_arm_beyond_what_its_sums_resolve_is_tested_at_both_ends_of_its_range() -> None:
    # A control of 30 values 80 +- 1e-4: printed with 5 decimals its sums cannot resolve the
    # variance (moments_mean_var says so), which lies between 0 and a bound far below the
    # treatment's. The test takes the more cautious end: a p-value at least scipy's on the raw
    # values and all but equal to it; the intervals hold scipy's interval around the raw data.
    rng = np.random.default_rng(3)
    raw = 80.0 + rng.normal(0.0, 1e-4, 30)
    flat = reported(raw)
    assert moments_mean_var(*flat).reason.item() == UNRESOLVED
    res = welch_test_from_moments(*reported(ARMS[0]), *flat)
    ref = stats.ttest_ind(ARMS[0], raw, equal_var=False)
    assert res.reason.item() == ""
    assert float(res.pvalue) >= ref.pvalue * (1 - 1e-12)
    assert float(res.pvalue) == pytest.approx(ref.pvalue, rel=1e-6)
    assert float(res.statistic) == pytest.approx(ref.statistic, rel=1e-6)
    ci = mean_difference_interval(*reported(ARMS[0]), *flat)
    raw_ci = ref.confidence_interval(0.95)
    assert float(ci.low) <= raw_ci.low + 1e-12 and float(ci.high) >= raw_ci.high - 1e-12
    assert float(ci.low) == pytest.approx(raw_ci.low, rel=1e-6)
    # both arms beyond what their sums resolve: no test
    both = welch_test_from_moments(*flat, *flat)
    assert np.isnan(both.pvalue) and both.reason.item() == "treatment: " + UNRESOLVED


def test_zero_variance_in_both_arms_is_undefined_not_infinite() -> None:
    # All values 0 in both arms, exact sums: t would be 0/0. scipy returns NaN with a warning
    # and no reason; with constant but different arms it would give an infinite t.
    res = welch_test_from_moments(5, 0.0, 0.0, 7, 0.0, 0.0, decimals=None)
    assert np.isnan(res.pvalue)
    assert res.reason.item() == "zero variance in both arms: the t statistic is undefined"


def test_zero_variance_in_one_arm_matches_scipy() -> None:
    # Source: scipy.stats.ttest_ind(equal_var=False) with a control of exact zeros; Welch's
    # df is then c_t - 1.
    raw = ARMS[5]
    c, t, s = reported(raw)
    res = welch_test_from_moments(c, t, s, 9, 0.0, 0.0, decimals=None)
    ref = stats.ttest_ind(raw, np.zeros(9), equal_var=False)
    assert float(res.statistic) == pytest.approx(ref.statistic, rel=1e-8)
    assert float(res.pvalue) == pytest.approx(ref.pvalue, rel=1e-8)
    assert float(res.df) == pytest.approx(c - 1, rel=1e-12)


def test_lift_undefined_for_non_positive_means() -> None:
    good = reported(ARMS[0])
    rows = [
        (*good, 9, 0.0, 0.0),  # control mean 0
        (9, 0.0, 0.0, *good),  # treatment mean 0
        (*good, 3, -6.0, 14.0),  # control values -1, -2, -3: mean -2, variance 1
    ]
    res = mean_lift_interval(*np.array(rows, dtype=float).T, decimals=None)
    assert res.reason.tolist() == [
        "control: mean <= 0: the lift's log-ratio interval is undefined",
        "treatment: mean <= 0: the lift's log-ratio interval is undefined",
        "control: mean <= 0: the lift's log-ratio interval is undefined",
    ]
    assert np.isnan(res.low).all()
    # The difference of means is fine in all three.
    assert (mean_difference_interval(*np.array(rows).T, decimals=None).reason == "").all()


# ------------------------------------------------------------------------------------------
# Moments arithmetic
# ------------------------------------------------------------------------------------------
def test_add_then_subtract_gives_back() -> None:
    a = Moments(C, T, S)
    b = Moments(C[::-1], T[::-1], S[::-1])
    back = a + b - b
    np.testing.assert_array_equal(back.count, a.count)
    # Equal within float64 rounding, which the tracked error bounds cover.
    assert (np.abs(back.total - a.total) <= back.total_error - a.total_error).all()
    assert (np.abs(back.sumsq - a.sumsq) <= back.sumsq_error - a.sumsq_error).all()
    np.testing.assert_allclose(back.sumsq, a.sumsq, rtol=1e-13)
    assert (back.reason == "").all()
    # The error bounds grow with every operation: two printed sums added, then a third.
    assert (back.total_error >= 3 * DELTA).all()


def test_campaign_minus_recipe_is_the_rest() -> None:
    # Campaign is the printed moments of all recipes' values together (T&T sums them before
    # printing). Source for the rest: np.mean / np.var(ddof=1) of the other recipes' values.
    recipes = [ARMS[0], ARMS[2], ARMS[5]]
    campaign = Moments(*reported(np.concatenate(recipes)))
    parts = Moments(*triples(recipes))
    rest = campaign - parts[0]
    others = np.concatenate(recipes[1:])
    assert float(rest.count) == others.size
    exact_total, _ = exact_sums(others)
    assert abs(float(rest.total) - float(exact_total)) <= float(rest.total_error)
    mv = rest.mean_var()
    assert float(mv.mean) == pytest.approx(np.mean(others), rel=1e-12)
    assert float(mv.var) == pytest.approx(np.var(others, ddof=1), rel=1e-8)
    # With two recipes, Campaign - one recipe is the other recipe.
    two = Moments(*reported(np.concatenate(recipes[:2])))
    other = (two - parts[0]).mean_var()
    assert float(other.var) == pytest.approx(np.var(recipes[1], ddof=1), rel=1e-8)
    # sum over the recipe axis pools them like Campaign.
    pooled = parts.sum()
    assert float(pooled.count) == float(campaign.count)
    np.testing.assert_allclose(pooled.total, campaign.total, rtol=0, atol=4 * DELTA)
    np.testing.assert_allclose(pooled.sumsq, campaign.sumsq, rtol=1e-15, atol=4 * DELTA)


def test_recipe_against_the_rest_matches_scipy() -> None:
    # Source: scipy.stats.ttest_ind(equal_var=False) of a recipe against the other recipes.
    recipes = [ARMS[0], ARMS[2], ARMS[5]]
    campaign = Moments(*reported(np.concatenate(recipes)))
    recipe = Moments(*reported(recipes[0]))
    res = recipe.welch_test(campaign - recipe)
    ref = stats.ttest_ind(recipes[0], np.concatenate(recipes[1:]), equal_var=False)
    assert float(res.statistic) == pytest.approx(ref.statistic, rel=1e-8)
    assert float(res.pvalue) == pytest.approx(ref.pvalue, rel=1e-7)
    # The rest carries the rounding of two printed sums.
    assert float((campaign - recipe).total_error) >= 2 * DELTA
    # The methods are the functions: same numbers on printed moments.
    other = Moments(*reported(recipes[1]))
    fn_args = (*reported(recipes[0]), *reported(recipes[1]))
    pairs: list[tuple[Any, Any]] = [
        (recipe.welch_test(other), welch_test_from_moments(*fn_args)),
        (recipe.difference_interval(other), mean_difference_interval(*fn_args)),
        (recipe.lift_interval(other, alpha=0.1), mean_lift_interval(*fn_args, alpha=0.1)),
    ]
    for method, function in pairs:
        assert method.reason.item() == function.reason.item() == ""
        np.testing.assert_allclose(np.array(method[:-1]), np.array(function[:-1]), rtol=1e-12)


def test_subtraction_beyond_rounding_is_flagged() -> None:
    campaign = Moments([100, 100, 100, 100], [50.0, 50.0, 50.0, 50.0], [40.0, 40.0, 40.0, 40.0])
    recipe = Moments([120, 40, 100, 40], [20.0, 60.0, 50.0, 50.000004], [10.0, 30.0, 41.0, 20.0])
    rest = campaign - recipe
    assert rest.reason.tolist() == [
        "negative count: the subtracted moments are not part of these",
        "negative sum beyond rounding: the subtracted moments are not part of these",
        "negative sum beyond rounding: the subtracted moments are not part of these",
        "",  # a total of -4e-6 is within the rounding of two printed sums
    ]
    assert np.isnan(rest.count[:3]).all()
    assert rest.mean_var().reason[:3].tolist() == rest.reason[:3].tolist()
    # A recipe with every unit but not every sum.
    empty = Moments(100, 50.0, 40.0) - Moments(100, 49.0, 39.0)
    assert empty.reason.item() == "count is 0 but the sums are not: inconsistent moments"


def test_nan_and_reasons_propagate_through_add_and_sum() -> None:
    m = Moments(
        np.array([[10, np.nan], [5, 6]]), [[1.0, 2.0], [3.0, 4.0]], [[1.0, 4.0], [9.0, 16.0]]
    )
    pooled = m.sum(axis=0)
    assert pooled.reason.tolist() == ["", "missing input (NaN)"]
    assert np.isnan(pooled.count[1])
    assert pooled.count[0] == 15
    assert m.sum(axis=1, keepdims=True).shape == (2, 1)
    assert m.sum().reason.item() == "missing input (NaN)"
    total = m[0] + m[1]
    assert total.reason.tolist() == ["", "missing input (NaN)"]
    with pytest.raises(ValueError, match="axis"):
        m.sum(axis=2)


def test_moments_are_immutable() -> None:
    m = Moments([10, 20], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(AttributeError):
        m.count = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="read-only"):
        m.total[0] = 5.0
    with pytest.raises(ValueError, match="control"):
        m.welch_test((10, 1.0, 1.0))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Revenue without a sum of squares
# ------------------------------------------------------------------------------------------
def test_revenue_point_estimates() -> None:
    # Source: the version-1 documentation example by hand: revenue 121.13 on the final step
    # "Clicked Article" (255 orders) of 476 entries: RPV = 121.13/476 = 0.25447478991596638,
    # AOV = 121.13/255 = 0.47501960784313725.
    rpv = revenue_per_visitor([121.13, 5.0, np.nan], [476, 0, 10])
    assert isinstance(rpv, PointEstimate)
    assert rpv.value[0] == pytest.approx(0.25447478991596638, rel=1e-15)
    assert rpv.reason.tolist() == ["", "no entries (n = 0)", "missing input (NaN)"]
    assert np.isnan(rpv.value[1:]).all()
    aov = average_order_value(121.13, [255, 0])
    assert aov.value[0] == pytest.approx(0.47501960784313725, rel=1e-15)
    assert aov.reason.tolist() == ["", "no orders (orders = 0)"]
    with pytest.raises(ValueError, match="orders"):
        average_order_value(1.0, 2.5)


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------
offsets = st.sampled_from([0.0, 1.0, 1e3, 1e6, 1e8])
spreads = st.sampled_from([1e-6, 1e-3, 1.0, 1e3])


@settings(max_examples=60, deadline=None)
@given(
    offsets,
    spreads,
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=2, max_size=30),
)
def test_reported_variance_is_positive_and_within_the_bound(
    offset: float, spread: float, unit: list[float]
) -> None:
    # Source: the exact variance of the raw values in decimal arithmetic.
    raw = offset + spread * np.array(unit)
    c, t, s = reported(raw)
    res = moments_mean_var(c, t, s)
    b = bound(c, t, s)
    exact = float(exact_numerator(raw))
    if bool(res.reliable):
        assert float(res.var) > 0
        assert abs(float(res.var) * (c - 1) - exact) <= b * (1 + 1e-9)
        assert b <= 0.01 * float(res.var) * (c - 1) * (1 + 1e-9)  # known to 1%
    else:
        assert np.isnan(res.var)
        assert res.reason.item() == UNRESOLVED
        assert exact <= 101 * b * (1 + 1e-9)  # it really was below what the sums pin down


arm = st.tuples(
    st.integers(min_value=0, max_value=50),
    st.floats(min_value=0.0, max_value=1e4),
    st.floats(min_value=0.0, max_value=1.0),
)


def _moments_of(a: tuple[int, float, float]) -> tuple[float, float, float]:
    """Moments of a units at mean m with spread f * m (a consistent triple)."""
    c, m, f = a
    half = c // 2
    values = np.r_[np.full(half, m * (1 + f)), np.full(c - half, m * (1 - f))]
    return reported(values) if c else (0.0, 0.0, 0.0)


@settings(max_examples=60, deadline=None)
@given(arm, arm)
def test_welch_is_antisymmetric_in_the_arms(
    a: tuple[int, float, float], b: tuple[int, float, float]
) -> None:
    ma, mb = _moments_of(a), _moments_of(b)
    ab = welch_test_from_moments(*ma, *mb)
    ba = welch_test_from_moments(*mb, *ma)
    assert (ab.reason.item() == "") == (ba.reason.item() == "")
    if ab.reason.item() == "":
        assert float(ab.statistic) == pytest.approx(-float(ba.statistic), rel=1e-12)
        assert float(ab.df) == pytest.approx(float(ba.df), rel=1e-12)
        assert float(ab.pvalue) == pytest.approx(float(ba.pvalue), rel=1e-9, abs=1e-300)
        greater = welch_test_from_moments(*ma, *mb, alternative="greater")
        less = welch_test_from_moments(*mb, *ma, alternative="less")
        assert float(greater.pvalue) == pytest.approx(float(less.pvalue), rel=1e-9, abs=1e-300)
    else:
        assert np.isnan(ab.pvalue) and np.isnan(ba.pvalue)

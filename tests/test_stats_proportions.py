"""Intervals for a rate, a difference and a lift (ttstats.stats.proportions).

Every expected number names its source: statsmodels 0.15 (``proportion_confint``,
``confint_proportions_2indep``, ``score_test_proportions_2indep``), scipy, or a closed form
worked by hand in the comment.
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
from scipy import optimize
from scipy.stats import norm
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    score_test_proportions_2indep,
)

from ttstats.stats import Interval, difference_interval, lift_interval, proportion_interval

METHODS = ["wald", "adobe", "wilson", "agresti_coull", "jeffreys", "clopper_pearson"]
SM_NAME = {
    "wald": "normal",
    "wilson": "wilson",
    "agresti_coull": "agresti_coull",
    "jeffreys": "jeffreys",
    "clopper_pearson": "beta",
}


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """Every x of small n (incl. n = 1), and edges plus a spread of x for large n."""
    xs: list[float] = []
    ns: list[float] = []
    for n in (1, 2, 3, 5, 10, 37, 124):
        xs += list(range(n + 1))
        ns += [n] * (n + 1)
    for n in (1000, 99_999, 10**6, 10**9):
        pick = [0, 1, 2, 5, n // 100, n // 3, n // 2, n - 5, n - 1, n]
        xs += pick
        ns += [n] * len(pick)
    return np.array(xs, dtype=float), np.array(ns, dtype=float)


X, N = _grid()


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a reference implementation, silencing its numpy warnings at edge cells."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ------------------------------------------------------------------------------------------
# proportion_interval
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["wald", "wilson", "agresti_coull", "clopper_pearson"])
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1])
def test_proportion_interval_matches_statsmodels(method: str, alpha: float) -> None:
    # Source: statsmodels proportion_confint (clips wald/wilson/agresti_coull to [0, 1]).
    ci = proportion_interval(X, N, method=method, alpha=alpha)  # type: ignore[arg-type]
    low, high = _quiet(proportion_confint, X, N, alpha=alpha, method=SM_NAME[method])
    if method == "wald":
        edge = (X == 0) | (X == N)  # ours: NaN with a reason (zero-width point)
        assert np.isnan(ci.low[edge]).all()
        assert (ci.reason[edge] != "").all()
        low, high = np.where(edge, np.nan, low), np.where(edge, np.nan, high)
    np.testing.assert_allclose(ci.low, low, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ci.high, high, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("alpha", [0.01, 0.05])
def test_jeffreys_matches_statsmodels_except_bcd_edges(alpha: float) -> None:
    # Source: statsmodels proportion_confint(method="jeffreys") for 0 < x < n; at x = 0 the
    # lower bound and at x = n the upper bound are 0 and 1 (Brown, Cai & DasGupta 2001,
    # section 4.1.2), which statsmodels does not apply.
    ci = proportion_interval(X, N, method="jeffreys", alpha=alpha)
    low, high = _quiet(proportion_confint, X, N, alpha=alpha, method="jeffreys")
    low = np.where(X == 0, 0.0, low)
    high = np.where(X == N, 1.0, high)
    np.testing.assert_allclose(ci.low, low, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ci.high, high, rtol=1e-10, atol=1e-13)


def test_adobe_documented_example() -> None:
    # Source: Adobe Target documentation, 32 conversions of 124 visitors = 25.81% +/- 7.7%.
    # By hand: p = 0.258065, sqrt(p(1-p)/123) = 0.0394543, times z = 1.959964 -> 0.0773291.
    # The n - 1 tells it from Wald (sqrt(p(1-p)/124) * z = 0.0770166, also "7.7%").
    ci = proportion_interval(32, 124, method="adobe")
    centre = (float(ci.high) + float(ci.low)) / 2
    assert round(centre * 100, 2) == 25.81
    assert (float(ci.high) - float(ci.low)) / 2 == pytest.approx(0.0773291, abs=1e-7)
    assert round((float(ci.high) - centre) * 100, 1) == 7.7
    assert float(ci.low) == pytest.approx(32 / 124 - 0.0773291, abs=1e-7)
    wald = proportion_interval(32, 124, method="wald")
    assert (float(wald.high) - float(wald.low)) / 2 == pytest.approx(0.0770166, abs=1e-7)


def test_adobe_closed_form_over_grid() -> None:
    # Source: the closed form p +/- z sqrt(p(1-p)/(n-1)) evaluated here by hand, n >= 2.
    keep = (N >= 2) & (X > 0) & (X < N)
    ci = proportion_interval(X[keep], N[keep], method="adobe", alpha=0.1)
    p = X[keep] / N[keep]
    half = norm.isf(0.05) * np.sqrt(p * (1 - p) / (N[keep] - 1))
    np.testing.assert_allclose(ci.low, np.clip(p - half, 0, 1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ci.high, np.clip(p + half, 0, 1), rtol=1e-12, atol=1e-15)
    one = proportion_interval(1, 1, method="adobe")
    assert np.isnan(one.low)
    assert "n = 1" in one.reason.item()


@pytest.mark.parametrize("n", [1, 7, 124, 10**6, 10**12])
def test_wilson_edges_exactly_within_unit_interval(n: int) -> None:
    # Regression: floating point puts the raw Wilson bound a hair outside [0, 1] at x = 0
    # and x = n; the exact values there are 0 and 1 (closed form with x = 0: z^2/2 - z*z/2).
    ci = proportion_interval([0, n], [n, n])
    assert ci.low[0] == 0.0
    assert ci.high[1] == 1.0
    assert (ci.low >= 0).all()
    assert (ci.high <= 1).all()
    assert ci.high[0] > 0
    assert ci.low[1] < 1


def test_proportion_interval_reasons_and_broadcasting() -> None:
    ci = proportion_interval([[3.0], [np.nan]], [10.0, 0.0, 2.0])
    assert ci.low.shape == ci.reason.shape == (2, 3)
    assert ci.reason.tolist() == [
        [
            "",
            "no entries (n = 0)",
            "count exceeds entries (x > n): a per-entry rate, not a proportion",
        ],
        ["missing input (NaN)"] * 3,
    ]
    assert np.isnan(ci.low[0, 1:]).all()
    assert np.isnan(ci.high[1]).all()
    # Scalars give 0-d arrays.
    one = proportion_interval(1, 2)
    assert isinstance(one, Interval)
    assert one.low.shape == ()
    assert one.reason.item() == ""


def test_vectorised_equals_cell_by_cell() -> None:
    # A (sample, recipe, step) block computed at once equals the cells computed one by one.
    rng = np.random.default_rng(7)
    n = rng.integers(0, 300, size=(4, 3, 2)).astype(float)
    x = np.floor(n * rng.random(n.shape))
    for method in METHODS:
        ci = proportion_interval(x, n, method=method)  # type: ignore[arg-type]
        for idx in np.ndindex(n.shape):
            one = proportion_interval(x[idx], n[idx], method=method)  # type: ignore[arg-type]
            np.testing.assert_array_equal(one.low, ci.low[idx])
            assert one.reason.item() == ci.reason[idx]


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"method": "exact"}, "method"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": "0.05"}, "alpha"),
    ],
)
def test_invalid_arguments_raise(kwargs: dict[str, Any], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        proportion_interval(1, 10, **kwargs)


@pytest.mark.parametrize(
    ("x", "n", "word"),
    [(-1, 10, "x"), (1, -10, "n"), (1.5, 10, "x"), (np.inf, 10, "x"), ("a", 10, "x")],
)
def test_invalid_counts_raise(x: Any, n: Any, word: str) -> None:
    with pytest.raises(ValueError, match=f"^{word}"):
        proportion_interval(x, n)


counts = st.integers(min_value=0, max_value=10**7)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=30), st.sampled_from(METHODS))
def test_property_interval_contains_estimate(pairs: list[tuple[int, int]], method: str) -> None:
    # Property: within [0, 1], low <= p <= high for every defined cell.
    n = np.array([max(a, b) for a, b in pairs], dtype=float)
    x = np.array([min(a, b) for a, b in pairs], dtype=float)
    ci = proportion_interval(x, n, method=method)  # type: ignore[arg-type]
    ok = ci.reason == ""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
    assert (ok == ~np.isnan(ci.low)).all()
    assert (ci.low[ok] >= 0).all()
    assert (ci.high[ok] <= 1).all()
    tol = 1e-12
    assert (ci.low[ok] <= p[ok] + tol).all()
    assert (p[ok] <= ci.high[ok] + tol).all()


# ------------------------------------------------------------------------------------------
# difference_interval
# ------------------------------------------------------------------------------------------
def _pairs() -> tuple[np.ndarray, ...]:
    rows = []
    small = [(0, 1), (1, 1), (0, 5), (2, 5), (5, 5), (0, 20), (7, 20), (20, 20)]
    for xt, nt in small:
        for xc, nc in small:
            rows.append((xt, nt, xc, nc))
    rows += [
        (1030, 9955, 821, 8655),
        (5, 1000, 0, 1000),
        (1000, 1000, 990, 1000),
        (355, 4003, 377, 4008),
        (12345, 10**6, 11000, 10**6),
    ]
    arr = np.array(rows, dtype=float)
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]


XT, NT, XC, NC = _pairs()
SM_DIFF = {"wald": "wald", "newcombe": "newcomb", "agresti_caffo": "agresti-caffo"}


@pytest.mark.parametrize("method", ["wald", "newcombe", "agresti_caffo"])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_difference_interval_matches_statsmodels(method: str, alpha: float) -> None:
    # Source: statsmodels confint_proportions_2indep(compare="diff"), clipped to [-1, 1].
    ci = difference_interval(XT, NT, XC, NC, method=method, alpha=alpha)  # type: ignore[arg-type]
    low, high = _quiet(
        confint_proportions_2indep, XT, NT, XC, NC, method=SM_DIFF[method], alpha=alpha
    )
    low, high = np.clip(low, -1, 1), np.clip(high, -1, 1)
    if method == "wald":
        pt, pc = XT / NT, XC / NC
        zero = pt * (1 - pt) / NT + pc * (1 - pc) / NC == 0
        assert np.isnan(ci.low[zero]).all()
        assert (ci.reason[zero] != "").all()
        low, high = np.where(zero, np.nan, low), np.where(zero, np.nan, high)
    np.testing.assert_allclose(ci.low, low, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ci.high, high, rtol=1e-10, atol=1e-13)


def test_one_of_one_vs_zero_of_one_not_zero_width() -> None:
    # Regression: 1 of 1 against 0 of 1. Newcombe by hand: Wilson(1,1) = [0.206549, 1],
    # Wilson(0,1) = [0, 0.793451], so d = 1 and the interval is
    # [1 - sqrt(0.793451^2 + 0.793451^2), 1] = [-0.122109, 1].
    ci = difference_interval(1, 1, 0, 1)
    assert float(ci.low) == pytest.approx(1 - math.sqrt(2) * 0.7934506, abs=1e-6)
    assert float(ci.high) == 1.0
    ac = difference_interval(1, 1, 0, 1, method="agresti_caffo")
    assert float(ac.high) - float(ac.low) > 0.5
    wald = difference_interval(1, 1, 0, 1, method="wald")  # would be the point [1, 1]
    assert np.isnan(wald.low)
    assert "standard error is 0" in wald.reason.item()


def test_control_zero_still_has_difference() -> None:
    # Regression: control 0 of 1000 vs treatment 5 of 1000: only the lift is undefined.
    # Source: statsmodels confint_proportions_2indep(5, 1000, 0, 1000, method="newcomb")
    # = (0.000221110656, 0.011650955373).
    ci = difference_interval(5, 1000, 0, 1000)
    assert float(ci.low) == pytest.approx(0.000221110656, rel=1e-9)
    assert float(ci.high) == pytest.approx(0.011650955373, rel=1e-9)
    lift = lift_interval(5, 1000, 0, 1000)
    assert np.isnan(lift.low)
    assert lift.reason.item() == "control rate is 0: lift undefined"


def test_all_converted_vs_almost_all_not_zero() -> None:
    # Regression: 1000/1000 vs 990/1000. Source: statsmodels confint_proportions_2indep
    # newcomb = (0.004048, 0.018309) approximately; checked to 1e-9 against the call.
    ci = difference_interval(1000, 1000, 990, 1000)
    ref = confint_proportions_2indep(1000, 1000, 990, 1000, method="newcomb")
    assert float(ci.low) == pytest.approx(ref[0], rel=1e-9)
    assert float(ci.high) == pytest.approx(ref[1], rel=1e-9)
    assert float(ci.low) > 0.004
    lift = lift_interval(1000, 1000, 990, 1000, method="score")
    assert 0 < float(lift.low) < 0.0101 < float(lift.high)


def test_difference_reasons_name_the_arm() -> None:
    ci = difference_interval([1, 1, 5], [0, 10, 10], [1, np.nan, 11], [10, 10, 10])
    assert ci.reason.tolist() == [
        "treatment: no entries (n = 0)",
        "control: missing input (NaN)",
        "control: count exceeds entries (x > n): a per-entry rate, not a proportion",
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(counts, counts, counts, counts), min_size=1, max_size=20))
def test_property_difference_contains_estimate(rows: list[tuple[int, ...]]) -> None:
    arr = np.array(rows, dtype=float)
    nt, xt = arr.max(axis=1)[:, None].ravel() + 1, arr[:, 0]
    nc, xc = arr[:, 1] + arr[:, 2] + 1, arr[:, 1]
    xt = np.minimum(xt, nt)
    d = xt / nt - xc / nc
    for method in ("newcombe", "agresti_caffo"):
        ci = difference_interval(xt, nt, xc, nc, method=method)  # type: ignore[arg-type]
        assert (ci.reason == "").all()
        assert (ci.low >= -1).all()
        assert (ci.high <= 1).all()
        if method == "newcombe":
            assert (ci.low <= d + 1e-12).all()
            assert (d <= ci.high + 1e-12).all()


# ------------------------------------------------------------------------------------------
# lift_interval
# ------------------------------------------------------------------------------------------
def _sm_score_stat(r: float, xt: float, nt: float, xc: float, nc: float) -> float:
    # Source: statsmodels' own implementation of the Miettinen-Nurminen score statistic.
    res = _quiet(
        score_test_proportions_2indep, xt, nt, xc, nc, value=r, compare="ratio", correction=True
    )
    return float(res.statistic)


def _reference_score_bounds(
    xt: float, nt: float, xc: float, nc: float, alpha: float = 0.05
) -> tuple[float, float]:
    """Careful scalar root-finding: bracket by halving/doubling, then scipy's brentq."""
    z = norm.isf(alpha / 2)
    r_hat = (xt / nt) / (xc / nc)

    def f(r: float) -> float:
        # The numerator pt - r pc is 0 at r_hat (statsmodels gives 0/0 there when pt = 1).
        return 0.0 if r == r_hat else _sm_score_stat(r, xt, nt, xc, nc)

    if xt == 0:
        low = 0.0
        start = 0.5 / nt / (xc / nc)
        while f(start) <= -z:
            start /= 16
    else:
        lo = r_hat / 2
        while f(lo) <= z:
            lo /= 2
        low = optimize.brentq(lambda r: f(r) - z, lo, r_hat, xtol=1e-16, rtol=1e-15, maxiter=500)
        start = r_hat
    hi = max(start, 1e-300) * 2
    while f(hi) >= -z:
        hi *= 2
    high = optimize.brentq(lambda r: f(r) + z, start, hi, xtol=1e-16, rtol=1e-15, maxiter=500)
    return low - 1, high - 1


LIFT_CASES = [
    (1030, 9955, 821, 8655),
    (0, 100, 5, 100),
    (5, 10, 5, 10),
    (1, 1, 1, 1),
    (10, 10, 10, 10),
    (0, 1, 1, 1),
    (3, 7, 1, 9),
    (1000, 1000, 990, 1000),
    (355, 4003, 377, 4008),
    (2, 10**6, 40, 10**6),
    (0, 10**7, 3, 10),
]


def test_score_lift_regression_1030_of_9955_vs_821_of_8655() -> None:
    # Regression: the ratio score interval for 1030/9955 vs 821/8655. Source: scalar brentq on
    # statsmodels' score statistic (correction=True): ratio bounds 0.99985981, 1.18996542.
    ci = lift_interval(1030, 9955, 821, 8655, method="score")
    low, high = _reference_score_bounds(1030, 9955, 821, 8655)
    assert float(ci.low) == pytest.approx(low, rel=1e-9, abs=1e-12)
    assert float(ci.high) == pytest.approx(high, rel=1e-9)
    assert float(ci.low) == pytest.approx(-0.000140188, abs=1e-9)
    assert float(ci.high) == pytest.approx(0.189965416, abs=1e-9)
    # And the statistic is +/- z at the bounds (statsmodels' score test as the judge).
    z = norm.isf(0.025)
    assert _sm_score_stat(float(ci.low) + 1, 1030, 9955, 821, 8655) == pytest.approx(z, 1e-9)
    assert _sm_score_stat(float(ci.high) + 1, 1030, 9955, 821, 8655) == pytest.approx(-z, 1e-9)


def test_score_lift_matches_scalar_root_finding() -> None:
    # Source: scalar brentq on statsmodels' score statistic, one cell at a time; ours solves
    # all cells in one vectorised call.
    arr = np.array(LIFT_CASES, dtype=float)
    ci = lift_interval(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], method="score")
    for i, case in enumerate(LIFT_CASES):
        low, high = _reference_score_bounds(*case)
        assert ci.low[i] == pytest.approx(low, rel=1e-8, abs=1e-11), case
        assert ci.high[i] == pytest.approx(high, rel=1e-8, abs=1e-11), case


def _decimal_score_stat(r: float, xt: int, nt: int, xc: int, nc: int) -> float:
    """The Miettinen-Nurminen statistic written out plainly, in 50-digit decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 50
        R, XT, NT, XC, NC = Decimal(r), Decimal(xt), Decimal(nt), Decimal(xc), Decimal(nc)
        big_n = NT + NC
        a, b, c = R * big_n, -(R * NT + XT + NC + R * XC), XT + XC
        pc = (-b - (b * b - 4 * a * c).sqrt()) / (2 * a)
        pt = R * pc
        var = (pt * (1 - pt) / NT + R * R * pc * (1 - pc) / NC) * big_n / (big_n - 1)
        return float((XT / NT - R * XC / NC) / var.sqrt())


@pytest.mark.parametrize(
    "case",
    [
        (9_999_995, 10**7, 9_999_950, 10**7),
        (10**9, 10**9, 10**9 - 1, 10**9),
        (1, 10**12, 1, 10**12),
        (5 * 10**8, 10**9, 1, 10**9),
    ],
)
def test_score_lift_extreme_counts_high_precision(case: tuple[int, int, int, int]) -> None:
    # The textbook formula in double precision loses the failure rates of rates near 1 to
    # cancellation in 1 - p (at these bounds statsmodels' statistic reads 1.95994 for 1.95996
    # in the first case, 5.43 and NaN in the second); ours solves for the failure rates.
    # Source: the statistic in 50-digit decimal arithmetic, evaluated at our bounds.
    z = norm.isf(0.025)
    ci = lift_interval(*case, method="score")
    assert _decimal_score_stat(float(ci.low) + 1, *case) == pytest.approx(z, rel=1e-7)
    assert _decimal_score_stat(float(ci.high) + 1, *case) == pytest.approx(-z, rel=1e-7)


def test_score_lift_alpha_and_statsmodels_where_it_works() -> None:
    # Source: statsmodels confint_proportions_2indep(compare="ratio", method="score") (Nam's
    # polynomial), alpha = 0.1 and 0.01, on a case where its root selection is right.
    for alpha in (0.1, 0.01):
        ci = lift_interval(1030, 9955, 821, 8655, method="score", alpha=alpha)
        ref = confint_proportions_2indep(
            1030, 9955, 821, 8655, method="score", compare="ratio", alpha=alpha
        )
        assert float(ci.low) == pytest.approx(ref[0] - 1, rel=1e-8, abs=1e-11)
        assert float(ci.high) == pytest.approx(ref[1] - 1, rel=1e-8)


def test_score_lift_symmetric_when_both_arms_all_converted() -> None:
    # 10/10 vs 10/10: swapping the arms inverts the ratio, so the bounds of R are reciprocal.
    # (statsmodels' polynomial picks a wrong root here and returns a lower bound of ~1.)
    ci = lift_interval(10, 10, 10, 10, method="score")
    assert (float(ci.low) + 1) * (float(ci.high) + 1) == pytest.approx(1.0, rel=1e-10)
    assert float(ci.low) < -0.2


def test_delta_lift_matches_statsmodels_log() -> None:
    # Source: statsmodels confint_proportions_2indep(compare="ratio", method="log"), minus 1.
    cases = [c for c in LIFT_CASES if c[0] > 0 and (c[0], c[2]) != (c[1], c[3])]
    arr = np.array(cases, dtype=float)
    ci = lift_interval(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], method="delta")
    low, high = confint_proportions_2indep(
        arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], method="log", compare="ratio"
    )
    np.testing.assert_allclose(ci.low, low - 1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ci.high, high - 1, rtol=1e-10, atol=1e-12)
    zero = lift_interval(0, 100, 5, 100, method="delta")
    assert np.isnan(zero.low)
    assert "use 'score'" in zero.reason.item()


def test_fieller_lift_solves_its_quadratic() -> None:
    # Source: the Fieller set {R : (pt - R pc)^2 <= z^2 (vt + R^2 vc)} solved independently
    # with numpy.roots on the quadratic (pc^2 - z^2 vc) R^2 - 2 pt pc R + pt^2 - z^2 vt = 0.
    # By hand for 1030/9955 vs 821/8655: pt = 0.1034656, pc = 0.0948584, ratio 1.0907;
    # vt = 9.27e-6, vc = 9.92e-6, interval of the lift about [0.000105, 0.190646].
    z = norm.isf(0.025)
    cases = [(1030, 9955, 821, 8655), (5, 10, 5, 10), (355, 4003, 377, 4008), (1, 2, 1, 1)]
    for xt, nt, xc, nc in cases:  # the last one's lower root is negative: clipped to R = 0
        pt, pc = xt / nt, xc / nc
        vt, vc = pt * (1 - pt) / nt, pc * (1 - pc) / nc
        roots = np.sort(np.roots([pc**2 - z**2 * vc, -2 * pt * pc, pt**2 - z**2 * vt]).real)
        ci = lift_interval(xt, nt, xc, nc, method="fieller")
        assert float(ci.low) == pytest.approx(max(roots[0], 0) - 1, rel=1e-9, abs=1e-12)
        assert float(ci.high) == pytest.approx(roots[1] - 1, rel=1e-9)
    ci = lift_interval(1030, 9955, 821, 8655, method="fieller")
    assert float(ci.low) == pytest.approx(0.000105, abs=1e-6)
    assert float(ci.high) == pytest.approx(0.190646, abs=1e-6)
    # Unbounded when the control is not distinguishable from 0: 1 of 3 (pc^2 < z^2 vc).
    wide = lift_interval(1, 3, 1, 3, method="fieller")
    assert np.isnan(wide.low)
    assert "unbounded" in wide.reason.item()


def test_lift_vectorised_over_many_cells_is_fast_and_equal() -> None:
    # 20,000 cells in one call: equal to the cell-by-cell answers on a sample of cells.
    rng = np.random.default_rng(3)
    nt = rng.integers(1, 5000, 20_000).astype(float)
    nc = rng.integers(1, 5000, 20_000).astype(float)
    xt = rng.binomial(nt.astype(int), 0.03).astype(float)
    xc = rng.binomial(nc.astype(int), 0.03).astype(float)
    ci = lift_interval(xt, nt, xc, nc, method="score")
    assert ((ci.reason == "") == (xc > 0)).all()
    for i in rng.choice(20_000, 15, replace=False):
        one = lift_interval(xt[i], nt[i], xc[i], nc[i], method="score")
        np.testing.assert_allclose(one.low, ci.low[i], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(one.high, ci.high[i], rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5000), st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 5000)
        ),
        min_size=1,
        max_size=20,
    )
)
def test_property_lift_intervals_contain_estimate(rows: list[tuple[int, int, int, int]]) -> None:
    arr = np.array(rows, dtype=float)
    nt = np.maximum(arr[:, 0], arr[:, 1])
    nc = np.maximum(arr[:, 2], arr[:, 3])
    xt, xc = arr[:, 0], np.minimum(arr[:, 2], arr[:, 3])
    lift = (xt / nt) / (xc / nc) - 1
    for method in ("delta", "fieller", "score"):
        ci = lift_interval(xt, nt, xc, nc, method=method)  # type: ignore[arg-type]
        ok = ci.reason == ""
        assert (ok == ~np.isnan(ci.low)).all()
        assert (ci.low[ok] >= -1).all()
        assert (ci.low[ok] <= lift[ok] * (1 + 1e-10) + 1e-10).all()
        assert (lift[ok] <= ci.high[ok] * (1 + 1e-10) + 1e-10).all()
    assert (lift_interval(xt, nt, xc, nc, method="score").reason == "").all()

"""Always-valid p-values and confidence sequences (ttstats.stats.sequential).

Sources of the expected values: the mixture likelihood ratio integrated numerically with
``scipy.integrate.quad`` (the normal likelihood ratio averaged over theta ~ N(0, tau^2)), the
confidence bound solved with ``scipy.optimize.brentq`` on that integral, and seeded
simulations with a known truth (A/A experiments for the false-positive rate, a real lift for
the power).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from ttstats.stats import always_valid_pvalue, confidence_sequence, proportion_test


def mixture_log_ratio(theta_hat: float, var: float, tau2: float, theta0: float = 0.0) -> float:
    """log Lambda by integration: log E_theta~N(theta0, tau2)[N(theta_hat; theta, V)] minus
    log N(theta_hat; theta0, V); the integrand is scaled by its peak to stay finite."""
    sd, tau = math.sqrt(var), math.sqrt(tau2)

    def log_joint(t: float) -> float:
        return float(stats.norm.logpdf(theta_hat, t, sd) + stats.norm.logpdf(t, theta0, tau))

    peak = (theta_hat * tau2 + theta0 * var) / (var + tau2)  # where the integrand peaks
    spread = math.sqrt(var * tau2 / (var + tau2))
    top = log_joint(peak)
    num = integrate.quad(
        lambda t: math.exp(log_joint(t) - top),
        peak - 12 * spread,
        peak + 12 * spread,
        epsabs=0,
        epsrel=1e-12,
        limit=200,
    )[0]
    return math.log(num) + top - float(stats.norm.logpdf(theta_hat, theta0, sd))


LOOKS = [
    # (x_t, n_t, x_c, n_c) at one look
    (60, 1000, 50, 1000),
    (318, 5000, 250, 5000),
    (7, 80, 2, 95),
    (4500, 90_000, 4300, 91_000),
]


@pytest.mark.parametrize(("xt", "nt", "xc", "nc"), LOOKS)
@pytest.mark.parametrize("tau2", [1e-6, 2.5e-5, 1e-3])
def test_likelihood_ratio_is_the_normal_mixture(
    xt: int, nt: int, xc: int, nc: int, tau2: float
) -> None:
    res = always_valid_pvalue(xt, nt, xc, nc, mixing_variance=tau2)
    pt, pc = xt / nt, xc / nc
    var = pt * (1 - pt) / nt + pc * (1 - pc) / nc
    expected = math.exp(mixture_log_ratio(pt - pc, var, tau2))
    assert float(res.statistic) == pytest.approx(expected, rel=1e-9)
    assert float(res.pvalue) == pytest.approx(min(1.0, 1.0 / expected), rel=1e-9)


@pytest.mark.parametrize(("xt", "nt", "xc", "nc"), LOOKS)
@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_one_look_bounds_solve_the_mixture_at_one_over_alpha(
    xt: int, nt: int, xc: int, nc: int, alpha: float
) -> None:
    tau2 = 1e-4
    cs = confidence_sequence(xt, nt, xc, nc, alpha=alpha, mixing_variance=tau2)
    pt, pc = xt / nt, xc / nc
    d = pt - pc
    var = pt * (1 - pt) / nt + pc * (1 - pc) / nc

    def excess(theta0: float) -> float:
        return mixture_log_ratio(d, var, tau2, theta0) - math.log(1 / alpha)

    width = 20 * math.sqrt(var + tau2)
    low = optimize.brentq(excess, d - width, d, xtol=1e-14)
    high = optimize.brentq(excess, d, d + width, xtol=1e-14)
    assert float(cs.low) == pytest.approx(low, abs=1e-9)
    assert float(cs.high) == pytest.approx(high, abs=1e-9)


def test_shapes_follow_the_inputs() -> None:
    """One look as scalars gives 0-d results (as every other statistic does); no looks give
    empty results of the inputs' shape."""
    for res in (
        always_valid_pvalue(60, 1000, 50, 1000),
        confidence_sequence(60, 1000, 50, 1000),
    ):
        assert all(np.shape(field) == () for field in res)
    one = always_valid_pvalue([60], [1000], [50], [1000])
    assert float(always_valid_pvalue(60, 1000, 50, 1000).pvalue) == float(one.pvalue[0])
    for empty in ([], np.zeros((3, 0))):
        for res in (
            always_valid_pvalue(empty, empty, empty, empty),
            confidence_sequence(empty, empty, empty, empty),
        ):
            assert all(np.shape(field) == np.shape(empty) for field in res)


def test_running_values_along_the_look_axis() -> None:
    # Three looks of two cells side by side (axis=0): running minimum of 1/Lambda, running
    # intersection of the one-look intervals.
    xt = np.array([[10, 30], [25, 61], [60, 90]])
    nt = np.array([[200, 500], [400, 1000], [800, 1500]])
    xc = np.array([[8, 25], [15, 55], [30, 80]])
    nc = np.array([[190, 510], [410, 990], [790, 1490]])
    tau2 = 4e-4
    seq = always_valid_pvalue(xt, nt, xc, nc, mixing_variance=tau2, axis=0)
    cs = confidence_sequence(xt, nt, xc, nc, mixing_variance=tau2, axis=0)
    for j in range(2):
        ones = [
            always_valid_pvalue(xt[i, j], nt[i, j], xc[i, j], nc[i, j], mixing_variance=tau2)
            for i in range(3)
        ]
        single = [
            confidence_sequence(xt[i, j], nt[i, j], xc[i, j], nc[i, j], mixing_variance=tau2)
            for i in range(3)
        ]
        p_each = [float(r.pvalue) for r in ones]
        np.testing.assert_allclose(seq.pvalue[:, j], np.minimum.accumulate(p_each), rtol=1e-12)
        np.testing.assert_allclose(
            cs.low[:, j], np.maximum.accumulate([float(c.low) for c in single]), rtol=1e-12
        )
        np.testing.assert_allclose(
            cs.high[:, j], np.minimum.accumulate([float(c.high) for c in single]), rtol=1e-12
        )


counts = st.integers(min_value=0, max_value=400)


@st.composite
def running_totals(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    looks = draw(st.integers(min_value=1, max_value=8))
    arms = []
    for _ in range(2):
        n = np.cumsum(draw(st.lists(counts, min_size=looks, max_size=looks)))
        x = np.cumsum([draw(st.integers(0, int(k))) for k in np.diff(np.concatenate([[0], n]))])
        arms += [x.astype(float), n.astype(float)]
    return tuple(arms)


@settings(max_examples=200, deadline=None)
@given(running_totals(), st.sampled_from([0.01, 0.05, 0.2]))
def test_pvalue_never_increases_and_is_dual_to_the_sequence(
    arms: tuple[np.ndarray, ...], alpha: float
) -> None:
    xt, nt, xc, nc = arms
    res = always_valid_pvalue(xt, nt, xc, nc, mixing_variance=1e-3)
    cs = confidence_sequence(xt, nt, xc, nc, alpha=alpha, mixing_variance=1e-3)
    p = res.pvalue
    defined = ~np.isnan(p)
    # NaN only before the first defined look, and then with a reason
    if defined.any():
        first = int(np.argmax(defined))
        assert defined[first:].all()
    assert (res.reason[~defined] != "").all() and (res.reason[defined] == "").all()
    assert (np.diff(p[defined]) <= 0).all()
    assert ((p[defined] >= 0) & (p[defined] <= 1)).all()
    np.testing.assert_array_equal(np.isnan(cs.low), ~defined)
    # p <= alpha exactly where the running interval excludes 0
    excludes = (cs.low[defined] > 0) | (cs.high[defined] < 0)
    clear = np.abs(p[defined] - alpha) > 1e-9 * alpha  # away from the boundary itself
    np.testing.assert_array_equal(excludes[clear], p[defined][clear] < alpha)


def test_undefined_looks_carry_the_evidence_over() -> None:
    # look 0: no entries in the treatment; look 1: 0 conversions anywhere (V = 0); look 2
    # defined; look 3 identical counts to look 2 again; look 4 missing (NaN).
    xt = [0, 0, 30, 30, np.nan]
    nt = [0, 100, 300, 300, np.nan]
    xc = [0, 0, 10, 10, np.nan]
    nc = [5, 100, 300, 300, np.nan]
    res = always_valid_pvalue(xt, nt, xc, nc, mixing_variance=1e-3)
    assert np.isnan(res.pvalue[:2]).all()
    assert res.reason[0] == "treatment: no entries (n = 0)"
    assert "standard error is 0" in res.reason[1]
    assert res.pvalue[3] == res.pvalue[2] and res.reason[3] == ""
    assert np.isnan(res.pvalue[4]) and res.reason[4] == "treatment: missing input (NaN)"


def test_default_mixing_variance_is_ten_percent_of_the_first_pooled_rate() -> None:
    xt, nt, xc, nc = [30, 70], [1000, 2000], [20, 50], [1000, 2000]
    pooled = (30 + 20) / 2000  # the first look's pooled rate
    explicit = always_valid_pvalue(xt, nt, xc, nc, mixing_variance=(0.1 * pooled) ** 2)
    default = always_valid_pvalue(xt, nt, xc, nc)
    np.testing.assert_allclose(default.pvalue, explicit.pvalue, rtol=1e-14)
    none = always_valid_pvalue([0, 0], [10, 20], [0, 0], [10, 20])
    assert np.isnan(none.pvalue).all() and (none.reason != "").all()
    # looks before the first conversion have no p-value; the rate is taken at the first one
    late = always_valid_pvalue([0, 3, 9], [100, 200, 300], [0, 1, 4], [100, 200, 300])
    assert np.isnan(late.pvalue[0]) and late.reason[0]
    tau2 = (0.1 * 4 / 400) ** 2
    fixed = always_valid_pvalue([3, 9], [200, 300], [1, 4], [200, 300], mixing_variance=tau2)
    np.testing.assert_allclose(late.pvalue[1:], fixed.pvalue, rtol=1e-14)


def test_a_later_look_never_changes_the_earlier_p_values() -> None:
    """A pipeline re-reading the report every day sees the same series, one look longer."""
    rng = np.random.default_rng(7)
    days, traffic = 20, 500
    x_t = np.cumsum(rng.binomial(traffic, 0.055, size=(200, days)), axis=1)
    x_c = np.cumsum(rng.binomial(traffic, 0.05, size=(200, days)), axis=1)
    n = np.cumsum(np.full((200, days), traffic), axis=1)
    whole = always_valid_pvalue(x_t, n, x_c, n, axis=1).pvalue
    for k in (1, 5, 12):
        so_far = always_valid_pvalue(x_t[:, :k], n[:, :k], x_c[:, :k], n[:, :k], axis=1)
        np.testing.assert_array_equal(so_far.pvalue, whole[:, :k])


def test_mixing_variance_broadcasts_over_cells_not_looks() -> None:
    xt = np.array([[5, 12, 20], [50, 90, 130]])
    nt = np.array([[100, 200, 300], [1000, 2000, 3000]])
    tau2 = np.array([1e-3, 1e-5])
    both = always_valid_pvalue(xt, nt, xt // 2, nt, mixing_variance=tau2)
    for i in range(2):
        one = always_valid_pvalue(xt[i], nt[i], xt[i] // 2, nt[i], mixing_variance=tau2[i])
        np.testing.assert_allclose(both.pvalue[i], one.pvalue, rtol=1e-14)
    with pytest.raises(ValueError, match="mixing_variance must broadcast"):
        always_valid_pvalue(xt, nt, xt, nt, mixing_variance=[1e-3, 1e-3, 1e-3])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mixing_variance": 0.0}, "mixing_variance"),
        ({"mixing_variance": -1.0}, "mixing_variance"),
        ({"mixing_variance": np.nan}, "mixing_variance"),
        ({"axis": 3}, "axis"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        always_valid_pvalue([1, 2], [10, 20], [1, 2], [10, 20], **kwargs)  # type: ignore[arg-type]


def test_totals_that_decrease_are_refused() -> None:
    with pytest.raises(ValueError, match="n_t: expected running totals"):
        always_valid_pvalue([1, 2, 3], [10, 30, 20], [1, 2, 3], [10, 20, 30])
    with pytest.raises(ValueError, match="alpha"):
        confidence_sequence([1], [10], [1], [10], alpha=1.5)


# --------------------------------------------------------------------------------------------
# The guarantee, by simulation (seeded; loose bounds that still fail if it is broken)
# --------------------------------------------------------------------------------------------
def daily_running_totals(
    rng: np.random.Generator, reps: int, days: int, traffic: int, p_c: float, p_t: float
) -> tuple[np.ndarray, ...]:
    n = np.full((reps, days), float(traffic))
    xt = rng.binomial(traffic, p_t, size=(reps, days)).astype(float)
    xc = rng.binomial(traffic, p_c, size=(reps, days)).astype(float)
    return tuple(np.cumsum(a, axis=1) for a in (xt, n, xc, n))


def test_peeking_inflates_the_fixed_test_but_not_the_always_valid_one() -> None:
    # 2,000 A/A experiments, 30 daily looks of 1,000 entries per arm at a 5% rate.
    rng = np.random.default_rng(20261204)
    xt, nt, xc, nc = daily_running_totals(rng, 2000, 30, 1000, 0.05, 0.05)
    fixed = proportion_test(xt, nt, xc, nc, method="z").pvalue
    fixed_fpr = float((fixed < 0.05).any(axis=1).mean())
    planned = always_valid_pvalue(xt, nt, xc, nc, mixing_variance=(0.1 * 0.05) ** 2, axis=1)
    planned_fpr = float((planned.pvalue < 0.05).any(axis=1).mean())
    # What a daily pipeline does with the default mixing variance: at day k, recompute from
    # the data up to day k and act if the newest p-value is below alpha.
    acted = np.zeros(len(xt), dtype=bool)
    for k in range(1, 31):
        day = always_valid_pvalue(xt[:, :k], nt[:, :k], xc[:, :k], nc[:, :k], axis=1)
        acted |= day.pvalue[:, -1] < 0.05
    pipeline_fpr = float(acted.mean())
    # Known from theory: peeking 30 times at a 5% test rejects in roughly a quarter of A/A
    # runs; Ville's inequality bounds the mSPRT by 5% (SE of the estimate ~0.5% at 2,000 runs).
    assert fixed_fpr > 0.15
    assert planned_fpr <= 0.05 + 0.015
    assert pipeline_fpr <= 0.05 + 0.015


def test_always_valid_test_finds_a_real_lift() -> None:
    # +20% on a 5% rate, 30 days of 1,000 entries per arm: the fixed test at day 30 has power
    # ~0.9998 (z = 0.01 / sqrt(2 * 0.0525 * 0.9475 / 30000) ~ 5.4); the always-valid test
    # pays for its guarantee but must still find most of them.
    rng = np.random.default_rng(7)
    xt, nt, xc, nc = daily_running_totals(rng, 1000, 30, 1000, 0.05, 0.06)
    res = always_valid_pvalue(xt, nt, xc, nc, mixing_variance=(0.1 * 0.055) ** 2, axis=1)
    power = float((res.pvalue[:, -1] < 0.05).mean())
    assert power > 0.9
    cs = confidence_sequence(xt, nt, xc, nc, mixing_variance=(0.1 * 0.055) ** 2, axis=1)
    covered = (cs.low <= 0.01) & (cs.high >= 0.01)
    assert float(covered.all(axis=1).mean()) >= 0.95 - 0.02


def test_an_undefined_look_says_why_and_that_its_value_carried_over() -> None:
    # look 2 reports more treatment conversions (400) than entries (200): no evidence there,
    # the p-value and the interval are those of look 1, and the reason says both
    res = always_valid_pvalue([5, 400, 405], [100, 200, 300], [3, 6, 9], [100, 200, 300])
    cs = confidence_sequence([5, 400, 405], [100, 200, 300], [3, 6, 9], [100, 200, 300])
    assert res.reason[0] == "" and cs.reason[0] == ""
    assert np.isnan(res.statistic[1]) and res.pvalue[1] == res.pvalue[0]
    assert (cs.low[1], cs.high[1]) == (cs.low[0], cs.high[0])
    for reason in (res.reason[1], cs.reason[1]):
        assert reason.startswith("treatment: count exceeds entries")
        assert reason.endswith(
            "this look is undefined: its value carries over from the last defined look"
        )

"""Minimum detectable lift and samples to detect (ttstats.stats.power)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special
from scipy.stats import norm
from statsmodels.stats.proportion import (
    power_proportions_2indep,
    samplesize_proportions_2indep_onetail,
)

from ttstats.stats import minimum_detectable_lift, samples_to_detect

Z_ALPHA, Z_POWER = norm.isf(0.025), norm.ppf(0.8)  # 1.959964, 0.841621


def _criterion(lift: float, q: float, n_c: float, n_t: float, z_alpha: float = Z_ALPHA) -> float:
    """By hand (Fleiss et al. 2003, 4.2): |d| - z_a sigma_0 - z_b sigma_1, zero at detection,
    sigma_0 from the pooled rate (the pooled z-test's null variance), sigma_1 unpooled."""
    pt = q * (1 + lift)
    pooled = (n_c * q + n_t * pt) / (n_c + n_t)
    null = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    alt = math.sqrt(q * (1 - q) / n_c + pt * (1 - pt) / n_t)
    return abs(q * lift) - z_alpha * null - Z_POWER * alt


CASES = [
    (0.05, 10_000, 10_000),
    (0.01, 2_000, 3_000),
    (0.5, 100, 100),
    (0.2, 50, 5_000),
    (0.2, 5_000, 50),
]


@pytest.mark.parametrize(("q", "n_c", "n_t"), CASES)
def test_mdl_solves_the_criterion(q: float, n_c: float, n_t: float) -> None:
    # Source: scipy brentq on the scalar criterion written out by hand above.
    ref = optimize.brentq(_criterion, 1e-9, 1 / q - 1, args=(q, n_c, n_t), xtol=1e-15)
    got = minimum_detectable_lift(q, n_c, n_t)
    assert float(got.lift) == pytest.approx(ref, rel=1e-10)
    assert got.reason.item() == ""


@pytest.mark.parametrize(("q", "n_c", "n_t"), CASES)
def test_statsmodels_power_at_the_mdl_is_the_power_asked(q: float, n_c: float, n_t: float) -> None:
    # statsmodels' power of the pooled z-test (sample 1 the treatment, nobs2 = ratio * nobs1);
    # it adds the wrong tail's rejections, which the MDL ignores: below 1e-4 here
    lift = float(minimum_detectable_lift(q, n_c, n_t).lift)
    res = power_proportions_2indep(q * lift, q, n_t, ratio=n_c / n_t)
    assert res.power == pytest.approx(0.8, abs=1e-4)
    assert res.power >= 0.8 - 1e-12


def test_mdl_per_cell_alpha_as_in_a_family() -> None:
    # alpha / m for a family of m = 10 comparisons: statsmodels' power at that level
    lift = minimum_detectable_lift(0.05, [10_000, 2_000], [10_000, 3_000], alpha=[0.005, 0.05])
    power = power_proportions_2indep(0.05 * lift.lift[0], 0.05, 10_000, alpha=0.005).power
    assert power == pytest.approx(0.8, abs=1e-4)
    assert lift.lift[1] == pytest.approx(float(minimum_detectable_lift(0.05, 2_000, 3_000).lift))
    with pytest.raises(ValueError, match="alpha"):
        minimum_detectable_lift(0.05, 100, 100, alpha=[0.05, 1.0])


def test_mdl_alpha_power_and_undefined() -> None:
    # Tighter alpha or more power needs a larger lift (monotone in k).
    base = float(minimum_detectable_lift(0.05, 5000, 5000).lift)
    assert float(minimum_detectable_lift(0.05, 5000, 5000, alpha=0.01).lift) > base
    assert float(minimum_detectable_lift(0.05, 5000, 5000, power=0.9).lift) > base
    res = minimum_detectable_lift([0.0, 1.0, np.nan, 0.05, 0.9], [100, 100, 100, 0, 10], 100)
    assert res.reason.tolist() == [
        "control rate is 0: lift undefined",
        "control rate is 1: no upward lift is possible",
        "missing input (NaN)",
        "no entries (n = 0)",
        "no detectable lift: the treatment rate would have to exceed 1",
    ]
    assert np.isnan(res.lift).all()


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({"alpha": 1.0}, "alpha"), ({"power": 0}, "power"), ({"power": True}, "power")],
)
def test_invalid_levels(kwargs: dict[str, float], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        minimum_detectable_lift(0.05, 100, 100, **kwargs)


def test_invalid_rates() -> None:
    with pytest.raises(ValueError, match="p_c"):
        minimum_detectable_lift(1.5, 100, 100)
    with pytest.raises(ValueError, match="rate_per_sample_t"):
        samples_to_detect(0.1, 0.05, 100, -1)


def test_samples_to_detect_against_statsmodels_sample_size() -> None:
    # 10% lift on 5%, 1000 entries per day per arm, none yet: statsmodels' sample size of the
    # pooled z-test, 31,233.4 per arm, is 31.2 days -> 32 days
    res = samples_to_detect(0.10, 0.05, 1000, 1000)
    per_arm = samplesize_proportions_2indep_onetail(0.005, 0.05, 0.8, ratio=1.0, alpha=0.05)
    assert float(res.samples) == math.ceil(per_arm / 1000) == 32
    # unequal traffic, 2 visitors of the treatment per control visitor
    res = samples_to_detect(0.2, 0.03, 500, 1000)
    per_arm = samplesize_proportions_2indep_onetail(0.006, 0.03, 0.8, ratio=0.5, alpha=0.05)
    assert float(res.samples) == math.ceil(per_arm / 1000)


@pytest.mark.parametrize(
    ("lift", "q", "rc", "rt", "nc", "nt"),
    [
        (0.1, 0.05, 1000, 1000, 0, 0),
        (0.1, 0.05, 700, 1300, 5000, 2000),
        (0.25, 0.01, 50, 50, 100, 100),
        (0.05, 0.3, 2000, 100, 0, 30000),
    ],
)
def test_samples_to_detect_is_the_first_detectable_sample(
    lift: float, q: float, rc: float, rt: float, nc: float, nt: float
) -> None:
    # Consistency with the hand criterion: detectable after m samples, not after m - 1.
    m = float(samples_to_detect(lift, q, rc, rt, n_c=nc, n_t=nt).samples)
    assert m >= 1
    assert _criterion(lift, q, nc + m * rc, nt + m * rt) >= -1e-12
    if m > 1 or (nc > 0 and nt > 0):
        assert _criterion(lift, q, nc + (m - 1) * rc, nt + (m - 1) * rt) < 0


def test_samples_to_detect_drops_and_edges() -> None:
    # A drop: the same criterion with p_t below p_c (brentq on the continuous m, by hand).
    m = float(samples_to_detect(-0.1, 0.05, 1000, 1000).samples)
    cont = optimize.brentq(lambda s: _criterion(-0.1, 0.05, 1000 * s, 1000 * s), 1, 1e4)
    assert m == math.ceil(cont)
    res = samples_to_detect(
        [0.1, 0.1, 0.0, 0.1, 25.0, 0.1, 0.1],
        [0.05, 0.05, 0.05, 0.0, 0.05, 0.05, 0.05],
        [1000, 1000, 1000, 1000, 1000, 0, 0],
        [1000, 1000, 1000, 1000, 1000, 1000, 1000],
        n_c=[0, 10**6, 0, 0, 0, 0, 200],
        n_t=[0, 10**6, 0, 0, 0, 0, 200],
    )
    assert res.samples[0] == 32
    assert res.samples[1] == 0  # already detectable with a million per arm
    assert res.reason[2:].tolist() == [
        "a lift of 0 is never detectable",
        "control rate is 0: lift undefined",
        "treatment rate p_c * (1 + lift) lies outside [0, 1]",
        "never detectable at this traffic: an arm gets no more entries",
        "never detectable at this traffic: an arm gets no more entries",
    ]
    assert np.isnan(res.samples[2:]).all()


def _equal_arms_samples(lift: float, q: float, rate: float, scale: float = 1.0) -> float:
    """Samples at ``rate`` entries per arm per sample, none yet, equal arms: the criterion
    solved by hand, n = ((z_a sqrt(2 pbar(1 - pbar)) + z_b sqrt(v_c + v_t)) / delta)^2 with
    the rates given as multiples of ``scale`` (the factors 1 - p are 1 to float64 at 1e-300)."""
    z_a, z_b = float(special.ndtri(0.975)), float(special.ndtri(0.8))
    p_t = q * (1 + lift)
    pbar = (q + p_t) / 2
    sd = z_a * math.sqrt(2 * pbar * (1 - pbar * scale)) + z_b * math.sqrt(
        q * (1 - q * scale) + p_t * (1 - p_t * scale)
    )
    return (sd / (p_t - q)) ** 2 / scale / rate


@pytest.mark.parametrize(
    ("lift", "q", "rate", "scale"),
    [
        (1e-10, 0.05, 100.0, 1.0),  # 3e20 samples: past 2**64, where the search used to stop
        (0.1, 1e-12, 1e6, 1.0),
        (0.1, 1.0, 1e6, 1e-300),  # a control rate of 1e-300: no underflow to "detectable"
    ],
)
def test_samples_to_detect_far_beyond_any_experiment(
    lift: float, q: float, rate: float, scale: float
) -> None:
    res = samples_to_detect(lift, q * scale, rate, rate)
    assert res.reason.item() == ""
    # the difference p_t - p_c loses digits to rounding at lift 1e-10: rel 1e-5
    assert float(res.samples) == pytest.approx(_equal_arms_samples(lift, q, rate, scale), rel=1e-5)


def test_samples_to_detect_beyond_counting_is_nan_with_reason() -> None:
    res = samples_to_detect([1e-17, 0.1, 0.1], [0.05, 1e-299, 1e-300], 1.0, 1.0)
    assert np.isnan(res.samples).all()
    assert res.reason.tolist() == [
        "the lift is below the precision of the rate: p_c * (1 + lift) equals p_c",
        "more samples than float64 can count (over 1e300): never detectable in practice",
        "more samples than float64 can count (over 1e300): never detectable in practice",
    ]


@settings(max_examples=50, deadline=None)
@given(
    st.floats(0.01, 0.5),
    st.floats(0.001, 0.6),
    st.integers(1, 5000),
    st.integers(1, 5000),
    st.integers(0, 20000),
)
def test_property_samples_agree_with_mdl(lift: float, q: float, rc: int, rt: int, n0: int) -> None:
    # After the returned number of samples the MDL is at most the lift; one fewer, above it.
    res = samples_to_detect(lift, q, rc, rt, n_c=n0, n_t=n0)
    if res.reason.item():
        assert q * (1 + lift) > 1
        return
    m = float(res.samples)
    after = float(minimum_detectable_lift(q, n0 + m * rc, n0 + m * rt).lift)
    assert after <= lift * (1 + 1e-9)
    if m >= 1 and n0 + (m - 1) * rc > 0:
        before = float(minimum_detectable_lift(q, n0 + (m - 1) * rc, n0 + (m - 1) * rt).lift)
        # NaN: at that size no lift is detectable at all (p_t would exceed 1).
        assert np.isnan(before) or before > lift * (1 - 1e-9)

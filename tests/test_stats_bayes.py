"""Probability to beat the control and expected loss (ttstats.stats.bayes).

Sources: adaptive numerical integration with ``scipy.integrate.quad`` / ``dblquad`` over the
Beta posteriors (``scipy.stats.beta``), and Miller's closed-form sum for integer posterior
parameters, evaluated here with exact rational arithmetic (``fractions``) for small counts.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from ttstats.stats import probability_to_beat

GRID = [0, 1, 3, 10]
SIZES = [0, 1, 10, 1000]
CELLS = [
    (xt, nt, xc, nc)
    for nt in SIZES
    for nc in SIZES
    for xt in sorted({min(g, nt) for g in GRID} | {nt})
    for xc in sorted({min(g, nc) for g in GRID} | {nc})
] + [(120, 1000, 100, 1000), (377, 4008, 355, 4003), (50_100, 100_000, 49_900, 100_000)]


def beta_pdf(p: float, a: float, b: float) -> float:
    # the Beta density from its definition (cheaper than stats.beta.pdf inside dblquad; its
    # rounding, ~1e-12 relative for large parameters, is far inside the loss test's tolerance)
    return math.exp((a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - special.betaln(a, b))


def posterior(x: int, n: int, prior: tuple[float, float]) -> tuple[float, float]:
    return x + prior[0], n - x + prior[1]


def quad_probability(cell: tuple[int, ...], prior: tuple[float, float]) -> float:
    at, bt = posterior(cell[0], cell[1], prior)
    ac, bc = posterior(cell[2], cell[3], prior)
    # integrate f_c(p) * (1 - F_t(p)) over the control's posterior: P(p_t > p_c)
    lo, hi = stats.beta.ppf([1e-15, 1 - 1e-15], ac, bc)
    return integrate.quad(
        lambda p: stats.beta.pdf(p, ac, bc) * stats.beta.sf(p, at, bt),
        lo,
        hi,
        epsabs=1e-15,
        epsrel=1e-13,
        limit=500,
    )[0]


def quad_loss(cell: tuple[int, ...], prior: tuple[float, float]) -> float:
    at, bt = posterior(cell[0], cell[1], prior)
    ac, bc = posterior(cell[2], cell[3], prior)
    lo, hi = stats.beta.ppf([1e-15, 1 - 1e-15], at, bt)
    # E[(p_c - p_t)^+] as a double integral over p_t (outer) and p_c > p_t (inner)
    return integrate.dblquad(
        lambda q, p: (q - p) * beta_pdf(p, at, bt) * beta_pdf(q, ac, bc) if 0 < q < 1 else 0.0,
        lo,
        hi,
        lambda p: p,
        lambda p: 1.0,
        epsabs=1e-13,
    )[0]


def miller_exact(at: int, bt: int, ac: int, bc: int) -> Fraction:
    """P(p_t > p_c) for integer parameters (Miller 2015), in exact rationals:
    sum_{i=0}^{a_t-1} B(a_c+i, b_c+b_t) / ((b_t+i) B(1+i, b_t) B(a_c, b_c))."""

    def beta(a: int, b: int) -> Fraction:
        return Fraction(math.factorial(a - 1) * math.factorial(b - 1), math.factorial(a + b - 1))

    return sum(
        (beta(ac + i, bc + bt) / ((bt + i) * beta(1 + i, bt) * beta(ac, bc)) for i in range(at)),
        Fraction(0),
    )


@pytest.mark.parametrize("prior", [(1.0, 1.0), (0.5, 0.5)])
def test_probability_matches_numerical_integration(prior: tuple[float, float]) -> None:
    arr = np.array(CELLS, dtype=float)
    res = probability_to_beat(*arr.T, prior=prior)
    assert (res.reason == "").all()
    for i, cell in enumerate(CELLS):
        assert res.probability[i] == pytest.approx(quad_probability(cell, prior), abs=1e-12)


@pytest.mark.parametrize("cell", [c for c in CELLS if c[1] <= 10 and c[3] <= 10])
def test_probability_matches_the_closed_form_sum(cell: tuple[int, int, int, int]) -> None:
    xt, nt, xc, nc = cell
    exact = miller_exact(xt + 1, nt - xt + 1, xc + 1, nc - xc + 1)
    res = probability_to_beat(xt, nt, xc, nc)
    assert float(res.probability) == pytest.approx(float(exact), abs=1e-13)


@pytest.mark.parametrize(
    "cell",
    [(0, 1000, 5, 1000), (1, 1, 0, 1), (120, 1000, 100, 1000), (3, 10, 3000, 10000), (0, 0, 0, 0)],
)
def test_expected_loss_matches_double_integration(cell: tuple[int, int, int, int]) -> None:
    res = probability_to_beat(*cell)
    assert float(res.expected_loss) == pytest.approx(quad_loss(cell, (1.0, 1.0)), abs=1e-10)


def test_no_data_gives_the_prior_answer() -> None:
    # Both posteriors uniform: P = 1/2 by symmetry; E[(U1 - U2)^+] = 1/6 (half of E|U1-U2| = 1/3).
    res = probability_to_beat(0, 0, 0, 0)
    assert float(res.probability) == pytest.approx(0.5, abs=1e-14)
    assert float(res.expected_loss) == pytest.approx(1 / 6, abs=1e-14)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.sampled_from([(1.0, 1.0), (0.5, 0.5), (2.0, 30.0)]),
)
@example(4153, 4153, 4153, 4153, (0.5, 0.5))  # every entry converts: the mass sits near 1
def test_symmetry(a: int, b: int, c: int, d: int, prior: tuple[float, float]) -> None:
    xt, nt = min(a, b), max(a, b)
    xc, nc = min(c, d), max(c, d)
    one = probability_to_beat(xt, nt, xc, nc, prior=prior)
    other = probability_to_beat(xc, nc, xt, nt, prior=prior)
    # P(A > B) + P(B > A) = 1 for continuous posteriors
    assert float(one.probability + other.probability) == pytest.approx(1.0, abs=1e-12)
    # E[(c - t)^+] - E[(t - c)^+] = E[c] - E[t]
    at, bt = xt + prior[0], nt - xt + prior[1]
    ac, bc = xc + prior[0], nc - xc + prior[1]
    gap = ac / (ac + bc) - at / (at + bt)
    assert float(one.expected_loss - other.expected_loss) == pytest.approx(gap, abs=1e-12)
    assert 0 <= float(one.probability) <= 1 and float(one.expected_loss) >= 0


def test_undefined_cells_and_arguments() -> None:
    res = probability_to_beat([np.nan, 5, 1], [10, 4, 10], [1, 1, 11], [10, 10, 10])
    assert np.isnan(res.probability).all() and np.isnan(res.expected_loss).all()
    assert res.reason.tolist() == [
        "treatment: missing input (NaN)",
        "treatment: count exceeds entries (x > n): a per-entry rate, not a proportion",
        "control: count exceeds entries (x > n): a per-entry rate, not a proportion",
    ]
    for bad in [(0.0, 1.0), (1.0,), "uniform", (1.0, np.inf)]:
        with pytest.raises(ValueError, match="prior"):
            probability_to_beat(1, 10, 1, 10, prior=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="x_t"):
        probability_to_beat(-1, 10, 1, 10)

"""Power: the smallest detectable lift now, and how many more samples a given lift needs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

from . import _validate as v
from ._results import MinimumDetectableLift, SamplesToDetect

_CONTROL_ONE = "control rate is 1: no upward lift is possible"
_ABOVE_ONE = "no detectable lift: the treatment rate would have to exceed 1"
_LIFT_ZERO = "a lift of 0 is never detectable"
_TREATMENT_RANGE = "treatment rate p_c * (1 + lift) lies outside [0, 1]"
_NEVER = "never detectable at this traffic: an arm gets no more entries"


def _k(alpha: float, power: float) -> float:
    """:math:`z_{1-\\alpha/2} + z_{power}`."""
    return v.z_two_sided(alpha) + float(special.ndtri(power))


def minimum_detectable_lift(
    p_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    n_t: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> MinimumDetectableLift:
    r"""The smallest upward lift ``p_t / p_c - 1`` a two-sided test detects with ``power``.

    Parameters
    ----------
    p_c : array_like
        Control conversion rate in [0, 1] (NaN for missing).
    n_c, n_t : array_like
        Entries in control and treatment (>= 0); all three broadcast together.
    alpha : float
        Two-sided significance level, in (0, 1).
    power : float
        Probability of detection, in (0, 1).

    Returns
    -------
    MinimumDetectableLift
        ``lift`` (> 0) and ``reason``.

    Raises
    ------
    ValueError
        ``alpha`` or ``power`` outside (0, 1); ``p_c`` outside [0, 1]; negative sizes.

    Notes
    -----
    Normal approximation with the unpooled variance at the alternative: the lift :math:`L`
    solves :math:`(p_c L)^2 = k^2\big(p_c(1-p_c)/n_c + p_t(1-p_t)/n_t\big)` with
    :math:`p_t = p_c(1 + L)` and :math:`k = z_{1-\alpha/2} + z_{power}` (the negligible
    rejection in the wrong tail is ignored). Dividing by :math:`p_c`, with
    :math:`a = k^2(1-p_c)/n_c` and :math:`b = k^2/n_t`, this is the quadratic
    :math:`p_c(1+b)L^2 - b(1-2p_c)L - (a + b(1-p_c)) = 0`, whose positive root is

    .. math:: L = \frac{b(1-2p_c) + \sqrt{b^2(1-2p_c)^2 + 4p_c(1+b)(a + b(1-p_c))}}
              {2p_c(1+b)}.

    A drop is detectable at a somewhat different magnitude (its variance is smaller when
    :math:`p_c < 1/2`); this function answers for a rise. Undefined (NaN with reason): NaN
    input, an arm of 0 entries, :math:`p_c = 0` or 1, or :math:`p_c(1+L) > 1`.

    References
    ----------
    Chow, S.-C., Shao, J. and Wang, H. (2008). Sample Size Calculations in Clinical Research,
    2nd ed., section 4.2 (two-sample test for proportions, unpooled variance). Chapman & Hall.
    Fleiss, J. L., Levin, B. and Paik, M. C. (2003). Statistical Methods for Rates and
    Proportions, 3rd ed., chapter 4. Wiley.

    Examples
    --------
    >>> res = minimum_detectable_lift(0.05, 10000, 10000)
    >>> round(float(res.lift), 4)
    0.1798
    """
    a_ = v.level(alpha, "alpha")
    pw = v.level(power, "power")
    q = v.probability(p_c, "p_c")
    nc = v.nonnegative(n_c, "n_c")
    nt = v.nonnegative(n_t, "n_t")
    reasons = v.Reasons(v.shape_of(q, nc, nt))
    reasons.flag(np.isnan(q) | np.isnan(nc) | np.isnan(nt), v.MISSING)
    reasons.flag((nc == 0) | (nt == 0), v.NO_ENTRIES)
    reasons.flag(q == 0, v.CONTROL_ZERO)
    reasons.flag(q == 1, _CONTROL_ONE)
    qs = np.where(reasons.bad, 0.5, q)
    ncs = np.where(reasons.bad, 1.0, nc)
    nts = np.where(reasons.bad, 1.0, nt)
    k2 = _k(a_, pw) ** 2
    a = k2 * (1.0 - qs) / ncs
    b = k2 / nts
    lift = (
        b * (1.0 - 2.0 * qs)
        + np.sqrt((b * (1.0 - 2.0 * qs)) ** 2 + 4.0 * qs * (1.0 + b) * (a + b * (1.0 - qs)))
    ) / (2.0 * qs * (1.0 + b))
    reasons.flag(qs * (1.0 + lift) > 1.0, _ABOVE_ONE)
    return MinimumDetectableLift(reasons.nan(lift), reasons.text)


def samples_to_detect(
    lift: npt.ArrayLike,
    p_c: npt.ArrayLike,
    rate_per_sample_c: npt.ArrayLike,
    rate_per_sample_t: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    n_c: npt.ArrayLike = 0,
    n_t: npt.ArrayLike = 0,
) -> SamplesToDetect:
    r"""How many more samples (days, hours...) until ``lift`` would be detectable.

    Parameters
    ----------
    lift : array_like
        The lift ``p_t / p_c - 1`` to detect (a rise or a drop, not 0).
    p_c : array_like
        Control conversion rate in [0, 1].
    rate_per_sample_c, rate_per_sample_t : array_like
        Entries per sample (the observed traffic, e.g. visitors per day) of control and
        treatment, >= 0.
    alpha : float
        Two-sided significance level, in (0, 1).
    power : float
        Probability of detection, in (0, 1).
    n_c, n_t : array_like
        Entries already collected (default none); all inputs broadcast together.

    Returns
    -------
    SamplesToDetect
        ``samples`` (a whole number >= 0; 0 when detectable already) and ``reason``.

    Raises
    ------
    ValueError
        ``alpha`` or ``power`` outside (0, 1); ``p_c`` outside [0, 1]; negative traffic or
        sizes; infinite ``lift``.

    Notes
    -----
    The criterion of :func:`minimum_detectable_lift`:
    :math:`a/N_c + b/N_t \le c` with :math:`a = p_c(1-p_c)`, :math:`b = p_t(1-p_t)`,
    :math:`p_t = p_c(1 + lift)`, :math:`c = (p_c\,lift/k)^2`, :math:`k = z_{1-\alpha/2} +
    z_{power}`, after :math:`m` more samples :math:`N_c = n_c + m r_c`,
    :math:`N_t = n_t + m r_t`. Multiplying out gives :math:`Q(m) = Am^2 + Bm + C \ge 0` with
    :math:`A = c r_c r_t`, :math:`B = c(n_c r_t + n_t r_c) - a r_t - b r_c`,
    :math:`C = c n_c n_t - a n_t - b n_c`. The answer is :math:`\lceil m^* \rceil` for the
    larger root :math:`m^* = (-B + \sqrt{B^2 - 4AC})/(2A)` (computed as
    :math:`-2C/(B + \sqrt{B^2 - 4AC})` when :math:`B \ge 0`, which also covers
    :math:`A = 0`), 0 when already detectable, and at least 1 while an arm has no entries.
    NaN with reason: NaN input, :math:`p_c = 0`, a lift of 0, :math:`p_t` outside [0, 1],
    or never (an arm without entries and without traffic, or a bound that more traffic in one
    arm alone cannot reach).

    References
    ----------
    Chow, S.-C., Shao, J. and Wang, H. (2008). Sample Size Calculations in Clinical Research,
    2nd ed., section 4.2. Chapman & Hall.

    Examples
    --------
    >>> res = samples_to_detect(0.10, 0.05, 1000, 1000)
    >>> int(res.samples)
    32
    """
    a_ = v.level(alpha, "alpha")
    pw = v.level(power, "power")
    lf = v.real(lift, "lift")
    q = v.probability(p_c, "p_c")
    rc = v.nonnegative(rate_per_sample_c, "rate_per_sample_c")
    rt = v.nonnegative(rate_per_sample_t, "rate_per_sample_t")
    nc = v.nonnegative(n_c, "n_c")
    nt = v.nonnegative(n_t, "n_t")
    reasons = v.Reasons(v.shape_of(lf, q, rc, rt, nc, nt))
    missing = np.isnan(lf) | np.isnan(q) | np.isnan(rc) | np.isnan(rt) | np.isnan(nc)
    reasons.flag(missing | np.isnan(nt), v.MISSING)
    reasons.flag(q == 0, v.CONTROL_ZERO)
    reasons.flag(lf == 0, _LIFT_ZERO)
    with np.errstate(invalid="ignore"):
        pt = q * (1.0 + lf)
        reasons.flag((pt < 0) | (pt > 1), _TREATMENT_RANGE)
    empty_c, empty_t = nc == 0, nt == 0
    reasons.flag((empty_c & (rc == 0)) | (empty_t & (rt == 0)), _NEVER)
    bad = reasons.bad
    qs, pts, lfs = np.where(bad, 0.5, q), np.where(bad, 0.5, pt), np.where(bad, 1.0, lf)
    rcs, rts = np.where(bad, 1.0, rc), np.where(bad, 1.0, rt)
    ncs, nts = np.where(bad, 1.0, nc), np.where(bad, 1.0, nt)
    k = _k(a_, pw)
    a, b = qs * (1.0 - qs), pts * (1.0 - pts)
    c = (qs * lfs / k) ** 2
    coef_a = c * rcs * rts
    coef_b = c * (ncs * rts + nts * rcs) - a * rts - b * rcs
    coef_c = c * ncs * nts - a * nts - b * ncs
    sq = np.sqrt(np.maximum(coef_b * coef_b - 4.0 * coef_a * coef_c, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(coef_b < 0, (-coef_b + sq) / (2.0 * coef_a), -2.0 * coef_c / (coef_b + sq))
    m = np.where(np.isnan(m), 0.0, m)  # 0/0: C = 0 = B, detectable from the first entry
    reasons.flag(~np.isfinite(m), _NEVER)
    # Round up, forgiving the last bits of floating point on an exact whole number.
    whole = np.ceil(np.where(np.isfinite(m), m, 0.0) * (1.0 - 1e-12))
    already = (coef_c >= 0) & ~empty_c & ~empty_t
    samples = np.where(already, 0.0, np.maximum(whole, np.where(empty_c | empty_t, 1.0, 0.0)))
    return SamplesToDetect(reasons.nan(samples), reasons.text)

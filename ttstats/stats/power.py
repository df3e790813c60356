"""Power: the smallest detectable lift now, and how many more samples a given lift needs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import special

from . import _validate as v
from ._results import MinimumDetectableLift, SamplesToDetect
from ._solve import IndexArray, bracketed_root
from ._validate import FloatArray

_CONTROL_ONE = "control rate is 1: no upward lift is possible"
_ABOVE_ONE = "no detectable lift: the treatment rate would have to exceed 1"
_LIFT_ZERO = "a lift of 0 is never detectable"
_TREATMENT_RANGE = "treatment rate p_c * (1 + lift) lies outside [0, 1]"
_NEVER = "never detectable at this traffic: an arm gets no more entries"
_LIFT_LOST = "the lift is below the precision of the rate: p_c * (1 + lift) equals p_c"
_BEYOND = "more samples than float64 can count (over 1e300): never detectable in practice"
_NEWTON_RTOL = 64 * float(np.finfo(np.float64).eps)  # 1.4e-14


def _gap(
    p_c: FloatArray,
    p_t: FloatArray,
    n_c: FloatArray,
    n_t: FloatArray,
    z_alpha: FloatArray,
    z_power: float,
) -> FloatArray:
    r""":math:`|p_t - p_c| - z_{1-\alpha/2}\sigma_0 - z_{power}\sigma_1`: >= 0 when detectable.

    :math:`\sigma_0^2 = \bar p(1-\bar p)(1/n_c + 1/n_t)` is the variance of the difference
    under the null as the pooled z-test estimates it, :math:`\bar p = (n_c p_c + n_t p_t) /
    (n_c + n_t)`; :math:`\sigma_1^2 = p_c(1-p_c)/n_c + p_t(1-p_t)/n_t` its variance at the
    alternative.
    """
    pooled = (n_c * p_c + n_t * p_t) / (n_c + n_t)
    # each standard deviation as (rate part) * (size part), so that a tiny rate over a large
    # sample does not underflow to 0 (1e-300 / 1e23 is below float64's smallest normal)
    inverse = 1.0 / n_c + 1.0 / n_t
    null_sd = np.sqrt(pooled * (1.0 - pooled)) * np.sqrt(inverse)
    var_c, var_t = p_c * (1.0 - p_c), p_t * (1.0 - p_t)
    scale = np.maximum(var_c, var_t)
    safe = np.where(scale > 0, scale, 1.0)
    alt_sd = np.sqrt(scale) * np.sqrt(var_c / safe / n_c + var_t / safe / n_t)
    out: FloatArray = np.abs(p_t - p_c) - z_alpha * null_sd - z_power * alt_sd
    return out


def _z_alpha(alpha: npt.ArrayLike) -> FloatArray:
    """:math:`z_{1-\\alpha/2}` of every cell; ValueError unless each alpha lies in (0, 1)."""
    if np.ndim(alpha) == 0:
        return np.asarray(v.z_two_sided(v.level(alpha, "alpha")))
    arr = v.real(alpha, "alpha")
    if not ((arr > 0) & (arr < 1)).all():
        raise ValueError("alpha must lie strictly between 0 and 1 in every cell")
    return np.asarray(-special.ndtri(arr / 2.0), dtype=np.float64)


def minimum_detectable_lift(
    p_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    n_t: npt.ArrayLike,
    alpha: npt.ArrayLike = 0.05,
    power: float = 0.8,
) -> MinimumDetectableLift:
    r"""The smallest upward lift ``p_t / p_c - 1`` the pooled z-test detects with ``power``.

    Parameters
    ----------
    p_c : array_like
        Control conversion rate in [0, 1] (NaN for missing).
    n_c, n_t : array_like
        Entries in control and treatment (>= 0).
    alpha : float or array_like
        Two-sided significance level, in (0, 1): one for every cell, or one per cell (for
        example ``alpha / m`` of a family of ``m`` comparisons); all broadcast together.
    power : float
        Probability of detection, in (0, 1).

    Returns
    -------
    MinimumDetectableLift
        ``lift`` (> 0), and the attribute ``reason``.

    Raises
    ------
    ValueError
        ``alpha`` or ``power`` outside (0, 1); ``p_c`` outside [0, 1]; negative sizes.

    Notes
    -----
    The criterion is that of the two-sided pooled z-test (``proportion_test(method="z")``,
    the default test) in the normal approximation, as in Fleiss et al. and statsmodels'
    ``power_proportions_2indep``: a difference :math:`d = p_t - p_c` is detected with
    probability ``power`` when

    .. math:: |d| = z_{1-\alpha/2}\,\sigma_0 + z_{power}\,\sigma_1,

    with :math:`\sigma_0^2 = \bar p(1-\bar p)(1/n_c + 1/n_t)`,
    :math:`\bar p = (n_c p_c + n_t p_t)/(n_c + n_t)` (the variance the test estimates under the
    null) and :math:`\sigma_1^2 = p_c(1-p_c)/n_c + p_t(1-p_t)/n_t` (the variance at the
    alternative); the negligible rejection in the wrong tail is ignored. With
    :math:`p_t = p_c(1 + L)` the lift :math:`L` is the smallest root in
    :math:`(0, 1/p_c - 1]`, found for every cell at once by a safeguarded regula falsi.
    A drop is detectable at a somewhat different magnitude; this function answers for a rise.
    Undefined (NaN with reason): NaN input, an arm of 0 entries, :math:`p_c = 0` or 1, or no
    lift with :math:`p_t \le 1` detectable.

    References
    ----------
    Fleiss, J. L., Levin, B. and Paik, M. C. (2003). Statistical Methods for Rates and
    Proportions, 3rd ed., section 4.2. Wiley.
    Chow, S.-C., Shao, J. and Wang, H. (2008). Sample Size Calculations in Clinical Research,
    2nd ed., section 4.2. Chapman & Hall.

    Examples
    --------
    >>> res = minimum_detectable_lift(0.05, 10000, 10000)
    >>> round(float(res.lift), 4)
    0.1799
    """
    pw = v.level(power, "power")
    q = v.probability(p_c, "p_c")
    nc = v.nonnegative(n_c, "n_c")
    nt = v.nonnegative(n_t, "n_t")
    za = _z_alpha(alpha)
    zb = float(special.ndtri(pw))
    shape = v.shape_of(q, nc, nt, za)
    reasons = v.Reasons(shape)
    reasons.flag(np.isnan(q) | np.isnan(nc) | np.isnan(nt), v.MISSING)
    reasons.flag((nc == 0) | (nt == 0), v.NO_ENTRIES)
    reasons.flag(q == 0, v.CONTROL_ZERO)
    reasons.flag(q == 1, _CONTROL_ONE)
    ok = reasons.ok
    flat = [np.broadcast_to(x, shape)[ok] for x in (q, nc, nt, za)]
    qs, ncs, nts, zas = flat

    def gap(lift: FloatArray, idx: IndexArray) -> FloatArray:
        p = qs[idx]
        return _gap(p, p * (1.0 + lift), ncs[idx], nts[idx], zas[idx], zb)

    def slope(lift: FloatArray) -> FloatArray:
        """d gap / d lift, for Newton's steps (every cell)."""
        pt = qs * (1.0 + lift)
        inv = 1.0 / ncs + 1.0 / nts
        pooled = (ncs * qs + nts * pt) / (ncs + nts)
        s0 = np.sqrt(pooled * (1.0 - pooled) * inv)
        s1 = np.sqrt(qs * (1.0 - qs) / ncs + pt * (1.0 - pt) / nts)
        d0 = (1.0 - 2.0 * pooled) * (nts * qs / (ncs + nts)) * inv / (2.0 * s0)
        d1 = qs * (1.0 - 2.0 * pt) / nts / (2.0 * s1)
        out: FloatArray = qs - zas * d0 - zb * d1
        return out

    top = 1.0 / qs - 1.0  # p_t = 1
    low, high = _bracket(gap, _unpooled_lift(qs, ncs, nts, zas + zb), top)
    lift = np.full(shape, np.nan)
    lift[ok] = _newton_in_bracket(gap, slope, low, high)
    reasons.flag(np.broadcast_to(np.isnan(lift), shape) & ok, _ABOVE_ONE)
    return MinimumDetectableLift(reasons.nan(lift), reasons.text)


def _unpooled_lift(q: FloatArray, n_c: FloatArray, n_t: FloatArray, k: FloatArray) -> FloatArray:
    r"""The root of the criterion with the unpooled variance under the null too, in closed
    form: the starting point of the pooled root, which lies close by.

    :math:`(q L)^2 = k^2\big(q(1-q)/n_c + p_t(1-p_t)/n_t\big)`, :math:`p_t = q(1+L)`,
    :math:`k = z_{1-\alpha/2} + z_{power}`: with :math:`a = k^2(1-q)/n_c` and
    :math:`b = k^2/n_t` the positive root of :math:`q(1+b)L^2 - b(1-2q)L - (a + b(1-q)) = 0`.
    """
    k2 = k * k
    a, b = k2 * (1.0 - q) / n_c, k2 / n_t
    root = np.sqrt((b * (1.0 - 2.0 * q)) ** 2 + 4.0 * q * (1.0 + b) * (a + b * (1.0 - q)))
    out: FloatArray = (b * (1.0 - 2.0 * q) + root) / (2.0 * q * (1.0 + b))
    return out


def _bracket(
    gap: Callable[[FloatArray, IndexArray], FloatArray], start: FloatArray, top: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``[low, high]`` around the first sign change of ``gap`` near ``start``, within
    ``(0, top]``: steps of a factor 1.25 from ``start`` (one or two suffice: the pooled and
    unpooled criteria differ little), ``high = top`` where even ``top`` falls short (the
    caller's root finder then finds no sign change: NaN)."""
    every = np.arange(start.size)
    x = np.clip(start, 0.0, top)
    at = gap(x, every)
    low = np.where(at < 0, x, 0.0)
    high = np.where(at < 0, top, x)
    up, down = at < 0, at > 0
    step = x.copy()
    for _ in range(64):
        if not (up.any() or down.any()):
            break
        step = np.where(up, np.minimum(step * 1.25, top), np.where(down, step / 1.25, step))
        idx = np.flatnonzero(up | down)
        g = np.full(start.size, np.nan)
        g[idx] = gap(step[idx], idx)
        rose = up & (g >= 0)
        high = np.where(rose, step, high)
        low = np.where(up & (g < 0), step, low)
        fell = down & (g <= 0)
        low = np.where(fell, step, low)
        high = np.where(down & (g > 0), step, high)
        up = up & (g < 0) & (step < top)
        down = down & (g > 0)
    return low, high


def _newton_in_bracket(
    gap: Callable[[FloatArray, IndexArray], FloatArray],
    slope: Callable[[FloatArray], FloatArray],
    low: FloatArray,
    high: FloatArray,
) -> FloatArray:
    """The root of ``gap`` in each ``[low, high]`` (a sign change), by Newton's method kept
    inside the bracket (a step that leaves it bisects instead); NaN without a sign change.

    The criterion is smooth and nearly linear in the lift, so a few steps reach the last
    digit; the bracket shrinks at every step, which makes the method safe.
    """
    every = np.arange(low.size)
    f_low, f_high = gap(low, every), gap(high, every)
    valid = (f_low <= 0) & (f_high >= 0)
    x = np.where(f_low == 0, low, np.where(f_high == 0, high, 0.5 * (low + high)))
    done = ~valid | (f_low == 0) | (f_high == 0)
    for _ in range(100):
        if done.all():
            break
        f = gap(x, every)
        low = np.where(f < 0, x, low)
        high = np.where(f > 0, x, high)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = x - f / slope(x)
        # converged: Newton's correction is within the rounding noise of the criterion (its
        # terms cancel to about 1e-16 of their size, which moves the root by 1e-15 or so)
        converged = (f == 0) | (np.abs(step - x) <= _NEWTON_RTOL * np.abs(x))
        inside = (step >= low) & (step <= high)
        new = np.where(inside | converged, step, 0.5 * (low + high))
        x = np.where(done, x, np.where(f == 0, x, new))
        done |= converged
    out: FloatArray = np.where(valid, x, np.nan)
    return out


def samples_to_detect(
    lift: npt.ArrayLike,
    p_c: npt.ArrayLike,
    rate_per_sample_c: npt.ArrayLike,
    rate_per_sample_t: npt.ArrayLike,
    alpha: npt.ArrayLike = 0.05,
    power: float = 0.8,
    *,
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
    alpha : float or array_like
        Two-sided significance level, in (0, 1), for every cell or per cell.
    power : float
        Probability of detection, in (0, 1).
    n_c, n_t : array_like
        Entries already collected (default none); all inputs broadcast together.

    Returns
    -------
    SamplesToDetect
        ``samples`` (a whole number >= 0; 0 when detectable already), and the attribute
        ``reason``.

    Raises
    ------
    ValueError
        ``alpha`` or ``power`` outside (0, 1); ``p_c`` outside [0, 1]; negative traffic or
        sizes; infinite ``lift``.

    Notes
    -----
    The criterion of :func:`minimum_detectable_lift` (the pooled z-test's),
    :math:`G(N_c, N_t) = |p_t - p_c| - z_{1-\alpha/2}\sigma_0 - z_{power}\sigma_1 \ge 0`, after
    :math:`m` more samples: :math:`N_c = n_c + m r_c`, :math:`N_t = n_t + m r_t`. :math:`G`
    grows with :math:`m`; the answer is the smallest whole :math:`m \ge 0` with
    :math:`G \ge 0`: 0 when already detectable (and at least 1 while an arm has no entries),
    else :math:`\lceil m^* \rceil` for the root :math:`m^*`, bracketed by doubling and found
    for every cell at once. NaN with reason: NaN input, :math:`p_c = 0`, a lift of 0 (or one
    lost to rounding, :math:`p_t = p_c` in float64), :math:`p_t` outside [0, 1], or never (an
    arm without entries and without traffic, a bound that more traffic in one arm alone
    cannot reach, or more than about 1e300 samples).

    References
    ----------
    Fleiss, J. L., Levin, B. and Paik, M. C. (2003). Statistical Methods for Rates and
    Proportions, 3rd ed., section 4.2. Wiley.

    Examples
    --------
    >>> res = samples_to_detect(0.10, 0.05, 1000, 1000)
    >>> int(res.samples)
    32
    """
    pw = v.level(power, "power")
    lf = v.real(lift, "lift")
    q = v.probability(p_c, "p_c")
    rc = v.nonnegative(rate_per_sample_c, "rate_per_sample_c")
    rt = v.nonnegative(rate_per_sample_t, "rate_per_sample_t")
    nc = v.nonnegative(n_c, "n_c")
    nt = v.nonnegative(n_t, "n_t")
    za = _z_alpha(alpha)
    zb = float(special.ndtri(pw))
    shape = v.shape_of(lf, q, rc, rt, nc, nt, za)
    reasons = v.Reasons(shape)
    missing = np.isnan(lf) | np.isnan(q) | np.isnan(rc) | np.isnan(rt) | np.isnan(nc)
    reasons.flag(missing | np.isnan(nt), v.MISSING)
    reasons.flag(q == 0, v.CONTROL_ZERO)
    reasons.flag(lf == 0, _LIFT_ZERO)
    with np.errstate(invalid="ignore"):
        pt = q * (1.0 + lf)
        reasons.flag((pt < 0) | (pt > 1), _TREATMENT_RANGE)
    reasons.flag((pt == q) & (lf != 0), _LIFT_LOST)
    reasons.flag(((nc == 0) & (rc == 0)) | ((nt == 0) & (rt == 0)), _NEVER)
    ok = reasons.ok
    cells = [np.broadcast_to(x, shape)[ok] for x in (q, pt, rc, rt, nc, nt, za)]
    qs, pts, rcs, rts, ncs, nts, zas = cells

    def gap(m: FloatArray, idx: IndexArray) -> FloatArray:
        with np.errstate(over="ignore"):
            big_c, big_t = ncs[idx] + m * rcs[idx], nts[idx] + m * rts[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _gap(qs[idx], pts[idx], big_c, big_t, zas[idx], zb)
        return np.where((big_c > 0) & (big_t > 0), out, -np.inf)

    every = np.arange(qs.size)
    now = gap(np.zeros(qs.size), every)
    # the most traffic can do: an arm without traffic keeps its entries
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        far = np.where(
            (rcs > 0) & (rts > 0),
            np.abs(pts - qs),
            gap(np.where((rcs > 0) | (rts > 0), 1e300, 0.0), every),
        )
    reach = far > 0
    # bracket the root by doubling (a million years of hourly samples is 2**33); a cell still
    # short at 2**997 (1.3e300) is beyond counting
    high = np.ones(qs.size)
    open_ = np.flatnonzero(reach)  # only the cells still short are evaluated again
    for _ in range(998):
        open_ = open_[gap(high[open_], open_) < 0]
        if not open_.size:
            break
        high[open_] *= 2.0
    beyond = np.zeros(qs.size, dtype=bool)
    beyond[open_[gap(high[open_], open_) < 0]] = True
    reach &= ~beyond
    low = np.zeros(qs.size)
    need = reach & (now < 0)
    root = np.full(qs.size, np.nan)
    if need.any():
        idx = np.flatnonzero(need)
        root[idx] = bracketed_root(
            lambda m, sub: gap(m, idx[sub]), low[idx], high[idx], now[idx], gap(high[idx], idx)
        )
    whole = np.ceil(np.where(np.isfinite(root), root, 0.0) * (1.0 - 1e-12))
    # the root's last bits: step up while the whole number still falls short
    short = need & (gap(whole, every) < 0)
    whole = np.where(short, whole + 1.0, whole)
    empty = (ncs == 0) | (nts == 0)
    samples = np.where(need, np.maximum(whole, 1.0), np.where(empty, 1.0, 0.0))
    samples = np.where(reach | (now >= 0), samples, np.nan)
    out = np.full(shape, np.nan)
    out[ok] = samples
    far_out = np.zeros(shape, dtype=bool)
    far_out[ok] = beyond
    reasons.flag(far_out, _BEYOND)
    reasons.flag(ok & np.isnan(out), _NEVER)
    return SamplesToDetect(reasons.nan(out), reasons.text)

"""Power: the smallest detectable lift now, and how many more samples a given lift needs."""

from __future__ import annotations

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
    null = pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_t)
    alt = p_c * (1.0 - p_c) / n_c + p_t * (1.0 - p_t) / n_t
    out: FloatArray = np.abs(p_t - p_c) - z_alpha * np.sqrt(null) - z_power * np.sqrt(alt)
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

    every = np.arange(qs.size)
    top = 1.0 / qs - 1.0  # p_t = 1
    at_top = gap(top, every)
    lift = np.full(shape, np.nan)
    lift[ok] = bracketed_root(gap, np.zeros(qs.size), top, gap(np.zeros(qs.size), every), at_top)
    reasons.flag(np.broadcast_to(np.isnan(lift), shape) & ok, _ABOVE_ONE)
    return MinimumDetectableLift(reasons.nan(lift), reasons.text)


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
    for every cell at once. NaN with reason: NaN input, :math:`p_c = 0`, a lift of 0,
    :math:`p_t` outside [0, 1], or never (an arm without entries and without traffic, or a
    bound that more traffic in one arm alone cannot reach).

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
    reasons.flag(((nc == 0) & (rc == 0)) | ((nt == 0) & (rt == 0)), _NEVER)
    ok = reasons.ok
    cells = [np.broadcast_to(x, shape)[ok] for x in (q, pt, rc, rt, nc, nt, za)]
    qs, pts, rcs, rts, ncs, nts, zas = cells

    def gap(m: FloatArray, idx: IndexArray) -> FloatArray:
        big_c, big_t = ncs[idx] + m * rcs[idx], nts[idx] + m * rts[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _gap(qs[idx], pts[idx], big_c, big_t, zas[idx], zb)
        return np.where((big_c > 0) & (big_t > 0), out, -np.inf)

    every = np.arange(qs.size)
    now = gap(np.zeros(qs.size), every)
    # the most traffic can do: an arm without traffic keeps its entries
    with np.errstate(divide="ignore", invalid="ignore"):
        far = np.where(
            (rcs > 0) & (rts > 0),
            np.abs(pts - qs),
            gap(np.where((rcs > 0) | (rts > 0), 1e300, 0.0), every),
        )
    reach = far > 0
    # bracket the root by doubling (a million years of hourly samples is 2**33)
    high = np.ones(qs.size)
    for _ in range(64):
        short = reach & (gap(high, every) < 0)
        if not short.any():
            break
        high = np.where(short, 2.0 * high, high)
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
    reasons.flag(ok & np.isnan(out), _NEVER)
    return SamplesToDetect(reasons.nan(out), reasons.text)

"""Confidence intervals for a conversion rate, a difference of rates and a lift."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from . import _validate as v
from ._results import Interval
from ._solve import CellFunction, IndexArray, bracketed_root
from ._validate import FloatArray

ProportionMethod = Literal[
    "wald", "adobe", "wilson", "agresti_coull", "jeffreys", "clopper_pearson"
]
DifferenceMethod = Literal["wald", "newcombe", "agresti_caffo"]
LiftMethod = Literal["delta", "fieller", "score"]

PROPORTION_METHODS: tuple[str, ...] = (
    "wald",
    "adobe",
    "wilson",
    "agresti_coull",
    "jeffreys",
    "clopper_pearson",
)
DIFFERENCE_METHODS: tuple[str, ...] = ("wald", "newcombe", "agresti_caffo")
LIFT_METHODS: tuple[str, ...] = ("delta", "fieller", "score")

_ADOBE_N1 = "n = 1: Adobe's unbiased variance p(1-p)/(n-1) needs at least 2 entries"
_WALD_EDGE = (
    "x = 0 or x = n: the normal-approximation standard error is 0 and the interval collapses "
    "to a point; use 'wilson'"
)
_DELTA_XT0 = "treatment count is 0: the log-ratio (delta) interval is undefined; use 'score'"
_FIELLER_UNBOUNDED = (
    "Fieller interval is unbounded: the control rate is not distinguishable from 0 at this alpha"
)
_FIELLER_POINT = "Fieller interval collapses to a point (zero estimated variance); use 'score'"
_SCORE_NO_ROOT = "score interval: no bracketing root found"


# --------------------------------------------------------------------------------------------
# One proportion
# --------------------------------------------------------------------------------------------
def proportion_interval(
    x: npt.ArrayLike,
    n: npt.ArrayLike,
    method: ProportionMethod = "wilson",
    alpha: float = 0.05,
) -> Interval:
    r"""Two-sided confidence interval for a conversion rate ``p = x / n``, every cell at once.

    Parameters
    ----------
    x : array_like
        Conversions (the step's count): whole numbers >= 0, NaN for a missing cell.
    n : array_like
        Entries, broadcastable with ``x``.
    method : {"wilson", "wald", "adobe", "agresti_coull", "jeffreys", "clopper_pearson"}
        The interval; see Notes. Keyword-only, like ``alpha``.
    alpha : float
        1 - confidence level, in (0, 1).

    Returns
    -------
    Interval
        ``low``, ``high`` (clipped to [0, 1]) and ``reason`` (``""`` where defined), each of
        the broadcast shape.

    Raises
    ------
    ValueError
        Unknown ``method``; ``alpha`` outside (0, 1); negative, fractional or infinite counts.

    Notes
    -----
    With :math:`\hat p = x/n` and :math:`z = z_{1-\alpha/2}`:

    * ``wald``: :math:`\hat p \pm z\sqrt{\hat p(1-\hat p)/n}`.
    * ``adobe`` (Adobe Target's reports): :math:`\hat p \pm z\sqrt{\hat p(1-\hat p)/(n-1)}`,
      the normal interval with the unbiased variance; 32 of 124 gives 25.81% ± 7.7%.
    * ``wilson`` (score): :math:`\frac{x + z^2/2}{n + z^2} \pm \frac{z\sqrt n}{n + z^2}
      \sqrt{\hat p(1-\hat p) + z^2/(4n)}`; exactly 0 at ``x = 0`` and 1 at ``x = n``.
    * ``agresti_coull``: the Wald interval of :math:`\tilde p = (x + z^2/2)/\tilde n` with
      :math:`\tilde n = n + z^2`.
    * ``jeffreys``: the :math:`\alpha/2` and :math:`1-\alpha/2` quantiles of
      Beta(x + 1/2, n - x + 1/2), with the lower bound 0 at ``x = 0`` and the upper bound 1 at
      ``x = n`` (Brown, Cai & DasGupta 2001, section 4.1.2; statsmodels omits this).
    * ``clopper_pearson`` (exact): Beta(x, n - x + 1) quantile :math:`\alpha/2` and
      Beta(x + 1, n - x) quantile :math:`1 - \alpha/2`, 0 at ``x = 0`` and 1 at ``x = n``.

    Undefined cells (NaN and ``reason``): a NaN input, ``n = 0``, ``x > n`` (a per-entry rate,
    never a proportion), ``adobe`` with ``n = 1``, and ``wald``/``adobe`` at ``x = 0`` or
    ``x = n``, where the estimated standard error is 0 and the interval would collapse to a
    point (statsmodels returns that point; we refuse to claim certainty).

    References
    ----------
    Brown, L. D., Cai, T. T. and DasGupta, A. (2001). Interval estimation for a binomial
    proportion. Statistical Science 16(2), 101-133.
    Agresti, A. and Coull, B. A. (1998). Approximate is better than "exact" for interval
    estimation of binomial proportions. The American Statistician 52(2), 119-126.
    Clopper, C. J. and Pearson, E. S. (1934). The use of confidence or fiducial limits
    illustrated in the case of the binomial. Biometrika 26(4), 404-413.

    Examples
    --------
    >>> ci = proportion_interval(32, 124, method="adobe")
    >>> round(float(ci.low), 4), round(float(ci.high), 4)
    (0.1807, 0.3354)
    >>> proportion_interval([0, 5], [10, 0]).reason.tolist()
    ['', 'no entries (n = 0)']
    """
    method = v.choice(method, PROPORTION_METHODS, "method")  # type: ignore[assignment]
    a = v.level(alpha, "alpha")
    xa, na = v.counts(x, "x"), v.counts(n, "n")
    reasons = v.Reasons(v.shape_of(xa, na))
    reasons.arm(xa, na)
    if method == "adobe":
        reasons.flag(na == 1, _ADOBE_N1)
    if method in ("wald", "adobe"):
        with np.errstate(invalid="ignore"):
            reasons.flag((xa == 0) | (xa == na), _WALD_EDGE)
    xs, ns = v.safe_counts(reasons, xa, na)
    low, high = _proportion_bounds(xs, ns, method, a)
    return Interval(reasons.nan(low), reasons.nan(high), reasons.text)


def _proportion_bounds(
    x: FloatArray, n: FloatArray, method: str, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Bounds for valid cells (``0 <= x <= n``, ``n >= 1``; ``n >= 2`` for adobe)."""
    z = v.z_two_sided(alpha)
    p = x / n
    if method == "wilson":
        return _wilson(x, n, z)
    if method in ("wald", "adobe"):
        dof = n if method == "wald" else np.maximum(n - 1.0, 1.0)
        half = z * np.sqrt(p * (1.0 - p) / dof)
        return np.clip(p - half, 0.0, 1.0), np.clip(p + half, 0.0, 1.0)
    if method == "agresti_coull":
        nt = n + z * z
        pt = (x + z * z / 2.0) / nt
        half = z * np.sqrt(pt * (1.0 - pt) / nt)
        return np.clip(pt - half, 0.0, 1.0), np.clip(pt + half, 0.0, 1.0)
    if method == "jeffreys":
        low = stats.beta.ppf(alpha / 2.0, x + 0.5, n - x + 0.5)
        high = stats.beta.isf(alpha / 2.0, x + 0.5, n - x + 0.5)
    else:  # clopper_pearson
        low = stats.beta.ppf(alpha / 2.0, np.maximum(x, 1.0), n - x + 1.0)
        high = stats.beta.isf(alpha / 2.0, x + 1.0, np.maximum(n - x, 1.0))
    low = np.where(x == 0, 0.0, low)
    high = np.where(x == n, 1.0, high)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def _wilson(x: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """Wilson bounds, exactly 0 at ``x = 0`` and 1 at ``x = n``, within [0, 1]."""
    p = x / n
    z2 = z * z
    denom = n + z2
    center = (x + z2 / 2.0) / denom
    half = z * np.sqrt(n) / denom * np.sqrt(p * (1.0 - p) + z2 / (4.0 * n))
    low = np.where(x == 0, 0.0, np.clip(center - half, 0.0, 1.0))
    high = np.where(x == n, 1.0, np.clip(center + half, 0.0, 1.0))
    return low, high


# --------------------------------------------------------------------------------------------
# Difference of two proportions
# --------------------------------------------------------------------------------------------
def difference_interval(
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    method: DifferenceMethod = "newcombe",
    alpha: float = 0.05,
) -> Interval:
    r"""Confidence interval for the difference ``d = p_t - p_c`` (treatment minus control).

    Parameters
    ----------
    x_t, n_t : array_like
        Treatment conversions and entries.
    x_c, n_c : array_like
        Control conversions and entries; all four broadcast together.
    method : {"newcombe", "wald", "agresti_caffo"}
        The interval; see Notes.
    alpha : float
        1 - confidence level, in (0, 1).

    Returns
    -------
    Interval
        ``low``, ``high`` (within [-1, 1]) and ``reason``.

    Raises
    ------
    ValueError
        Unknown ``method``; ``alpha`` outside (0, 1); negative, fractional or infinite counts.

    Notes
    -----
    With :math:`z = z_{1-\alpha/2}` and :math:`\hat d = \hat p_t - \hat p_c`:

    * ``wald``: :math:`\hat d \pm z\sqrt{\hat p_t(1-\hat p_t)/n_t + \hat p_c(1-\hat p_c)/n_c}`
      (NaN when that standard error is 0, e.g. 1 of 1 against 0 of 1).
    * ``newcombe`` (hybrid score, Newcombe 1998 method 10): with Wilson bounds
      :math:`(l_t, u_t)`, :math:`(l_c, u_c)`,
      :math:`[\hat d - \sqrt{(\hat p_t - l_t)^2 + (u_c - \hat p_c)^2},\;
      \hat d + \sqrt{(u_t - \hat p_t)^2 + (\hat p_c - l_c)^2}]`.
    * ``agresti_caffo``: the Wald interval after adding one success and one failure to each
      arm, :math:`\tilde p = (x + 1)/(n + 2)`; clipped to [-1, 1].

    Undefined cells: a NaN input, ``n = 0`` or ``x > n`` in either arm (the reason names the
    arm). A control rate of 0 is fine here (only the lift is undefined then).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.
    Agresti, A. and Caffo, B. (2000). Simple and effective confidence intervals for proportions
    and differences of proportions result from adding two successes and two failures.
    The American Statistician 54(4), 280-288.

    Examples
    --------
    >>> ci = difference_interval(5, 1000, 0, 1000)
    >>> round(float(ci.low), 5), round(float(ci.high), 5)
    (0.00022, 0.01165)
    """
    method = v.choice(method, DIFFERENCE_METHODS, "method")  # type: ignore[assignment]
    a = v.level(alpha, "alpha")
    reasons, (xt, nt, xc, nc) = _two_arms(x_t, n_t, x_c, n_c)
    z = v.z_two_sided(a)
    pt, pc = xt / nt, xc / nc
    d = pt - pc
    if method == "newcombe":
        lt, ut = _wilson(xt, nt, z)
        lc, uc = _wilson(xc, nc, z)
        low = d - np.sqrt((pt - lt) ** 2 + (uc - pc) ** 2)
        high = d + np.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)
    else:
        if method == "agresti_caffo":
            pt, pc = (xt + 1.0) / (nt + 2.0), (xc + 1.0) / (nc + 2.0)
            nt, nc = nt + 2.0, nc + 2.0
            d = pt - pc
        se = np.sqrt(pt * (1.0 - pt) / nt + pc * (1.0 - pc) / nc)
        reasons.flag(se == 0, v.ZERO_SE)
        low, high = d - z * se, d + z * se
    return Interval(
        reasons.nan(np.clip(low, -1.0, 1.0)), reasons.nan(np.clip(high, -1.0, 1.0)), reasons.text
    )


def _two_arms(
    x_t: npt.ArrayLike, n_t: npt.ArrayLike, x_c: npt.ArrayLike, n_c: npt.ArrayLike
) -> tuple[v.Reasons, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
    """Validate two arms; return the reasons and the safe, broadcast counts."""
    xt, nt = v.counts(x_t, "x_t"), v.counts(n_t, "n_t")
    xc, nc = v.counts(x_c, "x_c"), v.counts(n_c, "n_c")
    reasons = v.Reasons(v.shape_of(xt, nt, xc, nc))
    reasons.arm(xt, nt, "treatment")
    reasons.arm(xc, nc, "control")
    xts, nts = v.safe_counts(reasons, xt, nt)
    xcs, ncs = v.safe_counts(reasons, xc, nc)
    return reasons, (xts, nts, xcs, ncs)


# --------------------------------------------------------------------------------------------
# Lift (relative difference)
# --------------------------------------------------------------------------------------------
def lift_interval(
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    method: LiftMethod = "delta",
    alpha: float = 0.05,
) -> Interval:
    r"""Confidence interval for the lift ``p_t / p_c - 1`` (treatment against control).

    Parameters
    ----------
    x_t, n_t : array_like
        Treatment conversions and entries.
    x_c, n_c : array_like
        Control conversions and entries; all four broadcast together.
    method : {"delta", "fieller", "score"}
        The interval; see Notes.
    alpha : float
        1 - confidence level, in (0, 1).

    Returns
    -------
    Interval
        ``low``, ``high`` of the lift (>= -1) and ``reason``.

    Raises
    ------
    ValueError
        Unknown ``method``; ``alpha`` outside (0, 1); negative, fractional or infinite counts.

    Notes
    -----
    With :math:`R = p_t/p_c`, :math:`\hat R = \hat p_t/\hat p_c`, :math:`z = z_{1-\alpha/2}`,
    the interval for :math:`R` is computed and 1 subtracted:

    * ``delta`` (on the log ratio, Katz et al. 1978):
      :math:`\exp\big(\log\hat R \pm z\sqrt{(1-\hat p_t)/x_t + (1-\hat p_c)/x_c}\big)`.
      Undefined when :math:`x_t = 0` (use ``score``).
    * ``fieller``: the set of :math:`R` with :math:`(\hat p_t - R\hat p_c)^2 \le z^2(v_t + R^2
      v_c)`, :math:`v = \hat p(1-\hat p)/n`, i.e.
      :math:`\big[\hat p_t\hat p_c \pm z\sqrt{\hat p_t^2 v_c + \hat p_c^2 v_t - z^2 v_t v_c}
      \big] / (\hat p_c^2 - z^2 v_c)`, the lower bound of :math:`R` clipped at 0; unbounded
      (NaN) unless :math:`\hat p_c^2 > z^2 v_c`.
    * ``score`` (Miettinen & Nurminen 1985, with their :math:`N/(N-1)` factor; Koopman 1984 is the
      same without it):
      all :math:`R` with :math:`|S(R)| \le z`, where
      :math:`S(R) = (\hat p_t - R\hat p_c)\,/\,\sqrt{\frac{N}{N-1}\big(\tilde p_t(1-\tilde
      p_t)/n_t + R^2\tilde p_c(1-\tilde p_c)/n_c\big)}`, :math:`N = n_t + n_c`, and
      :math:`\tilde p_c = \big(-B - \sqrt{B^2 - 4AC}\big)/(2A)`, :math:`\tilde p_t = R\tilde
      p_c` is the maximum-likelihood estimate under the constraint :math:`p_t = R p_c`, with
      :math:`A = RN`, :math:`B = -(Rn_t + x_t + n_c + Rx_c)`, :math:`C = x_t + x_c`
      (Farrington & Manning 1990). Both roots of :math:`S(R) = \pm z` are found for every
      cell at once in :math:`\log R` by bracketing and a safeguarded regula falsi; with
      :math:`x_t = 0` the lower bound of :math:`R` is exactly 0.

    Undefined cells: a NaN input, ``n = 0`` or ``x > n`` in either arm, a control rate of 0
    (the lift is undefined, not infinite), ``delta`` with ``x_t = 0``, ``fieller`` when
    unbounded, and ``delta``/``fieller`` when the estimated variance is 0 (every arm
    all-or-nothing).

    References
    ----------
    Miettinen, O. and Nurminen, M. (1985). Comparative analysis of two rates.
    Statistics in Medicine 4, 213-226.
    Koopman, P. A. R. (1984). Confidence intervals for the ratio of two binomial proportions.
    Biometrics 40, 513-517.
    Farrington, C. P. and Manning, G. (1990). Test statistics and sample size formulae for
    comparative binomial trials with null hypothesis of non-zero risk difference or non-unity
    relative risk. Statistics in Medicine 9, 1447-1454.
    Fieller, E. C. (1954). Some problems in interval estimation. Journal of the Royal
    Statistical Society B 16(2), 175-185.
    Katz, D., Baptista, J., Azen, S. P. and Pike, M. C. (1978). Obtaining confidence intervals
    for the risk ratio in cohort studies. Biometrics 34, 469-474.

    Examples
    --------
    >>> ci = lift_interval(1030, 9955, 821, 8655, method="score")
    >>> round(float(ci.low), 6), round(float(ci.high), 6)
    (-0.00014, 0.189965)
    """
    method = v.choice(method, LIFT_METHODS, "method")  # type: ignore[assignment]
    a = v.level(alpha, "alpha")
    reasons, (xt, nt, xc, nc) = _two_arms(x_t, n_t, x_c, n_c)
    reasons.flag(xc == 0, v.CONTROL_ZERO)
    xc = np.where(reasons.bad, 1.0, xc)  # keeps the arithmetic of flagged cells harmless
    z = v.z_two_sided(a)
    pt, pc = xt / nt, xc / nc
    if method == "delta":
        reasons.flag(xt == 0, _DELTA_XT0)
        xt_safe = np.where(xt == 0, 1.0, xt)
        se = np.sqrt((1.0 - pt) / xt_safe + (1.0 - pc) / xc)
        reasons.flag(se == 0, v.ZERO_SE)
        log_r = np.log(np.where(xt == 0, 1.0, pt)) - np.log(pc)
        low, high = np.expm1(log_r - z * se), np.expm1(log_r + z * se)
    elif method == "fieller":
        vt, vc = pt * (1.0 - pt) / nt, pc * (1.0 - pc) / nc
        denom = pc * pc - z * z * vc
        reasons.flag(~(denom > 0), _FIELLER_UNBOUNDED)
        disc = np.maximum(pt * pt * vc + pc * pc * vt - z * z * vt * vc, 0.0)
        reasons.flag(disc == 0, _FIELLER_POINT)
        denom = np.where(denom > 0, denom, 1.0)
        root = z * np.sqrt(disc)
        # A ratio of rates is >= 0: the normal approximation may reach below, so clip.
        low = np.maximum((pt * pc - root) / denom, 0.0) - 1.0
        high = (pt * pc + root) / denom - 1.0
    else:
        low, high = _score_lift_bounds(xt, nt, xc, nc, z, reasons.ok)
        reasons.flag(np.isnan(low) | np.isnan(high), _SCORE_NO_ROOT)
    return Interval(reasons.nan(low), reasons.nan(high), reasons.text)


def _score_lift_bounds(
    xt: FloatArray,
    nt: FloatArray,
    xc: FloatArray,
    nc: FloatArray,
    z: float,
    ok: v.BoolArray,
) -> tuple[FloatArray, FloatArray]:
    """Miettinen-Nurminen bounds of the lift ``R - 1`` in the cells ``ok`` (``x_c > 0``).

    The roots are found in ``u = log R`` and returned as ``expm1(u)``, which keeps full
    relative precision for lifts near 0.
    """
    low = np.full(ok.size, np.nan)
    high = np.full(ok.size, np.nan)
    cells = np.flatnonzero(ok)
    if cells.size == 0:
        return low.reshape(ok.shape), high.reshape(ok.shape)
    flat = [np.ravel(arr)[cells] for arr in (xt, nt, xc, nc)]
    x1, n1, x0, n0 = flat
    r_hat = (x1 / n1) / (x0 / n0)
    centre = np.log(np.where(x1 > 0, r_hat, 1.0))

    def stat(u: FloatArray, idx: IndexArray) -> FloatArray:
        with np.errstate(all="ignore"):
            return _score_ratio_statistic(u, x1[idx], n1[idx], x0[idx], n0[idx])

    lo_flat = np.full(cells.size, np.nan)
    # The lower bound: S(R) = +z below R_hat; R = 0 (lift -1) exactly when x_t = 0.
    zero = x1 == 0
    lo_flat[zero] = -1.0
    pos = np.flatnonzero(~zero)
    lo_flat[pos] = _score_root(stat, centre[pos], np.full(pos.size, -z), pos, z)
    # The upper bound: S(R) = -z above R_hat. With x_t = 0 (R_hat = 0) start from the ratio of
    # half a conversion instead, moved down until S > -z there (S tends to 0 as R -> 0).
    start = centre.copy()
    g_start = np.full(cells.size, -z)
    nil = np.flatnonzero(zero)
    if nil.size:
        u0 = np.log(0.5 / n1[nil]) - np.log(x0[nil] / n0[nil])
        for _ in range(64):
            s0 = stat(u0, nil)
            low_enough = s0 > -z
            if low_enough.all():
                break
            u0 = np.where(low_enough, u0, u0 - 8.0)
        start[nil], g_start[nil] = u0, -(s0 + z)
    hi_flat = _score_root(stat, start, g_start, np.arange(cells.size), -z)
    low[cells] = lo_flat
    high[cells] = hi_flat
    return low.reshape(ok.shape), high.reshape(ok.shape)


def _score_root(
    stat: CellFunction,
    b: FloatArray,
    fb: FloatArray,
    idx: IndexArray,
    target: float,
) -> FloatArray:
    """Solve ``S(u) = target`` for ``u = log R`` beyond ``b``; return the lift ``expm1(u)``.

    ``b`` is a point on the near side of the root and ``fb = (S(b) - target) * sign(target)``
    (< 0 there); the far end is found by stepping ``1, 2, 4, ..., 1024`` away from ``b``:
    downwards for a positive ``target`` (the lower bound), upwards for a negative one.
    """
    if idx.size == 0:
        return np.empty(0)
    sgn = float(np.sign(target))
    direction = -sgn

    def g(u: FloatArray, sub: IndexArray) -> FloatArray:
        return (stat(u, idx[sub]) - target) * sgn

    a = np.full(idx.size, np.nan)
    fa = np.full(idx.size, np.nan)
    todo = np.arange(idx.size)
    width = 1.0
    while todo.size and width <= 1024.0:
        trial = b[todo] + direction * width
        val = g(trial, todo)
        hit = val > 0
        a[todo[hit]], fa[todo[hit]] = trial[hit], val[hit]
        todo = todo[~hit]
        width *= 2.0
    # Absolute tolerance far below 1e-14: near R = 1 the lift R - 1 = expm1(u) is itself tiny.
    return np.expm1(bracketed_root(g, a, b, fa, fb, xtol=1e-24))


def _score_ratio_statistic(
    log_ratio: FloatArray,
    xt: FloatArray,
    nt: FloatArray,
    xc: FloatArray,
    nc: FloatArray,
) -> FloatArray:
    """Miettinen-Nurminen score statistic S(R) at ``R = exp(log_ratio)`` (no checks).

    Positive when the observed ratio exceeds R; the formula is in :func:`lift_interval`.
    Counts must be valid (``n > 0``, ``0 <= x <= n``). Rates near 1 would lose the small
    failure rates to cancellation in ``1 - p``, so where the pooled rate exceeds 1/2 the
    restricted estimates are solved for the failure rates instead, and the numerator is
    ``(p_t - p_c) - (R - 1) p_c`` with the difference taken on whichever side is small and
    ``R - 1 = expm1(log R)``.
    """
    r = np.exp(log_ratio)
    r_1 = np.expm1(log_ratio)
    big_n = nt + nc
    ft, fc = nt - xt, nc - xc
    # Success form: p_c is the smaller root of R N p^2 - b p + (x_t + x_c) = 0.
    coef_a = r * big_n
    b = r * nt + xt + nc + r * xc
    c = xt + xc
    pc_s = 2.0 * c / (b + np.sqrt(np.maximum(b * b - 4.0 * coef_a * c, 0.0)))
    pt_s = r * pc_s
    # Failure form: q_c = 1 - p_c is the larger root of R N q^2 + bq q + (R - 1) f_c = 0 and
    # q_t the same for the arms swapped (ratio 1/R).
    qc_f = _larger_root(coef_a, -r_1 * big_n - ft - r * fc, r_1 * fc)
    r_inv_1 = np.expm1(-log_ratio)
    qt_f = _larger_root(big_n / r, -r_inv_1 * big_n - fc - ft / r, r_inv_1 * ft)
    fail = 2.0 * (xt + xc) > big_n
    pc = np.clip(np.where(fail, 1.0 - qc_f, pc_s), 0.0, 1.0)
    pt = np.clip(np.where(fail, 1.0 - qt_f, pt_s), 0.0, 1.0)
    qc = np.clip(np.where(fail, qc_f, 1.0 - pc_s), 0.0, 1.0)
    qt = np.clip(np.where(fail, qt_f, 1.0 - pt_s), 0.0, 1.0)
    var = (pt * qt / nt + r * r * pc * qc / nc) * big_n / (big_n - 1.0)
    diff = np.where(fail, fc / nc - ft / nt, xt / nt - xc / nc)
    out: FloatArray = (diff - r_1 * xc / nc) / np.sqrt(var)
    return out


def _larger_root(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """The larger root of ``a q^2 + b q + c = 0`` (``a > 0``), free of cancellation."""
    d = np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b <= 0, (d - b) / (2.0 * a), 2.0 * c / (-b - d))
    return np.asarray(np.where(np.isnan(out), 0.0, out), dtype=np.float64)

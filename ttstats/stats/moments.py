r"""Continuous metrics (engagement, revenue) from their sufficient statistics.

T&T reports an engagement metric as ``(count, total, sumOfSquares)``: the number of units with
a value, :math:`T = \sum x` and :math:`S = \sum x^2`, each printed with ``decimals`` (5)
decimals. Everything here is a vectorised function of such triples: means and variances per
engaged unit or per entry, Welch's t-test, intervals for the difference and the lift, and the
arithmetic of :class:`Moments` (``campaign - recipe`` is the rest of the campaign).

The variance numerator :math:`S - T^2/c` cancels catastrophically when the mean is large
against the spread; it is only reported where it exceeds a bound on its error (see
:func:`moments_mean_var`), never clipped to 0.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from . import _validate as v
from ._moment_arithmetic import (
    Alternative,
    MeanVar,
    Moments,
    WelchResult,
    _difference_interval,
    _from_parts,
    _lift_interval,
    _mean_var,
    _validated,
    _welch_test,
)
from ._results import Interval, WithReason
from ._validate import FloatArray, ReasonArray

__all__ = [
    "MeanVar",
    "Moments",
    "PointEstimate",
    "WelchResult",
    "average_order_value",
    "mean_difference_interval",
    "mean_lift_interval",
    "moments_mean_var",
    "per_entry_moments",
    "revenue_per_visitor",
    "welch_test_from_moments",
]

_NO_ORDERS = "no orders (orders = 0)"


class _PointEstimateFields(NamedTuple):
    value: FloatArray


class PointEstimate(WithReason, _PointEstimateFields):
    """A point estimate without an interval (no variance is available).

    Attributes
    ----------
    value : ndarray of float64
        The estimate; NaN where undefined.
    reason : ndarray of object (str), an attribute (not unpacked)
        ``""`` where defined, else why ``value`` is NaN.
    """

    def __new__(cls, value: FloatArray, reason: ReasonArray) -> PointEstimate:
        self = super().__new__(cls, value)
        self._set_reason(reason)
        return self


# --------------------------------------------------------------------------------------------
# Mean and variance
# --------------------------------------------------------------------------------------------
def moments_mean_var(
    count: npt.ArrayLike,
    total: npt.ArrayLike,
    sumsq: npt.ArrayLike,
    *,
    decimals: int | None = 5,
) -> MeanVar:
    r"""Mean and sample variance per engaged unit from ``(count, total, sumOfSquares)``.

    Parameters
    ----------
    count : array_like
        Units with a value (whole numbers >= 0; NaN for a missing cell).
    total, sumsq : array_like
        :math:`T = \sum x` and :math:`S = \sum x^2`; all three broadcast together.
    decimals : int or None
        Decimals the sums were printed with (the API writes 5; negative for sums printed to
        tens, hundreds..., as ``1.5e3`` is: -2); ``None`` for exact sums.

    Returns
    -------
    MeanVar
        ``mean``, ``var``, ``reliable`` and ``reason``, each of the broadcast shape.

    Raises
    ------
    ValueError
        Negative, fractional or infinite counts, an infinite total, a negative or infinite
        ``sumsq``, or ``decimals`` not an integer in [-300, 300] or None.

    Notes
    -----
    :math:`\bar x = T/c` and :math:`s^2 = N/(c-1)` with :math:`N = S - T^2/c`.

    *Precision.* Each printed sum carries an absolute rounding error of at most
    :math:`\delta = \tfrac12 10^{-\mathrm{decimals}}`, and its float64 value a further
    :math:`\varepsilon|\cdot|` (:math:`\varepsilon = 2^{-52}`): :math:`\delta_T = \delta +
    \varepsilon|T|`, :math:`\delta_S = \delta + \varepsilon S` (:class:`Moments` carries
    :math:`\delta_T, \delta_S` through ``+``, ``-`` and ``sum``). The exact numerator
    :math:`N^*` then differs from the computed :math:`\hat N` by at most

    .. math::

        B = \delta_S + \frac{2|T|\,\delta_T + \delta_T^2}{c}
            + 4\varepsilon\Big(S + \frac{T^2}{c}\Big):

    :math:`|\partial N/\partial S|\,\delta_S + |\partial N/\partial T|\,\delta_T` made exact
    by the :math:`\delta_T^2/c` term (:math:`N` is quadratic in :math:`T`), plus a bound on
    the float64 rounding of :math:`T\cdot T`, :math:`/c` and the subtraction (at most
    :math:`\tfrac12\varepsilon` of :math:`T^2/c`, :math:`T^2/c` and :math:`S + T^2/c`). The
    variance is reported only where :math:`B \le 0.01\,\hat N`: then :math:`N^* > 0` for
    certain and :math:`|s^2 - s^{2*}| \le B/(c-1) \le 1\%` of :math:`s^2` (a coarser
    bound would let the printing decide the leading digits). Where :math:`-B \le \hat N
    < 100 B` the sums cannot pin the variance down (:math:`s^{2*} \le 101 B/(c-1)`):
    ``var`` is NaN with reason ``"variance not resolvable from the reported sums"``; where
    :math:`\hat N < -B` no set of values has these sums (reason: the same words, adding that
    they are inconsistent). Nothing is clipped to 0; the one exact zero reported is
    :math:`\hat N = B = 0` (all values 0 and ``decimals=None``). The
    bound trusts T&T's sums up to their printing: its own summation error is not known.

    With a mean of :math:`10^7` and 5 decimals, :math:`B \approx 2\cdot10^7\cdot5\cdot10^{-6}
    = 100`: a variance below about :math:`10^4/(c-1)` is not reported.

    Other undefined cells: a NaN input (all NaN); ``count = 0`` (mean and var NaN; with sums
    beyond rounding the moments are inconsistent); ``count = 1`` (var NaN).

    References
    ----------
    Higham, N. J. (2002). Accuracy and Stability of Numerical Algorithms, 2nd ed., chapters 2-3
    (rounding error bounds). SIAM.
    Chan, T. F., Golub, G. H. and LeVeque, R. J. (1983). Algorithms for computing the sample
    variance: analysis and recommendations. The American Statistician 37(3), 242-247.

    Examples
    --------
    The Page Count engagement of the published T&T example, (190, 558, 4382):

    >>> res = moments_mean_var(190, 558.0, 4382.0)
    >>> round(float(res.mean), 6), round(float(res.var), 6), bool(res.reliable)
    (2.936842, 14.514508, True)
    >>> moments_mean_var([50, 1], [5e8, 3.0], [5e15, 9.0]).reason.tolist()
    ['variance not resolvable from the reported sums', 'fewer than 2 units: no sample variance']
    """
    built = _validated(count, total, sumsq, decimals, ("count", "total", "sumsq"))
    return _mean_var(_from_parts(built))


def per_entry_moments(
    count: npt.ArrayLike,
    total: npt.ArrayLike,
    sumsq: npt.ArrayLike,
    entries: npt.ArrayLike,
    *,
    decimals: int | None = 5,
) -> MeanVar:
    r"""Mean and sample variance per entry: units without a value count as 0.

    Parameters
    ----------
    count, total, sumsq : array_like
        The engagement triple, as :func:`moments_mean_var`.
    entries : array_like
        Entries :math:`n \ge` ``count`` (whole numbers), broadcastable with the triple.
    decimals : int or None
        Decimals the sums were printed with (5); ``None`` for exact sums.

    Returns
    -------
    MeanVar
        ``mean`` :math:`T/n`, ``var`` :math:`(S - T^2/n)/(n-1)`, ``reliable``, ``reason``.

    Raises
    ------
    ValueError
        As :func:`moments_mean_var`, and for invalid ``entries``.

    Notes
    -----
    Padding the ``count`` values with :math:`n - c` zeros changes neither :math:`T` nor
    :math:`S`, so this is :func:`moments_mean_var` with ``count`` replaced by ``entries``
    (the form of revenue per visitor), with the same precision bound (:math:`c` replaced by
    :math:`n`). For a test or interval per entry, pass the entries as the counts of
    :func:`welch_test_from_moments`. Undefined cells: those of :func:`moments_mean_var`
    (with :math:`n`) and ``count > entries``.

    References
    ----------
    Adobe Target documentation, "Statistical calculations in A/B tests" (revenue per visitor).

    Examples
    --------
    >>> res = per_entry_moments(190, 558.0, 4382.0, 476)
    >>> round(float(res.mean), 6), round(float(res.var), 6)
    (1.172269, 7.848156)
    """
    built = _validated(count, total, sumsq, decimals, ("count", "total", "sumsq"))
    return _mean_var(_from_parts(built), v.counts(entries, "entries"))


# --------------------------------------------------------------------------------------------
# Two arms: Welch's t-test, difference and lift intervals
# --------------------------------------------------------------------------------------------
def _pair(args: tuple[npt.ArrayLike, ...], decimals: int | None) -> tuple[Moments, Moments]:
    names = ("count_t", "total_t", "sumsq_t", "count_c", "total_c", "sumsq_c")
    t = _from_parts(_validated(args[0], args[1], args[2], decimals, names[:3]))
    c = _from_parts(_validated(args[3], args[4], args[5], decimals, names[3:]))
    return t, c


def welch_test_from_moments(
    count_t: npt.ArrayLike,
    total_t: npt.ArrayLike,
    sumsq_t: npt.ArrayLike,
    count_c: npt.ArrayLike,
    total_c: npt.ArrayLike,
    sumsq_c: npt.ArrayLike,
    *,
    alternative: Alternative = "two-sided",
    decimals: int | None = 5,
) -> WelchResult:
    r"""Welch's t-test of ``H0: mean_t = mean_c`` from both arms' moments, every cell at once.

    Parameters
    ----------
    count_t, total_t, sumsq_t : array_like
        Treatment ``(count, total, sumOfSquares)``.
    count_c, total_c, sumsq_c : array_like
        Control moments; all six broadcast together.
    alternative : {"two-sided", "less", "greater"}
        ``"greater"``: ``H1: mean_t > mean_c``.
    decimals : int or None
        Decimals the sums were printed with (5); ``None`` for exact sums.

    Returns
    -------
    WelchResult
        ``statistic``, ``df``, ``pvalue`` and ``reason``.

    Raises
    ------
    ValueError
        Unknown ``alternative``; invalid moments (as :func:`moments_mean_var`, naming the
        argument).

    Notes
    -----
    With :math:`w = s^2/c` per arm (:func:`moments_mean_var`),
    :math:`t = (\bar x_t - \bar x_c)/\sqrt{w_t + w_c}` and the Welch-Satterthwaite
    :math:`\nu = (w_t + w_c)^2 / \big(w_t^2/(c_t - 1) + w_c^2/(c_c - 1)\big)`; the p-value is
    from Student's t with :math:`\nu` df. Per entry (revenue per visitor), pass the entries as
    the counts. Undefined cells (NaN, reason naming the arm): an arm with fewer than two
    units, both arms' variances beyond what their sums resolve (:func:`moments_mean_var`),
    and zero variance in both arms. :func:`scipy.stats.ttest_ind_from_stats` returns a
    number or an infinite statistic in these cells (it quietly takes one degree of freedom
    for a single unit); here they have none. Where only one arm's variance is beyond what
    its sums resolve, that variance lies between 0 and the bound of
    :func:`moments_mean_var`: the test is computed at both ends and the larger p-value
    reported (:func:`mean_difference_interval` and :func:`mean_lift_interval` give the union
    of both ends' intervals), so a constant arm against a varying one is tested, cautiously.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34, 28-35.
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
    components. Biometrics Bulletin 2(6), 110-114.

    Examples
    --------
    The published Page Count of "Experience A", (190, 558, 4382), against a control
    (200, 520, 3900):

    >>> res = welch_test_from_moments(190, 558, 4382, 200, 520, 3900)
    >>> round(float(res.statistic), 4), round(float(res.df), 2), round(float(res.pvalue), 4)
    (0.8989, 383.03, 0.3693)
    """
    alt = v.choice(alternative, v.ALTERNATIVES, "alternative")
    t, c = _pair((count_t, total_t, sumsq_t, count_c, total_c, sumsq_c), decimals)
    return _welch_test(t, c, alt)


def mean_difference_interval(
    count_t: npt.ArrayLike,
    total_t: npt.ArrayLike,
    sumsq_t: npt.ArrayLike,
    count_c: npt.ArrayLike,
    total_c: npt.ArrayLike,
    sumsq_c: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    decimals: int | None = 5,
) -> Interval:
    r"""Welch confidence interval for ``mean_t - mean_c``.

    Parameters
    ----------
    count_t, total_t, sumsq_t, count_c, total_c, sumsq_c : array_like
        Both arms' moments, treatment first; broadcast together.
    alpha : float
        1 - confidence level, in (0, 1).
    decimals : int or None
        Decimals the sums were printed with (5); ``None`` for exact sums.

    Returns
    -------
    Interval
        ``low``, ``high`` and ``reason``.

    Raises
    ------
    ValueError
        ``alpha`` outside (0, 1); invalid moments.

    Notes
    -----
    :math:`\bar x_t - \bar x_c \pm t_{1-\alpha/2,\,\nu}\sqrt{s_t^2/c_t + s_c^2/c_c}` with the
    Welch-Satterthwaite :math:`\nu` of :func:`welch_test_from_moments`, whose undefined
    cells it shares.

    References
    ----------
    Welch, B. L. (1947). Biometrika 34, 28-35.

    Examples
    --------
    >>> ci = mean_difference_interval(190, 558, 4382, 200, 520, 3900)
    >>> round(float(ci.low), 4), round(float(ci.high), 4)
    (-0.3999, 1.0736)
    """
    a = v.level(alpha, "alpha")
    t, c = _pair((count_t, total_t, sumsq_t, count_c, total_c, sumsq_c), decimals)
    return _difference_interval(t, c, a)


def mean_lift_interval(
    count_t: npt.ArrayLike,
    total_t: npt.ArrayLike,
    sumsq_t: npt.ArrayLike,
    count_c: npt.ArrayLike,
    total_c: npt.ArrayLike,
    sumsq_c: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    decimals: int | None = 5,
) -> Interval:
    r"""Delta-method interval for the lift ``mean_t / mean_c - 1`` on the log ratio.

    Parameters
    ----------
    count_t, total_t, sumsq_t, count_c, total_c, sumsq_c : array_like
        Both arms' moments, treatment first; broadcast together.
    alpha : float
        1 - confidence level, in (0, 1).
    decimals : int or None
        Decimals the sums were printed with (5); ``None`` for exact sums.

    Returns
    -------
    Interval
        ``low``, ``high`` of the lift (> -1) and ``reason``. The point lift is
        ``mean_t / mean_c - 1`` from :func:`moments_mean_var`.

    Raises
    ------
    ValueError
        ``alpha`` outside (0, 1); invalid moments.

    Notes
    -----
    :math:`\exp\big(\log(\bar x_t/\bar x_c) \pm z_{1-\alpha/2}\sqrt{s_t^2/(c_t\bar x_t^2) +
    s_c^2/(c_c\bar x_c^2)}\big) - 1`, the delta method for :math:`\log\bar x` (variance
    :math:`s^2/(c\,\bar x^2)`) with the normal quantile, as ``lift_interval(method="delta")``
    for rates. Undefined cells: those of :func:`welch_test_from_moments`, and a mean
    :math:`\le 0` in either arm (the log ratio is undefined; a control mean of 0 leaves the
    lift itself undefined).

    References
    ----------
    Kohavi, R., Tang, D. and Xu, Y. (2020). Trustworthy Online Controlled Experiments,
    chapter 18 (the delta method for percent change). Cambridge University Press.

    Examples
    --------
    >>> ci = mean_lift_interval(190, 558, 4382, 200, 520, 3900)
    >>> round(float(ci.low), 4), round(float(ci.high), 4)
    (-0.1337, 0.4728)
    """
    a = v.level(alpha, "alpha")
    t, c = _pair((count_t, total_t, sumsq_t, count_c, total_c, sumsq_c), decimals)
    return _lift_interval(t, c, a)


# --------------------------------------------------------------------------------------------
# Revenue without a sum of squares
# --------------------------------------------------------------------------------------------
def revenue_per_visitor(revenue: npt.ArrayLike, entries: npt.ArrayLike) -> PointEstimate:
    """Revenue per visitor (RPV) ``revenue / entries``: a point estimate only.

    Parameters
    ----------
    revenue : array_like
        Revenue totals (T&T's version-1 ``amount``); NaN for a missing cell.
    entries : array_like
        Entries (whole numbers >= 0), broadcastable with ``revenue``.

    Returns
    -------
    PointEstimate
        ``value`` and ``reason`` (NaN input, ``entries = 0``).

    Raises
    ------
    ValueError
        Infinite revenue; negative, fractional or infinite entries.

    Notes
    -----
    Without a sum of squares no variance is known, so no interval or test is possible; a
    variance is never invented (e.g. from a binomial model). With ``(count, total,
    sumOfSquares)`` use :func:`per_entry_moments` instead.

    Examples
    --------
    >>> round(float(revenue_per_visitor(121.13, 476).value), 6)
    0.254475
    """
    return _ratio(revenue, entries, "entries", v.NO_ENTRIES)


def average_order_value(revenue: npt.ArrayLike, orders: npt.ArrayLike) -> PointEstimate:
    """Average order value (AOV) ``revenue / orders``: a point estimate only.

    Parameters
    ----------
    revenue : array_like
        Revenue totals; NaN for a missing cell.
    orders : array_like
        Orders (the final step's count, whole numbers >= 0), broadcastable with ``revenue``.

    Returns
    -------
    PointEstimate
        ``value`` and ``reason`` (NaN input, ``orders = 0``).

    Raises
    ------
    ValueError
        Infinite revenue; negative, fractional or infinite orders.

    Notes
    -----
    A point estimate: without a sum of squares no interval or test is possible.

    Examples
    --------
    >>> round(float(average_order_value(121.13, 255).value), 6)
    0.47502
    >>> average_order_value(10.0, 0).reason.item()
    'no orders (orders = 0)'
    """
    return _ratio(revenue, orders, "orders", _NO_ORDERS)


def _ratio(
    revenue: npt.ArrayLike, denominator: npt.ArrayLike, name: str, empty: str
) -> PointEstimate:
    rev = v.real(revenue, "revenue")
    den = v.counts(denominator, name)
    reasons = v.Reasons(v.shape_of(rev, den))
    reasons.flag(np.isnan(rev) | np.isnan(den), v.MISSING)
    reasons.flag(den == 0, empty)
    value = np.where(reasons.bad, 0.0, rev) / np.where(reasons.bad, 1.0, den)
    return PointEstimate(reasons.nan(value), reasons.text)

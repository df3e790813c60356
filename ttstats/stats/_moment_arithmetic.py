r"""The arithmetic of moments: :class:`Moments` and the vectorised kernels on it.

A ``(count, total, sumsq)`` triple per cell, with bounds on the rounding error of the sums,
that adds and subtracts (``campaign - recipe`` is the rest of the campaign), and the kernels
every public function of :mod:`ttstats.stats.moments` runs on: the mean and variance of a
triple with its precision check (:func:`_mean_var`) and the two-arm Welch computations
(:func:`_welch_test`, :func:`_difference_interval`, :func:`_lift_interval`).

The public functions and their documentation (formulas, precision bound, references) live
in :mod:`ttstats.stats.moments`, which re-exports :class:`Moments`, :class:`MeanVar` and
:class:`WelchResult`; import them from there or from :mod:`ttstats.stats`.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special

from . import _validate as v
from ._results import Interval, WithReason
from ._validate import BoolArray, FloatArray, ReasonArray

Alternative = Literal["two-sided", "less", "greater"]
Axis = int | tuple[int, ...] | None

_EPS = float(np.finfo(np.float64).eps)
#: A variance is reported where its error bound is at most this share of it.
RESOLUTION = 0.01

_NO_UNITS = "no units (count = 0)"
_EMPTY_SUMS = "count is 0 but the sums are not: inconsistent moments"
_FEW_UNITS = "fewer than 2 units: no sample variance"
_FEW_ENTRIES = "fewer than 2 entries: no sample variance"
_COUNT_EXCEEDS = "count exceeds entries: more units with a value than entries"
_UNRESOLVED = "variance not resolvable from the reported sums"
_INCONSISTENT = (
    "variance not resolvable from the reported sums: they are inconsistent "
    "(sumOfSquares < total**2/count beyond their rounding)"
)
_NEGATIVE_COUNT = "negative count: the subtracted moments are not part of these"
_NEGATIVE_SUM = "negative sum beyond rounding: the subtracted moments are not part of these"
_ZERO_BOTH = "zero variance in both arms: the t statistic is undefined"
_MEAN_NONPOSITIVE = "mean <= 0: the lift's log-ratio interval is undefined"


class _MeanVarFields(NamedTuple):
    mean: FloatArray
    var: FloatArray
    reliable: BoolArray


class MeanVar(WithReason, _MeanVarFields):
    """Mean and sample variance per cell.

    Attributes
    ----------
    mean : ndarray of float64
        ``total / count`` (or ``/ entries``); NaN where there are no units or the input is bad.
    var : ndarray of float64
        The sample variance (``ddof = 1``); NaN where fewer than 2 units or not resolvable.
    reliable : ndarray of bool
        True exactly where ``var`` is a number.
    reason : ndarray of object (str), an attribute (not unpacked)
        ``""`` where ``mean`` and ``var`` are both defined, else why ``var`` (and perhaps
        ``mean``) is NaN.
    """

    def __new__(
        cls, mean: FloatArray, var: FloatArray, reliable: BoolArray, reason: ReasonArray
    ) -> MeanVar:
        self = super().__new__(cls, mean, var, reliable)
        self._set_reason(reason)
        return self


class _WelchResultFields(NamedTuple):
    statistic: FloatArray
    df: FloatArray
    pvalue: FloatArray


class WelchResult(WithReason, _WelchResultFields):
    """Welch's t-test per cell.

    Attributes
    ----------
    statistic : ndarray of float64
        :math:`t = (\\bar x_t - \\bar x_c)/SE`, positive when the treatment mean is larger.
    df : ndarray of float64
        Welch-Satterthwaite degrees of freedom.
    pvalue : ndarray of float64
        The p-value; NaN where the cell is undefined.
    reason : ndarray of object (str), an attribute (not unpacked)
        ``""`` where defined, else why the fields are NaN (naming the arm).
    """

    def __new__(
        cls, statistic: FloatArray, df: FloatArray, pvalue: FloatArray, reason: ReasonArray
    ) -> WelchResult:
        self = super().__new__(cls, statistic, df, pvalue)
        self._set_reason(reason)
        return self


# --------------------------------------------------------------------------------------------
# Moments
# --------------------------------------------------------------------------------------------
class Moments:
    r"""Immutable arrays of ``(count, total, sumsq)`` that add and subtract, with error bounds.

    Parameters
    ----------
    count : array_like
        Units with a value: whole numbers >= 0, NaN for a missing cell.
    total, sumsq : array_like
        :math:`\sum x` (real) and :math:`\sum x^2` (>= 0); all three broadcast together.
    decimals : int or None
        Decimals the sums were printed with (T&T: 5; negative for a value printed to tens,
        hundreds..., as ``1.5e3`` is: -2); ``None`` for exact sums.

    Attributes
    ----------
    count, total, sumsq : ndarray of float64
        The moments, broadcast to one shape, read-only; NaN in flagged cells.
    total_error, sumsq_error : ndarray of float64
        Bounds on the absolute error of ``total`` and ``sumsq``: ``0.5 * 10**-decimals`` plus
        the float64 representation error (``eps * |value|``) at construction; the operands'
        bounds plus ``eps * |result|`` after ``+``, ``-`` and :meth:`sum`.
    reason : ndarray of object (str), an attribute (not unpacked)
        ``""`` for a usable cell, else why its moments are NaN.

    Raises
    ------
    ValueError
        Negative, fractional or infinite counts; infinite totals; negative or infinite sums of
        squares; ``decimals`` not an integer in [-300, 300] or None.

    Notes
    -----
    ``a + b`` pools two disjoint groups of units, ``a - b`` removes a group ``b`` from ``a``
    (``campaign - recipe`` is the rest of the campaign). A difference that no group of units can
    have is NaN with a reason: a negative count, a negative ``sumsq`` or (when both operands'
    totals are >= 0, as for every T&T metric) a negative ``total`` beyond the error bounds, or
    a count of 0 with sums beyond them. ``a.sum(axis=...)`` pools along axes; indexing
    (``m[..., 0]``) selects cells. NaN and reasons propagate: the first reason wins.

    Examples
    --------
    >>> campaign = Moments([190, 400], [558.0, 1000.0], [4382.0, 9000.0])
    >>> rest = campaign - campaign[0]
    >>> rest.count.tolist(), rest.total.tolist()
    ([0.0, 210.0], [0.0, 442.0])
    >>> (campaign[0] - campaign[1]).reason.item()
    'negative count: the subtracted moments are not part of these'
    >>> round(float(campaign[0].mean_var().var), 6)
    14.514508
    """

    __slots__ = ("count", "reason", "sumsq", "sumsq_error", "total", "total_error")

    count: FloatArray
    total: FloatArray
    sumsq: FloatArray
    total_error: FloatArray
    sumsq_error: FloatArray
    reason: ReasonArray

    def __init__(
        self,
        count: npt.ArrayLike,
        total: npt.ArrayLike,
        sumsq: npt.ArrayLike,
        *,
        decimals: int | None = 5,
    ) -> None:
        built = _validated(count, total, sumsq, decimals, ("count", "total", "sumsq"))
        self._set(*built)

    def _set(
        self,
        count: FloatArray,
        total: FloatArray,
        sumsq: FloatArray,
        total_error: FloatArray,
        sumsq_error: FloatArray,
        reason: ReasonArray,
    ) -> None:
        shape = reason.shape
        fields = zip(
            ("count", "total", "sumsq", "total_error", "sumsq_error", "reason"),
            (count, total, sumsq, total_error, sumsq_error, reason),
            strict=True,
        )
        for name, value in fields:
            arr = np.array(np.broadcast_to(value, shape))
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @classmethod
    def _build(
        cls,
        count: FloatArray,
        total: FloatArray,
        sumsq: FloatArray,
        total_error: FloatArray,
        sumsq_error: FloatArray,
        reasons: v.Reasons,
    ) -> Moments:
        out = object.__new__(cls)
        out._set(
            reasons.nan(count),
            reasons.nan(total),
            reasons.nan(sumsq),
            reasons.nan(total_error),
            reasons.nan(sumsq_error),
            reasons.text,
        )
        return out

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Moments is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Moments is immutable: cannot delete {name!r}")

    def __repr__(self) -> str:
        return f"Moments(count={self.count!r}, total={self.total!r}, sumsq={self.sumsq!r})"

    @property
    def shape(self) -> tuple[int, ...]:
        """The common shape of the arrays."""
        return tuple(self.reason.shape)

    def __getitem__(self, key: Any) -> Moments:
        out = object.__new__(Moments)
        out._set(
            np.asarray(self.count[key], dtype=np.float64),
            np.asarray(self.total[key], dtype=np.float64),
            np.asarray(self.sumsq[key], dtype=np.float64),
            np.asarray(self.total_error[key], dtype=np.float64),
            np.asarray(self.sumsq_error[key], dtype=np.float64),
            np.asarray(self.reason[key], dtype=object),
        )
        return out

    def __add__(self, other: object) -> Moments:
        if not isinstance(other, Moments):
            return NotImplemented
        return self._combine(other, 1.0)

    def __sub__(self, other: object) -> Moments:
        if not isinstance(other, Moments):
            return NotImplemented
        return self._combine(other, -1.0)

    def _combine(self, other: Moments, sign: float) -> Moments:
        shape = v.shape_of(self.reason, other.reason)
        reasons = v.Reasons(shape)
        _inherit(reasons, self.reason)
        _inherit(reasons, other.reason)
        c = self.count + sign * other.count
        t = self.total + sign * other.total
        s = self.sumsq + sign * other.sumsq
        et = self.total_error + other.total_error + _EPS * np.abs(t)
        es = self.sumsq_error + other.sumsq_error + _EPS * np.abs(s)
        if sign < 0:
            reasons.flag(c < 0, _NEGATIVE_COUNT)
            both_nonneg = (self.total >= 0) & (other.total >= 0)
            reasons.flag((s < -es) | (both_nonneg & (t < -et)), _NEGATIVE_SUM)
            _flag_empty(reasons, c, t, s, et, es)
        return Moments._build(c, t, s, et, es, reasons)

    def sum(self, axis: Axis = None, *, keepdims: bool = False) -> Moments:
        """Pool the moments along ``axis`` (all axes by default), as :func:`numpy.sum`.

        A cell of the result is NaN with the first reason found along the axis when any of
        its parts has one.
        """
        axes = _axes(axis, len(self.shape))
        terms = int(np.prod([self.shape[a] for a in axes]))

        def add(arr: FloatArray) -> FloatArray:
            return np.asarray(np.sum(arr, axis=axes, keepdims=keepdims), dtype=np.float64)

        t, s = add(self.total), add(self.sumsq)
        et = add(self.total_error) + terms * _EPS * add(np.abs(self.total))
        es = add(self.sumsq_error) + terms * _EPS * add(np.abs(self.sumsq))
        reason = _first_reason(self.reason, axes, keepdims)
        reasons = v.Reasons(reason.shape)
        _inherit(reasons, reason)
        return Moments._build(add(self.count), t, s, et, es, reasons)

    def mean_var(self) -> MeanVar:
        """Mean and variance per unit with a value (see :func:`moments_mean_var`)."""
        return _mean_var(self)

    def per_entry(self, entries: npt.ArrayLike) -> MeanVar:
        """Mean and variance per entry, units without a value counting as 0.

        See :func:`per_entry_moments`.
        """
        return _mean_var(self, v.counts(entries, "entries"))

    def welch_test(
        self, control: Moments, *, alternative: Alternative = "two-sided"
    ) -> WelchResult:
        """Welch's t-test of these moments (treatment) against ``control``.

        See :func:`welch_test_from_moments`; the error bounds of both operands are used.
        """
        alt = v.choice(alternative, v.ALTERNATIVES, "alternative")
        return _welch_test(self, _moments_arg(control), alt)

    def difference_interval(self, control: Moments, *, alpha: float = 0.05) -> Interval:
        """Interval for ``mean - control mean`` (see :func:`mean_difference_interval`)."""
        return _difference_interval(self, _moments_arg(control), v.level(alpha, "alpha"))

    def lift_interval(self, control: Moments, *, alpha: float = 0.05) -> Interval:
        """Interval for ``mean / control mean - 1`` (see :func:`mean_lift_interval`)."""
        return _lift_interval(self, _moments_arg(control), v.level(alpha, "alpha"))


def _moments_arg(control: object) -> Moments:
    if not isinstance(control, Moments):
        raise ValueError(f"control must be a Moments, got {type(control).__name__}")
    return control


def _validated(
    count: npt.ArrayLike,
    total: npt.ArrayLike,
    sumsq: npt.ArrayLike,
    decimals: object,
    names: tuple[str, str, str],
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, ReasonArray]:
    """Checked, broadcast moments with their construction error bounds and reasons."""
    if decimals is None:
        delta = 0.0
    elif isinstance(decimals, (int, np.integer)) and not isinstance(decimals, bool):
        if not -300 <= decimals <= 300:
            raise ValueError(f"decimals must be an integer in [-300, 300] or None, got {decimals}")
        delta = 0.5 * 10.0 ** -int(decimals)
    else:
        raise ValueError(f"decimals must be an integer or None, got {decimals!r}")
    c = v.counts(count, names[0])
    t = v.real(total, names[1])
    s = v.nonnegative(sumsq, names[2])
    reasons = v.Reasons(v.shape_of(c, t, s))
    reasons.flag(np.isnan(c) | np.isnan(t) | np.isnan(s), v.MISSING)
    et = delta + _EPS * np.abs(t)
    es = delta + _EPS * np.abs(s)
    _flag_empty(reasons, c, t, s, et, es)
    arrays = [reasons.nan(a) for a in (c, t, s, et, es)]
    return arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], reasons.text


def _flag_empty(
    reasons: v.Reasons, c: FloatArray, t: FloatArray, s: FloatArray, et: FloatArray, es: FloatArray
) -> None:
    reasons.flag((c == 0) & ((np.abs(t) > et) | (s > es)), _EMPTY_SUMS)


def _inherit(reasons: v.Reasons, text: ReasonArray, prefix: str = "") -> None:
    """Record the non-empty ``text`` (broadcast) in cells that have no reason yet."""
    full = np.broadcast_to(text, reasons.shape)
    new = (full != "") & ~reasons.bad
    if new.any():
        reasons.writable()[new] = prefix + full[new] if prefix else full[new]
        reasons.bad |= new


def _axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    raw = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out: list[int] = []
    for a in raw:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for moments with {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"axis: repeated axis in {axis!r}")
    return tuple(out)


def _first_reason(reason: ReasonArray, axes: tuple[int, ...], keepdims: bool) -> ReasonArray:
    """The first non-empty reason along ``axes`` (``""`` when there is none)."""
    k = len(axes)
    moved = np.moveaxis(reason, axes, tuple(range(reason.ndim - k, reason.ndim)))
    flat = moved.reshape((*moved.shape[: moved.ndim - k], -1))
    idx = np.argmax(flat != "", axis=-1) if flat.shape[-1] else np.zeros(flat.shape[:-1], int)
    first: ReasonArray = (
        np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]
        if flat.shape[-1]
        else np.full(flat.shape[:-1], "", dtype=object)
    )
    return np.expand_dims(first, axes) if keepdims else first


# --------------------------------------------------------------------------------------------
# Mean and variance (documented at moments_mean_var)
# --------------------------------------------------------------------------------------------
def _from_parts(
    parts: tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, ReasonArray],
) -> Moments:
    out = object.__new__(Moments)
    out._set(*parts)
    return out


def _mean_var(m: Moments, entries: FloatArray | None = None) -> MeanVar:
    """The mean and variance of ``m`` per unit, or per entry when ``entries`` is given."""
    return _mean_var_range(m, entries)[0]


def _mean_var_range(m: Moments, entries: FloatArray | None = None) -> tuple[MeanVar, FloatArray]:
    """:func:`_mean_var` and, where the variance is not resolvable (and only there), the
    largest variance the sums allow (the smallest is 0); NaN elsewhere."""
    shape = m.shape if entries is None else v.shape_of(m.reason, entries)
    reasons = v.Reasons(shape)
    _inherit(reasons, m.reason)
    c, t, s, et, es = (
        np.broadcast_to(a, shape) for a in (m.count, m.total, m.sumsq, m.total_error, m.sumsq_error)
    )
    if entries is None:
        n = c
        reasons.flag(c == 0, _NO_UNITS)
    else:
        n = np.broadcast_to(entries, shape)
        reasons.flag(np.isnan(n), v.MISSING)
        reasons.flag(c > n, _COUNT_EXCEEDS)
        reasons.flag(n == 0, v.NO_ENTRIES)
    has_mean = reasons.ok
    reasons.flag(n < 2, _FEW_UNITS if entries is None else _FEW_ENTRIES)
    bad = reasons.bad
    ns = np.where(bad, 2.0, n)
    ts, ss = np.where(bad, 0.0, t), np.where(bad, 0.0, s)
    ets, ess = np.where(bad, 0.0, et), np.where(bad, 0.0, es)
    square = ts * ts / ns
    numer = ss - square
    bound = ess + (2.0 * np.abs(ts) * ets + ets * ets) / ns + 4.0 * _EPS * (ss + square)
    reasons.flag(numer < -bound, _INCONSISTENT)
    # reported where the sums pin it down to RESOLUTION (1%) of itself, so no digit shown is
    # an artefact of the printing
    resolved = (numer * RESOLUTION > bound) | ((numer == 0.0) & (bound == 0.0))
    reasons.flag(~resolved, _UNRESOLVED)
    unresolved = reasons.text == _UNRESOLVED
    mean = np.where(has_mean, np.where(has_mean, t, 0.0) / np.where(has_mean, n, 1.0), np.nan)
    var = reasons.nan(numer / (ns - 1.0))
    upper = np.where(unresolved, np.maximum(numer, 0.0) + bound, np.nan) / (ns - 1.0)
    return MeanVar(mean, var, np.array(reasons.ok, dtype=bool), reasons.text), upper


# --------------------------------------------------------------------------------------------
# Two arms: Welch's t-test, difference and lift intervals (documented at their public twins)
# --------------------------------------------------------------------------------------------
class _Arms(NamedTuple):
    reasons: v.Reasons
    mean_t: FloatArray
    mean_c: FloatArray
    w_t: FloatArray  # var / n
    w_c: FloatArray
    df: FloatArray


def _arms(treatment: Moments, control: Moments, end: str = "low") -> _Arms:
    """Both arms' means and ``var / n`` with Welch's df; flagged cells hold harmless values.

    Where one arm's variance is not resolvable from the sums and the other's is, the first
    lies somewhere in ``[0, upper]``: ``end`` ("low" or "high") takes one end of that range
    (the callers take the more cautious answer of the two).
    """
    (mt, up_t), (mc, up_c) = _mean_var_range(treatment), _mean_var_range(control)
    shape = v.shape_of(mt.reason, mc.reason)
    var_t, var_c = np.broadcast_to(mt.var, shape), np.broadcast_to(mc.var, shape)
    up_t, up_c = np.broadcast_to(up_t, shape), np.broadcast_to(up_c, shape)
    one_t = ~np.isnan(up_t) & np.broadcast_to(mc.reliable, shape)
    one_c = ~np.isnan(up_c) & np.broadcast_to(mt.reliable, shape)
    var_t = np.where(one_t, 0.0 if end == "low" else up_t, var_t)
    var_c = np.where(one_c, 0.0 if end == "low" else up_c, var_c)
    reasons = v.Reasons(shape)
    _inherit(reasons, np.where(one_t, "", np.broadcast_to(mt.reason, shape)), "treatment: ")
    _inherit(reasons, np.where(one_c, "", np.broadcast_to(mc.reason, shape)), "control: ")
    nt = np.broadcast_to(treatment.count, shape)
    nc = np.broadcast_to(control.count, shape)
    ok = reasons.ok
    wt = np.where(ok, var_t, 1.0) / np.where(ok, nt, 2.0)
    wc = np.where(ok, var_c, 1.0) / np.where(ok, nc, 2.0)
    reasons.flag(wt + wc == 0.0, _ZERO_BOTH)
    ok = reasons.ok
    wt, wc = np.where(ok, wt, 1.0), np.where(ok, wc, 1.0)
    nt, nc = np.where(ok, nt, 2.0), np.where(ok, nc, 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (wt + wc) ** 2 / (wt * wt / (nt - 1.0) + wc * wc / (nc - 1.0))
    mean_t = np.where(ok, np.broadcast_to(mt.mean, shape), 1.0)
    mean_c = np.where(ok, np.broadcast_to(mc.mean, shape), 1.0)
    return _Arms(reasons, mean_t, mean_c, wt, wc, df)


def _welch_test(treatment: Moments, control: Moments, alternative: str) -> WelchResult:
    ends = [_welch_once(_arms(treatment, control, end), alternative) for end in ("low", "high")]
    # an arm whose variance the sums cannot resolve: the larger p-value of its range's ends
    high = ends[1].pvalue > ends[0].pvalue
    stat, df, pval = (np.where(high, b, a) for a, b in zip(ends[0][:3], ends[1][:3], strict=True))
    return WelchResult(stat, df, pval, ends[0].reason)


def _welch_once(arms: _Arms, alternative: str) -> WelchResult:
    stat = (arms.mean_t - arms.mean_c) / np.sqrt(arms.w_t + arms.w_c)
    if alternative == "greater":
        pval = special.stdtr(arms.df, -stat)
    elif alternative == "less":
        pval = special.stdtr(arms.df, stat)
    else:
        pval = 2.0 * special.stdtr(arms.df, -np.abs(stat))
    r = arms.reasons
    return WelchResult(r.nan(stat), r.nan(arms.df), r.nan(pval), r.text)


def _widest(a: Interval, b: Interval) -> Interval:
    """The union of two intervals of the same cells (NaN where the first is)."""
    return Interval(np.fmin(a.low, b.low), np.fmax(a.high, b.high), a.reason)


def _difference_interval(treatment: Moments, control: Moments, alpha: float) -> Interval:
    one = [_difference_once(_arms(treatment, control, end), alpha) for end in ("low", "high")]
    return _widest(*one)


def _difference_once(arms: _Arms, alpha: float) -> Interval:
    half = -special.stdtrit(arms.df, alpha / 2.0) * np.sqrt(arms.w_t + arms.w_c)
    diff = arms.mean_t - arms.mean_c
    r = arms.reasons
    return Interval(r.nan(diff - half), r.nan(diff + half), r.text)


def _lift_interval(treatment: Moments, control: Moments, alpha: float) -> Interval:
    one = [_lift_once(_arms(treatment, control, end), alpha) for end in ("low", "high")]
    return _widest(*one)


def _lift_once(arms: _Arms, alpha: float) -> Interval:
    r = arms.reasons
    r.flag(arms.mean_c <= 0.0, "control: " + _MEAN_NONPOSITIVE)
    r.flag(arms.mean_t <= 0.0, "treatment: " + _MEAN_NONPOSITIVE)
    mt = np.where(r.ok, arms.mean_t, 1.0)
    mc = np.where(r.ok, arms.mean_c, 1.0)
    se = np.sqrt(arms.w_t / (mt * mt) + arms.w_c / (mc * mc))
    log_r = np.log(mt) - np.log(mc)
    z = v.z_two_sided(alpha)
    return Interval(r.nan(np.expm1(log_r - z * se)), r.nan(np.expm1(log_r + z * se)), r.text)

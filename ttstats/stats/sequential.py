r"""Always-valid inference for an experiment that is looked at again and again.

A fixed-horizon p-value is valid at one sample size chosen in advance. Checked after every
sample and acted on at the first "significant" look, it declares far more false winners than
its ``alpha`` promises. The mixture sequential probability ratio test (mSPRT) gives a p-value
and a confidence sequence that stay valid at every look, however often one looks and whenever
one stops: :math:`P(\exists n: p_n \le \alpha) \le \alpha` under the null.

Both functions take **running totals** (cumulative conversions and entries of each arm, one
value per look along ``axis``) and return one value per look.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from . import _validate as v
from ._results import Interval, TestResult
from ._validate import FloatArray

#: Default mixing standard deviation, relative to the pooled rate: the normal mixture puts
#: its spread at differences of about 10% of the rate (a lift of +-10%).
DEFAULT_MIXING_LIFT: Final = 0.1

_NO_CONVERSIONS = "pooled rate still 0 or 1: no default mixing variance yet; pass mixing_variance"


def always_valid_pvalue(
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    *,
    mixing_variance: npt.ArrayLike | None = None,
    axis: int = -1,
) -> TestResult:
    r"""Always-valid p-value of ``H0: p_t = p_c`` at every look, from running totals.

    Parameters
    ----------
    x_t, n_t : array_like
        Treatment conversions and entries, **cumulative**: one running total per look along
        ``axis`` (non-decreasing; NaN marks a look without data).
    x_c, n_c : array_like
        The control's running totals; all four broadcast together.
    mixing_variance : array_like, optional
        :math:`\tau^2`, the variance of the normal mixture over the difference
        :math:`\theta = p_t - p_c` (positive; broadcastable to the inputs without ``axis``).
        It sets where the test is most powerful: near :math:`|\theta| \approx \tau`. Default:
        :math:`(0.1\,\bar p)^2` (differences of about 10% of the rate), with :math:`\bar p` the
        pooled rate of both arms at the first look where it lies strictly between 0 and 1
        (looks before it have no p-value). It depends only on the data up to that look, so a
        look added later never changes the p-values before it. For the strict guarantee, fix
        it before the experiment starts (e.g. from the planned base rate and the lift of
        interest).
    axis : int, default -1
        The look axis.

    Returns
    -------
    TestResult
        ``statistic``: the mixture likelihood ratio :math:`\Lambda_n` of each look (NaN where
        the look has no defined variance); ``pvalue``: the always-valid p-value, never
        increasing along ``axis``; ``reason``: why a p-value is NaN, or why a look's own
        statistic is (its p-value then carries over, and the reason says so).

    Raises
    ------
    ValueError
        Negative, fractional or infinite counts; running totals that decrease along
        ``axis``; a ``mixing_variance`` that is not positive and finite; ``axis`` out of range.

    Notes
    -----
    At look :math:`n`, with :math:`\hat p = x/n`, the estimated difference and its variance are
    :math:`\hat\theta_n = \hat p_t - \hat p_c` and
    :math:`V_n = \hat p_t(1-\hat p_t)/n_t + \hat p_c(1-\hat p_c)/n_c`. Mixing the normal
    likelihood ratio over :math:`\theta \sim N(0, \tau^2)` gives

    .. math::

        \Lambda_n = \sqrt{\frac{V_n}{V_n + \tau^2}}
                    \exp\!\Big(\frac{\tau^2 \hat\theta_n^2}{2 V_n (V_n + \tau^2)}\Big),
        \qquad p_n = \min\big(1, \min_{m \le n} 1/\Lambda_m\big).

    :math:`\Lambda_n` is a martingale under the null (for the normal approximation), so by
    Ville's inequality :math:`P(\sup_n \Lambda_n \ge 1/\alpha) \le \alpha`. Rejecting at the
    first look with :math:`p_n \le \alpha` keeps the false-positive rate at ``alpha``; the
    guarantee is asymptotic in the counts (the variance is estimated), as in Johari et al.

    A look whose variance is not defined (an arm with no entries, :math:`V_n = 0`) adds no
    evidence: its ``statistic`` is NaN with a reason and the p-value carries over from the
    looks before it; a p-value is NaN only until the first look with a defined variance, and
    at looks whose input is missing (NaN).

    References
    ----------
    Johari, R., Koomen, P., Pekelis, L. and Walsh, D. (2017). Peeking at A/B tests: why it
    matters, and what to do about it. KDD '17, 1517-1525.
    Johari, R., Pekelis, L. and Walsh, D. (2022). Always valid inference: continuous
    monitoring of A/B tests. Operations Research 70(3), 1806-1821.
    Robbins, H. (1970). Statistical methods related to the law of the iterated logarithm.
    Annals of Mathematical Statistics 41(5), 1397-1409.

    Examples
    --------
    Five daily looks at the running totals of an experiment whose treatment converts better:

    >>> n = [1000, 2000, 3000, 4000, 5000]
    >>> res = always_valid_pvalue([60, 125, 190, 250, 318], n, [50, 100, 150, 200, 250], n)
    >>> [round(float(p), 4) for p in res.pvalue]
    [1.0, 0.734, 0.4321, 0.3046, 0.1238]
    """
    parts = _mixture_parts(x_t, n_t, x_c, n_c, mixing_variance, axis)
    log_lr = _log_likelihood_ratio(parts)
    with np.errstate(over="ignore"):
        inverse = np.minimum(1.0, np.exp(-log_lr))  # NaN where the look is undefined
    running = np.fmin.accumulate(inverse, axis=parts.axis)  # NaN ignored after the first
    pvalue = np.where(parts.missing, np.nan, running)
    reason = _running_reason(parts, pvalue)
    with np.errstate(over="ignore"):
        statistic = np.exp(log_lr)
    return TestResult(*(parts.shaped(a) for a in (statistic, pvalue, reason)))


def confidence_sequence(
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    mixing_variance: npt.ArrayLike | None = None,
    axis: int = -1,
) -> Interval:
    r"""Confidence sequence for ``p_t - p_c``: intervals that cover it at every look at once.

    The dual of :func:`always_valid_pvalue` (same arguments, same mixture): at each look the
    interval holds every difference :math:`\theta_0` that the mSPRT of ``H0: theta =
    theta_0`` has not rejected at ``alpha`` so far, so that
    :math:`P(\forall n: \theta \in CS_n) \ge 1 - \alpha`. The p-value of the same call is
    below ``alpha`` exactly where the interval excludes 0.

    Parameters
    ----------
    x_t, n_t, x_c, n_c : array_like
        Running totals, as :func:`always_valid_pvalue`.
    alpha : float, default 0.05
        The sequence covers with probability at least ``1 - alpha``.
    mixing_variance : array_like, optional
        :math:`\tau^2`, as :func:`always_valid_pvalue`.
    axis : int, default -1
        The look axis.

    Returns
    -------
    Interval
        ``low`` (never decreasing along ``axis``), ``high`` (never increasing), both clipped
        to [-1, 1], and ``reason``.

    Raises
    ------
    ValueError
        As :func:`always_valid_pvalue`; ``alpha`` outside (0, 1).

    Notes
    -----
    :math:`\Lambda_n(\theta_0) < 1/\alpha` solves to
    :math:`|\hat\theta_n - \theta_0| < h_n` with

    .. math::

        h_n = \sqrt{\frac{V_n (V_n + \tau^2)}{\tau^2}
              \Big(2\log\frac{1}{\alpha} + \log\frac{V_n + \tau^2}{V_n}\Big)},

    and the sequence is the running intersection: :math:`[\max_{m \le n}(\hat\theta_m - h_m),
    \min_{m \le n}(\hat\theta_m + h_m)]`. Undefined looks carry the interval over, as the
    p-value. The intersection is empty (``low > high``) only with probability below
    ``alpha``; it is returned as computed, not hidden.

    References
    ----------
    Johari, R., Pekelis, L. and Walsh, D. (2022). Always valid inference: continuous
    monitoring of A/B tests. Operations Research 70(3), 1806-1821.
    Howard, S. R., Ramdas, A., McAuliffe, J. and Sekhon, J. (2021). Time-uniform,
    nonparametric, nonasymptotic confidence sequences. Annals of Statistics 49(2), 1055-1080.

    Examples
    --------
    >>> n = [1000, 2000, 3000, 4000, 5000]
    >>> cs = confidence_sequence([60, 125, 190, 250, 318], n, [50, 100, 150, 200, 250], n)
    >>> round(float(cs.low[-1]), 4), round(float(cs.high[-1]), 4)
    (-0.0023, 0.0295)
    """
    a = v.level(alpha, "alpha")
    parts = _mixture_parts(x_t, n_t, x_c, n_c, mixing_variance, axis)
    var, tau2 = parts.variance, parts.tau2
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.sqrt(var * (var + tau2) / tau2 * (2.0 * np.log(1.0 / a) + np.log1p(tau2 / var)))
    low = np.fmax.accumulate(parts.theta - half, axis=parts.axis)
    high = np.fmin.accumulate(parts.theta + half, axis=parts.axis)
    defined = ~np.isnan(low)
    low = np.where(parts.missing, np.nan, np.clip(low, -1.0, 1.0))
    high = np.where(parts.missing | ~defined, np.nan, np.clip(high, -1.0, 1.0))
    return Interval(*(parts.shaped(a) for a in (low, high, _running_reason(parts, low))))


# --------------------------------------------------------------------------------------------
# The shared mixture
# --------------------------------------------------------------------------------------------
class _Parts:
    """Estimates, variances and reasons of every look, on the full broadcast shape."""

    def __init__(
        self,
        theta: FloatArray,
        variance: FloatArray,
        tau2: FloatArray,
        missing: npt.NDArray[np.bool_],
        reasons: v.Reasons,
        axis: int,
        scalar: bool,
    ) -> None:
        self.theta, self.variance, self.tau2 = theta, variance, tau2
        self.missing, self.reasons, self.axis = missing, reasons, axis
        self.scalar = scalar

    def shaped(self, arr: Any) -> Any:
        """``arr`` in the shape of the inputs: 0-d for one look given as scalars."""
        return arr.reshape(()) if self.scalar else arr


def _mixture_parts(
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    mixing_variance: npt.ArrayLike | None,
    axis: int,
) -> _Parts:
    xt, nt = v.counts(x_t, "x_t"), v.counts(n_t, "n_t")
    xc, nc = v.counts(x_c, "x_c"), v.counts(n_c, "n_c")
    shape = v.shape_of(xt, nt, xc, nc)
    scalar = len(shape) == 0
    if scalar:  # one look
        shape = (1,)
    ax = _axis(axis, len(shape))
    xt, nt, xc, nc = (np.broadcast_to(a, shape) for a in (xt, nt, xc, nc))
    for arr, name in ((xt, "x_t"), (nt, "n_t"), (xc, "x_c"), (nc, "n_c")):
        _running_totals(arr, name, ax)
    reasons = v.Reasons(shape)
    reasons.arm(xt, nt, "treatment")
    reasons.arm(xc, nc, "control")
    missing = np.isnan(xt) | np.isnan(nt) | np.isnan(xc) | np.isnan(nc)
    with np.errstate(divide="ignore", invalid="ignore"):
        pt, pc = xt / nt, xc / nc
        theta = pt - pc
        var = pt * (1.0 - pt) / nt + pc * (1.0 - pc) / nc
    reasons.flag(var == 0, v.ZERO_SE)
    tau2 = _tau2(mixing_variance, xt, nt, xc, nc, ax, shape, reasons)
    bad = reasons.bad
    return _Parts(
        np.where(bad, np.nan, theta),
        np.where(bad, np.nan, var),
        tau2,
        missing,
        reasons,
        ax,
        scalar,
    )


def _log_likelihood_ratio(parts: _Parts) -> FloatArray:
    var, tau2, theta = parts.variance, parts.tau2, parts.theta
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = -0.5 * np.log1p(tau2 / var) + tau2 * theta**2 / (2.0 * var * (var + tau2))
    return out


def _tau2(
    mixing_variance: npt.ArrayLike | None,
    xt: FloatArray,
    nt: FloatArray,
    xc: FloatArray,
    nc: FloatArray,
    axis: int,
    shape: tuple[int, ...],
    reasons: v.Reasons,
) -> FloatArray:
    if mixing_variance is not None:
        tau2 = v.real(mixing_variance, "mixing_variance")
        if np.isnan(tau2).any() or (tau2 <= 0).any():
            raise ValueError("mixing_variance: must be positive and finite")
        without = shape[:axis] + shape[axis + 1 :]
        try:
            out = np.expand_dims(np.broadcast_to(tau2, without), axis)
        except ValueError:
            raise ValueError(
                "mixing_variance must broadcast to the inputs' shape without the look axis, "
                f"{without}; got shape {tau2.shape}"
            ) from None
        return np.broadcast_to(out, shape)
    # The pooled rate at the first look where it lies strictly between 0 and 1: fixed by the
    # data up to that look, so that later looks never change an earlier look's p-value (a
    # pipeline that re-reads the report every day sees the same series, one look longer).
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (xt + xc) / (nt + nc)
    usable = (pooled > 0) & (pooled < 1)
    if shape[axis] == 0:  # no looks: nothing to fix the mixing variance on
        return np.full(shape, np.nan)
    first = np.argmax(usable, axis=axis, keepdims=True)
    at_first = np.take_along_axis(pooled, first, axis=axis)
    looks = np.arange(shape[axis]).reshape([-1 if d == axis else 1 for d in range(len(shape))])
    before = (looks < first) | ~usable.any(axis=axis, keepdims=True)
    reasons.flag(np.broadcast_to(before, shape), _NO_CONVERSIONS)
    return np.broadcast_to(np.where(before, np.nan, (DEFAULT_MIXING_LIFT * at_first) ** 2), shape)


def _running_reason(parts: _Parts, value: FloatArray) -> v.ReasonArray:
    """The look's own reason where ``value`` is NaN; where the look itself is undefined but
    ``value`` carries over from an earlier look, that reason and that it carried over;
    ``""`` elsewhere.

    A running value is NaN only at a look whose input is missing, or at an undefined look
    before the first defined one: both looks carry their own reason.
    """
    own: v.ReasonArray = parts.reasons.writable().copy()
    flagged = own != ""
    if not flagged.any():
        return np.broadcast_to(np.array("", dtype=object), value.shape)
    carried = flagged & ~np.isnan(value)
    own[carried] = own[carried] + _CARRIED
    return own


_CARRIED = "; this look is undefined: its value carries over from the last defined look"


def _axis(axis: int, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"axis must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for inputs of {ndim} dimension(s)")
    return int(axis) % ndim


def _running_totals(arr: FloatArray, name: str, axis: int) -> None:
    """ValueError naming ``name`` when the running totals decrease along ``axis``."""
    if arr.shape[axis] < 2:
        return
    so_far = np.fmax.accumulate(arr, axis=axis)
    before = np.take(so_far, np.arange(arr.shape[axis] - 1), axis=axis)
    after = np.take(arr, np.arange(1, arr.shape[axis]), axis=axis)
    with np.errstate(invalid="ignore"):
        if (after < before).any():
            raise ValueError(
                f"{name}: expected running totals (cumulative counts), but they decrease along "
                f"axis {axis}; pass np.cumsum of the per-look counts"
            )

r"""Does an effect differ between groups? Cochran's Q and I² over estimates and their variances."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special

from . import _validate as v
from ._results import WithReason
from ._validate import FloatArray, ReasonArray

_TOO_FEW = "fewer than two groups with a defined estimate and a positive variance"


class _HeterogeneityFields(NamedTuple):
    statistic: FloatArray
    df: FloatArray
    pvalue: FloatArray
    i_squared: FloatArray
    groups: FloatArray
    pooled: FloatArray


class Heterogeneity(WithReason, _HeterogeneityFields):
    """Cochran's test that every group shares one effect, per cell.

    Attributes
    ----------
    statistic : ndarray of float64
        Cochran's :math:`Q`.
    df : ndarray of float64
        Its degrees of freedom, :math:`k - 1` for the :math:`k` groups that count.
    pvalue : ndarray of float64
        The upper tail of :math:`\\chi^2_{k-1}` at :math:`Q`.
    i_squared : ndarray of float64
        Higgins' :math:`I^2 = \\max(0, (Q - df)/Q)`, the share of the spread between groups
        beyond what chance explains (0 when :math:`Q \\le df`).
    groups : ndarray of float64
        :math:`k`, the groups that count.
    pooled : ndarray of float64
        The inverse-variance weighted mean of the estimates (the common effect under the
        null).
    reason : ndarray of object (str), an attribute (not unpacked)
        ``""`` where defined, else why the cell is NaN.
    """

    def __new__(
        cls,
        statistic: FloatArray,
        df: FloatArray,
        pvalue: FloatArray,
        i_squared: FloatArray,
        groups: FloatArray,
        pooled: FloatArray,
        reason: ReasonArray,
    ) -> Heterogeneity:
        self = super().__new__(cls, statistic, df, pvalue, i_squared, groups, pooled)
        self._set_reason(reason)
        return self


def cochran_q(estimate: npt.ArrayLike, variance: npt.ArrayLike, *, axis: int = -1) -> Heterogeneity:
    r"""Cochran's Q test of homogeneity, with I², over the groups along ``axis``.

    Parameters
    ----------
    estimate : array_like
        One estimate per group along ``axis`` (e.g. each segment's log lift); NaN for a group
        without one.
    variance : array_like
        The estimates' variances (squared standard errors), broadcastable to ``estimate``.
        A group with a NaN, zero or infinite variance does not count (its weight is not
        defined); negative variances are an error.
    axis : int, default -1
        The group axis; the result has the shape of the inputs without it.

    Returns
    -------
    Heterogeneity
        ``statistic``, ``df``, ``pvalue``, ``i_squared``, ``groups``, ``pooled``, ``reason``.

    Raises
    ------
    ValueError
        A negative variance; ``axis`` out of range; inputs that do not broadcast.

    Notes
    -----
    With weights :math:`w_i = 1/v_i` over the :math:`k` groups that count,
    :math:`\bar y = \sum w_i y_i / \sum w_i`,

    .. math:: Q = \sum_i w_i (y_i - \bar y)^2 \sim \chi^2_{k-1} \text{ under } H_0,
              \qquad I^2 = \max\Big(0, \frac{Q - (k - 1)}{Q}\Big).

    The test assumes independent groups: segments that overlap (a visitor in two segments)
    share data, and their Q is then not chi-square distributed.

    References
    ----------
    Cochran, W. G. (1954). The combination of estimates from different experiments.
    Biometrics 10(1), 101-129.
    Higgins, J. P. T. and Thompson, S. G. (2002). Quantifying heterogeneity in a
    meta-analysis. Statistics in Medicine 21, 1539-1558.

    Examples
    --------
    >>> res = cochran_q([0.10, 0.30, -0.05], [0.01, 0.02, 0.015])
    >>> round(float(res.statistic), 4), float(res.df), round(float(res.i_squared), 4)
    (3.5, 2.0, 0.4286)
    """
    y = v.real(estimate, "estimate")
    var = v._float_array(variance, "variance")
    if (var < 0).any():
        raise ValueError("variance: variances must be non-negative (or NaN)")
    try:
        y, var = np.broadcast_arrays(y, var)
    except ValueError as exc:
        raise ValueError(f"estimate and variance do not broadcast together: {exc}") from None
    if y.ndim == 0:
        y, var = y[None], var[None]
    if not -y.ndim <= axis < y.ndim:
        raise ValueError(f"axis {axis} is out of range for inputs of {y.ndim} dimension(s)")
    counts = ~np.isnan(y) & np.isfinite(var) & (var > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(counts, 1.0 / np.where(counts, var, 1.0), 0.0)
        yy = np.where(counts, y, 0.0)
        k = counts.sum(axis=axis).astype(np.float64)
        pooled = (w * yy).sum(axis=axis) / w.sum(axis=axis)
        q = (w * (yy - np.expand_dims(pooled, axis)) ** 2).sum(axis=axis)
        df = k - 1.0
        pvalue = special.chdtrc(df, q)
        i2 = np.where(q > df, (q - df) / q, 0.0)
    reasons = v.Reasons(k.shape)
    reasons.flag(k < 2, _TOO_FEW)
    return Heterogeneity(
        reasons.nan(q),
        reasons.nan(df),
        reasons.nan(pvalue),
        reasons.nan(i2),
        np.asarray(k),
        reasons.nan(pooled),
        reasons.text,
    )

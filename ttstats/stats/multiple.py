"""Multiple-comparison adjustment of p-values, one family per slice along an axis."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from . import _validate as v
from ._validate import FloatArray

AdjustMethod = Literal["bonferroni", "holm", "fdr_bh"]

ADJUST_METHODS: tuple[str, ...] = ("bonferroni", "holm", "fdr_bh")


def adjust_pvalues(
    p: npt.ArrayLike,
    method: AdjustMethod = "holm",
    *,
    axis: int = -1,
) -> FloatArray:
    r"""Adjusted p-values: each 1-D slice along ``axis`` is one family, all families at once.

    Parameters
    ----------
    p : array_like
        P-values in [0, 1]; NaN marks a comparison that was not made.
    method : {"holm", "bonferroni", "fdr_bh"}
        Family-wise error control (``bonferroni``, ``holm``) or false-discovery-rate control
        (``fdr_bh``, Benjamini-Hochberg).
    axis : int
        The family axis (for example the recipes x steps of one report flattened to one axis);
        every other axis indexes independent families.

    Returns
    -------
    ndarray of float64
        Same shape as ``p``. A NaN p-value stays NaN in its place and does not count in its
        family's size ``m`` (statsmodels' ``fdr_bh`` turns a whole family into NaN instead).
        This is a plain array: its only NaNs are the input's, whose reasons the caller holds.

    Raises
    ------
    ValueError
        Unknown ``method``; a p-value outside [0, 1]; ``axis`` out of range.

    Notes
    -----
    With :math:`m` the non-NaN p-values of a family sorted as
    :math:`p_{(1)} \le \dots \le p_{(m)}`:

    * ``bonferroni``: :math:`\min(1, m p_i)`.
    * ``holm``: :math:`\tilde p_{(i)} = \min\big(1, \max_{j \le i} (m - j + 1) p_{(j)}\big)`.
    * ``fdr_bh``: :math:`\tilde p_{(i)} = \min\big(1, \min_{j \ge i} \frac{m}{j} p_{(j)}\big)`.

    Always :math:`p \le \tilde p_{holm} \le \tilde p_{bonferroni}` and
    :math:`\tilde p_{fdr\_bh} \le \tilde p_{holm}`.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics 6, 65-70.
    Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a practical
    and powerful approach to multiple testing. JRSS B 57(1), 289-300.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, np.nan, 0.03], method="holm").tolist()
    [0.03, 0.06, nan, 0.06]
    """
    method = v.choice(method, ADJUST_METHODS, "method")  # type: ignore[assignment]
    arr = v.real(p, "p")
    finite = arr[~np.isnan(arr)]
    if ((finite < 0) | (finite > 1)).any():
        raise ValueError("p: p-values must lie in [0, 1] (or be NaN)")
    if arr.ndim == 0:
        raise ValueError("p: need at least one axis holding the family")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"axis must be an integer, got {axis!r}")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of range for p with {arr.ndim} dimensions")
    work = np.moveaxis(arr, axis, -1)
    m = np.sum(~np.isnan(work), axis=-1, keepdims=True).astype(np.float64)
    if method == "bonferroni":
        out = np.minimum(1.0, work * m)
    else:
        # NaN sort last; tied p-values get the same adjusted value in any order, so the
        # (faster) unstable sort is enough
        order = np.argsort(work, axis=-1)
        ranked = np.take_along_axis(work, order, axis=-1)
        rank = np.arange(1, work.shape[-1] + 1, dtype=np.float64)  # 1-based
        if method == "holm":
            adj = np.maximum.accumulate(np.minimum(1.0, (m - rank + 1.0) * ranked), axis=-1)
        else:
            raw = np.minimum(1.0, ranked * m / rank)
            # fmin skips the NaN tail, which itself stays NaN (it comes first when reversed).
            adj = np.fmin.accumulate(raw[..., ::-1], axis=-1)[..., ::-1]
        out = np.empty_like(work)
        np.put_along_axis(out, order, adj, axis=-1)
    return np.moveaxis(np.asarray(out, dtype=np.float64), -1, axis)

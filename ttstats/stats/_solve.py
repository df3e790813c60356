"""A vectorised bracketed root finder: one root per cell, all cells iterated together."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from ._validate import FloatArray

IndexArray = npt.NDArray[np.intp]

#: ``fun(x, idx)`` evaluates the function of cells ``idx`` (flat indices) at points ``x``.
CellFunction = Callable[[FloatArray, IndexArray], FloatArray]


def bracketed_root(
    fun: CellFunction,
    a: FloatArray,
    b: FloatArray,
    fa: FloatArray,
    fb: FloatArray,
    *,
    xtol: float = 1e-14,
    rtol: float = 4 * np.finfo(np.float64).eps,
    maxiter: int = 300,
) -> FloatArray:
    """Roots of ``fun`` for every cell, each inside its bracket ``[a, b]``.

    ``fa = fun(a)`` and ``fb = fun(b)`` must not have the same sign (a zero is a root). The
    iteration is the Illinois variant of regula falsi, which keeps the root bracketed and
    converges superlinearly, with a bisection step every third iteration so that the bracket
    at least halves every three steps whatever the function does (the safeguard Brent's
    method also has). Only the cells that have not converged are evaluated.

    Parameters
    ----------
    fun : callable
        ``fun(x, idx)`` with ``x`` float64 and ``idx`` the flat indices of the cells evaluated.
    a, b, fa, fb : ndarray
        1-D, one entry per cell.
    xtol, rtol : float
        A cell stops when its bracket is narrower than ``xtol + rtol * |x|``.
    maxiter : int
        Upper bound on the iterations (bisection alone needs about 60 for float64).

    Returns
    -------
    ndarray
        The root of each cell (the last iterate), NaN for a cell whose bracket was invalid.

    References
    ----------
    Dowell, M. and Jarratt, P. (1971). A modified regula falsi method for computing the root
    of an equation. BIT 11, 168-174.
    """
    a = np.array(a, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    fa = np.array(fa, dtype=np.float64)
    fb = np.array(fb, dtype=np.float64)
    root = np.full(a.shape, np.nan)
    done_a = fa == 0
    done_b = (fb == 0) & ~done_a
    root[done_a] = a[done_a]
    root[done_b] = b[done_b]
    valid = (np.sign(fa) * np.sign(fb) < 0) & np.isfinite(a) & np.isfinite(b)
    active = np.flatnonzero(valid & ~done_a & ~done_b)
    a, b, fa, fb = a[active], b[active], fa[active], fb[active]
    for it in range(maxiter):
        if active.size == 0:
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            c = b - fb * (b - a) / (fb - fa)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        bisect = (it % 3 == 2) | ~(c > lo) | ~(c < hi)
        c = np.where(bisect, 0.5 * (a + b), c)
        fc = fun(c, active)
        same = np.sign(fc) == np.sign(fb)
        # Illinois: when the old end is kept again, halve its function value.
        fa = np.where(same, 0.5 * fa, fb)
        a = np.where(same, a, b)
        b, fb = c, fc
        stop = (fc == 0) | (np.abs(b - a) <= xtol + rtol * np.abs(b)) | ~np.isfinite(fc)
        if stop.any():
            root[active[stop]] = np.where(np.isfinite(fc[stop]), b[stop], np.nan)
            keep = ~stop
            active, a, b, fa, fb = active[keep], a[keep], b[keep], fa[keep], fb[keep]
    if active.size:  # pragma: no cover - bisection every third step makes this unreachable
        root[active] = 0.5 * (a + b)
    return root

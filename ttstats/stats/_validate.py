"""Argument checks, per-cell reasons and the array aliases shared by the ``stats`` modules.

Two kinds of trouble are told apart here:

* an invalid *argument* (unknown method, ``alpha`` outside (0, 1), a negative or fractional
  count, an infinite count) raises :class:`ValueError` naming the argument;
* an undefined *cell* (NaN input, ``n = 0``, ``x > n``, ...) becomes NaN in the result with a
  text in the result's ``reason`` array, built with :class:`Reasons`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ReasonArray = npt.NDArray[np.object_]

#: Reason texts shared by several functions (the ``reason`` of a defined cell is ``""``).
MISSING = "missing input (NaN)"
NO_ENTRIES = "no entries (n = 0)"
EXCEEDS = "count exceeds entries (x > n): a per-entry rate, not a proportion"
CONTROL_ZERO = "control rate is 0: lift undefined"
ZERO_SE = "estimated standard error is 0: the normal approximation collapses to a point"
#: Beyond 2**53 float64 no longer holds every whole number (web traffic never comes close).
EXACT_LIMIT = 2.0**53
TOO_LARGE = "more than 2**53 entries: beyond what float64 counts hold exactly"

ALTERNATIVES = ("two-sided", "less", "greater")

# Relative tolerance for "integer-like" counts (sums of float64 counts stay exact far beyond
# any traffic T&T reports, so this only forgives representation noise).
_INT_RTOL = 1e-9


def counts(value: npt.ArrayLike, name: str) -> FloatArray:
    """``value`` as float64 counts: NaN allowed, otherwise finite, >= 0 and integer-like.

    Integer-like values are rounded to the exact integer.

    Raises
    ------
    ValueError
        Naming ``name`` when a count is negative, infinite or fractional.
    """
    arr = _float_array(value, name)
    if np.isinf(arr).any():  # NaN is neither infinite nor negative
        raise ValueError(f"{name}: counts must be finite (NaN marks a missing cell)")
    negative = arr < 0
    if negative.any():
        raise ValueError(f"{name}: counts must be non-negative, found {arr[negative][0]!r}")
    rounded = np.rint(arr)
    differs = arr != rounded  # also True at NaN; usually nothing else
    if differs.any():
        differs &= ~np.isnan(arr)
        with np.errstate(invalid="ignore"):
            off = differs & (np.abs(arr - rounded) > _INT_RTOL * np.maximum(1.0, np.abs(arr)))
        if off.any():
            raise ValueError(f"{name}: counts must be whole numbers, found {arr[off][0]!r}")
    return rounded


def nonnegative(value: npt.ArrayLike, name: str) -> FloatArray:
    """``value`` as float64, NaN allowed, otherwise finite and >= 0 (sizes, traffic rates)."""
    arr = _float_array(value, name)
    finite = arr[~np.isnan(arr)]
    if np.isinf(finite).any() or (finite < 0).any():
        raise ValueError(f"{name}: values must be finite and non-negative (or NaN)")
    return arr


def probability(value: npt.ArrayLike, name: str) -> FloatArray:
    """``value`` as float64 in [0, 1], NaN allowed."""
    arr = _float_array(value, name)
    finite = arr[~np.isnan(arr)]
    if ((finite < 0) | (finite > 1)).any():
        raise ValueError(f"{name}: rates must lie in [0, 1] (or be NaN)")
    return arr


def real(value: npt.ArrayLike, name: str) -> FloatArray:
    """``value`` as float64, NaN allowed, otherwise finite."""
    arr = _float_array(value, name)
    if np.isinf(arr).any():
        raise ValueError(f"{name}: values must be finite (or NaN)")
    return arr


def level(value: object, name: str) -> float:
    """A scalar strictly inside (0, 1): ``alpha`` or ``power``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number in (0, 1), got {value!r}")
    out = float(value)
    if not 0.0 < out < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return out


def choice(value: object, choices: Sequence[str], name: str) -> str:
    """``value`` if it is one of ``choices``, else ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def z_two_sided(alpha: float) -> float:
    """The normal quantile ``z_{1 - alpha/2}``."""
    return float(-special.ndtri(alpha / 2.0))


def _float_array(value: npt.ArrayLike, name: str) -> FloatArray:
    # numbers only: numpy would read "3", b"3", dates and durations as float64 too
    raw = value if isinstance(value, np.ndarray) else np.asarray(value)
    kind = raw.dtype.kind
    texts = kind == "O" and any(isinstance(x, (str, bytes)) for x in raw.flat)
    if kind not in "biufO" or texts:
        shown = "text" if texts or kind in "SU" else f"dtype {raw.dtype}"
        raise ValueError(f"{name}: expected real numbers, got {shown}")
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected real numbers ({exc})") from None
    return arr


_NO_REASON = np.array("", dtype=object)


class Reasons:
    """Collects, per cell, the first reason that makes the cell undefined.

    ``flag(mask, text)`` records ``text`` in the cells of ``mask`` that have no reason yet, so
    the order of the calls is the order of precedence.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self._text: ReasonArray | None = None  # made only once a cell has a reason
        self.bad: BoolArray = np.zeros(shape, dtype=bool)

    @property
    def text(self) -> ReasonArray:
        """The reasons ("" where defined); a read-only view of "" while no cell has one."""
        if self._text is None:
            return np.broadcast_to(_NO_REASON, self.shape)
        return self._text

    def writable(self) -> ReasonArray:
        """The reasons as an array that may be written."""
        if self._text is None:
            self._text = np.full(self.shape, "", dtype=object)
        return self._text

    def flag(self, mask: npt.ArrayLike, text: str) -> None:
        """Record ``text`` where ``mask`` holds and no earlier reason does."""
        m = np.asarray(mask, dtype=bool)
        new = (m if m.shape == self.shape else np.broadcast_to(m, self.shape)) & ~self.bad
        if new.any():
            self.writable()[new] = text
            self.bad |= new

    def arm(self, x: FloatArray, n: FloatArray, label: str = "") -> None:
        """The checks of one binomial arm: NaN input, ``n = 0``, ``x > n``, ``n > 2**53``."""
        prefix = f"{label}: " if label else ""
        with np.errstate(invalid="ignore"):
            self.flag(np.isnan(x) | np.isnan(n), prefix + MISSING)
            self.flag(n == 0, prefix + NO_ENTRIES)
            self.flag(x > n, prefix + EXCEEDS)
            self.flag(n > EXACT_LIMIT, prefix + TOO_LARGE)

    @property
    def ok(self) -> BoolArray:
        """Cells without a reason so far."""
        return ~self.bad

    def nan(self, value: Any) -> FloatArray:
        """``value`` as float64 of the full shape, with NaN in every flagged cell."""
        arr = np.asarray(value, dtype=np.float64)
        out = np.array(arr if arr.shape == self.shape else np.broadcast_to(arr, self.shape))
        if self._text is not None:  # some cell has a reason
            out[self.bad] = np.nan
        return out


def safe_counts(reasons: Reasons, x: FloatArray, n: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Broadcast ``x, n`` to the full shape, replacing flagged cells by the harmless 0 of 1.

    Computing on the substitutes keeps numpy and scipy free of warnings; the results of those
    cells are overwritten with NaN by :meth:`Reasons.nan`.
    """
    if reasons._text is None:  # no cell flagged: nothing to replace
        return np.broadcast_to(x, reasons.shape), np.broadcast_to(n, reasons.shape)
    xs = np.where(reasons.bad, 0.0, np.broadcast_to(x, reasons.shape))
    ns = np.where(reasons.bad, 1.0, np.broadcast_to(n, reasons.shape))
    return xs.astype(np.float64), ns.astype(np.float64)


def shape_of(*arrays: npt.NDArray[Any]) -> tuple[int, ...]:
    """The broadcast shape of ``arrays`` (ValueError naming none when they do not broadcast)."""
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError as exc:
        raise ValueError(f"the count arrays do not broadcast together: {exc}") from None

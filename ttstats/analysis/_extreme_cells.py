"""Helpers shared by :mod:`ttstats.analysis.extreme` and its sensitivity module.

Verdicts from p-values, NaN-aware sums over the sample axis, argument checks and notes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import UnknownLabelError
from ._extreme_results import (
    CONTROL,
    HIGHER,
    LOWER,
    NOT_SIGNIFICANT,
    UNDEFINED,
    BoolArray,
    FloatArray,
    ObjectArray,
)

#: The engagement triple's measures, as in ``Report.engagement_<name>``.
TRIPLE = ("count", "total", "sumsq")
#: The verdict of each code of :func:`codes`.
VERDICTS = {1.0: HIGHER, -1.0: LOWER, 0.0: NOT_SIGNIFICANT}


def codes(pvalue: FloatArray, statistic: FloatArray, alpha: float) -> FloatArray:
    """+1 significantly higher, -1 significantly lower, 0 not significant, NaN undefined."""
    with np.errstate(invalid="ignore"):
        out: FloatArray = np.where(pvalue < alpha, np.sign(statistic), 0.0)
    return np.where(np.isnan(pvalue), np.nan, out)


def verdict_text(code: FloatArray, is_control: BoolArray) -> ObjectArray:
    """The words of :func:`codes`: ``"control"`` where ``is_control``, ``"undefined"`` for NaN."""
    out = np.full(code.shape, UNDEFINED, dtype=object)
    for value, text in VERDICTS.items():
        out[code == value] = text
    out[np.broadcast_to(is_control, code.shape)] = CONTROL
    return out


def defined(verdict: ObjectArray) -> BoolArray:
    """Where a verdict is one of a test's (not the control's, not undefined)."""
    out: BoolArray = np.isin(verdict, list(VERDICTS.values()))
    return out


def labelled(*pairs: tuple[str, object]) -> list[str]:
    """``"label: text"`` (or ``text`` for an empty label) for each non-empty text."""
    return [f"{label}: {text}" if label else str(text) for label, text in pairs if text]


def sum_samples(arr: FloatArray) -> FloatArray:
    """Sum over the sample axis (1), NaN only where every sample is NaN."""
    return nansum_all(arr, axis=1)


def valid_triples(
    count: FloatArray, total: FloatArray, sumsq: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
    """The triples with every invalid cell (a count that is not a whole number >= 0, an
    infinite total, a negative or infinite sum of squares) set to NaN in all three, and where
    that happened (a reported value that no set of values can have)."""
    with np.errstate(invalid="ignore"):
        off = np.abs(count - np.round(count)) > 1e-9 * np.maximum(1.0, np.abs(count))
        bad = ~np.isnan(count) & (~np.isfinite(count) | (count < 0) | off)
        bad |= np.isinf(total) | np.isinf(sumsq) | (sumsq < 0)
    c, t, s = (np.where(bad, np.nan, a) for a in (count, total, sumsq))
    return c, t, s, np.asarray(bad, dtype=bool)


def nansum_all(arr: FloatArray, axis: int) -> FloatArray:
    """Sum over ``axis`` ignoring NaN; NaN where every entry is NaN (never reported)."""
    total = np.nansum(arr, axis=axis)
    out: FloatArray = np.where(np.isnan(arr).all(axis=axis), np.nan, total)
    return out


def position(names: tuple[str, ...], name: str, argument: str, what: str) -> int:
    """Index of ``name``; :class:`~ttstats.UnknownLabelError` listing ``names`` otherwise."""
    try:
        return names.index(name)
    except ValueError:
        raise UnknownLabelError(
            f"{argument}: unknown {what} {name!r}; {what}s are {list(names)}"
        ) from None


def real(value: object) -> float:
    """``value`` as a float if it is a real number (not a bool), else NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return float("nan")
    return float(value)


def positive(value: object, name: str) -> float:
    """``value`` as a finite float > 0; ``ValueError`` naming ``name`` otherwise."""
    out = real(value)
    if not (np.isfinite(out) and out > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return out


def alpha_level(value: object) -> float:
    """``alpha`` as a float strictly inside (0, 1); ``ValueError`` otherwise."""
    out = real(value)
    if not 0.0 < out < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {value!r}")
    return out


def frozen(arr: Any) -> Any:
    """A read-only copy of ``arr``."""
    out = np.array(arr)
    out.setflags(write=False)
    return out

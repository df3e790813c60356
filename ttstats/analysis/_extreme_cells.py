"""Helpers shared by :mod:`ttstats.analysis.extreme` and its sensitivity module.

Verdicts from p-values, NaN-aware sums over the sample axis, argument checks and notes.
"""

from __future__ import annotations

import numpy as np

from ._cells import nansum_all, not_count, real
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
        bad = not_count(count) | np.isinf(total) | np.isinf(sumsq) | (sumsq < 0)
    c, t, s = (np.where(bad, np.nan, a) for a in (count, total, sumsq))
    return c, t, s, np.asarray(bad, dtype=bool)


def positive(value: object, name: str) -> float:
    """``value`` as a finite float > 0; ``ValueError`` naming ``name`` otherwise."""
    out = real(value)
    if not (np.isfinite(out) and out > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return out

"""Argument checks and cell helpers shared by the comparisons of :mod:`ttstats.analysis`.

Each comparison (``compare``, ``compare_means``, ``cumulative``, ``compare_segments``, the
extreme-order analyses) checks its arguments and sums its cells the same way; this module is
that one way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

import numpy as np

from .._errors import UnknownLabelError
from ..parse import Report, SampleAxis
from ..stats._validate import level
from ._comparison import BoolArray, FloatArray

#: Relative tolerance of a whole number: a count within it of an integer is that integer.
INT_RTOL = 1e-9

_A = TypeVar("_A", bound="np.ndarray[Any, Any]")


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------
def choice(value: object, choices: Sequence[str], name: str) -> None:
    """``ValueError`` naming ``name`` unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")


def flag(value: object, name: str) -> bool:
    """``value`` as a bool; ``TypeError`` naming ``name`` unless it is one (``"no"`` is
    truthy: a switch that changes the statistics must be said with True or False)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return bool(value)


def report_arg(report: object, name: str = "report") -> Report:
    """``report`` itself; ``TypeError`` unless it is a :class:`~ttstats.Report`."""
    if not isinstance(report, Report):
        raise TypeError(
            f"{name} must be a Report (ttstats.read_report(path)), not {type(report).__name__}"
        )
    return report


def real(value: object) -> float:
    """``value`` as a float if it is a real number (not a bool), else NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return float("nan")
    return float(value)


def alpha_level(value: object) -> float:
    """``alpha`` as a float strictly inside (0, 1); ``ValueError`` otherwise (the stats
    layer's own check)."""
    return level(value, "alpha")


def position(names: tuple[str, ...], name: object, argument: str, what: str) -> int:
    """Index of ``name``; :class:`~ttstats.UnknownLabelError` listing ``names`` otherwise."""
    if isinstance(name, str) and name in names:
        return names.index(name)
    raise UnknownLabelError(
        f"{argument}={name!r} is not a {what} of the report; {what}s are {list(names)}"
    )


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------
def nansum_keep(a: FloatArray, axis: int) -> FloatArray:
    """Sum over ``axis`` (kept, length 1) ignoring NaN; NaN where every entry is NaN, as
    :meth:`~ttstats.Report.sum_samples`."""
    total = np.nansum(a, axis=axis, keepdims=True)
    allnan = np.isnan(a).all(axis=axis, keepdims=True)
    out: FloatArray = np.where(allnan, np.nan, total)
    return out


def nansum_all(arr: FloatArray, axis: int) -> FloatArray:
    """Sum over ``axis`` (dropped) ignoring NaN; NaN where every entry is NaN (never
    reported)."""
    total = np.nansum(arr, axis=axis)
    out: FloatArray = np.where(np.isnan(arr).all(axis=axis), np.nan, total)
    return out


def not_count(a: FloatArray) -> BoolArray:
    """Cells that are reported (not NaN) but not a whole number >= 0."""
    with np.errstate(invalid="ignore"):
        off = np.abs(a - np.round(a)) > INT_RTOL * np.maximum(1.0, np.abs(a))
        out: BoolArray = ~np.isnan(a) & (~np.isfinite(a) | (a < 0) | off)
    return out


def frozen(arr: _A) -> _A:
    """A read-only copy of ``arr``."""
    out = cast(_A, np.array(arr))
    out.setflags(write=False)
    return out


def total_axis(samples: SampleAxis) -> SampleAxis:
    """The sample axis of summed samples: one sample, ``"total"``, at the first start."""
    start = samples.start[:1] if len(samples) else samples.start
    return SampleAxis(start, ("total",) if len(samples) else ())


def visitor_caveat(
    report: Report, how: str = "summing the samples", units: str = "entries and conversions"
) -> str:
    """The AggregationWarning text when ``how`` adds up visitor samples, else ``""``.

    In a ``visitor`` report a returning visitor is counted in every sample that saw them, so
    any sum over samples (the totals, running totals) counts visitor-samples, not visitors.
    """
    many = report.present.sum(axis=1) > 1
    which = [i for i, info in enumerate(report.reports) if info.type == "visitor" and bool(many[i])]
    if not which:
        return ""
    return (
        f"{how} of a 'visitor' report counts a returning visitor once per sample (reports "
        f"{which}); the {units} compared are visitor-samples, so the test treats repeat "
        "visits as independent. For inference on visitors, compare sample by sample "
        "(by_sample=True) or request the whole period as one sample"
    )

"""The result tuples of the ``stats`` functions: flat, immutable, named by field.

As in scipy (``t, p = scipy.stats.ttest_ind(...)``, ``res.df``), a result unpacks into its
numbers (``low, high = proportion_interval(x, n)``) and carries beside them, as the attribute
``reason``, an object array of ``str``: ``""`` where the cell is defined, otherwise why its
numbers are NaN. Every field is an array of the broadcast shape of the inputs (0-d for scalar
inputs).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._validate import FloatArray, ReasonArray


class WithReason:
    """The read-only ``reason`` beside a result's tuple of numbers.

    A result class derives from this and from a ``NamedTuple`` of its numbers (in that order),
    and sets the reason in its ``__new__`` with :meth:`_set_reason`. Results are immutable,
    pickle, copy, and ``_replace(field=..., reason=...)`` like named tuples.
    """

    reason: ReasonArray

    def _set_reason(self, reason: ReasonArray) -> None:
        object.__setattr__(self, "reason", reason)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        fields = super().__repr__()
        return f"{fields[:-1]}, reason={self.reason!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (*self, self.reason))  # type: ignore[misc]

    def _replace(self, **changes: Any) -> Any:
        reason = changes.pop("reason", self.reason)
        numbers = super()._replace(**changes)  # type: ignore[misc]
        return type(self)(*numbers, reason)  # type: ignore[call-arg]


class _IntervalFields(NamedTuple):
    low: FloatArray
    high: FloatArray


class Interval(WithReason, _IntervalFields):
    """A confidence interval per cell: unpacks as ``low, high``.

    Attributes
    ----------
    low, high : ndarray of float64
        The bounds; NaN where the cell is undefined.
    reason : ndarray of object (str)
        ``""`` where defined, else why ``low`` and ``high`` are NaN (not part of the tuple).
    """

    def __new__(cls, low: FloatArray, high: FloatArray, reason: ReasonArray) -> Interval:
        self = super().__new__(cls, low, high)
        self._set_reason(reason)
        return self


class _TestFields(NamedTuple):
    statistic: FloatArray
    pvalue: FloatArray


class TestResult(WithReason, _TestFields):
    """A hypothesis test per cell: unpacks as ``statistic, pvalue`` (scipy's convention).

    Attributes
    ----------
    statistic : ndarray of float64
        The test statistic (its meaning is given by the test's docstring).
    pvalue : ndarray of float64
        The p-value; NaN where the cell is undefined.
    reason : ndarray of object (str)
        ``""`` where the p-value is defined, else why it is NaN (not part of the tuple).
    """

    __test__ = False  # not a pytest test class, despite the name

    def __new__(cls, statistic: FloatArray, pvalue: FloatArray, reason: ReasonArray) -> TestResult:
        self = super().__new__(cls, statistic, pvalue)
        self._set_reason(reason)
        return self


class _LiftFields(NamedTuple):
    lift: FloatArray


class MinimumDetectableLift(WithReason, _LiftFields):
    """The smallest relative lift detectable per cell.

    Attributes
    ----------
    lift : ndarray of float64
        ``p_t / p_c - 1`` at the detection threshold; NaN where undefined.
    reason : ndarray of object (str)
        ``""`` where defined, else why ``lift`` is NaN (not part of the tuple).
    """

    def __new__(cls, lift: FloatArray, reason: ReasonArray) -> MinimumDetectableLift:
        self = super().__new__(cls, lift)
        self._set_reason(reason)
        return self


class _SamplesFields(NamedTuple):
    samples: FloatArray


class SamplesToDetect(WithReason, _SamplesFields):
    """How many more samples (days, hours...) until a lift would be detectable, per cell.

    Attributes
    ----------
    samples : ndarray of float64
        A whole number >= 0 (0: detectable already); NaN where undefined or never reached.
    reason : ndarray of object (str)
        ``""`` where defined, else why ``samples`` is NaN (not part of the tuple).
    """

    def __new__(cls, samples: FloatArray, reason: ReasonArray) -> SamplesToDetect:
        self = super().__new__(cls, samples)
        self._set_reason(reason)
        return self

"""The result tuples of the ``stats`` functions: flat, immutable, named by field.

Every field is an array of the broadcast shape of the inputs (0-d for scalar inputs). The last
field, ``reason``, is an object array of ``str``: ``""`` where the cell is defined, otherwise
why its numbers are NaN.
"""

from __future__ import annotations

from typing import NamedTuple

from ._validate import FloatArray, ReasonArray


class Interval(NamedTuple):
    """A confidence interval per cell.

    Attributes
    ----------
    low, high : ndarray of float64
        The bounds; NaN where the cell is undefined.
    reason : ndarray of object (str)
        ``""`` where defined, else why ``low`` and ``high`` are NaN.
    """

    low: FloatArray
    high: FloatArray
    reason: ReasonArray


class TestResult(NamedTuple):
    """A hypothesis test per cell.

    Attributes
    ----------
    statistic : ndarray of float64
        The test statistic (its meaning is given by the test's docstring).
    pvalue : ndarray of float64
        The p-value; NaN where the cell is undefined.
    reason : ndarray of object (str)
        ``""`` where the p-value is defined, else why it is NaN.
    """

    statistic: FloatArray
    pvalue: FloatArray
    reason: ReasonArray


# Not a pytest test class, despite the name (NamedTuple bodies cannot hold the attribute).
setattr(TestResult, "__test__", False)  # noqa: B010


class MinimumDetectableLift(NamedTuple):
    """The smallest relative lift detectable per cell.

    Attributes
    ----------
    lift : ndarray of float64
        ``p_t / p_c - 1`` at the detection threshold; NaN where undefined.
    reason : ndarray of object (str)
        ``""`` where defined, else why ``lift`` is NaN.
    """

    lift: FloatArray
    reason: ReasonArray


class SamplesToDetect(NamedTuple):
    """How many more samples (days, hours...) until a lift would be detectable, per cell.

    Attributes
    ----------
    samples : ndarray of float64
        A whole number >= 0 (0: detectable already); NaN where undefined or never reached.
    reason : ndarray of object (str)
        ``""`` where defined, else why ``samples`` is NaN.
    """

    samples: FloatArray
    reason: ReasonArray

"""Vectorised statistics on counts (the ``stats`` layer): pure array functions, no I/O.

Every function takes arrays of any broadcastable shape (a year of hourly samples x segments
x recipes x steps is one call) and computes all cells at once. Two-arm functions take the
treatment first, then the control: ``f(x_t, n_t, x_c, n_c)``. Options are keyword-only and
named as in scipy (``alpha``, ``alternative="two-sided" | "less" | "greater"``).

This layer imports numpy and scipy only, never pandas or the ``parse``/``analysis``/``cli``
layers; statsmodels serves the tests as an independent check, not the code.

Undefined cells and their reasons
---------------------------------
A cell that has no answer (NaN input, ``n = 0``, a step count above the entries, a control
rate of 0 for a lift, a zero variance that would make an interval a point or a p-value 0, ...)
is NaN in every numeric field of the result, never a made-up 0, and nothing raises for it.
Every result is a named tuple of its numbers (``low, high = proportion_interval(x, n)``, as
scipy's ``statistic, pvalue``) with, beside them, the attribute ``reason``: an object array of
``str`` of the same shape, ``""`` where the cell is defined, otherwise the first reason that
applies, for example::

    >>> ci = proportion_interval([3, 5, 0], [10, 0, 4])
    >>> ci.reason.tolist()
    ['', 'no entries (n = 0)', '']
    >>> difference_interval(1, 0, 1, 10).reason.item()
    'treatment: no entries (n = 0)'

In two-arm results the reason names the arm (``"treatment: ..."``, ``"control: ..."``).
Read fields by name (``ci.low``, ``res.pvalue``): unpacking gives the reason too. Scalar
inputs give 0-d arrays (``float(ci.low)``, ``ci.reason.item()``).

:func:`adjust_pvalues` is the one exception: it returns a plain array, whose only NaNs are
the input's (the caller already holds their reasons).

Invalid *arguments* raise :class:`ValueError` naming the argument: an unknown ``method`` or
``alternative``, ``alpha`` or ``power`` outside (0, 1), negative, fractional or infinite
counts, rates outside [0, 1].
"""

from ._results import Interval, MinimumDetectableLift, SamplesToDetect, TestResult
from .bayes import ProbabilityToBeat, probability_to_beat
from .heterogeneity import Heterogeneity, cochran_q
from .hypothesis_tests import proportion_test, sample_ratio_test
from .moments import (
    MeanVar,
    Moments,
    PointEstimate,
    WelchResult,
    average_order_value,
    mean_difference_interval,
    mean_lift_interval,
    moments_mean_var,
    per_entry_moments,
    revenue_per_visitor,
    welch_test_from_moments,
)
from .multiple import adjust_pvalues
from .power import minimum_detectable_lift, samples_to_detect
from .proportions import difference_interval, lift_interval, proportion_interval
from .sequential import always_valid_pvalue, confidence_sequence

__all__ = [
    "Heterogeneity",
    "Interval",
    "MeanVar",
    "MinimumDetectableLift",
    "Moments",
    "PointEstimate",
    "ProbabilityToBeat",
    "SamplesToDetect",
    "TestResult",
    "WelchResult",
    "adjust_pvalues",
    "always_valid_pvalue",
    "average_order_value",
    "cochran_q",
    "confidence_sequence",
    "difference_interval",
    "lift_interval",
    "mean_difference_interval",
    "mean_lift_interval",
    "minimum_detectable_lift",
    "moments_mean_var",
    "per_entry_moments",
    "probability_to_beat",
    "proportion_interval",
    "proportion_test",
    "revenue_per_visitor",
    "sample_ratio_test",
    "samples_to_detect",
    "welch_test_from_moments",
]

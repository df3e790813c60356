"""Simulated A/B/n experiments with known truth, written as Performance Report XML.

:func:`simulate` draws one experiment from an :class:`ExperimentSpec` and returns the true
per-cell values as arrays shaped like the parser's ``Report``; :func:`write_xml` streams them
as version-1 or version-2 Performance Report XML in the shapes of ``docs/report-format.md``.
:meth:`SimulatedExperiment.expected` gives what a correct parser must return for that file, and
:func:`spec_for_size` sizes a benchmark file. Nothing here reads XML.

The model
---------
Every segment report holds its own units (visitors, visits or impressions, as ``type`` says).
For each sample, segment and recipe:

* entries ``n ~ Poisson(traffic)``. With probability ``p_omit`` a sample has no units at all
  (in every segment); a report omits every sample in which it has no entries, as the API does,
  and the truth holds zeros there;
* the conversion step (the last): ``c ~ Binomial(n, rate)``; each conversion carries one order
  value drawn from ``revenue``;
* a funnel step: each unit reaches it with probability ``rate``, independently of the other
  steps and of converting, so ``count <= entries``. Its revenue (version 2) is the sum of the
  order values of the converting units that reached it; the first step's and the last step's
  revenue is the whole revenue;
* an event step (``event_steps``): each unit has ``Poisson(rate)`` events and the count is
  their total, which may exceed the entries (like the published "Time on Site" 1117 of 476
  entries); a unit reaches the step when it has at least one event;
* an engagement step carries one value per unit reaching it, drawn from its distribution;
  ``count``, ``total`` and ``sumOfSquares`` are the number, sum and sum of squares of those
  values.

The segments are disjoint, so the aggregate report (written last, without segment attributes,
as on the API page) is the sum of the segment reports, and "Campaign" is the sum of the
recipes. Real segments may overlap; then the aggregate is not the sum.

Exactness
---------
Values are drawn per unit and quantised (order values to cents, engagement values to at most
two decimals), then summed in integers. So every number written (counts with one decimal,
revenue with two, engagement with five) is the exact sum, Campaign equals the sum of the
recipes and the aggregate the sum of the segments digit for digit, and every float in the
returned arrays equals ``float(text)`` of the number written. Each sum must stay below 2**51
in its smallest unit (1e-4 for sumOfSquares); :func:`simulate` raises ``ValueError`` otherwise.

Reproducibility
---------------
The same spec gives the same experiment and the same bytes. Samples are drawn in fixed blocks,
each from its own random stream, so a spec with more samples extends a shorter one: the first
samples are identical.

Examples
--------
>>> spec = ExperimentSpec(n_samples=3, seed=1)
>>> sim = simulate(spec)
>>> sim.count.shape  # (report, sample, recipe, step): two segments plus the aggregate
(3, 3, 2, 5)
>>> bool((sim.count[2] == sim.count[0] + sim.count[1]).all())
True
>>> generate_report_bytes(spec, version=1)[:38]
b'<?xml version="1.0" encoding="UTF-8"?>'
"""

from __future__ import annotations

import io
import operator
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol, TypeVar
from xml.sax.saxutils import escape

import numpy as np
import numpy.typing as npt

__all__ = [
    "MEASURES",
    "ExpectedReport",
    "ExperimentSpec",
    "LogNormal",
    "Poisson",
    "ReportAttributes",
    "SimulatedExperiment",
    "UnitValues",
    "ValueDistribution",
    "generate_report_bytes",
    "simulate",
    "spec_for_size",
    "write_xml",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
DatetimeArray = npt.NDArray[np.datetime64]
_A = TypeVar("_A", bound=npt.NDArray[Any])
Resolution = Literal["hour", "day", "week", "month"]
ReportType = Literal["visitor", "visit", "impression"]

#: The measures of every cell, in the order of ``ttstats.parse.MEASURES`` (not imported from
#: there: this module does not depend on the parse layer).
MEASURES: tuple[str, ...] = (
    "count",
    "revenue",
    "engagement_count",
    "engagement_total",
    "engagement_sumsq",
)
#: Smallest unit of each measure: the integers behind the floats count in these.
_SCALE: Mapping[str, int] = MappingProxyType(
    {
        "count": 1,
        "revenue": 100,
        "engagement_count": 1,
        "engagement_total": 100,
        "engagement_sumsq": 10_000,
    }
)
_EXACT_LIMIT = 2**51  # integer sums below this convert to float and back exactly
_MAX_HUNDREDTHS = 2**31  # per-unit value limit (in hundredths): squares stay below 2**62
_BLOCK_SAMPLES = 256  # samples per random stream (fixed: more samples extend fewer)
_BLOCK_UNITS = 2_000_000  # rough bound of the per-unit draws held at once
_PERIOD = {
    "hour": np.timedelta64(1, "h"),
    "day": np.timedelta64(1, "D"),
    "week": np.timedelta64(7, "D"),
}
_ALIGN = {"hour": "h", "day": "D", "week": "D", "month": "M"}


# -- per-unit value distributions ---------------------------------------------------------


class ValueDistribution(Protocol):
    """A distribution of per-unit values (engagement values or order values).

    Parameters may differ by recipe. Values are non-negative and returned in hundredths
    (int64), so that their sums are exact.
    """

    def check(self, n_recipes: int) -> None:
        """Raise ``ValueError`` unless the parameters suit ``n_recipes`` recipes."""

    def sample(self, rng: np.random.Generator, recipe: IntArray) -> IntArray:
        """One value per unit, in hundredths; ``recipe`` holds each unit's recipe index."""


def _params(value: float | Sequence[float], name: str) -> tuple[float, ...]:
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0 or not np.isfinite(arr).all():
        raise ValueError(f"{name} must be a finite number or a sequence of them, one per recipe")
    return tuple(float(v) for v in arr)


def _check_params(params: tuple[float, ...], n_recipes: int, name: str) -> None:
    if len(params) not in (1, n_recipes):
        raise ValueError(f"{name} has {len(params)} values; give 1 or one per recipe ({n_recipes})")
    if min(params) < 0:
        raise ValueError(f"{name} must not be negative, got {params}")


def _by_recipe(params: tuple[float, ...], recipe: IntArray) -> float | FloatArray:
    return params[0] if len(params) == 1 else np.asarray(params)[recipe]


def _per_recipe(params: tuple[float, ...], n_recipes: int) -> FloatArray:
    out: FloatArray = np.broadcast_to(np.asarray(params, dtype=np.float64), (n_recipes,)).copy()
    return out


@dataclass(frozen=True)
class Poisson:
    """Non-negative integer values (page views, scores): Poisson with mean ``mean``.

    Parameters
    ----------
    mean : float or sequence of float
        One mean, or one per recipe.
    """

    mean: float | Sequence[float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _params(self.mean, "Poisson.mean"))

    def check(self, n_recipes: int) -> None:
        """Raise ``ValueError`` unless the parameters suit ``n_recipes`` recipes."""
        _check_params(self._mean, n_recipes, "Poisson.mean")

    def sample(self, rng: np.random.Generator, recipe: IntArray) -> IntArray:
        """One value per unit, in hundredths."""
        values = rng.poisson(_by_recipe(self._mean, recipe), size=recipe.size)
        return values.astype(np.int64) * 100

    def moments(self, n_recipes: int) -> tuple[FloatArray, FloatArray]:
        """True mean and variance of one value, per recipe."""
        mean = _per_recipe(self._mean, n_recipes)
        return mean, mean.copy()

    @property
    def _mean(self) -> tuple[float, ...]:
        return _params(self.mean, "Poisson.mean")


@dataclass(frozen=True)
class LogNormal:
    """Positive skewed values (time on site, order values), rounded to ``decimals`` places.

    Parameters
    ----------
    mean_log, sigma : float or sequence of float
        Mean and standard deviation of the value's logarithm; one, or one per recipe.
    decimals : int
        0, 1 or 2: the values are rounded to this many decimals before summing.
    """

    mean_log: float | Sequence[float]
    sigma: float | Sequence[float]
    decimals: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean_log", _params(self.mean_log, "LogNormal.mean_log"))
        object.__setattr__(self, "sigma", _params(self.sigma, "LogNormal.sigma"))
        if self.decimals not in (0, 1, 2):
            raise ValueError(f"LogNormal.decimals must be 0, 1 or 2, got {self.decimals!r}")

    def check(self, n_recipes: int) -> None:
        """Raise ``ValueError`` unless the parameters suit ``n_recipes`` recipes."""
        mu, sigma = self._mu_sigma
        if len(mu) not in (1, n_recipes):
            raise ValueError(f"LogNormal.mean_log has {len(mu)} values; give 1 or {n_recipes}")
        _check_params(sigma, n_recipes, "LogNormal.sigma")

    def sample(self, rng: np.random.Generator, recipe: IntArray) -> IntArray:
        """One value per unit, in hundredths (rounded to ``decimals`` places)."""
        mu, sigma = self._mu_sigma
        x = rng.lognormal(_by_recipe(mu, recipe), _by_recipe(sigma, recipe), size=recipe.size)
        if x.size and not x.max() < _MAX_HUNDREDTHS / 100:
            raise ValueError(f"a LogNormal value reached {x.max():.4g}: too large to sum exactly")
        unit = 10 ** (2 - self.decimals)
        values: IntArray = np.rint(x / (unit / 100)).astype(np.int64) * unit
        return values

    def moments(self, n_recipes: int) -> tuple[FloatArray, FloatArray]:
        """True mean and variance of one value (before rounding), per recipe."""
        mu, sigma = (_per_recipe(p, n_recipes) for p in self._mu_sigma)
        mean = np.exp(mu + sigma**2 / 2)
        return mean, np.expm1(sigma**2) * mean**2

    @property
    def _mu_sigma(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return _params(self.mean_log, "mean_log"), _params(self.sigma, "sigma")


def _default_engagement() -> dict[str, ValueDistribution]:
    return {"Page Count": Poisson(3.0), "Time on Site": LogNormal(5.0, 1.0)}


# -- the spec ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, eq=False)
class ExperimentSpec:
    """What to simulate: the report layout, the true rates and the value distributions.

    Parameters
    ----------
    n_samples : int
        Number of time buckets (samples) in every report, before omission.
    campaign_id : int
        Written as the reports' ``campaignId``.
    start : str or numpy.datetime64
        Start of the first sample, ``'YYYY-MM-DDTHH:mm'``; aligned to the resolution (on the
        hour; at midnight for day and week; the 1st of a month at midnight for month).
    resolution : {'hour', 'day', 'week', 'month'}
        Sample length: every hour, every day, every 7 days, or the 1st of successive months.
    type : {'visitor', 'visit', 'impression'}
        Written as the reports' ``type``.
    segments : tuple of str
        One report per segment (``segmentId`` = position). Empty: a single aggregate report.
    include_aggregate : bool
        Also write the aggregate of all segments, last, without segment attributes.
    recipes : tuple of str
        The experiences, in document order.
    steps : tuple of str
        The success metrics; the first is the entry step, the last the conversion step.
    event_steps : tuple of str
        Steps counted per event (``Poisson(rate)`` events per unit), neither first nor last.
    rates : array_like, optional
        True rates broadcastable to ``(segments, recipes, steps)`` (a per-step row, a
        ``(recipes, steps)`` table, or one table per segment): the probability of reaching
        each step per entry, or the mean events per entry for event steps. The entry rate
        is 1. Default: 1 for the entry, 0.9 for other funnel steps, 2 for event steps, and
        ``0.05 * (1 + 0.2 * k)`` for the conversion step of recipe ``k``.
    traffic : array_like
        Mean entries per sample (Poisson), broadcastable to ``(segments, recipes)``.
    engagement : mapping of str to ValueDistribution, optional
        Steps that carry an engagement triple, with the per-unit value distribution. Default:
        ``Poisson(3)`` on "Page Count" and ``LogNormal(5, 1)`` on "Time on Site", where those
        steps exist.
    revenue : ValueDistribution
        Order value of each conversion.
    p_omit : float
        Probability that a sample has no units at all, hence is omitted from every report.
    seed : int
        Seed of the random streams.
    campaign_recipe : str
        Name of the summary recipe.
    include_campaign : bool
        Write the summary recipe.

    Attributes
    ----------
    true_rates : ndarray
        The rates, shape ``(groups, recipes, steps)``, groups = ``max(1, len(segments))``.
    true_traffic : ndarray
        The traffic, shape ``(groups, recipes)``.
    engagement_dists : mapping
        The engagement distributions in step order (the default resolved).
    """

    n_samples: int = 14
    campaign_id: int = 7
    start: str | np.datetime64 = "2009-08-01T00:00"
    resolution: Resolution = "day"
    type: ReportType = "visitor"
    segments: tuple[str, ...] = ("Segment 1", "Segment 2")
    include_aggregate: bool = True
    recipes: tuple[str, ...] = ("Experience A", "Experience B")
    steps: tuple[str, ...] = (
        "Entry",
        "Display mboxes",
        "Page Count",
        "Time on Site",
        "Order Confirmation",
    )
    event_steps: tuple[str, ...] = ()
    rates: npt.ArrayLike | None = None
    traffic: npt.ArrayLike = 100.0
    engagement: Mapping[str, ValueDistribution] | None = None
    revenue: ValueDistribution = LogNormal(3.5, 0.8)
    p_omit: float = 0.0
    seed: int = 0
    campaign_recipe: str = "Campaign"
    include_campaign: bool = True

    true_rates: FloatArray = field(init=False, repr=False)
    true_traffic: FloatArray = field(init=False, repr=False)
    engagement_dists: Mapping[str, ValueDistribution] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("segments", "recipes", "steps", "event_steps"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "n_samples", operator.index(self.n_samples))
        self._check_layout()
        object.__setattr__(self, "start", self._check_time())
        shape = (self.n_groups, len(self.recipes), len(self.steps))
        rates = self._default_rates() if self.rates is None else self.rates
        object.__setattr__(self, "true_rates", _resolve(rates, shape, "rates"))
        object.__setattr__(self, "true_traffic", _resolve(self.traffic, shape[:2], "traffic"))
        self._check_rates()
        object.__setattr__(self, "engagement_dists", self._resolve_engagement())
        self.revenue.check(len(self.recipes))
        if not 0.0 <= self.p_omit <= 1.0:
            raise ValueError(f"p_omit must lie in [0, 1], got {self.p_omit!r}")

    @property
    def n_groups(self) -> int:
        """Number of simulated unit groups: the segments, or 1 when there are none."""
        return max(1, len(self.segments))

    def sample_bounds(self) -> DatetimeArray:
        """Start of every sample and, last, the end of the last one (``n_samples + 1``)."""
        return _sample_times(_minute(self.start), self.resolution, np.arange(self.n_samples + 1))

    def _check_layout(self) -> None:
        names = {"segments": self.segments, "recipes": self.recipes, "steps": self.steps}
        for what, seq in names.items():
            if not all(isinstance(s, str) and s for s in seq) or len(set(seq)) != len(seq):
                raise ValueError(f"{what} must be distinct non-empty strings, got {seq!r}")
        if not self.recipes or not self.steps:
            raise ValueError("an experiment needs at least one recipe and one step")
        if self.campaign_recipe in self.recipes:
            raise ValueError(f"the summary recipe {self.campaign_recipe!r} is also a recipe")
        if not self.segments and not self.include_aggregate:
            raise ValueError("with no segments the aggregate report is the only report")
        bad = [s for s in self.event_steps if s not in self.steps[1:-1]]
        if bad:
            raise ValueError(f"event steps must be steps other than the first and last: {bad}")
        if self.resolution not in _ALIGN:
            raise ValueError(f"resolution must be one of {list(_ALIGN)}, got {self.resolution!r}")
        if self.type not in ("visitor", "visit", "impression"):
            raise ValueError(f"type must be visitor, visit or impression, got {self.type!r}")
        if self.n_samples < 0:
            raise ValueError(f"n_samples must not be negative, got {self.n_samples!r}")

    def _check_time(self) -> np.datetime64:
        start = _minute(self.start)
        unit = _ALIGN[self.resolution]
        if start.astype(f"datetime64[{unit}]").astype("datetime64[m]") != start:
            raise ValueError(f"start {start} is not aligned to the {self.resolution} resolution")
        end = _sample_times(start, self.resolution, np.array([self.n_samples]))
        if int(end.astype("datetime64[Y]").astype(np.int64)[0]) + 1970 > 9999:
            raise ValueError("the samples run past the year 9999; use a finer resolution")
        return start

    def _default_rates(self) -> FloatArray:
        k = np.arange(len(self.recipes))[:, None]
        row = np.array([2.0 if s in self.event_steps else 0.9 for s in self.steps])
        table = np.broadcast_to(row, (len(self.recipes), len(self.steps))).copy()
        table[:, -1:] = 0.05 * (1 + 0.2 * k)
        table[:, 0] = 1.0
        out: FloatArray = table
        return out

    def _check_rates(self) -> None:
        rates = self.true_rates
        if (rates < 0).any() or not np.isfinite(rates).all():
            raise ValueError("rates must be finite and non-negative")
        if (rates[..., 0] != 1).any():
            raise ValueError("the entry step's rate must be 1")
        funnel = [j for j, s in enumerate(self.steps) if s not in self.event_steps]
        if (rates[..., funnel] > 1).any():
            raise ValueError("a funnel step's rate is a probability: at most 1")
        if (self.true_traffic < 0).any() or not np.isfinite(self.true_traffic).all():
            raise ValueError("traffic must be finite and non-negative")

    def _resolve_engagement(self) -> Mapping[str, ValueDistribution]:
        given = self.engagement
        if given is None:
            given = {k: v for k, v in _default_engagement().items() if k in self.steps}
        unknown = [s for s in given if s not in self.steps]
        if unknown:
            raise ValueError(f"engagement steps {unknown} are not among the steps")
        for dist in given.values():
            dist.check(len(self.recipes))
        return MappingProxyType({s: given[s] for s in self.steps if s in given})


def _minute(value: str | np.datetime64) -> np.datetime64:
    if isinstance(value, str):
        return np.datetime64(value, "m")
    out: np.datetime64 = value.astype("datetime64[m]")
    return out


def _sample_times(start: np.datetime64, resolution: str, k: npt.NDArray[np.int_]) -> DatetimeArray:
    """Start of sample ``k`` (any integers) after ``start``."""
    times: DatetimeArray
    if resolution == "month":
        times = (start.astype("datetime64[M]") + k).astype("datetime64[m]")
    else:
        times = np.asarray(start + k * _PERIOD[resolution], "datetime64[m]")
    return times


def _resolve(value: npt.ArrayLike, shape: tuple[int, ...], name: str) -> FloatArray:
    try:
        arr = np.broadcast_to(np.asarray(value, dtype=np.float64), shape).copy()
    except ValueError:
        raise ValueError(f"{name} must broadcast to {shape}, got shape {np.shape(value)}") from None
    arr.setflags(write=False)
    out: FloatArray = arr
    return out


# -- the results ---------------------------------------------------------------------------


class ReportAttributes(NamedTuple):
    """The attributes written on one ``<report>`` (same fields as the parser's ``ReportInfo``).

    ``segment`` and ``segment_id`` are None for the aggregate; ``start`` and ``end`` are the
    days written (``end`` is the day on which the last sample ends, rounded up).
    """

    campaign_id: int
    type: str
    segment: str | None
    segment_id: int | None
    start: np.datetime64
    end: np.datetime64
    resolution: str


class UnitValues(NamedTuple):
    """Per-unit values behind the sums, for the segment reports (the aggregate is their union).

    Each row is one unit's value (rounded as summed) with its ``report`` (segment report
    index), ``sample``, ``recipe`` and ``step`` indices; order values sit on the last step.
    """

    report: IntArray
    sample: IntArray
    recipe: IntArray
    step: IntArray
    value: FloatArray


@dataclass(frozen=True, eq=False)
class ExpectedReport:
    """What a correct parser returns for a document written by :func:`write_xml`.

    It mirrors the parser's ``Report``: the sample axis is the union of the reports' grids
    (each report's grid runs from its first to its last written sample); inside a grid an
    omitted sample holds zeros, outside it every cell is NaN. Revenue is NaN on every step but
    the last in version 1; engagement is NaN off the engagement steps; the ``campaign_*``
    arrays are NaN when the summary recipe is not written. Arrays are
    ``(report, sample, recipe, step)``, ``campaign_*`` ``(report, sample, step)``.
    """

    version: int
    reports: tuple[ReportAttributes, ...]
    sample_start: DatetimeArray
    duration: tuple[str, ...]
    recipes: tuple[str, ...]
    steps: tuple[str, ...]
    campaign_recipe: str
    count: FloatArray
    revenue: FloatArray
    engagement_count: FloatArray
    engagement_total: FloatArray
    engagement_sumsq: FloatArray
    campaign_count: FloatArray
    campaign_revenue: FloatArray
    campaign_engagement_count: FloatArray
    campaign_engagement_total: FloatArray
    campaign_engagement_sumsq: FloatArray
    present: BoolArray
    in_grid: BoolArray


@dataclass(frozen=True, eq=False)
class SimulatedExperiment:
    """The true values of one simulated experiment, on the full regular sample axis.

    Attributes
    ----------
    spec : ExperimentSpec
        What was simulated.
    reports : tuple of ReportAttributes
        One per report, in document order (segments, then the aggregate).
    sample_start : ndarray of datetime64[m]
        Start of each of the ``n_samples`` samples.
    present : ndarray of bool
        ``(report, sample)``: the sample has entries in that report, so it is written.
    count, revenue, engagement_count, engagement_total, engagement_sumsq : ndarray
        ``(report, sample, recipe, step)`` float64, read-only. Omitted samples hold zeros.
        Revenue is given on every step (as version 2 writes it; version 1 writes the last
        step's only); engagement is NaN off the engagement steps.
    campaign_count, campaign_revenue, campaign_engagement_count, campaign_engagement_total,
    campaign_engagement_sumsq : ndarray
        ``(report, sample, step)``: the sums over the recipes.
    engagement_units, order_units : UnitValues or None
        The per-unit values, when ``simulate(..., keep_units=True)``.
    """

    spec: ExperimentSpec
    reports: tuple[ReportAttributes, ...]
    sample_start: DatetimeArray
    present: BoolArray
    count: FloatArray
    revenue: FloatArray
    engagement_count: FloatArray
    engagement_total: FloatArray
    engagement_sumsq: FloatArray
    campaign_count: FloatArray
    campaign_revenue: FloatArray
    campaign_engagement_count: FloatArray
    campaign_engagement_total: FloatArray
    campaign_engagement_sumsq: FloatArray
    engagement_units: UnitValues | None = None
    order_units: UnitValues | None = None

    @property
    def recipes(self) -> tuple[str, ...]:
        """The experiences, without the summary recipe."""
        return self.spec.recipes

    @property
    def steps(self) -> tuple[str, ...]:
        """The success metrics."""
        return self.spec.steps

    @property
    def in_grid(self) -> BoolArray:
        """``(report, sample)``: between the report's first and last written sample."""
        seen = self.present
        after_first = np.logical_or.accumulate(seen, axis=1)
        before_last = np.logical_or.accumulate(seen[:, ::-1], axis=1)[:, ::-1]
        return after_first & before_last

    def expected(self, version: int = 2) -> ExpectedReport:
        """What a correct parser returns for this experiment written as ``version``.

        Parameters
        ----------
        version : {1, 2}
            The document version.

        Returns
        -------
        ExpectedReport
            The arrays on the parser's sample axis, with its NaN conventions.
        """
        _check_version(version)
        grid = self.in_grid
        keep = np.flatnonzero(grid.any(axis=0))
        grid = grid[:, keep]

        def view(name: str, *, campaign: bool) -> FloatArray:
            out = getattr(self, ("campaign_" if campaign else "") + name)[:, keep].copy()
            out[~grid] = np.nan
            if name == "revenue" and version == 1:
                out[..., :-1] = np.nan
            if campaign and not self.spec.include_campaign:
                out[...] = np.nan
            out.setflags(write=False)
            result: FloatArray = out
            return result

        arrays = {m: view(m, campaign=False) for m in MEASURES}
        arrays |= {f"campaign_{m}": view(m, campaign=True) for m in MEASURES}
        return ExpectedReport(
            version=version,
            reports=self.reports,
            sample_start=self.sample_start[keep],
            duration=(self.spec.resolution,) * keep.size,
            recipes=self.recipes,
            steps=self.steps,
            campaign_recipe=self.spec.campaign_recipe,
            present=self.present[:, keep],
            in_grid=grid,
            **arrays,
        )


# -- simulation ----------------------------------------------------------------------------


def simulate(spec: ExperimentSpec, *, keep_units: bool = False) -> SimulatedExperiment:
    """Draw one experiment from ``spec`` and return its true values.

    Parameters
    ----------
    spec : ExperimentSpec
        What to simulate.
    keep_units : bool
        Also return every per-unit engagement and order value (memory grows with the units).

    Returns
    -------
    SimulatedExperiment
        The true per-cell values; see the module notes for the model.

    Raises
    ------
    ValueError
        A value distribution produced a negative value, or a sum reached 2**51 in its
        smallest unit (it could not be written and read back exactly).
    """
    G, K, T = spec.n_groups, len(spec.recipes), len(spec.steps)
    S = spec.n_samples
    block = _block_samples(spec)
    blocks: list[dict[str, IntArray]] = []
    units: list[tuple[UnitValues, UnitValues]] = []
    for b, s0 in enumerate(range(0, S, block)):
        rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(b,)))
        sums, unit_parts = _simulate_block(spec, rng, block, s0, keep_units)
        blocks.append(sums)
        units.extend(unit_parts)
    ints: dict[str, IntArray] = {}
    for m in MEASURES:
        parts = [blk[m] for blk in blocks] or [np.zeros((0, G, K, T), np.int64)]
        ints[m] = np.concatenate(parts)[:S].transpose(1, 0, 2, 3)  # (group, sample, recipe, step)
        _check_exact(ints[m], m)  # before summing cells, so that no sum can wrap around
        if spec.segments and spec.include_aggregate:
            ints[m] = np.concatenate([ints[m], ints[m].sum(axis=0, keepdims=True)])
    campaign = {m: a.sum(axis=2) for m, a in ints.items()}
    for m, a in campaign.items():
        _check_exact(a, m)

    eng = np.array([s in spec.engagement_dists for s in spec.steps])
    floats = {m: _to_float(a, m, eng) for m, a in ints.items()}
    floats |= {f"campaign_{m}": _to_float(a, m, eng) for m, a in campaign.items()}
    bounds = spec.sample_bounds()
    return SimulatedExperiment(
        spec=spec,
        reports=_report_attributes(spec, bounds),
        sample_start=_frozen(bounds[:-1]),
        present=_frozen(campaign["count"][..., 0] > 0),
        engagement_units=_join_units([u[0] for u in units], S) if keep_units else None,
        order_units=_join_units([u[1] for u in units], S) if keep_units else None,
        **floats,
    )


def _block_samples(spec: ExperimentSpec) -> int:
    per_unit = 2 + len(spec.engagement_dists) + len(spec.event_steps) * 3
    units = float(spec.true_traffic.sum()) * per_unit
    if units > 50 * _BLOCK_UNITS:
        raise ValueError(f"about {units:.3g} unit draws per sample: too many to simulate per unit")
    return int(min(_BLOCK_SAMPLES, max(1, _BLOCK_UNITS // max(units, 1.0))))


def _simulate_block(
    spec: ExperimentSpec, rng: np.random.Generator, n_block: int, s0: int, keep_units: bool
) -> tuple[dict[str, IntArray], list[tuple[UnitValues, UnitValues]]]:
    """Integer sums for ``n_block`` samples, cells ordered (sample, group, recipe)."""
    G, K, T = spec.n_groups, len(spec.recipes), len(spec.steps)
    omit = rng.random(n_block) < spec.p_omit
    n = rng.poisson(spec.true_traffic, size=(n_block, G, K)).astype(np.int64)
    n[omit] = 0
    n = n.ravel()
    cells = n.size
    group = np.tile(np.repeat(np.arange(G), K), n_block)
    recipe = np.tile(np.arange(K, dtype=np.int64), n_block * G)
    rates = spec.true_rates[group, recipe]  # (cell, step)
    out = {m: np.zeros((cells, T), np.int64) for m in MEASURES}

    conv = rng.binomial(n, rates[:, -1]).astype(np.int64)
    orders = _checked(spec.revenue.sample(rng, np.repeat(recipe, conv)), conv, "order")
    prefix = np.concatenate([np.zeros(1, np.int64), np.cumsum(orders)])
    first = np.cumsum(conv) - conv

    def revenue_of_first(a: IntArray) -> IntArray:
        sums: IntArray = prefix[first + a] - prefix[first]
        return sums

    eng_parts: list[tuple[IntArray, int, IntArray]] = []
    for j, step in enumerate(spec.steps):
        if j == 0:
            count, revenue, reached = n, revenue_of_first(conv), n
        elif j == T - 1:
            count, revenue, reached = conv, revenue_of_first(conv), conv
        elif step in spec.event_steps:
            rate = rates[:, j]
            ev_conv = rng.poisson(np.repeat(rate, conv)).astype(np.int64)
            ev_rest = rng.poisson(np.repeat(rate, n - conv)).astype(np.int64)
            count = _segment_sums(ev_conv, conv) + _segment_sums(ev_rest, n - conv)
            revenue = _segment_sums(np.where(ev_conv > 0, orders, 0), conv)
            hit = _segment_sums((ev_conv > 0).astype(np.int64), conv)
            reached = hit + _segment_sums((ev_rest > 0).astype(np.int64), n - conv)
        else:
            reach_conv = rng.binomial(conv, rates[:, j]).astype(np.int64)
            count = reach_conv + rng.binomial(n - conv, rates[:, j]).astype(np.int64)
            revenue, reached = revenue_of_first(reach_conv), count
        out["count"][:, j] = count
        out["revenue"][:, j] = revenue
        dist = spec.engagement_dists.get(step)
        if dist is not None:
            values = _checked(dist.sample(rng, np.repeat(recipe, reached)), reached, step)
            out["engagement_count"][:, j] = reached
            out["engagement_total"][:, j] = _segment_sums(values, reached)
            out["engagement_sumsq"][:, j] = _segment_sums(values * values, reached)
            if keep_units:
                eng_parts.append((values, j, reached))

    sums = {m: a.reshape(n_block, G, K, T) for m, a in out.items()}
    if not keep_units:
        return sums, []
    cell_ids = np.arange(cells)

    def table(parts: list[tuple[IntArray, int, IntArray]]) -> UnitValues:
        cell = np.concatenate([np.repeat(cell_ids, r) for _, _, r in parts] or [cell_ids[:0]])
        s, g, k = np.unravel_index(cell, (n_block, G, K))
        step = np.concatenate([np.full(v.size, j, np.int64) for v, j, _ in parts] or [cell[:0]])
        value = np.concatenate([v for v, _, _ in parts] or [cell[:0]]) / 100
        return UnitValues(g.astype(np.int64), s + s0, k.astype(np.int64), step, value)

    return sums, [(table(eng_parts), table([(orders, T - 1, conv)]))]


def _checked(values: IntArray, counts: IntArray, what: str) -> IntArray:
    """Refuse values that are negative or whose cell sums could overflow int64."""
    if values.size:
        low, high = int(values.min()), int(values.max())
        if low < 0:
            raise ValueError(f"{what} values must not be negative, got {low / 100}")
        if high >= _MAX_HUNDREDTHS or high * high * int(counts.max()) >= 2**63:
            raise ValueError(f"{what} values up to {high / 100} are too large to sum exactly")
    return values


def _check_exact(sums: IntArray, measure: str) -> None:
    if sums.size and sums.max() >= _EXACT_LIMIT:
        raise ValueError(f"a {measure} sum reached 2**51 of its unit: lower the traffic or values")


def _segment_sums(values: IntArray, counts: IntArray) -> IntArray:
    """Exact sum of each run of ``counts[i]`` consecutive values (zero for empty runs)."""
    out = np.zeros(counts.size, np.int64)
    filled = counts > 0
    if values.size:
        starts = (np.cumsum(counts) - counts)[filled]
        out[filled] = np.add.reduceat(values, starts)
    return out


def _to_float(ints: IntArray, measure: str, engagement_steps: BoolArray) -> FloatArray:
    out = ints / np.float64(_SCALE[measure])  # ints < 2**51: correctly rounded, like float(text)
    if measure.startswith("engagement"):
        out[..., ~engagement_steps] = np.nan
    return _frozen(out)


def _frozen(arr: _A) -> _A:
    arr = np.ascontiguousarray(arr)  # type: ignore[assignment]
    arr.setflags(write=False)
    return arr


def _join_units(parts: list[UnitValues], n_samples: int) -> UnitValues:
    if not parts:
        empty = np.zeros(0, np.int64)
        return UnitValues(empty, empty, empty, empty, np.zeros(0))
    joined = [np.concatenate(cols) for cols in zip(*parts, strict=True)]
    keep = joined[1] < n_samples
    return UnitValues(*(col[keep] for col in joined))


def _report_attributes(spec: ExperimentSpec, bounds: DatetimeArray) -> tuple[ReportAttributes, ...]:
    start = bounds[0].astype("datetime64[D]")
    end = bounds[-1].astype("datetime64[D]")
    if end < bounds[-1]:
        end = end + np.timedelta64(1, "D")
    keys: list[tuple[str | None, int | None]] = list(
        zip(spec.segments, range(len(spec.segments)), strict=True)
    )
    if spec.include_aggregate:
        keys.append((None, None))
    return tuple(
        ReportAttributes(spec.campaign_id, spec.type, seg, i, start, end, spec.resolution)
        for seg, i in keys
    )


# -- writing -------------------------------------------------------------------------------


class _BinaryWriter(Protocol):
    def write(self, data: bytes, /) -> object: ...


def _check_version(version: int) -> None:
    if version not in (1, 2):
        raise ValueError(f"version must be 1 or 2, got {version!r}")


def write_xml(
    sim: SimulatedExperiment,
    dest: str | os.PathLike[str] | _BinaryWriter,
    *,
    version: int = 2,
    indent: bool = True,
) -> int:
    """Write ``sim`` as Performance Report XML (UTF-8), streaming block by block.

    Parameters
    ----------
    sim : SimulatedExperiment
        What to write.
    dest : path or binary file object
        A path (created or truncated) or anything with ``write(bytes)``.
    version : {1, 2}
        Version 2: each step holds ``<amount>`` (count), ``<revenue>`` and, on engagement
        steps, ``<engagement>``. Version 1: each step's text is its count, then at recipe level
        ``<amount>`` (the last step's revenue) and ``<engagementMetrics>``.
    indent : bool
        Two spaces per level and one element per line; False writes no white space at all.

    Returns
    -------
    int
        Number of bytes written.
    """
    _check_version(version)
    if isinstance(dest, str | os.PathLike):
        with open(dest, "wb") as fh:
            return _write(sim, fh, version, indent)
    return _write(sim, dest, version, indent)


def _write(sim: SimulatedExperiment, out: _BinaryWriter, version: int, indent: bool) -> int:
    template, order = _sample_template(sim, version, indent)
    dates = _date_fields(sim.sample_start)
    batch = max(1, 8_000_000 // len(template))
    nl = "\n" if indent else ""
    written = 0

    def put(text: str) -> None:
        nonlocal written
        data = text.encode("utf-8")
        out.write(data)
        written += len(data)

    put(f'<?xml version="1.0" encoding="UTF-8"?>\n<reports>{nl}')
    for r, info in enumerate(sim.reports):
        segment = ""
        if info.segment is not None:
            segment = f' segment="{_attr(info.segment)}" segmentId="{info.segment_id}"'
        put(
            f'{"  " if indent else ""}<report campaignId="{info.campaign_id}" '
            f'start="{info.start}" end="{info.end}" resolution="{info.resolution}" '
            f'type="{_attr(info.type)}"{segment}>{nl}'
        )
        present = np.flatnonzero(sim.present[r])
        for b0 in range(0, present.size, batch):
            rows = present[b0 : b0 + batch]
            fields = _field_table(sim, r, rows, dates)[:, order]
            put((template * rows.size) % tuple(fields.ravel().tolist()))
        put(f"{'  ' if indent else ''}</report>{nl}")
    put("</reports>\n")
    return written


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _sample_template(sim: SimulatedExperiment, version: int, indent: bool) -> tuple[str, IntArray]:
    """The %-template of one sample and the field-table columns it consumes, in order."""
    spec = sim.spec
    names = [*spec.recipes, *([spec.campaign_recipe] if spec.include_campaign else [])]
    K1, T = len(names), len(spec.steps)
    eng = [j for j, s in enumerate(spec.steps) if s in spec.engagement_dists]
    E = len(eng)
    lines: list[str] = []
    order: list[int] = [0, 1, 2, 3, 4]

    def line(level: int, text: str, *cols: int) -> None:
        lines.append(f"{'  ' * level}{text}\n" if indent else text)
        order.extend(cols)

    def col(block: int, k: int, j: int) -> int:  # blocks 0-2 per step, 3-7 per engagement step
        if block < 3:
            return 5 + block * K1 * T + k * T + j
        return 5 + 3 * K1 * T + (block - 3) * K1 * E + k * E + eng.index(j)

    def name(text: str) -> str:
        return _attr(text).replace("%", "%%")

    triple = 'count="%d" total="%d.%02d000" sumOfSquares="%d.%04d0"/>'
    line(2, f'<sample start="%04d-%02d-%02dT%02d:%02d" duration="{name(spec.resolution)}">')
    for k, recipe in enumerate(names):
        line(3, f'<recipe name="{name(recipe)}">')
        for j, step in enumerate(spec.steps):
            if version == 1:
                line(4, f'<step name="{name(step)}">%d.0</step>', col(0, k, j))
                continue
            line(4, f'<step name="{name(step)}">')
            line(5, "<amount>%d.0</amount>", col(0, k, j))
            line(5, "<revenue>%d.%02d</revenue>", col(1, k, j), col(2, k, j))
            if j in eng:
                line(5, f"<engagement {triple}", *(col(b, k, j) for b in range(3, 8)))
            line(4, "</step>")
        if version == 1:
            line(4, "<amount>%d.%02d</amount>", col(1, k, T - 1), col(2, k, T - 1))
            if eng:
                line(4, "<engagementMetrics>")
                for j in eng:
                    cols = (col(b, k, j) for b in range(3, 8))
                    line(5, f'<engagement stepName="{name(spec.steps[j])}" {triple}', *cols)
                line(4, "</engagementMetrics>")
        line(3, "</recipe>")
    line(2, "</sample>")
    return "".join(lines), np.asarray(order, dtype=np.int64)


def _date_fields(starts: DatetimeArray) -> IntArray:
    """Year, month, day, hour and minute of each start, shape ``(n, 5)``."""
    year = starts.astype("datetime64[Y]")
    month = starts.astype("datetime64[M]")
    day = starts.astype("datetime64[D]")
    minutes = (starts - day).astype(np.int64)
    return np.stack(
        [
            year.astype(np.int64) + 1970,
            (month - year.astype("datetime64[M]")).astype(np.int64) + 1,
            (day - month.astype("datetime64[D]")).astype(np.int64) + 1,
            minutes // 60,
            minutes % 60,
        ],
        axis=1,
    )


def _field_table(sim: SimulatedExperiment, r: int, rows: IntArray, dates: IntArray) -> IntArray:
    """Every integer field of the given samples of report ``r``: dates, then measure blocks."""
    eng = [j for j, s in enumerate(sim.steps) if s in sim.spec.engagement_dists]

    def ints(measure: str, steps: Sequence[int] | slice) -> IntArray:
        arr = getattr(sim, measure)[r, rows][:, :, steps]
        if sim.spec.include_campaign:
            camp = getattr(sim, f"campaign_{measure}")[r, rows][:, None, steps]
            arr = np.concatenate([arr, camp], axis=1)
        out: IntArray = np.rint(arr * _SCALE[measure]).astype(np.int64).reshape(rows.size, -1)
        return out

    every = slice(None)
    rev_i, rev_f = np.divmod(ints("revenue", every), 100)
    tot_i, tot_f = np.divmod(ints("engagement_total", eng), 100)
    sq_i, sq_f = np.divmod(ints("engagement_sumsq", eng), 10_000)
    blocks = [ints("count", every), rev_i, rev_f, ints("engagement_count", eng)]
    return np.concatenate([dates[rows], *blocks, tot_i, tot_f, sq_i, sq_f], axis=1)


# -- conveniences --------------------------------------------------------------------------


def generate_report_bytes(spec: ExperimentSpec, version: int = 2, *, indent: bool = True) -> bytes:
    """Simulate ``spec`` and return the document as bytes (for small files).

    Parameters
    ----------
    spec : ExperimentSpec
        What to simulate.
    version : {1, 2}
        The document version.
    indent : bool
        Indent the document (see :func:`write_xml`).

    Returns
    -------
    bytes
        The UTF-8 document.
    """
    buf = io.BytesIO()
    write_xml(simulate(spec), buf, version=version, indent=indent)
    return buf.getvalue()


def spec_for_size(
    megabytes: float,
    version: int = 2,
    *,
    base: ExperimentSpec | None = None,
    indent: bool = True,
) -> ExperimentSpec:
    """``base`` with ``n_samples`` chosen so that its document is about ``megabytes`` MB.

    Parameters
    ----------
    megabytes : float
        Target size in MB (10**6 bytes).
    version : {1, 2}
        The document version that will be written.
    base : ExperimentSpec, optional
        Everything but ``n_samples``; default ``ExperimentSpec()``.
    indent : bool
        Whether the document will be indented.

    Returns
    -------
    ExperimentSpec
        ``base`` with ``n_samples`` set (at least 1). The size is extrapolated from two short
        probes, so it is right to within a few per cent.
    """
    base = ExperimentSpec() if base is None else base
    n1, n2 = 32, 288
    s1, s2 = (
        len(generate_report_bytes(replace(base, n_samples=n), version, indent=indent))
        for n in (n1, n2)
    )
    per_sample = (s2 - s1) / (n2 - n1)
    if per_sample <= 0:
        raise ValueError("this spec writes no samples (no traffic?); its size cannot grow")
    n = round((megabytes * 1e6 - (s1 - per_sample * n1)) / per_sample)
    return replace(base, n_samples=max(1, n))


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import sys
    import time

    parser = argparse.ArgumentParser(
        prog="python -m ttstats.simulate",
        description="Write a simulated Performance Report of about the given size.",
    )
    parser.add_argument("--mb", type=float, default=5.0, help="target size in MB (10**6 bytes)")
    parser.add_argument("--version", type=int, choices=(1, 2), default=2)
    parser.add_argument("--resolution", choices=tuple(_ALIGN), default="day")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--p-omit", type=float, default=0.0)
    parser.add_argument("--compact", action="store_true", help="no indentation")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    base = ExperimentSpec(resolution=args.resolution, seed=args.seed, p_omit=args.p_omit)
    spec = spec_for_size(args.mb, args.version, base=base, indent=not args.compact)
    sim = simulate(spec)
    t1 = time.perf_counter()
    size = write_xml(sim, args.output, version=args.version, indent=not args.compact)
    t2 = time.perf_counter()
    print(
        f"{args.output}: {size / 1e6:.1f} MB, {spec.n_samples} samples; "
        f"simulate {t1 - t0:.1f} s, write {t2 - t1:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

"""What to simulate: the per-unit value distributions and :class:`ExperimentSpec`.

Everything is validated on construction, so that :func:`~ttstats.simulate.simulate` can trust
the spec it is given.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
DatetimeArray = npt.NDArray[np.datetime64]
Resolution = Literal["hour", "day", "week", "month"]
ReportType = Literal["visitor", "visit", "impression"]

MAX_HUNDREDTHS = 2**31  # per-unit value limit (in hundredths): squares stay below 2**62
_PERIOD = {
    "hour": np.timedelta64(1, "h"),
    "day": np.timedelta64(1, "D"),
    "week": np.timedelta64(7, "D"),
}
#: The resolutions, with the unit a sample start must be aligned to.
ALIGN = {"hour": "h", "day": "D", "week": "D", "month": "M"}


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
        if x.size and not x.max() < MAX_HUNDREDTHS / 100:
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
    order_engagement : bool
        Also write the order values as the engagement triple of the conversion step (count =
        orders, total = revenue, sumOfSquares = the sum of the squared order values), the
        form in which the API gives the sums that extreme-order calculations need. The
        conversion step must then not be an ``engagement`` step.
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
    engagement_steps : tuple of str
        The steps that carry an engagement triple, in step order: those of
        ``engagement_dists``, and the conversion step when ``order_engagement``.
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
    order_engagement: bool = False
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
    def engagement_steps(self) -> tuple[str, ...]:
        """The steps that carry an engagement triple, in step order."""
        conversion = self.steps[-1] if self.order_engagement else None
        return tuple(s for s in self.steps if s in self.engagement_dists or s == conversion)

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
        if self.resolution not in ALIGN:
            raise ValueError(f"resolution must be one of {list(ALIGN)}, got {self.resolution!r}")
        if self.type not in ("visitor", "visit", "impression"):
            raise ValueError(f"type must be visitor, visit or impression, got {self.type!r}")
        if self.n_samples < 0:
            raise ValueError(f"n_samples must not be negative, got {self.n_samples!r}")

    def _check_time(self) -> np.datetime64:
        start = _minute(self.start)
        unit = ALIGN[self.resolution]
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
            taken = self.steps[-1] if self.order_engagement else None  # by the order values
            given = {
                k: v for k, v in _default_engagement().items() if k in self.steps and k != taken
            }
        unknown = [s for s in given if s not in self.steps]
        if unknown:
            raise ValueError(f"engagement steps {unknown} are not among the steps")
        for dist in given.values():
            dist.check(len(self.recipes))
        if self.order_engagement and self.steps[-1] in given:
            raise ValueError(
                f"the conversion step {self.steps[-1]!r} carries the order values "
                "(order_engagement=True): it cannot also be an engagement step"
            )
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

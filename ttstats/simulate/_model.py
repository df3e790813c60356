"""The model: :func:`simulate` draws the true values of one experiment.

:class:`SimulatedExperiment` holds them on the full sample axis and
:class:`ExpectedReport` is what a correct parser returns for them. The model, and why every
value is exact, are described in :mod:`ttstats.simulate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from ._spec import MAX_HUNDREDTHS, BoolArray, DatetimeArray, ExperimentSpec, FloatArray, IntArray

_A = TypeVar("_A", bound=npt.NDArray[Any])

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
SCALE: Mapping[str, int] = MappingProxyType(
    {
        "count": 1,
        "revenue": 100,
        "engagement_count": 1,
        "engagement_total": 100,
        "engagement_sumsq": 10_000,
    }
)
_EXACT_LIMIT = 2**51  # integer sums below this convert to float and back exactly
_BLOCK_SAMPLES = 256  # samples per random stream (fixed: more samples extend fewer)
_BLOCK_UNITS = 2_000_000  # rough bound of the per-unit draws held at once


def check_version(version: int) -> None:
    """Raise ``ValueError`` unless ``version`` is a document version (1 or 2)."""
    if version not in (1, 2):
        raise ValueError(f"version must be 1 or 2, got {version!r}")


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
        The per-unit values, when ``simulate(..., keep_units=True)``. With
        ``spec.order_engagement`` the order values also stand in ``engagement_units``, on the
        conversion step, as they are behind its engagement triple.
    order_reach : ndarray of bool or None
        ``(order, step)``, row for row with ``order_units``: the converting unit that placed
        the order reached the step, so that its value is in the step's revenue (always true
        for the first and the last step). With ``keep_units=True`` only.
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
    order_reach: BoolArray | None = None

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
        check_version(version)
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
        The true per-cell values; see :mod:`ttstats.simulate` for the model.

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
    units: list[tuple[UnitValues, UnitValues, BoolArray]] = []
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

    eng = np.array([s in spec.engagement_steps for s in spec.steps])
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
        order_reach=_join_reach(units, S, T) if keep_units else None,
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
) -> tuple[dict[str, IntArray], list[tuple[UnitValues, UnitValues, BoolArray]]]:
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
    reach = np.ones((orders.size if keep_units else 0, T), dtype=bool)  # (order, step)
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
            if keep_units:
                reach[:, j] = ev_conv > 0
        else:
            reach_conv = rng.binomial(conv, rates[:, j]).astype(np.int64)
            count = reach_conv + rng.binomial(n - conv, rates[:, j]).astype(np.int64)
            revenue, reached = revenue_of_first(reach_conv), count
            if keep_units:  # the first reach_conv orders of each cell reached the step
                position = np.arange(orders.size) - np.repeat(first, conv)
                reach[:, j] = position < np.repeat(reach_conv, conv)
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
        elif j == T - 1 and spec.order_engagement:
            out["engagement_count"][:, j] = conv
            out["engagement_total"][:, j] = revenue
            out["engagement_sumsq"][:, j] = _segment_sums(orders * orders, conv)
            if keep_units:
                eng_parts.append((orders, j, conv))

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

    return sums, [(table(eng_parts), table([(orders, T - 1, conv)]), reach)]


def _checked(values: IntArray, counts: IntArray, what: str) -> IntArray:
    """Refuse values that are negative or whose cell sums could overflow int64."""
    if values.size:
        low, high = int(values.min()), int(values.max())
        if low < 0:
            raise ValueError(f"{what} values must not be negative, got {low / 100}")
        if high >= MAX_HUNDREDTHS or high * high * int(counts.max()) >= 2**63:
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
    out = ints / np.float64(SCALE[measure])  # ints < 2**51: correctly rounded, like float(text)
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


def _join_reach(
    parts: list[tuple[UnitValues, UnitValues, BoolArray]], n_samples: int, n_steps: int
) -> BoolArray:
    """The blocks' order reach, with the rows that :func:`_join_units` keeps."""
    if not parts:
        return np.ones((0, n_steps), dtype=bool)
    reach = np.concatenate([p[2] for p in parts])
    sample = np.concatenate([p[1].sample for p in parts])
    out: BoolArray = reach[sample < n_samples]
    return out


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

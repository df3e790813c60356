"""The parsed Performance Report: labelled float64 arrays over (report, sample, recipe, step)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .._errors import AggregationWarning, UnknownLabelError

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: The measures every cell carries, in the order of :attr:`Report.measures`.
MEASURES: tuple[str, ...] = (
    "count",
    "revenue",
    "engagement_count",
    "engagement_total",
    "engagement_sumsq",
)
#: The measures whose printed precision :attr:`Report.decimals` gives.
DECIMAL_MEASURES: tuple[str, ...] = ("revenue", "engagement_total", "engagement_sumsq")


class ReportInfo(NamedTuple):
    """The attributes of one ``<report>`` element.

    ``segment`` and ``segment_id`` are None for the aggregate of all segments; ``start`` and
    ``end`` are naive local times (NaT when the attribute was absent or unreadable; the raw
    text then stands in :attr:`Report.warnings`).
    """

    campaign_id: int | None
    type: str | None
    segment: str | None
    segment_id: int | None
    start: np.datetime64
    end: np.datetime64
    resolution: str | None


class ParseWarning(NamedTuple):
    """One repair, skipped item or unknown content met while reading (1-based line/column)."""

    line: int
    column: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class SampleAxis(NamedTuple):
    """The sample axis: start (naive local time, minute precision) and duration of each sample."""

    start: npt.NDArray[np.datetime64]
    duration: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.start)


@dataclass(frozen=True, eq=False)
class Cells:
    """The five measures of one recipe set, each a float64 array of the same shape.

    NaN means "not reported"; 0 means zero.
    """

    count: FloatArray
    revenue: FloatArray
    engagement_count: FloatArray
    engagement_total: FloatArray
    engagement_sumsq: FloatArray

    def items(self) -> Iterator[tuple[str, FloatArray]]:
        """``(name, array)`` for each measure, in :data:`MEASURES` order."""
        for name in MEASURES:
            yield name, getattr(self, name)

    def map(self, fn: Any) -> Cells:
        """A new Cells with ``fn`` applied to every measure array."""
        return Cells(**{name: _frozen(fn(arr)) for name, arr in self.items()})


def _frozen(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``arr`` read-only: itself when it already is and owns its data, else a read-only copy
    (so that nobody holding the original, or a view's base, can change it)."""
    arr = np.asarray(arr)
    if not arr.flags.writeable and arr.base is None and arr.flags.c_contiguous:
        return arr
    out = np.array(arr, copy=True, order="C")
    out.setflags(write=False)
    return out


def _frozen_cells(cells: Cells) -> Cells:
    arrays = [arr for _, arr in cells.items()]
    if all(not a.flags.writeable and a.base is None and a.flags.c_contiguous for a in arrays):
        return cells
    return cells.map(lambda x: x)


@dataclass(frozen=True, eq=False)
class Report:
    """A parsed Performance Report response.

    Arrays are float64, read-only, shaped ``(report, sample, recipe, step)``; the summary
    recipe ("Campaign") is kept apart in :attr:`campaign`, shaped ``(report, sample, step)``.
    NaN means "not reported", 0 means zero. Inside a report's sample grid (regular, at its
    resolution, from its first to its last sample in the document) a sample the API omitted
    holds zeros for every measure that report carries; outside the grid the report's cells
    are NaN. :attr:`present` says which samples each report's document actually contained.

    Attributes
    ----------
    reports : tuple of ReportInfo
        One entry per ``<report>`` element, in document order.
    samples : SampleAxis
        Union of the reports' sample grids, sorted by start.
    recipes : tuple of str
        The experiences in document order, without the summary recipe.
    steps : tuple of str
        The success metrics in document order (engagement-only steps last as met).
    count, revenue, engagement_count, engagement_total, engagement_sumsq : ndarray
        Shape ``(report, sample, recipe, step)``.
    campaign : Cells
        The summary recipe's five measures, shape ``(report, sample, step)``.
    present : ndarray of bool
        Shape ``(report, sample)``: the sample stood in that report's document.
    in_grid : ndarray of bool
        Shape ``(report, sample)``: the sample lies on that report's grid.
    version : int
        1 or 2: the caller's, else the document's (a step with an ``<amount>`` child means 2).
    warnings : tuple of ParseWarning
        One entry per repair or dropped item, with line, column and text. Each kind lists
        its first 200 occurrences in document order; one more entry counts the rest exactly.
    campaign_recipe : str
        The summary recipe's name.
    decimals : mapping of str to int or None
        The precision the file printed its money and engagement values with, read-only: for
        each of ``"revenue"``, ``"engagement_total"`` and ``"engagement_sumsq"``, the fewest
        digits after the decimal point any value of that measure was written with, in any
        report, sample and recipe (the summary recipe included), or None when the file holds
        no readable value of it. An exponent counts: ``558.00000`` has 5, ``558`` 0,
        ``1.5e3`` and ``15e2`` -2 (their last digit stands for hundreds). Revenue is the
        recipe-level ``<amount>`` in version 1 and the step's ``<revenue>`` in version 2; the
        engagement values are the ``total`` and ``sumOfSquares`` attributes. The API writes
        engagement with 5 decimals and revenue with 2, so a value rounded there is exact to
        half a unit of its last printed digit: ``0.5 * 10.0 ** -decimals``.

    Notes
    -----
    Every array a Report exposes is read-only (the measures, :attr:`present`,
    :attr:`in_grid` and ``samples.start``); the labels are tuples.
    """

    reports: tuple[ReportInfo, ...]
    samples: SampleAxis
    recipes: tuple[str, ...]
    steps: tuple[str, ...]
    cells: Cells
    campaign: Cells
    present: BoolArray
    in_grid: BoolArray
    version: int
    warnings: tuple[ParseWarning, ...] = ()
    campaign_recipe: str = "Campaign"
    decimals: Mapping[str, int | None] = field(
        default_factory=lambda: MappingProxyType(dict.fromkeys(DECIMAL_MEASURES))
    )

    # -- the five measures, as attributes -------------------------------------------------
    @property
    def count(self) -> FloatArray:
        """Count reaching each step (visitors, visits or impressions)."""
        return self.cells.count

    @property
    def revenue(self) -> FloatArray:
        """Revenue attributed at each step (version 1: the final step only)."""
        return self.cells.revenue

    @property
    def engagement_count(self) -> FloatArray:
        """Number of units with an engagement value."""
        return self.cells.engagement_count

    @property
    def engagement_total(self) -> FloatArray:
        """Sum of the engagement values."""
        return self.cells.engagement_total

    @property
    def engagement_sumsq(self) -> FloatArray:
        """Sum of the squared engagement values."""
        return self.cells.engagement_sumsq

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(reports, samples, recipes, steps)``."""
        r, s, k, t = self.cells.count.shape
        return (r, s, k, t)

    # -- lookups --------------------------------------------------------------------------
    def recipe_index(self, name: str) -> int:
        """Position of a recipe; :class:`~ttstats.UnknownLabelError` listing them when unknown."""
        try:
            return self.recipes.index(name)
        except ValueError:
            raise UnknownLabelError(
                f"unknown recipe {name!r}; recipes are {list(self.recipes)}"
            ) from None

    def step_index(self, name: str) -> int:
        """Position of a step; :class:`~ttstats.UnknownLabelError` listing them when unknown."""
        try:
            return self.steps.index(name)
        except ValueError:
            raise UnknownLabelError(
                f"unknown step {name!r}; steps are {list(self.steps)}"
            ) from None

    # -- views ----------------------------------------------------------------------------
    def sum_samples(self) -> Report:
        """The same Report with the sample axis summed into one sample.

        A cell is NaN only when it is NaN in every sample (never reported); otherwise the
        NaN samples (outside a report's grid) contribute nothing. The one sample starts at
        the first sample's start, with duration ``"total"``; a report without samples gets
        one too (start NaT, every cell NaN), so the result always has one sample. Everything
        else (labels, :attr:`warnings`, :attr:`decimals`) is kept. Summing the samples of a
        ``visitor`` report counts a returning visitor once per sample, so an
        :class:`~ttstats.AggregationWarning` says so.
        """
        visitor = [i for i, r in enumerate(self.reports) if r.type == "visitor"]
        if visitor and len(self.samples) > 1:
            warnings.warn(
                "summing the samples of a 'visitor' report counts a returning visitor once "
                f"per sample (reports {visitor}); prefer a single-sample request for inference",
                AggregationWarning,
                stacklevel=2,
            )
        # always one sample, even when there was none: then it is NaT and every cell is NaN
        start = (
            self.samples.start[:1]
            if len(self.samples)
            else np.asarray(["NaT"], dtype=self.samples.start.dtype)
        )
        return replace(
            self,
            samples=SampleAxis(start, ("total",)),
            cells=self.cells.map(lambda a: _nansum_keep(a, axis=1)),
            campaign=self.campaign.map(lambda a: _nansum_keep(a, axis=1)),
            present=_frozen(np.asarray(self.present.any(axis=1, keepdims=True))),
            in_grid=_frozen(np.asarray(self.in_grid.any(axis=1, keepdims=True))),
        )

    def to_frame(self) -> pd.DataFrame:
        """One tidy row per (report, sample, recipe, step), summary recipe rows included.

        Columns: ``report, type, segment, segment_id, sample_start, duration, recipe, step,
        count, revenue, engagement_count, engagement_total, engagement_sumsq, is_campaign``.
        """
        import pandas as pd

        r, s, k, t = self.shape
        names = [*self.recipes, self.campaign_recipe]
        k1 = k + 1
        # (report, sample, recipe incl. campaign, step)
        stacked = {
            name: np.concatenate([arr, getattr(self.campaign, name)[:, :, None, :]], axis=2)
            for name, arr in self.cells.items()
        }
        ri, si, ki, ti = (ix.ravel() for ix in np.indices((r, s, k1, t)))
        infos = self.reports
        frame: pd.DataFrame = pd.DataFrame(
            {
                "report": ri.astype(np.int64),
                "type": _objects([infos[i].type for i in range(r)], ri),
                "segment": _objects([infos[i].segment for i in range(r)], ri),
                "segment_id": pd.array([infos[i].segment_id for i in range(r)], dtype="Int64").take(
                    ri
                ),
                "sample_start": pd.to_datetime(self.samples.start.astype("datetime64[ns]")[si]),
                "duration": _objects(list(self.samples.duration), si),
                "recipe": _objects(names, ki),
                "step": _objects(list(self.steps), ti),
                **{name: arr.ravel() for name, arr in stacked.items()},
                "is_campaign": ki == k,
            }
        )
        return frame

    def _repr_html_(self) -> str:
        """A summary and the first rows of :meth:`to_frame`, for Jupyter."""
        from ._report_html import report_html

        return report_html(self)

    def __repr__(self) -> str:
        r, s, k, t = self.shape
        segs = [x.segment if x.segment is not None else "(aggregate)" for x in self.reports]
        return (
            f"<Report v{self.version}: {r} report(s) {segs}, {s} sample(s), "
            f"{k} recipe(s) {list(self.recipes)}, {t} step(s), {len(self.warnings)} warning(s)>"
        )

    def __post_init__(self) -> None:
        # every array exposed is read-only, copied first when someone else could write it
        put = object.__setattr__
        put(self, "present", _frozen(self.present))
        put(self, "in_grid", _frozen(self.in_grid))
        put(self, "cells", _frozen_cells(self.cells))
        put(self, "campaign", _frozen_cells(self.campaign))
        put(self, "samples", SampleAxis(_frozen(self.samples.start), tuple(self.samples.duration)))
        put(self, "recipes", tuple(self.recipes))
        put(self, "steps", tuple(self.steps))
        put(self, "reports", tuple(self.reports))
        put(self, "warnings", tuple(self.warnings))
        decimals = {k: self.decimals.get(k) for k in DECIMAL_MEASURES}
        if set(self.decimals) - set(DECIMAL_MEASURES):
            raise ValueError(
                f"decimals holds {sorted(self.decimals)}; its keys are {list(DECIMAL_MEASURES)}"
            )
        put(self, "decimals", MappingProxyType(decimals))


def _objects(labels: list[Any], index: npt.NDArray[np.intp]) -> pd.Series:
    """A column of Python objects (``None`` stays ``None``; pandas would make it NaN)."""
    import pandas as pd

    values = np.empty(len(labels), dtype=object)
    values[:] = labels
    column: pd.Series = pd.Series(
        values[index] if len(labels) else np.empty(0, object), dtype=object
    )
    return column


def _nansum_keep(a: FloatArray, axis: int) -> FloatArray:
    """Sum over ``axis`` ignoring NaN, NaN where every entry is NaN; keeps the axis."""
    total = np.nansum(a, axis=axis, keepdims=True)
    allnan = np.isnan(a).all(axis=axis, keepdims=True)
    return np.where(allnan, np.nan, total)

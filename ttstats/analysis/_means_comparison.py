"""The result of :func:`~ttstats.analysis.compare_means`: labelled, read-only arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..parse import ReportInfo, SampleAxis
from ._comparison import (
    BoolArray,
    FloatArray,
    ObjectArray,
    _keep_objects,
    _labels,
    _report_columns,
    _sample_columns,
)

if TYPE_CHECKING:
    import pandas as pd

#: The first columns of :meth:`MeansComparison.to_frame`, in this order, whatever the arguments.
FRAME_COLUMNS: tuple[str, ...] = (
    "report",
    "segment",
    "recipe",
    "step",
    "units",
    "mean",
    "std",
    "mean_low",
    "mean_high",
    "diff",
    "diff_low",
    "diff_high",
    "lift",
    "lift_low",
    "lift_high",
    "p_value",
    "p_adjusted",
    "significant",
    "reliable",
    "note",
)
#: The columns that follow :data:`FRAME_COLUMNS`, in this order.
FRAME_EXTRAS: tuple[str, ...] = (
    "type",
    "segment_id",
    "sample_start",
    "duration",
    "is_control",
    "metric",
    "per",
    "source",
    "statistic",
    "df",
)


@dataclass(frozen=True, eq=False, repr=False)
class MeansComparison:
    """Every recipe's mean against the control's on each metric; see :func:`compare_means`.

    The cell arrays are read-only and shaped ``(report, recipe, metric)``, or
    ``(report, sample, recipe, metric)`` when ``by_sample``; the labels of each axis travel
    with them. The control's own row holds its mean, deviation and interval; its comparison
    fields are NaN (``significant`` False) and its note starts with ``"control"``.

    Attributes
    ----------
    reports : tuple of ReportInfo
        The reports (segment and type), in document order: the first axis.
    samples : SampleAxis
        The sample axis when ``by_sample``; otherwise one ``"total"`` sample.
    recipes : tuple of str
        The recipes, control included, in document order.
    metrics : tuple of str
        The metrics as asked: step names, or ``"revenue"``.
    steps : tuple of str
        The step of each metric (for ``"revenue"``, the step whose revenue is used).
    control, entry, per : str
        The control recipe, the entry step and the unit of the means (``"entry"`` or
        ``"engaged"``).
    by_sample : bool
        Whether the arrays keep the sample axis.
    units : ndarray of float64
        The denominator: entries (``per="entry"``), else the units with a value (orders for
        revenue without order values).
    mean, std, mean_low, mean_high : ndarray of float64
        The mean per unit, its sample standard deviation and the t interval of the mean.
    diff, diff_low, diff_high : ndarray of float64
        ``mean - mean_control`` and its Welch interval.
    lift, lift_low, lift_high : ndarray of float64
        ``mean / mean_control - 1`` and its delta-method interval.
    statistic, df, p_value : ndarray of float64
        Welch's t, its degrees of freedom and two-sided p-value against the control.
    p_adjusted : ndarray of float64
        The p-value adjusted (``correction``) within its family: one report [one sample].
    significant : ndarray of bool
        ``p_adjusted < alpha``; False where NaN.
    reliable : ndarray of bool
        The variances the row rests on (its own; and the control's, in a treatment row) are
        numbers: resolvable from the reported sums, at least 2 units. False for point
        estimates.
    note : ndarray of object (str)
        ``""`` for a healthy row, else why fields are NaN or what to keep in mind.
    source : ndarray of object (str)
        Where the row's values come from: ``"engagement"``, ``"order values"`` (the revenue
        step's engagement triple) or ``"revenue total"`` (a point estimate).
    alpha : float
        Significance level, also 1 - confidence of the intervals.
    correction : str
        The multiple-testing adjustment.
    warnings : tuple of str
        The caveat of summing visitor samples (also emitted as an AggregationWarning).
    """

    reports: tuple[ReportInfo, ...]
    samples: SampleAxis
    recipes: tuple[str, ...]
    metrics: tuple[str, ...]
    steps: tuple[str, ...]
    control: str
    entry: str
    per: str
    by_sample: bool
    units: FloatArray
    mean: FloatArray
    std: FloatArray
    mean_low: FloatArray
    mean_high: FloatArray
    diff: FloatArray
    diff_low: FloatArray
    diff_high: FloatArray
    lift: FloatArray
    lift_low: FloatArray
    lift_high: FloatArray
    statistic: FloatArray
    df: FloatArray
    p_value: FloatArray
    p_adjusted: FloatArray
    significant: BoolArray
    reliable: BoolArray
    note: ObjectArray
    source: ObjectArray
    alpha: float
    correction: str
    warnings: tuple[str, ...] = ()

    @property
    def segments(self) -> tuple[str | None, ...]:
        """The segment of each report (None for the aggregate of all segments)."""
        return tuple(info.segment for info in self.reports)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the cell arrays."""
        return tuple(self.mean.shape)

    @property
    def control_index(self) -> int:
        """Position of the control in :attr:`recipes`."""
        return self.recipes.index(self.control)

    @property
    def is_control(self) -> BoolArray:
        """Shape ``(recipe,)``: True for the control."""
        return np.asarray([r == self.control for r in self.recipes], dtype=bool)

    def to_frame(self) -> pd.DataFrame:
        """One row per (report, [sample,] recipe, metric), in that order.

        Returns
        -------
        pandas.DataFrame
            The columns :data:`FRAME_COLUMNS` first, then :data:`FRAME_EXTRAS`; the names
            never change with the arguments of :func:`compare_means`. ``step`` is the step
            read, ``metric`` the name asked for (``"revenue"`` or the step).
        """
        import pandas as pd

        idx = [ix.ravel() for ix in np.indices(self.shape, dtype=np.intp)]
        ri, ki, mi = idx[0], idx[-2], idx[-1]
        si = idx[1] if self.by_sample else np.zeros_like(ri)
        info = _report_columns(self.reports, ri)
        cells: dict[str, Any] = {
            "report": ri.astype(np.int64),
            "segment": info["segment"],
            "recipe": _labels(self.recipes, ki),
            "step": _labels(self.steps, mi),
        }
        for name in FRAME_COLUMNS[4:]:
            cells[name] = getattr(self, name).ravel()
        cells["type"] = info["type"]
        cells["segment_id"] = info["segment_id"]
        cells.update(_sample_columns(self.samples, si))
        cells["is_control"] = self.is_control[ki]
        cells["metric"] = _labels(self.metrics, mi)
        cells["per"] = np.full(ri.shape, self.per, dtype=object)
        for name in FRAME_EXTRAS[-3:]:
            cells[name] = getattr(self, name).ravel()
        frame: pd.DataFrame = pd.DataFrame(
            _keep_objects(cells), columns=[*FRAME_COLUMNS, *FRAME_EXTRAS]
        )
        return frame

    def _repr_html_(self) -> str | None:
        html: str | None = self.to_frame()._repr_html_()  # type: ignore[operator]
        return html

    def __repr__(self) -> str:
        per = f", {len(self.samples)} sample(s)" if self.by_sample else ""
        return (
            f"<MeansComparison vs {self.control!r} per {self.per}: {len(self.reports)} "
            f"report(s){per}, {len(self.recipes)} recipe(s), metrics {list(self.metrics)}; "
            f"{int(self.significant.sum())} significant at alpha={self.alpha:g} "
            f"(welch, {self.correction})>"
        )

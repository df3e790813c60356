"""The result of :func:`~ttstats.analysis.compare`: labelled, read-only arrays and their frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ..parse import ReportInfo, SampleAxis

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
ObjectArray = npt.NDArray[np.object_]
DatetimeArray = npt.NDArray[np.datetime64]

#: The first columns of :meth:`Comparison.to_frame`, in this order, whatever the arguments.
FRAME_COLUMNS: tuple[str, ...] = (
    "report",
    "segment",
    "recipe",
    "step",
    "entries",
    "conversions",
    "rate",
    "rate_low",
    "rate_high",
    "diff",
    "diff_low",
    "diff_high",
    "lift",
    "lift_low",
    "lift_high",
    "p_value",
    "p_adjusted",
    "significant",
    "note",
)

#: The columns that follow :data:`FRAME_COLUMNS`, in this order.
FRAME_EXTRAS: tuple[str, ...] = (
    "type",
    "segment_id",
    "sample_start",
    "duration",
    "is_control",
    "per_entry",
    "statistic",
    "mdl",
    "av_p_value",
    "av_p_adjusted",
    "cs_low",
    "cs_high",
)

#: The columns of :meth:`Comparison.sample_ratio_frame`, in this order.
SAMPLE_RATIO_COLUMNS: tuple[str, ...] = (
    "report",
    "segment",
    "type",
    "segment_id",
    "sample_start",
    "duration",
    "entries",
    "chi2",
    "p_value",
    "flagged",
    "reason",
)


class SampleRatio(NamedTuple):
    """The sample-ratio check of each report (and each sample when ``by_sample``).

    Every field is an array shaped ``(report,)``, or ``(report, sample)`` when the comparison
    was made per sample.

    Attributes
    ----------
    report : ndarray of intp
        Position of the report in :attr:`Comparison.reports`.
    segment : ndarray of object
        The report's segment name (None for the aggregate of all segments).
    sample_start : ndarray of datetime64[m]
        Start of the sample (of the first sample when the samples were summed).
    entries : ndarray of float64
        Total entries over the recipes (NaN when a recipe's entries are not reported).
    chi2 : ndarray of float64
        Pearson's chi-square of the recipes' entries against the intended split
        (:attr:`Comparison.split`, equal when None).
    p_value : ndarray of float64
        Its upper tail with ``recipes - 1`` degrees of freedom.
    flagged : ndarray of bool
        ``p_value < threshold`` (False where NaN).
    reason : ndarray of object (str)
        ``""`` where the check is defined, else why ``chi2`` and ``p_value`` are NaN.
    threshold : float
        The flagging threshold, 0.001.
    """

    report: IntArray
    segment: ObjectArray
    sample_start: DatetimeArray
    entries: FloatArray
    chi2: FloatArray
    p_value: FloatArray
    flagged: BoolArray
    reason: ObjectArray
    threshold: float


@dataclass(frozen=True, eq=False, repr=False)
class Comparison:
    """Every recipe against the control on every compared step; see :func:`compare`.

    The cell arrays are read-only and shaped ``(report, recipe, step)``, or
    ``(report, sample, recipe, step)`` when ``by_sample``; the labels of each axis travel
    with them. The control's own row holds its rate and rate interval; its comparison fields
    are NaN (``significant`` False) and its note starts with ``"control"``.

    Attributes
    ----------
    reports : tuple of ReportInfo
        The reports (segment and type), in document order: the first axis.
    samples : SampleAxis
        The sample axis of the arrays when ``by_sample``; otherwise a single ``"total"``
        sample starting at the first sample's start (as :meth:`Report.sum_samples`).
    recipes : tuple of str
        The recipes, control included, in document order.
    steps : tuple of str
        The compared steps (the entry step is the denominator, not compared unless asked).
    control, entry : str
        The control recipe and the entry step.
    by_sample : bool
        Whether the arrays keep the sample axis.
    sequential : bool
        Whether ``significant`` follows the always-valid p-values (``av_p_adjusted``) rather
        than the fixed-horizon ones (``p_adjusted``).
    entries, conversions : ndarray of float64
        n (the recipe's count at the entry step) and x (its count at the step).
    rate, rate_low, rate_high : ndarray of float64
        ``x / n`` and its interval (``method``); a per-entry rate has no interval.
    diff, diff_low, diff_high : ndarray of float64
        ``rate - rate_control`` and its interval (``diff_method``).
    lift, lift_low, lift_high : ndarray of float64
        ``rate / rate_control - 1`` and its interval (``lift_method``).
    statistic, p_value : ndarray of float64
        The test (``test``) against the control; the statistic's meaning is the test's.
    p_adjusted : ndarray of float64
        The p-value adjusted (``correction``) within its family: one report [one sample].
    av_p_value, av_p_adjusted : ndarray of float64
        The always-valid p-value (:func:`~ttstats.stats.always_valid_pvalue` on the running
        totals over the samples, at the last sample, or at each sample when ``by_sample``)
        and its adjustment within the same family. Valid however often the experiment was
        looked at.
    cs_low, cs_high : ndarray of float64
        The matching confidence sequence of ``diff``
        (:func:`~ttstats.stats.confidence_sequence`), at confidence ``1 - alpha``.
    significant : ndarray of bool
        ``p_adjusted < alpha``, or ``av_p_adjusted < alpha`` when ``sequential``; False
        where NaN.
    mdl : ndarray of float64
        Minimum detectable lift at these entries with probability ``power``, by the pooled
        z-test at ``mdl_alpha``: the level at which one comparison alone is significant after
        the correction.
    mdl_alpha : ndarray of float64
        Shape ``(report,)``, or ``(report, sample)`` when ``by_sample``: ``alpha / m``, with
        ``m`` the comparisons of the family that have a p-value (Holm, Bonferroni and
        Benjamini-Hochberg all need ``p < alpha / m`` of a comparison that is significant
        alone).
    note : ndarray of object (str)
        ``""`` for a healthy comparison, else why fields are NaN or what to keep in mind.
    per_entry : ndarray of bool
        Shape ``(step,)``: the step's count exceeds its entries somewhere in the report,
        so it is a per-entry rate, never treated as a proportion.
    sample_ratio : SampleRatio
        The sample-ratio check per report [per sample].
    alpha, power : float
        Significance level (also 1 - confidence of the intervals) and the power of ``mdl``.
    method, diff_method, lift_method, test, correction : str
        The methods used.
    mixing_variance : float or None
        The mSPRT mixing variance passed to :func:`compare` (None: the default, per cell).
    split : tuple of float or None
        The intended share of each recipe (summing to 1) the sample-ratio check tested
        against; None: an equal split.
    warnings : tuple of str
        What a reader of the result must know: the caveat of summing visitor samples (also
        emitted as :class:`~ttstats.AggregationWarning`) and every flagged sample-ratio
        mismatch.
    """

    reports: tuple[ReportInfo, ...]
    samples: SampleAxis
    recipes: tuple[str, ...]
    steps: tuple[str, ...]
    control: str
    entry: str
    by_sample: bool
    entries: FloatArray
    conversions: FloatArray
    rate: FloatArray
    rate_low: FloatArray
    rate_high: FloatArray
    diff: FloatArray
    diff_low: FloatArray
    diff_high: FloatArray
    lift: FloatArray
    lift_low: FloatArray
    lift_high: FloatArray
    statistic: FloatArray
    p_value: FloatArray
    p_adjusted: FloatArray
    significant: BoolArray
    mdl: FloatArray
    mdl_alpha: FloatArray
    av_p_value: FloatArray
    av_p_adjusted: FloatArray
    cs_low: FloatArray
    cs_high: FloatArray
    note: ObjectArray
    per_entry: BoolArray
    sample_ratio: SampleRatio
    alpha: float
    power: float
    method: str
    diff_method: str
    lift_method: str
    test: str
    correction: str
    sequential: bool = False
    mixing_variance: float | None = None
    split: tuple[float, ...] | None = None
    warnings: tuple[str, ...] = ()

    # -- labels ---------------------------------------------------------------------------
    @property
    def segments(self) -> tuple[str | None, ...]:
        """The segment of each report (None for the aggregate of all segments)."""
        return tuple(info.segment for info in self.reports)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the cell arrays."""
        return tuple(self.rate.shape)

    @property
    def control_index(self) -> int:
        """Position of the control in :attr:`recipes`."""
        return self.recipes.index(self.control)

    @property
    def is_control(self) -> BoolArray:
        """Shape ``(recipe,)``: True for the control."""
        return np.asarray([r == self.control for r in self.recipes], dtype=bool)

    # -- frames ---------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per (report, [sample,] recipe, step), in that order.

        Returns
        -------
        pandas.DataFrame
            The columns :data:`FRAME_COLUMNS` first, then :data:`FRAME_EXTRAS`; the names
            never change with the arguments of :func:`compare`. ``segment`` is missing
            for the aggregate report (None); ``sample_start`` and ``duration`` describe the sample (the
            first sample's start and ``"total"`` when the samples were summed).
        """
        import pandas as pd

        shape = self.shape
        idx = [ix.ravel() for ix in np.indices(shape, dtype=np.intp)]
        ri, ki, ti = idx[0], idx[-2], idx[-1]
        si = idx[1] if self.by_sample else np.zeros_like(ri)
        info = _report_columns(self.reports, ri)
        cells: dict[str, Any] = {
            "report": ri.astype(np.int64),
            "segment": info["segment"],
            "recipe": _labels(self.recipes, ki),
            "step": _labels(self.steps, ti),
        }
        for name in FRAME_COLUMNS[4:-2]:
            cells[name] = getattr(self, name).ravel()
        cells["significant"] = self.significant.ravel()
        cells["note"] = self.note.ravel()
        cells["type"] = info["type"]
        cells["segment_id"] = info["segment_id"]
        cells.update(_sample_columns(self.samples, si))
        cells["is_control"] = self.is_control[ki]
        cells["per_entry"] = self.per_entry[ti]
        cells["statistic"] = self.statistic.ravel()
        cells["mdl"] = self.mdl.ravel()
        for name in FRAME_EXTRAS[-4:]:
            cells[name] = getattr(self, name).ravel()
        frame: pd.DataFrame = pd.DataFrame(
            _keep_objects(cells), columns=[*FRAME_COLUMNS, *FRAME_EXTRAS]
        )
        return frame

    def sample_ratio_frame(self) -> pd.DataFrame:
        """The sample-ratio check as one row per report [per sample].

        Returns
        -------
        pandas.DataFrame
            Columns :data:`SAMPLE_RATIO_COLUMNS`.
        """
        import pandas as pd

        srm = self.sample_ratio
        ri = srm.report.ravel()
        si = (
            np.indices(srm.report.shape, dtype=np.intp)[1].ravel()
            if self.by_sample
            else np.zeros_like(ri)
        )
        info = _report_columns(self.reports, ri)
        cells: dict[str, Any] = {
            "report": ri.astype(np.int64),
            "segment": info["segment"],
            "type": info["type"],
            "segment_id": info["segment_id"],
            **_sample_columns(self.samples, si),
            "entries": srm.entries.ravel(),
            "chi2": srm.chi2.ravel(),
            "p_value": srm.p_value.ravel(),
            "flagged": srm.flagged.ravel(),
            "reason": srm.reason.ravel(),
        }
        frame: pd.DataFrame = pd.DataFrame(_keep_objects(cells), columns=list(SAMPLE_RATIO_COLUMNS))
        return frame

    def _repr_html_(self) -> str | None:
        import pandas as pd

        # the fixed columns, all of them: pandas would hide the middle ones behind "..."
        with pd.option_context("display.max_columns", None, "display.width", None):
            html: str | None = self.to_frame()[list(FRAME_COLUMNS)]._repr_html_()
        return html

    def __repr__(self) -> str:
        r = len(self.reports)
        per = f", {len(self.samples)} sample(s)" if self.by_sample else ""
        flagged = int(self.sample_ratio.flagged.sum())
        return (
            f"<Comparison vs {self.control!r}: {r} report(s){per}, "
            f"{len(self.recipes)} recipe(s), {len(self.steps)} step(s); "
            f"{int(self.significant.sum())} significant at alpha={self.alpha:g} "
            f"({'always-valid' if self.sequential else self.test}, {self.correction}); "
            f"{flagged} sample-ratio flag(s)>"
        )


def _keep_objects(cells: dict[str, Any]) -> dict[str, Any]:
    """Object columns as object Series, so that pandas keeps ``None`` instead of NaN."""
    import pandas as pd

    return {
        k: pd.Series(v, dtype=object) if isinstance(v, np.ndarray) and v.dtype == object else v
        for k, v in cells.items()
    }


def _labels(names: tuple[str, ...], index: IntArray) -> ObjectArray:
    out: ObjectArray = np.asarray(names, dtype=object)[index] if names else np.empty(0, object)
    return out


def _report_columns(reports: tuple[ReportInfo, ...], index: IntArray) -> dict[str, Any]:
    import pandas as pd

    segment = np.asarray([x.segment for x in reports] or [None], dtype=object)
    kind = np.asarray([x.type for x in reports] or [None], dtype=object)
    seg_id = pd.array([x.segment_id for x in reports] or [None], dtype="Int64")
    return {"segment": segment[index], "type": kind[index], "segment_id": seg_id.take(index)}


def _sample_columns(samples: SampleAxis, index: IntArray) -> dict[str, Any]:
    import pandas as pd

    start = samples.start.astype("datetime64[ns]")
    duration = np.asarray(samples.duration, dtype=object)
    if not len(samples):
        start, duration = np.array(["NaT"], dtype="datetime64[ns]"), np.array([""], object)
    return {"sample_start": pd.to_datetime(start[index]), "duration": duration[index]}

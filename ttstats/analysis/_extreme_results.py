"""The results of :mod:`ttstats.analysis.extreme`: labelled, read-only arrays and their frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..parse import ReportInfo

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

#: Verdict of a recipe whose mean is significantly above the control's.
HIGHER = "higher"
#: Verdict of a recipe whose mean is significantly below the control's.
LOWER = "lower"
#: Verdict of a recipe whose difference from the control is not significant.
NOT_SIGNIFICANT = "not significant"
#: Verdict of the control's own row.
CONTROL = "control"
#: Verdict where no test is possible (the note says why).
UNDEFINED = "undefined"

#: The columns of :meth:`ExtremeOrders.to_frame`, in this order, whatever the arguments.
EXTREME_COLUMNS: tuple[str, ...] = (
    "report",
    "segment",
    "recipe",
    "units",
    "mean",
    "std",
    "threshold_low",
    "threshold_high",
    "max_extreme",
    "verdict",
    "flip_k",
    "p_value",
    "p_value_vs_rest",
    "note",
)

#: The columns of :meth:`Sensitivity.to_frame` and :meth:`Sensitivity.flips`, in this order.
SENSITIVITY_COLUMNS: tuple[str, ...] = (
    "report",
    "segment",
    "recipe",
    "step",
    "measure",
    "units_with",
    "units_without",
    "mean_with",
    "mean_without",
    "lift_with",
    "lift_without",
    "lift_low_with",
    "lift_high_with",
    "lift_low_without",
    "lift_high_without",
    "p_value_with",
    "p_value_without",
    "verdict_with",
    "verdict_without",
    "flipped",
    "total_with",
    "total_without",
    "total_change",
    "share_of_change",
    "note",
)

#: The measures of a :class:`Sensitivity`, along its last axis.
SENSITIVITY_MEASURES: tuple[str, ...] = ("engagement", "revenue")


@dataclass(frozen=True, eq=False, repr=False)
class ExtremeOrders:
    r"""How far extreme values could move each recipe's verdict; see :func:`extreme_orders`.

    Arrays are read-only, shaped ``(report, recipe)`` (per report: ``(report,)``).

    Attributes
    ----------
    reports : tuple of ReportInfo
        The reports (segments), in document order: the first axis.
    recipes : tuple of str
        The recipes, control included.
    control, metric : str
        The control recipe and the step whose engagement triple holds the values.
    k_sigma, alpha : float
        Threshold width in standard deviations, and the significance level.
    units, mean, std : ndarray of float64
        Per recipe: values (``count``), their mean and sample standard deviation.
    campaign_units, campaign_mean, campaign_std : ndarray of float64
        Per report, the pooled values (the "Campaign" summary recipe).
    threshold_low, threshold_high : ndarray of float64
        Per report: :math:`\bar x \mp k_\sigma s` of the pooled values.
    max_extreme : ndarray of float64
        The bound on how many of the recipe's values lie beyond a threshold (a whole
        number; NaN where undefined).
    verdict : ndarray of object (str)
        ``"higher"``, ``"lower"``, ``"not significant"`` (Welch's test against the control at
        ``alpha``), ``"control"`` or ``"undefined"``.
    p_value, p_value_vs_rest : ndarray of float64
        Welch's two-sided p-value against the control, and against the rest of the campaign
        (Campaign minus the recipe).
    flip_k : ndarray of float64
        The smallest number of values at the upper threshold whose removal flips the
        verdict (NaN where no removal up to ``max_extreme`` does). In the control's row:
        removals from the control that flip the verdict of any recipe.
    flip_p_value : ndarray of float64
        The p-value after removing ``flip_k`` values (control row: of the first recipe that
        flips).
    note : ndarray of object (str)
        ``""`` when every field is defined, else what is missing and why.
    warnings : tuple of str
        What a reader must keep in mind for the whole result.
    """

    reports: tuple[ReportInfo, ...]
    recipes: tuple[str, ...]
    control: str
    metric: str
    k_sigma: float
    alpha: float
    units: FloatArray
    mean: FloatArray
    std: FloatArray
    campaign_units: FloatArray
    campaign_mean: FloatArray
    campaign_std: FloatArray
    threshold_low: FloatArray
    threshold_high: FloatArray
    max_extreme: FloatArray
    verdict: ObjectArray
    p_value: FloatArray
    p_value_vs_rest: FloatArray
    flip_k: FloatArray
    flip_p_value: FloatArray
    note: ObjectArray
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per (report, recipe), in that order.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`EXTREME_COLUMNS`. ``segment`` is None for the aggregate report;
            ``max_extreme`` and ``flip_k`` are nullable integers (``<NA>`` where undefined or
            where no removal flips the verdict); thresholds repeat on each recipe's row.
        """
        import pandas as pd

        r, k = self.units.shape
        ri, ki = (ix.ravel() for ix in np.indices((r, k), dtype=np.intp))
        cells: dict[str, Any] = {
            "report": ri.astype(np.int64),
            "segment": _segments(self.reports, ri),
            "recipe": np.asarray(self.recipes, dtype=object)[ki],
            "units": self.units.ravel(),
            "mean": self.mean.ravel(),
            "std": self.std.ravel(),
            "threshold_low": self.threshold_low[ri],
            "threshold_high": self.threshold_high[ri],
            "max_extreme": _nullable_int(self.max_extreme.ravel()),
            "verdict": self.verdict.ravel(),
            "flip_k": _nullable_int(self.flip_k.ravel()),
            "p_value": self.p_value.ravel(),
            "p_value_vs_rest": self.p_value_vs_rest.ravel(),
            "note": self.note.ravel(),
        }
        frame: pd.DataFrame = pd.DataFrame(_objects(cells), columns=list(EXTREME_COLUMNS))
        return frame

    def __repr__(self) -> str:
        flips = int(np.isfinite(self.flip_k).sum())
        return (
            f"<ExtremeOrders on {self.metric!r} vs {self.control!r}: {len(self.reports)} "
            f"report(s), {len(self.recipes)} recipe(s), threshold mean ± {self.k_sigma:g} SD; "
            f"{flips} verdict(s) can flip>"
        )


@dataclass(frozen=True, eq=False, repr=False)
class Sensitivity:
    """The same request with and without extreme orders; see :func:`extreme_order_sensitivity`.

    Cell arrays are read-only, shaped ``(report, recipe, step, measure)`` with the measures
    :data:`SENSITIVITY_MEASURES`: ``"engagement"`` (the step's engagement triple: mean per
    unit with a value, Welch's test and the lift interval) and ``"revenue"`` (revenue per
    entry: Welch's test and the lift interval where the step's engagement triple holds its
    order values, else a point estimate, since a revenue total has no sum of squares).

    Attributes
    ----------
    reports : tuple of ReportInfo
        The reports (segments), in document order.
    recipes, steps : tuple of str
        The recipes (control included) and the compared steps.
    control : str
        The control recipe.
    alpha : float
        Significance level, and 1 - confidence of the intervals.
    available : ndarray of bool
        ``(step, measure)``: the measure is reported on the step in either report.
    units_with, units_without : ndarray of float64
        Units with a value (engagement) or entries (revenue).
    mean_with, mean_without, lift_with, lift_without : ndarray of float64
        The mean and its lift over the control's.
    lift_low_with, lift_high_with, lift_low_without, lift_high_without : ndarray of float64
        The lift's interval (engagement only).
    p_value_with, p_value_without : ndarray of float64
        Welch's two-sided p-value against the control (engagement only).
    verdict_with, verdict_without : ndarray of object (str)
        As :attr:`ExtremeOrders.verdict`.
    flipped : ndarray of bool
        Both verdicts defined and different.
    total_with, total_without, total_change : ndarray of float64
        The recipe's total (engagement total or revenue) in each report and
        ``total_without - total_with``.
    share_of_change : ndarray of float64
        ``total_change`` over the change of the Campaign total.
    campaign_total_with, campaign_total_without : ndarray of float64
        ``(report, step, measure)``: the Campaign totals.
    note : ndarray of object (str)
        ``""`` when every field is defined, else what is missing and why.
    warnings : tuple of str
        What a reader must keep in mind for the whole result.
    """

    reports: tuple[ReportInfo, ...]
    recipes: tuple[str, ...]
    steps: tuple[str, ...]
    control: str
    alpha: float
    available: BoolArray
    units_with: FloatArray
    units_without: FloatArray
    mean_with: FloatArray
    mean_without: FloatArray
    lift_with: FloatArray
    lift_without: FloatArray
    lift_low_with: FloatArray
    lift_high_with: FloatArray
    lift_low_without: FloatArray
    lift_high_without: FloatArray
    p_value_with: FloatArray
    p_value_without: FloatArray
    verdict_with: ObjectArray
    verdict_without: ObjectArray
    flipped: BoolArray
    total_with: FloatArray
    total_without: FloatArray
    total_change: FloatArray
    share_of_change: FloatArray
    campaign_total_with: FloatArray
    campaign_total_without: FloatArray
    note: ObjectArray
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per (report, recipe, step, measure) whose measure is reported.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`SENSITIVITY_COLUMNS`, rows in (report, recipe, step, measure)
            order; ``segment`` is None for the aggregate report.
        """
        return self._frame(np.broadcast_to(self.available, self.flipped.shape))

    def flips(self) -> pd.DataFrame:
        """The rows of :meth:`to_frame` whose verdict flips (same columns)."""
        return self._frame(self.flipped)

    def _frame(self, keep: BoolArray) -> pd.DataFrame:
        import pandas as pd

        ri, ki, ti, mi = np.nonzero(keep)
        cells: dict[str, Any] = {
            "report": ri.astype(np.int64),
            "segment": _segments(self.reports, ri),
            "recipe": np.asarray(self.recipes, dtype=object)[ki],
            "step": np.asarray(self.steps, dtype=object)[ti],
            "measure": np.asarray(SENSITIVITY_MEASURES, dtype=object)[mi],
        }
        for name in SENSITIVITY_COLUMNS[5:]:
            cells[name] = getattr(self, name)[ri, ki, ti, mi]
        frame: pd.DataFrame = pd.DataFrame(_objects(cells), columns=list(SENSITIVITY_COLUMNS))
        return frame

    def __repr__(self) -> str:
        return (
            f"<Sensitivity vs {self.control!r}: {len(self.reports)} report(s), "
            f"{len(self.recipes)} recipe(s), {len(self.steps)} step(s); "
            f"{int(self.flipped.sum())} verdict(s) flip at alpha={self.alpha:g}>"
        )


def _segments(reports: tuple[ReportInfo, ...], index: npt.NDArray[np.intp]) -> ObjectArray:
    out: ObjectArray = np.asarray([x.segment for x in reports] or [None], dtype=object)[index]
    return out


def _nullable_int(values: FloatArray) -> Any:
    import pandas as pd

    return pd.array([None if np.isnan(v) else int(v) for v in values], dtype="Int64")


def _objects(cells: dict[str, Any]) -> dict[str, Any]:
    """Object columns as object Series, so that pandas keeps ``None`` instead of NaN."""
    import pandas as pd

    return {
        k: pd.Series(v, dtype=object) if isinstance(v, np.ndarray) and v.dtype == object else v
        for k, v in cells.items()
    }

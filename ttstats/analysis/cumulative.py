"""``cumulative``: how an experiment evolved, sample after sample, with always-valid inference.

The running totals of every recipe over a report's samples, the running rate, difference and
lift against the control with their fixed-horizon intervals (a picture, not a test: each is
valid only at a sample size fixed in advance), and the always-valid p-value and confidence
sequence that stay valid however often one looks.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import AggregationWarning
from ..parse import Report, ReportInfo, SampleAxis
from ..stats import (
    always_valid_pvalue,
    confidence_sequence,
    lift_interval,
    proportion_interval,
    proportion_test,
)
from ..stats.hypothesis_tests import TEST_METHODS, TestMethod
from ..stats.proportions import LIFT_METHODS, PROPORTION_METHODS, LiftMethod, ProportionMethod
from ._cells import alpha_level, choice, not_count, position, report_arg, visitor_caveat
from ._comparison import BoolArray, FloatArray, ObjectArray, _keep_objects, _labels
from ._notes import NOTE_CONTROL, NOTE_NOT_COUNT, NOTE_PER_ENTRY, join, prefixed, text

if TYPE_CHECKING:
    import pandas as pd

#: The columns of :meth:`Cumulative.to_frame`, in this order, whatever the arguments.
FRAME_COLUMNS: tuple[str, ...] = (
    "report",
    "segment",
    "type",
    "sample_start",
    "duration",
    "recipe",
    "is_control",
    "entries",
    "conversions",
    "cum_entries",
    "cum_conversions",
    "rate",
    "rate_low",
    "rate_high",
    "diff",
    "cs_low",
    "cs_high",
    "lift",
    "lift_low",
    "lift_high",
    "p_value",
    "av_p_value",
    "note",
)

NOTE_NOT_REPORTED = "not reported in this sample: adds nothing to the running totals"


@dataclass(frozen=True, eq=False, repr=False)
class Cumulative:
    """Running totals and comparisons of one metric, per report, sample and recipe.

    Arrays are read-only and shaped ``(report, sample, recipe)`` over the report's sample
    axis; a sample outside a report's grid (before its first or after its last sample) is
    NaN there. :meth:`to_frame` gives one row per (report, sample in its grid, recipe).

    Attributes
    ----------
    reports, samples, recipes : labels of the axes
    control, metric, entry : str
    in_grid : ndarray of bool, shape (report, sample)
        The samples on each report's grid.
    entries, conversions : ndarray of float64
        The sample's own counts (0 for a sample the API omitted).
    cum_entries, cum_conversions : ndarray of float64
        Running totals up to and including the sample.
    rate, rate_low, rate_high : ndarray of float64
        Running rate and its interval (``method``).
    diff, cs_low, cs_high : ndarray of float64
        Running difference from the control and its always-valid confidence sequence.
    lift, lift_low, lift_high : ndarray of float64
        Running lift and its fixed-horizon interval (``lift_method``).
    p_value : ndarray of float64
        The fixed-horizon test (``test``) of the running totals; valid at one look only.
    av_p_value : ndarray of float64
        The always-valid p-value (never increasing along the samples).
    note : ndarray of object (str)
        ``""`` where every field is defined, else why not (``"control"`` on its rows).
    alpha : float
    method, lift_method, test : str
    per_entry : bool
        The metric's count exceeds its entries somewhere: a per-entry rate, no statistics.
    """

    reports: tuple[ReportInfo, ...]
    samples: SampleAxis
    recipes: tuple[str, ...]
    control: str
    metric: str
    entry: str
    in_grid: BoolArray
    entries: FloatArray
    conversions: FloatArray
    cum_entries: FloatArray
    cum_conversions: FloatArray
    rate: FloatArray
    rate_low: FloatArray
    rate_high: FloatArray
    diff: FloatArray
    cs_low: FloatArray
    cs_high: FloatArray
    lift: FloatArray
    lift_low: FloatArray
    lift_high: FloatArray
    p_value: FloatArray
    av_p_value: FloatArray
    note: ObjectArray
    alpha: float
    method: str
    lift_method: str
    test: str
    per_entry: bool

    @property
    def control_index(self) -> int:
        """Position of the control in :attr:`recipes`."""
        return self.recipes.index(self.control)

    def to_frame(self) -> pd.DataFrame:
        """One row per (report, sample of its grid, recipe), in that order.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`FRAME_COLUMNS`; ``segment`` is None for the aggregate report,
            ``sample_start`` a datetime column.
        """
        import pandas as pd

        idx = np.indices(self.rate.shape, dtype=np.intp)
        keep = np.broadcast_to(self.in_grid[:, :, None], self.rate.shape)
        ri, si, ki = idx[0][keep], idx[1][keep], idx[2][keep]
        segment = np.asarray([x.segment for x in self.reports] or [None], dtype=object)
        kind = np.asarray([x.type for x in self.reports] or [None], dtype=object)
        cells: dict[str, Any] = {
            "report": ri.astype(np.int64),
            "segment": segment[ri],
            "type": kind[ri],
            "sample_start": pd.to_datetime(self.samples.start.astype("datetime64[ns]")[si]),
            "duration": np.asarray(self.samples.duration, dtype=object)[si]
            if len(self.samples)
            else np.empty(0, dtype=object),
            "recipe": _labels(self.recipes, ki),
            "is_control": ki == self.control_index,
        }
        for name in FRAME_COLUMNS[7:]:
            cells[name] = getattr(self, name)[keep]
        frame: pd.DataFrame = pd.DataFrame(_keep_objects(cells), columns=list(FRAME_COLUMNS))
        return frame

    def _repr_html_(self) -> str | None:
        import pandas as pd

        with pd.option_context("display.max_columns", None, "display.width", None):
            html: str | None = self.to_frame()[list(FRAME_COLUMNS)]._repr_html_()
        return html

    def __repr__(self) -> str:
        return (
            f"<Cumulative {self.metric!r} vs {self.control!r}: {len(self.reports)} report(s), "
            f"{len(self.samples)} sample(s), {len(self.recipes)} recipe(s)>"
        )


def cumulative(
    report: Report,
    control: str,
    *,
    metric: str | None = None,
    entry: str = "Entry",
    method: ProportionMethod = "wilson",
    lift_method: LiftMethod = "delta",
    test: TestMethod = "z",
    alpha: float = 0.05,
    mixing_variance: float | None = None,
) -> Cumulative:
    r"""Running totals, rates and comparisons of one metric over each report's samples.

    Parameters
    ----------
    report : Report
        A parsed report (hour, day, week or month samples).
    control : str
        The control recipe.
    metric : str, optional
        The step whose count is the conversions; default the last step.
    entry : str, default "Entry"
        The step whose count is the entries.
    method : {"wilson", "wald", "adobe", "agresti_coull", "jeffreys", "clopper_pearson"}
        Interval of the running rate.
    lift_method : {"delta", "fieller", "score"}
        Interval of the running lift.
    test : {"z", "chi2", "yates", "fisher", "adobe", "tt_legacy"}
        The fixed-horizon test of the running totals.
    alpha : float, default 0.05
        Significance level; intervals and the confidence sequence at ``1 - alpha``.
    mixing_variance : float, optional
        The mixing variance of the always-valid test
        (:func:`~ttstats.stats.always_valid_pvalue`); default per recipe, from the pooled
        rate at the first sample with a conversion (later samples never change it).

    Returns
    -------
    Cumulative
        Arrays over ``(report, sample, recipe)`` and :meth:`Cumulative.to_frame`.

    Raises
    ------
    UnknownLabelError
        ``control`` is not a recipe, ``metric`` or ``entry`` not a step.
    ValueError
        ``metric`` is ``entry``; an unknown method; ``alpha`` outside (0, 1).

    Warns
    -----
    AggregationWarning
        A ``visitor`` report with more than one sample: its running totals count a returning
        visitor once per sample.

    Notes
    -----
    Within a report's grid a sample the API omitted holds zeros and adds nothing, so the
    running totals step over it unchanged; a cell not reported in a present sample (NaN)
    adds nothing either, and its row says so, as the summed totals of
    :func:`~ttstats.compare` do. The last sample's row therefore repeats
    :func:`~ttstats.compare`'s totals, rates, lift, p-value and always-valid p-value for the
    metric (with the default ``by_sample=False``). A count that is not a whole number >= 0
    in any sample takes the recipe out of every statistic (note
    :data:`~ttstats.analysis._notes.NOTE_NOT_COUNT`); a metric whose count exceeds its entries
    anywhere is a per-entry rate: rates only.

    ``p_value``, ``lift_low`` and ``lift_high`` are the fixed-horizon answers **at each sample
    taken alone**: watching them and stopping when they look significant is peeking, with a
    false-positive rate far above ``alpha``. ``av_p_value`` and ``cs_low``/``cs_high``
    are valid at every sample at once.

    Examples
    --------
    >>> import ttstats
    >>> from ttstats.cli import example_report_path
    >>> res = cumulative(ttstats.read_report(example_report_path()), "Control")
    >>> frame = res.to_frame()
    >>> last = frame[(frame.sample_start == frame.sample_start.max()) & frame.segment.isna()]
    >>> cols = ["recipe", "cum_entries", "cum_conversions", "av_p_value"]
    >>> print(last[cols].round(4).to_string(index=False))
                  recipe  cum_entries  cum_conversions  av_p_value
                 Control      19038.0            759.0         NaN
    Free shipping banner      18750.0            916.0      0.0013
       Bigger buy button      18835.0            773.0      0.8054
    """
    report_arg(report)
    choice(method, PROPORTION_METHODS, "method")
    choice(lift_method, LIFT_METHODS, "lift_method")
    choice(test, TEST_METHODS, "test")
    a = alpha_level(alpha)
    c = position(report.recipes, control, "control", "recipe")
    e = position(report.steps, entry, "entry", "step")
    name = report.steps[-1] if metric is None else metric
    j = position(report.steps, name, "metric", "step")
    if j == e:
        raise ValueError(f"metric={name!r} is the entry step: nothing to compare")
    caveat = visitor_caveat(report, "the running totals")
    if caveat:
        warnings.warn(caveat, AggregationWarning, stacklevel=2)
    grid = np.asarray(report.in_grid, dtype=bool)[:, :, None]  # (report, sample, 1)
    x_raw, n_raw = report.count[..., j], report.count[..., e]  # (report, sample, recipe)
    not_reported = grid & (np.isnan(x_raw) | np.isnan(n_raw))
    # a sample counts only where it reports both (as compare sums them): no entries without
    # their conversions
    x_raw = np.where(np.isnan(n_raw), np.nan, x_raw)
    n_raw = np.where(np.isnan(x_raw), np.nan, n_raw)
    bad = (not_count(x_raw) | not_count(n_raw)).any(axis=1, keepdims=True)
    shape = x_raw.shape
    running_x = np.cumsum(np.where(np.isnan(x_raw) | ~grid, 0.0, x_raw), axis=1)
    running_n = np.cumsum(np.where(np.isnan(n_raw) | ~grid, 0.0, n_raw), axis=1)
    outside = np.broadcast_to(~grid, shape)
    with np.errstate(invalid="ignore"):
        per_entry = bool(np.any(report.count[..., j] > report.count[..., e])) or bool(
            np.any(report.campaign.count[..., j] > report.campaign.count[..., e])
        )
    off = outside | np.broadcast_to(bad, shape)  # rows without any figure
    cum_x = np.where(off, np.nan, running_x)
    cum_n = np.where(off, np.nan, running_n)
    stat_off = off | per_entry  # rows without statistics
    xs, ns = np.where(stat_off, np.nan, cum_x), np.where(stat_off, np.nan, cum_n)
    xc, nc = xs[..., c : c + 1], ns[..., c : c + 1]
    is_control = np.broadcast_to(np.arange(shape[2]) == c, shape)

    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(cum_n > 0, cum_x / cum_n, np.nan)
        rate_c = rate[..., c : c + 1]
        diff = np.where(is_control, np.nan, rate - rate_c)
        lift = np.where(is_control | ~(rate_c > 0), np.nan, rate / rate_c - 1.0)
    rate_ci = proportion_interval(xs, ns, method=method, alpha=a)
    lift_ci = lift_interval(xs, ns, xc, nc, method=lift_method, alpha=a)
    fixed = proportion_test(xs, ns, xc, nc, method=test)
    av_in = xs, ns  # NaN outside the report's grid: no look there
    av_c = av_in[0][..., c : c + 1], av_in[1][..., c : c + 1]
    av = always_valid_pvalue(*av_in, *av_c, mixing_variance=mixing_variance, axis=1)
    cs = confidence_sequence(*av_in, *av_c, alpha=a, mixing_variance=mixing_variance, axis=1)

    def compared(values: FloatArray) -> FloatArray:
        out: FloatArray = np.where(is_control | stat_off, np.nan, values)
        return out

    note = _notes(
        is_control=is_control,
        quiet=stat_off,
        outside=outside,
        bad=np.broadcast_to(bad, shape),
        per_entry=per_entry,
        not_reported=not_reported,
        rate_reason=rate_ci.reason,
        lift_reason=lift_ci.reason,
        test_reason=fixed.reason,
        av_reason=np.asarray(av.reason, dtype=object),
    )
    return Cumulative(
        reports=report.reports,
        samples=report.samples,
        recipes=report.recipes,
        control=control,
        metric=name,
        entry=entry,
        in_grid=frozen(np.asarray(report.in_grid, dtype=bool)),
        entries=frozen(np.where(outside, np.nan, np.where(grid, n_raw, np.nan))),
        conversions=frozen(np.where(outside, np.nan, np.where(grid, x_raw, np.nan))),
        cum_entries=frozen(cum_n),
        cum_conversions=frozen(cum_x),
        rate=frozen(rate),
        rate_low=frozen(rate_ci.low),
        rate_high=frozen(rate_ci.high),
        diff=frozen(np.where(stat_off & ~per_entry, np.nan, diff)),
        cs_low=frozen(compared(cs.low)),
        cs_high=frozen(compared(cs.high)),
        lift=frozen(np.where(stat_off & ~per_entry, np.nan, lift)),
        lift_low=frozen(compared(lift_ci.low)),
        lift_high=frozen(compared(lift_ci.high)),
        p_value=frozen(compared(fixed.pvalue)),
        av_p_value=frozen(compared(av.pvalue)),
        note=frozen(note),
        alpha=a,
        method=method,
        lift_method=lift_method,
        test=test,
        per_entry=per_entry,
    )


def _notes(
    *,
    is_control: BoolArray,
    quiet: BoolArray,
    outside: BoolArray,
    bad: BoolArray,
    per_entry: bool,
    not_reported: BoolArray,
    rate_reason: ObjectArray,
    lift_reason: ObjectArray,
    test_reason: ObjectArray,
    av_reason: ObjectArray,
) -> ObjectArray:
    shape = is_control.shape
    treated = ~is_control
    # rows without statistics say why once; the statistics' own reasons would only repeat it
    rate_reason = np.where(quiet, "", rate_reason).astype(object)
    lifted = (lift_reason != "") & treated & ~quiet
    tested = (test_reason != "") & treated & (test_reason != lift_reason) & ~quiet
    always = (av_reason != "") & treated & (av_reason != test_reason) & ~quiet
    out = join(
        text(is_control, NOTE_CONTROL),
        text(bad, NOTE_NOT_COUNT),
        text(np.full(shape, per_entry) & ~bad, NOTE_PER_ENTRY if per_entry else ""),
        text(np.broadcast_to(not_reported, shape), NOTE_NOT_REPORTED),
        np.where(treated, prefixed("treatment: ", rate_reason), rate_reason).astype(object),
        np.where(lifted, prefixed("lift: ", lift_reason), "").astype(object),
        np.where(tested, prefixed("test: ", test_reason), "").astype(object),
        np.where(always, prefixed("always-valid: ", av_reason), "").astype(object),
    )
    out[outside] = ""
    return out


def frozen(arr: Any) -> Any:
    out = np.array(arr, copy=True)
    out.setflags(write=False)
    return out

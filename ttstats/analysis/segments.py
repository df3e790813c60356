r"""``compare_segments``: does the lift differ between segments, and does the aggregate mislead?

A report requested with ``segment=allSegments`` holds one report per segment plus the
aggregate of all segments. Segments may overlap (a visitor can belong to two), so the
aggregate is never derived by summing them: it is the aggregate report the file holds, and
when it holds none the result says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import AggregationWarning
from ..parse import Report
from ..stats import cochran_q
from ..stats.hypothesis_tests import TestMethod
from ..stats.multiple import AdjustMethod
from ..stats.proportions import ProportionMethod
from ._cells import position
from ._compare import compare
from ._comparison import BoolArray, Comparison, FloatArray, ObjectArray, _keep_objects

if TYPE_CHECKING:
    import pandas as pd

#: The columns of :meth:`Segments.to_frame`, in this order, whatever the arguments.
FRAME_COLUMNS: tuple[str, ...] = (
    "type",
    "recipe",
    "segments",
    "aggregate_report",
    "aggregate_lift",
    "aggregate_diff",
    "lift_min",
    "lift_max",
    "q",
    "df",
    "p_value",
    "i_squared",
    "simpson",
    "note",
)

NOTE_NO_AGGREGATE = (
    "no aggregate report: segments may overlap, so the aggregate is not their sum; "
    "request the report without a segment to get it"
)
NOTE_OVERLAP = "Cochran's Q assumes segments that do not overlap"


@dataclass(frozen=True, eq=False, repr=False)
class Segments:
    """Per-segment comparisons of one metric, heterogeneity of the lift, Simpson's paradox.

    Arrays are shaped ``(group, recipe)``: a group is the set of reports of one type (a
    request without ``type`` returns one set per type), a recipe every recipe (the
    control's row is NaN).

    Attributes
    ----------
    comparison : Comparison
        :func:`~ttstats.compare` of every report (segment and aggregate) on the metric, with
        its sample-ratio check per report (per segment).
    types : tuple of (str or None)
        The type of each group.
    segment_reports : tuple of tuple of int
        Per group, the positions of its segment reports.
    aggregate_report : tuple of (int or None)
        Per group, the position of its aggregate report, None when the file holds none.
    metric, control : str
    aggregate_lift, aggregate_diff : ndarray of float64
        The aggregate report's lift and difference (NaN without an aggregate).
    lift_min, lift_max : ndarray of float64
        The smallest and largest segment lift.
    q, df, p_value, i_squared, segments : ndarray of float64
        Cochran's Q over the segments' log lifts (:func:`~ttstats.stats.cochran_q`), its
        degrees of freedom, p-value and :math:`I^2`; ``segments`` the segments that count.
    simpson : ndarray of bool
        The aggregate's difference has the opposite sign of every segment's (at least two).
    note : ndarray of object (str)
        Why a field is NaN, what to keep in mind.
    warnings : tuple of str
        Every Simpson's paradox (also emitted as :class:`~ttstats.AggregationWarning`), and
        each group without an aggregate report.
    """

    comparison: Comparison
    types: tuple[str | None, ...]
    segment_reports: tuple[tuple[int, ...], ...]
    aggregate_report: tuple[int | None, ...]
    metric: str
    control: str
    aggregate_lift: FloatArray
    aggregate_diff: FloatArray
    lift_min: FloatArray
    lift_max: FloatArray
    q: FloatArray
    df: FloatArray
    p_value: FloatArray
    i_squared: FloatArray
    segments: FloatArray
    simpson: BoolArray
    note: ObjectArray
    warnings: tuple[str, ...] = ()

    @property
    def recipes(self) -> tuple[str, ...]:
        """The recipes, control included."""
        return self.comparison.recipes

    def to_frame(self) -> pd.DataFrame:
        """One row per (group, recipe other than the control).

        Returns
        -------
        pandas.DataFrame
            Columns :data:`FRAME_COLUMNS`; ``aggregate_report`` is an integer column with
            missing values (pandas ``Int64``).
        """
        import pandas as pd

        c = self.comparison.control_index
        rows = [(g, k) for g in range(len(self.types)) for k in range(len(self.recipes)) if k != c]
        gi = np.asarray([g for g, _ in rows], dtype=np.intp)
        ki = np.asarray([k for _, k in rows], dtype=np.intp)
        cells: dict[str, Any] = {
            "type": np.asarray(self.types, dtype=object)[gi] if rows else [],
            "recipe": np.asarray(self.recipes, dtype=object)[ki] if rows else [],
            "segments": self.segments[gi, ki],
            "aggregate_report": pd.array(
                [self.aggregate_report[g] for g in gi.tolist()], dtype="Int64"
            ),
        }
        for name in FRAME_COLUMNS[4:]:
            cells[name] = getattr(self, name)[gi, ki]
        frame: pd.DataFrame = pd.DataFrame(_keep_objects(cells), columns=list(FRAME_COLUMNS))
        return frame

    def segment_frame(self) -> pd.DataFrame:
        """The comparison of every report (segment and aggregate) on the metric, one row per
        (report, recipe): :meth:`Comparison.to_frame` of :attr:`comparison`."""
        return self.comparison.to_frame()

    def sample_ratio_frame(self) -> pd.DataFrame:
        """The sample-ratio check of every report (segment and aggregate)."""
        return self.comparison.sample_ratio_frame()

    def _repr_html_(self) -> str | None:
        html: str | None = self.to_frame()[list(FRAME_COLUMNS)]._repr_html_()
        return html

    def __repr__(self) -> str:
        return (
            f"<Segments {self.metric!r} vs {self.control!r}: {len(self.types)} group(s), "
            f"{int(self.simpson.sum())} Simpson's paradox(es)>"
        )


def compare_segments(
    report: Report,
    control: str,
    *,
    metric: str | None = None,
    entry: str = "Entry",
    method: ProportionMethod = "wilson",
    test: TestMethod = "z",
    correction: AdjustMethod = "holm",
    alpha: float = 0.05,
) -> Segments:
    r"""Every segment's comparison on one metric, a test that the lift differs between them,
    and a warning where the aggregate points the other way from every segment.

    Parameters
    ----------
    report : Report
        A parsed report, typically requested with ``segment=allSegments``.
    control : str
        The control recipe.
    metric : str, optional
        The step compared; default the last step.
    entry, method, test, correction, alpha
        As :func:`~ttstats.compare` (which makes the per-segment comparisons).

    Returns
    -------
    Segments
        Per group of reports (one per type) and recipe: Cochran's Q, :math:`I^2`, the
        aggregate's lift, the Simpson's paradox flag; :attr:`Segments.comparison` holds the
        per-segment comparisons and sample-ratio checks.

    Raises
    ------
    UnknownLabelError, ValueError
        As :func:`~ttstats.compare`; ``metric`` equal to ``entry``.

    Warns
    -----
    AggregationWarning
        For each recipe whose aggregate difference has the opposite sign of every segment's.

    Notes
    -----
    *Heterogeneity.* Per segment :math:`s`, the log lift
    :math:`y_s = \log(\hat p_{t,s}/\hat p_{c,s})` has the delta-method variance
    :math:`v_s = 1/x_{t,s} - 1/n_{t,s} + 1/x_{c,s} - 1/n_{c,s}` (undefined when an arm has no
    conversion: that segment does not count). Cochran's Q over the segments tests that they
    share one lift; :math:`I^2` is the share of the spread beyond chance. Segments that
    overlap share visitors, and their Q is then not chi-square distributed: read it as a
    description.

    *Simpson's paradox.* When the aggregate report's difference :math:`\hat p_t - \hat p_c`
    is positive and every segment's (at least two with one) is negative, or the reverse,
    the aggregate misleads: in a randomised experiment the segments' shares should match
    between recipes, so check the allocation per segment (its sample-ratio check) before
    believing either.

    References
    ----------
    Cochran, W. G. (1954). The combination of estimates from different experiments.
    Biometrics 10(1), 101-129.
    Higgins, J. P. T. and Thompson, S. G. (2002). Quantifying heterogeneity in a
    meta-analysis. Statistics in Medicine 21, 1539-1558.
    Simpson, E. H. (1951). The interpretation of interaction in contingency tables. JRSS B
    13(2), 238-241.

    Examples
    --------
    >>> import ttstats
    >>> from ttstats.cli import example_report_path
    >>> seg = compare_segments(ttstats.read_report(example_report_path()), "Control")
    >>> seg.to_frame()[["recipe", "segments", "q", "p_value", "simpson"]].round(3)
                     recipe  segments      q  p_value  simpson
    0  Free shipping banner       2.0  0.069    0.793    False
    1     Bigger buy button       2.0  0.001    0.972    False
    """
    name = report.steps[-1] if metric is None and report.steps else metric
    j = position(report.steps, name, "metric", "step")
    if report.steps[j] == entry:
        raise ValueError(f"metric={name!r} is the entry step: nothing to compare")
    comp = compare(
        report,
        control,
        entry=entry,
        steps=[report.steps[j]],
        method=method,
        test=test,
        correction=correction,
        alpha=alpha,
    )
    c = comp.control_index
    types = tuple(dict.fromkeys(info.type for info in report.reports))
    seg_reports = tuple(
        tuple(i for i, x in enumerate(report.reports) if x.type == t and x.segment is not None)
        for t in types
    )
    agg_reports = tuple(
        next((i for i, x in enumerate(report.reports) if x.type == t and x.segment is None), None)
        for t in types
    )
    x, n = comp.conversions[..., 0], comp.entries[..., 0]  # (report, recipe)
    rate, diff, lift = comp.rate[..., 0], comp.diff[..., 0], comp.lift[..., 0]
    per_entry = bool(comp.per_entry[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lift = np.log(rate / rate[:, c : c + 1])
        var = 1.0 / x - 1.0 / n + 1.0 / x[:, c : c + 1] - 1.0 / n[:, c : c + 1]
    log_lift = np.where(np.isfinite(log_lift) & ~per_entry, log_lift, np.nan)
    shape = (len(types), len(report.recipes))
    out = {k: np.full(shape, np.nan) for k in ("agg_lift", "agg_diff", "lo", "hi")}
    q, df, pval, i2, count = (np.full(shape, np.nan) for _ in range(5))
    simpson = np.zeros(shape, dtype=bool)
    note = np.full(shape, "", dtype=object)
    found: list[str] = []
    for g, (segs, agg) in enumerate(zip(seg_reports, agg_reports, strict=True)):
        idx = np.asarray(segs, dtype=np.intp)
        if len(idx):
            het = cochran_q(log_lift[idx].T, np.where(var[idx] > 0, var[idx], np.nan).T)
            q[g], df[g], pval[g], i2[g] = het.statistic, het.df, het.pvalue, het.i_squared
            count[g] = het.groups
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
                out["lo"][g], out["hi"][g] = (
                    np.nanmin(lift[idx], axis=0),
                    np.nanmax(lift[idx], axis=0),
                )
            reasons = np.asarray(het.reason, dtype=object)
        else:
            count[g] = 0
            reasons = np.full(shape[1], "no segment reports", dtype=object)
        if agg is not None:
            out["agg_lift"][g], out["agg_diff"][g] = lift[agg], diff[agg]
        for k in range(shape[1]):
            if k == c:
                q[g, k] = df[g, k] = pval[g, k] = i2[g, k] = np.nan
                out["lo"][g, k] = out["hi"][g, k] = np.nan
                note[g, k] = "control"
                continue
            parts = []
            if per_entry:
                parts.append("the metric is a per-entry rate: no log lift to compare")
            elif reasons[k]:
                parts.append(str(reasons[k]))
            if agg is None:
                parts.append(NOTE_NO_AGGREGATE)
            else:
                signs = np.sign(diff[idx, k]) if len(idx) else np.empty(0)
                signs = signs[~np.isnan(signs)]
                agg_sign = np.sign(diff[agg, k])
                if len(signs) >= 2 and agg_sign != 0 and (signs == -agg_sign).all():
                    simpson[g, k] = True
                    found.append(_simpson_text(report, comp, g, k, agg, idx, types[g], lift, diff))
            note[g, k] = "; ".join(parts)
        if agg is None:
            found.append(
                f"no aggregate report of type {types[g]!r} in the file: segments may overlap, "
                "so the aggregate is not the sum of the segments and is not shown"
            )
    for text in found:
        if text.startswith("Simpson"):
            warnings.warn(text, AggregationWarning, stacklevel=2)
    return Segments(
        comparison=comp,
        types=types,
        segment_reports=seg_reports,
        aggregate_report=agg_reports,
        metric=report.steps[j],
        control=control,
        aggregate_lift=frozen(out["agg_lift"]),
        aggregate_diff=frozen(out["agg_diff"]),
        lift_min=frozen(out["lo"]),
        lift_max=frozen(out["hi"]),
        q=frozen(q),
        df=frozen(df),
        p_value=frozen(pval),
        i_squared=frozen(i2),
        segments=frozen(count),
        simpson=frozen(simpson),
        note=frozen(note),
        warnings=tuple(found),
    )


def _simpson_text(
    report: Report,
    comp: Comparison,
    g: int,
    k: int,
    agg: int,
    idx: np.ndarray[Any, Any],
    kind: str | None,
    lift: FloatArray,
    diff: FloatArray,
) -> str:
    up = diff[agg, k] > 0
    where = ", ".join(
        f"{report.reports[i].segment} {_pct(float(lift[i, k]))}" for i in idx.tolist()
    )
    return (
        f"Simpson's paradox on {comp.steps[0]} ({kind or 'all types'}): {comp.recipes[k]!r} is "
        f"{'above' if up else 'below'} {comp.control!r} in the aggregate "
        f"({_pct(float(lift[agg, k]))}) but {'below' if up else 'above'} it in every segment "
        f"({where}); the segments' shares differ between the recipes: check the allocation "
        "per segment (sample ratio) before reading the aggregate"
    )


def _pct(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:+.1%}"


def frozen(arr: Any) -> Any:
    out = np.array(arr, copy=True)
    out.setflags(write=False)
    return out

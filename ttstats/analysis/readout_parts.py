"""The readout's sections beyond the rates: engagement and revenue, extreme orders, Campaign.

Each function runs one analysis (or says why it cannot run) and turns its arrays into the
flat records of :mod:`ttstats.analysis.readout_model`. Used by
:func:`~ttstats.analysis.readout.build_readout`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

import numpy as np

from .._errors import TTStatsError
from ..parse import MEASURES, Report
from ..stats.hypothesis_tests import TestMethod
from ..stats.multiple import AdjustMethod
from ..stats.proportions import ProportionMethod
from ._compare_means import REVENUE, SOURCE_ORDER_VALUES, _revenue_step, compare_means
from ._extreme_results import ExtremeOrders, Sensitivity
from ._means_comparison import MeansComparison
from .campaign import CampaignCheck, check_campaign
from .extreme import extreme_order_sensitivity, extreme_orders
from .readout_model import (
    CampaignConsistency,
    CampaignGap,
    ExtremeRow,
    MeansRow,
    SegmentRow,
    SensitivityRow,
)
from .readout_words import correction_name
from .segments import Segments, compare_segments

NOTE_NO_MEANS = "no step carries an engagement triple or revenue: no engagement or revenue metrics"
NOTE_NOT_REQUESTED = (
    "not requested: pass the same request fetched with extreme orders excluded "
    "(without_extremes, or --without-extremes FILE) to see how the verdicts move"
)


class _Row(Protocol):
    @property
    def report(self) -> int: ...


_R = TypeVar("_R", bound=_Row)


def rows_of(rows: Sequence[_R], report: int) -> tuple[_R, ...]:
    """The rows of one report, in their order."""
    return tuple(row for row in rows if row.report == report)


def _when(value: Any) -> str | None:
    """A timestamp as an ISO date (date-time unless midnight); None when missing."""
    if value is None or bool(np.isnat(value)):
        return None
    text = str(np.asarray(value).astype("datetime64[m]"))
    return text[:10] if text.endswith("T00:00") else text


def _has(arr: Any) -> Any:
    """Per step (last axis): some cell is reported."""
    return ~np.all(np.isnan(arr), axis=tuple(range(arr.ndim - 1)))


# --------------------------------------------------------------------------------------------
# Engagement and revenue
# --------------------------------------------------------------------------------------------
class MeansPart(NamedTuple):
    result: MeansComparison | None
    metrics: tuple[str, ...]
    rows: tuple[MeansRow, ...]
    order_values: str | None  # the step whose triple holds the order values
    revenue_step: str | None
    note: str
    warnings: tuple[str, ...]


def means_part(
    report: Report, control: str, *, entry: str, alpha: float, correction: AdjustMethod
) -> MeansPart:
    """Every step with an engagement triple, and revenue, per entry against the control."""
    triple = _has(report.engagement_count) | _has(report.campaign.engagement_count)
    has_revenue = bool(_has(report.revenue).any())
    steps = [s for s, ok in zip(report.steps, triple, strict=True) if ok and s != entry]
    order_values: str | None = None
    revenue_step: str | None = None
    notes: list[str] = []
    if has_revenue:
        revenue_step = report.steps[_revenue_step(report, None)]
        try:
            probe = compare_means(
                report, control, metric=REVENUE, entry=entry, alpha=alpha, correction=correction
            )
        except ValueError as err:
            if isinstance(err, TTStatsError):
                raise
            return MeansPart(None, (), (), None, revenue_step, f"not available: {err}", ())
        if bool((probe.source == SOURCE_ORDER_VALUES).any()):
            order_values = revenue_step
            steps = [s for s in steps if s != revenue_step]
            notes.append(
                f"revenue is revenue per entry from the order values of {revenue_step!r} "
                "(its engagement triple), with Welch's test"
            )
        else:
            notes.append(
                f"revenue is revenue per entry of {revenue_step!r}: the file gives its total "
                "only (no sum of squares), so it is a point estimate without interval or test"
            )
    metrics = (*steps, *((REVENUE,) if has_revenue else ()))
    if not metrics:
        return MeansPart(None, (), (), None, None, NOTE_NO_MEANS, ())
    try:
        res = compare_means(
            report, control, metric=list(metrics), entry=entry, alpha=alpha, correction=correction
        )
    except ValueError as err:  # values the analysis refuses: say so, read out the rest
        if isinstance(err, TTStatsError):
            raise
        return MeansPart(None, (), (), order_values, revenue_step, f"not available: {err}", ())
    notes.insert(
        0,
        "means per entry (units without a value count as 0), Welch's t against the control, "
        f"{correction_name(correction)} correction over the metrics of each report",
    )
    return MeansPart(
        res, metrics, _means_rows(res), order_values, revenue_step, "; ".join(notes), res.warnings
    )


def _means_rows(res: MeansComparison) -> tuple[MeansRow, ...]:
    out = []
    R, K, M = res.shape
    for r in range(R):
        for m in range(M):
            for k in range(K):
                at = (r, k, m)
                out.append(
                    MeansRow(
                        report=r,
                        segment=res.reports[r].segment,
                        recipe=res.recipes[k],
                        metric=res.metrics[m],
                        step=res.steps[m],
                        per=res.per,
                        is_control=k == res.control_index,
                        units=float(res.units[at]),
                        mean=float(res.mean[at]),
                        std=float(res.std[at]),
                        mean_low=float(res.mean_low[at]),
                        mean_high=float(res.mean_high[at]),
                        lift=float(res.lift[at]),
                        lift_low=float(res.lift_low[at]),
                        lift_high=float(res.lift_high[at]),
                        p_value=float(res.p_value[at]),
                        p_adjusted=float(res.p_adjusted[at]),
                        significant=bool(res.significant[at]),
                        reliable=bool(res.reliable[at]),
                        source=str(res.source[at]),
                        note=str(res.note[at]),
                    )
                )
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Extreme orders
# --------------------------------------------------------------------------------------------
class ExtremePart(NamedTuple):
    result: ExtremeOrders | None
    metric: str | None
    rows: tuple[ExtremeRow, ...]
    note: str
    warnings: tuple[str, ...]


def extreme_part(
    report: Report,
    control: str,
    *,
    alpha: float,
    order_values: str | None,
    revenue_step: str | None,
) -> ExtremePart:
    """:func:`extreme_orders` on the order values, or why it cannot run."""
    if order_values is None:
        return ExtremePart(None, None, (), _why_no_extremes(report, revenue_step), ())
    try:
        res = extreme_orders(report, control=control, metric=order_values, alpha=alpha)
    except ValueError as err:  # e.g. invalid moments in the file
        if isinstance(err, TTStatsError):
            raise
        return ExtremePart(None, None, (), f"not available: {err}", ())
    note = (
        f"order values of {order_values!r}: an order is extreme beyond the Campaign's mean "
        f"+/- {res.k_sigma:g} standard deviations; 'at most extreme' bounds how many of a "
        "recipe's orders can lie beyond (Chebyshev, from its own moments); 'mean vs control' "
        "is Welch's test of the recipe's mean order value against the control's (unadjusted); "
        "'flips after' is the fewest orders at the threshold whose removal from the recipe "
        "would change that verdict (on the control's row: would change some recipe's verdict); "
        "'p vs rest' is Welch's test of the recipe against the rest of the campaign "
        "(Campaign minus the recipe)"
    )
    return ExtremePart(res, order_values, _extreme_rows(res), note, res.warnings)


def _why_no_extremes(report: Report, revenue_step: str | None) -> str:
    if revenue_step is None:
        return "not available: no step carries revenue, so there are no order values to check"
    j = report.steps.index(revenue_step)
    triple = _has(report.engagement_count)[j] or _has(report.campaign.engagement_count)[j]
    if not triple:
        return (
            f"not available: the revenue step {revenue_step!r} carries no engagement triple "
            "(count, total, sumOfSquares), so the spread of the order values is unknown and "
            "extreme orders cannot be bounded; request the order step's engagement metric, or "
            "compare with the same request without extreme orders"
        )
    return (
        f"not available: the engagement triple of {revenue_step!r} does not add up to its "
        "revenue, so it does not hold the order values"
    )


def _extreme_rows(res: ExtremeOrders) -> tuple[ExtremeRow, ...]:
    out = []
    R, K = res.units.shape
    for r in range(R):
        for k in range(K):
            at = (r, k)
            out.append(
                ExtremeRow(
                    report=r,
                    segment=res.reports[r].segment,
                    recipe=res.recipes[k],
                    is_control=res.recipes[k] == res.control,
                    units=float(res.units[at]),
                    mean=float(res.mean[at]),
                    std=float(res.std[at]),
                    threshold_low=float(res.threshold_low[r]),
                    threshold_high=float(res.threshold_high[r]),
                    max_extreme=float(res.max_extreme[at]),
                    verdict=str(res.verdict[at]),
                    flip_k=float(res.flip_k[at]),
                    flip_p_value=float(res.flip_p_value[at]),
                    p_value=float(res.p_value[at]),
                    p_value_vs_rest=float(res.p_value_vs_rest[at]),
                    note=str(res.note[at]),
                )
            )
    return tuple(out)


class SensitivityPart(NamedTuple):
    result: Sensitivity | None
    rows: tuple[SensitivityRow, ...]
    note: str
    warnings: tuple[str, ...]


def sensitivity_part(
    report: Report, without: Report | None, control: str, *, alpha: float
) -> SensitivityPart:
    """:func:`extreme_order_sensitivity` when the second report is given."""
    if without is None:
        return SensitivityPart(None, (), NOTE_NOT_REQUESTED, ())
    try:
        res = extreme_order_sensitivity(report, without, control=control, alpha=alpha)
    except ValueError as err:  # ReportMismatchError (not the same request) goes up
        if isinstance(err, TTStatsError):
            raise
        return SensitivityPart(None, (), f"not available: {err}", ())
    rows = []
    for r, k, t, m in zip(
        *np.nonzero(np.broadcast_to(res.available, res.flipped.shape)), strict=True
    ):
        at = (r, k, t, m)
        rows.append(
            SensitivityRow(
                report=int(r),
                segment=res.reports[r].segment,
                recipe=res.recipes[k],
                step=res.steps[t],
                measure=("engagement", "revenue")[m],
                is_control=res.recipes[k] == res.control,
                units_with=float(res.units_with[at]),
                units_without=float(res.units_without[at]),
                mean_with=float(res.mean_with[at]),
                mean_without=float(res.mean_without[at]),
                lift_with=float(res.lift_with[at]),
                lift_without=float(res.lift_without[at]),
                lift_low_with=float(res.lift_low_with[at]),
                lift_high_with=float(res.lift_high_with[at]),
                lift_low_without=float(res.lift_low_without[at]),
                lift_high_without=float(res.lift_high_without[at]),
                p_value_with=float(res.p_value_with[at]),
                p_value_without=float(res.p_value_without[at]),
                verdict_with=str(res.verdict_with[at]),
                verdict_without=str(res.verdict_without[at]),
                flipped=bool(res.flipped[at]),
                total_change=float(res.total_change[at]),
                share_of_change=float(res.share_of_change[at]),
                note=str(res.note[at]),
            )
        )
    flips = int(res.flipped.sum())
    note = (
        f"the same request with extreme orders excluded: {flips} verdict(s) flip "
        "(engagement: Welch's test on the step's values; revenue: per entry, Welch's test "
        "where the step's engagement holds its order values, else point estimates)"
    )
    return SensitivityPart(res, tuple(rows), note, res.warnings)


# --------------------------------------------------------------------------------------------
# Campaign consistency
# --------------------------------------------------------------------------------------------
class CampaignPart(NamedTuple):
    check: CampaignCheck
    result: CampaignConsistency
    warnings: tuple[str, ...]


def _one_side(check: CampaignCheck, measure: str, at: tuple[int, int, int], name: str) -> str:
    if not check.one_sided[measure][at]:
        return ""
    if np.isnan(check.campaign[measure][at]):
        return f"only the recipes report it, not the {name!r} summary"
    return f"only the {name!r} summary reports it, no recipe does"


def campaign_consistency(report: Report) -> CampaignPart:
    """:func:`check_campaign`, in records; not checked when the file has no summary recipe."""
    check = check_campaign(report)
    has_summary = any(bool(np.isfinite(a).any()) for _, a in report.campaign.items())
    if not has_summary:
        note = f"not checked: the file holds no {report.campaign_recipe!r} summary recipe"
        return CampaignPart(check, CampaignConsistency(False, None, (), (), note), ())
    gaps = tuple(
        CampaignGap(
            report=int(r),
            segment=report.reports[r].segment,
            sample_start=_when(report.samples.start[t]),
            step=report.steps[j],
            measure=m,
            recipes_sum=float(check.recipes_sum[m][r, t, j]),
            campaign=float(check.campaign[m][r, t, j]),
            gap=float(check.gap[m][r, t, j]),
            tolerance=float(check.tolerance[m][r, t, j]),
            note=_one_side(check, m, (r, t, j), report.campaign_recipe),
        )
        for m in MEASURES
        for r, t, j in zip(*np.nonzero(check.mismatched[m]), strict=True)
    )
    by_report = tuple((i, bool(ok)) for i, ok in enumerate(check.by_report()))
    if check.consistent:
        note = (
            f"the recipes add up to the {report.campaign_recipe!r} summary in every report, "
            "sample and step, within the file's rounding"
        )
        return CampaignPart(check, CampaignConsistency(True, True, by_report, gaps, note), ())
    bad = [i for i, ok in by_report if not ok]
    note = (
        f"{len(gaps)} cell(s) where the recipes do not add up to the "
        f"{report.campaign_recipe!r} summary beyond rounding, in report(s) {bad}: something "
        "counted in the summary is missing from the recipes (a deleted experience left out of "
        "the report is the usual cause), or the other way round"
    )
    warning = f"Campaign consistency: {note}"
    return CampaignPart(check, CampaignConsistency(True, False, by_report, gaps, note), (warning,))


# --------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------
class SegmentsPart(NamedTuple):
    result: Segments | None
    rows: tuple[SegmentRow, ...]
    note: str
    warnings: tuple[str, ...]


NOTE_NO_SEGMENTS = "the file holds no segment reports (request segment=allSegments to get them)"


def segments_part(
    report: Report,
    control: str,
    *,
    metric: str,
    entry: str,
    interval: ProportionMethod,
    test: TestMethod,
    correction: AdjustMethod,
    alpha: float,
) -> SegmentsPart:
    """Heterogeneity of the metric's lift across segments, when the file holds segments."""
    if not any(info.segment is not None for info in report.reports):
        return SegmentsPart(None, (), NOTE_NO_SEGMENTS, ())
    res = compare_segments(
        report,
        control,
        metric=metric,
        entry=entry,
        method=interval,
        test=test,
        correction=correction,
        alpha=alpha,
    )
    c = res.comparison.control_index
    rows = tuple(
        SegmentRow(
            type=res.types[g],
            recipe=res.recipes[k],
            segments=float(res.segments[g, k]),
            aggregate_lift=float(res.aggregate_lift[g, k]),
            lift_min=float(res.lift_min[g, k]),
            lift_max=float(res.lift_max[g, k]),
            q=float(res.q[g, k]),
            df=float(res.df[g, k]),
            p_value=float(res.p_value[g, k]),
            i_squared=float(res.i_squared[g, k]),
            simpson=bool(res.simpson[g, k]),
            note=str(res.note[g, k]),
        )
        for g in range(len(res.types))
        for k in range(len(res.recipes))
        if k != c
    )
    note = (
        "Cochran's Q on the log lifts tests that the segments share one lift (it assumes "
        "segments that do not overlap: with overlapping ones read it as a description); the "
        "aggregate is the file's own aggregate report, never a sum of segments"
    )
    return SegmentsPart(res, rows, note, res.warnings)

r"""The readout of an experiment: every analysis a reader needs, gathered into plain records.

:func:`build_readout` runs :func:`~ttstats.compare`, :func:`~ttstats.compare_means`,
:func:`~ttstats.check_campaign`, :func:`~ttstats.extreme_orders` (and
:func:`~ttstats.extreme_order_sensitivity` when the same request without extreme orders is
given) and the power functions, and returns a :class:`~ttstats.analysis.readout_model.Readout`:
frozen records that the renderers (:mod:`ttstats.render.text`, :mod:`ttstats.render.json`)
turn into text, Markdown or JSON. :func:`decide` answers the pipeline's question alone: does
some recipe beat the control?
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .._errors import AggregationWarning, TTStatsWarning, UnknownLabelError
from ..parse import Report
from ..stats.hypothesis_tests import TestMethod
from ..stats.multiple import AdjustMethod
from ..stats.proportions import ProportionMethod
from ._cells import report_arg
from ._compare import compare
from .readout_model import (
    AGGREGATE,
    Readout,
    ReadSummary,
    ReportRead,
    Section,
)
from .readout_parts import (
    campaign_consistency,
    extreme_part,
    means_part,
    rows_of,
    segments_part,
    sensitivity_part,
)
from .readout_verdicts import (
    Decision,
    beat_control,
    decision_reason,
    rate_row,
    sample_ratio_row,
    verdicts,
)
from .readout_words import act_on_text, p_is

__all__ = ["Decision", "Readout", "build_readout", "decide"]

#: Power of the detectable lift and of the samples-to-detect question.
POWER = 0.8
#: The first words of the caveat on summing visitor samples (each analysis words its own).
_VISITOR_CAVEAT = "summing the samples of a 'visitor' report"


def build_readout(
    report: Report,
    *,
    control: str | None = None,
    metric: str | None = None,
    entry: str = "Entry",
    alpha: float = 0.05,
    interval: ProportionMethod = "wilson",
    test: TestMethod = "z",
    correction: AdjustMethod = "holm",
    segment: str | None = None,
    without_extremes: Report | None = None,
    source: str | None = None,
    min_lift: float = 0.0,
    sequential: bool = False,
    mixing_variance: float | None = None,
    split: Sequence[float] | None = None,
    type: str | None = None,
) -> Readout:
    r"""Read out an experiment: every recipe against the control, with its checks and caveats.

    Parameters
    ----------
    report : Report
        A parsed Performance Report (:func:`ttstats.read_report`).
    control : str, optional
        The control recipe; default the first recipe.
    metric : str, optional
        The step whose rate decides (the conversion point); default the last step.
    entry : str, default "Entry"
        The step whose count is the entries (the denominator).
    alpha : float, default 0.05
        Significance level; intervals are at confidence ``1 - alpha``.
    interval : {"wilson", "wald", "adobe", "agresti_coull", "jeffreys", "clopper_pearson"}
        Interval of each rate.
    test : {"z", "chi2", "yates", "fisher", "adobe", "tt_legacy"}
        Test of each recipe against the control.
    correction : {"holm", "bonferroni", "fdr_bh"}
        Multiple-testing correction; the family is every (recipe, step) comparison within one
        report, as in :func:`~ttstats.compare`.
    segment : str, optional
        Show this segment only; default every report (the aggregate first).
    without_extremes : Report, optional
        The same request fetched with extreme orders excluded: adds the sensitivity.
    source : str, optional
        Where the report came from, for the header (a path, ``"<stdin>"``).
    min_lift : float, default 0.0
        The smallest lift worth having (0.05: +5%): a win below it is said to be, and the
        power question is asked for it when the observed lift is smaller.
    sequential : bool, default False
        Act on the always-valid verdicts (``outcome``, the summary) instead of the
        fixed-horizon ones; both are shown whenever a report holds more than one sample.
    mixing_variance : float, optional
        The mixing variance of the always-valid test (:func:`~ttstats.compare`); fix it
        before the experiment starts for the strict guarantee. Default: from the first
        sample's pooled rate.
    split : sequence of float, optional
        The intended share of traffic of each recipe, in recipe order (``[50, 25, 25]``), for
        the sample-ratio check; default an equal split.
    type : {"visit", "visitor", "impression"}, optional
        Show the reports of this type only (a request without ``type`` answers one report per
        type); default every report.

    Returns
    -------
    Readout
        Frozen records: what was read, the checks, one :class:`Section` per report (the
        metric's rows and verdicts, the other steps, engagement and revenue, extreme orders),
        warnings, and the analysis objects behind them.

    Raises
    ------
    UnknownLabelError
        ``control`` is not a recipe, ``metric`` or ``entry`` not a step, ``segment`` not a
        segment; the message lists the valid ones.
    ValueError
        An unknown method, ``alpha`` outside (0, 1), ``min_lift`` negative or not finite,
        ``metric`` equal to ``entry``, a report without recipes or steps.
    ReportMismatchError
        ``without_extremes`` does not answer the same request.

    Notes
    -----
    *Verdicts.* On the metric, a recipe **wins** when its adjusted p-value is below
    ``alpha`` and its rate is above the control's, **loses** when significant and below, and
    has **no verdict yet** otherwise; **no verdict possible** when the test is not defined
    (the note says why). Intervals are not adjusted for multiplicity; p-values are.

    *Power.* ``mdl`` is the smallest upward lift detectable now with 80% power. Where no
    verdict is reached, the readout asks how many more samples (days, hours, as the report's
    resolution) at the observed traffic (entries per sample so far, per arm) a lift needs to
    be detected with 80% power at ``alpha``
    (:func:`~ttstats.stats.samples_to_detect`): the observed lift, or ``min_lift`` when
    that is larger than the observed lift's size.

    *Engagement and revenue.* :func:`~ttstats.compare_means` per entry (units without a
    value count as 0) on every step with an engagement triple, and ``"revenue"`` (revenue per
    entry, from the order values when the revenue step's triple holds them, else a point
    estimate). The revenue step's own triple is not listed twice when it is the order values.
    The family of its correction is every (recipe, metric) within one report.

    *Always-valid and Bayesian views.* Each comparison on the metric also carries the
    always-valid p-value over the samples (adjusted like the fixed one) and its confidence
    sequence (:func:`~ttstats.compare`), and the posterior probability that the recipe beats
    the control with the expected loss of choosing it
    (:func:`~ttstats.stats.probability_to_beat`, uniform priors). :attr:`Readout.act_on` says
    which verdict a pipeline should act on: the always-valid one whenever the report holds
    more than one sample and it may have been looked at before.

    *Segments.* With segment reports in the file, :func:`~ttstats.compare_segments` tests
    whether the lift differs between them (Cochran's Q, I²) and warns of a Simpson's paradox.

    *Extreme orders.* :func:`~ttstats.extreme_orders` on the revenue step when its
    engagement triple holds the order values; otherwise the readout says why not.

    *Warnings.* Warnings the analyses emit (e.g. :class:`~ttstats.AggregationWarning` for
    summed visitor samples) are captured into :attr:`Readout.warnings`, not emitted.

    Examples
    --------
    >>> import ttstats
    >>> xml = '''<reports><report campaignId="1" start="2024-03-01" end="2024-03-02"
    ...   resolution="day" type="visit"><sample start="2024-03-01T00:00" duration="day">
    ...   <recipe name="A"><step name="Entry">2000</step><step name="Order">100</step></recipe>
    ...   <recipe name="B"><step name="Entry">2000</step><step name="Order">140</step></recipe>
    ... </sample></report></reports>'''
    >>> readout = build_readout(ttstats.read_report(xml))
    >>> readout.control, readout.metric
    ('A', 'Order')
    >>> readout.verdicts[0].text
    'wins: +40.0% (95% CI +9.1% to +79.6%), significant after Holm correction'
    """
    ctrl, step = _labels(report, control, metric, entry)
    chosen = _of_type(report, _chosen_reports(report, segment), type)
    floor = _min_lift(min_lift)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", TTStatsWarning)
        comp = compare(
            report,
            ctrl,
            entry=entry,
            method=interval,
            test=test,
            correction=correction,
            alpha=alpha,
            sequential=sequential,
            mixing_variance=mixing_variance,
            split=split,
        )
        seg = segments_part(
            report,
            ctrl,
            metric=step,
            entry=entry,
            interval=interval,
            test=test,
            correction=correction,
            alpha=comp.alpha,
        )
        means = means_part(report, ctrl, entry=entry, alpha=comp.alpha, correction=correction)
        extreme = extreme_part(
            report,
            ctrl,
            alpha=comp.alpha,
            order_values=means.order_values,
            revenue_step=means.revenue_step,
        )
        sens = sensitivity_part(report, without_extremes, ctrl, alpha=comp.alpha)
    campaign = campaign_consistency(report)
    found = _caught(seen)
    beat = beat_control(comp)
    by_report = verdicts(comp, report, metric=step, min_lift=floor, power=POWER, beat=beat)
    metric_col = comp.steps.index(step)
    sections = []
    for r in chosen:
        info = _report_read(report, r)
        sections.append(
            Section(
                report=info,
                sample_ratio=sample_ratio_row(comp, r),
                metric_rows=tuple(
                    rate_row(comp, r, k, metric_col, beat) for k in range(comp.shape[1])
                ),
                verdicts=by_report[r],
                step_rows=tuple(
                    rate_row(comp, r, k, j, beat)
                    for j in range(len(comp.steps))
                    if j != metric_col
                    for k in range(comp.shape[1])
                ),
                means=rows_of(means.rows, r),
                extremes=rows_of(extreme.rows, r),
                sensitivity=rows_of(sens.rows, r),
            )
        )
    looks = max((int(report.present[r].sum()) for r in chosen), default=0)
    notes = [
        *_duplicate_reports(report),
        *found,
        *seg.warnings,
        *comp.warnings,
        *means.warnings,
        *extreme.warnings,
        *sens.warnings,
        *campaign.warnings,
    ]
    return Readout(
        read=_read_summary(report, source),
        control=ctrl,
        metric=step,
        entry=entry,
        alpha=comp.alpha,
        power=POWER,
        min_lift=floor,
        interval=comp.method,
        lift_interval=comp.lift_method,
        test=comp.test,
        correction=comp.correction,
        segment=segment,
        sections=tuple(sections),
        campaign=campaign.result,
        means_metrics=means.metrics,
        means_note=means.note,
        extreme_metric=extreme.metric,
        extreme_note=extreme.note,
        sensitivity_note=sens.note,
        sequential=comp.sequential,
        looks=looks,
        act_on=act_on_text(looks, comp.sequential, _unit(report, chosen)),
        segments=seg.rows,
        segments_note=seg.note,
        warnings=_distinct(notes),
        report=report,
        comparison=comp,
        means=means.result,
        extreme=extreme.result,
        sensitivity=sens.result,
        campaign_check=campaign.check,
        segment_analysis=seg.result,
        type=type,
    )


def _of_type(report: Report, chosen: list[int], type: str | None) -> list[int]:
    """The reports among ``chosen`` of ``type`` (all of them when None)."""
    if type is None:
        return chosen
    kept = [i for i in chosen if report.reports[i].type == type]
    if not kept:
        types = sorted({str(report.reports[i].type) for i in chosen})
        raise UnknownLabelError(f"type={type!r} is not a type of these reports; types are {types}")
    return kept


def _unit(report: Report, chosen: Sequence[int]) -> str:
    units = {report.reports[r].resolution or "sample" for r in chosen}
    return units.pop() if len(units) == 1 else "sample"


def decide(
    report: Report,
    *,
    control: str,
    metric: str,
    entry: str = "Entry",
    alpha: float = 0.05,
    interval: ProportionMethod = "wilson",
    test: TestMethod = "z",
    correction: AdjustMethod = "holm",
    segment: str | None = None,
    min_lift: float = 0.0,
    sequential: bool = False,
    mixing_variance: float | None = None,
    split: Sequence[float] | None = None,
    allow_mismatch: bool = False,
    type: str | None = None,
) -> Decision:
    """Does some recipe beat the control significantly, with an observed lift of at least
    ``min_lift``?

    The minimum is met by the lift observed (the point estimate), as an analyst reads a
    dashboard; the interval of the lift, in the reason, says how sure that is.

    Decides on the aggregate report, or on the named segment; the verdicts are those of
    :func:`build_readout` with the same arguments (without its other sections). With
    ``sequential=True`` it decides on the always-valid p-values: the right choice for a
    pipeline that runs this check repeatedly (every day) and acts on the first yes, which
    a fixed-horizon p-value would answer wrongly far more often than ``alpha``.

    One report is decided on: the aggregate (or the named segment) of the given ``type``. A
    file requested without a type holds one report per type (visit, visitor, impression):
    then ``type`` must say which, as it must when the file holds several reports for the same
    segment and type (they would contradict each other; the error lists them).

    A sample-ratio mismatch in a decided report (the recipes' entries do not follow an even
    split, p < 0.001) means the allocation is broken and no verdict of that report can be
    trusted: the answer is then "no", saying so, unless ``allow_mismatch``. Summed samples of
    a ``visitor`` report add a caution to the reason (returning visitors are counted once per
    sample).

    Returns
    -------
    Decision
        ``passed``, a one-line ``reason`` (``"yes: ..."`` or ``"no: ..."``), the winning
        verdicts and every verdict considered.

    Raises
    ------
    UnknownLabelError, ValueError
        As :func:`build_readout`; also ``ValueError`` when ``segment`` is None and the file
        holds no aggregate report.

    Examples
    --------
    >>> import ttstats
    >>> xml = '''<reports><report campaignId="1" start="2024-03-01" end="2024-03-02"
    ...   resolution="day" type="visit"><sample start="2024-03-01T00:00" duration="day">
    ...   <recipe name="A"><step name="Entry">2000</step><step name="Order">100</step></recipe>
    ...   <recipe name="B"><step name="Entry">2000</step><step name="Order">140</step></recipe>
    ... </sample></report></reports>'''
    >>> report = ttstats.read_report(xml)
    >>> decide(report, control="A", metric="Order").passed
    True
    >>> decide(report, control="A", metric="Order", min_lift=0.5).reason
    "no: no recipe beats 'A' on Order in the aggregate (all visitors) with an observed lift of at least +50.0%; best: 'B' +40.0% (95% CI +9.1% to +79.6%), adjusted p = 0.0077 (Holm)"
    """
    ctrl, step = _labels(report, control, metric, entry)
    floor = _min_lift(min_lift)
    if segment is None:
        chosen = [i for i, info in enumerate(report.reports) if info.segment is None]
        if not chosen:
            raise ValueError(
                "the file holds no aggregate report; name a segment, segments are "
                f"{_segment_names(report)}"
            )
    else:
        chosen = _chosen_reports(report, segment)
    chosen = _one_report(report, chosen, type)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", TTStatsWarning)
        comp = compare(
            report,
            ctrl,
            entry=entry,
            method=interval,
            test=test,
            correction=correction,
            alpha=alpha,
            sequential=sequential,
            mixing_variance=mixing_variance,
            split=split,
        )
    by_report = verdicts(comp, report, metric=step, min_lift=floor, power=POWER)
    considered = tuple(v for r in chosen for v in by_report[r])
    winners = tuple(v for v in considered if v.meets_min_lift)
    where = (
        f"in the aggregate ({AGGREGATE.lower()})"
        if segment is None or _is_aggregate(report, segment)
        else f"in segment {segment!r}"
    )
    reason = decision_reason(
        winners, considered, ctrl, step, where, comp.alpha, floor, correction, sequential
    )
    srm = comp.sample_ratio
    broken = [r for r in chosen if bool(srm.flagged[r])]
    if broken:
        r = broken[0]
        mismatch = (
            f"sample ratio mismatch {where}: the recipes' entries do not follow "
            f"{'the intended' if split is not None else 'an even'} split "
            f"(chi-square p {p_is(float(srm.p_value[r]))} < {srm.threshold:g}), so the traffic "
            "allocation is broken and no verdict can be trusted"
        )
        if not allow_mismatch:
            return Decision(
                passed=False,
                reason=f"no: {mismatch}; without this check: {reason}",
                winners=(),
                verdicts=considered,
            )
        reason += f"; caution: {mismatch}"
    # the caution concerns the report decided on, not others in the file (another type's)
    summed_visitors = any(
        report.reports[r].type == "visitor" and int(report.present[r].sum()) > 1 for r in chosen
    )
    if summed_visitors and any(issubclass(w.category, AggregationWarning) for w in seen):
        reason += (
            "; caution: the samples of a 'visitor' report were added up, counting a "
            "returning visitor once per sample"
        )
    return Decision(passed=bool(winners), reason=reason, winners=winners, verdicts=considered)


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------
def _labels(report: Report, control: str | None, metric: str | None, entry: str) -> tuple[str, str]:
    report_arg(report)
    if not report.recipes:
        raise ValueError("the report holds no recipes: nothing to read out")
    if not report.steps:
        raise ValueError("the report holds no steps: nothing to read out")
    ctrl = report.recipes[0] if control is None else control
    step = report.steps[-1] if metric is None else metric
    if ctrl not in report.recipes:
        raise UnknownLabelError(
            f"control={ctrl!r} is not a recipe of the report; recipes are {list(report.recipes)}"
        )
    for name, value in (("metric", step), ("entry", entry)):
        if value not in report.steps:
            raise UnknownLabelError(
                f"{name}={value!r} is not a step of the report; steps are {list(report.steps)}"
            )
    if step == entry:
        others = [s for s in report.steps if s != entry]
        raise ValueError(
            f"metric={step!r} is the entry step: nothing to compare; choose one of {others}"
        )
    return ctrl, step


def _segment_names(report: Report) -> list[str]:
    return list(dict.fromkeys(i.segment for i in report.reports if i.segment is not None))


def _duplicate_reports(report: Report) -> list[str]:
    """A warning per group of reports answering the same segment and type (and campaign)."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, info in enumerate(report.reports):
        groups.setdefault((info.campaign_id, info.type, info.segment), []).append(i)
    return [
        f"reports {where} hold the same campaign {key[0]}, type {key[1]} and "
        f"{'aggregate' if key[2] is None else f'segment {key[2]!r}'}: their verdicts are shown "
        "apart and may contradict each other"
        for key, where in groups.items()
        if len(where) > 1
    ]


def _one_report(report: Report, chosen: list[int], type: str | None) -> list[int]:
    """The one report decided on among ``chosen`` (one segment): of ``type`` when given."""
    infos = report.reports
    if type is not None:
        types = sorted({str(infos[i].type) for i in chosen})
        chosen = [i for i in chosen if infos[i].type == type]
        if not chosen:
            raise UnknownLabelError(
                f"type={type!r} is not a type of these reports; types are {types}"
            )
    if len(chosen) <= 1:
        return chosen
    kinds = [infos[i].type for i in chosen]
    listed = ", ".join(
        f"report {i} (campaign {infos[i].campaign_id}, type {infos[i].type})" for i in chosen
    )
    if len(set(kinds)) == len(kinds) and type is None:
        raise ValueError(
            f"the file holds {len(chosen)} reports for this segment, one per type ({listed}): "
            "choose one with type= (--type)"
        )
    raise ValueError(
        f"the file holds {len(chosen)} reports for the same segment and type ({listed}): they "
        "may contradict each other, so no single decision is made; split the file"
    )


def _is_aggregate(report: Report, segment: str) -> bool:
    """``segment`` names the aggregate (:data:`AGGREGATE` or "aggregate", any case) and no
    segment of the file is called so."""
    if segment in _segment_names(report):
        return False
    return segment.strip().casefold() in (AGGREGATE.casefold(), "aggregate")


def _chosen_reports(report: Report, segment: str | None) -> list[int]:
    """The reports shown, the aggregate first, then the segments in file order."""
    infos = report.reports
    if segment is None:
        return [i for i, x in enumerate(infos) if x.segment is None] + [
            i for i, x in enumerate(infos) if x.segment is not None
        ]
    if _is_aggregate(report, segment):
        chosen = [i for i, x in enumerate(infos) if x.segment is None]
    else:
        chosen = [i for i, x in enumerate(infos) if x.segment == segment]
    if not chosen:
        has_aggregate = any(x.segment is None for x in infos)
        raise UnknownLabelError(
            f"segment={segment!r} is not a segment of the report; segments are "
            f"{_segment_names(report)}"
            + (f" (and {AGGREGATE!r} for the aggregate report)" if has_aggregate else "")
        )
    return chosen


def _min_lift(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"min_lift must be a number >= 0, got {value!r}")
    out = float(value)
    if not (np.isfinite(out) and out >= 0):
        raise ValueError(f"min_lift must be a finite number >= 0, got {value!r}")
    return out


# --------------------------------------------------------------------------------------------
# What was read
# --------------------------------------------------------------------------------------------
def _iso(t: np.datetime64) -> str | None:
    if np.isnat(t):
        return None
    text = str(t.astype("datetime64[m]"))
    return text[:10] if text.endswith("T00:00") else text


def _report_read(report: Report, r: int) -> ReportRead:
    info = report.reports[r]
    return ReportRead(
        index=r,
        segment=info.segment,
        segment_id=info.segment_id,
        campaign_id=info.campaign_id,
        type=info.type,
        start=_iso(info.start),
        end=_iso(info.end),
        resolution=info.resolution,
        samples_present=int(report.present[r].sum()),
        samples_in_grid=int(report.in_grid[r].sum()),
    )


def _read_summary(report: Report, source: str | None) -> ReadSummary:
    infos = report.reports
    starts = [i.start for i in infos if not np.isnat(i.start)]
    ends = [i.end for i in infos if not np.isnat(i.end)]
    samples = report.samples.start
    has_campaign = any(bool(np.isfinite(a).any()) for _, a in report.campaign.items())
    return ReadSummary(
        source=source if source is not None else "a parsed report",
        version=report.version,
        reports=tuple(_report_read(report, r) for r in range(len(infos))),
        campaign_ids=tuple(
            dict.fromkeys(i.campaign_id for i in infos if i.campaign_id is not None)
        ),
        types=tuple(dict.fromkeys(i.type for i in infos if i.type is not None)),
        resolutions=tuple(dict.fromkeys(i.resolution for i in infos if i.resolution is not None)),
        start=_iso(min(starts)) if starts else None,
        end=_iso(max(ends)) if ends else None,
        samples=len(samples),
        first_sample=_iso(samples[0]) if len(samples) else None,
        last_sample=_iso(samples[-1]) if len(samples) else None,
        recipes=report.recipes,
        steps=report.steps,
        campaign_recipe=report.campaign_recipe if has_campaign else None,
        parse_warnings=tuple(str(w) for w in report.warnings),
    )


def _caught(seen: Sequence[warnings.WarningMessage]) -> list[str]:
    """The texts of the ttstats warnings caught; any other warning is emitted again."""
    out = []
    for w in seen:
        if issubclass(w.category, TTStatsWarning):
            out.append(str(w.message))
        else:  # pragma: no cover - numpy and friends stay silent on valid input
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out


def _distinct(notes: Sequence[str]) -> tuple[str, ...]:
    """Each note once; of the caveats on summing visitor samples, the first only."""
    out: list[str] = []
    visitor = False
    for note in notes:
        if note.startswith(_VISITOR_CAVEAT):
            if visitor:
                continue
            visitor = True
        if note not in out:
            out.append(note)
    return tuple(out)

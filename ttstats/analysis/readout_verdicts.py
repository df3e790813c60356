"""The verdicts of a readout, the power question, and the rows of the comparison.

Used by :func:`~ttstats.analysis.readout.build_readout` and
:func:`~ttstats.analysis.readout.decide`: everything here reads a
:class:`~ttstats.analysis.Comparison` and returns the records of
:mod:`ttstats.analysis.readout_model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..parse import Report
from ..stats import ProbabilityToBeat, probability_to_beat, samples_to_detect
from ._comparison import Comparison, FloatArray
from .readout_model import (
    LOSES,
    NO_VERDICT,
    UNDEFINED,
    WINS,
    RateRow,
    SampleRatioRow,
    Verdict,
)
from .readout_words import (
    ci_text,
    correction_name,
    level,
    p_is,
    power_text,
    sequential_text,
    signed_pct,
    verdict_text,
)


@dataclass(frozen=True)
class Decision:
    """The answer of :func:`~ttstats.analysis.readout.decide`: does some recipe win?

    Attributes
    ----------
    passed : bool
        Some recipe beats the control significantly (adjusted p < alpha, lift > 0) and by at
        least ``min_lift``.
    reason : str
        One line saying why, starting with ``"yes: "`` or ``"no: "``.
    winners : tuple of Verdict
        The verdicts that pass.
    verdicts : tuple of Verdict
        Every verdict considered.
    """

    passed: bool
    reason: str
    winners: tuple[Verdict, ...]
    verdicts: tuple[Verdict, ...]


# --------------------------------------------------------------------------------------------
# Rows of the comparison
# --------------------------------------------------------------------------------------------
def _f(arr: Any, *index: int) -> float:
    return float(arr[index])


def rate_row(
    comp: Comparison, r: int, k: int, j: int, beat: ProbabilityToBeat | None = None
) -> RateRow:
    """The row of recipe ``k`` on step ``j`` of report ``r``; ``beat`` the Bayesian comparison
    of every cell (:func:`beat_control`)."""
    at = (r, k, j)
    nan = float("nan")
    return RateRow(
        report=r,
        segment=comp.reports[r].segment,
        recipe=comp.recipes[k],
        step=comp.steps[j],
        is_control=k == comp.control_index,
        per_entry=bool(comp.per_entry[j]),
        entries=_f(comp.entries, *at),
        conversions=_f(comp.conversions, *at),
        rate=_f(comp.rate, *at),
        rate_low=_f(comp.rate_low, *at),
        rate_high=_f(comp.rate_high, *at),
        diff=_f(comp.diff, *at),
        diff_low=_f(comp.diff_low, *at),
        diff_high=_f(comp.diff_high, *at),
        lift=_f(comp.lift, *at),
        lift_low=_f(comp.lift_low, *at),
        lift_high=_f(comp.lift_high, *at),
        p_value=_f(comp.p_value, *at),
        p_adjusted=_f(comp.p_adjusted, *at),
        significant=bool(comp.significant[at]),
        mdl=_f(comp.mdl, *at),
        av_p_value=_f(comp.av_p_value, *at),
        av_p_adjusted=_f(comp.av_p_adjusted, *at),
        cs_low=_f(comp.cs_low, *at),
        cs_high=_f(comp.cs_high, *at),
        prob_beat=_f(beat.probability, *at) if beat is not None else nan,
        expected_loss=_f(beat.expected_loss, *at) if beat is not None else nan,
        note=str(comp.note[at]),
    )


def beat_control(comp: Comparison) -> ProbabilityToBeat:
    """Probability to beat the control and expected loss of every cell, shaped like the
    comparison ``(report, recipe, step)``: NaN for the control, per-entry steps and counts
    that are not counts (their notes say so)."""
    c = comp.control_index
    x, n = comp.conversions, comp.entries
    with np.errstate(invalid="ignore"):
        counts = (x >= 0) & (x <= n) & (x == np.round(x)) & (n == np.round(n))
    counts &= np.isfinite(x) & np.isfinite(n) & ~comp.per_entry
    treated = counts & ~comp.is_control[:, None] & counts[..., c : c + 1, :]
    xs, ns = np.where(treated, x, np.nan), np.where(treated, n, np.nan)
    ctrl = counts[..., c : c + 1, :]
    xc = np.where(ctrl, x[..., c : c + 1, :], np.nan)
    nc = np.where(ctrl, n[..., c : c + 1, :], np.nan)
    return probability_to_beat(xs, ns, xc, nc)


def sample_ratio_row(comp: Comparison, r: int) -> SampleRatioRow:
    srm = comp.sample_ratio
    return SampleRatioRow(
        report=r,
        segment=comp.reports[r].segment,
        type=comp.reports[r].type,
        entries=float(srm.entries[r]),
        chi2=float(srm.chi2[r]),
        p_value=float(srm.p_value[r]),
        flagged=bool(srm.flagged[r]),
        threshold=srm.threshold,
        note=str(srm.reason[r]),
    )


# --------------------------------------------------------------------------------------------
# Verdicts and power
# --------------------------------------------------------------------------------------------
def _outcomes(p_adj: FloatArray, diff: FloatArray, alpha: float) -> Any:
    """wins / loses / no verdict yet / no verdict possible, per cell."""
    sig = p_adj < alpha
    with np.errstate(invalid="ignore"):
        return np.where(
            np.isnan(p_adj),
            UNDEFINED,
            np.where(sig & (diff > 0), WINS, np.where(sig & (diff < 0), LOSES, NO_VERDICT)),
        ).astype(object)


def verdicts(
    comp: Comparison,
    report: Report,
    *,
    metric: str,
    min_lift: float,
    power: float,
    beat: ProbabilityToBeat | None = None,
) -> list[tuple[Verdict, ...]]:
    """Per report, the verdict of each recipe but the control on ``metric``.

    ``outcome`` is the always-valid verdict when ``comp.sequential``, else the fixed-horizon
    one; both are kept.
    """
    j, c = comp.steps.index(metric), comp.control_index
    n = comp.entries[..., j]
    rate, lift, diff = comp.rate[..., j], comp.lift[..., j], comp.diff[..., j]
    fixed_p, av_p = comp.p_adjusted[..., j], comp.av_p_adjusted[..., j]
    sig = comp.significant[..., j]
    per_entry = bool(comp.per_entry[j])
    fixed = _outcomes(fixed_p, diff, comp.alpha)
    seq = _outcomes(av_p, diff, comp.alpha)
    outcome = seq if comp.sequential else fixed
    with np.errstate(invalid="ignore"):
        # a lift that is not defined (control rate 0) meets only the floor of no lift
        meets = (outcome == WINS) & ((lift >= min_lift) | (np.isnan(lift) & (min_lift == 0)))
    if beat is None:
        beat = beat_control(comp)

    target = _target_lift(lift, min_lift)
    more, reason, traffic = _samples_needed(comp, report, n, rate, target, per_entry, power)
    unit = [info.resolution or "sample" for info in comp.reports]

    out: list[tuple[Verdict, ...]] = []
    for r in range(comp.shape[0]):
        row: list[Verdict] = []
        for k in range(comp.shape[1]):
            if k == c:
                continue
            at = (r, k, j)
            kind = str(outcome[r, k])
            waiting = kind == NO_VERDICT
            mdl = _f(comp.mdl, *at)
            text = verdict_text(
                str(fixed[r, k]),
                lift=float(lift[r, k]),
                lift_low=_f(comp.lift_low, *at),
                lift_high=_f(comp.lift_high, *at),
                diff=float(diff[r, k]),
                p_adjusted=float(fixed_p[r, k]),
                alpha=comp.alpha,
                correction=comp.correction,
                min_lift=min_lift,
                note=str(comp.note[at]),
            )
            seq_text = sequential_text(
                str(seq[r, k]),
                av_p_adjusted=float(av_p[r, k]),
                cs_low=_f(comp.cs_low, *at),
                cs_high=_f(comp.cs_high, *at),
                alpha=comp.alpha,
                correction=comp.correction,
                note=str(comp.note[at]),
                family=round(comp.alpha / float(comp.mdl_alpha[r])),
            )
            samples = float(more[r, k]) if waiting else float("nan")
            why = str(reason[r, k]) if waiting and np.isnan(samples) else ""
            row.append(
                Verdict(
                    report=r,
                    segment=comp.reports[r].segment,
                    recipe=comp.recipes[k],
                    step=metric,
                    outcome=kind,
                    fixed_outcome=str(fixed[r, k]),
                    sequential_outcome=str(seq[r, k]),
                    sequential_text=seq_text,
                    av_p_adjusted=float(av_p[r, k]),
                    diff=float(diff[r, k]),
                    cs_low=_f(comp.cs_low, *at),
                    cs_high=_f(comp.cs_high, *at),
                    prob_beat=_f(beat.probability, *at),
                    expected_loss=_f(beat.expected_loss, *at),
                    text=seq_text if comp.sequential else text,
                    fixed_text=text,
                    lift=float(lift[r, k]),
                    lift_low=_f(comp.lift_low, *at),
                    lift_high=_f(comp.lift_high, *at),
                    p_adjusted=float(fixed_p[r, k]),
                    significant=bool(sig[r, k]),
                    meets_min_lift=bool(meets[r, k]),
                    mdl=mdl,
                    target_lift=float(target[r, k]) if waiting else float("nan"),
                    more_samples=samples,
                    sample_unit=unit[r],
                    traffic_control=float(traffic[r, c]),
                    traffic_recipe=float(traffic[r, k]),
                    power_text=power_text(
                        target_lift=float(target[r, k]),
                        more_samples=samples,
                        unit=unit[r],
                        mdl=mdl,
                        power=power,
                        alpha=float(comp.mdl_alpha[r]),
                        reason=why,
                        family=round(comp.alpha / float(comp.mdl_alpha[r])),
                        correction=comp.correction,
                    )
                    if waiting
                    else "",
                    power_note=why,
                    note=str(comp.note[at]),
                )
            )
        out.append(tuple(row))
    return out


def _target_lift(lift: FloatArray, min_lift: float) -> FloatArray:
    """The observed lift, or ``min_lift`` where that is larger than the lift's size."""
    with np.errstate(invalid="ignore"):
        small = ~(np.abs(lift) >= min_lift)  # NaN lifts too
    fallback = min_lift if min_lift > 0 else np.nan
    out: FloatArray = np.where(small, fallback, lift)
    return out


def _samples_needed(
    comp: Comparison,
    report: Report,
    n: FloatArray,
    rate: FloatArray,
    target: FloatArray,
    per_entry: bool,
    power: float,
) -> tuple[FloatArray, Any, FloatArray]:
    """More samples until ``target`` is detectable, their reasons, and entries per sample."""
    c = comp.control_index
    grid = report.in_grid.sum(axis=1).astype(np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        entries = np.where(np.isfinite(n) & (n >= 0), n, np.nan)
        traffic = np.where(grid > 0, entries / np.where(grid > 0, grid, 1.0), np.nan)
        p_c = rate[:, c : c + 1]
        p_c = np.where((p_c >= 0) & (p_c <= 1) & (not per_entry), p_c, np.nan)
    res = samples_to_detect(
        target,
        p_c,
        traffic[:, c : c + 1],
        traffic,
        alpha=np.asarray(comp.mdl_alpha)[:, None],
        power=power,
        n_c=entries[:, c : c + 1],
        n_t=entries,
    )
    reason = np.asarray(res.reason, dtype=object).copy()
    if per_entry:
        reason[...] = "the metric is a per-entry rate, not a proportion: no power to compute"
    reason[np.broadcast_to(grid == 0, reason.shape)] = "the report holds no samples"
    samples: FloatArray = np.asarray(res.samples, dtype=np.float64)
    return samples, reason, traffic


def decision_reason(
    winners: tuple[Verdict, ...],
    considered: tuple[Verdict, ...],
    control: str,
    metric: str,
    where: str,
    alpha: float,
    min_lift: float,
    correction: str,
    sequential: bool = False,
) -> str:
    """The one-line reason of a :class:`Decision` (on the always-valid p-values when
    ``sequential``)."""

    def effect(v: Verdict) -> str:
        if np.isfinite(v.lift):
            return signed_pct(v.lift)
        if np.isfinite(v.diff):
            return f"{v.diff * 100:+.2f} points over a control rate of 0 (lift undefined)"
        return "lift undefined"

    def detail(v: Verdict) -> str:
        if sequential:  # the always-valid view: its confidence sequence, not a fixed interval
            band = (
                f"difference {v.cs_low * 100:+.2f} to {v.cs_high * 100:+.2f} points, "
                f"{level(alpha)} confidence sequence, unadjusted"
                if np.isfinite(v.cs_low) and np.isfinite(v.cs_high)
                else "no confidence sequence"
            )
            return (
                f"{effect(v)} ({band}), always-valid adjusted p "
                f"{p_is(v.av_p_adjusted)} ({correction_name(correction)})"
            )
        interval = f" ({ci_text(v.lift_low, v.lift_high, alpha)})" if np.isfinite(v.lift) else ""
        return (
            f"{effect(v)}{interval}, adjusted p {p_is(v.p_adjusted)} "
            f"({correction_name(correction)})"
        )

    def largest(v: Verdict) -> float:
        return v.lift if np.isfinite(v.lift) else -np.inf

    # the minimum is met by the observed lift (the point estimate), not by the interval
    floor = f" with an observed lift of at least {signed_pct(min_lift)}" if min_lift > 0 else ""
    if winners:
        best = max(winners, key=largest)
        also = [repr(v.recipe) for v in winners if v is not best]
        extra = f"; so does {', '.join(also)}" if also else ""
        return (
            f"yes: {best.recipe!r} beats {control!r} on {metric} {where}{floor}: "
            f"{detail(best)} < {alpha:g}{extra}"
        )
    if not considered:
        return f"no: the report holds no recipe besides the control {control!r}"
    tested = [v for v in considered if np.isfinite(v.av_p_adjusted if sequential else v.p_adjusted)]
    if not tested:
        return (
            f"no: no recipe could be compared with {control!r} on {metric} {where}: "
            f"{considered[0].note or 'undefined'}"
        )
    best = max(tested, key=largest)
    unchecked = [
        repr(v.recipe)
        for v in tested
        if min_lift > 0 and not np.isfinite(v.lift) and v.significant and v.diff > 0
    ]
    why = (
        f"; {', '.join(unchecked)} {'beats' if len(unchecked) == 1 else 'beat'} it "
        "significantly, but the minimum lift cannot be checked: the lift is undefined over a "
        "control rate of 0"
        if unchecked
        else ""
    )
    return (
        f"no: no recipe beats {control!r} on {metric} {where}"
        f"{floor or ' significantly'}; best: {best.recipe!r} "
        f"{detail(best)}{why}"
    )

"""The readout as a JSON document for pipelines, described by a shipped JSON Schema.

:func:`readout_to_json` gives a dict of plain values; :func:`readout_to_json_string` its
text (``json.dumps(..., allow_nan=False)``: a NaN can never leak out as a bare ``NaN``
token, which is not JSON). The document validates against
``ttstats/render/readout.schema.json`` (JSON Schema draft 2020-12, :func:`readout_schema`).

Conventions
-----------
* ``schema_version`` is 1; a change that removes or renames a field raises it.
* Every number that is not defined (NaN or infinite in the analysis) is ``null``, and the
  object holding it has a non-empty ``note`` saying why.
* Intervals are ``[low, high]`` lists; counts are integers where they are whole.
* ``segment`` is ``null`` for the aggregate report; ``report`` is the report's position in
  the file.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

from ..analysis.readout_model import (
    NO_VERDICT,
    ExtremeRow,
    MeansRow,
    RateRow,
    Readout,
    ReportRead,
    SampleRatioRow,
    SegmentRow,
    SensitivityRow,
    Verdict,
)

__all__ = [
    "SCHEMA_VERSION",
    "readout_schema",
    "readout_to_json",
    "readout_to_json_string",
    "schema_path",
]

#: The version of the document's layout.
SCHEMA_VERSION = 1
SCHEMA_FILE = "readout.schema.json"

#: Fields written as integers when whole.
_COUNTS = frozenset(
    {
        "entries",
        "conversions",
        "units",
        "units_with",
        "units_without",
        "max_extreme",
        "flip_k",
        "more_samples",
    }
)


def schema_path() -> Path:
    """Path of the JSON Schema shipped with the package."""
    return Path(str(resources.files("ttstats.render") / SCHEMA_FILE))


def readout_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`readout_to_json`'s document."""
    schema: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return schema


def readout_to_json_string(readout: Readout, *, indent: int | None = 2) -> str:
    """The document of :func:`readout_to_json` as text (UTF-8 safe, ending in a newline).

    Raises ``ValueError`` rather than write a NaN or infinity (``allow_nan=False``).
    """
    return (
        json.dumps(readout_to_json(readout), indent=indent, ensure_ascii=False, allow_nan=False)
        + "\n"
    )


def readout_to_json(readout: Readout) -> dict[str, Any]:
    """The readout as a JSON-ready dict (see the module's conventions).

    Returns
    -------
    dict
        Keys ``schema_version, source, control, metric, entry, settings, warnings, checks,
        comparisons, verdicts, sequential, segments, engagement, extreme_orders``.
    """
    ro = readout
    rd = ro.read
    sections = ro.sections
    comparisons = [_rate(row, is_metric=True) for s in sections for row in s.metric_rows] + [
        _rate(row, is_metric=False) for s in sections for row in s.step_rows
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "source": {
            "label": rd.source,
            "version": rd.version,
            "campaign_ids": list(rd.campaign_ids),
            "start": rd.start,
            "end": rd.end,
            "resolutions": list(rd.resolutions),
            "types": list(rd.types),
            "samples": rd.samples,
            "first_sample": rd.first_sample,
            "last_sample": rd.last_sample,
            "recipes": list(rd.recipes),
            "steps": list(rd.steps),
            "segments": list(rd.segments),
            "campaign_recipe": rd.campaign_recipe,
            "reports": [_report(r) for r in rd.reports],
        },
        "control": ro.control,
        "metric": ro.metric,
        "entry": ro.entry,
        "settings": {
            "alpha": ro.alpha,
            "confidence": 1.0 - ro.alpha,
            "interval": ro.interval,
            "lift_interval": ro.lift_interval,
            "test": ro.test,
            "correction": ro.correction,
            "power": ro.power,
            "min_lift": ro.min_lift,
            "segment": ro.segment,
            "type": ro.type,
            "sequential": ro.sequential,
            "split": list(ro.comparison.split)
            if ro.comparison.split is not None
            else [1.0 / len(ro.comparison.recipes)] * len(ro.comparison.recipes),
        },
        "warnings": [{"source": "read", "message": w} for w in rd.parse_warnings]
        + [{"source": "analysis", "message": w} for w in ro.warnings],
        "checks": {
            "sample_ratio": [_sample_ratio(s.sample_ratio) for s in sections],
            "campaign_consistency": {
                "checked": ro.campaign.checked,
                "consistent": ro.campaign.consistent,
                "reports": [
                    {"report": i, "segment": rd.reports[i].segment, "consistent": ok}
                    for i, ok in ro.campaign.reports
                ],
                "gaps": [
                    _record(
                        g.note,
                        report=g.report,
                        segment=g.segment,
                        sample_start=g.sample_start,
                        step=g.step,
                        measure=g.measure,
                        recipes_sum=g.recipes_sum,
                        campaign=g.campaign,
                        gap=g.gap,
                        tolerance=g.tolerance,
                    )
                    for g in ro.campaign.gaps
                ],
                "note": ro.campaign.note,
            },
        },
        "comparisons": comparisons,
        "verdicts": [_verdict(v, s.report.type) for s in sections for v in s.verdicts],
        "sequential": {
            "acting_on": "always-valid" if ro.sequential else "fixed-horizon",
            "looks": ro.looks,
            "act_on": ro.act_on,
            "method": "mSPRT, normal mixture on the difference of rates",
            "mixing_variance": ro.comparison.mixing_variance,
            **(
                {
                    "note": "default mixing variance: (10% of the pooled rate at each "
                    "comparison's first sample with a conversion)^2"
                }
                if ro.comparison.mixing_variance is None
                else {}
            ),
        },
        "segments": {
            "available": ro.segment_analysis is not None,
            "note": ro.segments_note,
            "simpson": sum(r.simpson for r in ro.segments),
            "rows": [_segment(r) for r in ro.segments],
        },
        "engagement": {
            "available": ro.means is not None,
            "per": "entry",
            "metrics": list(ro.means_metrics),
            "note": ro.means_note,
            "rows": [_means(m) for s in sections for m in s.means],
        },
        "extreme_orders": {
            "available": ro.extreme is not None,
            "metric": ro.extreme_metric,
            "k_sigma": ro.extreme.k_sigma if ro.extreme is not None else None,
            "note": ro.extreme_note,
            "rows": [_extreme(e) for s in sections for e in s.extremes],
            "sensitivity": {
                "available": ro.sensitivity is not None,
                "note": ro.sensitivity_note,
                "flips": sum(r.flipped for s in sections for r in s.sensitivity),
                "rows": [_sensitivity(r) for s in sections for r in s.sensitivity],
            },
        },
    }


# --------------------------------------------------------------------------------------------
# Values and records
# --------------------------------------------------------------------------------------------
def _value(name: str, value: float) -> float | int | None:
    if not math.isfinite(value):
        return None
    if name in _COUNTS and value == int(value) and abs(value) < 2**53:
        return int(value)
    return value


def _record(note: str, **fields: object) -> dict[str, Any]:
    """An object whose undefined numbers are null; its note names them if it had none.

    A float field is a number (NaN and infinity become null); a ``tuple`` of two floats is an
    interval, written ``[low, high]``. Other values are written as they are.
    """
    out: dict[str, Any] = {}
    undefined: list[str] = []
    for name, value in fields.items():
        if isinstance(value, float):
            out[name] = _value(name, value)
            if out[name] is None:
                undefined.append(name)
        elif isinstance(value, tuple):
            pair = [_value(name, float(v)) for v in value]
            out[name] = pair
            if None in pair:
                undefined.append(name)
        else:
            out[name] = value
    if undefined and not note:
        note = "not defined: " + ", ".join(undefined)
    out["note"] = note
    return out


def _report(r: ReportRead) -> dict[str, Any]:
    return {
        "report": r.index,
        "segment": r.segment,
        "segment_id": r.segment_id,
        "campaign_id": r.campaign_id,
        "type": r.type,
        "start": r.start,
        "end": r.end,
        "resolution": r.resolution,
        "samples_present": r.samples_present,
        "samples_in_grid": r.samples_in_grid,
    }


def _sample_ratio(s: SampleRatioRow) -> dict[str, Any]:
    return _record(
        s.note,
        report=s.report,
        segment=s.segment,
        type=s.type,
        entries=s.entries,
        chi2=s.chi2,
        p_value=s.p_value,
        flagged=s.flagged,
        threshold=s.threshold,
    )


def _rate(r: RateRow, *, is_metric: bool) -> dict[str, Any]:
    return _record(
        r.note,
        report=r.report,
        segment=r.segment,
        recipe=r.recipe,
        step=r.step,
        is_control=r.is_control,
        is_metric=is_metric,
        per_entry=r.per_entry,
        entries=r.entries,
        conversions=r.conversions,
        rate=r.rate,
        rate_ci=(r.rate_low, r.rate_high),
        diff=r.diff,
        diff_ci=(r.diff_low, r.diff_high),
        lift=r.lift,
        lift_ci=(r.lift_low, r.lift_high),
        p_value=r.p_value,
        p_adjusted=r.p_adjusted,
        significant=r.significant,
        mdl=r.mdl,
        av_p_value=r.av_p_value,
        av_p_adjusted=r.av_p_adjusted,
        diff_cs=(r.cs_low, r.cs_high),
        prob_beat=r.prob_beat,
        expected_loss=r.expected_loss,
    )


def _segment(r: SegmentRow) -> dict[str, Any]:
    return _record(
        r.note,
        type=r.type,
        recipe=r.recipe,
        segments=r.segments,
        aggregate_lift=r.aggregate_lift,
        segment_lift_range=(r.lift_min, r.lift_max),
        q=r.q,
        df=r.df,
        p_value=r.p_value,
        i_squared=r.i_squared,
        simpson=r.simpson,
    )


def _verdict(v: Verdict, type: str | None) -> dict[str, Any]:
    parts = [v.note]
    if v.outcome != NO_VERDICT:
        parts.append("target_lift, more_samples: asked only where no verdict is reached")
    elif v.power_note:
        parts.append(f"more_samples: {v.power_note}")
    note = "; ".join(x for x in parts if x)
    return _record(
        note,
        report=v.report,
        segment=v.segment,
        type=type,
        recipe=v.recipe,
        step=v.step,
        outcome=v.outcome,
        text=v.text,
        fixed_outcome=v.fixed_outcome,
        fixed_text=v.fixed_text,
        sequential_outcome=v.sequential_outcome,
        sequential_text=v.sequential_text,
        av_p_adjusted=v.av_p_adjusted,
        prob_beat=v.prob_beat,
        expected_loss=v.expected_loss,
        lift=v.lift,
        lift_ci=(v.lift_low, v.lift_high),
        p_adjusted=v.p_adjusted,
        significant=v.significant,
        meets_min_lift=v.meets_min_lift,
        mdl=v.mdl,
        target_lift=v.target_lift,
        more_samples=v.more_samples,
        sample_unit=v.sample_unit,
        traffic_control=v.traffic_control,
        traffic_recipe=v.traffic_recipe,
        power_text=v.power_text,
    )


def _means(m: MeansRow) -> dict[str, Any]:
    return _record(
        m.note,
        report=m.report,
        segment=m.segment,
        recipe=m.recipe,
        metric=m.metric,
        step=m.step,
        per=m.per,
        is_control=m.is_control,
        units=m.units,
        mean=m.mean,
        std=m.std,
        mean_ci=(m.mean_low, m.mean_high),
        lift=m.lift,
        lift_ci=(m.lift_low, m.lift_high),
        p_value=m.p_value,
        p_adjusted=m.p_adjusted,
        significant=m.significant,
        reliable=m.reliable,
        source=m.source,
    )


def _extreme(e: ExtremeRow) -> dict[str, Any]:
    note = e.note
    if not math.isfinite(e.flip_k) and math.isfinite(e.max_extreme):
        note = "; ".join(
            x for x in (note, "flip_k: no removal up to max_extreme flips the verdict") if x
        )
    return _record(
        note,
        report=e.report,
        segment=e.segment,
        recipe=e.recipe,
        is_control=e.is_control,
        units=e.units,
        mean=e.mean,
        std=e.std,
        threshold_low=e.threshold_low,
        threshold_high=e.threshold_high,
        max_extreme=e.max_extreme,
        verdict=e.verdict,
        flip_k=e.flip_k,
        flip_p_value=e.flip_p_value,
        p_value=e.p_value,
        p_value_vs_rest=e.p_value_vs_rest,
    )


def _sensitivity(r: SensitivityRow) -> dict[str, Any]:
    return _record(
        r.note,
        report=r.report,
        segment=r.segment,
        recipe=r.recipe,
        step=r.step,
        measure=r.measure,
        is_control=r.is_control,
        units_with=r.units_with,
        units_without=r.units_without,
        mean_with=r.mean_with,
        mean_without=r.mean_without,
        lift_with=r.lift_with,
        lift_without=r.lift_without,
        lift_ci_with=(r.lift_low_with, r.lift_high_with),
        lift_ci_without=(r.lift_low_without, r.lift_high_without),
        p_value_with=r.p_value_with,
        p_value_without=r.p_value_without,
        verdict_with=r.verdict_with,
        verdict_without=r.verdict_without,
        flipped=r.flipped,
        total_change=r.total_change,
        share_of_change=r.share_of_change,
    )

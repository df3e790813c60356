"""The readout's always-valid, Bayesian and segment views, in every format and in ``check``.

Expected numbers come from the analyses called directly on the same report: ``compare``
(always-valid p-values and confidence sequences), ``stats.probability_to_beat`` on the
compared counts, ``compare_segments``; the JSON document is validated against the shipped
schema with every object closed (no undocumented keys).
"""

from __future__ import annotations

import jsonschema
import numpy as np
import pytest

import ttstats
from ttstats.analysis import build_readout, decide
from ttstats.cli import example_report_path, main
from ttstats.render.json import readout_schema, readout_to_json
from ttstats.render.text import readout_to_markdown, readout_to_text
from ttstats.stats import probability_to_beat

from .test_readout import assert_nulls_have_notes, strict
from .test_segments import _doc, _report

ORDER = "Order Confirmation"
BANNER = "Free shipping banner"


@pytest.fixture(scope="module")
def report() -> ttstats.Report:
    return ttstats.read_report(example_report_path())


def test_json_carries_the_always_valid_and_bayesian_numbers(report: ttstats.Report) -> None:
    ro = build_readout(report)
    doc = readout_to_json(ro)
    jsonschema.Draft202012Validator(strict(readout_schema())).validate(doc)
    assert_nulls_have_notes(doc)
    comp = ttstats.compare(report, "Control")
    j = comp.steps.index(ORDER)
    rows = [c for c in doc["comparisons"] if c["step"] == ORDER and not c["is_control"]]
    assert len(rows) == 6
    for row in rows:
        r, k = row["report"], comp.recipes.index(row["recipe"])
        assert row["av_p_value"] == pytest.approx(comp.av_p_value[r, k, j], rel=1e-14)
        assert row["av_p_adjusted"] == pytest.approx(comp.av_p_adjusted[r, k, j], rel=1e-14)
        assert row["diff_cs"] == pytest.approx([comp.cs_low[r, k, j], comp.cs_high[r, k, j]])
        c = comp.control_index
        beat = probability_to_beat(
            comp.conversions[r, k, j], comp.entries[r, k, j],
            comp.conversions[r, c, j], comp.entries[r, c, j],
        )  # fmt: skip
        assert row["prob_beat"] == pytest.approx(float(beat.probability), rel=1e-14)
        assert row["expected_loss"] == pytest.approx(float(beat.expected_loss), rel=1e-12)
    assert doc["settings"]["sequential"] is False
    assert doc["sequential"]["acting_on"] == "fixed-horizon"
    assert doc["sequential"]["looks"] == 28
    verdict = next(v for v in doc["verdicts"] if v["recipe"] == BANNER and v["segment"] is None)
    assert verdict["outcome"] == verdict["fixed_outcome"] == "wins"
    assert verdict["sequential_outcome"] == "wins"
    agg_banner = (verdict["report"], comp.recipes.index(BANNER), j)
    assert verdict["sequential_text"].startswith(
        f"always-valid: wins, adjusted p = {comp.av_p_adjusted[agg_banner]:.4f}"
    )
    # the p-value is adjusted over the family of (recipe, step) comparisons, the confidence
    # sequence is not, and says so
    family = int(np.isfinite(comp.p_value[verdict["report"]]).sum())
    assert family == 10  # 2 recipes x 5 steps
    low, high = comp.cs_low[agg_banner] * 100, comp.cs_high[agg_banner] * 100
    assert verdict["sequential_text"].endswith(
        f"95% confidence sequence of the difference, valid at every look: {low:+.2f} to "
        f"{high:+.2f} points (not adjusted for the {family} comparisons)"
    )


def test_sequential_readout_acts_on_the_always_valid_verdicts(report: ttstats.Report) -> None:
    comp = ttstats.compare(report, "Control", sequential=True)
    ro = build_readout(report, sequential=True)
    j = comp.steps.index(ORDER)
    for v in ro.verdicts:
        at = (v.report, comp.recipes.index(v.recipe), j)
        assert v.significant == bool(comp.av_p_adjusted[at] < 0.05)
        assert v.outcome == v.sequential_outcome and v.text == v.sequential_text
    # New visitors: the fixed-horizon test wins, the always-valid one does not: the verdict
    # acted on changes with sequential
    new = next(v for v in ro.verdicts if v.segment == "New visitors" and v.recipe == BANNER)
    assert (new.fixed_outcome, new.sequential_outcome, new.outcome) == (
        "wins",
        "no verdict yet",
        "no verdict yet",
    )
    assert "always-valid" in repr(ro)
    text = readout_to_text(ro)
    assert "Act on: the always-valid verdict (over 28 days)" in text
    assert "fixed-horizon: wins" in text
    doc = readout_to_json(ro)
    assert doc["sequential"]["acting_on"] == "always-valid"
    jsonschema.Draft202012Validator(strict(readout_schema())).validate(doc)


def test_decide_sequential_and_the_check_command(
    report: ttstats.Report, capsys: pytest.CaptureFixture[str]
) -> None:
    comp = ttstats.compare(report, "Control", sequential=True)
    new = next(i for i, info in enumerate(report.reports) if info.segment == "New visitors")
    j = comp.steps.index(ORDER)
    expected = bool((comp.significant[new, :, j] & (comp.diff[new, :, j] > 0)).any())
    assert expected is False
    got = decide(report, control="Control", metric=ORDER, segment="New visitors", sequential=True)
    assert got.passed is expected
    banner = (new, comp.recipes.index(BANNER), j)
    assert comp.p_adjusted[banner] < 0.05 <= comp.av_p_adjusted[banner]
    assert f"always-valid adjusted p = {comp.av_p_adjusted[banner]:.4f}" in got.reason
    # the always-valid view shows its confidence sequence, not the fixed-horizon interval
    low, high = comp.cs_low[banner] * 100, comp.cs_high[banner] * 100
    # ... unadjusted, unlike the p-value beside it
    shown = f"difference {low:+.2f} to {high:+.2f} points, 95% confidence sequence, unadjusted"
    assert shown in got.reason
    assert "CI" not in got.reason
    assert decide(report, control="Control", metric=ORDER, segment="New visitors").passed
    base = ["check", str(example_report_path()), "--control", "Control", "--metric", ORDER]
    base += ["--segment", "New visitors"]
    for extra, status in (([], 0), (["--sequential"], 1)):
        assert main([*base, *extra]) == status
        out = capsys.readouterr().out
        assert out.startswith("yes: " if status == 0 else "no: ")


def test_one_sample_shows_no_always_valid_column() -> None:
    one = _doc(_report(None, {"A": (2000, 100), "B": (2000, 140)}))
    ro = build_readout(one)
    assert ro.looks == 1 and ro.act_on.startswith("one sample")
    text = readout_to_text(ro)
    assert "AV adj. p" not in text and "Act on:" not in text
    assert "P(beat)" in text
    many = build_readout(ttstats.read_report(example_report_path()))
    assert "AV adj. p" in readout_to_text(many) and "AV adj. p" in readout_to_markdown(many)


def test_segments_in_the_readout_and_simpsons_paradox() -> None:
    paradox = _doc(
        _report("High", {"A": (100, 50), "B": (900, 441)}),
        _report("Low", {"A": (900, 90), "B": (100, 9)}),
        _report(None, {"A": (1000, 140), "B": (1000, 450)}),
    )
    ro = build_readout(paradox)  # the warning is caught into ro.warnings, not emitted
    with pytest.warns(ttstats.AggregationWarning):
        seg = ttstats.compare_segments(paradox, "A")
    assert len(ro.segments) == 1 and ro.segments[0].simpson
    assert ro.segments[0].q == pytest.approx(float(seg.q[0, 1]), rel=1e-14)
    assert any(w.startswith("Simpson's paradox on Order") for w in ro.warnings)
    text = readout_to_text(ro)
    assert "SIMPSON'S PARADOX" in text and "Segments: SIMPSON'S PARADOX for B." in text
    doc = readout_to_json(ro)
    jsonschema.Draft202012Validator(strict(readout_schema())).validate(doc)
    assert doc["segments"]["available"] and doc["segments"]["simpson"] == 1
    assert doc["segments"]["rows"][0]["segment_lift_range"] == pytest.approx([-0.1, -0.02])
    # the sample-ratio check is made per segment: B's traffic sits in one segment each time
    flagged = {c["segment"] for c in doc["checks"]["sample_ratio"] if c["flagged"]}
    assert flagged == {"High", "Low"}


def test_without_segments_the_section_says_why() -> None:
    ro = build_readout(_doc(_report(None, {"A": (2000, 100), "B": (2000, 140)})))
    assert ro.segments == () and ro.segment_analysis is None
    assert "no segment reports" in ro.segments_note
    doc = readout_to_json(ro)
    assert doc["segments"] == {
        "available": False,
        "note": ro.segments_note,
        "simpson": 0,
        "rows": [],
    }
    assert np.isfinite(doc["comparisons"][1]["prob_beat"])

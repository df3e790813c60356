"""The readout (ttstats.analysis.readout) and its renderings (ttstats.render.text, .json).

Expected numbers come from the analyses called directly, never from the readout itself:
``compare``, ``compare_means``, ``extreme_orders``, ``extreme_order_sensitivity``,
``check_campaign`` and ``stats.samples_to_detect`` on the same report, read from their frames.
The verdict words for the bundled example are the numbers the README's compare example
prints (banner +22.5%, 95% CI +11.5% to +34.6%, adjusted p 0.0002). The JSON document is
validated with ``jsonschema`` against the schema shipped in the package.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import ttstats
from ttstats.analysis import Readout, UnknownLabelError, build_readout, decide
from ttstats.analysis.readout_model import LOSES, NO_VERDICT, UNDEFINED, WINS
from ttstats.cli import example_report_path
from ttstats.cli import main as cli_main
from ttstats.render.json import (
    SCHEMA_VERSION,
    readout_schema,
    readout_to_json,
    readout_to_json_string,
    schema_path,
)
from ttstats.render.text import Table, readout_blocks, readout_to_markdown, readout_to_text
from ttstats.simulate import ExperimentSpec, LogNormal, with_and_without_extremes
from ttstats.stats import samples_to_detect

from .conftest import read_quietly, sample

ORDER = "Order Confirmation"
BANNER, BUTTON = "Free shipping banner", "Bigger buy button"
SAMPLES = ("v1-documented.xml", "seed-abbreviated.xml", "v2-small.xml")
RATE_FIELDS = (
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
    "mdl",
)
MEANS_FIELDS = (
    "units",
    "mean",
    "std",
    "mean_low",
    "mean_high",
    "lift",
    "lift_low",
    "lift_high",
    "p_value",
    "p_adjusted",
)


@pytest.fixture(scope="module")
def example() -> ttstats.Report:
    return ttstats.read_report(example_report_path())


@pytest.fixture(scope="module")
def readout(example: ttstats.Report) -> Readout:
    return build_readout(example, source="example")


@pytest.fixture(scope="module")
def extremes_pair() -> tuple[ttstats.Report, ttstats.Report]:
    """The same simulated request with and without extreme orders (8 whales in B)."""
    spec = ExperimentSpec(
        n_samples=7,
        seed=3,
        traffic=400.0,
        revenue=LogNormal(3.5, 0.6),
        steps=("Entry", "Page Count", ORDER),
        rates=[1.0, 0.9, 0.08],
    )
    with_xml, without_xml = with_and_without_extremes(spec, planted={"Experience B": [4000.0] * 8})
    return ttstats.read_report(with_xml), ttstats.read_report(without_xml)


def same(actual: float, expected: Any) -> bool:
    expected = float(expected)
    return (math.isnan(actual) and math.isnan(expected)) or actual == expected


def frame_row(frame: pd.DataFrame, **where: Any) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for key, value in where.items():
        column = frame[key]
        mask &= column.isna().to_numpy() if value is None else (column == value).to_numpy()
    rows = frame[mask]
    assert len(rows) == 1, where
    return rows.iloc[0]


# ------------------------------------------------------------------------------------------
# The numbers: each against the analysis called directly
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"alpha": 0.1, "interval": "jeffreys", "test": "fisher", "correction": "bonferroni"},
    ],
    ids=["defaults", "other-methods"],
)
def test_rates_are_those_of_compare(example: ttstats.Report, options: dict[str, Any]) -> None:
    ro = build_readout(example, **options)
    frame = ttstats.compare(
        example,
        "Control",
        method=options.get("interval", "wilson"),
        test=options.get("test", "z"),
        correction=options.get("correction", "holm"),
        alpha=options.get("alpha", 0.05),
    ).to_frame()
    checked = 0
    for section in ro.sections:
        for row in (*section.metric_rows, *section.step_rows):
            ref = frame_row(frame, report=row.report, recipe=row.recipe, step=row.step)
            assert row.segment == ref["segment"]
            for name in RATE_FIELDS:
                assert same(getattr(row, name), ref[name]), (row.recipe, row.step, name)
            assert row.significant == bool(ref["significant"])
            assert row.note == ref["note"]
            checked += 1
    assert checked == len(frame) == 3 * 3 * 5


def test_defaults_and_the_bundled_example_verdicts(readout: Readout) -> None:
    assert (readout.control, readout.metric, readout.entry) == ("Control", ORDER, "Entry")
    assert [s.report.segment for s in readout.sections] == [
        None,
        "New visitors",
        "Returning visitors",
    ]
    aggregate = {v.recipe: v for v in readout.sections[0].verdicts}
    banner, button = aggregate[BANNER], aggregate[BUTTON]
    # README: lift 0.2254 (0.1154 to 0.3463), p_adjusted 0.0002
    assert banner.outcome == WINS and banner.meets_min_lift
    assert banner.text == (
        "wins: +22.5% (95% CI +11.5% to +34.6%), significant after Holm correction"
    )
    assert round(banner.p_adjusted, 4) == 0.0002
    assert button.outcome == NO_VERDICT and not button.significant
    assert button.text.startswith("no verdict yet: +2.9% (95% CI -6.7% to +13.6%)")
    returning = {v.recipe: v for v in readout.sections[2].verdicts}
    assert returning[BANNER].outcome == NO_VERDICT  # adjusted p 0.1103 in the README
    assert readout.warnings == () and readout.read.parse_warnings == ()


def test_more_samples_come_from_samples_to_detect(example: ttstats.Report) -> None:
    for min_lift in (0.0, 0.5):
        ro = build_readout(example, min_lift=min_lift)
        frame = ttstats.compare(example, "Control").to_frame()
        days = example.in_grid.sum(axis=1)
        waiting = [v for v in ro.verdicts if v.outcome == NO_VERDICT]
        assert len(waiting) == 4  # the button everywhere, the banner in returning visitors
        for v in waiting:
            t = frame_row(frame, report=v.report, recipe=v.recipe, step=ORDER)
            c = frame_row(frame, report=v.report, recipe="Control", step=ORDER)
            lift = float(t["lift"])
            target = lift if abs(lift) >= min_lift else min_lift
            expected = samples_to_detect(
                target,
                float(c["rate"]),
                float(c["entries"]) / days[v.report],
                float(t["entries"]) / days[v.report],
                n_c=float(c["entries"]),
                n_t=float(t["entries"]),
                # the level one comparison of the report's family needs after Holm: every
                # recipe x step with a p-value in the report
                alpha=0.05 / int(frame[frame.report == v.report].p_value.notna().sum()),
            )
            assert v.target_lift == target
            assert v.more_samples == float(expected.samples)
            assert v.sample_unit == "day"
            if v.more_samples > 0:
                assert f"{v.more_samples:,.0f} more days" in v.power_text
            else:  # +50% is detectable at today's traffic already
                assert min_lift == 0.5 and "would already be detected" in v.power_text
        for v in ro.verdicts:
            if v.outcome != NO_VERDICT:
                assert math.isnan(v.more_samples) and v.power_text == ""
    ro = build_readout(example, min_lift=0.5)
    banner = ro.sections[0].verdicts[0]
    assert banner.outcome == WINS and not banner.meets_min_lift
    assert banner.text.endswith("but below the minimum lift of +50.0%")


def test_means_are_those_of_compare_means(readout: Readout, example: ttstats.Report) -> None:
    # the order step's triple is the order values: revenue per entry reads it, and it is
    # not listed a second time as an engagement metric
    assert readout.means_metrics == ("Page Count", "Time on Site", "revenue")
    frame = ttstats.compare_means(
        example, "Control", metric=["Page Count", "Time on Site", "revenue"], per="entry"
    ).to_frame()
    rows = [m for s in readout.sections for m in s.means]
    assert len(rows) == len(frame) == 3 * 3 * 3
    for m in rows:
        ref = frame_row(frame, report=m.report, recipe=m.recipe, metric=m.metric)
        for name in MEANS_FIELDS:
            assert same(getattr(m, name), ref[name]), (m.recipe, m.metric, name)
        assert (m.significant, m.reliable, m.source) == (
            bool(ref["significant"]),
            bool(ref["reliable"]),
            ref["source"],
        )
    revenue = [m for m in rows if m.metric == "revenue"]
    assert {m.source for m in revenue} == {"order values"}


def test_extreme_orders_are_those_of_extreme_orders(
    readout: Readout, example: ttstats.Report
) -> None:
    assert readout.extreme_metric == ORDER
    frame = ttstats.extreme_orders(example, control="Control", metric=ORDER).to_frame()
    rows = [e for s in readout.sections for e in s.extremes]
    assert len(rows) == len(frame) == 9
    for e in rows:
        ref = frame_row(frame, report=e.report, recipe=e.recipe)
        for name in ("units", "mean", "std", "threshold_high", "p_value", "p_value_vs_rest"):
            assert same(getattr(e, name), ref[name]), name
        assert e.max_extreme == ref["max_extreme"] and e.verdict == ref["verdict"]
        assert (math.isnan(e.flip_k) and pd.isna(ref["flip_k"])) or e.flip_k == ref["flip_k"]
    assert readout.sensitivity is None and "not requested" in readout.sensitivity_note


def test_sensitivity_is_that_of_extreme_order_sensitivity(
    extremes_pair: tuple[ttstats.Report, ttstats.Report],
) -> None:
    with_r, without_r = extremes_pair
    ro = build_readout(with_r, without_extremes=without_r)
    frame = ttstats.extreme_order_sensitivity(with_r, without_r, control="Experience A").to_frame()
    rows = [r for s in ro.sections for r in s.sensitivity]
    assert len(rows) == len(frame) > 0
    for r in rows:
        ref = frame_row(frame, report=r.report, recipe=r.recipe, step=r.step, measure=r.measure)
        for name in ("mean_with", "mean_without", "lift_with", "lift_without", "share_of_change"):
            assert same(getattr(r, name), ref[name]), name
        assert (r.verdict_with, r.verdict_without, r.flipped) == (
            ref["verdict_with"],
            ref["verdict_without"],
            bool(ref["flipped"]),
        )
    flips = [r for r in rows if r.flipped]
    assert flips and {r.recipe for r in flips} == {"Experience B"}
    assert "FLIP" in readout_to_text(ro)
    doc = readout_to_json(ro)
    assert doc["extreme_orders"]["sensitivity"]["flips"] == len(flips)
    jsonschema.Draft202012Validator(strict(readout_schema())).validate(doc)
    assert_nulls_have_notes(doc)


def test_campaign_consistency_and_its_gaps() -> None:
    ok = build_readout(read_quietly(sample("v2-small.xml")))
    assert ok.campaign.checked and ok.campaign.consistent and ok.campaign.gaps == ()
    # v2-small.xml line 55: the first Campaign Entry is 204.0 (104 + 100); make it 210
    text = sample("v2-small.xml").read_text()
    head, tail = text.split('<recipe name="Campaign">', 1)
    broken = (
        head
        + '<recipe name="Campaign">'
        + tail.replace("<amount>204.0</amount>", "<amount>210.0</amount>", 1)
    )
    report = read_quietly(broken)
    ro = build_readout(report)
    gaps = ttstats.check_campaign(report).to_frame()
    assert ro.campaign.consistent is False
    assert [(g.report, g.step, g.measure, g.gap) for g in ro.campaign.gaps] == [
        (int(r.report), r.step, r.measure, float(r.gap)) for r in gaps.itertuples()
    ]
    assert ro.campaign.gaps[0].gap == 6.0 and ro.campaign.gaps[0].sample_start == "2009-08-01"
    assert any(w.startswith("Campaign consistency") for w in ro.warnings)
    unchecked = build_readout(read_quietly(sample("v1-documented.xml")))
    assert not unchecked.campaign.checked and unchecked.campaign.consistent is None


def test_visitor_caveat_is_captured_once_not_emitted() -> None:
    report = read_quietly(sample("v2-small.xml"))
    with pytest.warns(ttstats.AggregationWarning):  # compare() itself warns
        ttstats.compare(report, "Experience A")
    ro = build_readout(report)  # pytest turns any warning into an error
    caveats = [w for w in ro.warnings if "visitor" in w]
    assert len(caveats) == 1 and caveats[0].startswith("summing the samples of a 'visitor'")


def test_parse_warnings_and_single_recipe_files() -> None:
    ro = build_readout(read_quietly(sample("seed-abbreviated.xml")))
    assert len(ro.read.parse_warnings) == 14  # counted by hand in tests/test_cli.py
    # in file order: lines 1 (two: the report unclosed, no root), 2, 3, then 5
    assert "line 5, column 38: closing tag </steps>" in ro.read.parse_warnings[4]
    assert all(s.verdicts == () for s in ro.sections)
    assert ro.extreme is None and "no step carries revenue" in ro.extreme_note
    d = decide(
        read_quietly(sample("seed-abbreviated.xml")),
        control="Experience A",
        metric="Clicked Article",
    )
    assert not d.passed and d.reason.startswith("no: the report holds no recipe besides")


def test_segment_selection(example: ttstats.Report) -> None:
    ro = build_readout(example, segment="New visitors")
    assert [s.report.index for s in ro.sections] == [0]
    assert ro.verdicts[0].outcome == WINS  # README: p_adjusted 0.0052
    with pytest.raises(UnknownLabelError, match=r"segments are \['New visitors', 'Returning"):
        build_readout(example, segment="Old visitors")
    with pytest.raises(UnknownLabelError, match="'All visitors' for the aggregate"):
        build_readout(example, segment="Old visitors")
    # the aggregate by the name the readout gives it, or "aggregate", in any case
    aggregate = [i for i, info in enumerate(example.reports) if info.segment is None]
    for name in ("All visitors", "aggregate", "ALL VISITORS"):
        ro = build_readout(example, segment=name)
        assert [s.report.index for s in ro.sections] == aggregate
        by_name = decide(example, control="Control", metric=ORDER, segment=name)
        default = decide(example, control="Control", metric=ORDER)
        assert (by_name.passed, by_name.reason) == (default.passed, default.reason)
        assert "in the aggregate (all visitors)" in default.reason


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"control": "Treatment"}, UnknownLabelError, r"recipes are \['Control', 'Free ship"),
        ({"metric": "Orders"}, UnknownLabelError, r"steps are \['Entry', 'Display mboxes'"),
        ({"entry": "Visits"}, UnknownLabelError, r"entry='Visits' is not a step.*steps are"),
        ({"metric": "Entry"}, ValueError, "is the entry step"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"test": "t"}, ValueError, "test must be one of"),
        ({"min_lift": -0.1}, ValueError, "min_lift"),
        ({"min_lift": float("nan")}, ValueError, "min_lift"),
    ],
)
def test_bad_arguments(
    example: ttstats.Report, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        build_readout(example, **kwargs)


def test_decide(example: ttstats.Report) -> None:
    yes = decide(example, control="Control", metric=ORDER)
    assert yes.passed and [v.recipe for v in yes.winners] == [BANNER]
    assert yes.reason.startswith("yes: 'Free shipping banner' beats 'Control'")
    assert "adjusted p = 0.0002" in yes.reason
    no = decide(example, control="Control", metric=ORDER, min_lift=0.5)
    assert not no.passed and no.reason.startswith("no: no recipe beats 'Control'")
    assert "in the aggregate (all visitors) with an observed lift of at least +50.0%" in no.reason
    assert not decide(example, control="Control", metric=ORDER, segment="Returning visitors").passed
    # a drop is never a win: Control against the banner
    loses = decide(example, control=BANNER, metric=ORDER)
    assert not loses.passed
    assert {v.outcome for v in loses.verdicts} == {LOSES}


def _one_day(a: tuple[int, int], b: tuple[int, int], kind: str = "visit", days: int = 1) -> str:
    body = "".join(
        f'<sample start="2024-03-0{d + 1}T00:00" duration="day">'
        f'<recipe name="A"><step name="Entry">{a[0]}</step><step name="Order">{a[1]}</step></recipe>'
        f'<recipe name="B"><step name="Entry">{b[0]}</step><step name="Order">{b[1]}</step></recipe>'
        "</sample>"
        for d in range(days)
    )
    return (
        f'<reports><report campaignId="1" start="2024-03-01" end="2024-03-0{days + 1}" '
        f'resolution="day" type="{kind}">{body}</report></reports>'
    )


def test_a_sample_ratio_mismatch_answers_no_unless_allowed(tmp_path: Path) -> None:
    xml = _one_day((2000, 100), (2400, 200))
    report = ttstats.read_report(xml)
    p = sps.chisquare([2000, 2400]).pvalue  # an even split intended
    assert p < 0.001
    no = decide(report, control="A", metric="Order")
    assert not no.passed and no.winners == ()
    assert no.reason.startswith("no: sample ratio mismatch in the aggregate (all visitors)")
    assert f"chi-square p {'< 0.0001' if p < 1e-4 else f'= {p:.4f}'}" in no.reason
    assert "without this check: yes: 'B' beats 'A'" in no.reason
    allowed = decide(report, control="A", metric="Order", allow_mismatch=True)
    assert allowed.passed and "; caution: sample ratio mismatch" in allowed.reason
    path = tmp_path / "report.xml"
    path.write_text(xml)
    args = ["check", str(path), "--control", "A", "--metric", "Order"]
    assert cli_main(args) == 1
    assert cli_main([*args, "--allow-mismatch"]) == 0


def test_min_lift_is_never_met_by_an_undefined_lift() -> None:
    # the control converts nobody: B wins on the difference, its lift is undefined
    report = ttstats.read_report(_one_day((2000, 0), (2000, 30)))
    assert decide(report, control="A", metric="Order").passed
    refused = decide(report, control="A", metric="Order", min_lift=0.05)
    assert not refused.passed and "with an observed lift of at least +5.0%" in refused.reason


def test_summed_visitor_samples_add_a_caution() -> None:
    report = ttstats.read_report(_one_day((2000, 100), (2000, 150), kind="visitor", days=2))
    got = decide(report, control="A", metric="Order")
    assert got.passed
    assert got.reason.endswith(
        "caution: the samples of a 'visitor' report were added up, "
        "counting a returning visitor once per sample"
    )
    visits = ttstats.read_report(_one_day((2000, 100), (2000, 150), days=2))
    assert "caution" not in decide(visits, control="A", metric="Order").reason


def test_undefined_verdicts_say_why() -> None:
    xml = (
        '<reports><report campaignId="1" start="2024-03-01" end="2024-03-02" resolution="day" '
        'type="visit"><sample start="2024-03-01T00:00" duration="day">'
        '<recipe name="A"><step name="Entry">0</step><step name="Order">0</step></recipe>'
        '<recipe name="B"><step name="Entry">100</step><step name="Order">5</step></recipe>'
        "</sample></report></reports>"
    )
    ro = build_readout(ttstats.read_report(xml))
    v = ro.verdicts[0]
    assert v.outcome == UNDEFINED and v.text.startswith("no verdict possible: ")
    assert "no entries" in v.text
    doc = readout_to_json(ro)
    jsonschema.validate(doc, readout_schema())
    assert_nulls_have_notes(doc)


def test_a_section_the_data_refuses_says_why_and_the_rest_reads_out() -> None:
    def recipe(name: str, orders: int, count: int, total: str, sumsq: str) -> str:
        return (
            f'<recipe name="{name}"><step name="Entry"><amount>1000</amount></step>'
            f'<step name="Order"><amount>{orders}</amount><revenue>{total}</revenue>'
            f'<engagement count="{count}" total="{total}" sumOfSquares="{sumsq}"/></step></recipe>'
        )

    xml = (
        '<reports><report campaignId="1" start="2024-03-01" end="2024-03-02" resolution="day" '
        'type="visit"><sample start="2024-03-01T00:00" duration="day">'
        + recipe("A", 40, 40, "2000.00", "150000.00")
        + recipe("B", 50, -50, "2600.00", "190000.00")  # a negative count of order values
        + "</sample></report></reports>"
    )
    ro = build_readout(read_quietly(xml))
    # the impossible cell is left out, with a warning; the rest reads out
    assert ro.extreme is not None
    assert any("no set of values can have" in w for w in ro.warnings)
    assert np.isnan(ro.extreme.mean[0, 1]) and ro.extreme.mean[0, 0] == pytest.approx(50.0)
    assert ro.verdicts[0].outcome in (WINS, NO_VERDICT)  # the rates are read out all the same
    jsonschema.validate(readout_to_json(ro), readout_schema())


# ------------------------------------------------------------------------------------------
# JSON
# ------------------------------------------------------------------------------------------
def strict(schema: Any) -> Any:
    """The schema with ``additionalProperties: false`` on every object: no undocumented keys."""
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(out)
    return out


def objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects(value)


def assert_nulls_have_notes(doc: dict[str, Any]) -> None:
    schema_nullable_text = {"segment", "type", "start", "end", "resolution", "sample_start",
                            "first_sample", "last_sample", "campaign_recipe", "segment_id",
                            "campaign_id", "metric", "k_sigma", "consistent"}  # fmt: skip
    for obj in objects(doc):
        nulls = [
            k
            for k, v in obj.items()
            if k not in schema_nullable_text
            and (v is None or (isinstance(v, list) and None in v and len(v) == 2))
        ]
        if nulls and "note" in obj:
            assert obj["note"], (nulls, obj)
        elif nulls:  # objects without a note hold no undefined numbers
            pytest.fail(f"null without a note: {nulls} in {obj}")


@pytest.mark.parametrize("name", ["example", *SAMPLES])
def test_json_validates_against_the_shipped_schema(name: str) -> None:
    report = (
        ttstats.read_report(example_report_path())
        if name == "example"
        else read_quietly(sample(name))
    )
    ro = build_readout(report, source=name)
    text = readout_to_json_string(ro)

    def no_constants(token: str) -> None:
        pytest.fail(f"{token} token in the JSON")

    doc = json.loads(text, parse_constant=no_constants)  # NaN, Infinity, -Infinity
    assert doc == json.loads(json.dumps(readout_to_json(ro), allow_nan=False))
    jsonschema.Draft202012Validator(strict(readout_schema())).validate(doc)
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert_nulls_have_notes(doc)


def test_json_comparisons(readout: Readout) -> None:
    doc = readout_to_json(readout)
    assert (doc["control"], doc["metric"], doc["source"]["label"]) == ("Control", ORDER, "example")
    required = {"report", "segment", "recipe", "step", "entries", "conversions", "rate",
                "rate_ci", "lift", "lift_ci", "p_value", "p_adjusted", "significant"}  # fmt: skip
    rows = doc["comparisons"]
    assert len(rows) == 45 and all(required <= set(r) for r in rows)
    banner = next(
        r for r in rows if r["segment"] is None and r["recipe"] == BANNER and r["step"] == ORDER
    )
    assert banner["report"] == 2 and banner["is_metric"] and banner["significant"]
    assert isinstance(banner["entries"], int) and banner["entries"] == 18750
    assert [round(x, 4) for x in banner["lift_ci"]] == [0.1154, 0.3463]
    control = next(r for r in rows if r["recipe"] == "Control" and r["step"] == ORDER)
    assert control["lift"] is None and control["lift_ci"] == [None, None]
    assert control["note"] == "control"
    assert [c["p_value"] is not None for c in doc["checks"]["sample_ratio"]] == [True] * 3
    assert doc["checks"]["campaign_consistency"]["consistent"] is True
    assert doc["engagement"]["available"] and len(doc["engagement"]["rows"]) == 27
    assert doc["extreme_orders"]["metric"] == ORDER and len(doc["extreme_orders"]["rows"]) == 9
    assert doc["verdicts"][0]["outcome"] == "wins"


def test_schema_ships_inside_the_package() -> None:
    path = schema_path()
    assert path.is_file() and path.parent == Path(ttstats.__file__).parent / "render"
    jsonschema.Draft202012Validator.check_schema(readout_schema())
    assert readout_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# ------------------------------------------------------------------------------------------
# Text and Markdown
# ------------------------------------------------------------------------------------------
def test_text_tables_are_aligned_and_say_the_verdicts(readout: Readout) -> None:
    text = readout_to_text(readout)
    assert text.startswith("Readout: example\n================\n")
    words = " ".join(text.split())  # paragraphs wrap at 100 columns
    assert (
        "Free shipping banner: wins: +22.5% (95% CI +11.5% to +34.6%), significant after Holm"
        in words
    )
    assert "no verdict yet" in words and "more days at the observed traffic" in words
    assert all(len(line) <= 100 for line in text.splitlines() if not line.startswith("  "))
    # every table: each column starts at the same offset in the header and the rule
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if set(line.strip()) <= {"-", " "} and "  -" in line]
    assert rules
    for i in rules:
        header, rule = lines[i - 1], lines[i]
        starts = [j for j in range(len(rule)) if rule[j] == "-" and rule[j - 1] == " "]
        assert len(header) <= len(rule)
        for j in starts:
            assert header[j - 1] == " ", (header, rule)
    tables = [b for b in readout_blocks(readout) if isinstance(b, Table)]
    assert all(len(row) == len(t.columns) == len(t.align) for t in tables for row in t.rows)


def test_markdown(readout: Readout) -> None:
    md = readout_to_markdown(readout)
    assert md.startswith("# Readout: example\n")
    assert "## All visitors (aggregate of all segments, type visit)" in md
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert table and all(line.endswith("|") for line in table)
    assert "|---|---:|" in md
    assert "- Free shipping banner: wins: +22.5%" in md


def test_repr(readout: Readout) -> None:
    assert repr(readout) == (
        "<Readout of 'example': 'Order Confirmation' vs 'Control', 3 section(s), 2 win(s) at "
        "alpha=0.05 (z, holm), 0 warning(s)>"
    )


def test_intended_split_in_the_readout_json_and_check(example: ttstats.Report) -> None:
    comp = ttstats.compare(example, "Control", split=[2, 1, 1])
    ro = build_readout(example, split=[2, 1, 1])
    doc = readout_to_json(ro)
    jsonschema.Draft202012Validator(strict(readout_schema())).validate(doc)
    assert doc["settings"]["split"] == pytest.approx([0.5, 0.25, 0.25])
    for row in doc["checks"]["sample_ratio"]:
        assert row["p_value"] == pytest.approx(comp.sample_ratio.p_value[row["report"]])
    assert "against the intended split (Control 50.0%" in readout_to_text(ro)
    path = str(example_report_path())
    args = ["check", path, "--control", "Control", "--metric", ORDER]
    assert cli_main(args) == 0  # an even split, as the example was simulated
    assert cli_main([*args, "--split", "2,1,1"]) == 1  # 50:25:25 intended: broken allocation


def _aggregates(*parts: tuple[str, int, int]) -> str:
    """Aggregate reports, each (type, orders of A, orders of B) of 1,000 entries each."""
    body = "".join(
        f'<report campaignId="1" start="2024-03-01" end="2024-03-02" resolution="day" '
        f'type="{kind}"><sample start="2024-03-01T00:00" duration="day">'
        f'<recipe name="A"><step name="Entry">1000</step><step name="Buy">{a}</step></recipe>'
        f'<recipe name="B"><step name="Entry">1000</step><step name="Buy">{b}</step></recipe>'
        "</sample></report>"
        for kind, a, b in parts
    )
    return f"<reports>{body}</reports>"


def test_check_decides_on_one_report_never_on_either_of_two(tmp_path: Path) -> None:
    # two aggregates of one type that disagree: no single decision
    same = ttstats.read_report(_aggregates(("visit", 50, 80), ("visit", 80, 50)))
    with pytest.raises(ValueError, match="2 reports for the same segment and type"):
        decide(same, control="A", metric="Buy")
    # one report per type (a request without type): say which
    kinds = ttstats.read_report(_aggregates(("visit", 50, 80), ("visitor", 80, 50)))
    with pytest.raises(ValueError, match=r"one per type .* choose one with type="):
        decide(kinds, control="A", metric="Buy")
    assert decide(kinds, control="A", metric="Buy", type="visit").passed
    assert not decide(kinds, control="A", metric="Buy", type="visitor").passed
    with pytest.raises(UnknownLabelError, match=r"types are \['visit', 'visitor'\]"):
        decide(kinds, control="A", metric="Buy", type="impression")
    ro = build_readout(same)
    assert any("reports [0, 1] hold the same campaign 1, type visit and aggregate" in w
               for w in ro.warnings)  # fmt: skip
    path = tmp_path / "kinds.xml"
    path.write_text(_aggregates(("visit", 50, 80), ("visitor", 80, 50)))
    args = ["check", str(path), "--control", "A", "--metric", "Buy"]
    assert cli_main(args) == 2
    assert cli_main([*args, "--type", "visit"]) == 0
    assert cli_main([*args, "--type", "visitor"]) == 1


def test_a_control_without_conversions_shows_the_difference_and_why_no_lift() -> None:
    """Control 0 of 1,000, B 30 of 1,000: the difference is +3.00 points (by hand), the lift
    undefined; a minimum lift cannot be checked, and the reason says so."""
    xml = _aggregates(("visit", 0, 30))
    report = ttstats.read_report(xml)
    got = decide(report, control="A", metric="Buy")
    assert got.passed
    assert "'B' beats 'A' on Buy" in got.reason
    assert "+3.00 points over a control rate of 0 (lift undefined)" in got.reason
    assert "n/a" not in got.reason
    floor = decide(report, control="A", metric="Buy", min_lift=0.05)
    assert not floor.passed
    assert floor.reason.endswith(
        "'B' beats it significantly, but the minimum lift cannot be checked: the lift is "
        "undefined over a control rate of 0"
    )
    (verdict,) = build_readout(report, control="A", min_lift=0.05).verdicts
    assert verdict.outcome == "wins" and not verdict.meets_min_lift
    assert verdict.text.endswith("but the minimum lift of +5.0% cannot be checked")


def test_the_visitor_caution_concerns_the_report_decided_on_only() -> None:
    """Two days of a visit and a visitor aggregate: summing the visitor report's days counts
    returning visitors twice; deciding on the visit report, that is no caution of its own."""
    day = '<sample start="2024-03-0{d}T00:00" duration="day">'
    recipes = (
        '<recipe name="A"><step name="Entry">1000</step><step name="Buy">50</step></recipe>'
        '<recipe name="B"><step name="Entry">1000</step><step name="Buy">80</step></recipe>'
    )
    body = "".join(
        f'<report campaignId="1" start="2024-03-01" end="2024-03-03" resolution="day" '
        f'type="{kind}">' + "".join(day.format(d=d) + recipes + "</sample>" for d in (1, 2))
        + "</report>"
        for kind in ("visit", "visitor")
    )  # fmt: skip
    report = ttstats.read_report(f"<reports>{body}</reports>")
    caution = "caution: the samples of a 'visitor' report were added up"
    assert caution not in decide(report, control="A", metric="Buy", type="visit").reason
    assert caution in decide(report, control="A", metric="Buy", type="visitor").reason


def test_absurd_counts_and_levels_give_reasons_not_warnings() -> None:
    # counts of 1e300 and alpha of 1e-300: the suite turns any RuntimeWarning into an error
    huge = ttstats.read_report(_aggregates(("visit", 50, 80)).replace(">1000<", ">1e300<"))
    ro = build_readout(huge, control="A")
    (verdict,) = ro.verdicts
    assert verdict.outcome == UNDEFINED and "more than 2**53 entries" in verdict.text
    small = read_quietly(sample("v2-small.xml"))
    tiny = build_readout(small, alpha=1e-300)
    assert all(np.isfinite(r.rate_low) for s in tiny.sections for r in s.metric_rows)


def _summary_of(ro: Readout) -> list[str]:
    """The summary's bullets, one string each (the wrapping undone)."""
    text = readout_to_text(ro)
    block = text.split("Summary\n-------\n", 1)[1].split("\n\n\n", 1)[0]
    return [" ".join(item.split()) for item in block.split("\n  - ")[1:]]


def test_the_summary_holds_the_aggregate_of_every_type() -> None:
    kinds = ttstats.read_report(_aggregates(("visit", 50, 80), ("visitor", 80, 50)))
    ro = build_readout(kinds, control="A")
    summary = _summary_of(ro)
    assert summary[0].startswith("B (all visitors, type visit): wins")
    assert summary[1].startswith("B (all visitors, type visitor): loses")
    doc = readout_to_json(ro)
    assert [(v["type"], v["outcome"]) for v in doc["verdicts"]] == [
        ("visit", "wins"),
        ("visitor", "loses"),
    ]
    # 1,000 entries each against an intended 3:1 split: a mismatch, named with its type
    skewed = _summary_of(build_readout(kinds, control="A", split=[3, 1]))
    assert "Sample ratio: MISMATCH in All visitors (visit), All visitors (visitor)." in skewed
    jsonschema.Draft202012Validator(strict(readout_schema())).validate(doc)


def test_the_summary_qualifies_a_verdict_under_a_sample_ratio_mismatch(
    example: ttstats.Report,
) -> None:
    broken = build_readout(example, split=[2, 1, 1])
    comp = broken.comparison
    assert comp.sample_ratio.flagged.all()
    banner = next(s for s in _summary_of(broken) if s.startswith("Free shipping banner"))
    assert banner.endswith(
        "Sample ratio MISMATCH in this report: the allocation is broken, so this verdict "
        "cannot be trusted."
    )
    even = build_readout(example)
    assert not any("MISMATCH" in s for s in _summary_of(even))


def test_the_summary_lists_the_verdicts_extreme_orders_flip(
    extremes_pair: tuple[ttstats.Report, ttstats.Report],
) -> None:
    with_x, without_x = extremes_pair
    ro = build_readout(with_x, without_extremes=without_x)
    sens = ttstats.extreme_order_sensitivity(with_x, without_x, control=ro.control)
    expected = sens.flips()
    assert len(expected) == 3  # test_extreme.py: B's orders (aggregate, Segment 2), B's revenue
    (line,) = [s for s in _summary_of(ro) if s.startswith("Extreme orders:")]
    assert line.startswith(
        f"Extreme orders: {len(expected)} verdict(s) FLIP when they are excluded"
    )
    for row in expected.itertuples():
        where = "all visitors" if row.segment is None else row.segment
        assert (
            f"{row.recipe} ({where}, {row.step}, {row.measure}: {row.verdict_with} -> "
            f"{row.verdict_without})"
        ) in line


def test_readout_of_one_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    xml = _aggregates(("visit", 50, 80), ("visitor", 80, 50))
    kinds = ttstats.read_report(xml)
    visit = build_readout(kinds, control="A", type="visit")
    assert [s.report.type for s in visit.sections] == ["visit"]
    # the same numbers as the readout of every type, for that report
    every = build_readout(kinds, control="A")
    (same,) = [v for v in every.verdicts if v.report == visit.verdicts[0].report]
    assert visit.verdicts[0].text == same.text and visit.verdicts[0].outcome == "wins"
    doc = readout_to_json(visit)
    assert doc["settings"]["type"] == "visit" and readout_to_json(every)["settings"]["type"] is None
    assert "Shown: every report, the aggregate first, type visit only." in " ".join(
        readout_to_text(visit).split()
    )
    with pytest.raises(UnknownLabelError, match=r"types are \['visit', 'visitor'\]"):
        build_readout(kinds, control="A", type="impression")
    path = tmp_path / "kinds.xml"
    path.write_text(xml)
    assert cli_main(["readout", str(path), "--control", "A", "--type", "visitor"]) == 0
    out = capsys.readouterr().out
    assert "B (all visitors): loses" in " ".join(out.split())


def test_text_shows_control_and_bidi_characters_of_names_escaped() -> None:
    """A name holding C1 control codes (U+009B is CSI: it recolours a terminal) or a
    right-to-left override (U+202E) is shown with them escaped, never acted on."""
    xml = _aggregates(("visit", 50, 80)).replace('name="B"', 'name="X&#x9b;31mRED&#x202E;z"')
    report = ttstats.read_report(xml)
    assert report.recipes[1] == "X\u009b31mRED\u202ez"
    text = readout_to_text(build_readout(report, control="A"))
    assert "\u009b" not in text and "\u202e" not in text
    assert "X\\u009b31mRED\\u202ez" in text
    assert all(ch.isprintable() or ch == "\n" for ch in text)

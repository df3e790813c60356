"""Each published malformation: tolerant reading recovers the exact values and warns with line
and column; strict reading refuses it at that line and column."""

from __future__ import annotations

import numpy as np
import pytest

import ttstats

from .conftest import read_quietly


def wrap(body: str) -> str:
    """A one-recipe version-1 report around ``body`` (the recipe's content)."""
    return (
        '<reports>\n<report campaignId="7" resolution="day" type="visit">\n'
        '<sample start="2009-08-01T00:00" duration="day">\n'
        f'<recipe name="A">\n{body}\n</recipe>\n</sample>\n</report>\n</reports>\n'
    )


def kinds(r: ttstats.Report) -> list[str]:
    return [w.kind for w in r.warnings]


# 1. a closing tag that does not match
# line 6 is the Visits step; its "</steps>" starts at column 20 + 5 + 1 = 26
MISMATCH = wrap(
    '<step name="Entry">476.0</step>\n<step name="Visits">370.0</steps>\n'
    '<step name="Buy">12.0</step>'
)


def test_mismatched_close_tolerant() -> None:
    r = read_quietly(MISMATCH)
    np.testing.assert_array_equal(r.count[0, 0, 0], [476.0, 370.0, 12.0])
    (w,) = r.warnings
    assert (w.kind, w.line, w.column) == ("mismatched-close", 6, 26)
    assert "</steps>" in w.message


def test_mismatched_close_strict() -> None:
    with pytest.raises(ttstats.ReportParseError) as info:
        ttstats.read_report(MISMATCH, strict=True)
    assert (info.value.line, info.value.column) == (6, 26)
    assert "</steps>" in str(info.value)


# 2. attributes with no white space between them
# line 7: "<engagement " (12) + "stepName=\"Page Count\" " (22) + "count=\"190\" " (12)
# + "total=\"558.00000\"" (17) = 63 characters before sumOfSquares, so column 64
GLUED = wrap(
    '<step name="Page Count">1117.0</step>\n<engagementMetrics>\n'
    '<engagement stepName="Page Count" count="190" total="558.00000"sumOfSquares="4382.00000"/>\n'
    "</engagementMetrics>"
)


def test_glued_attributes_keep_sum_of_squares() -> None:
    r = read_quietly(GLUED)
    # a plain recovering XML parser drops sumOfSquares here: that is data loss
    assert r.engagement_count[0, 0, 0, 0] == 190
    assert r.engagement_total[0, 0, 0, 0] == 558.0
    assert r.engagement_sumsq[0, 0, 0, 0] == 4382.0
    (w,) = r.warnings
    assert (w.kind, w.line, w.column) == ("attribute-spacing", 7, 64)


def test_glued_attributes_strict() -> None:
    with pytest.raises(ttstats.ReportParseError) as info:
        ttstats.read_report(GLUED, strict=True)
    assert (info.value.line, info.value.column) == (7, 64)


def test_plain_recovering_parser_loses_the_value() -> None:
    """The reason for malformation 2's special handling, shown on lxml itself."""
    from lxml import etree

    el = etree.fromstring(
        b'<e count="190" total="558.00000"sumOfSquares="4382.00000"/>',
        etree.XMLParser(recover=True),
    )
    assert el.get("sumOfSquares") is None


# 3. elements never closed, several top-level reports, a report opened inside another
UNCLOSED = (
    '<report campaignId="7" resolution="day" type="visit" segments="S1" segmentId="0">\n'
    '  <sample start="2009-08-01T00:00" duration="day">\n'
    '    <recipe name="A">\n'
    '      <step name="Entry">10.0</step>\n'
    '<report campaignId="7" resolution="day" type="visit" segments="S2" segmentId="1">\n'
    '  <sample start="2009-08-01T00:00" duration="day">\n'
    '    <recipe name="A">\n'
    '      <step name="Entry">20.0</step>\n'
)


def test_unclosed_reports_are_siblings() -> None:
    r = read_quietly(UNCLOSED)
    assert [x.segment for x in r.reports] == ["S1", "S2"]
    np.testing.assert_array_equal(r.count[:, 0, 0, 0], [10.0, 20.0])
    got = {(w.kind, w.line, w.column) for w in r.warnings}
    assert ("unclosed", 1, 1) in got  # the first report, reported where it opened
    assert ("no-root", 5, 1) in got
    assert sum(k == "unclosed" for k in kinds(r)) == 6  # 3 closed early, 3 at the end


def test_unclosed_strict() -> None:
    with pytest.raises(ttstats.ReportParseError) as info:
        ttstats.read_report(UNCLOSED, strict=True)
    assert (info.value.line, info.value.column) == (1, 1)


# 4. engagement elements with no engagementMetrics wrapper
NO_WRAPPER = wrap(
    '<step name="Score">1100.0</step>\n'
    '<engagement stepName="Score" count="207" total="117.00000" sumOfSquares="843.00000"/>'
)


def test_engagement_without_wrapper() -> None:
    r = read_quietly(NO_WRAPPER)
    assert (r.engagement_count[0, 0, 0, 0], r.engagement_total[0, 0, 0, 0]) == (207, 117)
    assert r.engagement_sumsq[0, 0, 0, 0] == 843
    (w,) = r.warnings
    assert (w.kind, w.line, w.column) == ("no-wrapper", 6, 1)


def test_engagement_without_wrapper_strict() -> None:
    with pytest.raises(ttstats.ReportParseError) as info:
        ttstats.read_report(NO_WRAPPER, strict=True)
    assert (info.value.line, info.value.column) == (6, 1)


# 5. stray text standing for elided content
STRAY = wrap('<step name="Entry">5.0</step>\n      .\n      .\n<step name="Buy">1.0</step>')


def test_stray_text() -> None:
    r = read_quietly(STRAY)
    np.testing.assert_array_equal(r.count[0, 0, 0], [5.0, 1.0])
    (w,) = r.warnings
    assert (w.kind, w.line, w.column) == ("stray-text", 6, 7)
    assert "'.\\n      .'" in w.message or "." in w.message


def test_stray_text_strict() -> None:
    with pytest.raises(ttstats.ReportParseError) as info:
        ttstats.read_report(STRAY, strict=True)
    assert (info.value.line, info.value.column) == (6, 7)


def test_repairs_raise_one_python_warning_per_kind() -> None:
    with pytest.warns(ttstats.ReportRepairWarning, match="no white space"):
        ttstats.read_report(GLUED)


# -- content that is not part of the format is never dropped silently ---------------------


def test_unknown_element_and_attribute_are_named() -> None:
    xml = wrap('<step name="Entry" colour="red">5.0</step>\n<bonus>42</bonus>')
    with pytest.warns(ttstats.ReportRepairWarning) as caught:
        r = ttstats.read_report(xml)
    text = " ".join(str(w.message) for w in caught)
    assert "colour" in text and "'red'" in text and "<bonus>" in text
    assert r.count[0, 0, 0, 0] == 5.0
    assert set(kinds(r)) == {"unknown-attribute", "unknown-element"}


def test_unknown_content_is_kept_as_warning_in_strict_mode() -> None:
    xml = wrap('<step name="Entry">5.0</step>\n<bonus>42</bonus>')
    with pytest.warns(ttstats.ReportRepairWarning, match="bonus"):
        r = ttstats.read_report(xml, strict=True)
    assert r.count[0, 0, 0, 0] == 5.0


def test_unreadable_number_is_nan_with_a_warning() -> None:
    r = read_quietly(wrap('<step name="Entry">4x7</step>'))
    assert np.isnan(r.count[0, 0, 0, 0])
    assert "4x7" in r.warnings[0].message


def test_duplicate_value_keeps_the_first_and_says_so() -> None:
    r = read_quietly(wrap('<step name="Entry">5.0</step>\n<step name="Entry">6.0</step>'))
    assert r.count[0, 0, 0, 0] == 5.0
    assert any(w.kind == "duplicate" and "6.0" in w.message for w in r.warnings)


def test_engagement_with_unknown_step_becomes_a_step() -> None:
    xml = wrap(
        '<step name="Entry">5.0</step>\n<engagementMetrics>'
        '<engagement stepName="Scroll" count="3" total="6.0" sumOfSquares="14.0"/>'
        "</engagementMetrics>"
    )
    r = ttstats.read_report(xml)
    assert r.steps == ("Entry", "Scroll")
    assert np.isnan(r.count[0, 0, 0, 1])
    assert (r.engagement_count[0, 0, 0, 1], r.engagement_sumsq[0, 0, 0, 1]) == (3.0, 14.0)


def test_entities_in_names_are_decoded_and_gt_in_quotes() -> None:
    xml = wrap('<step name="A &amp; B &gt; C">5.0</step>').replace('name="A"', 'name="X > Y"')
    r = ttstats.read_report(xml)
    assert r.steps == ("A & B > C",) and r.recipes == ("X > Y",)


def test_single_quoted_attributes() -> None:
    r = ttstats.read_report(wrap("<step name='Bob&apos;s step'>5.0</step>"))
    assert r.steps == ("Bob's step",)


def test_unreadable_sample_start_is_named_and_its_values_dropped() -> None:
    xml = wrap('<step name="Entry">5.0</step>').replace("2009-08-01T00:00", "yesterday")
    r = read_quietly(xml)
    assert r.shape[1] == 0
    (w,) = r.warnings
    assert w.kind == "bad-sample" and "yesterday" in w.message and w.line == 3


def test_off_grid_sample_is_kept_with_a_warning() -> None:
    body = "".join(
        f'<sample start="{s}" duration="day"><recipe name="A"><step name="E">'
        "<amount>1.0</amount></step></recipe></sample>"
        for s in ["2009-08-01T00:00", "2009-08-02T12:00", "2009-08-03T00:00"]
    )
    r = read_quietly(f'<reports><report resolution="day">{body}</report></reports>')
    assert len(r.samples) == 4  # the three days of the grid and the extra half-day sample
    np.testing.assert_array_equal(r.count[0, :, 0, 0], [1.0, 0.0, 1.0, 1.0])
    assert [w.kind for w in r.warnings] == ["off-grid"]

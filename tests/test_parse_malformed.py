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
    # Counted in UNCLOSED by hand: lines 1-3 open <report>, <sample>, <recipe> (line 4's
    # step closes itself) and none of them is closed when line 5 opens the next report: 3.
    # Lines 5-7 open three more, still open at the end of the document: 3. Six in all.
    unclosed = [(w.line, w.column) for w in r.warnings if w.kind == "unclosed"]
    assert sorted(unclosed) == [(1, 1), (2, 3), (3, 5), (9, 1), (9, 1), (9, 1)]
    # no <reports> root: a cut-off file would look the same, and the reader says so
    assert ("unverifiable-end", 1, 1) in got


def test_unclosed_strict() -> None:
    with pytest.raises(ttstats.ReportParseError) as info:
        ttstats.read_report(UNCLOSED, strict=True)
    assert (info.value.line, info.value.column) == (1, 1)


# malformation 3's parts, each alone and refused by strict reading
NO_ROOT = (
    '<report campaignId="7" resolution="day"><sample start="2009-08-01T00:00" duration="day">'
    '<recipe name="A"><step name="E">1.0</step></recipe></sample></report>\n'
    '<report campaignId="7" resolution="day" segment="S"><sample start="2009-08-01T00:00" '
    'duration="day"><recipe name="A"><step name="E">2.0</step></recipe></sample></report>\n'
)


def test_two_top_level_reports_without_root() -> None:
    r = read_quietly(NO_ROOT)
    np.testing.assert_array_equal(r.count[:, 0, 0, 0], [1.0, 2.0])
    assert [(w.kind, w.line, w.column) for w in r.warnings] == [
        ("unverifiable-end", 1, 1),
        ("no-root", 2, 1),
    ]


def test_two_top_level_reports_without_root_strict() -> None:
    with pytest.raises(ttstats.ReportParseError, match="no <reports> root") as info:
        ttstats.read_report(NO_ROOT, strict=True)
    assert (info.value.line, info.value.column) == (2, 1)


def test_one_report_without_root_is_read_with_a_caution() -> None:
    """Well-formed, so strict reading accepts it; the caution is not a repair."""
    one = NO_ROOT.split("\n")[0]
    with pytest.warns(ttstats.ReportRepairWarning, match="cut short"):
        r = ttstats.read_report(one, strict=True)
    assert [w.kind for w in r.warnings] == ["unverifiable-end"]


UNCLOSED_AT_END = (
    '<reports><report campaignId="7" resolution="day">\n'
    '<sample start="2009-08-01T00:00" duration="day">\n'
    '<recipe name="A"><step name="E">1.0</step></recipe>\n'
    "</sample>\n"
)


def test_report_unclosed_at_the_end() -> None:
    # the <reports> root never closed: the document may have been cut short, refused
    with pytest.raises(ttstats.ReportParseError, match="truncated") as info:
        read_quietly(UNCLOSED_AT_END)
    assert (info.value.line, info.value.column) == (5, 1)
    # without the root, the open <report> is closed at the end, with a warning
    r = read_quietly(UNCLOSED_AT_END.replace("<reports>", ""))
    assert r.count.ravel().tolist() == [1.0]
    assert [(w.kind, w.line, w.column) for w in r.warnings] == [
        ("unverifiable-end", 1, 1),
        ("unclosed", 5, 1),
    ]


def test_report_unclosed_at_the_end_strict() -> None:
    with pytest.raises(ttstats.ReportParseError, match="never closed") as info:
        ttstats.read_report(UNCLOSED_AT_END.replace("<reports>", ""), strict=True)
    assert (info.value.line, info.value.column) == (5, 1)


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
    # the two elided lines as they stand in the file, from the first '.' to the last
    assert w.message == "stray text '.\\n      .' ignored"


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


# -- well-formed XML the published examples do not use ------------------------------------


@pytest.mark.parametrize("strict", [False, True])
def test_single_quoted_value_holding_gt(strict: bool) -> None:
    # well-formed: '>' may stand in an attribute value (XML 1.0, AttValue)
    r = ttstats.read_report(wrap("<step name='Clicked > Article'>255.0</step>"), strict=strict)
    assert r.steps == ("Clicked > Article",)
    assert r.count.ravel().tolist() == [255.0]
    assert r.warnings == ()


def test_double_quoted_value_with_many_gt() -> None:
    name = "a>" * 100
    xml = wrap(f'<step name="{name}">1.0</step>\n<step name=\'"{name}\'>2.0</step>')
    r = ttstats.read_report(xml, strict=True)
    assert r.steps == (name, '"' + name)
    assert r.count.ravel().tolist() == [1.0, 2.0]


def test_names_are_normalised_as_xml_does() -> None:
    # XML 1.0 section 3.3.3: a literal tab, LF, CR LF or CR in a value becomes one space;
    # a character reference keeps its character
    xml = wrap('<step name="a\tb\r\nc\rd&#10;e">1.0</step>').replace('name="A"', 'name="X\nY"')
    r = ttstats.read_report(xml.encode(), strict=True)
    assert r.steps == ("a b c d\ne",) and r.recipes == ("X Y",)


def test_character_references_follow_xml_not_html() -> None:
    # HTML5 maps &#128; to the euro sign; XML gives U+0080
    r = ttstats.read_report(wrap('<step name="&#128;&#x41;&lt;&apos;">1.0</step>'), strict=True)
    assert r.steps == ("\u0080A<'",)


@pytest.mark.parametrize("ref", ["&#0;", "&#xD800;", "&#99999999;", "&#xFFFE;", "& B"])
def test_invalid_references_are_kept_as_text_and_warned(ref: str) -> None:
    xml = wrap(f'<step name="A{ref}">1.0</step>')
    r = read_quietly(xml)
    assert r.steps == (f"A{ref}",)  # never U+FFFD, never silently changed
    (w,) = r.warnings
    # line 5 holds the step; its name's value starts after '<step name="' (12 bytes)
    assert (w.kind, w.line, w.column) == ("reference", 5, 13)
    assert ref.split()[0] in w.message
    with pytest.raises(ttstats.ReportParseError, match="strict") as info:
        ttstats.read_report(xml, strict=True)
    assert (info.value.line, info.value.column) == (5, 13)


def test_cr_only_line_ends_count_as_lines() -> None:
    xml = MISMATCH.replace("\n", "\r")
    r = read_quietly(xml)
    (w,) = r.warnings
    assert (w.kind, w.line, w.column) == ("mismatched-close", 6, 26)  # as with LF line ends


def test_step_inside_an_unknown_element_names_it() -> None:
    r = read_quietly(wrap('<bonus><step name="Entry">5.0</step></bonus>'))
    misplaced = [w for w in r.warnings if w.kind == "misplaced"]
    assert [w.message for w in misplaced] == [
        "<step> inside <bonus> is not part of the format; ignored with its content"
    ]


@pytest.mark.parametrize("empty", ["<amount></amount>", "<amount/>", "<amount>  </amount>"])
def test_empty_amount_is_nan_with_a_warning(empty: str) -> None:
    # version 2: a second sample reports the count, so the report carries that measure; an
    # empty amount was reported empty: NaN, not the zero an omitted sample would give
    doc = (
        '<reports><report resolution="day">'
        '<sample start="2009-08-01T00:00" duration="day"><recipe name="A"><step name="E">'
        f"{empty}</step></recipe></sample>"
        '<sample start="2009-08-02T00:00" duration="day"><recipe name="A"><step name="E">'
        "<amount>3.0</amount></step></recipe></sample></report></reports>"
    )
    r = read_quietly(doc)
    np.testing.assert_array_equal(r.count[0, :, 0, 0], [np.nan, 3.0])
    (w,) = r.warnings
    # '<reports><report resolution="day">' (34 bytes), the sample's start tag (48), '<recipe
    # name="A">' (17) and '<step name="E">' (15) come first: 114 bytes, so column 115
    assert (w.kind, w.line, w.column) == ("empty", 1, 115)
    assert w.message == "empty <amount>; read as NaN (not reported)"


def test_duplicate_value_names_both_places_and_both_values() -> None:
    xml = wrap('<step name="Entry">5.0</step>').replace(
        "</sample>", '<recipe name="A">\n<step name="Entry">6.0</step>\n</recipe>\n</sample>'
    )
    r = read_quietly(xml)
    assert r.count.ravel().tolist() == [5.0]
    dup = [w for w in r.warnings if w.kind == "duplicate"]
    assert [(w.line, w.column) for w in dup] == [(7, 1)]  # the second <recipe A>
    assert dup[0].message == (
        "two values for report 0, sample 2009-08-01T00:00, recipe 'A', step 'Entry', count: "
        "5.0 kept (in the <recipe> at line 4, column 1), 6.0 dropped"
    )


def test_duplicate_sample_names_both_places() -> None:
    smp = (
        '<sample start="2009-08-01T00:00" duration="day">'
        '<recipe name="A"><step name="E"><amount>{}</amount></step></recipe></sample>\n'
    )
    xml = f'<reports><report resolution="day">\n{smp.format(1)}{smp.format(2)}</report></reports>'
    r = read_quietly(xml)
    assert r.count.ravel().tolist() == [1.0]
    got = {w.kind: w for w in r.warnings}
    assert (got["duplicate-sample"].line, got["duplicate-sample"].column) == (3, 1)
    assert "first at line 2, column 1" in got["duplicate-sample"].message
    assert "1.0 kept (in the <recipe> at line 2, column 49), 2.0 dropped" in (
        got["duplicate"].message
    )


def test_samples_outside_the_report_period_are_read_and_said() -> None:
    """A report of 2009-08-01 to 2009-08-03 with samples on 07-31, 08-01, 08-03 and 08-04:
    the first and the last lie outside it (08-03 is the end's own day: the documentation does
    not say whether the end is inclusive, so it is not flagged). Every value is still read."""
    days = ("2009-07-31", "2009-08-01", "2009-08-03", "2009-08-04")
    body = "".join(
        f'<sample start="{d}T00:00" duration="day"><recipe name="A">'
        f'<step name="Entry"><amount>{10 + i}</amount></step></recipe></sample>'
        for i, d in enumerate(days)
    )
    xml = (
        '<reports><report campaignId="1" start="2009-08-01" end="2009-08-03" '
        f'resolution="day" type="visit">{body}</report></reports>'
    )
    report = read_quietly(xml)
    outside = [w for w in report.warnings if w.kind == "sample-outside-period"]
    assert [w.message.split(" lies ")[0] for w in outside] == [
        "<sample> starting 2009-07-31T00:00",
        "<sample> starting 2009-08-04T00:00",
    ]
    assert "before the report's start" in outside[0].message
    assert "after the report's end" in outside[1].message
    assert outside[0].line == 1 and outside[0].column == xml.index("<sample") + 1
    starts = report.samples.start.astype("datetime64[D]").astype(str).tolist()
    counts = dict(zip(starts, report.count[0, :, 0, 0].tolist(), strict=True))
    assert {d: counts[d] for d in days} == {d: 10.0 + i for i, d in enumerate(days)}
    with pytest.warns(ttstats.ReportRepairWarning, match="sample-outside-period|lies before"):
        ttstats.read_report(xml)


@pytest.mark.parametrize(
    ("resolution", "start", "end", "sample", "flagged"),
    [
        ("hour", "2024-03-01", "2024-03-01", "2024-03-01T23:00", False),  # the end's whole day
        ("hour", "2024-03-01", "2024-03-01", "2024-03-02T00:00", True),
        ("hour", "2024-03-01T10:00", "2024-03-01T12:00", "2024-03-01T12:00", False),
        ("hour", "2024-03-01T10:00", "2024-03-01T12:00", "2024-03-01T12:01", True),
        ("hour", "2024-03-01T10:00", "2024-03-01T12:00", "2024-03-01T09:00", True),
        ("week", "2024-03-06", "2024-03-20", "2024-03-04T00:00", False),  # its week holds start
        ("week", "2024-03-06", "2024-03-20", "2024-02-26T00:00", True),
        ("month", "2024-01-15", "2024-03-31", "2024-01-01T00:00", False),
    ],
)
def test_the_period_check_gives_way_to_every_reading_of_the_dates(
    resolution: str, start: str, end: str, sample: str, flagged: bool
) -> None:
    xml = (
        f'<reports><report campaignId="1" start="{start}" end="{end}" resolution="{resolution}" '
        f'type="visit"><sample start="{sample}" duration="{resolution}"><recipe name="A">'
        '<step name="Entry"><amount>5</amount></step></recipe></sample></report></reports>'
    )
    kinds = [w.kind for w in read_quietly(xml).warnings]
    assert ("sample-outside-period" in kinds) is flagged


def test_content_in_a_closing_tag_is_said_not_dropped_silently() -> None:
    xml = (
        '<reports><report><sample start="2009-08-01T00:00" duration="day"><recipe name="A">'
        '<step name="E"><amount>3</amount></step sumOfSquares="4382.0"><step name="B">'
        "<amount>1</amount></step ></recipe  junk 55></sample x></report></reports>"
    )
    report = read_quietly(xml)
    found = [w for w in report.warnings if w.kind == "closing-tag-content"]
    assert [w.message for w in found] == [
        "content after the name in </step> ignored: 'sumOfSquares=\"4382.0\"'",
        "content after the name in </recipe> ignored: 'junk 55'",
        "content after the name in </sample> ignored: 'x'",
    ]
    assert found[0].column == xml.index("</step sumOfSquares") + 1
    assert report.count[0, 0, 0].tolist() == [3.0, 1.0]  # the values are read as before
    with pytest.raises(ttstats.ReportParseError, match="content after the name in </step>"):
        ttstats.read_report(xml, strict=True)


def test_a_number_too_small_for_float64_is_not_read_as_zero() -> None:
    xml = (
        '<reports><report><sample start="2009-08-01T00:00" duration="day"><recipe name="A">'
        '<step name="E"><amount>5</amount><revenue>1e-400</revenue></step>'
        '<step name="F"><amount>0e5</amount><revenue>0.0e-400</revenue></step>'
        "</recipe></sample></report></reports>"
    )
    report = read_quietly(xml)
    assert np.isnan(report.revenue[0, 0, 0, 0])  # 1e-400 is not 0: NaN, and said
    assert report.revenue[0, 0, 0, 1] == 0.0 and report.count[0, 0, 0, 1] == 0.0  # zeros are
    (warning,) = [w for w in report.warnings if w.kind == "bad-number"]
    assert "'1e-400'" in warning.message

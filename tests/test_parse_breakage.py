"""Inputs a hostile tester used to break the parser, each with the answer it must give."""

from __future__ import annotations

import numpy as np
import pytest

import ttstats
from ttstats.parse import _read

from .conftest import read_quietly

H = (
    '<reports><report campaignId="7" resolution="day" type="visit">'
    '<sample start="2009-08-01T00:00" duration="day">'
)
T = "</sample></report></reports>"
RECIPE = '<recipe name="A"><step name="E"><amount>1</amount></step></recipe>'


def test_a_grid_spanning_millennia_is_refused() -> None:
    smp = '<sample start="{}" duration="hour">' + RECIPE + "</sample>\n"
    xml = (
        '<reports><report resolution="hour">\n'
        + smp.format("0001-01-01T00:00")
        + smp.format("9999-12-31T00:00")
        + "</report></reports>"
    )
    with pytest.raises(ttstats.ReportParseError, match="samples in one report") as info:
        ttstats.read_report(xml)
    assert (info.value.line, info.value.column) == (3, 1)  # the sample that stretches it
    assert "(line 2, column 1)" in str(info.value)  # and the one it stretches from


# An 8 KB file that asked for 3.6 GiB: two samples 40 years apart at hourly resolution
GRID_BOMB = (
    '<reports><report resolution="hour">\n'
    '<sample start="1990-01-01T00:00" duration="hour">' + RECIPE + "</sample>\n"
    '<sample start="2030-01-01T00:00" duration="hour">' + RECIPE + "</sample>\n"
    "</report></reports>\n"
)


def test_a_grid_far_larger_than_what_was_read_is_refused() -> None:
    # 10 recipes of 20 steps in each sample: a file of 34 KB whose arrays would take
    # 350,641 samples x 11 recipe slots x 20 steps x 5 measures x 8 bytes = 3.1 GB
    wide = "".join(
        f'<recipe name="R{k}">'
        + "".join(f'<step name="S{j}"><amount>1</amount></step>' for j in range(20))
        + "</recipe>"
        for k in range(10)
    )
    xml = GRID_BOMB.replace(RECIPE, wide)
    assert len(xml) < 40_000

    def attempt() -> None:
        with pytest.raises(ttstats.ReportParseError, match="max_cells") as info:
            ttstats.read_report(xml)
        assert (info.value.line, info.value.column) == (3, 1)
        assert "1990-01-01T00:00 (line 2, column 1)" in str(info.value)
        # per sample: 11 x 20 x 5 cells and 2 flags (present, in_grid)
        assert f"{350_641 * (11 * 20 * 5 + 2):,} cells" in str(info.value)

    # refused before the arrays are allocated: memory stays near the default allowance
    # (2,097,152 cells plus 64 per value read, 16 MiB of float64)
    assert _peak_mib(attempt) < 64


def test_max_cells_lets_a_sparse_grid_through() -> None:
    # 40 years of hours, 2 with a sample: 350,641 samples (1990-01-01 to 2030-01-01, ten
    # leap days between, so 14,610 days of 24 hours, plus the last one)
    r = ttstats.read_report(GRID_BOMB, max_cells=10**7)
    assert r.shape == (1, 14_610 * 24 + 1, 1, 1)
    assert r.count[0, [0, -1], 0, 0].tolist() == [1.0, 1.0]
    assert r.count[0, 1:-1].sum() == 0  # omitted samples: zero


def test_memory_error_becomes_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from ttstats.parse import _assemble

    def no_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(_assemble, "_zero_fill", no_memory)  # after reading: at the end
    with pytest.raises(ttstats.ReportParseError, match="not enough memory") as info:
        ttstats.read_report(H + RECIPE + T)
    assert (info.value.line, info.value.column) == (1, len(H + RECIPE + T) + 1)


def _peak_mib(fn: object) -> float:
    import tracemalloc

    tracemalloc.start()
    try:
        fn()  # type: ignore[operator]
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 2**20


def test_many_stray_closing_tags_are_each_reported_and_nothing_is_lost() -> None:
    n = 3000
    xml = H + '<recipe name="A"><step name="E"><amount>1</amount></step>' + "<x>" * n + "</y>" * n
    r = read_quietly(xml + "</recipe>" + T)
    assert r.count.ravel().tolist() == [1.0]
    stray = [w for w in r.warnings if w.kind == "stray-close"]
    # the n "</y>" match nothing open: n stray closing tags. The first 200 are listed (one
    # entry each, in document order), then one entry counts the other n - 200.
    assert len(stray) == 201
    assert stray[-1].message == f"{n - 200} more warnings of kind 'stray-close' not listed; " + (
        "the first of them is here"
    )
    # the 201st "</y>" starts after the prefix, the n "<x>" (3 bytes) and 200 "</y>" (4)
    prefix = H + '<recipe name="A"><step name="E"><amount>1</amount></step>'
    assert (stray[-1].line, stray[-1].column) == (1, len(prefix) + 3 * n + 4 * 200 + 1)


def test_deep_nesting_keeps_the_values() -> None:
    # deeper than an int16 level, and than the level-by-level search (64): (level, position)
    # keys of the one search reach 33,000 x 66,000, beyond 32 bits
    n = 33000
    xml = H + '<recipe name="A"><step name="E"><amount>1</amount></step>' + "<x>" * n
    xml += '<step name="F"><amount>2</amount></step>' + "</x>" * n
    r = read_quietly(xml + '<step name="G"><amount>3</amount></step></recipe>' + T)
    assert r.steps == ("E", "G") and r.count.ravel().tolist() == [1.0, 3.0]
    # F stands inside <x>: not part of the format, named with its place
    assert [w.kind for w in r.warnings][:2] == ["unknown-element", "misplaced"]
    assert "<step> inside <x>" in r.warnings[1].message


def test_unknown_declared_encoding_is_a_parse_error() -> None:
    with pytest.raises(ttstats.ReportParseError, match="unknown encoding"):
        ttstats.read_report(b'<?xml version="1.0" encoding="nosuch"?><reports/>')


def test_huge_integer_attribute_is_read_as_none_with_a_warning() -> None:
    r = read_quietly(
        '<reports><report campaignId="' + "9" * 5000 + '" resolution="day"></report></reports>'
    )
    assert r.reports[0].campaign_id is None
    assert [w.kind for w in r.warnings] == ["attribute"]


def test_huge_message_code_is_not_a_crash() -> None:
    with pytest.raises(ttstats.TTApiError) as info:
        ttstats.read_report('<message code="' + "9" * 5000 + '">x</message>')
    assert info.value.code is None


def test_recipe_level_amount_without_any_step() -> None:
    r = read_quietly(H + '<recipe name="A"><amount>5</amount></recipe>' + T)
    assert any(w.kind == "no-step" for w in r.warnings)


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_comments_holding_tags_read_the_same_in_any_chunking(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    xml = (
        H
        + '<recipe name="A"><step name="E"><!-- <amount>99</amount> --><amount>10</amount>'
        + "</step></recipe>"
        + T
    )
    whole = read_quietly(xml)
    monkeypatch.setattr(_read, "CHUNK_SIZE", chunk)
    parts = read_quietly(xml)
    assert whole.count.ravel().tolist() == parts.count.ravel().tolist() == [10.0]


def test_names_spelled_two_ways_are_one_name() -> None:
    xml = (
        H
        + '<recipe name="A&amp;B"><step name="E"><amount>1</amount></step></recipe>'
        + '<recipe name="A&#38;B"><step name="E"><amount>2</amount></step></recipe>'
        + '<recipe name="Campaig&#110;"><step name="E"><amount>3</amount></step></recipe>'
        + T
    )
    r = read_quietly(xml)
    assert r.recipes == ("A&B",)
    assert r.count.ravel().tolist() == [1.0]
    assert r.campaign.count.ravel().tolist() == [3.0]
    assert any(w.kind == "duplicate" and "2.0 dropped" in w.message for w in r.warnings)


def test_duplicates_are_refused_in_strict_mode() -> None:
    xml = H + '<recipe name="A"><step name="E"><amount>1</amount><amount>2</amount></step></recipe>'
    with pytest.raises(ttstats.ReportParseError, match="strict"):
        ttstats.read_report(xml + T, strict=True)


@pytest.mark.parametrize("text", ["1e400", "1" * 400])
def test_overflowing_numbers_are_nan_with_a_warning(text: str) -> None:
    r = read_quietly(
        H + f'<recipe name="A"><step name="E"><amount>{text}</amount></step></recipe>' + T
    )
    assert np.isnan(r.count).all()
    assert [w.kind for w in r.warnings] == ["bad-number"]


@pytest.mark.parametrize("start", ["now", "today", "2009-08-02T00:00+02:00"])
def test_sample_starts_outside_the_api_form_are_refused(start: str) -> None:
    r = read_quietly(H.replace("2009-08-01T00:00", start) + RECIPE + T)
    assert r.shape[1] == 0
    assert [w.kind for w in r.warnings] == ["bad-sample"]


def test_xml_string_with_a_bom() -> None:
    assert ttstats.read_report("\ufeff" + H + RECIPE + T).recipes == ("A",)


def test_empty_string_is_a_parse_error() -> None:
    with pytest.raises(ttstats.ReportParseError):
        ttstats.read_report("")


def test_duplicates_across_merge_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from ttstats.parse import _assemble

    xml = H + '<recipe name="A"><step name="E"><amount>1</amount><amount>2</amount></step>'
    xml += '<step name="E"><amount>3</amount></step></recipe>' + T
    whole = read_quietly(xml)
    monkeypatch.setattr(_assemble, "VALUE_BATCH", 1)
    one_by_one = read_quietly(xml)
    assert whole.count.ravel().tolist() == one_by_one.count.ravel().tolist() == [1.0]
    assert [w.message for w in whole.warnings] == [w.message for w in one_by_one.warnings]
    assert len(whole.warnings) == 2


def test_every_unknown_attribute_is_named() -> None:
    n = 150
    attrs = " ".join(f'a{i}="{i}"' for i in range(n))
    r = read_quietly(
        H + f'<recipe name="A"><step name="E" {attrs}><amount>1</amount>' + "</step></recipe>" + T
    )
    names = [w.message.split("'")[1] for w in r.warnings if w.kind == "unknown-attribute"]
    assert names == [f"a{i}" for i in range(n)]  # 150 distinct attributes: 150 warnings


def test_every_unreadable_number_is_counted() -> None:
    n = 1500
    steps = "".join(f'<step name="S{i}"><amount>x{i}</amount></step>' for i in range(n))
    r = read_quietly(H + f'<recipe name="A">{steps}</recipe>' + T)
    bad = [w for w in r.warnings if w.kind == "bad-number"]
    assert len(bad) == 201
    assert [w.message for w in bad[:2]] == [
        "unreadable number 'x0' in <amount>; read as NaN",
        "unreadable number 'x1' in <amount>; read as NaN",
    ]
    assert bad[-1].message.startswith(f"{n - 200} more warnings of kind 'bad-number'")


@pytest.mark.parametrize("chunk", [97, 1 << 20])
def test_warning_counts_do_not_depend_on_chunks(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(_read, "CHUNK_SIZE", chunk)
    n = 300
    steps = "".join(f'<step name="S{i}" colour="c{i}"><amount>x</amount></step>' for i in range(n))
    r = read_quietly(H + f'<recipe name="A">{steps}</recipe>' + T)
    colour = [w for w in r.warnings if w.kind == "unknown-attribute"]
    assert len(colour) == 1
    assert f"({n} in the file)" in colour[0].message and "'c0'" in colour[0].message
    assert [w for w in r.warnings if w.kind == "bad-number"][-1].message.startswith(
        f"{n - 200} more"
    )


def test_many_reports_each_read() -> None:
    n = 3000
    reports = "".join(
        f'<report campaignId="{i}" resolution="day" segment="S{i}">'
        f'<sample start="2009-08-{1 + i % 28:02d}T00:00" duration="day">'
        f'<recipe name="A"><step name="E"><amount>{i}</amount></step></recipe></sample></report>'
        for i in range(n)
    )
    r = ttstats.read_report("<reports>" + reports + "</reports>")
    assert [x.campaign_id for x in r.reports] == list(range(n))
    assert [x.segment for x in r.reports[:3]] == ["S0", "S1", "S2"]
    day = np.asarray([i % 28 for i in range(n)])
    np.testing.assert_array_equal(r.count[np.arange(n), day, 0, 0], np.arange(n))
    # each report's grid is its one sample: every other cell is outside it
    assert int(np.isfinite(r.count).sum()) == n


def test_deep_unclosed_nesting_is_read_to_its_end() -> None:
    n = 20000
    xml = H + '<recipe name="A"><step name="E"><amount>1</amount></step></recipe>' + "<x>" * n
    with pytest.raises(ttstats.ReportParseError, match="truncated"):
        read_quietly(xml)  # inside <reports>: cut short
    r = read_quietly(xml.replace("<reports>", ""))
    assert r.count.ravel().tolist() == [1.0]
    unclosed = [w for w in r.warnings if w.kind == "unclosed"]
    # n <x>, then <sample> and <report>: n + 2 never closed, 200 listed and one count
    assert len(unclosed) == 201 and unclosed[-1].message.startswith(f"{n + 2 - 200} more")


def test_names_read_the_same_when_every_hash_collides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names are deduplicated by a hash, checked byte by byte: with every hash equal, the
    exact fallback must give the same labels and numbers."""
    from ttstats.parse import _scan

    from .conftest import sample

    ref = ttstats.read_report(sample("v2-small.xml"))
    monkeypatch.setattr(_scan, "_MIX", np.uint64(0))  # every row hashes to 0
    got = ttstats.read_report(sample("v2-small.xml"))
    assert (got.recipes, got.steps) == (ref.recipes, ref.steps)
    assert [r.segment for r in got.reports] == [r.segment for r in ref.reports]
    np.testing.assert_array_equal(got.count, ref.count)
    np.testing.assert_array_equal(got.engagement_sumsq, ref.engagement_sumsq)


@pytest.mark.parametrize("body", ["47<x/>6", "47<x>9</x>6"])
def test_text_after_an_unknown_element_is_named_not_dropped(body: str) -> None:
    xml = (
        '<reports><report><sample start="2024-03-01T00:00" duration="day"><recipe name="A">'
        f'<step name="Entry">{body}</step></recipe></sample></report></reports>'
    )
    with pytest.warns(ttstats.ReportRepairWarning):
        report = ttstats.read_report(xml)
    messages = [w.message for w in report.warnings]
    assert "stray text '6' ignored" in messages
    assert any(m.startswith("unknown element <x>") for m in messages)


def test_seconds_in_a_sample_start_are_said_to_be_dropped() -> None:
    xml = (
        '<reports><report><sample start="2024-03-01T00:00:30" duration="day"><recipe name="A">'
        '<step name="Entry">4</step></recipe></sample></report></reports>'
    )
    with pytest.warns(ttstats.ReportRepairWarning, match="has seconds"):
        report = ttstats.read_report(xml)
    assert report.samples.start.tolist() == [np.datetime64("2024-03-01T00:00", "m")]
    assert read_quietly(xml.replace(":30", ":00")).warnings == ()

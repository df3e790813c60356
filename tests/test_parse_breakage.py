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
    smp = '<sample start="{}" duration="hour">' + RECIPE + "</sample>"
    xml = (
        '<reports><report resolution="hour">'
        + smp.format("0001-01-01T00:00")
        + smp.format("9999-12-31T00:00")
        + "</report></reports>"
    )
    with pytest.raises(ttstats.ReportParseError, match="samples in one report"):
        ttstats.read_report(xml)


def test_many_stray_closing_tags_are_each_reported_and_nothing_is_lost() -> None:
    n = 3000
    xml = H + '<recipe name="A"><step name="E"><amount>1</amount></step>' + "<x>" * n + "</y>" * n
    r = read_quietly(xml + "</recipe>" + T)
    assert r.count.ravel().tolist() == [1.0]
    kinds = [w.kind for w in r.warnings]
    assert kinds.count("stray-close") == 201  # the first 200, and one summing up the rest
    assert any("more warnings" in w.message for w in r.warnings)


def test_deep_nesting_keeps_the_values() -> None:
    n = 33000  # deeper than an int16 level
    xml = H + '<recipe name="A"><step name="E"><amount>1</amount></step>' + "<x>" * n
    r = read_quietly(xml + "</x>" * n + "</recipe>" + T)
    assert r.count.ravel().tolist() == [1.0]
    assert [w.kind for w in r.warnings] == ["unknown-element"]


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

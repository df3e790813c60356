"""Sources (path, bytes, text, file object), encodings, chunking, and the Report's views."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ttstats
from ttstats.parse import MEASURES, _read

from .conftest import read_quietly, sample


def same(a: ttstats.Report, b: ttstats.Report) -> None:
    assert a.reports == b.reports or all(
        (x.campaign_id, x.segment) == (y.campaign_id, y.segment)
        for x, y in zip(a.reports, b.reports, strict=True)
    )
    assert (a.recipes, a.steps, a.version) == (b.recipes, b.steps, b.version)
    np.testing.assert_array_equal(a.samples.start, b.samples.start)
    for m in MEASURES:
        np.testing.assert_array_equal(getattr(a, m), getattr(b, m))
        np.testing.assert_array_equal(getattr(a.campaign, m), getattr(b.campaign, m))
    np.testing.assert_array_equal(a.present, b.present)
    assert a.warnings == b.warnings


@pytest.mark.parametrize("name", ["v2-small.xml", "v1-documented.xml", "seed-abbreviated.xml"])
def test_every_kind_of_source_reads_the_same(name: str) -> None:
    path = sample(name)
    data = path.read_bytes()
    ref = read_quietly(path)
    same(ref, read_quietly(str(path)))
    same(ref, read_quietly(data))
    same(ref, read_quietly(bytearray(data)))
    same(ref, read_quietly(data.decode("utf-8")))
    same(ref, read_quietly(io.BytesIO(data)))
    with path.open("rb") as fh:
        same(ref, read_quietly(fh))


@pytest.mark.parametrize("chunk", [7, 64, 1000])
@pytest.mark.parametrize("name", ["v2-small.xml", "v1-documented.xml", "seed-abbreviated.xml"])
def test_chunk_boundaries_change_nothing(
    monkeypatch: pytest.MonkeyPatch, name: str, chunk: int
) -> None:
    ref = read_quietly(sample(name))
    monkeypatch.setattr(_read, "CHUNK_SIZE", chunk)
    same(ref, read_quietly(sample(name)))


def test_text_mode_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "r.xml"
    p.write_bytes(sample("v2-small.xml").read_bytes())
    with p.open("r") as fh, pytest.raises(TypeError, match="binary"):
        ttstats.read_report(fh)  # type: ignore[arg-type]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ttstats.read_report(tmp_path / "nope.xml")


def test_wrong_type() -> None:
    with pytest.raises(TypeError, match="source must be"):
        ttstats.read_report(3.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"version": 3}, ValueError, "version must be 1, 2 or None, not 3"),
        ({"version": True}, ValueError, "version must be 1, 2 or None, not True"),
        ({"version": "2"}, ValueError, "version must be 1, 2 or None, not '2'"),
        ({"strict": "yes"}, TypeError, "strict must be True or False, not 'yes'"),
        ({"campaign_recipe": 7}, TypeError, "campaign_recipe must be a recipe name"),
        ({"progress": 5}, TypeError, "progress must be callable"),
        ({"max_cells": 0}, ValueError, "max_cells must be at least 1, not 0"),
        ({"max_cells": -5}, ValueError, "max_cells must be at least 1"),
        ({"max_cells": True}, TypeError, "max_cells must be an integer or None, not True"),
        ({"max_cells": 1e9}, TypeError, "max_cells must be an integer or None"),
    ],
)
def test_bad_keyword_arguments(options: dict[str, object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        ttstats.read_report(sample("v2-small.xml"), **options)  # type: ignore[arg-type]


def test_version_as_a_numpy_integer() -> None:
    report = read_quietly(sample("v2-small.xml"), version=np.int64(2))
    assert report.version == 2


def test_latin1_and_bom_and_utf16() -> None:
    body = (
        '<reports><report><sample start="2009-08-01T00:00" duration="day">'
        '<recipe name="Caf\u00e9"><step name="Entry"><amount>3.0</amount></step></recipe>'
        "</sample></report></reports>"
    )
    latin = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + body).encode("latin-1")
    assert ttstats.read_report(latin).recipes == ("Caf\u00e9",)
    bom = b"\xef\xbb\xbf" + body.encode("utf-8")
    assert ttstats.read_report(bom).recipes == ("Caf\u00e9",)
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16")
    assert ttstats.read_report(utf16).recipes == ("Caf\u00e9",)
    # no byte order mark: the declaration's '<?' tells UTF-16 and its byte order (XML 1.0,
    # appendix F)
    for codec in ("utf-16-le", "utf-16-be"):
        plain = ('<?xml version="1.0" encoding="UTF-16"?>' + body).encode(codec)
        assert ttstats.read_report(plain).recipes == ("Caf\u00e9",)
        assert ttstats.read_report(io.BytesIO(plain)).recipes == ("Caf\u00e9",)


UTF16_BODY = '<?xml version="1.0" encoding="UTF-16"?>\n<reports>\n<report>'


@pytest.mark.parametrize(
    ("data", "where", "why"),
    [
        # cut after an odd number of bytes: the last character is half there
        (UTF16_BODY.encode("utf-16")[:-1], (3, 8), "ends in the middle of a character"),
        # a high surrogate followed by no low one
        (
            (UTF16_BODY + "\n<x>").encode("utf-16") + b"\x00\xd8" + "</x>".encode("utf-16-le"),
            (4, 4),
            "surrogate",
        ),
    ],
)
def test_broken_utf16_is_a_parse_error(data: bytes, where: tuple[int, int], why: str) -> None:
    for source in (data, io.BytesIO(data)):
        with pytest.raises(ttstats.ReportParseError, match=why) as info:
            ttstats.read_report(source)
        assert (info.value.line, info.value.column) == where


def test_str_with_a_lone_surrogate_is_a_parse_error() -> None:
    text = '<reports>\n<report><sample start="x\ud800y">'
    with pytest.raises(ttstats.ReportParseError, match="U\\+D800") as info:
        ttstats.read_report(text)
    # line 2; '<report><sample start="x' is 24 bytes, so the surrogate is at column 25
    assert (info.value.line, info.value.column) == (2, 25)


def test_version_given_by_the_caller() -> None:
    r = ttstats.read_report(sample("v2-small.xml"), version=2)
    assert r.version == 2
    with pytest.warns(ttstats.ReportRepairWarning, match="version 1"):
        r = ttstats.read_report(sample("v2-small.xml"), version=1)
    # each element is still read by where it stands
    assert r.count[0, 0, 0, 0] == 104.0


def test_to_frame_columns_and_rows() -> None:
    r = ttstats.read_report(sample("v2-small.xml"))
    f = r.to_frame()
    assert list(f.columns) == [
        "report", "type", "segment", "segment_id", "sample_start", "duration", "recipe",
        "step", "count", "revenue", "engagement_count", "engagement_total",
        "engagement_sumsq", "is_campaign",
    ]  # fmt: skip
    R, S, K, T = r.shape
    assert len(f) == R * S * (K + 1) * T
    assert pd.api.types.is_datetime64_any_dtype(f["sample_start"])
    assert f.loc[f.report == 2, "segment"].map(lambda x: x is None).all()  # None, not NaN
    assert f.is_campaign.sum() == R * S * T
    assert (f.loc[f.is_campaign, "recipe"] == "Campaign").all()
    # the frame carries the same numbers as the arrays
    np.testing.assert_array_equal(
        f.loc[~f.is_campaign, "count"].to_numpy(),
        r.count.reshape(-1),
    )


def test_sum_samples() -> None:
    r = ttstats.read_report(sample("v2-small.xml"))
    with pytest.warns(ttstats.AggregationWarning, match="visitor"):
        total = r.sum_samples()
    assert total.shape == (r.shape[0], 1, r.shape[2], r.shape[3])
    np.testing.assert_allclose(total.count[:, 0], r.count.sum(axis=1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(total.campaign.revenue[:, 0], r.campaign.revenue.sum(axis=1))


def test_arrays_are_read_only() -> None:
    r = ttstats.read_report(sample("v2-small.xml"))
    arrays = {
        "samples.start": r.samples.start,
        "present": r.present,
        "in_grid": r.in_grid,
        **{f"cells.{m}": a for m, a in r.cells.items()},
        **{f"campaign.{m}": a for m, a in r.campaign.items()},
    }
    for name, arr in arrays.items():
        assert not arr.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            arr.flat[0] = arr.flat[0]
    with pytest.raises(AttributeError):
        r.version = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.decimals["revenue"] = 3  # type: ignore[index]
    assert isinstance(r.recipes, tuple) and isinstance(r.steps, tuple)


def test_a_report_built_from_writable_arrays_freezes_copies() -> None:
    import dataclasses

    r = ttstats.read_report(sample("v2-small.xml"))
    mine = np.array(r.count)
    start = np.array(r.samples.start)
    other = dataclasses.replace(
        r,
        cells=dataclasses.replace(r.cells, count=mine),
        samples=ttstats.parse.SampleAxis(start, r.samples.duration),
    )
    assert not other.count.flags.writeable and not other.samples.start.flags.writeable
    mine[0, 0, 0, 0] = -1.0  # the caller's array stays the caller's
    start[0] = np.datetime64("2000-01-01T00:00")
    assert other.count[0, 0, 0, 0] == r.count[0, 0, 0, 0]
    assert other.samples.start[0] == r.samples.start[0]
    assert other.decimals == r.decimals


def test_sum_samples_of_a_report_without_samples() -> None:
    r = ttstats.read_report('<reports><report resolution="day"></report></reports>')
    assert r.shape == (1, 0, 0, 0)
    total = r.sum_samples()
    # one sample, as always after summing; it starts at NaT and holds nothing
    assert total.shape == (1, 1, 0, 0) and len(total.samples) == 1
    assert np.isnat(total.samples.start[0]) and total.samples.duration == ("total",)
    assert total.present.shape == total.in_grid.shape == (1, 1)


def test_omitted_samples_are_zero_inside_the_grid() -> None:
    def smp(day: str, n: float) -> str:
        return (
            f'<sample start="2009-08-{day}T00:00" duration="day"><recipe name="A">'
            f'<step name="Entry"><amount>{n}</amount><revenue>1.50</revenue></step></recipe></sample>'
        )

    xml = (
        '<reports><report resolution="day" segment="S" segmentId="1">'
        + smp("01", 5)
        + smp("04", 7)
        + '</report><report resolution="day">'
        + smp("03", 2)
        + smp("05", 1)
        + "</report></reports>"
    )
    r = ttstats.read_report(xml)
    days = [str(d)[:10] for d in r.samples.start]
    assert days == ["2009-08-01", "2009-08-02", "2009-08-03", "2009-08-04", "2009-08-05"]
    nan = np.nan
    np.testing.assert_array_equal(r.count[0, :, 0, 0], [5, 0, 0, 7, nan])
    np.testing.assert_array_equal(r.count[1, :, 0, 0], [nan, nan, 2, 0, 1])
    np.testing.assert_array_equal(r.revenue[0, :, 0, 0], [1.5, 0, 0, 1.5, nan])
    np.testing.assert_array_equal(r.present[0], [True, False, False, True, False])
    np.testing.assert_array_equal(r.in_grid[1], [False, False, True, True, True])
    # the summary recipe is absent: not reported anywhere
    assert np.isnan(r.campaign.count).all()


def test_month_and_week_grids() -> None:
    def doc(res: str, starts: list[str]) -> str:
        body = "".join(
            f'<sample start="{s}" duration="{res}"><recipe name="A"><step name="E">'
            "<amount>1.0</amount></step></recipe></sample>"
            for s in starts
        )
        return f'<reports><report resolution="{res}">{body}</report></reports>'

    r = ttstats.read_report(doc("month", ["2009-01-01T00:00", "2009-04-01T00:00"]))
    assert [str(d)[:7] for d in r.samples.start] == ["2009-01", "2009-02", "2009-03", "2009-04"]
    # a month grid keeps the first sample's day, clipped to shorter months (2009 is no leap
    # year: February ends on the 28th); it never invents a sample on March 3
    r = ttstats.read_report(doc("month", ["2009-01-31T00:00", "2009-03-31T00:00"]))
    assert r.samples.start.astype(str).tolist() == [
        "2009-01-31T00:00",
        "2009-02-28T00:00",
        "2009-03-31T00:00",
    ]
    assert r.warnings == () and r.present[0].tolist() == [True, False, True]
    r = ttstats.read_report(doc("month", ["2007-12-30T06:00", "2008-03-30T06:00"]))
    assert [str(d) for d in r.samples.start] == [
        "2007-12-30T06:00",
        "2008-01-30T06:00",
        "2008-02-29T06:00",  # 2008 is a leap year
        "2008-03-30T06:00",
    ]
    r = ttstats.read_report(doc("week", ["2009-01-05T00:00", "2009-01-26T00:00"]))
    assert len(r.samples) == 4
    r = ttstats.read_report(doc("hour", ["2009-01-05T22:00", "2009-01-06T01:00"]))
    assert len(r.samples) == 4 and r.samples.duration == ("hour",) * 4


def test_repr() -> None:
    r = ttstats.read_report(sample("v2-small.xml"))
    assert "3 report(s)" in repr(r) and "Experience A" in repr(r)


def _reading(data: bytes, strict: bool) -> tuple[object, ...]:
    """Everything a reading gives, or the error it ends in (message, line, column)."""
    try:
        r = read_quietly(data, strict=strict)
    except (ttstats.ReportParseError, ttstats.TTApiError) as err:
        return ("error", str(err))
    arrays = tuple(getattr(r, m).tobytes() for m in MEASURES)
    return (r.recipes, r.steps, arrays, r.warnings, tuple(r.decimals.items()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["seed-abbreviated.xml", "v1-documented.xml", "v2-small.xml"]),
    edits=st.lists(
        st.tuples(
            st.floats(0, 1, exclude_max=True), st.sampled_from(list(b"<>\"'=/ !?-&;#\n\rab.09"))
        ),
        min_size=1,
        max_size=6,
    ),
    chunk=st.sampled_from([7, 64, 333]),
    strict=st.booleans(),
)
def test_chunking_never_changes_a_damaged_file(
    name: str, edits: list[tuple[float, int]], chunk: int, strict: bool
) -> None:
    """Any file, however broken, reads the same (values, warnings or error) in any chunks;
    strict reading refuses the first malformation met in reading order."""
    data = bytearray(sample(name).read_bytes())
    for where, byte in edits:
        data[int(where * len(data))] = byte
    whole = _reading(bytes(data), strict)
    old = _read.CHUNK_SIZE
    _read.CHUNK_SIZE = chunk
    try:
        parts = _reading(bytes(data), strict)
    finally:
        _read.CHUNK_SIZE = old
    assert whole == parts


@pytest.mark.parametrize("junk", ["junk<reports></reports>", "x<" + "y" * 5000])
def test_text_that_is_neither_a_file_nor_xml(junk: str) -> None:
    with pytest.raises(
        FileNotFoundError, match="as XML text it would have to start with '<'"
    ) as info:
        ttstats.read_report(junk)
    assert len(str(info.value)) < 200  # the text is quoted briefly, not whole

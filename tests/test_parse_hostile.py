"""Hostile and broken input ends in a clear ReportParseError, in bounded time and memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import ttstats
from ttstats.parse import _read

from .conftest import read_quietly, sample

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<reports><report campaignId="7"><sample start="2009-08-01T00:00" duration="day">
<recipe name="&lol9;"><step name="Entry"><amount>1.0</amount></step></recipe>
</sample></report></reports>
"""


def _peak_mib(fn: object) -> float:
    tracemalloc.start()
    try:
        fn()  # type: ignore[operator]
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 2**20


def test_billion_laughs_is_refused_without_expansion() -> None:
    def attempt() -> None:
        with pytest.raises(ttstats.ReportParseError, match="DOCTYPE") as info:
            ttstats.read_report(BILLION_LAUGHS)
        assert info.value.line == 2

    # expanded, lol9 would be 10**9 * 3 bytes; refusing it allocates almost nothing
    assert _peak_mib(attempt) < 20


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<reports><report><sample start="2009-08-01T00:00" duration="day">'
        '<recipe name="&x;"><step name="Entry"><amount>1.0</amount></step></recipe>'
        "</sample></report></reports>"
    )
    with pytest.raises(ttstats.ReportParseError, match="DOCTYPE") as info:
        ttstats.read_report(xxe)
    assert "TOPSECRET" not in str(info.value)


def test_entity_reference_without_dtd_is_not_expanded() -> None:
    xml = (
        '<reports><report><sample start="2009-08-01T00:00" duration="day">'
        '<recipe name="&x;"><step name="Entry"><amount>1.0</amount></step></recipe>'
        "</sample></report></reports>"
    )
    r = read_quietly(xml)
    assert r.recipes == ("&x;",)
    assert any("undefined entity" in w.message for w in r.warnings)


def test_huge_text_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_read, "CHUNK_SIZE", 1 << 16)
    monkeypatch.setattr(_read, "MAX_TOKEN", 1 << 20)
    xml = (
        b"<reports><report><sample><recipe name='A'><step name='E'><amount>"
        + b"9" * (4 << 20)
        + b"</amount></step></recipe></sample></report></reports>"
    )

    def attempt() -> None:
        with pytest.raises(ttstats.ReportParseError, match="longer than") as info:
            ttstats.read_report(xml)
        # reading stopped at the <amount> whose text runs on
        assert (info.value.line, info.value.column) == (1, xml.index(b"<amount>") + 1)

    # the 4 MiB text is refused once it passes the 1 MiB limit, not read whole
    assert _peak_mib(attempt) < 12


def test_huge_text_node_default_limit() -> None:
    xml = b"<reports><report>" + b" x" * (5 << 20) + b"</report></reports>"
    with pytest.raises(ttstats.ReportParseError, match="longer than"):
        ttstats.read_report(xml)


def test_binary_garbage() -> None:
    rng = np.random.default_rng(1)
    with pytest.raises(ttstats.ReportParseError, match="not allowed in XML"):
        ttstats.read_report(rng.integers(0, 256, 100_000, dtype=np.uint8).tobytes())


def test_high_bytes_without_tags() -> None:
    rng = np.random.default_rng(2)
    junk = rng.integers(128, 256, 10_000, dtype=np.uint8).tobytes()
    with pytest.raises(ttstats.ReportParseError, match="no XML elements"):
        ttstats.read_report(junk)


@pytest.mark.parametrize("source", [b"", b"   \n  ", "<?xml version='1.0'?>"])
def test_empty(source: bytes | str) -> None:
    with pytest.raises(ttstats.ReportParseError):
        ttstats.read_report(source)


def test_every_truncation_is_an_error() -> None:
    data = sample("v2-small.xml").read_bytes()
    for cut in range(60, len(data) - 12, 97):
        with pytest.raises(ttstats.ReportParseError):
            read_quietly(data[:cut])


def test_truncated_inside_a_tag_names_the_place() -> None:
    data = sample("v2-small.xml").read_bytes()
    cut = data.index(b"<recipe", 500) + 5
    with pytest.raises(ttstats.ReportParseError, match="inside a tag") as info:
        ttstats.read_report(data[:cut])
    assert info.value.line == data[:cut].count(b"\n") + 1


def test_not_xml_text() -> None:
    with pytest.raises(ttstats.ReportParseError):
        ttstats.read_report(b"<html><body>Service Unavailable</body></html>")


def test_nesting_deeper_than_any_report_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from ttstats.parse import _structure

    monkeypatch.setattr(_structure, "MAX_DEPTH", 1000)
    xml = "<reports>\n" + "<x>" * 2000
    with pytest.raises(ttstats.ReportParseError, match="1,000 levels deep") as info:
        ttstats.read_report(xml)
    # level 1 is <reports>; the <x> at level 1001 is the 1000th, after 999 of 3 bytes
    assert (info.value.line, info.value.column) == (2, 999 * 3 + 1)

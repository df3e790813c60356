"""Differential test: on random well-formed documents, ``read_report`` reads what lxml reads.

The documents are version-2 reports written with every freedom XML allows and the published
examples do not use: attribute values in single or double quotes holding ``>`` and the other
quote, character and entity references, literal tabs and line breaks inside values (which XML
turns into spaces), white space around ``=``, comments and processing instructions holding
``>``, ``<`` and quotes, text holding ``>``, and LF, CR LF or CR line ends. lxml (libxml2) is
the independent reading: every label and number must be the same.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import ttstats

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# pieces of an attribute value, as written in the file (the quote it sits in is added later)
_PIECES = [
    "a", "Z", "7", " ", ">", "->", "&amp;", "&lt;", "&gt;", "&#62;", "&#x3E;", "&#10;", "&#9;",
    "&#233;", "\u00e9", "\t", "\n", "\r\n", "&quot;", "&apos;",
]  # fmt: skip


@st.composite
def attribute_value(draw: st.DrawFn, prefix: str) -> tuple[str, str]:
    """A value as written (with its quotes) and the label prefix that makes it unique."""
    quote = draw(st.sampled_from(['"', "'"]))
    other = "'" if quote == '"' else '"'
    pieces = draw(st.lists(st.sampled_from([*_PIECES, other]), max_size=6))
    return quote + prefix + "".join(pieces) + quote, prefix


@st.composite
def gap(draw: st.DrawFn) -> str:
    """White space between attributes (at least one character)."""
    return draw(st.sampled_from([" ", "  ", "\t", "\n", " \n  "]))


@st.composite
def equals(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["=", " =", "= ", " = ", "\n=\t"]))


@st.composite
def misc(draw: st.DrawFn) -> str:
    """White space, a comment, a processing instruction, or nothing, between elements."""
    kind = draw(st.sampled_from(["", "ws", "comment", "pi", "comment", "pi"]))
    if kind == "ws":
        return "\n  "
    body = draw(st.sampled_from(["", " x ", " a > b ", ' "q" ', " 'q' ", " <t a='1'> ", " ? > "]))
    if kind == "comment":
        return f"<!--{body}-->"
    if kind == "pi":
        return f"<?target{body}?>"
    return ""


def number(draw: st.DrawFn, decimals: int) -> str:
    value = draw(st.integers(0, 10**6)) / 10**decimals
    return f"{value:.{decimals}f}"


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, int]:
    """A well-formed version-2 document, and how many stray text nodes it holds."""
    n_reports = draw(st.integers(1, 3))
    n_samples = draw(st.integers(1, 3))
    recipes = [draw(attribute_value(f"r{i}:")) for i in range(draw(st.integers(1, 3)))]
    steps = [draw(attribute_value(f"s{j}:")) for j in range(draw(st.integers(1, 3)))]
    stray = 0
    out = ['<?xml version="1.0" encoding="UTF-8"?>', draw(misc()), "<reports>", draw(misc())]
    for r in range(n_reports):
        segment = f"{draw(gap())}segment{draw(equals())}'Seg {r} > x'" if r else ""
        out.append(f'<report campaignId="7"{draw(gap())}resolution{draw(equals())}"day"{segment}>')
        for s in range(n_samples):
            start = f"2009-08-{s + 1:02d}T00:00"
            out.append(f"<sample start='{start}'{draw(gap())}duration=\"day\">{draw(misc())}")
            for recipe, _ in recipes:
                out.append(f"<recipe{draw(gap())}name{draw(equals())}{recipe}{draw(gap())[:1]}>")
                for step, _ in steps:
                    out.append(f"<step name{draw(equals())}{step}>{draw(misc())}")
                    out.append(f"<amount> {number(draw, 1)}\n</amount>{draw(misc())}")
                    out.append(f"<revenue>{number(draw, draw(st.integers(0, 3)))}</revenue>")
                    if draw(st.booleans()):
                        out.append("a > b")  # text with '>': stray, warned, nothing else
                        stray += 1
                    out.append(
                        f"<engagement count='{draw(st.integers(0, 999))}'{draw(gap())}"
                        f'total="{number(draw, 5)}"{draw(gap())}'
                        f"sumOfSquares{draw(equals())}'{number(draw, draw(st.integers(0, 6)))}'/>"
                    )
                    out.append(f"{draw(misc())}</step>")
                out.append(f"</recipe{draw(st.sampled_from(['', ' ', chr(10)]))}>{draw(misc())}")
            out.append("</sample>")
        out.append(f"</report>{draw(misc())}")
    out.append("</reports>")
    out.append(draw(misc()))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(out).replace("\r\n", "\n").replace("\n", newline)
    return text.encode("utf-8"), stray


_MEASURES = {
    "count": ("amount", None),
    "revenue": ("revenue", None),
    "engagement_count": ("engagement", "count"),
    "engagement_total": ("engagement", "total"),
    "engagement_sumsq": ("engagement", "sumOfSquares"),
}


def lxml_reading(data: bytes) -> tuple[dict[tuple[Any, ...], float], list[str], list[str]]:
    """Every number keyed by (report, sample start, recipe, step, measure), and the labels."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    values: dict[tuple[Any, ...], float] = {}
    recipes: list[str] = []
    steps: list[str] = []
    for ri, report in enumerate(root.findall("report")):
        for smp in report.findall("sample"):
            for recipe in smp.findall("recipe"):
                rname = recipe.get("name")
                recipes += [rname] if rname not in recipes else []
                for step in recipe.findall("step"):
                    sname = step.get("name")
                    steps += [sname] if sname not in steps else []
                    for measure, (tag, attr) in _MEASURES.items():
                        el = step.find(tag)
                        text = el.text if attr is None else el.get(attr)
                        key = (ri, smp.get("start"), rname, sname, measure)
                        values[key] = float(text)
    return values, recipes, steps


def _decimals(text: str) -> int:
    """Digits after the point, less the exponent (an independent, regex-based count)."""
    m = re.fullmatch(r"\s*[-+]?[0-9]*(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?\s*", text)
    assert m is not None
    return len(m.group(1) or "") - int(m.group(2) or 0)


def lxml_decimals(data: bytes) -> dict[str, int]:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    found = {
        "revenue": [e.text for e in root.iter("revenue")],
        "engagement_total": [e.get("total") for e in root.iter("engagement")],
        "engagement_sumsq": [e.get("sumOfSquares") for e in root.iter("engagement")],
    }
    return {k: min(_decimals(x) for x in v) for k, v in found.items()}


@SETTINGS
@given(doc=documents())
def test_read_report_reads_what_lxml_reads(doc: tuple[bytes, int]) -> None:
    data, stray = doc
    expected, recipes, steps = lxml_reading(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ttstats.ReportRepairWarning)
        r = ttstats.read_report(data)
    assert [w.kind for w in r.warnings] == ["stray-text"] * stray, r.warnings
    assert list(r.recipes) == recipes
    assert list(r.steps) == steps
    got: dict[tuple[Any, ...], float] = {}
    for row in r.to_frame().itertuples(index=False):
        start = row.sample_start.strftime("%Y-%m-%dT%H:%M")
        for measure in _MEASURES:
            value = getattr(row, measure)
            if not np.isnan(value):
                got[(row.report, start, row.recipe, row.step, measure)] = value
    assert got == expected
    assert dict(r.decimals) == lxml_decimals(data)


@SETTINGS
@given(doc=documents())
def test_strict_reading_accepts_every_well_formed_document(doc: tuple[bytes, int]) -> None:
    data, stray = doc
    if stray:  # stray text is a repair: strict reading refuses it (tested elsewhere)
        return
    r = ttstats.read_report(data, strict=True)  # no warning either (filterwarnings=error)
    assert r.warnings == ()

"""The HTML readout (ttstats.render.html) and the Jupyter display of a Report.

Where the expected numbers come from:

* every number of a metric table is checked against :func:`ttstats.compare` called here
  directly (not against the readout that the page renders), formatted with plain format
  specs; the aggregate's banner row also against the rounded numbers printed in README.md
  ("Five lines" table: rate 0.0489, lift 0.2254, 0.1154 to 0.3463, adjusted p 0.0002);
* the sample-ratio p-values against ``compare(...).sample_ratio_frame()``, revenue per entry
  against :func:`ttstats.compare_means`, the extreme-order threshold against
  :func:`ttstats.extreme_orders`;
* the verdicts and samples-to-detect are the readout's own words (the page must reuse them).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import numpy as np
import pandas as pd
import pytest

import ttstats
from ttstats.analysis import Readout, build_readout
from ttstats.cli import example_report_path, main
from ttstats.parse._report_html import head_frame, report_html
from ttstats.render import html as html_module
from ttstats.render import text
from ttstats.render.html import PLOT_INSTALL, render_html
from ttstats.simulate import ExperimentSpec, LogNormal, with_and_without_extremes

from .conftest import read_quietly, sample

ORDER = "Order Confirmation"
BANNER = "Free shipping banner"
PNG = b"\x89PNG\r\n\x1a\n"
# Attributes through which a page loads something.
LOADING = ("src", "href", "srcset", "poster", "data", "action", "formaction", "background")

# A recipe, a step and a segment whose names are markup (entities in the XML).
HOSTILE_XML = """<reports><report campaignId="7" start="2024-03-01" end="2024-03-03"
  resolution="day" type="visit" segment="&lt;b&gt;bold&lt;/b&gt; &amp; &quot;q&quot;" segmentId="3">
<sample start="2024-03-01T00:00" duration="day">
<recipe name="Control"><step name="Entry">2000</step>
  <step name="&lt;img src=x onerror=alert(2)&gt;">100</step></recipe>
<recipe name="&lt;script&gt;alert(1)&lt;/script&gt;"><step name="Entry">2000</step>
  <step name="&lt;img src=x onerror=alert(2)&gt;">140</step></recipe>
</sample>
<sample start="2024-03-02T00:00" duration="day">
<recipe name="Control"><step name="Entry">1000</step>
  <step name="&lt;img src=x onerror=alert(2)&gt;">50</step></recipe>
<recipe name="&lt;script&gt;alert(1)&lt;/script&gt;"><step name="Entry">1000</step>
  <step name="&lt;img src=x onerror=alert(2)&gt;">75</step></recipe>
</sample></report></reports>"""
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
SEGMENT = '<b>bold</b> & "q"'

# The metric counts page views (more than the entries): a per-entry rate, no funnel stage.
PER_ENTRY_XML = """<reports><report campaignId="1" start="2024-03-01" end="2024-03-02"
  resolution="day" type="visit"><sample start="2024-03-01T00:00" duration="day">
<recipe name="A"><step name="Entry">2000</step><step name="Page views">5000</step></recipe>
<recipe name="B"><step name="Entry">2000</step><step name="Page views">5200</step></recipe>
</sample></report></reports>"""


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report() -> ttstats.Report:
    return ttstats.read_report(example_report_path())


@pytest.fixture(scope="module")
def readout(report: ttstats.Report) -> Readout:
    return build_readout(report, source="bundled example")


@pytest.fixture(scope="module")
def page(readout: Readout) -> str:
    return render_html(readout)


@pytest.fixture(scope="module")
def doc(page: str) -> Any:
    return lxml.html.document_fromstring(page)


@pytest.fixture(scope="module")
def sensitivity_readout() -> Readout:
    """README's simulated experiment: eight planted orders of 4,000 in Experience B."""
    spec = ExperimentSpec(
        n_samples=7,
        seed=3,
        traffic=400.0,
        revenue=LogNormal(3.5, 0.6),
        steps=("Entry", "Page Count", ORDER),
        rates=[1.0, 0.9, 0.08],
    )
    with_xml, without_xml = with_and_without_extremes(spec, planted={"Experience B": [4000.0] * 8})
    return build_readout(
        ttstats.read_report(with_xml),
        without_extremes=ttstats.read_report(without_xml),
        source="simulated",
    )


def section(doc: Any, r: int) -> Any:
    (found,) = doc.xpath(f"//section[@data-report='{r}']")
    return found


def metric_cells(sec: Any) -> dict[str, dict[str, tuple[str, str]]]:
    """recipe -> column -> (value, interval) of a section's metric table."""
    (table,) = sec.xpath(".//table[contains(@class, 'metric')]")
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for tr in table.xpath(".//tr[@data-recipe]"):
        cells = {}
        for td in tr.xpath("./td[@data-col]"):
            ci = td.xpath("./span[@class='ci']")
            cells[td.get("data-col")] = (
                (td.text or "").strip() if ci else td.text_content().strip(),
                ci[0].text_content() if ci else "",
            )
        out[tr.get("data-recipe")] = cells
    return out


def row_texts(sec: Any) -> list[list[str]]:
    return [[td.text_content() for td in tr.xpath("./td")] for tr in sec.xpath(".//tbody/tr")]


def images(doc: Any) -> list[Any]:
    return list(doc.xpath("//img"))


def text_of(el: Any) -> str:
    """The text a reader sees (the body, or the element), whitespace collapsed."""
    body = el.find("body") if el.tag == "html" else el
    return " ".join(str(body.text_content()).split())


def p_fmt(p: float) -> str:
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def aggregate_index(report: ttstats.Report) -> int:
    (r,) = [i for i, info in enumerate(report.reports) if info.segment is None]
    return r


def loading_attributes(doc: Any) -> Iterator[tuple[str, str, str]]:
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if name.lower().split(":")[-1] in LOADING:
                yield el.tag, name, value


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------
def test_page_parses_and_names_campaign_and_period(page: str, doc: Any) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert doc.tag == "html"
    # the bundled example: campaign 4711, 2009-08-03 to 2009-08-31 (its <report> attributes)
    title = "Readout: campaign 4711, 2009-08-03 to 2009-08-31"
    assert doc.findtext(".//title") == title
    assert doc.xpath("string(//h1)") == title
    text = text_of(doc)
    for what in ("Summary", "Checks", "Campaign consistency", "Extreme orders", "Other steps"):
        assert what in text
    assert "Engagement and revenue per entry" in text


def test_page_is_self_contained(page: str, doc: Any) -> None:
    for tag in ("script", "link", "iframe", "object", "embed", "base"):
        assert doc.xpath(f"//{tag}") == [], tag
    attrs = list(loading_attributes(doc))
    assert attrs, "the page holds images and navigation links"
    for tag, name, value in attrs:
        if tag == "img":
            assert value.startswith("data:image/png;base64,"), (tag, name, value[:40])
        else:
            assert value.startswith("#"), (tag, name, value)
    style = "".join(doc.xpath("//style/text()"))
    assert "url(" not in style and "@import" not in style
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", page, flags=re.IGNORECASE)


def test_metric_tables_hold_the_numbers_of_compare(
    report: ttstats.Report, readout: Readout, doc: Any
) -> None:
    comp = ttstats.compare(report, "Control")
    j = comp.steps.index(ORDER)
    assert len(doc.xpath("//table[contains(@class, 'metric')]")) == len(report.reports)
    for r in range(len(report.reports)):
        cells = metric_cells(section(doc, r))
        assert list(cells) == list(comp.recipes)
        for k, recipe in enumerate(comp.recipes):
            at = (r, k, j)
            got = cells[recipe]
            assert got["entries"][0] == f"{comp.entries[at]:,.0f}"
            assert got["conversions"][0] == f"{comp.conversions[at]:,.0f}"
            assert got["rate"] == (
                f"{comp.rate[at]:.2%}",
                f"{comp.rate_low[at]:.2%} to {comp.rate_high[at]:.2%}",
            )
            if recipe == comp.control:
                assert got["lift"] == ("", "") and got["verdict"] == ("", "")
                continue
            assert got["lift"] == (
                f"{comp.lift[at]:+.1%}",
                f"{comp.lift_low[at]:+.1%} to {comp.lift_high[at]:+.1%}",
            )
            assert got["p"][0] == p_fmt(comp.p_value[at])
            star = " *" if comp.significant[at] else ""
            assert got["p_adjusted"][0] == p_fmt(comp.p_adjusted[at]) + star
            assert got["mdl"][0] == f"{comp.mdl[at]:+.1%}"
            assert got["av_p_adjusted"][0] == p_fmt(comp.av_p_adjusted[at])

            def word(significant: bool, at: tuple[int, int, int] = at) -> str:
                if significant:
                    return "wins" if comp.diff[at] > 0 else "loses"
                return "no verdict yet"

            fixed, seq = word(comp.significant[at]), word(comp.av_p_adjusted[at] < 0.05)
            # the fixed-horizon verdict is acted on; the always-valid one stands beside it
            assert got["verdict"][0] == f"{fixed} (always-valid: {seq})"


def test_aggregate_banner_row_matches_readme(report: ttstats.Report, doc: Any) -> None:
    got = metric_cells(section(doc, aggregate_index(report)))[BANNER]
    # README "Five lines": None  Free shipping banner 0.0489 0.2254 0.0972... (aggregate row)
    # rate 0.0489, lift 0.2254 (0.1154 to 0.3463), p_adjusted 0.0002, significant
    assert got["rate"][0] == "4.89%"
    assert got["lift"] == ("+22.5%", "+11.5% to +34.6%")
    assert got["p_adjusted"][0] == "0.0002 *"
    assert got["verdict"][0].startswith("wins ")


def test_verdicts_and_samples_to_detect_in_the_readouts_words(readout: Readout, doc: Any) -> None:
    text = text_of(doc)
    waiting = [v for v in readout.verdicts if v.outcome == "no verdict yet"]
    assert waiting, "the button reaches no verdict in the example"
    for v in readout.verdicts:
        assert v.text in text
    for v in waiting:
        assert np.isfinite(v.more_samples)
        assert f"{v.more_samples:,.0f} more {v.sample_unit}s" in text
        assert f"detectable now: {v.mdl:+.1%}" in text
    for sec in readout.sections:
        items = section(doc, sec.report.index).xpath(".//ul[@class='verdicts']/li")
        assert [li.text_content().split(":")[0] for li in items] == [v.recipe for v in sec.verdicts]


def test_checks_engagement_and_extreme_orders(report: ttstats.Report, doc: Any) -> None:
    text = text_of(doc)
    comp = ttstats.compare(report, "Control")
    srm = comp.sample_ratio_frame()
    (checks,) = [s for s in doc.xpath("//section") if s.xpath("string(h2)") == "Checks"]
    rows = row_texts(checks)
    for seg, p in zip(srm["segment"], srm["p_value"], strict=True):
        label = "All visitors" if seg is None else seg
        assert any(row[0] == label and p_fmt(p) in row for row in rows), label
    assert "Campaign consistency: the recipes add up" in text

    means = ttstats.compare_means(report, "Control", metric=["revenue"])
    extreme = ttstats.extreme_orders(report, control="Control", metric=ORDER)
    k = report.recipes.index(BANNER)
    for r in range(len(report.reports)):
        sec = section(doc, r)
        lift = f"{means.lift[r, k, 0]:+.1%}"
        assert any(
            row[:2] == ["revenue per entry", BANNER] and lift in row for row in row_texts(sec)
        )
        threshold = f"An order above {extreme.threshold_high[r]:,.2f} is extreme"
        assert threshold in text_of(sec)


def test_embeds_four_plots_per_report(readout: Readout, doc: Any) -> None:
    # rates, cumulative lift, the sequential view (more than one sample), funnel
    imgs = images(doc)
    assert len(imgs) == 4 * len(readout.sections) == 12
    for img in imgs:
        data = base64.b64decode(img.get("src").removeprefix("data:image/png;base64,"))
        assert data.startswith(PNG)
        assert img.get("alt")
    for sec in readout.sections:
        kinds = section(doc, sec.report.index).xpath(".//figure/@data-plot")
        assert kinds == ["rates", "cumulative_lift", "sequential", "funnel"]
    assert doc.xpath("//*[@id='no-plots']") == []


def test_sensitivity_section_and_plot(sensitivity_readout: Readout) -> None:
    ro = sensitivity_readout
    doc = lxml.html.document_fromstring(render_html(ro))
    with_rows = [s for s in ro.sections if s.sensitivity]
    assert len(with_rows) == len(ro.sections)
    looks = [s for s in ro.sections if s.report.samples_present > 1]  # a sequential plot each
    assert len(images(doc)) == 3 * len(ro.sections) + len(looks) + len(with_rows)
    flipped = [s for s in ro.sections if any(r.flipped for r in s.sensitivity)]
    assert flipped, "the planted orders flip Experience B's verdict"
    for s in ro.sections:
        sec = section(doc, s.report.index)
        assert sec.xpath(".//figure/@data-plot")[-1] == "sensitivity"
        alerts = sec.xpath(".//td[contains(@class, 'alert')]")
        assert bool(alerts) == (s in flipped)


def test_markup_in_names_is_escaped() -> None:
    report = ttstats.read_report(HOSTILE_XML)
    assert report.recipes == ("Control", SCRIPT) and report.steps == ("Entry", IMG)
    assert report.reports[0].segment == SEGMENT
    page = render_html(build_readout(report))
    assert "<script" not in page.lower()
    assert "<img src=x" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    doc = lxml.html.document_fromstring(page)
    assert doc.xpath("//script | //b") == []
    assert not [el for el in doc.iter() if isinstance(el.tag, str) and "onerror" in el.attrib]
    text = text_of(doc)
    assert SCRIPT in text and IMG in text and SEGMENT in text
    assert list(metric_cells(section(doc, 0))) == ["Control", SCRIPT]
    assert len(images(doc)) == 4  # rates, cumulative lift, sequential, funnel
    assert any(SCRIPT in img.get("alt") or IMG in img.get("alt") for img in images(doc))


def test_a_plot_the_data_do_not_allow_is_a_note() -> None:
    readout = build_readout(ttstats.read_report(PER_ENTRY_XML))
    doc = lxml.html.document_fromstring(render_html(readout))
    assert doc.xpath("//figure/@data-plot") == ["rates", "cumulative_lift"]
    (note,) = doc.xpath("//p[@data-plot='funnel']")
    assert "Plot not drawn" in note.text_content()
    assert "no step to draw" in note.text_content()


def test_an_unknown_layout_keeps_every_block_and_puts_the_plots_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readout = build_readout(ttstats.read_report(HOSTILE_XML))
    blocks = text.readout_blocks(readout)

    def renamed(ro: Readout) -> list[text.Block]:
        return [
            text.Heading(f"Part {b.text}", b.level) if isinstance(b, text.Heading) else b
            for b in text.readout_blocks(ro)
        ]

    monkeypatch.setattr(html_module, "readout_blocks", renamed)
    doc = lxml.html.document_fromstring(render_html(readout))
    assert doc.xpath("//section[@data-report]") == []
    assert len(doc.xpath("//table")) == sum(isinstance(b, text.Table) for b in blocks)
    assert doc.xpath("//section[@id='plots']//figure/@data-plot") == [
        "rates",
        "cumulative_lift",
        "sequential",
        "funnel",
    ]
    assert doc.xpath("//nav/a/@href")[-1] == "#plots"


def test_plots_false_gives_tables_only(readout: Readout) -> None:
    doc = lxml.html.document_fromstring(render_html(readout, plots=False))
    assert images(doc) == [] and doc.xpath("//*[@id='no-plots']") == []
    assert len(doc.xpath("//table[contains(@class, 'metric')]")) == 3


def test_without_matplotlib_the_page_says_how_to_get_plots() -> None:
    code = textwrap.dedent(
        """
        import importlib, sys
        sys.modules["matplotlib"] = None  # as if matplotlib were not installed
        try:
            importlib.import_module("ttstats.render.plots")
        except ImportError:
            pass
        else:
            raise SystemExit("matplotlib is still importable")
        import ttstats
        from ttstats.analysis import build_readout
        from ttstats.cli import example_report_path
        from ttstats.render.html import render_html
        page = render_html(build_readout(ttstats.read_report(example_report_path())))
        sys.stdout.buffer.write(page.encode("utf-8"))
        """
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stderr.decode()
    doc = lxml.html.document_fromstring(done.stdout.decode("utf-8"))
    assert images(doc) == [] and doc.xpath("//figure") == []
    (note,) = doc.xpath("//*[@id='no-plots']")
    assert PLOT_INSTALL in note.text_content() and "matplotlib" in note.text_content()
    assert metric_cells(section(doc, 2))[BANNER]["lift"][0] == "+22.5%"


@pytest.mark.parametrize("name", ["v2-small.xml", "v1-documented.xml", "seed-abbreviated.xml"])
def test_cli_writes_the_page(tmp_path: Path, name: str) -> None:
    out = tmp_path / "readout.html"
    assert main(["readout", str(sample(name)), "--format", "html", "--output", str(out)]) == 0
    report = read_quietly(sample(name))
    doc = lxml.html.document_fromstring(out.read_text(encoding="utf-8"))
    assert len(doc.xpath("//table[contains(@class, 'metric')]")) == len(report.reports)
    assert images(doc)
    text = text_of(doc)
    for w in report.warnings:  # the repairs of a malformed file are listed
        assert " ".join(str(w).split()) in text


# --------------------------------------------------------------------------------------------
# Report._repr_html_
# --------------------------------------------------------------------------------------------
def test_report_repr_html_summarises_and_shows_the_first_rows(report: ttstats.Report) -> None:
    html = report._repr_html_()
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    facts = summary_facts(doc)
    assert facts["reports"].startswith("3: segment 'New visitors' (id 0)")
    assert facts["period"] == "2009-08-03 to 2009-08-31, by day"
    assert facts["samples"] == "28: 2009-08-03 to 2009-08-30"
    assert facts["recipes"].startswith("3: Control, Free shipping banner, Bigger buy button")
    assert facts["steps"].startswith("6: Entry,")
    assert facts["warnings"] == "0"
    (frame,) = doc.xpath(".//table[@class='dataframe']")
    heads = [th.text_content() for th in frame.xpath(".//thead//th")]
    expected = report.to_frame().head(10)
    assert heads == list(expected.columns)
    rows = frame.xpath(".//tbody/tr")
    assert len(rows) == 10
    count_col = heads.index("count")
    assert [float(tr.xpath("./td")[count_col].text_content()) for tr in rows] == list(
        expected["count"]
    )
    assert [tr.xpath("./td")[heads.index("recipe")].text_content() for tr in rows] == list(
        expected["recipe"]
    )
    assert "of 2,016 rows" in html  # 3 reports x 28 samples x (3 recipes + Campaign) x 6 steps


def summary_facts(doc: Any) -> dict[str, str]:
    return {tr.xpath("string(th)"): tr.xpath("string(td)") for tr in doc.xpath(".//table[1]//tr")}


@pytest.mark.parametrize("rows", [1, 7, 10, 24, 25, 60, 10_000])
def test_report_head_frame_is_the_head_of_to_frame(report: ttstats.Report, rows: int) -> None:
    pd.testing.assert_frame_equal(head_frame(report, rows), report.to_frame().head(rows))


def test_report_repr_html_escapes_and_counts_warnings() -> None:
    html = ttstats.read_report(HOSTILE_XML)._repr_html_()
    assert "<script" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    malformed = read_quietly(sample("seed-abbreviated.xml"))
    html = report_html(malformed)
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    # the seed's 14 parser warnings are counted by hand in tests/test_cli.py
    assert summary_facts(doc)["warnings"] == str(len(malformed.warnings)) == "14"
    items = [li.text_content() for li in doc.xpath(".//ul/li")]
    assert items[0] == str(malformed.warnings[0])
    assert items[-1].startswith(f"... and {len(malformed.warnings) - 5} more")

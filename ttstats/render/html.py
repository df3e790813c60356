"""The readout as one self-contained HTML page (``ttstats readout --format html``).

:func:`render_html` walks the blocks of :func:`ttstats.render.text.readout_blocks` (so the page
says what the text and Markdown readouts say, in the same words and order) and adds what a page
can hold besides: a navigation bar, the metric's table with each recipe's rate and lift beside
their intervals and the verdict's outcome, and the plots of :mod:`ttstats.render.plots`, each
embedded as a base64 PNG ``data:`` URI. The page loads nothing: no stylesheet, script, font
or image from outside (one inline ``<style>``), so it reads the same offline, attached to a mail
or archived.

Without matplotlib (an optional dependency) the page holds the tables and a note saying how to
get the plots (``pip install "ttstats[plot]"``). Every text from the file (recipe, step and
segment names, warnings) is HTML-escaped.

Examples
--------
>>> import ttstats
>>> from ttstats.analysis import build_readout
>>> xml = '''<reports><report campaignId="1" start="2024-03-01" end="2024-03-02"
...   resolution="day" type="visit"><sample start="2024-03-01T00:00" duration="day">
...   <recipe name="A"><step name="Entry">2000</step><step name="Order">100</step></recipe>
...   <recipe name="B &lt;new&gt;"><step name="Entry">2000</step><step name="Order">140</step>
...   </recipe></sample></report></reports>'''
>>> page = render_html(build_readout(ttstats.read_report(xml)), plots=False)
>>> page.startswith("<!DOCTYPE html>"), "B &lt;new&gt;" in page, "<new>" in page
(True, True, False)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from .._errors import AggregationWarning, TTStatsError
from ..analysis.readout_model import RateRow, Readout, Section, Verdict
from ..analysis.readout_words import (
    MISSING,
    correction_name,
    count,
    defined,
    interval,
    level,
    number,
    p_text,
    pct,
    probability_text,
    signed_pct,
)
from .text import Block, Bullets, Heading, Paragraph, Table, readout_blocks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..stats.proportions import LiftMethod

__all__ = ["PLOT_INSTALL", "render_html"]

#: How to get the plots when matplotlib is missing.
PLOT_INSTALL = 'pip install "ttstats[plot]" (from a checkout: pip install ".[plot]")'

#: The page's only styling: inline, no external font or resource.
STYLE = """
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --band: #f5f6f8;
  --win: #17663a; --win-bg: #e3f4e8; --lose: #a31515; --lose-bg: #fbe4e4;
  --wait: #5f6368; --wait-bg: #eef0f3; --warn-bg: #fff6dd; --warn-line: #e3b341; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 1.5rem 1.5rem 4rem; color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem;
  border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.6rem 0 .5rem; }
p, li { max-width: 80ch; }
.meta { color: var(--muted); margin: 0 0 1rem; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid var(--line);
  padding: .4rem 0; margin-bottom: 1rem; font-size: .9rem; z-index: 1; }
nav a { margin-right: 1rem; color: #0b57d0; text-decoration: none; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
.scroll { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; font-size: .88rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:hover { background: #fafbfc; }
tr.control td:first-child { font-weight: 600; }
td .ci { display: block; color: var(--muted); font-size: .8rem; }
td.sig { font-weight: 600; }
td.alert, li.alert { color: var(--lose); font-weight: 600; }
.outcome { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .8rem;
  font-weight: 600; white-space: nowrap; }
.outcome.wins { color: var(--win); background: var(--win-bg); }
.outcome.loses { color: var(--lose); background: var(--lose-bg); }
.outcome.wait { color: var(--wait); background: var(--wait-bg); }
.other { color: var(--muted); font-size: .8rem; white-space: nowrap; }
ul.verdicts li { margin-bottom: .3rem; }
section.warnings ul { background: var(--warn-bg); border-left: 4px solid var(--warn-line);
  padding: .5rem .5rem .5rem 1.8rem; }
.note { background: var(--warn-bg); border-left: 4px solid var(--warn-line);
  padding: .5rem .8rem; }
.figures { display: flex; flex-wrap: wrap; gap: 0 1.2rem; align-items: flex-start; }
figure.plot { margin: 1rem 0; display: table; }
figure.plot img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { display: table-caption; caption-side: bottom; padding-top: .2rem;
  color: var(--muted); font-size: .85rem; }
code { font-size: .9em; background: var(--band); padding: 0 .25rem; border-radius: 3px; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
@media print { nav { display: none; } h2 { break-before: auto; } figure { break-inside: avoid; } }
"""

_OUTCOME_CLASS = {"wins": "wins", "loses": "loses"}


def render_html(readout: Readout, *, plots: bool = True, dpi: float = 100.0) -> str:
    """The readout as one self-contained HTML page.

    Parameters
    ----------
    readout : Readout
        The result of :func:`~ttstats.analysis.readout.build_readout`.
    plots : bool, default True
        Draw the plots (when matplotlib is installed; otherwise the page says how to get
        them). False: tables and text only, and no note.
    dpi : float, default 100
        Resolution of the embedded PNG images.

    Returns
    -------
    str
        An HTML5 document (UTF-8 text, ``<!DOCTYPE html>`` first) that references no
        external resource. It holds, in this order: the title (campaign and period), what
        was read (the report's labels and method), the summary, every warning, the checks
        (sample ratio, Campaign consistency, what the engagement, extreme-order and
        sensitivity sections rest on), then one section per report (the aggregate first):
        the metric's table (rate and lift with their intervals, p, adjusted p, minimum
        detectable lift, outcome) and verdicts in words (with the samples a lift still
        needs), the plots of the rates, the cumulative lift and the funnel, the other
        steps, engagement and revenue, extreme orders, and, when the readout holds it,
        the sensitivity to extreme orders with its plot.

    Notes
    -----
    The plots are those of :mod:`ttstats.render.plots` (:func:`plot_rates`,
    :func:`plot_cumulative_lift`, :func:`plot_funnel`, :func:`plot_sensitivity`), one of
    each per report, rendered by Agg whatever the backend. A plot the data do not allow
    (e.g. a funnel without a step to draw) is replaced by a line saying why.
    """
    module, missing = _plots_module() if plots else (None, "")
    painter = _Painter(readout, module, dpi)
    blocks = [b for b in readout_blocks(readout) if not (isinstance(b, Heading) and b.level == 1)]
    head, chunks = _chunks(blocks)
    sections = _match_sections(chunks, readout.sections)

    nav: list[tuple[str, str]] = []
    parts: list[str] = [_header(readout)]
    if missing:
        parts.append(f'<p class="note" id="no-plots">{missing}</p>')
    parts.append(_blocks_html(head))
    body: list[str] = []
    for n, (heading, content) in enumerate(chunks):
        anchor = f"part-{n + 1}"
        section = sections[n] if sections is not None else None
        nav.append((anchor, heading.text if section is None else section.label))
        if section is None:
            kind = "part warnings" if heading.text.startswith("Warnings (") else "part"
            body.append(
                f'<section class="{kind}" id="{anchor}">'
                f"<h2>{_e(heading.text)}</h2>{_blocks_html(content)}</section>"
            )
        else:
            body.append(
                f'<section class="report" id="{anchor}" data-report="{section.report.index}">'
                f"<h2>{_e(heading.text)}</h2>"
                f"{_section_html(readout, section, content, painter)}</section>"
            )
    if sections is None and painter.active:  # the layout was not recognised: plots last
        nav.append(("plots", "Plots"))
        body.append(_all_figures(readout, painter))
    links = "".join(f'<a href="#{a}">{_e(text)}</a>' for a, text in nav)
    title = _title(readout)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="ttstats">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<nav>{links}</nav>\n<main>\n"
        + "\n".join(parts + body)
        + f"\n</main>\n<footer>Made by ttstats from {_e(readout.read.source)}.</footer>\n"
        "</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------
def _e(text: object) -> str:
    """Text escaped for an element's content or a quoted attribute value."""
    return escape(str(text), quote=True)


def _title(ro: Readout) -> str:
    rd = ro.read
    ids = ", ".join(str(i) for i in rd.campaign_ids) or "?"
    return f"Readout: campaign {ids}, {rd.start or '?'} to {rd.end or '?'}"


def _header(ro: Readout) -> str:
    sub = (
        f"{ro.metric} per {ro.entry} against {ro.control}, {level(ro.alpha)} intervals, "
        f"{correction_name(ro.correction)} correction. Source: {ro.read.source}."
    )
    return f'<header><h1>{_e(_title(ro))}</h1><p class="meta">{_e(sub)}</p></header>'


def _chunks(blocks: Sequence[Block]) -> tuple[list[Block], list[tuple[Heading, list[Block]]]]:
    """The blocks before the first section heading, and each section heading with its blocks."""
    head: list[Block] = []
    chunks: list[tuple[Heading, list[Block]]] = []
    for block in blocks:
        if isinstance(block, Heading) and block.level <= 2:
            chunks.append((block, []))
        elif chunks:
            chunks[-1][1].append(block)
        else:
            head.append(block)
    return head, chunks


def _match_sections(
    chunks: Sequence[tuple[Heading, list[Block]]], sections: Sequence[Section]
) -> list[Section | None] | None:
    """The readout's section of each chunk: the last chunks, one per section, in order.

    None when the headings do not name the sections (a layout this module does not know):
    the page then shows the blocks as they are and the plots at the end.
    """
    if len(sections) > len(chunks):
        return None
    first = len(chunks) - len(sections)
    out: list[Section | None] = [None] * first
    for (heading, _), section in zip(chunks[first:], sections, strict=True):
        if not heading.text.startswith(section.label):
            return None
        out.append(section)
    return out


def _blocks_html(blocks: Sequence[Block]) -> str:
    return "\n".join(_block_html(b) for b in blocks)


def _block_html(block: Block, *, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    if isinstance(block, Heading):
        tag = f"h{min(max(block.level, 2), 6)}"
        return f"<{tag}>{_e(block.text)}</{tag}>"
    if isinstance(block, Paragraph):
        return f"<p{cls}>{_e(block.text)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li{_alert(item)}>{_e(item)}</li>" for item in block.items)
        return f"<ul{cls}>{items}</ul>"
    return _table_html(block)


def _alert(text: str) -> str:
    return ' class="alert"' if ("MISMATCH" in text or "FLIP" in text) else ""


def _table_html(table: Table) -> str:
    def css(a: str, text: str = "") -> str:
        names = ["num"] if a == "r" else []
        if text.endswith(" *"):
            names.append("sig")
        if "MISMATCH" in text or "FLIP" in text:
            names.append("alert")
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(
        f"<th{css(a)}>{_e(c)}</th>" for c, a in zip(table.columns, table.align, strict=True)
    )
    rows = "".join(
        "<tr>"
        + "".join(f"<td{css(a, c)}>{_e(c)}</td>" for c, a in zip(row, table.align, strict=True))
        + "</tr>"
        for row in table.rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


# --------------------------------------------------------------------------------------------
# One report's section
# --------------------------------------------------------------------------------------------
def _section_html(ro: Readout, s: Section, blocks: Sequence[Block], painter: _Painter) -> str:
    """The section's blocks with the metric table rebuilt, and its plots where they belong."""
    at = next(
        (
            i
            for i, b in enumerate(blocks)
            if isinstance(b, Table) and b.columns[:1] == ("recipe",) and _is_metric(b, s)
        ),
        None,
    )
    out: list[str] = []
    metric_figures = painter.metric_figures(s)
    placed = False
    for i, block in enumerate(blocks):
        if at is not None and i == at:
            out.append(_metric_table(ro, s))
            continue
        after_metric = at is not None and i > at
        if after_metric and not placed and isinstance(block, Heading):
            out.append(metric_figures)
            placed = True
        css = "verdicts" if at is not None and i == at + 1 and isinstance(block, Bullets) else ""
        out.append(_block_html(block, css=css))
    if not placed:
        out.append(metric_figures)
    out.append(painter.sensitivity_figure(s))
    return "\n".join(out)


def _is_metric(table: Table, s: Section) -> bool:
    names = [r.recipe for r in s.metric_rows]
    return len(table.rows) == len(names) and all(
        row[0].startswith(name) for row, name in zip(table.rows, names, strict=True)
    )


def _rate_text(row: RateRow) -> str:
    if row.per_entry:
        return f"{number(row.rate)}/entry" if defined(row.rate) else MISSING
    return pct(row.rate)


def _cell(col: str, value: str, ci: str = "", *, extra: str = "") -> str:
    inner = _e(value) + (f'<span class="ci">{_e(ci)}</span>' if ci else "")
    return f'<td class="num{extra}" data-col="{col}">{inner}</td>'


def _metric_table(ro: Readout, s: Section) -> str:
    """Each recipe on the metric: rate and lift over their intervals, p-values (fixed-horizon
    and, with several samples, always-valid), P(beat), the verdict acted on."""
    verdict = {v.recipe: v for v in s.verdicts}
    sequential = ro.looks > 1 or ro.sequential
    ci = f"{level(ro.alpha)} CI"
    heads = [
        ("recipe", ""),
        ("entries", "num"),
        ("conversions", "num"),
        (f"rate ({ci})", "num"),
        (f"lift ({ci})", "num"),
        ("p", "num"),
        ("adj. p", "num"),
        *([("always-valid adj. p", "num")] if sequential else []),
        ("MDL", "num"),
        ("P(beat)", "num"),
        ("verdict", ""),
    ]
    thead = "".join(f'<th class="{c}">{_e(h)}</th>' if c else f"<th>{_e(h)}</th>" for h, c in heads)
    rows = []
    for r in s.metric_rows:
        cells = [
            f'<td data-col="recipe">{_e(r.recipe)}'
            + (' <span class="outcome wait">control</span>' if r.is_control else "")
            + "</td>",
            _cell("entries", count(r.entries)),
            _cell("conversions", count(r.conversions)),
            _cell(
                "rate",
                _rate_text(r),
                "" if r.per_entry else interval(r.rate_low, r.rate_high, signed=False),
            ),
        ]
        blank = ["lift", "p", "p_adjusted", *(["av_p_adjusted"] if sequential else [])]
        if r.is_control:
            cells += [f'<td class="num" data-col="{c}"></td>' for c in (*blank, "mdl", "prob_beat")]
            cells.append('<td data-col="verdict"></td>')
        else:
            v = verdict.get(r.recipe)
            fixed_sig = r.significant and not ro.sequential
            av_sig = r.significant and ro.sequential
            cells += [
                _cell("lift", signed_pct(r.lift), interval(r.lift_low, r.lift_high)),
                _cell("p", p_text(r.p_value)),
                _cell(
                    "p_adjusted",
                    p_text(r.p_adjusted) + (" *" if fixed_sig else ""),
                    extra=" sig" if fixed_sig else "",
                ),
            ]
            if sequential:
                cells.append(
                    _cell(
                        "av_p_adjusted",
                        p_text(r.av_p_adjusted) + (" *" if av_sig else ""),
                        extra=" sig" if av_sig else "",
                    )
                )
            cells += [
                _cell("mdl", signed_pct(r.mdl)),
                _cell("prob_beat", probability_text(r.prob_beat)),
                f'<td data-col="verdict">{_outcomes_html(ro, v)}</td>',
            ]
        css = ' class="control"' if r.is_control else ""
        rows.append(f'<tr{css} data-recipe="{_e(r.recipe)}">{"".join(cells)}</tr>')
    return (
        '<div class="scroll"><table class="metric"><thead><tr>'
        f"{thead}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _outcomes_html(ro: Readout, v: Verdict | None) -> str:
    """The verdict acted on; with several samples, the other one beside it, labelled."""
    if v is None:
        return ""
    word = v.outcome
    out = f'<span class="outcome {_OUTCOME_CLASS.get(word, "wait")}">{_e(word)}</span>'
    if ro.looks > 1 or ro.sequential:
        other = v.fixed_outcome if ro.sequential else v.sequential_outcome
        label = "fixed-horizon" if ro.sequential else "always-valid"
        out += f' <span class="other">({_e(label)}: {_e(other)})</span>'
    return out


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------
def _plots_module() -> tuple[ModuleType | None, str]:
    """:mod:`ttstats.render.plots`, or None and the page's note when matplotlib is missing."""
    try:
        from . import plots
    except ImportError:
        note = (
            "Plots are not included: matplotlib, an optional dependency, is not installed. "
            f"Install it with <code>{_e(PLOT_INSTALL)}</code> and render the page again."
        )
        return None, note
    return plots, ""


@dataclass
class _Painter:
    """Draws a section's plots into ``<figure>`` elements (nothing when ``module`` is None)."""

    readout: Readout
    module: ModuleType | None
    dpi: float

    @property
    def active(self) -> bool:
        return self.module is not None

    def figure(self, caption: str, draw: Callable[[], Figure], kind: str) -> str:
        if self.module is None:
            return ""
        try:
            with warnings.catch_warnings():
                # the readout already carries the caveat (summed visitor samples) in words
                warnings.simplefilter("ignore", AggregationWarning)
                fig = draw()
        except (ValueError, IndexError, TTStatsError) as err:
            return (
                f'<p class="note" data-plot="{kind}">Plot not drawn ({_e(caption)}): {_e(err)}</p>'
            )
        uri = self.module.figure_to_data_uri(fig, dpi=self.dpi)
        return (
            f'<figure class="plot" data-plot="{kind}"><img src="{_e(uri)}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )

    def metric_figures(self, s: Section) -> str:
        plots, ro = self.module, self.readout
        if plots is None:
            return ""
        r, label = s.report.index, s.label
        lift_method = cast("LiftMethod", ro.lift_interval)
        # the series plots of this report: the same metric, entry, report and level
        series: dict[str, Any] = {
            "metric": ro.metric,
            "entry": ro.entry,
            "report_index": r,
            "alpha": ro.alpha,
        }
        figures = [
            self.figure(
                f"{label}: {ro.metric} per {ro.entry} of each recipe with its {level(ro.alpha)} "
                f"{ro.interval} interval; the control's rate dashed over its interval, each "
                f"recipe's lift above it (* significant after {correction_name(ro.correction)} "
                "correction).",
                lambda: plots.plot_rates(ro.comparison, step=ro.metric, report=r),
                "rates",
            ),
            self.figure(
                f"{label}: cumulative lift of {ro.metric} against {ro.control}, sample after "
                f"sample, with its {level(ro.alpha)} {ro.lift_interval} band. It shows how the "
                "lift settled; it is no test (a band that leaves zero early is no evidence).",
                lambda: plots.plot_cumulative_lift(
                    ro.report, ro.control, **series, method=lift_method
                ),
                "cumulative_lift",
            ),
            *(
                [
                    self.figure(
                        f"{label}: look by look, the fixed-horizon p-value of the running "
                        "totals (dashed) against the always-valid one (solid), and the "
                        f"difference of rates with its {level(ro.alpha)} confidence sequence. "
                        "Stopping where a dashed line first crosses alpha is peeking; a solid "
                        "line below alpha is a valid reason to stop for one comparison on its "
                        "own. Both lines are unadjusted: with several comparisons, act on the "
                        "adjusted always-valid p-values of the table.",
                        lambda: plots.plot_sequential(ro.report, ro.control, **series),
                        "sequential",
                    )
                ]
                if s.report.samples_present > 1
                else []
            ),
            self.figure(
                f"{label}: funnel, the share of {ro.entry} reaching each step per recipe, with "
                f"{level(ro.alpha)} intervals.",
                lambda: plots.plot_funnel(ro.comparison, report_index=r),
                "funnel",
            ),
        ]
        return '<div class="figures">' + "".join(figures) + "</div>"

    def sensitivity_figure(self, s: Section) -> str:
        plots, ro = self.module, self.readout
        sens = ro.sensitivity
        if plots is None or sens is None:
            return ""
        step, measure = _sensitivity_choice(ro, s)
        shown = f"{step} ({measure})" if step else measure
        return self.figure(
            f"{s.label}: {shown} with and without extreme orders, each recipe's mean and lift "
            "over the control; a recipe whose verdict flips is shaded red.",
            lambda: plots.plot_sensitivity(
                sens, step=step, measure=measure, report_index=s.report.index
            ),
            "sensitivity",
        )


def _sensitivity_choice(ro: Readout, s: Section) -> tuple[str | None, str]:
    """The step and measure the sensitivity plot shows: a flipped one first, else the orders."""
    rows = s.sensitivity
    for row in rows:
        if row.flipped:
            return row.step, row.measure
    for want in (ro.extreme_metric, ro.metric):
        for measure in ("engagement", "revenue"):
            if any(r.step == want and r.measure == measure for r in rows):
                return want, measure
    if rows:
        return rows[-1].step, rows[-1].measure
    return None, "engagement"


def _all_figures(ro: Readout, painter: _Painter) -> str:
    parts = [
        f"<h3>{_e(s.label)}</h3>{painter.metric_figures(s)}{painter.sensitivity_figure(s)}"
        for s in ro.sections
    ]
    return f'<section class="part" id="plots"><h2>Plots</h2>{"".join(parts)}</section>'

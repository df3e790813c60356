"""The readout as text for a terminal, and as Markdown.

:func:`readout_blocks` lays a :class:`~ttstats.analysis.readout_model.Readout` out as a list
of blocks (headings, paragraphs, tables of strings, bullet lists) in reading order;
:func:`readout_to_text` and :func:`readout_to_markdown` print those blocks, so both formats
say the same thing in the same order, and an HTML renderer can walk the same blocks (adding
its plots). Numbers are formatted once, by :mod:`ttstats.analysis.readout_words`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..analysis.readout_model import AGGREGATE, NO_VERDICT, RateRow, Readout, Section, Verdict
from ..analysis.readout_words import (
    MISSING,
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
from ..analysis.readout_words import correction_name as _correction_name

__all__ = [
    "Block",
    "Bullets",
    "Heading",
    "Paragraph",
    "Table",
    "readout_blocks",
    "readout_to_markdown",
    "readout_to_text",
]

#: Width the text format wraps paragraphs and bullets at.
WIDTH = 100
#: Campaign gaps listed in full (the rest are counted).
MAX_GAPS = 10
#: Parse warnings listed in full (the rest are counted).
MAX_PARSE_WARNINGS = 50


@dataclass(frozen=True)
class Heading:
    """A heading; ``level`` 1 is the title, 2 a section, 3 a part of one."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of running text."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table of strings; ``align`` holds ``"l"`` or ``"r"`` per column."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str


@dataclass(frozen=True)
class Bullets:
    """A bullet list."""

    items: tuple[str, ...]


Block = Heading | Paragraph | Table | Bullets


# --------------------------------------------------------------------------------------------
# Printing the blocks
# --------------------------------------------------------------------------------------------
def readout_to_text(readout: Readout, *, width: int = WIDTH) -> str:
    """The readout as plain text for a terminal: aligned tables, wrapped paragraphs.

    Parameters
    ----------
    readout : Readout
        The result of :func:`~ttstats.analysis.readout.build_readout`.
    width : int, default 100
        Paragraphs and bullets wrap at this width (tables do not).

    Returns
    -------
    str
        ASCII text apart from the labels in the file, ending in a newline.
    """
    out: list[str] = []
    for block in readout_blocks(readout):
        if isinstance(block, Heading):
            if block.level == 1:
                out += [block.text, "=" * len(block.text), ""]
            elif block.level == 2:
                out += ["", block.text, "-" * len(block.text), ""]
            else:
                out += [block.text, ""]
        elif isinstance(block, Paragraph):
            out += [*textwrap.wrap(block.text, width, break_on_hyphens=False), ""]
        elif isinstance(block, Bullets):
            for item in block.items:
                out += textwrap.wrap(
                    item,
                    width,
                    initial_indent="  - ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
            out.append("")
        else:
            out += [*_aligned(block), ""]
    while out and out[-1] == "":
        out.pop()
    return _visible("\n".join(out)) + "\n"


def _aligned(table: Table) -> list[str]:
    rows = [table.columns, *table.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(table.columns))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if a == "r" else c.ljust(w)
            for c, w, a in zip(cells, widths, table.align, strict=True)
        ]
        return ("  " + "  ".join(parts)).rstrip()

    rule = "  " + "  ".join("-" * w for w in widths)
    return [line(table.columns), rule, *(line(r) for r in table.rows)]


def readout_to_markdown(readout: Readout) -> str:
    """The readout as Markdown: headings, pipe tables (numbers right-aligned), lists.

    Returns
    -------
    str
        GitHub-flavoured Markdown, ending in a newline.
    """
    out: list[str] = []
    for block in readout_blocks(readout):
        if isinstance(block, Heading):
            out += ["#" * block.level + " " + _md(block.text), ""]
        elif isinstance(block, Paragraph):
            out += [_md(block.text), ""]
        elif isinstance(block, Bullets):
            out += [*("- " + _md(item) for item in block.items), ""]
        else:
            out.append("| " + " | ".join(_cell(c) for c in block.columns) + " |")
            out.append("|" + "|".join("---:" if a == "r" else "---" for a in block.align) + "|")
            out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
            out.append("")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _visible(text: str) -> str:
    """``text`` with every character a terminal would act on rather than show (escape and
    control codes, bidirectional overrides such as U+202E) written as ``\\uXXXX``: a name in
    the file must not recolour, move or reverse what follows it."""
    return "".join(ch if ch.isprintable() or ch == "\n" else f"\\u{ord(ch):04x}" for ch in text)


def _md(text: str) -> str:
    """Text with the characters Markdown would read as markup escaped, on one line (a line
    break in a name from the file would end a table row or a list item)."""
    text = "".join(ch if ch.isprintable() else " " for ch in text.replace("\r\n", " "))
    for ch in ("\\", "*", "_", "`", "[", "]", "<", ">", "#", "|"):
        text = text.replace(ch, "\\" + ch)
    return text


def _cell(text: str) -> str:
    return _md(text) if text else " "


# --------------------------------------------------------------------------------------------
# Laying the readout out
# --------------------------------------------------------------------------------------------
def readout_blocks(readout: Readout) -> list[Block]:
    """The readout as blocks in reading order: header, warnings, checks, one part per report.

    Returns
    -------
    list of Heading, Paragraph, Table and Bullets
    """
    blocks: list[Block] = [Heading(f"Readout: {readout.read.source}", 1)]
    blocks += _header(readout)
    blocks += _summary(readout)
    blocks += _warnings(readout)
    blocks += _checks(readout)
    for section in readout.sections:
        blocks += _section(readout, section)
    return blocks


def _header(ro: Readout) -> list[Block]:
    rd = ro.read
    ids = ", ".join(str(i) for i in rd.campaign_ids) or "?"
    period = f"{rd.start or '?'} to {rd.end or '?'}"
    by = f" by {', '.join(rd.resolutions)}" if rd.resolutions else ""
    kind = f", type {', '.join(rd.types)}" if rd.types else ""
    samples = (
        f"{rd.samples} sample(s), {rd.first_sample} to {rd.last_sample}"
        if rd.samples
        else "no samples"
    )
    segments = ", ".join(dict.fromkeys(rd.segments)) if rd.segments else "none (the whole campaign)"
    recipes = ", ".join(f"{r} (control)" if r == ro.control else r for r in rd.recipes)
    marks = {ro.entry: " (entries)", ro.metric: " (metric)"}
    steps = ", ".join(s + marks.get(s, "") for s in rd.steps)
    campaign = f"; summary recipe {rd.campaign_recipe!r}" if rd.campaign_recipe else ""
    if ro.segment is None:
        shown = "every report, the aggregate first"
    elif all(section.report.segment is None for section in ro.sections):
        shown = "the aggregate only"
    else:
        shown = f"segment {ro.segment!r} only"
    if ro.type is not None:
        shown += f", type {ro.type} only"
    floor = f"; minimum lift worth having {signed_pct(ro.min_lift)}" if ro.min_lift > 0 else ""
    return [
        Paragraph(
            f"Campaign {ids}, {period}{by}{kind}, version {rd.version}; {samples}. "
            f"Segments: {segments}. Shown: {shown}."
        ),
        Paragraph(f"Recipes: {recipes}{campaign}. Steps: {steps}."),
        Paragraph(
            f"Method: {ro.metric} over {ro.entry} against {ro.control!r}; {level(ro.alpha)} "
            f"intervals ({ro.interval} for rates, {ro.lift_interval} for lifts, not adjusted); "
            f"{ro.test} test; {_correction_name(ro.correction)} correction over every recipe and "
            f"step within a report; a verdict at adjusted p < {ro.alpha:g}; detectable lifts (MDL) "
            f"at {ro.power:.0%} power by the pooled z-test at alpha / m, the level one of m "
            f"comparisons needs after the correction{floor}."
            + (
                " AV: the always-valid (mSPRT) p-value over the samples, adjusted the same way, "
                "with the confidence sequence of the difference."
                if ro.looks > 1
                else ""
            )
            + " P(beat): the posterior probability that the recipe's rate exceeds the "
            "control's (uniform priors)."
        ),
    ]


def _summary(ro: Readout) -> list[Block]:
    if not ro.sections:
        return []
    # the aggregate of each type (a request without type answers one report per type), else
    # the first section shown
    leading = [s for s in ro.sections if s.report.segment is None] or [ro.sections[0]]
    types = {s.report.type for s in ro.sections}
    items: list[str] = []
    for section in leading:
        where = section.label if section.report.segment is not None else AGGREGATE.lower()
        if len(types) > 1:
            where += f", type {section.report.type}"
        caution = (
            " Sample ratio MISMATCH in this report: the allocation is broken, so this verdict "
            "cannot be trusted."
            if section.sample_ratio.flagged
            else ""
        )
        items += [f"{v.recipe} ({where}): {_both(ro, v)}.{caution}" for v in section.verdicts]
        if not section.verdicts:
            items.append(f"{_capital(where)}: no recipe besides the control, nothing to compare.")

    def named(section: Section) -> str:  # the type too, when the file holds several
        return section.label + (f" ({section.report.type})" if len(types) > 1 else "")

    flagged = [named(s) for s in ro.sections if s.sample_ratio.flagged]
    checked = [s for s in ro.sections if s.sample_ratio.p_value == s.sample_ratio.p_value]
    if flagged:
        items.append("Sample ratio: MISMATCH in " + ", ".join(flagged) + ".")
    elif checked:
        items.append("Sample ratio: no mismatch flagged.")
    else:
        why = ro.sections[0].sample_ratio.note or "no check possible"
        items.append(f"Sample ratio: not checked ({why}).")
    if ro.campaign.checked:
        state = "consistent" if ro.campaign.consistent else "GAPS (see Checks)"
        items.append(f"Campaign consistency: {state}.")
    flips = [
        f"{row.recipe} ({_label(row.segment).lower() if row.segment is None else row.segment}"
        f"{f', type {section.report.type}' if len(types) > 1 else ''}, "
        f"{row.step}, {row.measure}: {row.verdict_with} -> {row.verdict_without})"
        for section in ro.sections
        for row in section.sensitivity
        if row.flipped
    ]
    if flips:
        items.append(
            f"Extreme orders: {len(flips)} verdict(s) FLIP when they are excluded: "
            + "; ".join(flips)
            + "."
        )
    elif ro.sensitivity is not None:
        items.append("Extreme orders: no verdict flips when they are excluded.")
    if ro.looks > 1 or ro.sequential:
        items.append(f"Act on: {ro.act_on}.")
    paradox = [r for r in ro.segments if r.simpson]
    if paradox:
        items.append(
            "Segments: SIMPSON'S PARADOX for " + ", ".join(r.recipe for r in paradox) + "."
        )
    n = len(ro.read.parse_warnings) + len(ro.warnings)
    items.append(f"{n} warning(s), listed below." if n else "No warnings.")
    return [Heading("Summary", 2), Bullets(tuple(items))]


def _both(ro: Readout, v: Verdict) -> str:
    """The verdict acted on, then the other one when the report has several samples."""
    if ro.looks <= 1 and not ro.sequential:
        return v.text
    other = v.fixed_text if ro.sequential else v.sequential_text
    label = "fixed-horizon: " if ro.sequential else ""
    return f"{v.text}; {label}{other}"


def _warnings(ro: Readout) -> list[Block]:
    parse = ro.read.parse_warnings
    items = [f"read: {w}" for w in parse[:MAX_PARSE_WARNINGS]]
    if len(parse) > MAX_PARSE_WARNINGS:
        items.append(f"read: ... and {len(parse) - MAX_PARSE_WARNINGS} more repairs")
    items += list(ro.warnings)
    title = f"Warnings ({len(parse) + len(ro.warnings)})"
    if not items:
        return []  # the summary says "No warnings."
    return [Heading(title, 2), Bullets(tuple(items))]


def _checks(ro: Readout) -> list[Block]:
    rows = []
    for sec in ro.sections:
        srm = sec.sample_ratio
        result = "ok" if defined(srm.p_value) else srm.note or "not defined"
        if srm.flagged:
            result = "MISMATCH: check the traffic allocation"
        rows.append([sec.label, srm.type or "?", count(srm.entries), number(srm.chi2)])
        rows[-1] += [p_text(srm.p_value), result]
    threshold = ro.sections[0].sample_ratio.threshold if ro.sections else 0.001
    blocks: list[Block] = [
        Heading("Checks", 2),
        Paragraph(
            f"Sample ratio: chi-square of the recipes' entries against {_split_text(ro)}, "
            f"flagged below p = {threshold:g}."
        ),
        _table("report<|type<|entries>|chi2>|p>|result<", rows),
        Paragraph(f"Campaign consistency: {ro.campaign.note}."),
    ]
    gaps = ro.campaign.gaps
    if gaps:
        body = []
        for g in gaps[:MAX_GAPS]:
            body.append([_label(g.segment), g.sample_start or "?", g.step, g.measure])
            body[-1] += [number(g.recipes_sum), number(g.campaign), number(g.gap)]
        blocks.append(_table("report<|sample<|step<|measure<|recipes>|Campaign>|gap>", body))
        if len(gaps) > MAX_GAPS:
            blocks.append(Paragraph(f"... and {len(gaps) - MAX_GAPS} more cells."))
    blocks.append(Paragraph(f"Engagement and revenue: {ro.means_note}."))
    blocks.append(Paragraph(f"Extreme orders: {ro.extreme_note}."))
    blocks.append(Paragraph(f"Extreme-order sensitivity: {ro.sensitivity_note}."))
    blocks += _segments(ro)
    return blocks


def _segments(ro: Readout) -> list[Block]:
    if not ro.segments:
        return [Paragraph(f"Segments: {ro.segments_note}.")]
    body = []
    for r in ro.segments:
        span = f"{signed_pct(r.lift_min)} to {signed_pct(r.lift_max)}"
        row = [r.type or "?", r.recipe, count(r.segments), span, signed_pct(r.aggregate_lift)]
        row += [
            number(r.q),
            p_text(r.p_value),
            pct(r.i_squared, 0) if defined(r.i_squared) else MISSING,
        ]
        row.append("SIMPSON'S PARADOX" if r.simpson else (r.note or "ok"))
        body.append(row)
    spec = "type<|recipe<|segments>|segment lifts>|aggregate lift>|Q>|p>|I2>|result<"
    return [
        Heading(f"Segments ({ro.metric})", 3),
        Paragraph(f"Does the lift differ between segments? {_capital(ro.segments_note)}."),
        _table(spec, body),
    ]


def _split_text(ro: Readout) -> str:
    split = ro.comparison.split
    if split is None:
        return "an equal split"
    shares = ", ".join(
        f"{name} {share:.1%}" for name, share in zip(ro.comparison.recipes, split, strict=True)
    )
    return f"the intended split ({shares})"


def _label(segment: str | None) -> str:
    return AGGREGATE if segment is None else segment


def _section(ro: Readout, s: Section) -> list[Block]:
    info = s.report
    what = "aggregate of all segments" if info.segment is None else "segment"
    extra = f", id {info.segment_id}" if info.segment_id is not None else ""
    blocks: list[Block] = [
        Heading(f"{s.label} ({what}{extra}, type {info.type or '?'})", 2),
        Paragraph(
            f"{count(s.sample_ratio.entries)} entries over {info.samples_present} of "
            f"{info.samples_in_grid} samples"
            + (" (the file holds none)" if info.samples_present == 0 else "")
            + "."
        ),
        Heading(f"{ro.metric} per {ro.entry}", 3),
        _metric_table(ro, s.metric_rows),
    ]
    if s.verdicts:
        blocks.append(
            Bullets(
                tuple(
                    f"{v.recipe}: {_both(ro, v)}"
                    + (f". {_capital(v.power_text)}." if v.outcome == NO_VERDICT else ".")
                    for v in s.verdicts
                )
            )
        )
    else:
        blocks.append(Paragraph("No recipe besides the control: nothing to compare."))
    blocks += _notes((r.recipe, r.note) for r in s.metric_rows if not r.is_control and r.note)
    if s.step_rows:
        blocks += _steps(ro, s.step_rows)
    if s.means:
        blocks += _means(ro, s)
    if s.extremes:
        blocks += _extremes(ro, s)
    if s.sensitivity:
        blocks += _sensitivity(ro, s)
    return blocks


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rate(row: RateRow) -> str:
    if row.per_entry:
        return f"{number(row.rate)}/entry" if defined(row.rate) else MISSING
    return pct(row.rate)


def _metric_table(ro: Readout, rows: Sequence[RateRow]) -> Table:
    ci = f"{level(ro.alpha)} CI"
    sequential = ro.looks > 1 or ro.sequential
    width = 12 if sequential else 11
    body = []
    for r in rows:
        row = [r.recipe + (" (control)" if r.is_control else ""), count(r.entries)]
        row += [count(r.conversions), _rate(r), interval(r.rate_low, r.rate_high, signed=False)]
        if not r.is_control:
            fixed_sig = r.significant and not ro.sequential
            row += [signed_pct(r.lift), interval(r.lift_low, r.lift_high), p_text(r.p_value)]
            row.append(p_text(r.p_adjusted) + (" *" if fixed_sig else ""))
            if sequential:
                av_sig = r.significant and ro.sequential
                row.append(p_text(r.av_p_adjusted) + (" *" if av_sig else ""))
            row += [signed_pct(r.mdl), probability_text(r.prob_beat)]
        body.append(row + [""] * (width - len(row)))
    spec = f"recipe<|entries>|conversions>|rate>|{ci}>|lift>|{ci}>|p>|adj. p>"
    spec += "|AV adj. p>" if sequential else ""
    return _table(spec + "|MDL>|P(beat)>", body)


def _notes(pairs: Iterable[tuple[str, str]]) -> list[Block]:
    items = tuple(dict.fromkeys(f"{who}: {note}" for who, note in pairs))
    return [Paragraph("Notes:"), Bullets(items)] if items else []


def _steps(ro: Readout, rows: Sequence[RateRow]) -> list[Block]:
    recipes = list(dict.fromkeys(r.recipe for r in rows))
    steps = list(dict.fromkeys(r.step for r in rows))
    cell = {(r.step, r.recipe): r for r in rows}
    body = []
    for step in steps:
        line = [step]
        for recipe in recipes:
            r = cell[(step, recipe)]
            if r.is_control:
                line.append(_rate(r))
            else:
                mark = " *" if r.significant else ""
                line.append(f"{_rate(r)} {signed_pct(r.lift)}{mark}")
        body.append(tuple(line))
    heads = tuple(f"{r} (control)" if r == ro.control else r for r in recipes)
    return [
        Heading("Other steps", 3),
        Paragraph(
            f"Rate per {ro.entry}, and lift against the control; * significant after "
            f"{_correction_name(ro.correction)} correction (adjusted p < {ro.alpha:g})."
        ),
        Table(("step", *heads), tuple(body), "l" + "r" * len(heads)),
    ]


def _table(spec: str, rows: Iterable[Sequence[str]]) -> Table:
    """A table from ``"name<|name>|..."``: each column's name, then ``<`` (left) or ``>``."""
    names = spec.split("|")
    return Table(
        tuple(n[:-1] for n in names),
        tuple(tuple(r) for r in rows),
        "".join("l" if n.endswith("<") else "r" for n in names),
    )


def _means(ro: Readout, s: Section) -> list[Block]:
    ci = f"{level(ro.alpha)} CI"
    body = []
    for m in s.means:
        name = "revenue per entry" if m.metric == "revenue" else m.metric
        row = [name, m.recipe + (" (control)" if m.is_control else ""), count(m.units)]
        row += [number(m.mean), interval(m.mean_low, m.mean_high, digits=2)]
        if not m.is_control:
            row += [signed_pct(m.lift), interval(m.lift_low, m.lift_high)]
            row.append(p_text(m.p_adjusted) + (" *" if m.significant else ""))
        body.append(row + [""] * (8 - len(row)))
    notes = _notes(
        (f"{m.recipe}, {m.metric}", m.note)
        for m in s.means
        if m.note and m.note != "control" and not m.note.startswith("control;")
    )
    spec = f"metric<|recipe<|entries>|mean>|{ci}>|lift>|{ci}>|adj. p>"
    return [Heading("Engagement and revenue per entry", 3), _table(spec, body), *notes]


def _extremes(ro: Readout, s: Section) -> list[Block]:
    body = []
    for e in s.extremes:
        flips = count(e.flip_k) if defined(e.flip_k) else MISSING
        if not defined(e.flip_k) and defined(e.max_extreme):
            flips = "none"
        row = [e.recipe + (" (control)" if e.is_control else ""), count(e.units), number(e.mean)]
        row += [number(e.std), count(e.max_extreme), e.verdict, flips, p_text(e.p_value_vs_rest)]
        body.append(row)
    spec = "recipe<|orders>|mean>|SD>|at most extreme>|mean vs control<|flips after>|p vs rest>"
    return [
        Heading(f"Extreme orders ({ro.extreme_metric})", 3),
        Paragraph(
            f"An order above {number(s.extremes[0].threshold_high)} is extreme (the Campaign's "
            "mean +/- 3 standard deviations)."
        ),
        _table(spec, body),
    ]


def _sensitivity(ro: Readout, s: Section) -> list[Block]:
    focus = {ro.metric, ro.extreme_metric}
    rows = [r for r in s.sensitivity if (r.step in focus or r.flipped) and not r.is_control]
    flips = [r for r in s.sensitivity if r.flipped]
    body = []
    for r in rows:
        row = [r.step, r.measure, r.recipe, number(r.mean_with), number(r.mean_without)]
        row += [signed_pct(r.lift_with), signed_pct(r.lift_without)]
        row.append(f"{r.verdict_with} -> {r.verdict_without}" + (" FLIP" if r.flipped else ""))
        body.append([*row, pct(r.share_of_change, 1)])
    which = "; ".join(f"{r.recipe} on {r.step} ({r.measure})" for r in flips)
    spec = "step<|measure<|recipe<|mean with>|without>|lift with>|without>"
    spec += "|verdict with -> without<|share of change>"
    return [
        Heading("With and without extreme orders", 3),
        Paragraph(
            f"{len(flips)} verdict(s) flip when extreme orders are excluded"
            + (f": {which}." if flips else ".")
        ),
        _table(spec, body),
    ]

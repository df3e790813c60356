"""How a :class:`~ttstats.parse.Report` shows itself in Jupyter (``Report._repr_html_``).

A compact summary (reports and segments, period, type, samples, recipes, steps, measures,
warnings) and the first rows of :meth:`Report.to_frame`, built from the first samples only, so
that displaying a report of a gigabyte costs no more than one of a kilobyte. Every label from
the file is HTML-escaped.
"""

from __future__ import annotations

import math
from dataclasses import replace
from html import escape
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

    from ._report import Report

__all__ = ["report_html"]

#: Rows of ``to_frame()`` shown.
HEAD_ROWS = 10
#: Parse warnings listed (the rest are counted).
SHOWN_WARNINGS = 5
_AGGREGATE = "aggregate of all segments"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _when(t: np.datetime64) -> str:
    if np.isnat(t):
        return "?"
    text = str(t.astype("datetime64[m]"))
    return text[:10] if text.endswith("T00:00") else text.replace("T", " ")


def _distinct(values: list[str | None]) -> str:
    kept = list(dict.fromkeys(v for v in values if v is not None))
    return ", ".join(kept) if kept else "?"


def head_frame(report: Report, rows: int = HEAD_ROWS) -> pd.DataFrame:
    """The first ``rows`` rows of ``report.to_frame()``, computed from the first samples only.

    ``to_frame`` orders its rows by (report, sample, recipe, step): the first report's first
    ``ceil(rows / ((recipes + 1) * steps))`` samples hold the first ``rows`` rows.
    """
    _, s, k, t = report.shape
    per_sample = (k + 1) * t
    keep = min(s, max(1, math.ceil(rows / per_sample))) if per_sample else s
    if keep < s:

        def cut(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return a[:, :keep]

        report = replace(
            report,
            samples=type(report.samples)(
                report.samples.start[:keep], report.samples.duration[:keep]
            ),
            cells=report.cells.map(cut),
            campaign=report.campaign.map(cut),
            present=report.present[:, :keep],
            in_grid=report.in_grid[:, :keep],
        )
    frame: pd.DataFrame = report.to_frame().head(rows)
    return frame


def report_html(report: Report, rows: int = HEAD_ROWS) -> str:
    """The report as a compact HTML summary and the first ``rows`` rows of its frame.

    Returns
    -------
    str
        An HTML fragment: a ``<table>`` of what the report holds, then ``rows`` rows of
        :meth:`Report.to_frame` (``DataFrame.to_html``, escaped).
    """
    n_reports, n_samples, n_recipes, n_steps = report.shape
    infos = report.reports
    reports = "; ".join(
        (_AGGREGATE if x.segment is None else f"segment {x.segment!r}")
        + (f" (id {x.segment_id})" if x.segment_id is not None else "")
        for x in infos
    )
    starts = [x.start for x in infos if not np.isnat(x.start)]
    ends = [x.end for x in infos if not np.isnat(x.end)]
    period = f"{_when(min(starts)) if starts else '?'} to {_when(max(ends)) if ends else '?'}"
    resolution = _distinct([x.resolution for x in infos])
    campaigns = ", ".join(dict.fromkeys(str(x.campaign_id) for x in infos if x.campaign_id))
    if n_samples:
        samples = (
            f"{n_samples}: {_when(report.samples.start[0])} to {_when(report.samples.start[-1])}"
        )
    else:
        samples = "0"
    has_summary = bool(np.isfinite(report.campaign.count).any())
    summary = f" (+ summary recipe {report.campaign_recipe!r})" if has_summary else ""
    measures = [
        name
        for name, arr in report.cells.items()
        if np.isfinite(arr).any() or np.isfinite(getattr(report.campaign, name)).any()
    ]
    facts = [
        ("reports", f"{n_reports}: {reports}" if n_reports else "0"),
        ("campaign", campaigns or "?"),
        ("period", f"{period}, by {resolution}"),
        ("type", _distinct([x.type for x in infos])),
        ("samples", samples),
        ("recipes", f"{n_recipes}: {', '.join(report.recipes)}{summary}"),
        ("steps", f"{n_steps}: {', '.join(report.steps)}"),
        ("measures", ", ".join(measures) or "none"),
        ("warnings", str(len(report.warnings))),
    ]
    body = "".join(
        f'<tr><th style="text-align:left">{_e(k)}</th><td style="text-align:left">{_e(v)}</td></tr>'
        for k, v in facts
    )
    shown = report.warnings[:SHOWN_WARNINGS]
    more = len(report.warnings) - len(shown)
    warned = ""
    if shown:
        items = "".join(f"<li>{_e(w)}</li>" for w in shown)
        if more:
            items += f"<li>... and {more} more (<code>report.warnings</code>)</li>"
        warned = f"<ul>{items}</ul>"
    total = n_reports * n_samples * (n_recipes + 1) * n_steps
    frame = head_frame(report, rows)
    caption = f"First {len(frame)} of {total:,} rows of <code>to_frame()</code>:"
    return (
        '<div class="ttstats-report">'
        f"<p><strong>ttstats Report</strong>, version {report.version}, shape "
        f"{_e(report.shape)} (report, sample, recipe, step)</p>"
        f"<table>{body}</table>{warned}<p>{caption}</p>"
        f"{frame.to_html(index=False, border=0, escape=True, na_rep='NaN')}</div>"
    )

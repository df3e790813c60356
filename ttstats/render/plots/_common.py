"""What every plot shares: the colours, the panels, the labels and the export to PNG."""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from ..._errors import UnknownLabelError
from ...analysis import Comparison
from ...analysis.readout_model import AGGREGATE
from ...parse import Report, ReportInfo

FloatArray = npt.NDArray[np.float64]

#: Colour of the control in every plot.
CONTROL_COLOR = "#3b3b3b"
#: Colours of the other recipes, in document order (matplotlib's ``tab10`` without its red,
#: grey and the control's dark tones).
RECIPE_COLORS: tuple[str, ...] = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
)
#: Colour that marks a flipped verdict.
FLIP_COLOR = "#d62728"
#: Label of the aggregate report (its segment is None), as in the readout.
AGGREGATE_LABEL = AGGREGATE

_PANEL_SIZE = (4.6, 4.0)
# matplotlib.dates has no type hints for its locators and formatters (matplotlib 3.11)
_dates: Any = mdates
_LABEL_WIDTH = 14
_SHIFT = 0.12  # x offset of the "with" and "without" markers of a recipe


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------
def figure_to_png_bytes(fig: Figure, *, dpi: float = 100.0) -> bytes:
    """The figure as PNG bytes (rendered with Agg, whatever the backend).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, for example the result of a plot function.
    dpi : float, default 100
        Resolution in dots per inch.

    Returns
    -------
    bytes
        The PNG file, starting with ``b"\\x89PNG"``.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def figure_to_data_uri(fig: Figure, *, dpi: float = 100.0) -> str:
    """The figure as a ``data:image/png;base64,...`` URI, for ``<img src=...>`` in HTML.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : float, default 100
        Resolution in dots per inch.

    Returns
    -------
    str
        ``"data:image/png;base64,"`` followed by the base64 of :func:`figure_to_png_bytes`.
    """
    encoded = base64.b64encode(figure_to_png_bytes(fig, dpi=dpi)).decode("ascii")
    return f"data:image/png;base64,{encoded}"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def recipe_colors(recipes: Sequence[str], control: str | None) -> list[str]:
    """The colour of each recipe: :data:`CONTROL_COLOR` for the control, then the cycle."""
    out, nxt = [], 0
    for name in recipes:
        if name == control:
            out.append(CONTROL_COLOR)
        else:
            out.append(RECIPE_COLORS[nxt % len(RECIPE_COLORS)])
            nxt += 1
    return out


def _panels(
    ax: Axes | None,
    count: int,
    *,
    size: tuple[float, float] = _PANEL_SIZE,
    sharey: bool = False,
) -> tuple[Figure, list[Axes]]:
    """The figure and its panels: ``ax`` itself, or a new row of ``count`` panels."""
    if ax is not None:
        return _root_figure(ax), [ax]
    fig = Figure(figsize=(size[0] * count, size[1]), layout="constrained")
    grid = fig.subplots(1, count, squeeze=False, sharey=sharey)
    return fig, list(grid[0])


def _root_figure(ax: Axes) -> Figure:
    fig = ax.figure
    while isinstance(fig, SubFigure):  # a SubFigure's .figure is its root, in every version
        fig = fig.figure
    return fig


def _summed(comp: Comparison, name: str) -> None:
    if comp.by_sample:
        raise ValueError(
            f"{name} draws a comparison over summed samples; this one keeps the sample axis "
            "(compare(..., by_sample=False), or plot_cumulative_lift for the lift over time)"
        )


def _label_position(names: Sequence[str], name: str | None, argument: str, *, default: int) -> int:
    if name is None:
        return default
    if isinstance(name, str) and name in names:
        return list(names).index(name)
    raise UnknownLabelError(f"{argument}={name!r} is unknown; {argument}s are {list(names)}")


def _report_labels(reports: Sequence[ReportInfo]) -> list[str]:
    return [_segment_label(info) for info in reports]


def _report_position(reports: Sequence[ReportInfo], index: object, argument: str) -> int:
    count = len(reports)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{argument} must be an integer position, got {index!r}")
    if not -count <= int(index) < count:
        raise IndexError(
            f"{argument}={index} is out of range: there are {count} report(s) "
            f"{_report_labels(reports)}"
        )
    return int(index) % count


def _chosen_reports(reports: Sequence[ReportInfo], report: int | str | None) -> list[int]:
    if report is None:
        return list(range(len(reports)))
    if isinstance(report, str):
        found = [i for i, info in enumerate(reports) if info.segment == report]
        if not found and report.strip().casefold() in (AGGREGATE_LABEL.casefold(), "aggregate"):
            found = [i for i, info in enumerate(reports) if info.segment is None]
        if not found:
            segments = [info.segment for info in reports if info.segment is not None]
            raise UnknownLabelError(
                f"report={report!r} is not a segment; segments are {segments} (the aggregate: "
                f"{AGGREGATE_LABEL!r}, or its position)"
            )
        return found[:1]
    return [_report_position(reports, report, "report")]


def _segment_label(info: ReportInfo) -> str:
    return AGGREGATE_LABEL if info.segment is None else info.segment


def plain(text: str) -> str:
    """``text`` as matplotlib must be given it to show it literally.

    matplotlib reads the text between two ``$`` as mathematics (mathtext), so a recipe named
    ``"Save $5 or $10"`` would be typeset, or fail to draw; each ``$`` is escaped as ``\\$``,
    which matplotlib shows as ``$``. Every name from the report goes through this.

    Examples
    --------
    >>> plain("Save $5 or $10")
    'Save \\\\$5 or \\\\$10'
    """
    return text.replace("$", r"\$")


def _wrap(name: str) -> str:
    return plain(textwrap.fill(name, _LABEL_WIDTH, break_long_words=False) or name)


def _recipe_ticks(ax: Axes, recipes: Sequence[str], control: str) -> None:
    ax.set_xlim(-0.5, len(recipes) - 0.5)
    ax.set_xticks(range(len(recipes)), [_wrap(name) for name in recipes])
    for label, name in zip(ax.get_xticklabels(), recipes, strict=True):
        if name == control:
            label.set_fontweight("bold")


def _yerr(value: FloatArray, low: FloatArray, high: FloatArray) -> FloatArray:
    """Error-bar lengths ``(2, n)`` below and above; NaN (no bar) where the interval is NaN."""
    out: FloatArray = np.maximum(np.stack([value - low, high - value]), 0.0)
    return out


def _sum_samples(arr: FloatArray) -> FloatArray:
    """Sum over the first axis ignoring NaN; NaN where every sample is NaN."""
    out: FloatArray = np.where(np.isnan(arr).all(axis=0), np.nan, np.nansum(arr, axis=0))
    return out


def _exceeds_entries(report: Report, entry: int, cols: Sequence[int]) -> npt.NDArray[np.bool_]:
    """Per step in ``cols``: its count exceeds the entries in some cell (as compare says)."""
    idx = list(cols)
    with np.errstate(invalid="ignore"):
        cells = report.count[..., idx] > report.count[..., entry : entry + 1]
        summary = report.campaign.count[..., idx] > report.campaign.count[..., entry : entry + 1]
    flat = np.concatenate([cells.reshape(-1, len(idx)), summary.reshape(-1, len(idx))])
    out: npt.NDArray[np.bool_] = np.any(flat, axis=0)
    return out

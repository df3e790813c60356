"""Rates per recipe with their intervals, one panel per report."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ...analysis import Comparison
from ._common import (
    CONTROL_COLOR,
    _chosen_reports,
    _label_position,
    _panels,
    _recipe_ticks,
    _report_labels,
    _segment_label,
    _summed,
    _yerr,
    plain,
    recipe_colors,
)


def plot_rates(
    comparison: Comparison,
    *,
    step: str | None = None,
    report: int | str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The rate of each recipe with its interval, the control highlighted, per report.

    Parameters
    ----------
    comparison : Comparison
        The result of :func:`ttstats.compare` over summed samples (``by_sample=False``).
    step : str, optional
        The compared step to show; default the last one (the conversion step).
    report : int or str, optional
        One report, by position (negative counts from the end: ``-1`` is the aggregate in
        T&T's order) or by segment name (``"All visitors"`` or ``"aggregate"``, as in the
        readout, for the aggregate unless a segment is so called); default every report, one
        panel each.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (one panel: ``report`` must then select one report when the
        comparison holds several).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per report: per recipe, an error bar (an ``ErrorbarContainer``, labelled
        with the recipe's name) from ``rate_low`` to ``rate_high`` around ``rate``. The
        control is a dark square with a dashed line at its rate over a band of its
        interval; each other recipe is annotated with its lift over the control, ``*`` when
        significant (``p_adjusted < alpha``). The title names the segment and the step.

    Raises
    ------
    UnknownLabelError
        ``step`` is not a compared step, or ``report`` not a segment of the comparison.
    IndexError
        ``report`` is a position out of range.
    ValueError
        The comparison keeps the sample axis; or ``ax`` is given but ``report`` selects
        more than one report.

    Notes
    -----
    A per-entry step (its count exceeds the entries somewhere) has a rate but no interval:
    its markers stand without bars and the axis label says so.
    """
    _summed(comparison, "plot_rates")
    j = _label_position(comparison.steps, step, "step", default=len(comparison.steps) - 1)
    rows = _chosen_reports(comparison.reports, report)
    if ax is not None and len(rows) != 1:
        raise ValueError(
            f"ax holds one panel, but the comparison holds {len(rows)} reports: pass report= "
            f"(a position or one of the segments {_report_labels(comparison.reports)})"
        )
    fig, panels = _panels(ax, len(rows), sharey=True)
    for at, (panel, r) in enumerate(zip(panels, rows, strict=True)):
        _draw_rates(panel, comparison, r, j, ylabel=at == 0)
    return fig


def _draw_rates(ax: Axes, comp: Comparison, r: int, j: int, *, ylabel: bool) -> None:
    c = comp.control_index
    step = comp.steps[j]
    rate, low, high = comp.rate[r, :, j], comp.rate_low[r, :, j], comp.rate_high[r, :, j]
    lift, significant = comp.lift[r, :, j], comp.significant[r, :, j]
    colors = recipe_colors(comp.recipes, comp.control)
    if np.isfinite(low[c]) and np.isfinite(high[c]):
        ax.axhspan(float(low[c]), float(high[c]), color=CONTROL_COLOR, alpha=0.08, lw=0)
    if np.isfinite(rate[c]):
        ax.axhline(float(rate[c]), color=CONTROL_COLOR, ls="--", lw=1)
    yerr = _yerr(rate, low, high)
    for i, name in enumerate(comp.recipes):
        is_control = i == c
        ax.errorbar(
            [i],
            rate[i : i + 1],
            yerr=yerr[:, i : i + 1],
            fmt="s" if is_control else "o",
            ms=8 if is_control else 6,
            color=colors[i],
            capsize=4,
            label=plain(name),
        )
        if is_control or not np.isfinite(lift[i]):
            continue
        top = high[i] if np.isfinite(high[i]) else rate[i]
        ax.annotate(
            f"{lift[i]:+.1%}" + (" *" if significant[i] else ""),
            xy=(i, float(top)),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            fontweight="bold" if significant[i] else "normal",
            color=colors[i],
        )
    _recipe_ticks(ax, comp.recipes, comp.control)
    ax.margins(y=0.12)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(plain(f"{_segment_label(comp.reports[r])}: {step}"))
    if comp.per_entry[j]:
        what = "per-entry rate (count exceeds entries): no interval"
    else:
        what = f"{1 - comp.alpha:.0%} {comp.method} interval"
    if ylabel:
        ax.set_ylabel(plain(f"{step} / {comp.entry}\n({what})"))
    ax.set_xlabel(
        plain(
            f"lift vs {comp.control} above each; "
            f"* significant ({comp.correction}, alpha={comp.alpha:g})"
        ),
        fontsize=8,
    )

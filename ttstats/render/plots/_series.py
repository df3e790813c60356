"""Series over the samples: the cumulative lift and the always-valid confidence sequence."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ...analysis import Cumulative, cumulative
from ...parse import Report
from ...stats.proportions import LiftMethod
from ._common import (
    _dates,
    _panels,
    _report_position,
    _root_figure,
    _segment_label,
    plain,
    recipe_colors,
)


def plot_cumulative_lift(
    report: Report,
    control: str,
    *,
    metric: str | None = None,
    entry: str = "Entry",
    report_index: int = -1,
    alpha: float = 0.05,
    method: LiftMethod = "delta",
    ax: Axes | None = None,
) -> Figure:
    r"""The running lift of each recipe over the control, sample after sample, with its band.

    Parameters
    ----------
    report : Report
        A parsed report with its samples (:func:`ttstats.read_report`).
    control : str
        The control recipe.
    metric : str, optional
        The step whose count is the conversions; default the last step.
    entry : str, default "Entry"
        The step whose count is the entries.
    report_index : int, default -1
        The report (segment) to draw; -1 is the last, the aggregate in T&T's order.
    alpha : float, default 0.05
        1 - confidence of the bands.
    method : {"delta", "fieller", "score"}
        The lift interval (:func:`ttstats.stats.lift_interval`).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.

    Returns
    -------
    matplotlib.figure.Figure
        Per recipe other than the control, a line (labelled with its name) of the lift
        through each sample, at the sample's start, over a band (``fill_between``, one
        ``PolyCollection`` per recipe) of its interval; a line at zero; dates on the x axis.

    Raises
    ------
    UnknownLabelError
        ``control`` is not a recipe, ``metric`` or ``entry`` not a step.
    IndexError
        ``report_index`` out of range.
    ValueError
        ``metric`` is ``entry``; the report holds no other recipe than the control or no
        sample in the chosen report's grid; invalid ``alpha`` or ``method``.

    Notes
    -----
    Over the samples :math:`s_1, \dots, s_m` of the report's grid (a sample the API omitted
    holds zeros), the running totals :math:`X_t(s) = \sum_{u \le s} x_t(u)` and
    :math:`N_t(s)` of each arm (``np.cumsum`` over the sample axis) give the lift
    :math:`\frac{X_t/N_t}{X_c/N_c} - 1` and its interval, one vectorised
    :func:`~ttstats.stats.lift_interval` call over every sample and recipe. The last point
    is the lift of the whole period, as :func:`ttstats.compare` reports it. The running
    totals are :func:`ttstats.cumulative`'s: a cell not reported in a sample (NaN) adds
    nothing, as when :func:`ttstats.compare` sums the samples.
    Watching the running lift settle is a picture, not a test: a band that excludes zero
    at some sample is no evidence at that sample's level (peeking).
    """
    r = _report_position(report.reports, report_index, "report_index")
    res, grid, treated = _series(report, control, metric, entry, r, alpha=alpha, method=method)
    starts = report.samples.start[grid]
    lift = res.lift[r][grid][:, treated]
    band = res.lift_low[r][grid][:, treated], res.lift_high[r][grid][:, treated]

    fig, (panel,) = _panels(ax, 1, size=(8.0, 4.2))
    colors = recipe_colors(report.recipes, control)
    for col, k in enumerate(treated):
        panel.fill_between(
            starts, band[0][:, col], band[1][:, col], color=colors[k], alpha=0.18, lw=0
        )
        panel.plot(
            starts, lift[:, col], marker="o", ms=3, color=colors[k], label=plain(report.recipes[k])
        )
    panel.axhline(0.0, color="black", lw=0.8)
    locator = _dates.AutoDateLocator()
    panel.xaxis.set_major_locator(locator)
    panel.xaxis.set_major_formatter(_dates.ConciseDateFormatter(locator))
    panel.yaxis.set_major_formatter(PercentFormatter(1.0))
    metric_name = res.metric
    panel.set_title(
        plain(f"{_segment_label(report.reports[r])}: cumulative lift of {metric_name} vs {control}")
    )
    panel.set_ylabel(plain(f"lift of {metric_name} / {entry}\n({1 - alpha:.0%} {method} interval)"))
    panel.set_xlabel("sample start (running totals up to the sample)")
    panel.legend(fontsize=8)
    return fig


def plot_sequential(
    report: Report,
    control: str,
    *,
    metric: str | None = None,
    entry: str = "Entry",
    report_index: int = -1,
    alpha: float = 0.05,
    ax: Sequence[Axes] | None = None,
) -> Figure:
    r"""The experiment look by look: fixed-horizon against always-valid p-values, and the
    difference of rates with its confidence sequence.

    Parameters
    ----------
    report, control, metric, entry, report_index, alpha
        As :func:`plot_cumulative_lift`.
    ax : sequence of two matplotlib Axes, optional
        Draw the two panels into these.

    Returns
    -------
    matplotlib.figure.Figure
        Left: per recipe other than the control, the fixed-horizon p-value of the running
        totals (dashed, labelled ``"<recipe>: fixed-horizon"``) and the always-valid p-value
        (solid, ``"<recipe>: always-valid"``) on a log scale, with a line at ``alpha``.
        Right: the running difference of rates (labelled with the recipe) over the band
        (``fill_between``) of its confidence sequence, with a line at zero.

    Raises
    ------
    As :func:`plot_cumulative_lift`.

    Notes
    -----
    The numbers are :func:`ttstats.cumulative`'s. Stopping the first time the dashed line
    crosses ``alpha`` is peeking and finds effects that are not there far more often than
    ``alpha``; the solid line never rises, and crossing it is a valid reason to stop
    (:func:`ttstats.stats.always_valid_pvalue`) for one comparison on its own. The p-values and
    the confidence sequence are not adjusted for multiple comparisons: with several recipes,
    decide on the adjusted always-valid p-values (``compare(..., sequential=True)``).
    """
    r = _report_position(report.reports, report_index, "report_index")
    res, grid, treated = _series(report, control, metric, entry, r, alpha=alpha, method="delta")
    starts = report.samples.start[grid]
    if ax is not None:
        if len(ax) != 2:
            raise ValueError(f"ax must hold two Axes (p-values, difference), got {len(ax)}")
        fig, (left, right) = _root_figure(ax[0]), tuple(ax)
    else:
        fig, (left, right) = _panels(None, 2, size=(5.5, 4.0))
    colors = recipe_colors(report.recipes, control)
    for k in treated:
        name = report.recipes[k]
        fixed, valid = res.p_value[r][grid][:, k], res.av_p_value[r][grid][:, k]
        left.plot(starts, fixed, ls="--", color=colors[k], label=plain(f"{name}: fixed-horizon"))
        left.plot(starts, valid, color=colors[k], label=plain(f"{name}: always-valid"))
        low, high = res.cs_low[r][grid][:, k], res.cs_high[r][grid][:, k]
        right.fill_between(starts, low, high, color=colors[k], alpha=0.18, lw=0)
        right.plot(
            starts, res.diff[r][grid][:, k], marker="o", ms=3, color=colors[k], label=plain(name)
        )
    left.axhline(alpha, color="black", lw=0.8)
    left.set_yscale("log")
    left.set_ylabel(f"p-value of the running totals, unadjusted (alpha {alpha:g})")
    right.axhline(0.0, color="black", lw=0.8)
    right.yaxis.set_major_formatter(PercentFormatter(1.0))
    right.set_ylabel(f"difference of rates ({1 - alpha:.0%} confidence sequence)")
    label = _segment_label(report.reports[r])
    left.set_title(plain(f"{label}: {res.metric}, fixed-horizon vs always-valid"))
    right.set_title(plain(f"{label}: difference from {control}"))
    for panel in (left, right):
        locator = _dates.AutoDateLocator()
        panel.xaxis.set_major_locator(locator)
        panel.xaxis.set_major_formatter(_dates.ConciseDateFormatter(locator))
        panel.legend(fontsize=8)
    return fig


def _series(
    report: Report,
    control: str,
    metric: str | None,
    entry: str,
    r: int,
    *,
    alpha: float,
    method: LiftMethod,
) -> tuple[Cumulative, npt.NDArray[np.bool_], list[int]]:
    """:func:`ttstats.cumulative` of the metric, report ``r``'s grid and the treated recipes."""
    res = cumulative(report, control, metric=metric, entry=entry, lift_method=method, alpha=alpha)
    treated = [k for k in range(len(report.recipes)) if k != res.control_index]
    if not treated:
        raise ValueError(f"the report holds no recipe besides the control {control!r}")
    grid = np.asarray(res.in_grid[r], dtype=bool)
    if not grid.any():
        raise ValueError(f"report {r} has no sample to draw")
    return res, grid, treated

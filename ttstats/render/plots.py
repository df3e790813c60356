"""Plots of reports and comparisons on matplotlib (``pip install "ttstats[plot]"``).

Every function returns a :class:`matplotlib.figure.Figure` made with the ``Figure``
constructor, never through pyplot: no global state, no open window, no ``plt.show()``, so
it is safe in servers, notebooks and tests (a figure is freed like any Python object).
Pass ``ax=`` to draw into an existing :class:`~matplotlib.axes.Axes` instead; the function
then returns the figure that holds it. :func:`figure_to_png_bytes` and
:func:`figure_to_data_uri` turn a figure into PNG bytes or a ``data:`` URI for a
self-contained HTML page.

Colours follow the recipes: the control is dark grey (square markers), the other recipes take
the colours of matplotlib's ``tab10`` cycle in document order, the same in every plot.

Examples
--------
>>> import ttstats
>>> from ttstats.render.plots import figure_to_data_uri, plot_rates
>>> xml = '''<reports><report campaignId="1" start="2024-03-01" end="2024-03-02"
...   resolution="day" type="visit"><sample start="2024-03-01T00:00" duration="day">
...   <recipe name="A"><step name="Entry">2000</step><step name="Order">100</step></recipe>
...   <recipe name="B"><step name="Entry">2000</step><step name="Order">140</step></recipe>
... </sample></report></reports>'''
>>> fig = plot_rates(ttstats.compare(ttstats.read_report(xml), "A"))
>>> ax = fig.axes[0]
>>> ax.get_title(), [bar.get_label() for bar in ax.containers]
('All visitors: Order', ['A', 'B'])
>>> [t.get_text() for t in ax.texts]  # B's lift over A, significant
['+40.0% *']
>>> figure_to_data_uri(fig)[:22]
'data:image/png;base64,'
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

try:
    from matplotlib import dates as mdates
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import PercentFormatter
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        'ttstats.render.plots needs matplotlib, an optional dependency: pip install "ttstats[plot]"'
        ' (from a checkout: pip install ".[plot]")'
    ) from exc

from .._errors import UnknownLabelError
from ..analysis import Comparison, Cumulative, cumulative
from ..analysis._extreme_results import SENSITIVITY_MEASURES
from ..analysis.readout_model import AGGREGATE
from ..parse import Report, ReportInfo
from ..stats.proportions import LiftMethod

if TYPE_CHECKING:
    from ..analysis.extreme import Sensitivity

__all__ = [
    "figure_to_data_uri",
    "figure_to_png_bytes",
    "plot_cumulative_lift",
    "plot_funnel",
    "plot_rates",
    "plot_sensitivity",
    "plot_sequential",
    "recipe_colors",
]

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
# Rates per recipe, one panel per report
# --------------------------------------------------------------------------------------------
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
        T&T's order) or by segment name; default every report, one panel each.
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
            label=name,
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
    ax.set_title(f"{_segment_label(comp.reports[r])}: {step}")
    if comp.per_entry[j]:
        what = "per-entry rate (count exceeds entries): no interval"
    else:
        what = f"{1 - comp.alpha:.0%} {comp.method} interval"
    if ylabel:
        ax.set_ylabel(f"{step} / {comp.entry}\n({what})")
    ax.set_xlabel(
        f"lift vs {comp.control} above each; * significant ({comp.correction}, alpha={comp.alpha:g})",
        fontsize=8,
    )


# --------------------------------------------------------------------------------------------
# Cumulative lift over the samples
# --------------------------------------------------------------------------------------------
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
        panel.plot(starts, lift[:, col], marker="o", ms=3, color=colors[k], label=report.recipes[k])
    panel.axhline(0.0, color="black", lw=0.8)
    locator = _dates.AutoDateLocator()
    panel.xaxis.set_major_locator(locator)
    panel.xaxis.set_major_formatter(_dates.ConciseDateFormatter(locator))
    panel.yaxis.set_major_formatter(PercentFormatter(1.0))
    metric_name = res.metric
    panel.set_title(
        f"{_segment_label(report.reports[r])}: cumulative lift of {metric_name} vs {control}"
    )
    panel.set_ylabel(f"lift of {metric_name} / {entry}\n({1 - alpha:.0%} {method} interval)")
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
    (:func:`ttstats.stats.always_valid_pvalue`).
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
        left.plot(starts, fixed, ls="--", color=colors[k], label=f"{name}: fixed-horizon")
        left.plot(starts, valid, color=colors[k], label=f"{name}: always-valid")
        low, high = res.cs_low[r][grid][:, k], res.cs_high[r][grid][:, k]
        right.fill_between(starts, low, high, color=colors[k], alpha=0.18, lw=0)
        right.plot(starts, res.diff[r][grid][:, k], marker="o", ms=3, color=colors[k], label=name)
    left.axhline(alpha, color="black", lw=0.8)
    left.set_yscale("log")
    left.set_ylabel(f"p-value of the running totals (alpha {alpha:g})")
    right.axhline(0.0, color="black", lw=0.8)
    right.yaxis.set_major_formatter(PercentFormatter(1.0))
    right.set_ylabel(f"difference of rates ({1 - alpha:.0%} confidence sequence)")
    label = _segment_label(report.reports[r])
    left.set_title(f"{label}: {res.metric}, fixed-horizon vs always-valid")
    right.set_title(f"{label}: difference from {control}")
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


# --------------------------------------------------------------------------------------------
# Funnel
# --------------------------------------------------------------------------------------------
def plot_funnel(
    report_or_comparison: Report | Comparison,
    *,
    report_index: int = -1,
    entry: str | None = None,
    control: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The funnel of each recipe: the share of entries that reach each step.

    Parameters
    ----------
    report_or_comparison : Report or Comparison
        A parsed report (its samples are summed, NaN-aware) or a :func:`ttstats.compare`
        result over summed samples, whose rate intervals are then drawn as error bars.
    report_index : int, default -1
        The report (segment) to draw; -1 is the last, the aggregate in T&T's order.
    entry : str, optional
        The entry step. For a Report, default ``"Entry"``; a Comparison carries its own
        (``entry``, if given, must match it).
    control : str, optional
        The recipe drawn in the control's colour. A Comparison carries its own (``control``,
        if given, must match it); for a Report, default none.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.

    Returns
    -------
    matplotlib.figure.Figure
        Grouped bars: per recipe one ``BarContainer`` (labelled with its name) holding a bar
        per shown step, the rate ``count(step) / count(entry)`` as its height and its value
        written above. The entry step itself (100%) is not drawn.

    Raises
    ------
    TypeError
        Neither a Report nor a Comparison.
    UnknownLabelError
        ``entry`` is not a step, or ``control`` not a recipe, of the report.
    IndexError
        ``report_index`` out of range.
    ValueError
        The comparison keeps the sample axis or has another entry step or control; no step
        is left to draw.

    Notes
    -----
    A step whose count exceeds its entries somewhere in the report (in any report, sample
    or recipe, the "Campaign" summary included; ``Comparison.per_entry``) counts something
    other than units reaching it (page views, say): it is no stage of the funnel, so it is
    left out and named under the axis. A cell not reported is drawn as an empty bar marked
    ``n/a``.
    """
    if isinstance(report_or_comparison, Comparison):
        comp = report_or_comparison
        _summed(comp, "plot_funnel")
        for given, own, name in ((entry, comp.entry, "entry"), (control, comp.control, "control")):
            if given is not None and given != own:
                raise ValueError(f"{name}={given!r}, but the comparison's {name} is {own!r}")
        r = _report_position(comp.reports, report_index, "report_index")
        steps, entry_name, per_entry = comp.steps, comp.entry, comp.per_entry
        rate = comp.rate[r]
        low, high = comp.rate_low[r], comp.rate_high[r]
        recipes, control, info = comp.recipes, comp.control, comp.reports[r]
        intervals: tuple[FloatArray, FloatArray] | None = (low, high)
    elif isinstance(report_or_comparison, Report):
        rep = report_or_comparison
        entry_name = "Entry" if entry is None else entry
        e = rep.step_index(entry_name)
        r = _report_position(rep.reports, report_index, "report_index")
        cols = [t for t in range(len(rep.steps)) if t != e]
        steps = tuple(rep.steps[t] for t in cols)
        total = _sum_samples(rep.count[r])  # (recipe, step)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(total[:, e : e + 1] > 0, total[:, cols] / total[:, e : e + 1], np.nan)
        per_entry = _exceeds_entries(rep, e, cols)
        if control is not None:
            rep.recipe_index(control)
        recipes, info = rep.recipes, rep.reports[r]
        intervals = None
    else:
        raise TypeError(
            f"plot_funnel takes a Report or a Comparison, got {type(report_or_comparison).__name__}"
        )
    shown = [t for t in range(len(steps)) if not per_entry[t]]
    skipped = [steps[t] for t in range(len(steps)) if per_entry[t]]
    if not shown:
        why = "every step counts more than its entries" if skipped else "no step but the entry"
        raise ValueError(f"no step to draw: {why}")

    fig, (panel,) = _panels(ax, 1, size=(max(5.0, 1.3 * len(shown) + 2.5), 4.2))
    colors = recipe_colors(recipes, control)
    width = 0.8 / len(recipes)
    where = np.arange(len(shown), dtype=np.float64)
    tops = [1e-9]
    for i, name in enumerate(recipes):
        values = rate[i, shown]
        known = np.isfinite(values)
        yerr = None
        if intervals is not None:
            yerr = np.where(
                known, _yerr(values, intervals[0][i, shown], intervals[1][i, shown]), 0.0
            )
            yerr = np.where(np.isfinite(yerr), yerr, 0.0)
        heights = np.where(known, values, 0.0)
        bars = panel.bar(
            where + (i - (len(recipes) - 1) / 2) * width,
            heights,
            width,
            color=colors[i],
            label=name,
            yerr=yerr,
            capsize=2,
            error_kw={"elinewidth": 0.8, "ecolor": "black"},
        )
        labels = [f"{v:.1%}" if ok else "n/a" for v, ok in zip(values, known, strict=True)]
        panel.bar_label(bars, labels=labels, padding=2, fontsize=7, rotation=90)
        tops.append(float(np.max(heights + (yerr[1] if yerr is not None else 0.0))))
    panel.set_ylim(0.0, max(tops) * 1.3)
    panel.set_xticks(where, [_wrap(steps[t]) for t in shown])
    panel.yaxis.set_major_formatter(PercentFormatter(1.0))
    panel.set_ylabel(f"share of {entry_name} reaching the step")
    panel.set_title(f"{_segment_label(info)}: funnel")
    if skipped:
        panel.set_xlabel(
            f"not shown (count exceeds entries, not a funnel stage): {', '.join(skipped)}",
            fontsize=8,
        )
    panel.legend(fontsize=8, loc="upper right")
    return fig


# --------------------------------------------------------------------------------------------
# Extreme-order sensitivity
# --------------------------------------------------------------------------------------------
def plot_sensitivity(
    sensitivity: Sensitivity,
    *,
    step: str | None = None,
    measure: str = "engagement",
    report_index: int = -1,
    ax: Axes | None = None,
) -> Figure:
    """Each recipe's mean and lift with and without extreme orders, flipped verdicts marked.

    Parameters
    ----------
    sensitivity : Sensitivity
        The result of :func:`ttstats.analysis.extreme.extreme_order_sensitivity`.
    step : str, optional
        The step to show; default the last step that carries ``measure``.
    measure : {"engagement", "revenue"}
        The step's engagement triple (mean per unit, lift with its interval, Welch's
        verdict) or its revenue per entry (point estimates).
    report_index : int, default -1
        The report (segment); -1 is the last, the aggregate in T&T's order.
    ax : matplotlib.axes.Axes, optional
        Draw the lift panel only, into this axes.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels (one with ``ax``), the segment, step and measure in the title. Means:
        per recipe, the mean with extreme orders (filled markers, one line labelled ``"with
        extreme orders"``) and, just right of it, without (hollow, ``"extreme orders
        excluded"``), an arrow from one to the other. Lifts over the control: per other
        recipe two error bars (``ErrorbarContainer`` labelled ``"<recipe>, with"`` and
        ``"<recipe>, without"``) from the lift interval around the lift (revenue: points
        only). A recipe whose verdict flips is shaded red and its tick label, red, reads
        ``"flips: <with> → <without>"``.

    Raises
    ------
    UnknownLabelError
        ``step`` is not a step of the result, or ``measure`` not a measure.
    IndexError
        ``report_index`` out of range.
    ValueError
        ``measure`` is not reported on ``step`` (or on any step).
    """
    s = sensitivity
    m = _label_position(SENSITIVITY_MEASURES, measure, "measure", default=0)
    available = np.asarray(s.available[:, m], dtype=bool)
    if step is None:
        carrying = np.flatnonzero(available)
        if not carrying.size:
            raise ValueError(f"no step of the result carries {measure!r}")
        j = int(carrying[-1])
    else:
        j = _label_position(s.steps, step, "step", default=0)
        if not available[j]:
            raise ValueError(f"step {step!r} carries no {measure!r} in either report")
    r = _report_position(s.reports, report_index, "report_index")
    cell = (r, slice(None), j, m)
    colors = recipe_colors(s.recipes, s.control)
    title = f"{_segment_label(s.reports[r])}: {s.steps[j]} ({measure})"
    flipped = np.asarray(s.flipped[cell], dtype=bool)

    if ax is None:
        fig, (mean_ax, lift_ax) = _panels(None, 2, size=(4.8, 4.2))
        flips = int(flipped.sum())
        fig.suptitle(f"{title}: with and without extreme orders, {flips} verdict(s) flip")
        _draw_means(mean_ax, s, cell, measure)
    else:
        fig, (lift_ax,) = _panels(ax, 1)

    c = s.recipes.index(s.control)
    treated = [k for k in range(len(s.recipes)) if k != c]
    lift_with, lift_without = s.lift_with[cell], s.lift_without[cell]
    err_with = _yerr(lift_with, s.lift_low_with[cell], s.lift_high_with[cell])
    err_without = _yerr(lift_without, s.lift_low_without[cell], s.lift_high_without[cell])
    for pos, k in enumerate(treated):
        if flipped[k]:
            lift_ax.axvspan(pos - 0.45, pos + 0.45, color=FLIP_COLOR, alpha=0.1, lw=0)
        for offset, values, err, hollow, which in (
            (-_SHIFT, lift_with, err_with, False, "with"),
            (_SHIFT, lift_without, err_without, True, "without"),
        ):
            lift_ax.errorbar(
                [pos + offset],
                values[k : k + 1],
                yerr=err[:, k : k + 1],
                fmt="o",
                color=colors[k],
                mfc="white" if hollow else colors[k],
                capsize=3,
                label=f"{s.recipes[k]}, {which}",
            )
    lift_ax.axhline(0.0, color="black", lw=0.8)
    lift_ax.set_xlim(-0.5, len(treated) - 0.5)
    ticks = [
        _wrap(s.recipes[k])
        + (
            f"\nflips: {s.verdict_with[cell][k]}\n→ {s.verdict_without[cell][k]}"
            if flipped[k]
            else ""
        )
        for k in treated
    ]
    lift_ax.set_xticks(range(len(treated)), ticks)
    for label, k in zip(lift_ax.get_xticklabels(), treated, strict=True):
        if flipped[k]:
            label.set_color(FLIP_COLOR)
    lift_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    lift_ax.set_title(f"lift over {s.control}" if ax is None else title)
    what = f"{1 - s.alpha:.0%} interval" if measure == "engagement" else "point estimate"
    lift_ax.set_ylabel(f"lift vs {s.control} ({what})")
    lift_ax.margins(y=0.1)
    lift_ax.legend(handles=_with_without_handles(), fontsize=8)
    return fig


def _draw_means(ax: Axes, s: Sensitivity, cell: tuple[int, slice, int, int], measure: str) -> None:
    where = np.arange(len(s.recipes), dtype=np.float64)
    mean_with, mean_without = s.mean_with[cell], s.mean_without[cell]
    for x, before, after in zip(where, mean_with, mean_without, strict=True):
        if np.isfinite(before) and np.isfinite(after):
            ax.annotate(
                "",
                xy=(x + _SHIFT, float(after)),
                xytext=(x - _SHIFT, float(before)),
                arrowprops={"arrowstyle": "->", "color": "0.55", "shrinkA": 4, "shrinkB": 4},
            )
    ax.plot(where - _SHIFT, mean_with, "o", color=CONTROL_COLOR, label="with extreme orders")
    ax.plot(
        where + _SHIFT,
        mean_without,
        "o",
        color=CONTROL_COLOR,
        mfc="white",
        label="extreme orders excluded",
    )
    _recipe_ticks(ax, s.recipes, s.control)
    ax.margins(y=0.1)
    ax.set_title("mean")
    ax.set_ylabel("mean per unit with a value" if measure == "engagement" else "revenue per entry")
    ax.legend(fontsize=8)


def _with_without_handles() -> list[Line2D]:
    return [
        Line2D([], [], marker="o", ls="none", color=CONTROL_COLOR, label="with extreme orders"),
        Line2D(
            [],
            [],
            marker="o",
            ls="none",
            color=CONTROL_COLOR,
            mfc="white",
            label="extreme orders excluded",
        ),
    ]


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
        if not found:
            segments = [info.segment for info in reports if info.segment is not None]
            raise UnknownLabelError(
                f"report={report!r} is not a segment; segments are {segments} (the aggregate "
                "is chosen by position)"
            )
        return found[:1]
    return [_report_position(reports, report, "report")]


def _segment_label(info: ReportInfo) -> str:
    return AGGREGATE_LABEL if info.segment is None else info.segment


def _wrap(name: str) -> str:
    return textwrap.fill(name, _LABEL_WIDTH, break_long_words=False) or name


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

"""The extreme-order sensitivity: each verdict with and without extreme orders."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from ...analysis._extreme_results import SENSITIVITY_MEASURES
from ._common import (
    _SHIFT,
    CONTROL_COLOR,
    FLIP_COLOR,
    _label_position,
    _panels,
    _recipe_ticks,
    _report_position,
    _segment_label,
    _wrap,
    _yerr,
    plain,
    recipe_colors,
)

if TYPE_CHECKING:
    from ...analysis.extreme import Sensitivity


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
        verdict) or its revenue per entry (with intervals where the step's engagement holds
        its order values, else point estimates).
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
    title = plain(f"{_segment_label(s.reports[r])}: {s.steps[j]} ({measure})")
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
                label=plain(f"{s.recipes[k]}, {which}"),
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
    lift_ax.set_title(plain(f"lift over {s.control}") if ax is None else title)
    has_interval = bool(np.isfinite(s.lift_low_with[cell]).any())
    what = f"{1 - s.alpha:.0%} interval" if has_interval else "point estimate"
    lift_ax.set_ylabel(plain(f"lift vs {s.control} ({what})"))
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

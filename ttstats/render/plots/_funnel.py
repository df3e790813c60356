"""The funnel: each step's rate of the entries, per recipe."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ...analysis import Comparison
from ...parse import Report
from ._common import (
    FloatArray,
    _exceeds_entries,
    _panels,
    _report_position,
    _segment_label,
    _sum_samples,
    _summed,
    _wrap,
    _yerr,
    plain,
    recipe_colors,
)


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
        The comparison keeps the sample axis or has another entry step or control; no recipe
        (only the summary recipe) or no step is left to draw.

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
    if not recipes:
        raise ValueError(
            "no recipe to draw: the report holds only its summary recipe "
            f"({getattr(report_or_comparison, 'campaign_recipe', 'Campaign')!r})"
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
            label=plain(name),
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
    panel.set_ylabel(plain(f"share of {entry_name} reaching the step"))
    panel.set_title(plain(f"{_segment_label(info)}: funnel"))
    if skipped:
        panel.set_xlabel(
            plain(f"not shown (count exceeds entries, not a funnel stage): {', '.join(skipped)}"),
            fontsize=8,
        )
    panel.legend(fontsize=8, loc="upper right")
    return fig

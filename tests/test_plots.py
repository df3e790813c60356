"""Plots (ttstats.render.plots): the artists drawn, and the numbers they carry.

Every plotted number is read back from the artists (``Line2D`` data, error-bar segments, bar
heights, fill_between vertices) and checked against where it comes from:

* the rates, intervals and lifts of :func:`ttstats.compare` on the same report; for the
  bundled example, also the rounded numbers printed in README.md ("Five lines" table);
* the cumulative lift against :func:`ttstats.compare` on the report cut after each sample,
  and its band against the delta (Katz log) interval written out here with ``scipy.stats``;
* v2-small.xml's counts summed by hand (as in test_compare.py: aggregate Experience A Entry
  193 + 189 = 382, Display mboxes 349; Experience B 392 and 352);
* the sequential view against :func:`ttstats.stats.always_valid_pvalue` and
  :func:`~ttstats.stats.confidence_sequence` on running sums taken here with ``np.cumsum``,
  and the pooled z test of those sums written out here with ``scipy.stats``;
* the extreme-order results of :func:`ttstats.analysis.extreme.extreme_order_sensitivity`.

Each figure is also drawn (``draw_without_rendering``: layout and text), so that drawing
itself runs under ``filterwarnings = "error"``.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
from matplotlib import colors as mcolors
from matplotlib import dates as mdates
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy import stats as sps

import ttstats
from ttstats.cli import example_report_path
from ttstats.parse import SampleAxis
from ttstats.render import plots
from ttstats.render.plots import (
    figure_to_data_uri,
    figure_to_png_bytes,
    plot_cumulative_lift,
    plot_funnel,
    plot_rates,
    plot_sensitivity,
    plot_sequential,
)

from .conftest import sample
from .test_architecture import imports_of

matplotlib.use("Agg")

ORDER = "Order Confirmation"
EXAMPLE_STEPS = ("Display mboxes", "Page Count", "Time on Site", "Add to Cart", ORDER)
EXAMPLE_RECIPES = ("Control", "Free shipping banner", "Bigger buy button")
SEGMENTS = ("New visitors", "Returning visitors", "All visitors")

# Three days, the second omitted by the API (zeros), one step counting page views (more
# than the entries: a per-entry rate, no funnel stage).
PER_ENTRY_XML = """<reports><report campaignId="1" start="2024-03-01" end="2024-03-04"
  resolution="day" type="visit">
<sample start="2024-03-01T00:00" duration="day">
<recipe name="A"><step name="Entry">2000</step><step name="Page views">5000</step>
  <step name="Order">100</step></recipe>
<recipe name="B"><step name="Entry">2000</step><step name="Page views">5200</step>
  <step name="Order">140</step></recipe>
</sample>
<sample start="2024-03-03T00:00" duration="day">
<recipe name="A"><step name="Entry">1000</step><step name="Page views">2400</step>
  <step name="Order">50</step></recipe>
<recipe name="B"><step name="Entry">1000</step><step name="Page views">2500</step>
  <step name="Order">80</step></recipe>
</sample></report></reports>"""


# ------------------------------------------------------------------------------------------
# Fixtures and readers of artists
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def example() -> ttstats.Report:
    return ttstats.read_report(example_report_path())


@pytest.fixture(scope="module")
def example_cmp(example: ttstats.Report) -> ttstats.Comparison:
    return ttstats.compare(example, "Control")


@pytest.fixture(scope="module")
def small() -> ttstats.Report:
    return ttstats.read_report(sample("v2-small.xml"))


@pytest.fixture(scope="module")
def small_cmp(small: ttstats.Report) -> ttstats.Comparison:
    # v2-small is a "visitor" report: summing its two days says so, and that is expected
    with pytest.warns(ttstats.AggregationWarning, match="visitor"):
        return ttstats.compare(small, "Experience A")


def rendered(fig: Figure) -> Figure:
    """Draw the figure (layout and text, no pixels), so that drawing runs under
    filterwarnings=error; test_png_bytes_and_data_uri renders pixels."""
    fig.draw_without_rendering()
    return fig


def errorbars(ax: Any) -> list[ErrorbarContainer]:
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def point(container: ErrorbarContainer) -> tuple[float, float]:
    """(x, y) of the single marker of an error bar."""
    line = container.lines[0]
    assert line is not None
    return float(np.asarray(line.get_xdata())[0]), float(np.asarray(line.get_ydata())[0])


def bar_span(container: ErrorbarContainer) -> tuple[float, float]:
    """(low, high) of the single vertical bar of an error bar (NaN, NaN when none is drawn)."""
    segments = container.lines[2][0].get_segments()
    assert len(segments) == 1
    ends = np.asarray(segments[0])
    if not ends.size:  # a NaN interval: matplotlib keeps an empty segment
        return float("nan"), float("nan")
    return float(ends[:, 1].min()), float(ends[:, 1].max())


def ticks(ax: Any) -> list[str]:
    """Tick labels with the wrapping undone."""
    return [" ".join(t.get_text().split()) for t in ax.get_xticklabels()]


def line(ax: Any, label: str) -> Line2D:
    (found,) = [x for x in ax.get_lines() if x.get_label() == label]
    return found


def first_samples(report: ttstats.Report, k: int) -> ttstats.Report:
    """The report cut after its first ``k`` samples."""
    cut = slice(0, k)
    return dataclasses.replace(
        report,
        samples=SampleAxis(report.samples.start[cut], report.samples.duration[cut]),
        cells=report.cells.map(lambda a: a[:, cut]),
        campaign=report.campaign.map(lambda a: a[:, cut]),
        present=report.present[:, cut],
        in_grid=report.in_grid[:, cut],
    )


# ------------------------------------------------------------------------------------------
# plot_rates
# ------------------------------------------------------------------------------------------
def test_rates_one_panel_per_report_with_the_comparisons_numbers(
    example_cmp: ttstats.Comparison,
) -> None:
    fig = rendered(plot_rates(example_cmp))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    assert sum(len(errorbars(ax)) for ax in fig.axes) == 3 * 3  # recipes x panels
    j = example_cmp.steps.index(ORDER)  # the default: the last step
    for r, (ax, segment) in enumerate(zip(fig.axes, SEGMENTS, strict=True)):
        assert ax.get_title() == f"{segment}: {ORDER}"
        assert ticks(ax) == list(EXAMPLE_RECIPES)
        for k, bar in enumerate(errorbars(ax)):
            assert bar.get_label() == EXAMPLE_RECIPES[k]
            assert point(bar) == (k, example_cmp.rate[r, k, j])
            assert bar_span(bar) == pytest.approx(
                (example_cmp.rate_low[r, k, j], example_cmp.rate_high[r, k, j]), rel=1e-12
            )
        marker = [b.lines[0].get_marker() for b in errorbars(ax)]  # type: ignore[union-attr]
        assert marker == ["s", "o", "o"]  # the control stands out
        notes = sorted(t.get_text() for t in ax.texts)
        lift = example_cmp.lift[r, 1:, j]
        stars = [" *" if s else "" for s in example_cmp.significant[r, 1:, j]]
        assert notes == sorted(f"{v:+.1%}{s}" for v, s in zip(lift, stars, strict=True))
        # the control's dashed line at its rate
        dashed = [x for x in ax.get_lines() if x.get_linestyle() == "--"]
        assert np.asarray(dashed[0].get_ydata()) == pytest.approx([example_cmp.rate[r, 0, j]] * 2)
    # README.md ("Five lines" table): New visitors, Free shipping banner: rate 0.0484,
    # lift +23.83%, significant; Bigger buy button: rate 0.0402, lift +2.82%, not significant
    ax = fig.axes[0]
    assert point(errorbars(ax)[1])[1] == pytest.approx(0.0484, abs=5e-5)
    assert point(errorbars(ax)[2])[1] == pytest.approx(0.0402, abs=5e-5)
    assert {"+23.8% *", "+2.8%"} == {t.get_text() for t in ax.texts}
    assert "95% wilson interval" in fig.axes[0].get_ylabel()


def test_rates_of_one_named_segment_and_step_on_v2_small(
    small_cmp: ttstats.Comparison,
) -> None:
    fig = rendered(plot_rates(small_cmp, step="Display mboxes", report="Segment 2"))
    (ax,) = fig.axes
    assert ax.get_title() == "Segment 2: Display mboxes"
    assert len(errorbars(ax)) == 2
    j = small_cmp.steps.index("Display mboxes")
    for k, bar in enumerate(errorbars(ax)):
        assert point(bar)[1] == small_cmp.rate[1, k, j]
    # the aggregate, by position: Display mboxes / Entry summed by hand (see module docstring)
    agg = plot_rates(small_cmp, step="Display mboxes", report=-1).axes[0]
    assert agg.get_title() == "All visitors: Display mboxes"
    assert [point(b)[1] for b in errorbars(agg)] == pytest.approx([349 / 382, 352 / 392])


def test_rates_into_a_given_axes_and_a_subfigure(example_cmp: ttstats.Comparison) -> None:
    host = Figure()
    left, right = host.subplots(1, 2)
    assert plot_rates(example_cmp, report=0, ax=right) is host
    assert len(errorbars(right)) == 3 and not errorbars(left)
    sub = Figure().subfigures(1, 2)[1]
    inner = sub.subplots()
    root = plot_rates(example_cmp, report="Returning visitors", ax=inner)
    assert isinstance(root, Figure) and inner in root.get_axes() + sub.get_axes()
    rendered(host)


def test_rates_per_entry_step_has_markers_without_bars() -> None:
    report = ttstats.read_report(PER_ENTRY_XML)
    comp = ttstats.compare(report, "A")
    fig = rendered(plot_rates(comp, step="Page views"))
    (ax,) = fig.axes
    assert [point(b)[1] for b in errorbars(ax)] == [7400 / 3000, 7700 / 3000]
    assert all(np.isnan(bar_span(b)).all() for b in errorbars(ax))
    assert "per-entry rate" in ax.get_ylabel()


def test_rates_of_the_aggregate_by_its_readout_name(example_cmp: ttstats.Comparison) -> None:
    aggregate = [i for i, info in enumerate(example_cmp.reports) if info.segment is None]
    assert aggregate == [2]  # T&T writes the aggregate last
    by_position = rendered(plot_rates(example_cmp, report=2))
    for name in ("All visitors", "aggregate", " ALL VISITORS "):
        fig = rendered(plot_rates(example_cmp, report=name))
        assert len(fig.axes) == 1
        assert fig.axes[0].get_title() == by_position.axes[0].get_title()
        assert point(errorbars(fig.axes[0])[1]) == point(errorbars(by_position.axes[0])[1])


def test_rates_refuse_what_they_cannot_draw(
    example: ttstats.Report, example_cmp: ttstats.Comparison
) -> None:
    with pytest.raises(ttstats.UnknownLabelError, match="Add to Cart"):
        plot_rates(example_cmp, step="Nope")
    with pytest.raises(ttstats.UnknownLabelError, match="New visitors"):
        plot_rates(example_cmp, report="Nobody")
    with pytest.raises(IndexError, match="3 report"):
        plot_rates(example_cmp, report=3)
    with pytest.raises(ValueError, match="pass report="):
        plot_rates(example_cmp, ax=Figure().subplots())
    with pytest.raises(ValueError, match="by_sample=False"):
        plot_rates(ttstats.compare(example, "Control", by_sample=True))


# ------------------------------------------------------------------------------------------
# plot_cumulative_lift
# ------------------------------------------------------------------------------------------
def test_cumulative_lift_bands_dates_and_values(
    example: ttstats.Report, example_cmp: ttstats.Comparison
) -> None:
    fig = rendered(plot_cumulative_lift(example, "Control"))
    (ax,) = fig.axes
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # one per treatment
    assert ORDER in ax.get_title() and "All visitors" in ax.get_title()
    assert "95% delta interval" in ax.get_ylabel()
    zero = [x for x in ax.get_lines() if list(np.asarray(x.get_ydata())) == [0, 0]]
    assert len(zero) == 1
    # dates: one point per sample, at its start; the axis spans them
    starts = example.samples.start
    assert len(starts) == 28
    lines = {name: line(ax, name) for name in EXAMPLE_RECIPES[1:]}
    for drawn in lines.values():
        assert np.array_equal(np.asarray(drawn.get_xdata()), starts)
    lo, hi = ax.get_xlim()
    first, last = mdates.date2num(starts[[0, -1]])
    assert lo <= first and hi >= last
    # the last point is the whole period: compare() on the aggregate, Order Confirmation
    j = example_cmp.steps.index(ORDER)
    for k, name in enumerate(EXAMPLE_RECIPES[1:], start=1):
        y = np.asarray(lines[name].get_ydata())
        assert y[-1] == pytest.approx(example_cmp.lift[-1, k, j], rel=1e-12)
        # and after 1 and 7 samples: compare() on the report cut there
        for n in (1, 7):
            cut = ttstats.compare(first_samples(example, n), "Control", steps=[ORDER])
            assert y[n - 1] == pytest.approx(cut.lift[-1, k, 0], rel=1e-12)


def test_cumulative_lift_band_is_the_delta_interval(example: ttstats.Report) -> None:
    fig = plot_cumulative_lift(example, "Control", report_index=0, alpha=0.1)
    (ax,) = fig.axes
    assert ax.get_title().startswith("New visitors:")
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    # Katz et al. (1978): exp(log R +- z sqrt((1-p_t)/x_t + (1-p_c)/x_c)) - 1, on running sums
    counts = np.cumsum(example.count[0], axis=0)
    x, n = counts[..., example.step_index(ORDER)], counts[..., example.step_index("Entry")]
    p = x / n
    z = sps.norm.ppf(0.95)
    for band, k in zip(bands, (1, 2), strict=True):
        se = np.sqrt((1 - p[:, k]) / x[:, k] + (1 - p[:, 0]) / x[:, 0])
        low = np.expm1(np.log(p[:, k] / p[:, 0]) - z * se)
        high = np.expm1(np.log(p[:, k] / p[:, 0]) + z * se)
        ys = band.get_paths()[0].vertices[:, 1]
        for v in (*low, *high):
            assert np.isclose(ys, v, rtol=1e-12).any()
        assert ys.min() == pytest.approx(low.min()) and ys.max() == pytest.approx(high.max())


def test_cumulative_lift_omitted_samples_add_nothing() -> None:
    report = ttstats.read_report(PER_ENTRY_XML)
    (ax,) = rendered(plot_cumulative_lift(report, "A", metric="Order")).axes
    drawn = line(ax, "B")
    assert len(np.asarray(drawn.get_xdata())) == 3  # 2024-03-02 omitted: zeros, kept
    y = np.asarray(drawn.get_ydata())
    assert y == pytest.approx([140 / 100 - 1, 140 / 100 - 1, 220 / 150 - 1])


def test_cumulative_lift_on_v2_small(small: ttstats.Report) -> None:
    with pytest.warns(ttstats.AggregationWarning, match="running totals of a 'visitor'"):
        fig = rendered(plot_cumulative_lift(small, "Experience A", report_index=1))
    (ax,) = fig.axes
    assert "Segment 2" in ax.get_title() and ORDER in ax.get_title()
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 1
    drawn = line(ax, "Experience B")
    assert np.array_equal(np.asarray(drawn.get_xdata()), small.samples.start)


def test_cumulative_lift_arguments(example: ttstats.Report) -> None:
    with pytest.raises(ttstats.UnknownLabelError, match="Control"):
        plot_cumulative_lift(example, "Nobody")
    with pytest.raises(ttstats.UnknownLabelError, match="Add to Cart"):
        plot_cumulative_lift(example, "Control", metric="Nope")
    with pytest.raises(ValueError, match="entry"):
        plot_cumulative_lift(example, "Control", metric="Entry")
    with pytest.raises(ValueError, match="method"):
        plot_cumulative_lift(example, "Control", method="nope")  # type: ignore[arg-type]
    with pytest.raises(IndexError, match="report_index=-4"):
        plot_cumulative_lift(example, "Control", report_index=-4)


# ------------------------------------------------------------------------------------------
# plot_sequential
# ------------------------------------------------------------------------------------------
def test_sequential_p_values_and_confidence_sequence(
    example: ttstats.Report, example_cmp: ttstats.Comparison
) -> None:
    fig = rendered(plot_sequential(example, "Control", alpha=0.1))
    left, right = fig.axes
    assert left.get_yscale() == "log"
    assert "All visitors" in left.get_title() and ORDER in left.get_title()
    assert "90% confidence sequence" in right.get_ylabel()
    alpha_line = [x for x in left.get_lines() if list(np.asarray(x.get_ydata())) == [0.1, 0.1]]
    assert len(alpha_line) == 1
    counts = np.cumsum(example.count[-1], axis=0)  # (sample, recipe, step), running sums
    x, n = counts[..., example.step_index(ORDER)], counts[..., example.step_index("Entry")]
    bands = [c for c in right.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    j = example_cmp.steps.index(ORDER)
    for band, k, name in zip(bands, (1, 2), EXAMPLE_RECIPES[1:], strict=True):
        valid = np.asarray(line(left, f"{name}: always-valid").get_ydata())
        fixed = np.asarray(line(left, f"{name}: fixed-horizon").get_ydata())
        assert np.array_equal(
            np.asarray(line(left, f"{name}: fixed-horizon").get_xdata()), example.samples.start
        )
        # the pooled z test of the running sums, written out (two-sided)
        pooled = (x[:, k] + x[:, 0]) / (n[:, k] + n[:, 0])
        se = np.sqrt(pooled * (1 - pooled) * (1 / n[:, k] + 1 / n[:, 0]))
        z = (x[:, k] / n[:, k] - x[:, 0] / n[:, 0]) / se
        assert fixed == pytest.approx(2 * sps.norm.sf(np.abs(z)), rel=1e-9)
        assert fixed[-1] == pytest.approx(example_cmp.p_value[-1, k, j], rel=1e-9)
        args = (x[:, k], n[:, k], x[:, 0], n[:, 0])
        assert valid == pytest.approx(ttstats.stats.always_valid_pvalue(*args, axis=0).pvalue)
        assert np.all(np.diff(valid) <= 0)  # never rises
        diff = np.asarray(line(right, name).get_ydata())
        assert diff == pytest.approx(x[:, k] / n[:, k] - x[:, 0] / n[:, 0], rel=1e-12)
        cs = ttstats.stats.confidence_sequence(*args, alpha=0.1, axis=0)
        ys = band.get_paths()[0].vertices[:, 1]
        for v in (*cs.low, *cs.high):
            assert np.isclose(ys, v, rtol=1e-12).any()


def test_sequential_into_given_axes_and_arguments(small: ttstats.Report) -> None:
    host = Figure()
    left, right = host.subplots(1, 2)
    with pytest.warns(ttstats.AggregationWarning, match="visitor"):  # v2-small: visitors
        drawn = plot_sequential(small, "Experience A", report_index=0, ax=(left, right))
    assert drawn is host
    assert left.get_title().startswith("Segment 1:")
    assert {x.get_label() for x in left.get_lines()} >= {
        "Experience B: fixed-horizon",
        "Experience B: always-valid",
    }
    rendered(host)
    with pytest.raises(ttstats.UnknownLabelError, match="Experience A"):
        plot_sequential(small, "Nobody")
    with pytest.raises(ValueError, match="entry"):
        plot_sequential(small, "Experience A", metric="Entry")
    with pytest.raises(ValueError, match="two Axes"), pytest.warns(ttstats.AggregationWarning):
        plot_sequential(small, "Experience A", ax=(left,))


# ------------------------------------------------------------------------------------------
# plot_funnel
# ------------------------------------------------------------------------------------------
def bars(ax: Any) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def heights(container: BarContainer) -> list[float]:
    return [float(p.get_height()) for p in container.patches]


def test_funnel_of_a_comparison_and_of_its_report_agree(
    example: ttstats.Report, example_cmp: ttstats.Comparison
) -> None:
    for source in (example_cmp, example):
        (ax,) = rendered(plot_funnel(source, control="Control")).axes
        assert ax.get_title() == "All visitors: funnel"
        assert ticks(ax) == list(EXAMPLE_STEPS)
        assert [b.get_label() for b in bars(ax)] == list(EXAMPLE_RECIPES)
        for k, container in enumerate(bars(ax)):
            assert heights(container) == pytest.approx(example_cmp.rate[-1, k], rel=1e-12)
        control_face = bars(ax)[0].patches[0].get_facecolor()
        assert control_face == mcolors.to_rgba(plots.CONTROL_COLOR)
    # the comparison's bars carry its intervals
    (ax,) = plot_funnel(example_cmp, report_index=0).axes
    assert ax.get_title() == "New visitors: funnel"
    assert len(errorbars(ax)) == 3
    tops = errorbars(ax)[1].lines[2][0].get_segments()
    assert [float(np.max(np.asarray(s)[:, 1])) for s in tops] == pytest.approx(
        example_cmp.rate_high[0, 1]
    )


def test_funnel_of_v2_small_by_hand(small: ttstats.Report) -> None:
    (ax,) = rendered(plot_funnel(small)).axes
    a, b = bars(ax)
    # aggregate, summed by hand: Display mboxes 349/382 and 352/392; Page Count and Time on
    # Site are reported for every entry (count = Entry); orders 13/382 and 41/392
    assert heights(a) == pytest.approx([349 / 382, 1.0, 1.0, 13 / 382])
    assert heights(b) == pytest.approx([352 / 392, 1.0, 1.0, 41 / 392])


def test_funnel_leaves_out_per_entry_steps() -> None:
    report = ttstats.read_report(PER_ENTRY_XML)
    for source in (report, ttstats.compare(report, "A")):
        (ax,) = rendered(plot_funnel(source)).axes
        assert ticks(ax) == ["Order"]
        a, b = bars(ax)
        assert heights(a) == pytest.approx([150 / 3000]) and heights(b) == pytest.approx(
            [220 / 3000]
        )
        assert "Page views" in ax.get_xlabel() and "exceeds entries" in ax.get_xlabel()


def test_funnel_arguments(example: ttstats.Report, example_cmp: ttstats.Comparison) -> None:
    with pytest.raises(TypeError, match="Report or a Comparison"):
        plot_funnel("report.xml")  # type: ignore[arg-type]
    with pytest.raises(ttstats.UnknownLabelError, match="Entry"):
        plot_funnel(example, entry="Nope")
    with pytest.raises(ValueError, match="entry is 'Entry'"):
        plot_funnel(example_cmp, entry="Display mboxes")
    with pytest.raises(ValueError, match="control is 'Control'"):
        plot_funnel(example_cmp, control="Bigger buy button")
    with pytest.raises(ttstats.UnknownLabelError, match="Bigger buy button"):
        plot_funnel(example, control="Nobody")
    host = Figure()
    assert plot_funnel(example, ax=host.subplots()) is host


# ------------------------------------------------------------------------------------------
# plot_sensitivity
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def planted() -> Any:
    extreme = pytest.importorskip("ttstats.analysis.extreme")
    from ttstats.simulate import ExperimentSpec, LogNormal, with_and_without_extremes

    # as in test_extreme.py: equal true order values, 8 whale orders planted in B
    spec = ExperimentSpec(
        n_samples=7,
        seed=3,
        traffic=400.0,
        revenue=LogNormal(3.5, 0.6),
        steps=("Entry", "Page Count", ORDER),
        rates=[1.0, 0.9, 0.08],
    )
    with_xml, without_xml = with_and_without_extremes(spec, planted={"Experience B": [4000.0] * 8})
    return extreme.extreme_order_sensitivity(
        ttstats.read_report(with_xml), ttstats.read_report(without_xml), control="Experience A"
    )


def test_sensitivity_shows_means_lifts_and_the_flip(planted: Any) -> None:
    fig = rendered(plot_sensitivity(planted))
    mean_ax, lift_ax = fig.axes
    assert ORDER in fig.get_suptitle() and "All visitors" in fig.get_suptitle()
    assert "engagement" in fig.get_suptitle()
    cell = (-1, slice(None), planted.steps.index(ORDER), 0)
    assert np.asarray(line(mean_ax, "with extreme orders").get_ydata()) == pytest.approx(
        planted.mean_with[cell]
    )
    assert np.asarray(line(mean_ax, "extreme orders excluded").get_ydata()) == pytest.approx(
        planted.mean_without[cell]
    )
    assert ticks(mean_ax) == ["Experience A", "Experience B"]
    with_bar, without_bar = errorbars(lift_ax)  # 2 per treatment, one treatment
    assert with_bar.get_label() == "Experience B, with"
    assert point(with_bar)[1] == planted.lift_with[cell][1]
    assert point(without_bar)[1] == planted.lift_without[cell][1]
    assert bar_span(with_bar) == pytest.approx(
        (planted.lift_low_with[cell][1], planted.lift_high_with[cell][1])
    )
    assert bar_span(without_bar) == pytest.approx(
        (planted.lift_low_without[cell][1], planted.lift_high_without[cell][1])
    )
    # the aggregate's verdict flips (test_extreme.py: "higher" with the whales, "not
    # significant" without): the tick says so, in red, over a red band
    assert planted.flipped[cell][1]
    (label,) = lift_ax.get_xticklabels()
    assert " ".join(label.get_text().split()) == ("Experience B flips: higher → not significant")
    assert label.get_color() == plots.FLIP_COLOR
    assert len(lift_ax.patches) == 1


def test_sensitivity_without_flip_and_revenue_points(planted: Any) -> None:
    (ax,) = rendered(plot_sensitivity(planted, report_index=0, ax=Figure().subplots())).axes
    assert "Segment 1" in ax.get_title()
    assert not planted.flipped[0, 1, planted.steps.index(ORDER), 0]
    assert ticks(ax) == ["Experience B"] and not ax.patches
    # revenue per entry of the order step: its engagement holds the order values, so intervals
    fig = rendered(plot_sensitivity(planted, measure="revenue"))
    lift_ax = fig.axes[1]
    assert "95% interval" in lift_ax.get_ylabel()
    cell = (-1, 1, planted.steps.index(ORDER), 1)
    assert point(errorbars(lift_ax)[0])[1] == pytest.approx(planted.lift_with[cell])
    low, high = planted.lift_low_with[cell], planted.lift_high_with[cell]
    assert bar_span(errorbars(lift_ax)[0]) == pytest.approx((low, high))
    # revenue on the entry step: a total without order values, a point estimate
    fig = rendered(plot_sensitivity(planted, step="Entry", measure="revenue"))
    lift_ax = fig.axes[1]
    assert "point estimate" in lift_ax.get_ylabel()
    assert np.isnan(bar_span(errorbars(lift_ax)[0])).all()


def test_sensitivity_of_v2_small_against_itself(small: ttstats.Report) -> None:
    extreme = pytest.importorskip("ttstats.analysis.extreme")
    same = extreme.extreme_order_sensitivity(small, small, control="Experience A")
    fig = rendered(plot_sensitivity(same, step="Time on Site"))
    mean_ax, _ = fig.axes
    with_y = np.asarray(line(mean_ax, "with extreme orders").get_ydata())
    without_y = np.asarray(line(mean_ax, "extreme orders excluded").get_ydata())
    assert np.array_equal(with_y, without_y)
    assert "0 verdict(s) flip" in fig.get_suptitle()
    with pytest.raises(ttstats.UnknownLabelError, match="engagement"):
        plot_sensitivity(same, measure="orders")
    with pytest.raises(ttstats.UnknownLabelError, match="Page Count"):
        plot_sensitivity(same, step="Nope")


# ------------------------------------------------------------------------------------------
# Export, global state, optional dependency, layers
# ------------------------------------------------------------------------------------------
def test_png_bytes_and_data_uri(example_cmp: ttstats.Comparison) -> None:
    fig = plot_rates(example_cmp, report=-1)
    png = figure_to_png_bytes(fig, dpi=50)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    w_in, h_in = fig.get_size_inches()
    assert (width, height) == (round(w_in * 50), round(h_in * 50))
    uri = figure_to_data_uri(fig, dpi=50)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == png


def test_no_pyplot_state(
    example: ttstats.Report, example_cmp: ttstats.Comparison, small: ttstats.Report
) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_rates(example_cmp)
    plot_cumulative_lift(example, "Control")
    plot_funnel(example)
    plot_sequential(example, "Control")
    assert plt.get_fignums() == before == []
    trees = [ast.parse(path.read_text()) for path in Path(plots.__file__).parent.glob("*.py")]
    names = {
        alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not any("pyplot" in name for name in names)
    calls = {
        node.func.attr
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert "show" not in calls


def test_without_matplotlib_the_core_works_and_plots_say_how_to_install() -> None:
    code = """
        import sys
        import ttstats, ttstats.render
        from ttstats.cli import example_report_path
        ttstats.compare(ttstats.read_report(example_report_path()), "Control")
        assert "matplotlib" not in sys.modules, "the core imported matplotlib"
        sys.modules["matplotlib"] = None  # as if it were not installed
        try:
            import ttstats.render.plots
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit("imported without matplotlib")
        """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert 'pip install "ttstats[plot]"' in done.stdout


def test_render_never_imports_cli() -> None:
    root = Path(plots.__file__).parent
    for path in root.glob("*.py"):
        module = "ttstats.render" + ("" if path.stem == "__init__" else f".{path.stem}")
        found = imports_of(path, module)
        assert not any(m == "ttstats.cli" or m.startswith("ttstats.cli.") for m in found), path


def test_recipe_colours_are_stable() -> None:
    colours = plots.recipe_colors(["B", "Control", "C"], "Control")
    assert colours == [plots.RECIPE_COLORS[0], plots.CONTROL_COLOR, plots.RECIPE_COLORS[1]]
    assert plots.recipe_colors([], None) == []


# ------------------------------------------------------------------------------------------
# names that matplotlib would read as mathematics
# ------------------------------------------------------------------------------------------
DOLLAR_RECIPES = ("Save $5 or $10", "Only $")
DOLLAR_SEGMENTS = ("Spent > $100", "$x$")


def test_dollar_signs_in_names_are_drawn_as_written() -> None:
    """A recipe, segment or step with ``$`` in it is shown literally: matplotlib would
    typeset the text between two ``$`` as mathematics, or fail to draw ``$x^$``."""
    from ttstats.analysis import build_readout
    from ttstats.render.html import render_html
    from ttstats.simulate import ExperimentSpec, LogNormal, with_and_without_extremes

    spec = ExperimentSpec(
        n_samples=5,
        seed=4,
        traffic=300.0,
        recipes=DOLLAR_RECIPES,
        segments=DOLLAR_SEGMENTS,
        steps=("Entry", "Cart $^", "Order Confirmation"),
        revenue=LogNormal(3.5, 0.6),
        rates=[1.0, 0.5, 0.1],
        type="visit",
    )
    with_xml, without_xml = with_and_without_extremes(spec, planted={"Only $": [5000.0] * 4})
    report = ttstats.read_report(with_xml)
    assert report.recipes == DOLLAR_RECIPES
    readout = build_readout(report, without_extremes=ttstats.read_report(without_xml))
    page = render_html(readout)  # draws every plot of every report to PNG
    assert page.count("data:image/png;base64,") == 3 * 5
    # the labels, as drawn, are the names: as wide as the same text never read as mathematics
    cmp = ttstats.compare(report, DOLLAR_RECIPES[0])
    fig = rendered(plot_rates(cmp, report=DOLLAR_SEGMENTS[1]))
    ax = fig.axes[0]
    legend = ax.get_legend()
    texts = [*ax.get_xticklabels(), ax.title, *(legend.get_texts() if legend else [])]
    names = [" ".join(t.get_text().replace("\\$", "$").split()) for t in ax.get_xticklabels()]
    assert names == list(DOLLAR_RECIPES)
    assert ax.title.get_text().replace("\\$", "$") == "$x$: Order Confirmation"
    for t in texts:
        line = t.get_text().split("\n")[0]
        font = t.get_fontproperties()
        drawn = fig.text(0, 0, line, fontproperties=font)
        literal = fig.text(0, 0, line.replace("\\$", "$"), fontproperties=font, parse_math=False)
        width = literal.get_window_extent().width
        assert drawn.get_window_extent().width == pytest.approx(width, rel=1e-9), line


def test_funnel_of_a_report_with_only_its_summary_recipe() -> None:
    xml = (
        '<reports><report campaignId="1" resolution="day" type="visit">'
        '<sample start="2009-08-01T00:00" duration="day"><recipe name="Campaign">'
        '<step name="Entry"><amount>100</amount></step><step name="Buy"><amount>10</amount>'
        "</step></recipe></sample></report></reports>"
    )
    report = ttstats.read_report(xml)
    assert report.recipes == ()
    with pytest.raises(ValueError, match="no recipe to draw: the report holds only its summary"):
        plot_funnel(report)

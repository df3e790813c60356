"""``ttstats.compare_means``: engagement and revenue means of every recipe against the control.

Expected numbers come from outside ttstats' moment arithmetic: the per-unit values behind a
simulated report (``simulate(spec, keep_units=True)``) fed to numpy (``mean``,
``var(ddof=1)``), scipy (``ttest_ind(equal_var=False)`` with its ``df`` and
``confidence_interval``, ``t.interval``) and statsmodels (``multipletests``); the published
samples' numbers read off the files by hand (line numbers cited) and fed to
``scipy.stats.ttest_ind_from_stats``; the delta-method lift interval written out from the
raw values (Kohavi, Tang and Xu 2020, ch. 18).
"""

from __future__ import annotations

import dataclasses
import io
import math
import warnings
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

import ttstats
from ttstats.analysis import MeansComparison, UnknownLabelError, compare_means
from ttstats.simulate import ExperimentSpec, LogNormal, Poisson, SimulatedExperiment, simulate
from ttstats.simulate import write_xml as write_sim

from .conftest import read_quietly, sample

FIRST_COLUMNS = [
    "report",
    "segment",
    "recipe",
    "step",
    "units",
    "mean",
    "std",
    "mean_low",
    "mean_high",
    "diff",
    "diff_low",
    "diff_high",
    "lift",
    "lift_low",
    "lift_high",
    "p_value",
    "p_adjusted",
    "significant",
    "reliable",
    "note",
]
EXTRAS = ["type", "segment_id", "sample_start", "duration", "is_control", "metric", "per"]
EXTRAS += ["source", "statistic", "df"]
REVENUE_NOTE = "revenue without a sum of squares: a point estimate, no interval or test is possible"
UNRESOLVED = "variance not resolvable from the reported sums"

STEPS = ("Entry", "Display", "Page Count", "Time on Site", "Order Confirmation")
RECIPES = ("Control", "Wider", "Same")
PAGE, TIME, ORDER = 2, 3, 4  # step indices in the simulation
AGG = 2  # the aggregate report (after two segments)


def _spec(*, order_engagement: bool, seed: int = 11) -> ExperimentSpec:
    return ExperimentSpec(
        n_samples=2,
        segments=("S1", "S2"),
        type="visit",
        recipes=RECIPES,
        steps=STEPS,
        traffic=150.0,
        rates=[1.0, 0.9, 0.85, 0.8, 0.2],
        engagement={
            "Page Count": Poisson([3.0, 3.4, 3.0]),
            "Time on Site": LogNormal([4.6, 4.8, 4.6], 0.9),
        },
        revenue=LogNormal(3.5, 0.7),
        order_engagement=order_engagement,
        seed=seed,
    )


def _read(sim: SimulatedExperiment, version: int = 2) -> ttstats.Report:
    buf = io.BytesIO()
    write_sim(sim, buf, version=version)
    return ttstats.read_report(buf.getvalue())


@pytest.fixture(scope="module")
def sim() -> SimulatedExperiment:
    return simulate(_spec(order_engagement=True), keep_units=True)


@pytest.fixture(scope="module")
def report(sim: SimulatedExperiment) -> ttstats.Report:
    return _read(sim)


def _values(
    sim: SimulatedExperiment, report: int, recipe: int, step: int, per: str, samples: Any = None
) -> np.ndarray[Any, Any]:
    """The per-unit values of one cell, straight from the simulation (zeros padded per entry).

    The aggregate report (index 2) is the union of the two segment reports.
    """
    units = sim.engagement_units
    assert units is not None
    reports = [0, 1] if report == AGG else [report]
    chosen = np.arange(len(sim.sample_start)) if samples is None else np.atleast_1d(samples)
    pick = (
        np.isin(units.report, reports)
        & np.isin(units.sample, chosen)
        & (units.recipe == recipe)
        & (units.step == step)
    )
    values = units.value[pick]
    if per == "engaged":
        return values
    entries = int(sim.count[report, chosen, recipe, 0].sum())
    assert entries >= values.size
    return np.concatenate([values, np.zeros(entries - values.size)])


def _check_cell(res: MeansComparison, cell: tuple[int, ...], x: Any, xc: Any) -> float:
    """Every field of one treatment cell against numpy/scipy on the raw values ``x``, ``xc``.

    Returns scipy's Welch p-value.
    """
    assert res.units[cell] == x.size
    assert res.mean[cell] == pytest.approx(np.mean(x), rel=1e-12)
    assert res.std[cell] == pytest.approx(np.sqrt(np.var(x, ddof=1)), rel=1e-9)
    low, high = sps.t.interval(0.95, x.size - 1, loc=np.mean(x), scale=sps.sem(x))
    assert (res.mean_low[cell], res.mean_high[cell]) == pytest.approx((low, high), rel=1e-9)
    welch = sps.ttest_ind(x, xc, equal_var=False)
    assert res.statistic[cell] == pytest.approx(welch.statistic, rel=1e-8)
    assert res.df[cell] == pytest.approx(welch.df, rel=1e-8)
    assert res.p_value[cell] == pytest.approx(welch.pvalue, rel=1e-7)
    ci = welch.confidence_interval(0.95)
    assert (res.diff_low[cell], res.diff_high[cell]) == pytest.approx((ci.low, ci.high), rel=1e-8)
    assert res.diff[cell] == pytest.approx(np.mean(x) - np.mean(xc), rel=1e-10)
    # Delta method on the log ratio: var(log mean) = s^2 / (n mean^2), normal quantile.
    mt, mc = np.mean(x), np.mean(xc)
    se = np.sqrt(np.var(x, ddof=1) / (x.size * mt**2) + np.var(xc, ddof=1) / (xc.size * mc**2))
    z = sps.norm.ppf(0.975)
    lift = (np.exp(np.log(mt / mc) - z * se) - 1, np.exp(np.log(mt / mc) + z * se) - 1)
    assert (res.lift_low[cell], res.lift_high[cell]) == pytest.approx(lift, rel=1e-8)
    assert res.lift[cell] == pytest.approx(mt / mc - 1, rel=1e-10)
    assert res.reliable[cell]
    assert res.note[cell] == ""
    return float(welch.pvalue)


# -- (1) engagement, per entry and per engaged unit, against the raw values -------------------
@pytest.mark.parametrize("per", ["entry", "engaged"])
def test_engagement_matches_scipy_on_the_units(
    sim: SimulatedExperiment, report: ttstats.Report, per: str
) -> None:
    res = compare_means(report, "Control", metric=["Page Count", "Time on Site"], per=per)
    assert res.shape == (3, 3, 2)
    assert res.steps == res.metrics == ("Page Count", "Time on Site")
    assert res.warnings == ()  # a 'visit' report: summing samples needs no caveat
    for r in range(3):
        pvals = []
        for k in (1, 2):
            for m, step in enumerate((PAGE, TIME)):
                x, xc = _values(sim, r, k, step, per), _values(sim, r, 0, step, per)
                pvals.append(_check_cell(res, (r, k, m), x, xc))
        # the family: every (recipe, metric) of one report, Holm as statsmodels does it
        _, holm, _, _ = multipletests(pvals, method="holm")
        assert res.p_adjusted[r, 1:, :].ravel() == pytest.approx(holm, rel=1e-7)
        assert (res.significant[r, 1:, :].ravel() == (holm < 0.05)).all()
        # the control's own rows
        for m, step in enumerate((PAGE, TIME)):
            xc = _values(sim, r, 0, step, per)
            assert res.mean[r, 0, m] == pytest.approx(np.mean(xc), rel=1e-12)
            assert res.std[r, 0, m] == pytest.approx(np.std(xc, ddof=1), rel=1e-9)
            assert res.note[r, 0, m] == "control"
    for name in ("diff", "lift_low", "statistic", "p_value", "p_adjusted"):
        assert np.isnan(getattr(res, name)[:, 0, :]).all()
    assert not res.significant[:, 0, :].any()
    # the treatment "Wider" has a truly larger Time on Site: found in the aggregate
    assert res.lift[AGG, 1, 1] > 0


def test_per_entry_pads_zeros_and_differs_from_per_engaged(
    sim: SimulatedExperiment, report: ttstats.Report
) -> None:
    entry = compare_means(report, "Control", metric="Time on Site")
    engaged = compare_means(report, "Control", metric="Time on Site", per="engaged")
    n = sim.count[AGG, :, :, 0].sum(axis=0)
    c = sim.engagement_count[AGG, :, :, TIME].sum(axis=0)
    assert (entry.units[AGG, :, 0] == n).all()
    assert (engaged.units[AGG, :, 0] == c).all()
    assert (c < n).all()  # some units have no value: the two means differ by c / n
    assert entry.mean[AGG, :, 0] == pytest.approx(engaged.mean[AGG, :, 0] * c / n, rel=1e-12)
    assert entry.per == "entry" and engaged.per == "engaged"
    assert set(entry.to_frame()["per"]) == {"entry"}


def test_by_sample_matches_each_sample(sim: SimulatedExperiment, report: ttstats.Report) -> None:
    res = compare_means(report, "Control", metric=["Page Count", "Time on Site"], by_sample=True)
    assert res.shape == (3, 2, 3, 2)
    pvals = []
    for k in (1, 2):
        for m, step in enumerate((PAGE, TIME)):
            x = _values(sim, 0, k, step, "entry", samples=1)
            xc = _values(sim, 0, 0, step, "entry", samples=1)
            pvals.append(_check_cell(res, (0, 1, k, m), x, xc))
    _, holm, _, _ = multipletests(pvals, method="holm")  # one family per report and sample
    assert res.p_adjusted[0, 1, 1:, :].ravel() == pytest.approx(holm, rel=1e-7)
    frame = res.to_frame()
    assert len(frame) == 3 * 2 * 3 * 2
    assert frame["sample_start"].nunique() == 2


# -- (2) revenue -----------------------------------------------------------------------------
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("per", ["entry", "engaged"])
def test_revenue_with_order_values_is_tested(
    sim: SimulatedExperiment, version: int, per: str
) -> None:
    # order_engagement: the conversion step carries (orders, revenue, sum of squared orders)
    res = compare_means(_read(sim, version), "Control", metric="revenue", per=per)
    assert res.steps == ("Order Confirmation",) and res.metrics == ("revenue",)
    assert set(res.source.ravel()) == {"order values"}
    orders = sim.order_units
    assert orders is not None
    for r in range(3):
        for k in (1, 2):
            x, xc = _values(sim, r, k, ORDER, per), _values(sim, r, 0, ORDER, per)
            _check_cell(res, (r, k, 0), x, xc)
    # RPV = revenue / entries, AOV = revenue / orders (order values from the simulation)
    in_agg = orders.recipe == 1
    revenue = orders.value[in_agg].sum()
    n = sim.count[AGG, :, 1, 0].sum() if per == "entry" else in_agg.sum()
    assert res.mean[AGG, 1, 0] == pytest.approx(revenue / n, rel=1e-12)


@pytest.mark.parametrize("version", [1, 2])
def test_revenue_totals_are_point_estimates(version: int) -> None:
    sim = simulate(_spec(order_engagement=False), keep_units=True)
    report = _read(sim, version)
    orders = sim.order_units
    assert orders is not None
    for per in ("entry", "engaged"):
        res = compare_means(report, "Control", metric="revenue", per=per)
        assert set(res.source.ravel()) == {"revenue total"}
        revenue = np.array([orders.value[orders.recipe == k].sum() for k in range(3)])
        if per == "entry":
            units = sim.count[AGG, :, :, 0].sum(axis=0)
        else:
            units = np.array([(orders.recipe == k).sum() for k in range(3)], dtype=float)
        assert (res.units[AGG, :, 0] == units).all()
        assert res.mean[AGG, :, 0] == pytest.approx(revenue / units, rel=1e-12)
        rpv = revenue / units
        assert res.diff[AGG, 1:, 0] == pytest.approx(rpv[1:] - rpv[0], rel=1e-10)
        assert res.lift[AGG, 1:, 0] == pytest.approx(rpv[1:] / rpv[0] - 1, rel=1e-10)
        for name in ("std", "mean_low", "diff_low", "lift_high", "p_value", "p_adjusted", "df"):
            assert np.isnan(getattr(res, name)).all(), name
        assert not res.reliable.any() and not res.significant.any()
        assert set(res.note[:, 1:, 0].ravel()) == {REVENUE_NOTE}
        assert set(res.note[:, 0, 0].ravel()) == {"control; " + REVENUE_NOTE}


def test_v1_documented_revenue_per_visitor() -> None:
    # v1-documented.xml: Experience A, Entry 476.0 (line 5), Clicked Article 255.0 (line 12),
    # <amount>121.13</amount> (line 13); Page Count (190, 558, 4382) (line 15).
    report = read_quietly(sample("v1-documented.xml"))
    rpv = compare_means(report, "Experience A", metric=["revenue", "Page Count"])
    assert rpv.steps == ("Clicked Article", "Page Count")
    assert rpv.units[0, 0, 0] == 476
    assert rpv.mean[0, 0, 0] == pytest.approx(121.13 / 476, rel=1e-14)
    assert np.isnan(rpv.std[0, 0, 0]) and not rpv.reliable[0, 0, 0]
    assert rpv.note[0, 0, 0] == "control; " + REVENUE_NOTE
    # Page Count per entry: 558/476, variance (4382 - 558**2/476)/475 by hand
    assert rpv.mean[0, 0, 1] == pytest.approx(558 / 476, rel=1e-14)
    assert rpv.std[0, 0, 1] ** 2 == pytest.approx((4382 - 558**2 / 476) / 475, rel=1e-12)
    assert rpv.reliable[0, 0, 1]
    # The documented file holds elided reports ("."): nothing to say but that
    assert np.isnan(rpv.mean[1:]).all()
    assert all("missing input (NaN)" in n for n in rpv.note[1:].ravel())
    aov = compare_means(report, "Experience A", metric="revenue", per="engaged")
    assert aov.units[0, 0, 0] == 255
    assert aov.mean[0, 0, 0] == pytest.approx(121.13 / 255, rel=1e-14)


@pytest.fixture(scope="module")
def v2() -> ttstats.Report:
    return ttstats.read_report(sample("v2-small.xml"))


def test_v2_small_published(v2: ttstats.Report) -> None:
    # v2-small.xml, aggregate report (line 303), summed by hand over the two days:
    #   Experience A  Entry 193 + 189 = 382; Order Confirmation revenue 465.79 (l. 326)
    #                 + 268.86 (l. 400); Page Count (193, 544, 1872) (l. 317)
    #                 + (189, 550, 1960) (l. 391)
    #   Experience B  Entry 196 + 196 = 392; revenue 1422.08 (l. 350) + 968.52 (l. 424);
    #                 Page Count (196, 645, 2511) (l. 341) + (196, 652, 2578) (l. 415)
    with pytest.warns(ttstats.AggregationWarning, match="visitor"):
        res = compare_means(v2, "Experience A", metric=["Page Count", "revenue"], per="engaged")
    assert len(res.warnings) == 1
    (ca, ta, sa), (cb, tb, sb) = (382, 1094, 3832), (392, 1297, 5089)
    var_a, var_b = (sa - ta**2 / ca) / (ca - 1), (sb - tb**2 / cb) / (cb - 1)
    assert res.mean[AGG, 1, 0] == pytest.approx(tb / cb, rel=1e-14)
    assert res.std[AGG, 1, 0] == pytest.approx(np.sqrt(var_b), rel=1e-12)
    welch = sps.ttest_ind_from_stats(
        tb / cb, np.sqrt(var_b), cb, ta / ca, np.sqrt(var_a), ca, equal_var=False
    )
    assert res.statistic[AGG, 1, 0] == pytest.approx(welch.statistic, rel=1e-10)
    assert res.p_value[AGG, 1, 0] == pytest.approx(welch.pvalue, rel=1e-8)
    # revenue: no order values on Order Confirmation, so average order value (13 and 41
    # orders, test_compare.py) is a point estimate
    assert res.steps == ("Page Count", "Order Confirmation")
    assert res.mean[AGG, 0, 1] == pytest.approx((465.79 + 268.86) / 13, rel=1e-12)
    assert res.mean[AGG, 1, 1] == pytest.approx((1422.08 + 968.52) / 41, rel=1e-12)
    assert np.isnan(res.p_value[..., 1]).all()
    # one comparison per report is testable: Holm over a family of one leaves p alone
    assert res.p_adjusted[AGG, 1, 0] == pytest.approx(welch.pvalue, rel=1e-8)
    rpv = compare_means(v2, "Experience A", metric="revenue", by_sample=True)  # no warning
    assert rpv.mean[AGG, 1, 1, 0] == pytest.approx(968.52 / 196, rel=1e-12)  # day 2, l. 405-406


# -- (3) precision, invalid and undefined cells ----------------------------------------------
def _xml(recipes: dict[str, str], extra: str = "") -> str:
    """A one-report, one-sample version-2 document; ``recipes`` maps name -> step elements."""
    body = "".join(f'<recipe name="{name}">{steps}</recipe>' for name, steps in recipes.items())
    return (
        '<reports><report campaignId="1" start="2024-03-01" end="2024-03-02" resolution="day" '
        f'type="visit"><sample start="2024-03-01T00:00" duration="day">{body}{extra}'
        "</sample></report></reports>"
    )


def _steps(n: int, values: Any, revenue: str = "", name: str = "Value") -> str:
    """Entry with ``n`` entries, and one step whose engagement triple sums ``values``."""
    x = np.asarray(values, dtype=np.float64)
    rev = f"<revenue>{revenue}</revenue>" if revenue else ""
    return (
        f'<step name="Entry"><amount>{n}</amount></step><step name="{name}">'
        f'<amount>{x.size}</amount>{rev}<engagement count="{x.size}" '
        f'total="{x.sum():.5f}" sumOfSquares="{(x * x).sum():.5f}"/></step>'
    )


def test_unresolvable_variance_is_reported_not_computed() -> None:
    rng = np.random.default_rng(20240301)
    tiny = 1e7 + rng.normal(0.0, 1e-3, 60)  # spread far below what 5 decimals resolve at 1e7
    wide_c = 1e7 + rng.normal(0.0, 1e3, 60)
    wide_t = 1e7 + 200 + rng.normal(0.0, 1e3, 60)
    xml = _xml(
        {
            "A": _steps(60, wide_c),
            "B": _steps(60, tiny),
            "C": _steps(60, wide_t),
        }
    )
    res = compare_means(ttstats.read_report(xml), "A", metric="Value", per="engaged")
    assert res.mean[0, 1, 0] == pytest.approx(np.mean(tiny), rel=1e-12)  # the mean is fine
    for name in ("std", "mean_low", "diff_low", "lift_low", "p_value", "p_adjusted"):
        assert np.isnan(getattr(res, name)[0, 1, 0]), name
    assert not res.reliable[0, 1, 0]
    assert res.note[0, 1, 0] == "treatment: " + UNRESOLVED
    assert res.diff[0, 1, 0] == pytest.approx(np.mean(tiny) - np.mean(wide_c), abs=1e-6)
    # a resolvable spread at the same mean is computed, and it is Welch's test
    welch = sps.ttest_ind(wide_t, wide_c, equal_var=False)
    assert res.p_value[0, 2, 0] == pytest.approx(welch.pvalue, rel=1e-5)
    assert res.reliable[0, 2, 0] and res.note[0, 2, 0] == ""
    # with the unresolvable recipe as control, every comparison says why it has no test
    other = compare_means(ttstats.read_report(xml), "B", metric="Value", per="engaged")
    assert not other.reliable.any()
    assert other.note[0, 0, 0] == "control: " + UNRESOLVED
    assert other.note[0, 1, 0] == "control; " + UNRESOLVED
    assert np.isfinite(other.std[0, 0, 0])  # A's own deviation stays
    assert np.isnan(other.p_value).all()


def test_undefined_lift_and_units_notes() -> None:
    xml = _xml(
        {
            "A": _steps(10, np.zeros(5)),  # control mean 0: lift undefined, no variance
            "B": _steps(10, [1.0, 2.0, 3.0]),
            "C": _steps(2, [1.0, 2.0, 4.0]),  # more values than entries
        }
    )
    report = ttstats.read_report(xml)
    res = compare_means(report, "A", metric="Value")
    assert res.note[0, 0, 0] == "control; variance not resolvable from the reported sums"
    assert np.isnan(res.lift[0, 1, 0]) and res.diff[0, 1, 0] == pytest.approx(0.6)
    assert res.note[0, 1, 0] == (
        "control: variance not resolvable from the reported sums; "
        "lift: control mean <= 0: lift undefined"
    )
    assert res.note[0, 2, 0].startswith("treatment: count exceeds entries")
    assert np.isnan(res.mean[0, 2, 0])


def test_order_values_only_where_they_add_up_to_the_revenue() -> None:
    orders = [12.5, 30.0, 7.25]
    xml = _xml(
        {
            "A": _steps(50, orders, revenue="49.75", name="Order"),
            "B": _steps(50, [20.0, 40.0], revenue="61.00", name="Order"),  # 60 != 61
        }
    )
    res = compare_means(ttstats.read_report(xml), "A", metric="revenue", per="engaged")
    assert res.source[0, :, 0].tolist() == ["order values", "revenue total"]
    assert res.std[0, 0, 0] == pytest.approx(np.std(orders, ddof=1), rel=1e-12)
    assert res.mean[0, 1, 0] == pytest.approx(61.0 / 2)
    assert res.note[0, 1, 0] == (
        "the step's engagement does not add up to its revenue: not taken as order values; "
        + REVENUE_NOTE
    )
    assert np.isnan(res.p_value).all()
    # against a control without order values, the order values have no test either
    other = compare_means(ttstats.read_report(xml), "B", metric="revenue", per="engaged")
    assert other.note[0, 0, 0] == "control: " + REVENUE_NOTE
    assert np.isfinite(other.std[0, 0, 0]) and not other.reliable[0, 0, 0]
    assert np.isnan(other.p_value).all() and other.lift[0, 0, 0] == pytest.approx(
        49.75 / 3 / 30.5 - 1
    )


def test_invalid_engagement_values_are_noted_not_raised() -> None:
    bad = '<step name="Value"><amount>3</amount><engagement count="2.5" total="3.00000" '
    bad += 'sumOfSquares="5.00000"/></step>'
    xml = _xml(
        {"A": _steps(10, [1.0, 2.0]), "B": '<step name="Entry"><amount>10</amount></step>' + bad}
    )
    res = compare_means(ttstats.read_report(xml), "A", metric="Value")
    assert res.note[0, 1, 0] == (
        "treatment: invalid engagement values (a count not a whole number >= 0, "
        "or a sum infinite or negative)"
    )
    assert np.isnan(res.mean[0, 1, 0]) and np.isfinite(res.mean[0, 0, 0])


# -- (4) arguments, labels and the result ----------------------------------------------------
def test_unknown_names_and_bad_arguments(report: ttstats.Report) -> None:
    with pytest.raises(UnknownLabelError, match=r"metric='Pages'.*'Page Count'") as info:
        compare_means(report, "Control", metric="Pages")
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    with pytest.raises(UnknownLabelError, match="'Control', 'Wider'"):
        compare_means(report, "Nobody", metric="Page Count")
    with pytest.raises(UnknownLabelError, match="entry="):
        compare_means(report, "Control", metric="Page Count", entry="Visits")
    with pytest.raises(UnknownLabelError, match="revenue_step="):
        compare_means(report, "Control", metric="revenue", revenue_step="Cart")
    with pytest.raises(ValueError, match=r"engagement are \['Page Count', 'Time on Site'"):
        compare_means(report, "Control", metric="Display")
    with pytest.raises(ValueError, match="once"):
        compare_means(report, "Control", metric=["Page Count", "Page Count"])
    with pytest.raises(ValueError, match="per must be one of"):
        compare_means(report, "Control", metric="Page Count", per="visitor")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="correction"):
        compare_means(report, "Control", metric="Page Count", correction="sidak")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        compare_means(report, "Control", metric="Page Count", alpha=1.5)
    with pytest.raises(ValueError, match="no step of the report carries revenue"):
        compare_means(ttstats.read_report(_xml({"A": _steps(5, [1.0])})), "A", metric="revenue")


def test_frame_and_result_shape(report: ttstats.Report) -> None:
    res = compare_means(report, "Control", metric=["revenue", "Page Count"], alpha=0.1)
    frame = res.to_frame()
    assert list(frame.columns) == FIRST_COLUMNS + EXTRAS
    assert len(frame) == 3 * 3 * 2
    assert frame["step"].tolist()[:2] == ["Order Confirmation", "Page Count"]
    assert frame["metric"].tolist()[:2] == ["revenue", "Page Count"]
    assert frame["segment"].tolist()[0] == "S1" and frame["report"].tolist()[-1] == AGG
    assert frame["is_control"].sum() == 3 * 2
    assert frame["significant"].dtype == bool and frame["reliable"].dtype == bool
    assert res.alpha == 0.1 and res.segments == ("S1", "S2", None)
    assert res.control_index == 0 and res.is_control.tolist() == [True, False, False]
    assert "MeansComparison vs 'Control' per entry" in repr(res)
    assert "<table" in (res._repr_html_() or "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.mean = res.std  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        res.mean[0, 0, 0] = 1.0


def test_bundled_example_report() -> None:
    report = ttstats.read_report(ttstats.__path__[0] + "/data/example-report.xml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a 'visit' report: summing warns of nothing
        res = compare_means(report, "Control", metric=["Page Count", "Time on Site", "revenue"])
    assert res.shape == (3, 3, 3)
    assert res.reliable.all()
    frame = res.to_frame()
    # the bundled example writes the order values as Order Confirmation's engagement triple
    assert (frame.loc[frame["metric"] == "revenue", "source"] == "order values").all()


def test_samples_without_the_engagement_values_are_named_in_the_note() -> None:
    def recipe(name: str, engagement: bool) -> str:
        triple = '<engagement count="40" total="120.00000" sumOfSquares="500.00000"/>'
        return (
            f'<recipe name="{name}"><step name="Entry"><amount>100</amount></step>'
            f'<step name="Page Count"><amount>100</amount>{triple if engagement else ""}</step>'
            "</recipe>"
        )

    days = [(1, True, True), (2, True, True)]
    xml = (
        '<reports><report campaignId="1" start="2024-03-01" end="2024-03-03" resolution="day" '
        'type="visit">'
        + "".join(
            f'<sample start="2024-03-0{d}T00:00" duration="day">{recipe("A", a)}{recipe("B", b)}'
            "</sample>"
            for d, a, b in days
        )
        + "</report></reports>"
    )
    full = ttstats.read_report(xml)
    step = full.step_index("Page Count")

    def drop(name: str, arr: np.ndarray) -> np.ndarray:
        if not name.startswith("engagement"):
            return arr
        out = arr.copy()
        out[0, 1, 0, step] = np.nan  # day 2: A's triple not reported
        return out

    cells = type(full.cells)(**{k: drop(k, v) for k, v in full.cells.items()})
    res = ttstats.compare_means(dataclasses.replace(full, cells=cells), "B", metric="Page Count")
    frame = res.to_frame().set_index("recipe")
    assert "1 sample(s) report no engagement values here" in frame.loc["A", "note"]
    assert "report no engagement values" not in frame.loc["B", "note"]
    # per entry, A's day 2 entries count as units without a value: mean 120 / 200
    assert frame.loc["A", "mean"] == pytest.approx(120 / 200)


def test_the_file_s_own_precision_bounds_the_variance() -> None:
    """Sums printed with 1 decimal cannot resolve a spread of 1 around 1,000 (the bound of
    moments_mean_var at decimals=1 exceeds the true sum of squared deviations); printed with
    5 they can, and the standard deviation is numpy's on the raw values."""
    rng = np.random.default_rng(8)
    raw = {name: 1000.0 + rng.normal(0.0, 1.0, 50) for name in ("A", "B")}

    def xml(places: int) -> str:
        def recipe(name: str) -> str:
            v = raw[name]
            total, sumsq = math.fsum(v), math.fsum(v * v)
            return (
                f'<recipe name="{name}"><step name="Entry"><amount>50</amount></step>'
                f'<step name="Time"><amount>50</amount><engagement count="50" '
                f'total="{total:.{places}f}" sumOfSquares="{sumsq:.{places}f}"/></step></recipe>'
            )

        return (
            '<reports><report campaignId="1" start="2024-03-01" end="2024-03-02" '
            'resolution="day" type="visit"><sample start="2024-03-01T00:00" duration="day">'
            f"{recipe('A')}{recipe('B')}</sample></report></reports>"
        )

    coarse = ttstats.read_report(xml(1))
    assert coarse.decimals["engagement_sumsq"] == 1
    got = ttstats.compare_means(coarse, "A", metric="Time", per="engaged").to_frame()
    assert got["std"].isna().all() and not got["reliable"].any()
    assert got["note"].str.contains("variance not resolvable from the reported sums").all()
    fine = ttstats.read_report(xml(5))
    got = ttstats.compare_means(fine, "A", metric="Time", per="engaged").to_frame()
    for k, name in enumerate(("A", "B")):
        # a reported variance is within 1% of the exact one, so its root within 0.5%
        assert got["std"][k] == pytest.approx(np.std(raw[name], ddof=1), rel=5e-3)

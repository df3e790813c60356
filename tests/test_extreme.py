"""Extreme orders from one report and from two (ttstats.analysis.extreme).

Every expected number comes from an independent source:

* the raw per-order values that the simulation keeps (``simulate_extremes``): thresholds are
  ``np.mean(v) +- 3 * np.std(v, ddof=1)`` of the pooled values, the bound is worked from
  ``np.mean``/``np.var(ddof=1)`` of each recipe's values, p-values are
  ``scipy.stats.ttest_ind(equal_var=False)`` on the raw values;
* for the worst-case removal, a data set that really holds K values AT the threshold (the
  threshold found by ``scipy.optimize.brentq`` as the fixed point u = mean + 3 SD of the
  pooled values with the K copies of u); removing k of them from the raw values and running
  ``scipy.stats.ttest_ind(equal_var=False)`` gives the verdict after each removal;
* the published sample v2-small.xml: its printed triples, summed by hand below, and
  ``scipy.stats.ttest_ind_from_stats``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
import pytest
from scipy import optimize, stats

import ttstats
from ttstats.analysis.extreme import (
    ExtremeOrders,
    ReportMismatchError,
    Sensitivity,
    extreme_order_sensitivity,
    extreme_orders,
)
from ttstats.simulate import (
    ExperimentSpec,
    LogNormal,
    SimulatedExtremes,
    generate_report_bytes,
    simulate_extremes,
)

from .conftest import sample

ORDER = "Order Confirmation"
STEPS = ("Entry", "Page Count", ORDER)
# equal true order values in both recipes; 8 planted whale orders in B (seed 3: the
# aggregate's verdict is "higher" with them and clearly "not significant" without)
SPEC = ExperimentSpec(
    n_samples=7,
    seed=3,
    traffic=400.0,
    revenue=LogNormal(3.5, 0.6),
    steps=STEPS,
    rates=[1.0, 0.9, 0.08],
)
PLANTED = {"Experience B": [4000.0] * 8}
A, B = "Experience A", "Experience B"


@pytest.fixture(scope="module")
def planted() -> SimulatedExtremes:
    return simulate_extremes(SPEC, planted=PLANTED)


def reports(ext: SimulatedExtremes, version: int) -> tuple[ttstats.Report, ttstats.Report]:
    with_xml, without_xml = ext.to_bytes(version)
    return ttstats.read_report(with_xml), ttstats.read_report(without_xml)


def raw_orders(ext: SimulatedExtremes, report: int, recipe: int, *, excluded: bool = False) -> Any:
    """The order values of one report (a segment, or the aggregate: all) and recipe."""
    o = ext.orders
    values = ext.excluded_value if excluded else o.value
    in_report = np.ones(values.size, bool) if report == len(SPEC.segments) else o.report == report
    return values[in_report & (o.recipe == recipe)]


# ------------------------------------------------------------------------------------------
# One report: thresholds, the Chebyshev bound, Welch against the control and the rest
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [1, 2])
def test_thresholds_bounds_and_tests_from_the_raw_orders(
    planted: SimulatedExtremes, version: int
) -> None:
    report, _ = reports(planted, version)
    res = extreme_orders(report, control=A, metric=ORDER)
    assert isinstance(res, ExtremeOrders)
    assert res.units.shape == (3, 2)
    for r in range(3):
        a, b = raw_orders(planted, r, 0), raw_orders(planted, r, 1)
        pooled = np.concatenate([a, b])
        mean, sd = np.mean(pooled), np.std(pooled, ddof=1)
        assert res.threshold_low[r] == pytest.approx(mean - 3 * sd, rel=1e-9)
        assert res.threshold_high[r] == pytest.approx(mean + 3 * sd, rel=1e-9)
        assert res.threshold_low[r] <= 0  # so only the upper tail counts (values are >= 0)
        high = mean + 3 * sd
        for k, x in enumerate((a, b)):
            bound = min(x.size, np.floor((x.size - 1) * np.var(x, ddof=1) / (high - x.mean()) ** 2))
            assert res.max_extreme[r, k] == bound
            assert res.max_extreme[r, k] >= np.sum(x > high)  # a bound on the true count
            assert res.mean[r, k] == pytest.approx(np.mean(x), rel=1e-9)
            assert res.std[r, k] == pytest.approx(np.std(x, ddof=1), rel=1e-9)
        welch = stats.ttest_ind(b, a, equal_var=False)
        assert res.p_value[r, 1] == pytest.approx(welch.pvalue, rel=1e-6)
        assert np.isnan(res.p_value[r, 0])
        # recipe vs rest: with two recipes the rest of the campaign is the other recipe
        assert res.p_value_vs_rest[r, 0] == pytest.approx(welch.pvalue, rel=1e-6)
        assert res.p_value_vs_rest[r, 1] == pytest.approx(welch.pvalue, rel=1e-6)
    # the aggregate holds all 8 planted values in B, and the bound knows it
    assert np.sum(raw_orders(planted, 2, 1) > res.threshold_high[2]) == 8
    assert res.max_extreme[2, 1] >= 8
    assert res.verdict.tolist()[2] == ["control", "higher"]


def test_each_recipe_against_the_rest_of_the_campaign_with_three_recipes() -> None:
    # With three recipes the rest is two of them: Campaign - recipe, against Welch's test of
    # the recipe's raw orders against the other two recipes' raw orders pooled.
    spec = ExperimentSpec(
        n_samples=7,
        seed=11,
        traffic=300.0,
        revenue=LogNormal(3.5, 0.6),
        steps=STEPS,
        recipes=("Experience A", "Experience B", "Experience C"),
        rates=[1.0, 0.9, 0.08],
    )
    ext = simulate_extremes(spec, planted={"Experience C": [900.0] * 3})
    report = ttstats.read_report(ext.to_bytes(2)[0])
    res = extreme_orders(report, control=A, metric=ORDER)
    o = ext.orders
    for r in range(3):
        in_report = np.ones(o.value.size, bool) if r == 2 else o.report == r
        for k in range(3):
            mine = o.value[in_report & (o.recipe == k)]
            rest = o.value[in_report & (o.recipe != k)]
            welch = stats.ttest_ind(mine, rest, equal_var=False)
            assert res.p_value_vs_rest[r, k] == pytest.approx(welch.pvalue, rel=1e-6)


def _fixed_point_data(seed: int, lift: float, k_copies: int) -> tuple[Any, Any, float]:
    """Control ``a``, treatment ``b0`` and u = mean + 3 SD of ``a | b0 | k_copies x u``."""
    rng = np.random.default_rng(seed)
    a = np.round(rng.lognormal(3.5, 0.6, 300), 2)
    b0 = np.round(rng.lognormal(3.5 + np.log(lift), 0.6, 300), 2)

    def gap(u: float) -> float:
        pooled = np.concatenate([a, b0, np.full(k_copies, u)])
        return float(np.mean(pooled) + 3 * np.std(pooled, ddof=1) - u)

    return a, b0, float(optimize.brentq(gap, 1.0, 1e5, xtol=1e-12))


def _xml(groups: Mapping[str, Any]) -> bytes:
    """A one-report version-2 document whose "Order" step carries each group's values."""

    def triple(values: Any) -> str:
        with localcontext() as ctx:
            ctx.prec = 100
            xs = [Decimal(float(x)) for x in values]
            total, sumsq = sum(xs, Decimal(0)), sum((x * x for x in xs), Decimal(0))
        return f'count="{len(xs)}" total="{total:.5f}" sumOfSquares="{sumsq:.5f}"'

    everything = np.concatenate(list(groups.values()))
    recipes = [*groups.items(), ("Campaign", everything)]
    body = "".join(
        f'<recipe name="{name}"><step name="Entry"><amount>{10 * len(v)}.0</amount></step>'
        f'<step name="Order"><amount>{len(v)}.0</amount><engagement {triple(v)}/></step>'
        "</recipe>"
        for name, v in recipes
    )
    return (
        '<reports><report campaignId="1" start="2024-03-01" end="2024-03-02" resolution="day" '
        f'type="visit"><sample start="2024-03-01T00:00" duration="day">{body}</sample>'
        "</report></reports>"
    ).encode()


def _verdict(res: Any) -> int:
    return 0 if res.pvalue >= 0.05 else int(np.sign(res.statistic))


@pytest.mark.parametrize(
    ("holder", "seed", "lift"),
    [("B", 11, 1.06), ("A", 1, 1.06)],
    ids=["copies-in-treatment", "copies-in-control"],
)
def test_worst_case_removal_is_removing_values_at_the_threshold(
    holder: str, seed: int, lift: float
) -> None:
    K = 6
    a, b0, u = _fixed_point_data(seed, lift, K)
    copies = np.full(K, u)
    data = {"A": a, "B": np.concatenate([b0, copies])}
    if holder == "A":
        data = {"A": np.concatenate([a, copies]), "B": b0}
    res = extreme_orders(ttstats.read_report(_xml(data)), control="A", metric="Order")
    assert res.threshold_high[0] == pytest.approx(u, rel=1e-9)
    row = 1 if holder == "B" else 0
    assert res.max_extreme[0, row] >= K  # K values lie at the threshold: the bound allows them

    def removed(k: int) -> Any:  # scipy on the raw values with k copies of u removed
        rest = np.full(K - k, u)
        if holder == "B":
            return stats.ttest_ind(np.concatenate([b0, rest]), a, equal_var=False)
        return stats.ttest_ind(b0, np.concatenate([a, rest]), equal_var=False)

    base = _verdict(removed(0))
    flip = next(k for k in range(1, K + 1) if _verdict(removed(k)) != base)
    assert flip == (4 if holder == "B" else 2)  # the data were chosen for a flip inside K
    assert res.flip_k[0, row] == flip
    assert res.flip_p_value[0, row] == pytest.approx(removed(flip).pvalue, rel=1e-6)
    assert res.p_value[0, 1] == pytest.approx(removed(0).pvalue, rel=1e-6)
    assert res.to_frame()["flip_k"].iloc[row] == flip


def test_frame_columns_are_fixed(planted: SimulatedExtremes) -> None:
    report, _ = reports(planted, 2)
    frame = extreme_orders(report, control=A, metric=ORDER, k_sigma=2.5, alpha=0.01).to_frame()
    assert list(frame.columns) == [
        "report", "segment", "recipe", "units", "mean", "std", "threshold_low",
        "threshold_high", "max_extreme", "verdict", "flip_k", "p_value", "p_value_vs_rest",
        "note",
    ]  # fmt: skip
    assert len(frame) == 6
    assert frame["segment"].tolist() == ["Segment 1"] * 2 + ["Segment 2"] * 2 + [None] * 2
    assert str(frame["max_extreme"].dtype) == str(frame["flip_k"].dtype) == "Int64"
    assert frame["note"].iloc[0] == "control"


# ------------------------------------------------------------------------------------------
# Two reports: the planted whales carry the change and flip the verdict
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [1, 2])
def test_planted_extremes_carry_the_change_and_flip_the_verdict(
    planted: SimulatedExtremes, version: int
) -> None:
    w, wo = reports(planted, version)
    res = extreme_order_sensitivity(w, wo, control=A)
    assert isinstance(res, Sensitivity)
    frame = res.to_frame()
    eng = frame[(frame["step"] == ORDER) & (frame["measure"] == "engagement")]
    agg_b = eng[(eng["report"] == 2) & (eng["recipe"] == B)].iloc[0]
    # the whales make B a false winner; without them it is not
    assert (agg_b["verdict_with"], agg_b["verdict_without"]) == ("higher", "not significant")
    assert bool(agg_b["flipped"])
    flips = res.flips()
    assert list(flips.columns) == list(frame.columns)
    hit = flips[(flips["report"] == 2) & (flips["recipe"] == B) & (flips["step"] == ORDER)]
    # revenue per entry: Welch's test on the orders with the entries without one as 0 (the
    # order step's engagement triple holds the order values), as compare_means does
    rev = frame[(frame["step"] == ORDER) & (frame["measure"] == "revenue")]
    rev_b = rev[(rev["report"] == 2) & (rev["recipe"] == B)].iloc[0]
    entries = np.nansum(w.count[2, :, :, 0], axis=0)
    verdicts = []
    for excluded, suffix in ((False, "with"), (True, "without")):
        a, b = (raw_orders(planted, 2, k, excluded=excluded) for k in (0, 1))
        pa, pb = (
            np.concatenate([x, np.zeros(int(n) - x.size)])
            for x, n in ((a, entries[0]), (b, entries[1]))
        )
        assert rev_b[f"mean_{suffix}"] == pytest.approx(np.mean(pb), rel=1e-9)
        welch = stats.ttest_ind(pb, pa, equal_var=False)
        assert rev_b[f"p_value_{suffix}"] == pytest.approx(welch.pvalue, rel=1e-6)
        significant = welch.pvalue < 0.05
        verdicts.append(
            ("higher" if welch.statistic > 0 else "lower") if significant else "not significant"
        )
        assert rev_b[f"verdict_{suffix}"] == verdicts[-1]
    assert hit["measure"].tolist() == ["engagement"] + (
        ["revenue"] if verdicts[0] != verdicts[1] else []
    )
    # means and p-values from the raw orders, with and without
    for excluded, suffix in ((False, "with"), (True, "without")):
        a, b = (raw_orders(planted, 2, k, excluded=excluded) for k in (0, 1))
        assert agg_b[f"mean_{suffix}"] == pytest.approx(np.mean(b), rel=1e-9)
        assert agg_b[f"lift_{suffix}"] == pytest.approx(np.mean(b) / np.mean(a) - 1, rel=1e-9)
        p = stats.ttest_ind(b, a, equal_var=False).pvalue
        assert agg_b[f"p_value_{suffix}"] == pytest.approx(p, rel=1e-6)
        # delta-method interval of the lift, worked from the raw values
        se = np.sqrt(
            np.var(b, ddof=1) / (b.size * np.mean(b) ** 2)
            + np.var(a, ddof=1) / (a.size * np.mean(a) ** 2)
        )
        centre, z = np.log(np.mean(b) / np.mean(a)), stats.norm.ppf(0.975)
        assert agg_b[f"lift_low_{suffix}"] == pytest.approx(np.expm1(centre - z * se), rel=1e-6)
        assert agg_b[f"lift_high_{suffix}"] == pytest.approx(np.expm1(centre + z * se), rel=1e-6)
    # B carries all the change in the Campaign's order total and revenue, in every report
    for measure, step in (("engagement", ORDER), ("revenue", "Entry"), ("revenue", ORDER)):
        cells = frame[(frame["measure"] == measure) & (frame["step"] == step)]
        if cells.empty:  # version 1 has revenue on the final step only
            assert version == 1
            assert step == "Entry"
            continue
        for r in range(3):
            share = cells[cells["report"] == r].set_index("recipe")["share_of_change"]
            if np.isnan(share[B]):  # no planted whale landed in this segment
                continue
            assert share[B] > 0.95
            assert share[A] + share[B] == pytest.approx(1.0, abs=1e-9)
    change = planted.excluded_value.sum() - planted.orders.value.sum()
    agg = cells[cells["report"] == 2]
    assert agg["total_change"].sum() == pytest.approx(change, abs=0.01)
    assert res.warnings == ()
    # engagement steps that are not orders do not move
    pages = frame[(frame["step"] == "Page Count") & (frame["measure"] == "engagement")]
    assert (pages["total_change"] == 0).all()
    assert not pages["flipped"].any()


def test_one_report_flags_the_recipe_that_holds_whales(planted: SimulatedExtremes) -> None:
    w, _ = reports(planted, 2)
    res = extreme_orders(w, control=A, metric=ORDER)
    # removing values at the threshold from B undoes its (false) win
    assert res.verdict[2, 1] == "higher"
    assert 1 <= res.flip_k[2, 1] <= res.max_extreme[2, 1]
    assert res.flip_p_value[2, 1] >= 0.05


# ------------------------------------------------------------------------------------------
# Mismatched reports
# ------------------------------------------------------------------------------------------
def _small(**change: Any) -> ExperimentSpec:
    """A small spec whose conversion step carries the order values, with ``change``."""
    return ExperimentSpec(
        **{"n_samples": 2, "traffic": 30.0, "steps": STEPS, "order_engagement": True, **change}
    )


SMALL = _small()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"campaign_id": 8}, "campaign id 7 with extremes, 8 without (reports [0, 1, 2])"),
        ({"n_samples": 3}, "end date 2009-08-03 with extremes, 2009-08-04 without (reports"),
        ({"start": "2009-08-02T00:00"}, "start date 2009-08-01 with extremes, 2009-08-02"),
        ({"type": "visit"}, "type 'visitor' with extremes, 'visit' without (reports [0, 1, 2])"),
        (
            {"segments": ("Segment 1", "Other")},
            "segment 'Segment 2' with extremes, 'Other' without (report 1)",
        ),
        ({"segments": ("Segment 1",)}, "3 report(s) with extremes, 2 without"),
        ({"recipes": ("Experience A", "C")}, "recipes differ: only with extremes ['Experience B']"),
        ({"steps": ("Entry", "Cart", ORDER)}, "steps differ: only with extremes ['Page Count']"),
        ({"resolution": "hour", "start": "2009-08-01T00:00"}, "resolution 'day' with extremes"),
    ],
)
def test_mismatched_reports_are_refused_naming_the_difference(
    change: dict[str, Any], message: str
) -> None:
    w = ttstats.read_report(generate_report_bytes(SMALL))
    wo = ttstats.read_report(generate_report_bytes(_small(**change)))
    with pytest.raises(ReportMismatchError, match="do not answer the same request") as info:
        extreme_order_sensitivity(w, wo, control=A)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_different_counts_are_reported() -> None:
    w = ttstats.read_report(generate_report_bytes(SMALL))
    wo = ttstats.read_report(generate_report_bytes(_small(seed=9)))  # other draws
    res = extreme_order_sensitivity(w, wo, control=A)
    assert any("changes values, not counts" in text for text in res.warnings)


# ------------------------------------------------------------------------------------------
# The published sample
# ------------------------------------------------------------------------------------------
# v2-small.xml, "Time on Site" of the aggregate report (the third), both days, as printed
TIME_ON_SITE = {
    "Campaign": [(389, 71209.56893, 19868423.99064), (385, 70999.84388, 19410891.69018)],
    "Experience A": [(193, 33046.26797, 8451790.04969), (189, 35382.67547, 9735348.75717)],
    "Experience B": [(196, 38163.30096, 11416633.94095), (196, 35617.16841, 9675542.93300)],
}


def test_published_sample_v2_small() -> None:
    report = ttstats.read_report(sample("v2-small.xml"))
    res = extreme_orders(report, control="Experience A", metric="Time on Site")
    summed = {k: [sum(x) for x in zip(*v, strict=True)] for k, v in TIME_ON_SITE.items()}

    def mean_sd(c: float, t: float, s: float) -> tuple[float, float]:
        return t / c, float(np.sqrt((s - t * t / c) / (c - 1)))

    m, sd = mean_sd(*summed["Campaign"])
    assert res.threshold_high[2] == pytest.approx(m + 3 * sd, rel=1e-9)
    assert res.threshold_low[2] == pytest.approx(m - 3 * sd, rel=1e-9)
    stats_ab = []
    for k, name in enumerate(("Experience A", "Experience B")):
        c, t, s = summed[name]
        mk, sk = mean_sd(c, t, s)
        stats_ab.append((mk, sk, c))
        bound = min(c, np.floor((s - t * t / c) / (m + 3 * sd - mk) ** 2))
        assert res.max_extreme[2, k] == bound
    (ma, sa, na), (mb, sb, nb) = stats_ab
    p = stats.ttest_ind_from_stats(mb, sb, nb, ma, sa, na, equal_var=False).pvalue
    assert res.p_value[2, 1] == pytest.approx(p, rel=1e-6)
    assert res.to_frame()["note"].tolist()[0] == "control"
    # the same report twice: nothing moves, nothing flips, no share to give
    same = extreme_order_sensitivity(report, report, control="Experience A")
    frame = same.to_frame()
    assert same.steps == ("Entry", "Display mboxes", "Page Count", "Time on Site", ORDER)
    assert (frame["total_change"] == 0).all()
    assert frame["share_of_change"].isna().all()
    assert same.flips().empty
    assert (frame["verdict_with"] == frame["verdict_without"]).all()


# ------------------------------------------------------------------------------------------
# Arguments
# ------------------------------------------------------------------------------------------
def test_bad_arguments() -> None:
    report = ttstats.read_report(generate_report_bytes(SMALL))
    with pytest.raises(
        ttstats.UnknownLabelError, match="control='Nope' is not a recipe of the report; recipes are"
    ):
        extreme_orders(report, control="Nope", metric=ORDER)
    with pytest.raises(
        ttstats.UnknownLabelError, match="metric='Nope' is not a step of the report; steps are"
    ):
        extreme_orders(report, control=A, metric="Nope")
    with pytest.raises(ValueError, match="carries no engagement triple"):
        extreme_orders(report, control=A, metric="Entry")
    with pytest.raises(ValueError, match="k_sigma"):
        extreme_orders(report, control=A, metric=ORDER, k_sigma=0)
    with pytest.raises(ValueError, match="alpha"):
        extreme_orders(report, control=A, metric=ORDER, alpha=1.0)
    with pytest.raises(ValueError, match="once"):
        extreme_order_sensitivity(report, report, control=A, steps=[ORDER, ORDER])
    with pytest.raises(ttstats.UnknownLabelError, match="steps='Nope' is not a step of the report"):
        extreme_order_sensitivity(report, report, control=A, steps=["Nope"])


def test_sensitivity_of_reports_without_any_value_measure_says_why() -> None:
    xml = (
        '<reports><report campaignId="1" start="2024-03-01" end="2024-03-02" resolution="day" '
        'type="visit"><sample start="2024-03-01T00:00" duration="day">'
        '<recipe name="A"><step name="Entry">1000</step><step name="Buy">50</step></recipe>'
        '<recipe name="B"><step name="Entry">1000</step><step name="Buy">80</step></recipe>'
        "</sample></report></reports>"
    )
    report = ttstats.read_report(xml)
    with pytest.raises(ValueError, match="no step carries an engagement triple or revenue"):
        extreme_order_sensitivity(report, report, control="A")
    ro = ttstats.build_readout(report, without_extremes=report)
    assert ro.sensitivity is None and ro.sensitivity_note.startswith("not available: no step")


def test_one_impossible_triple_is_left_out_with_a_warning_not_an_error() -> None:
    from ttstats.cli import example_report_path

    report = ttstats.read_report(example_report_path())
    j = report.step_index("Order Confirmation")

    def spoil(name: str, arr: np.ndarray) -> np.ndarray:
        if name != "engagement_sumsq":
            return arr
        out = arr.copy()
        out[0, 0, 1, j] = -5.0  # a negative sum of squares: no set of values has it
        return out

    cells = type(report.cells)(**{k: spoil(k, v) for k, v in report.cells.items()})
    spoiled = dataclasses.replace(report, cells=cells)
    res = extreme_orders(spoiled, control="Control", metric="Order Confirmation")
    assert any("1 sample(s) of the recipes carry engagement values" in w for w in res.warnings)

    # the cell is summed without that sample: as if its triple were never reported
    def drop(name: str, arr: np.ndarray) -> np.ndarray:
        if not name.startswith("engagement"):
            return arr
        out = arr.copy()
        out[0, 0, 1, j] = np.nan
        return out

    cells = type(report.cells)(**{k: drop(k, v) for k, v in report.cells.items()})
    without = extreme_orders(
        dataclasses.replace(report, cells=cells), control="Control", metric="Order Confirmation"
    )
    np.testing.assert_array_equal(res.units, without.units)
    np.testing.assert_allclose(res.mean, without.mean, rtol=1e-15)
    extreme_order_sensitivity(spoiled, spoiled, control="Control")  # no error either

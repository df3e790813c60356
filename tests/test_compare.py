"""``ttstats.compare``: every recipe against the control, all cells at once.

Expected numbers come from outside ttstats: counts summed by hand from the published
v2-small.xml (line numbers cited), intervals and tests from statsmodels
(``proportion_confint``, ``proportions_ztest``, ``confint_proportions_2indep``,
``multipletests``), the sample-ratio chi-square from ``scipy.stats.chisquare`` and by hand,
and the simulated experiments' known true rates.
"""

from __future__ import annotations

import dataclasses
import importlib
import warnings
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

import ttstats
from ttstats.analysis import Comparison, UnknownLabelError, compare
from ttstats.simulate import ExperimentSpec, generate_report_bytes

from .conftest import read_quietly, sample

COMPARE_MODULE = importlib.import_module("ttstats.analysis._compare")

FIRST_COLUMNS = [
    "report",
    "segment",
    "recipe",
    "step",
    "entries",
    "conversions",
    "rate",
    "rate_low",
    "rate_high",
    "diff",
    "diff_low",
    "diff_high",
    "lift",
    "lift_low",
    "lift_high",
    "p_value",
    "p_adjusted",
    "significant",
    "note",
]
PER_ENTRY_NOTE = "count exceeds entries: a per-entry rate, not a proportion"

# v2-small.xml, aggregate report (the third <report>, line 303), Order Confirmation and
# Display mboxes, summed by hand over the two days:
#   Experience A  Entry 193 (l. 307) + 189 (l. 381) = 382
#                 Display mboxes 177 (l. 311) + 172 (l. 385) = 349
#                 Order Confirmation 8 (l. 325) + 5 (l. 399) = 13
#   Experience B  Entry 196 (l. 331) + 196 (l. 405) = 392
#                 Display mboxes 174 (l. 335) + 178 (l. 409) = 352
#                 Order Confirmation 24 (l. 349) + 17 (l. 423) = 41
A_N, A_DISPLAY, A_ORDER = 382, 349, 13
B_N, B_DISPLAY, B_ORDER = 392, 352, 41
# Day 2 alone (lines 381, 399, 405, 423).
A_N_DAY2, A_ORDER_DAY2, B_N_DAY2, B_ORDER_DAY2 = 189, 5, 196, 17

AGG, B, ORDER, DISPLAY = 2, 1, 3, 0  # indices: aggregate report, Experience B, compared steps


def _xml(recipes: dict[str, dict[str, str]], kind: str = "visit") -> str:
    """A one-report, one-sample document; ``recipes`` maps name -> {step: count text}."""
    body = "".join(
        f'<recipe name="{name}">'
        + "".join(f'<step name="{s}">{v}</step>' for s, v in steps.items())
        + "</recipe>"
        for name, steps in recipes.items()
    )
    return (
        f'<reports><report campaignId="1" start="2024-03-01" end="2024-03-02" '
        f'resolution="day" type="{kind}"><sample start="2024-03-01T00:00" duration="day">'
        f"{body}</sample></report></reports>"
    )


@pytest.fixture(scope="module")
def v2() -> ttstats.Report:
    return ttstats.read_report(sample("v2-small.xml"))


@pytest.fixture(scope="module")
def summed(v2: ttstats.Report) -> Comparison:
    with pytest.warns(ttstats.AggregationWarning, match="visitor"):
        return compare(v2, "Experience A")


@pytest.fixture(scope="module")
def per_day(v2: ttstats.Report) -> Comparison:
    return compare(v2, "Experience A", by_sample=True)  # no warning: nothing is summed


# -- (1) one cell by hand ----------------------------------------------------------------------
def test_summed_cell_matches_statsmodels(summed: Comparison) -> None:
    assert summed.steps == ("Display mboxes", "Page Count", "Time on Site", "Order Confirmation")
    cell = (AGG, B, ORDER)
    assert summed.entries[cell] == B_N
    assert summed.conversions[cell] == B_ORDER
    assert summed.rate[cell] == pytest.approx(41 / 392, rel=1e-15)
    low, high = proportion_confint(B_ORDER, B_N, alpha=0.05, method="wilson")
    assert summed.rate_low[cell] == pytest.approx(low, rel=1e-12)
    assert summed.rate_high[cell] == pytest.approx(high, rel=1e-12)
    # the control's own row: its Wilson interval, no comparison
    a_low, a_high = proportion_confint(A_ORDER, A_N, alpha=0.05, method="wilson")
    assert summed.rate_low[AGG, 0, ORDER] == pytest.approx(a_low, rel=1e-12)
    assert summed.rate_high[AGG, 0, ORDER] == pytest.approx(a_high, rel=1e-12)
    # pooled two-proportion z-test, treatment first
    z, p = proportions_ztest([B_ORDER, A_ORDER], [B_N, A_N])
    assert summed.statistic[cell] == pytest.approx(z, rel=1e-12)
    assert summed.p_value[cell] == pytest.approx(p, rel=1e-10)
    # difference (Newcombe) and lift (log ratio, Katz) intervals
    d_low, d_high = confint_proportions_2indep(B_ORDER, B_N, A_ORDER, A_N, method="newcomb")
    assert (summed.diff_low[cell], summed.diff_high[cell]) == pytest.approx((d_low, d_high))
    r_low, r_high = confint_proportions_2indep(
        B_ORDER, B_N, A_ORDER, A_N, method="log", compare="ratio"
    )
    assert (summed.lift_low[cell], summed.lift_high[cell]) == pytest.approx(
        (r_low - 1, r_high - 1), rel=1e-12
    )
    assert summed.lift[cell] == pytest.approx((41 / 392) / (13 / 382) - 1, rel=1e-12)
    assert summed.diff[cell] == pytest.approx(41 / 392 - 13 / 382, rel=1e-12)


def test_summed_holm_family_is_one_report(summed: Comparison) -> None:
    # The aggregate report's family: B vs A on Display mboxes and Order Confirmation; Page
    # Count and Time on Site are 100% in both arms (pooled rate 1: no test, not counted).
    _, p_display = proportions_ztest([B_DISPLAY, A_DISPLAY], [B_N, A_N])
    _, p_order = proportions_ztest([B_ORDER, A_ORDER], [B_N, A_N])
    _, holm, _, _ = multipletests([p_display, p_order], method="holm")
    assert summed.p_value[AGG, B, DISPLAY] == pytest.approx(p_display, rel=1e-10)
    assert summed.p_adjusted[AGG, B, DISPLAY] == pytest.approx(holm[0], rel=1e-10)
    assert summed.p_adjusted[AGG, B, ORDER] == pytest.approx(holm[1], rel=1e-10)
    assert np.isnan(summed.p_value[AGG, B, 1:3]).all()
    assert all("no variance" in n for n in summed.note[AGG, B, 1:3])
    assert summed.significant[AGG, B, ORDER] == (holm[1] < 0.05)
    assert not summed.significant[AGG, B, DISPLAY]
    # control rows: rate and interval, nothing compared
    ctrl = (slice(None), 0, slice(None))
    assert np.isfinite(summed.rate[ctrl]).all()
    for name in ("diff", "diff_low", "lift", "lift_high", "p_value", "p_adjusted", "mdl"):
        assert np.isnan(getattr(summed, name)[ctrl]).all(), name
    assert not summed.significant[ctrl].any()
    assert set(summed.note[ctrl].ravel()) == {"control"}


def test_summed_mdl_is_detected_by_the_corrected_test(summed: Comparison) -> None:
    # The family of the aggregate: every recipe x step with a p-value (v2-small: 1 treatment x
    # the steps that are proportions); the MDL is asked at alpha / m, where one comparison is
    # significant alone after Holm. statsmodels' power of the pooled z-test there is 0.8.
    m = int(np.sum(~np.isnan(summed.p_value[AGG])))
    assert summed.mdl_alpha[AGG] == pytest.approx(0.05 / m, rel=1e-15)
    pc, lift = A_ORDER / A_N, summed.mdl[AGG, B, ORDER]
    power = power_proportions_2indep(pc * lift, pc, B_N, ratio=A_N / B_N, alpha=0.05 / m).power
    assert power == pytest.approx(0.8, abs=1e-4)


def test_visitor_summing_warns_once_and_is_recorded(v2: ttstats.Report) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = compare(v2, "Experience A")
    assert [type(w.message) for w in caught] == [ttstats.AggregationWarning]
    assert caught[0].filename == __file__  # attributed to the caller of compare
    assert res.warnings == (str(caught[0].message),)


def test_sample_ratio_summed(summed: Comparison) -> None:
    srm = summed.sample_ratio
    assert srm.chi2.shape == (3,)
    chi2, p = sps.chisquare([A_N, B_N])
    assert srm.chi2[AGG] == pytest.approx(chi2, rel=1e-12)
    assert srm.p_value[AGG] == pytest.approx(p, rel=1e-12)
    assert not srm.flagged.any()
    frame = summed.sample_ratio_frame()
    assert list(frame.columns[:2]) == ["report", "segment"]
    assert frame["entries"].tolist() == [408.0, 366.0, 774.0]


@pytest.mark.filterwarnings("ignore::ttstats.AggregationWarning")  # v2-small: visitors
def test_sample_ratio_against_an_intended_split(v2: ttstats.Report) -> None:
    # A 30:70 split intended: scipy's chisquare against the expected entries 0.3 N, 0.7 N
    res = compare(v2, "Experience A", split=[30, 70])
    chi2, p = sps.chisquare([A_N, B_N], f_exp=[0.3 * (A_N + B_N), 0.7 * (A_N + B_N)])
    assert res.sample_ratio.chi2[AGG] == pytest.approx(chi2, rel=1e-12)
    assert res.sample_ratio.p_value[AGG] == pytest.approx(p, rel=1e-9)
    assert res.split == pytest.approx((0.3, 0.7))
    assert res.sample_ratio.flagged[AGG]  # 382:392 is far from 30:70
    by_name = compare(v2, "Experience A", split={"Experience B": 7, "Experience A": 3})
    assert by_name.sample_ratio.p_value[AGG] == res.sample_ratio.p_value[AGG]
    for bad, match in (
        ([1, 2, 3], "expected 2 shares"),
        ([1, 0], "positive"),
        ({"Experience A": 1}, "missing \\['Experience B'\\]"),
        ({"Experience A": 1, "Experience B": 1, "C": 1}, "unknown \\['C'\\]"),
    ):
        with pytest.raises(ValueError, match=match):
            compare(v2, "Experience A", split=bad)


# -- (2) per sample ----------------------------------------------------------------------------
def test_by_sample_shapes(per_day: Comparison) -> None:
    assert per_day.shape == (3, 2, 2, 4)
    assert per_day.by_sample and per_day.warnings == ()
    frame = per_day.to_frame()
    assert len(frame) == 3 * 2 * 2 * 4
    assert frame["sample_start"].nunique() == 2
    assert set(frame["duration"]) == {"day"}
    assert per_day.sample_ratio.p_value.shape == (3, 2)
    assert len(per_day.sample_ratio_frame()) == 6


def test_by_sample_values_match_statsmodels(per_day: Comparison) -> None:
    cell = (AGG, 1, B, ORDER)  # aggregate, day 2
    assert (per_day.entries[cell], per_day.conversions[cell]) == (B_N_DAY2, B_ORDER_DAY2)
    _, p = proportions_ztest([B_ORDER_DAY2, A_ORDER_DAY2], [B_N_DAY2, A_N_DAY2])
    assert per_day.p_value[cell] == pytest.approx(p, rel=1e-10)
    # every rate interval at once against statsmodels (no step exceeds its entries here)
    x, n = per_day.conversions, per_day.entries
    low, high = proportion_confint(x, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(per_day.rate_low, low, rtol=1e-12)
    np.testing.assert_allclose(per_day.rate_high, high, rtol=1e-12)
    # every defined p-value, and Holm within each (report, sample)
    for r in range(3):
        for s in range(2):
            ps = []
            for t in range(4):
                xt, nt = x[r, s, B, t], n[r, s, B, t]
                xc, nc = x[r, s, 0, t], n[r, s, 0, t]
                if xt + xc in (0, nt + nc):  # pooled rate 0 or 1: no z-test
                    assert np.isnan(per_day.p_value[r, s, B, t])
                    continue
                _, p = proportions_ztest([xt, xc], [nt, nc])
                assert per_day.p_value[r, s, B, t] == pytest.approx(p, rel=1e-10)
                ps.append((t, p))
            holm = multipletests([p for _, p in ps], method="holm")[1]
            for (t, _), adj in zip(ps, holm, strict=True):
                assert per_day.p_adjusted[r, s, B, t] == pytest.approx(adj, rel=1e-10)
    chi2, p = sps.chisquare([A_N_DAY2, B_N_DAY2])
    assert per_day.sample_ratio.chi2[AGG, 1] == pytest.approx(chi2, rel=1e-12)


def test_each_statistic_is_one_call_over_every_cell(
    v2: ttstats.Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    shapes: dict[str, list[tuple[int, ...]]] = {}
    names = (
        "proportion_interval",
        "difference_interval",
        "lift_interval",
        "proportion_test",
        "minimum_detectable_lift",
        "adjust_pvalues",
        "sample_ratio_test",
        "always_valid_pvalue",
        "confidence_sequence",
    )
    for name in names:
        real = getattr(COMPARE_MODULE, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            shapes.setdefault(_name, []).append(np.shape(args[0]))
            return _real(*args, **kwargs)

        monkeypatch.setattr(COMPARE_MODULE, name, spy)
    compare(v2, "Experience A", by_sample=True)
    assert set(shapes) == set(names)
    # one call each; the correction twice: the fixed-horizon and the always-valid p-values
    assert all(len(calls) == 1 for n, calls in shapes.items() if n != "adjust_pvalues"), shapes
    assert shapes["proportion_test"] == [(3, 2, 2, 4)]
    assert shapes["adjust_pvalues"] == [(3, 2, 8)] * 2  # family: recipes x steps per sample
    assert shapes["always_valid_pvalue"] == [(3, 2, 2, 4)]  # running totals over the samples
    assert shapes["sample_ratio_test"] == [(3, 2, 2)]


# -- (3) simulated truth -----------------------------------------------------------------------
def test_large_true_lift_is_found_and_covered() -> None:
    # Ten segments (independent experiments) and their aggregate; true rates 5% and 6%, so
    # the true lift is 0.2 and the true difference 0.01.
    spec = ExperimentSpec(
        n_samples=1,
        type="visit",
        segments=tuple(f"S{i}" for i in range(10)),
        recipes=("A", "B"),
        steps=("Entry", "Order"),
        rates=[[1.0, 0.05], [1.0, 0.06]],
        traffic=50_000.0,
        seed=0,
    )
    res = compare(ttstats.read_report(generate_report_bytes(spec)), "A")
    assert res.significant[:, 1, 0].all()
    low, high = res.lift_low[:, 1, 0], res.lift_high[:, 1, 0]
    assert low[-1] <= 0.2 <= high[-1]  # the aggregate, 500k entries per arm
    assert res.diff_low[-1, 1, 0] <= 0.01 <= res.diff_high[-1, 1, 0]
    # 95% intervals: a seed may miss a segment or two (seed 11 misses three of the 11)
    assert ((low <= 0.2) & (high >= 0.2)).sum() >= 9


def test_intervals_cover_the_true_lift_at_their_level() -> None:
    # 500 independent experiments (50 segments x 10 seeds): coverage of the 95% intervals.
    lift_hits, diff_hits = [], []
    for seed in range(10):
        spec = ExperimentSpec(
            n_samples=1,
            type="visit",
            segments=tuple(f"S{i}" for i in range(50)),
            include_aggregate=False,
            recipes=("A", "B"),
            steps=("Entry", "Order"),
            rates=[[1.0, 0.05], [1.0, 0.06]],
            traffic=20_000.0,
            seed=seed,
        )
        res = compare(ttstats.read_report(generate_report_bytes(spec)), "A")
        lift_hits.append((res.lift_low[:, 1, 0] <= 0.2) & (res.lift_high[:, 1, 0] >= 0.2))
        diff_hits.append((res.diff_low[:, 1, 0] <= 0.01) & (res.diff_high[:, 1, 0] >= 0.01))
    # binomial sd of a 95% coverage over 500 is ~0.01: three sd either way
    assert 0.92 <= np.mean(lift_hits) <= 0.98
    assert 0.92 <= np.mean(diff_hits) <= 0.98


def test_aa_false_positive_rate_is_near_alpha() -> None:
    # Equal true rates: 50 independent segments per seed, 8 seeds = 400 A/A tests.
    hits, total = 0, 0
    for seed in range(8):
        spec = ExperimentSpec(
            n_samples=1,
            type="visit",
            segments=tuple(f"S{i}" for i in range(50)),
            include_aggregate=False,
            recipes=("A", "B"),
            steps=("Entry", "Order"),
            rates=[[1.0, 0.1], [1.0, 0.1]],
            traffic=2_000.0,
            seed=seed,
        )
        res = compare(ttstats.read_report(generate_report_bytes(spec)), "A")
        p = res.p_adjusted[:, 1, 0]
        assert np.isfinite(p).all()
        hits += int(res.significant[:, 1, 0].sum())
        total += p.size
    # Expected 20 of 400 (sd ~4.4); a loose two-sided bound.
    assert 0.02 <= hits / total <= 0.09


# -- (4) per-entry steps -----------------------------------------------------------------------
def test_steps_counting_events_are_per_entry_rates() -> None:
    spec = ExperimentSpec(
        n_samples=1,
        type="visit",
        segments=(),
        recipes=("A", "B"),
        steps=("Entry", "Clicks", "Order"),
        event_steps=("Clicks",),
        rates=[[1.0, 2.0, 0.1], [1.0, 2.5, 0.12]],
        traffic=5_000.0,
        seed=3,
    )
    report = ttstats.read_report(generate_report_bytes(spec))
    res = compare(report, "A")
    x, n = report.count[0, 0, :, 1], report.count[0, 0, :, 0]
    assert (x > n).all()
    assert res.per_entry.tolist() == [True, False]
    np.testing.assert_array_equal(res.rate[0, :, 0], x / n)
    assert res.diff[0, 1, 0] == pytest.approx(x[1] / n[1] - x[0] / n[0], rel=1e-12)
    assert res.lift[0, 1, 0] == pytest.approx((x[1] / n[1]) / (x[0] / n[0]) - 1, rel=1e-12)
    for name in ("rate_low", "rate_high", "diff_low", "lift_high", "statistic", "p_value"):
        assert np.isnan(getattr(res, name)[0, :, 0]).all(), name
    assert np.isnan(res.mdl[0, :, 0]).all() and not res.significant[0, :, 0].any()
    assert res.note[0, 1, 0] == PER_ENTRY_NOTE
    assert res.note[0, 0, 0] == "control; " + PER_ENTRY_NOTE
    # the per-entry step is not in the family: Holm over the one remaining test is the p-value
    assert res.p_adjusted[0, 1, 1] == res.p_value[0, 1, 1]
    assert res.note[0, 1, 1] == ""


def test_a_step_exceeding_anywhere_is_per_entry_everywhere() -> None:
    xml = _xml(
        {
            "A": {"Entry": "1000", "Views": "1500", "Order": "50"},
            "B": {"Entry": "1000", "Views": "900", "Order": "70"},
        }
    )
    res = compare(ttstats.read_report(xml), "A")
    assert res.per_entry.tolist() == [True, False]
    assert np.isnan(res.p_value[0, 1, 0]) and np.isnan(res.rate_low[0, 1, 0])
    assert res.rate[0, 1, 0] == 0.9
    assert res.note[0, 1, 0].startswith("count exceeds entries elsewhere in this step")


def test_published_seed_single_recipe(samples_dir: Any) -> None:
    report = read_quietly(sample("seed-abbreviated.xml"))
    res = compare(report, "Experience A")  # one sample: no aggregation warning
    assert res.recipes == ("Experience A",)
    for name in ("diff", "lift", "lift_low", "p_value", "p_adjusted", "mdl"):
        assert np.isnan(getattr(res, name)).all(), name
    assert not res.significant.any()
    assert all(note.startswith("control") for note in res.note.ravel())
    t = res.steps.index("Time on Site")
    assert res.rate[0, 0, t] == pytest.approx(1117 / 476, rel=1e-15)
    assert res.note[0, 0, t] == "control; " + PER_ENTRY_NOTE
    assert np.isnan(res.rate_low[0, 0, t])
    clicked = res.steps.index("Clicked Article")
    low, _ = proportion_confint(255, 476, method="wilson")
    assert res.rate_low[0, 0, clicked] == pytest.approx(low, rel=1e-12)
    assert set(res.sample_ratio.reason.tolist()) == {"a single recipe: no split to check"}
    assert np.isnan(res.sample_ratio.p_value).all() and not res.sample_ratio.flagged.any()
    assert len(res.to_frame()) == 3 * 1 * len(res.steps)


# -- (5) names and arguments -------------------------------------------------------------------
def test_unknown_control_lists_the_recipes(v2: ttstats.Report) -> None:
    with pytest.raises(UnknownLabelError, match=r"recipes are \['Experience A', 'Experience B'\]"):
        compare(v2, "Campaign", by_sample=True)
    with pytest.raises(ValueError, match="Experience B"):
        compare(v2, "experience a", by_sample=True)
    with pytest.raises(KeyError, match="control='nope'"):
        compare(v2, "nope", by_sample=True)


@pytest.mark.parametrize(
    "kwargs", [{"entry": "Entries"}, {"steps": ["Order Confirmation", "Orders"]}]
)
def test_unknown_steps_list_the_steps(v2: ttstats.Report, kwargs: dict[str, Any]) -> None:
    with pytest.raises(UnknownLabelError, match=r"steps are \['Entry', 'Display mboxes'"):
        compare(v2, "Experience A", by_sample=True, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"method": "score"}, "method"),
        ({"lift_method": "wilson"}, "lift_method"),
        ({"test": "t"}, "test"),
        ({"correction": "BH"}, "correction"),
        ({"alpha": 0.0}, "alpha"),
        ({"steps": ["Display mboxes", "Display mboxes"]}, "steps"),
    ],
)
def test_invalid_arguments_are_named(v2: ttstats.Report, kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        compare(v2, "Experience A", by_sample=True, **kwargs)


# -- (6) sample ratio --------------------------------------------------------------------------
def test_sample_ratio_mismatch_is_flagged() -> None:
    xml = _xml(
        {
            "A": {"Entry": "1000", "Order": "50"},
            "B": {"Entry": "1200", "Order": "60"},
        }
    )
    res = compare(ttstats.read_report(xml), "A")
    # By hand: expected 1100 each, X^2 = 2 * 100^2 / 1100 = 18.18..., 1 df.
    chi2 = 2 * 100**2 / 1100
    assert res.sample_ratio.chi2[0] == pytest.approx(chi2, rel=1e-12)
    assert res.sample_ratio.p_value[0] == pytest.approx(sps.chisquare([1000, 1200]).pvalue)
    assert res.sample_ratio.p_value[0] < 0.001 and res.sample_ratio.flagged[0]
    assert res.sample_ratio.threshold == 0.001
    assert len(res.warnings) == 1 and "sample ratio mismatch" in res.warnings[0]
    assert res.sample_ratio_frame()["flagged"].tolist() == [True]


# -- (7) the frame -----------------------------------------------------------------------------
def test_frame_columns_never_change(summed: Comparison, v2: ttstats.Report) -> None:
    frame = summed.to_frame()
    assert list(frame.columns[: len(FIRST_COLUMNS)]) == FIRST_COLUMNS
    other = compare(
        v2,
        "Experience B",
        by_sample=True,
        method="jeffreys",
        lift_method="score",
        test="fisher",
        correction="fdr_bh",
        steps=["Order Confirmation"],
    ).to_frame()
    assert list(other.columns) == list(frame.columns)
    assert {"type", "is_control", "statistic", "mdl", "sample_start"} <= set(frame.columns)
    assert len(frame) == 3 * 2 * 4
    row = frame.iloc[AGG * 8 + B * 4 + ORDER]  # rows in (report, recipe, step) order
    assert (row["recipe"], row["step"], row["conversions"]) == (
        "Experience B",
        "Order Confirmation",
        41.0,
    )
    assert frame["significant"].dtype == bool
    assert "<table" in (summed._repr_html_() or "")


def test_comparison_is_immutable(summed: Comparison) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        summed.alpha = 0.1  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        summed.p_value[0, 0, 0] = 0.0
    assert summed.method == "wilson" and summed.diff_method == "newcombe"
    assert summed.segments == ("Segment 1", "Segment 2", None)
    assert "Comparison vs 'Experience A'" in repr(summed)


def test_counts_that_are_not_counts_are_not_proportions() -> None:
    xml = _xml(
        {
            "A": {"Entry": "1000", "Order": "50.5"},
            "B": {"Entry": "1000", "Order": "70"},
            "C": {"Entry": "0", "Order": "0"},
        }
    )
    res = compare(ttstats.read_report(xml), "B")
    assert res.note[0, 0, 0] == "count is not a whole number >= 0: not a proportion"
    assert np.isnan(res.p_value[0, 0, 0]) and np.isnan(res.rate_low[0, 0, 0])
    assert res.note[0, 2, 0] == "treatment: no entries (n = 0)"
    assert np.isnan(res.rate[0, 2, 0])


def test_frame_keeps_none_for_the_aggregate_segment() -> None:
    report = ttstats.read_report(sample("v2-small.xml"))
    with pytest.warns(ttstats.AggregationWarning, match="visitor"):
        frame = ttstats.compare(report, "Experience A").to_frame()
    assert frame.loc[frame.report == 2, "segment"].map(lambda x: x is None).all()
    assert frame.segment.dtype == object


def test_a_sample_reporting_entries_without_the_step_is_left_out_of_both() -> None:
    """Day 2 holds A's entries but not its orders: summing entries of both days over the
    orders of one would halve A's rate. The pair of day 2 is left out, and the note says so."""
    xml = (
        '<reports><report campaignId="1" start="2024-03-01" end="2024-03-03" resolution="day" '
        'type="visit">'
        + "".join(
            f'<sample start="2024-03-0{d}T00:00" duration="day">'
            '<recipe name="A"><step name="Entry">1000</step><step name="Buy">50</step></recipe>'
            '<recipe name="B"><step name="Entry">1000</step><step name="Buy">80</step></recipe>'
            "</sample>"
            for d in (1, 2)
        )
        + "</report></reports>"
    )
    full = ttstats.read_report(xml)
    buy, a = full.step_index("Buy"), full.recipe_index("A")

    def drop(arr: np.ndarray) -> np.ndarray:
        out = arr.copy()
        out[0, 1, a, buy] = np.nan  # day 2: A's orders not reported
        return out

    holed = dataclasses.replace(full, cells=full.cells.map(drop))
    res = compare(holed, "B", steps=["Buy"])
    assert res.entries[0, a, 0] == 1000 and res.conversions[0, a, 0] == 50
    assert res.rate[0, a, 0] == pytest.approx(0.05)
    assert "1 sample(s) report only one of Entry and Buy: left out of both" in res.note[0, a, 0]
    assert res.entries[0, 1, 0] == 2000  # B: both days
    # the per-sample comparison leaves day 2 of A out; the always-valid totals run on the pairs
    daily = compare(holed, "B", steps=["Buy"], by_sample=True)
    assert np.isnan(daily.rate[0, 1, a, 0]) and "not compared" in daily.note[0, 1, a, 0]
    running = ttstats.stats.always_valid_pvalue([50, 50], [1000, 1000], [80, 160], [1000, 2000])
    assert res.av_p_value[0, a, 0] == pytest.approx(running.pvalue[-1], rel=1e-12)


def _two_days(day2_a: str) -> str:
    """A and B over two days; A's day-2 recipe as given."""
    return (
        '<reports><report campaignId="1" start="2024-03-01" end="2024-03-03" resolution="day" '
        'type="visit"><sample start="2024-03-01T00:00" duration="day">'
        '<recipe name="A"><step name="Entry"><amount>1000</amount></step>'
        '<step name="Buy"><amount>50</amount></step></recipe>'
        '<recipe name="B"><step name="Entry"><amount>1000</amount></step>'
        '<step name="Buy"><amount>60</amount></step></recipe></sample>'
        f'<sample start="2024-03-02T00:00" duration="day"><recipe name="A">{day2_a}</recipe>'
        '<recipe name="B"><step name="Entry"><amount>1000</amount></step>'
        '<step name="Buy"><amount>60</amount></step></recipe></sample></report></reports>'
    )


def test_a_step_missing_from_a_recipe_is_not_a_zero() -> None:
    report = read_quietly(_two_days('<step name="Entry"><amount>1000</amount></step>'))
    assert np.isnan(report.count[0, 1, 0, 1])  # not reported, not zero
    assert [w.kind for w in report.warnings] == ["missing-step"]
    res = compare(report, "B", steps=["Buy"])
    # A: day 1 only (50 of 1000), B: both days (120 of 2000): -16.7%, as by hand
    assert res.lift[0, 0, 0] == pytest.approx((50 / 1000) / (120 / 2000) - 1)


def test_an_unreadable_entry_count_does_not_fake_a_sample_ratio_mismatch() -> None:
    report = read_quietly(
        _two_days(
            '<step name="Entry"><amount>1,000</amount></step><step name="Buy"><amount>50'
            "</amount></step>"
        )
    )
    res = compare(report, "B", steps=["Buy"])
    # day 2 lacks A's entries: the ratio is checked on day 1 alone, 1000 against 1000
    assert res.sample_ratio.entries[0] == 2000 and not res.sample_ratio.flagged[0]
    assert res.entries[0, 0, 0] == 1000 and res.conversions[0, 0, 0] == 50


def test_a_path_or_a_truthy_string_is_not_taken_for_what_it_is_not() -> None:
    """``sequential="no"`` is truthy: it would switch to the always-valid verdicts; a path is
    not a Report. Both are refused, naming the argument."""
    report = read_quietly(sample("v2-small.xml"))
    for call in (
        lambda: ttstats.compare(report, "Experience A", sequential="no"),  # type: ignore[arg-type]
        lambda: ttstats.compare(report, "Experience A", by_sample=1),  # type: ignore[arg-type]
        lambda: ttstats.compare_means(
            report,
            "Experience A",
            metric="Time on Site",
            by_sample="yes",  # type: ignore[arg-type]
        ),
    ):
        with pytest.raises(TypeError, match=r"(sequential|by_sample) must be True or False"):
            call()
    path = str(sample("v2-small.xml"))
    for call in (
        lambda: ttstats.compare(path, "Experience A"),  # type: ignore[arg-type]
        lambda: ttstats.compare_means(path, "Experience A", metric="x"),  # type: ignore[arg-type]
        lambda: ttstats.cumulative(path, "Experience A", metric="x"),  # type: ignore[arg-type]
        lambda: ttstats.build_readout(path),  # type: ignore[arg-type]
        lambda: ttstats.decide(path, control="A", metric="B"),  # type: ignore[arg-type]
        lambda: ttstats.extreme_orders(path, control="A", metric="B"),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match=r"report must be a Report \(ttstats.read_report"):
            call()
    with pytest.warns(ttstats.AggregationWarning):
        summed = ttstats.compare(report, "Experience A", sequential=np.bool_(False))
    assert summed.sequential is False

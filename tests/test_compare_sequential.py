"""``compare(..., sequential=True)``: always-valid p-values over the samples of a report.

Expected values: the published v2-small.xml's counts per day, read by hand (line numbers in
test_compare.py), run through the normal mixture likelihood ratio integrated numerically
(``mixture_log_ratio`` of test_stats_sequential, scipy's quad); the correction from
statsmodels' ``multipletests``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

import ttstats
import ttstats.stats
from ttstats.analysis import compare
from ttstats.simulate import ExperimentSpec, generate_report_bytes

from .conftest import read_quietly, sample
from .test_compare import AGG, ORDER, B
from .test_stats_sequential import mixture_log_ratio

# v2-small.xml is a visitor report: summing its two days warns (tested in test_compare.py).
pytestmark = pytest.mark.filterwarnings("ignore::ttstats.AggregationWarning")

# Aggregate report, Order Confirmation: running totals after day 1 and day 2.
A_DAYS = [(8, 193), (13, 382)]
B_DAYS = [(24, 196), (41, 392)]


@pytest.fixture(scope="module")
def v2() -> ttstats.Report:
    return read_quietly(sample("v2-small.xml"))


def expected_av_p(a_days: list[tuple[int, int]], b_days: list[tuple[int, int]]) -> float:
    xa, na = A_DAYS[0]
    xb, nb = B_DAYS[0]
    tau2 = (0.1 * (xa + xb) / (na + nb)) ** 2  # the documented default, from the first look
    inverse = []
    for (xc, nc), (xt, nt) in zip(a_days, b_days, strict=True):
        pt, pc = xt / nt, xc / nc
        var = pt * (1 - pt) / nt + pc * (1 - pc) / nc
        inverse.append(math.exp(-mixture_log_ratio(pt - pc, var, tau2)))
    return min(1.0, *inverse)


def test_always_valid_p_value_of_the_published_sample(v2: ttstats.Report) -> None:
    res = compare(v2, "Experience A")
    got = res.av_p_value[AGG, B, ORDER]
    assert got == pytest.approx(expected_av_p(A_DAYS, B_DAYS), rel=1e-9)
    # the day-by-day comparison carries the running value at each sample
    daily = compare(v2, "Experience A", by_sample=True)
    first = expected_av_p(A_DAYS[:1], B_DAYS[:1])
    assert daily.av_p_value[AGG, 0, B, ORDER] == pytest.approx(first, rel=1e-9)
    assert daily.av_p_value[AGG, -1, B, ORDER] == pytest.approx(got, rel=1e-12)
    assert daily.av_p_value[AGG, 1, B, ORDER] <= daily.av_p_value[AGG, 0, B, ORDER]


def test_sequential_decides_on_the_adjusted_always_valid_p_values(v2: ttstats.Report) -> None:
    fixed = compare(v2, "Experience A")
    seq = compare(v2, "Experience A", sequential=True)
    np.testing.assert_array_equal(fixed.av_p_value, seq.av_p_value, strict=True)
    np.testing.assert_array_equal(seq.significant, seq.av_p_adjusted < 0.05)
    np.testing.assert_array_equal(fixed.significant, fixed.p_adjusted < 0.05)
    # Holm within each report over every (recipe, step): statsmodels on the same p-values
    for r in range(len(v2.reports)):
        fam = seq.av_p_value[r, B]
        keep = ~np.isnan(fam)
        adj = multipletests(fam[keep], method="holm")[1]
        np.testing.assert_allclose(seq.av_p_adjusted[r, B][keep], adj, rtol=1e-12)
    # the always-valid p-value is never below the fixed-horizon one on this two-day sample
    both = ~np.isnan(seq.p_value) & ~np.isnan(seq.av_p_value)
    assert (seq.av_p_value[both] >= seq.p_value[both]).all()
    assert "always-valid" in repr(seq)


def test_confidence_sequence_holds_the_difference(v2: ttstats.Report) -> None:
    res = compare(v2, "Experience A")
    ok = ~np.isnan(res.cs_low)
    assert (res.cs_low[ok] <= res.diff[ok]).all() and (res.diff[ok] <= res.cs_high[ok]).all()
    # a wider band than the fixed interval: it holds at every look at once
    both = ok & ~np.isnan(res.diff_low)
    assert ((res.cs_high - res.cs_low)[both] >= (res.diff_high - res.diff_low)[both]).all()
    # and 0 outside the sequence exactly where the always-valid p-value is below alpha
    excludes = (res.cs_low > 0) | (res.cs_high < 0)
    np.testing.assert_array_equal(excludes[ok], res.av_p_value[ok] < 0.05)


def test_frame_has_the_sequential_columns_whatever_the_arguments(v2: ttstats.Report) -> None:
    for kwargs in ({}, {"sequential": True}, {"by_sample": True}):
        frame = compare(v2, "Experience A", **kwargs).to_frame()  # type: ignore[arg-type]
        for name in ("av_p_value", "av_p_adjusted", "cs_low", "cs_high"):
            assert name in frame.columns
        control = frame[frame["is_control"]]
        assert control["av_p_value"].isna().all()


def test_simulated_aa_experiment_rarely_wins_sequentially() -> None:
    # 20 A/A experiments of 30 daily samples: every recipe converts at the same true rate.
    # Looking at every day and stopping at the first significant look is what by_sample=True
    # and the running always-valid p-value model: it must stay at or below alpha per look.
    wins = peeking_wins = 0
    for seed in range(20):
        spec = ExperimentSpec(
            n_samples=30,
            seed=seed,
            traffic=300.0,
            steps=("Entry", "Order"),
            rates=[1.0, 0.05],
            recipes=("A", "B"),
            type="visit",
        )
        report = ttstats.read_report(generate_report_bytes(spec, version=2))
        daily = compare(report, "A", by_sample=True, sequential=True)
        wins += bool(daily.significant[..., 1, 0].any())
        # the fixed-horizon test on the same running totals, acted on at its first p < 0.05
        running = np.cumsum(report.count, axis=1)
        x, n = running[..., 1], running[..., 0]
        fixed = ttstats.stats.proportion_test(x[..., 1], n[..., 1], x[..., 0], n[..., 0])
        peeking_wins += bool((fixed.pvalue < 0.05).any())
    # Three correlated reports per experiment (two segments and the aggregate), Holm within
    # each: the always-valid test may err in about 5-15% of experiments at most; peeking at
    # the fixed test errs in far more (9 of these 20).
    assert wins <= 2
    assert peeking_wins >= 5

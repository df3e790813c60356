"""``ttstats.compare_segments``: heterogeneity of the lift across segments, Simpson's paradox.

Expected values: Cochran's Q worked from the counts of the documents written here (log lifts
and delta-method variances by hand, in the comments), scipy's chi-square tail, and constructed
cases with and without a Simpson's paradox.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

import ttstats
from ttstats.analysis import compare_segments


def _report(segment: str | None, recipes: dict[str, tuple[int, int]], kind: str = "visit") -> str:
    seg = f' segment="{segment}" segmentId="{abs(hash(segment)) % 100}"' if segment else ""
    body = "".join(
        f'<recipe name="{name}"><step name="Entry"><amount>{n}</amount></step>'
        f'<step name="Order"><amount>{x}</amount></step></recipe>'
        for name, (n, x) in recipes.items()
    )
    return (
        f'<report campaignId="1" start="2024-03-01" end="2024-03-02" resolution="day" '
        f'type="{kind}"{seg}><sample start="2024-03-01T00:00" duration="day">{body}</sample>'
        "</report>"
    )


def _doc(*reports: str) -> ttstats.Report:
    return ttstats.read_report("<reports>" + "".join(reports) + "</reports>")


THREE = {
    "S1": {"A": (2000, 100), "B": (2000, 130)},
    "S2": {"A": (1500, 90), "B": (1500, 80)},
    "S3": {"A": (1000, 40), "B": (1000, 60)},
}


def test_cochran_q_over_three_segments_worked_by_hand() -> None:
    agg = {"A": (4500, 230), "B": (4500, 270)}
    report = _doc(*(_report(s, r) for s, r in THREE.items()), _report(None, agg))
    seg = compare_segments(report, "A")
    # y = log(x_B/x_A) (equal entries); v = 1/x_B - 1/n + 1/x_A - 1/n:
    #   S1: log(1.3) = 0.262364, v = 1/130 + 1/100 - 2/2000 = 0.0166923
    #   S2: log(80/90) = -0.117783, v = 1/80 + 1/90 - 2/1500 = 0.0222778
    #   S3: log(1.5) = 0.405465, v = 1/60 + 1/40 - 2/1000 = 0.0396667
    y = np.array([math.log(1.3), math.log(80 / 90), math.log(1.5)])
    v = np.array([1 / 130 + 1 / 100 - 0.001, 1 / 80 + 1 / 90 - 2 / 1500, 1 / 60 + 1 / 40 - 0.002])
    w = 1 / v
    pooled = (w * y).sum() / w.sum()
    q = float((w * (y - pooled) ** 2).sum())
    row = seg.to_frame().iloc[0]
    assert row["recipe"] == "B" and row["segments"] == 3 and row["df"] == 2
    assert row["q"] == pytest.approx(q, rel=1e-12)
    assert row["p_value"] == pytest.approx(stats.chi2.sf(q, 2), rel=1e-10)
    assert row["i_squared"] == pytest.approx(max(0.0, (q - 2) / q), rel=1e-12)
    assert row["aggregate_lift"] == pytest.approx(270 / 230 - 1, rel=1e-12)
    assert row["lift_min"] == pytest.approx(80 / 90 - 1) and row["lift_max"] == pytest.approx(0.5)
    assert not row["simpson"] and row["note"] == "" and seg.warnings == ()
    # the per-segment sample-ratio checks travel with it: one per report
    assert len(seg.sample_ratio_frame()) == 4


def test_simpsons_paradox_is_flagged() -> None:
    # B converts less than A in both segments but more in the aggregate: B's traffic sits in
    # the high-converting segment (50% vs 49%, 10% vs 9%; aggregate 14% vs 45%).
    s1 = _report("High", {"A": (100, 50), "B": (900, 441)})
    s2 = _report("Low", {"A": (900, 90), "B": (100, 9)})
    agg = _report(None, {"A": (1000, 140), "B": (1000, 450)})
    with pytest.warns(ttstats.AggregationWarning, match="Simpson's paradox on Order"):
        seg = compare_segments(_doc(s1, s2, agg), "A")
    row = seg.to_frame().iloc[0]
    assert bool(row["simpson"])
    assert (
        "'B' is above 'A' in the aggregate (+221.4%) but below it in every segment"
        in (seg.warnings[0])
    )
    assert "High -2.0%, Low -10.0%" in seg.warnings[0]


def test_no_paradox_when_the_segments_agree_or_split() -> None:
    agree = _doc(
        _report("S1", {"A": (1000, 50), "B": (1000, 60)}),
        _report("S2", {"A": (1000, 30), "B": (1000, 40)}),
        _report(None, {"A": (2000, 80), "B": (2000, 100)}),
    )
    split = _doc(
        _report("S1", {"A": (1000, 50), "B": (1000, 60)}),
        _report("S2", {"A": (1000, 40), "B": (1000, 30)}),
        _report(None, {"A": (2000, 90), "B": (2000, 90)}),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ttstats.AggregationWarning)
        for report in (agree, split):
            seg = compare_segments(report, "A")
            assert not seg.simpson.any()


def test_without_an_aggregate_report_says_so_and_never_sums() -> None:
    report = _doc(*(_report(s, r) for s, r in THREE.items()))
    seg = compare_segments(report, "A")
    row = seg.to_frame().iloc[0]
    assert np.isnan(row["aggregate_lift"]) and row["aggregate_report"] is pd_na()
    assert "no aggregate report" in row["note"] and "not their sum" in row["note"]
    assert any("no aggregate report of type 'visit'" in w for w in seg.warnings)
    assert row["q"] > 0  # the segments are still compared with each other


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def test_groups_by_type_and_undefined_segments() -> None:
    report = _doc(
        _report("S1", {"A": (1000, 0), "B": (1000, 5)}, kind="visit"),  # no control conversion
        _report("S2", {"A": (1000, 30), "B": (1000, 40)}, kind="visit"),
        _report(None, {"A": (2000, 30), "B": (2000, 45)}, kind="visit"),
        _report(None, {"A": (800, 20), "B": (800, 30)}, kind="visitor"),
    )
    seg = compare_segments(report, "A")
    assert seg.types == ("visit", "visitor")
    frame = seg.to_frame()
    visit, visitor = frame.iloc[0], frame.iloc[1]
    # S1 has no log lift (control rate 0): one segment left, so no Q
    assert visit["segments"] == 1 and np.isnan(visit["q"])
    assert "fewer than two groups" in visit["note"]
    assert visitor["segments"] == 0 and np.isnan(visitor["q"])
    assert visitor["aggregate_lift"] == pytest.approx(0.5)
    with pytest.raises(ttstats.UnknownLabelError, match="steps are"):
        compare_segments(report, "A", metric="Nope")
    with pytest.raises(ValueError, match="entry step"):
        compare_segments(report, "A", metric="Entry")

"""``ttstats.cumulative``: running totals, rates, lift and always-valid inference per sample.

Expected values: counts read by hand from the published v2-small.xml (lines cited in
test_compare.py) and from the small documents written here, intervals from statsmodels
(``proportion_confint``, ``confint_proportions_2indep``), the test from statsmodels'
``proportions_ztest``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

import ttstats
from ttstats.analysis import UnknownLabelError, compare, cumulative

from .conftest import read_quietly, sample

pytestmark = pytest.mark.filterwarnings("ignore::ttstats.AggregationWarning")


def _doc(resolution: str, samples: dict[str, dict[str, tuple[int, int]]]) -> str:
    """One aggregate report; ``samples`` maps a start to {recipe: (entries, orders)}."""
    body = "".join(
        f'<sample start="{start}" duration="{resolution}">'
        + "".join(
            f'<recipe name="{name}"><step name="Entry"><amount>{n}</amount></step>'
            f'<step name="Order"><amount>{x}</amount></step></recipe>'
            for name, (n, x) in recipes.items()
        )
        + "</sample>"
        for start, recipes in samples.items()
    )
    first, last = min(samples), max(samples)
    return (
        f'<reports><report campaignId="1" start="{first[:10]}" end="{last[:10]}" '
        f'resolution="{resolution}" type="visit">{body}</report></reports>'
    )


def test_running_totals_of_the_published_sample() -> None:
    v2 = read_quietly(sample("v2-small.xml"))
    res = cumulative(v2, "Experience A", metric="Order Confirmation")
    frame = res.to_frame()
    agg = frame[frame["segment"].isna()]
    a = agg[agg["recipe"] == "Experience A"]
    b = agg[agg["recipe"] == "Experience B"]
    # by hand: A day 1 193 entries / 8 orders, day 2 189 / 5; B 196 / 24 then 196 / 17
    assert a["entries"].tolist() == [193, 189] and a["cum_entries"].tolist() == [193, 382]
    assert a["cum_conversions"].tolist() == [8, 13]
    assert b["cum_entries"].tolist() == [196, 392] and b["cum_conversions"].tolist() == [24, 41]
    low, high = proportion_confint(8, 193, alpha=0.05, method="wilson")
    assert a["rate_low"].iloc[0] == pytest.approx(low, rel=1e-12)
    assert a["rate_high"].iloc[0] == pytest.approx(high, rel=1e-12)
    _, p = proportions_ztest([24, 8], [196, 193])
    assert b["p_value"].iloc[0] == pytest.approx(p, rel=1e-10)
    low, high = confint_proportions_2indep(41, 392, 13, 382, compare="ratio", method="log")
    assert b["lift_low"].iloc[1] == pytest.approx(low - 1, rel=1e-10)
    assert b["lift_high"].iloc[1] == pytest.approx(high - 1, rel=1e-10)
    assert (a["note"] == "control").all() and a["av_p_value"].isna().all()


def test_last_sample_repeats_compare() -> None:
    v2 = read_quietly(sample("v2-small.xml"))
    res = cumulative(v2, "Experience A", metric="Order Confirmation")
    comp = compare(v2, "Experience A", steps=["Order Confirmation"])
    last = res.in_grid.shape[1] - 1
    for name in ("rate", "lift", "p_value", "av_p_value"):
        np.testing.assert_allclose(
            getattr(res, name)[:, last], getattr(comp, name)[..., 0], rtol=1e-13
        )
    np.testing.assert_array_equal(res.cum_entries[:, last], comp.entries[..., 0])


def test_omitted_samples_count_as_zero_on_every_resolution() -> None:
    cases = {
        "hour": (["2024-03-01T10:00", "2024-03-01T12:00"], "2024-03-01T11:00"),
        "day": (["2024-03-01T00:00", "2024-03-03T00:00"], "2024-03-02T00:00"),
        "week": (["2024-03-04T00:00", "2024-03-18T00:00"], "2024-03-11T00:00"),
        "month": (["2024-01-01T00:00", "2024-03-01T00:00"], "2024-02-01T00:00"),
    }
    for resolution, (present, omitted) in cases.items():
        doc = _doc(
            resolution,
            {
                present[0]: {"A": (1000, 50), "B": (1000, 70)},
                present[1]: {"A": (900, 40), "B": (950, 60)},
            },
        )
        res = cumulative(ttstats.read_report(doc), "A")
        frame = res.to_frame()
        starts = frame["sample_start"].drop_duplicates().tolist()
        assert starts == [pd.Timestamp(t) for t in (present[0], omitted, present[1])], resolution
        b = frame[frame["recipe"] == "B"]
        assert b["entries"].tolist() == [1000, 0, 950]
        assert b["cum_entries"].tolist() == [1000, 1000, 1950]
        assert b["cum_conversions"].tolist() == [70, 70, 130]
        # the omitted sample adds nothing: the same look again, the same p-values
        assert b["p_value"].iloc[1] == b["p_value"].iloc[0]
        assert b["av_p_value"].iloc[1] == b["av_p_value"].iloc[0]
        assert (b["av_p_value"].diff().dropna() <= 0).all()


def test_a_cell_not_reported_adds_nothing_and_says_so() -> None:
    # The parser fills a present sample's missing cells with 0 (with a warning for a missing
    # recipe); a Report built otherwise may hold NaN inside the grid: it must add nothing.
    doc = _doc(
        "day",
        {
            "2024-03-01T00:00": {"A": (100, 5), "B": (100, 9)},
            "2024-03-02T00:00": {"A": (100, 6), "B": (100, 7)},
            "2024-03-03T00:00": {"A": (100, 4), "B": (100, 8)},
        },
    )
    report = ttstats.read_report(doc)
    count = report.count.copy()
    count[0, 1, 1, :] = np.nan  # B not reported on day 2
    holed = dataclasses.replace(report, cells=dataclasses.replace(report.cells, count=count))
    frame = cumulative(holed, "A").to_frame()
    b = frame[frame["recipe"] == "B"]
    assert np.isnan(b["entries"].iloc[1])
    assert b["cum_entries"].tolist() == [100, 100, 200]
    assert b["cum_conversions"].tolist() == [9, 9, 17]
    assert b["note"].iloc[1].startswith("not reported in this sample")
    assert b["note"].iloc[2] == ""


def test_per_entry_metric_and_errors() -> None:
    doc = _doc(
        "day",
        {
            "2024-03-01T00:00": {"A": (100, 150), "B": (100, 90)},
            "2024-03-02T00:00": {"A": (100, 60), "B": (100, 80)},
        },
    )
    report = ttstats.read_report(doc)
    res = cumulative(report, "A")
    assert res.per_entry
    frame = res.to_frame()
    assert frame["rate"].tolist()[:2] == [1.5, 0.9]  # per-entry rates are still shown
    treated = frame[~frame["is_control"]]
    assert treated[["rate_low", "p_value", "av_p_value", "cs_low"]].isna().all().all()
    assert (treated["note"] == "count exceeds entries: a per-entry rate, not a proportion").all()
    with pytest.raises(UnknownLabelError, match="recipes are"):
        cumulative(report, "C")
    with pytest.raises(UnknownLabelError, match="steps are"):
        cumulative(report, "A", metric="Nope")
    with pytest.raises(ValueError, match="entry step"):
        cumulative(report, "A", metric="Entry")
    with pytest.raises(ValueError, match="method"):
        cumulative(report, "A", method="exact")  # type: ignore[arg-type]
    assert "Cumulative 'Order' vs 'A'" in repr(res)


def test_reports_over_different_periods_each_run_on_their_own_grid() -> None:
    """A segment over days 3-6 beside an aggregate over days 1-3 (as in the API page's own
    example, reports of one file may cover different periods): each report's running totals
    and always-valid p-values are its own, and nothing outside its grid is made up."""

    def report(segment: str | None, days: list[int], a: tuple[int, int], b: tuple[int, int]) -> str:
        attrs = f' segment="{segment}" segmentId="7"' if segment else ""
        body = "".join(
            f'<sample start="2024-03-0{d}T00:00" duration="day">'
            f'<recipe name="A"><step name="Entry">{a[0] + d}</step><step name="Order">{a[1]}</step></recipe>'
            f'<recipe name="B"><step name="Entry">{b[0]}</step><step name="Order">{b[1] + d}</step></recipe>'
            "</sample>"
            for d in days
        )
        return (
            f'<report campaignId="1" start="2024-03-0{days[0]}" end="2024-03-0{days[-1] + 1}" '
            f'resolution="day" type="visit"{attrs}>{body}</report>'
        )

    plan = {
        0: ("S1", [3, 4, 5, 6], (1000, 50), (1000, 60)),
        1: (None, [1, 2, 3], (2000, 100), (2000, 120)),
    }
    xml = "<reports>" + "".join(report(*p) for p in plan.values()) + "</reports>"
    rep = ttstats.read_report(xml)
    res = cumulative(rep, "A", metric="Order")
    last = compare(rep, "A", steps=["Order"])
    for r, (_, days, a, b) in plan.items():
        grid = res.in_grid[r]
        assert grid.sum() == len(days)
        assert (
            np.isnan(res.av_p_value[r][~grid]).all() and np.isnan(res.cum_entries[r][~grid]).all()
        )
        n_a = np.cumsum([a[0] + d for d in days])
        x_b = np.cumsum([b[1] + d for d in days])
        n_b = np.arange(1, len(days) + 1) * b[0]
        x_a = np.arange(1, len(days) + 1) * a[1]
        expected = ttstats.stats.always_valid_pvalue(x_b, n_b, x_a, n_a).pvalue
        np.testing.assert_allclose(res.av_p_value[r][grid][:, 1], expected, rtol=1e-12)
        np.testing.assert_array_equal(res.cum_entries[r][grid][:, 0], n_a)
        assert last.av_p_value[r, 1, 0] == pytest.approx(expected[-1], rel=1e-12)

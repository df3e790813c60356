"""Report.decimals: the precision a file printed its money and engagement values with.

Every expected value is counted by hand on the text written here: the digits after the
decimal point, less the exponent ("1.5e3": 1 - 3 = -2), and the fewest over the file.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import ttstats
from ttstats.simulate import ExperimentSpec, Poisson, simulate, write_xml

from .conftest import read_quietly


def v2(*steps: tuple[str, str, str]) -> str:
    """A version-2 report: one step per (revenue, total, sumOfSquares) text."""
    body = "".join(
        f'<step name="S{i}"><amount>1</amount><revenue>{rev}</revenue>'
        f'<engagement count="2" total="{tot}" sumOfSquares="{sq}"/></step>'
        for i, (rev, tot, sq) in enumerate(steps)
    )
    return (
        '<reports><report resolution="day"><sample start="2009-08-01T00:00" duration="day">'
        f'<recipe name="A">{body}</recipe><recipe name="Campaign">{body}</recipe>'
        "</sample></report></reports>"
    )


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # the fewest digits win: 2 < 3, 5 < 6, 1 < 6
        ((("1.25", "3.00000", "9.000000"), ("2.500", "4.000000", "1.0")), (2, 5, 1)),
        # no decimal point: 0; a trailing point: 0
        ((("558", "7.", "12"),), (0, 0, 0)),
        # exponents: 15e2 -> 0 - 2, 1.5e3 -> 1 - 3, 2.5E-3 -> 1 + 3, 1e+1 -> 0 - 1
        ((("15e2", "1.5e3", "2.5E-3"), ("1.25", "1e+1", "4.0")), (-2, -2, 1)),
        # white space around a number changes nothing
        ((("  3.14 ", "0.5", "0.25"),), (2, 1, 2)),
    ],
)
def test_fewest_decimals_per_measure(
    steps: tuple[tuple[str, str, str], ...], expected: tuple[int, int, int]
) -> None:
    r = ttstats.read_report(v2(*steps))
    assert r.decimals == {
        "revenue": expected[0],
        "engagement_total": expected[1],
        "engagement_sumsq": expected[2],
    }


def test_summary_recipe_counts_too() -> None:
    xml = v2(("1.25", "3.00000", "9.00000")).replace(
        '<recipe name="Campaign"><step name="S0"><amount>1</amount><revenue>1.25',
        '<recipe name="Campaign"><step name="S0"><amount>1</amount><revenue>1.2',
    )
    assert ttstats.read_report(xml).decimals["revenue"] == 1


def test_unreadable_values_do_not_count_and_missing_measures_are_none() -> None:
    xml = v2(("x.123", "3.00000", "9.00000"), ("1.25", "3.0000", "9.0000"))
    r = read_quietly(xml)
    assert r.decimals == {"revenue": 2, "engagement_total": 4, "engagement_sumsq": 4}
    bare = v2(("1.25", "3.0", "9.0")).replace("<revenue>1.25</revenue>", "")
    bare = bare.replace(' total="3.0" sumOfSquares="9.0"', "")
    r = read_quietly(bare)
    assert r.decimals == {"revenue": None, "engagement_total": None, "engagement_sumsq": None}


def test_version_1_revenue_is_the_recipe_level_amount() -> None:
    xml = (
        '<reports><report resolution="day"><sample start="2009-08-01T00:00" duration="day">'
        '<recipe name="A"><step name="Entry">476.0</step><step name="Buy">12.0</step>'
        "<amount>121.130</amount></recipe></sample></report></reports>"
    )
    r = ttstats.read_report(xml)
    # the step counts (476.0: 1 decimal) are no revenue; the <amount> holds 3
    assert r.decimals == {"revenue": 3, "engagement_total": None, "engagement_sumsq": None}


def test_a_long_number_text_is_counted_too() -> None:
    long = "1." + "0" * 40  # longer than the vectorised reader's window: read one by one
    r = ttstats.read_report(v2((long, "1" + "0" * 35 + ".5", "2.5")))
    assert r.decimals == {"revenue": 40, "engagement_total": 1, "engagement_sumsq": 1}


@pytest.mark.parametrize("version", [1, 2])
def test_simulated_files_report_the_simulators_precision(version: int) -> None:
    # ttstats.simulate writes revenue as "%d.%02d" and engagement as "%d.%02d000" and
    # "%d.%04d0": 2 and 5 decimals
    spec = ExperimentSpec(
        n_samples=5, engagement={"Entry": Poisson(3.0)}, traffic=50.0, p_omit=0.0, seed=11
    )
    buf = io.BytesIO()
    write_xml(simulate(spec), buf, version=version)
    r = ttstats.read_report(buf.getvalue())
    assert r.decimals == {"revenue": 2, "engagement_total": 5, "engagement_sumsq": 5}


def test_sum_samples_keeps_decimals() -> None:
    r = ttstats.read_report(v2(("1.25", "3.00000", "9.0")))
    assert r.sum_samples().decimals == r.decimals


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(
        st.one_of(
            st.from_regex(r"[0-9]{0,9}(\.[0-9]{0,9})?", fullmatch=True),
            st.from_regex(
                # XML white space only (float() also strips Unicode spaces such as U+0085)
                r"[ \t\n\r]?[-+]?[0-9]{1,17}(\.[0-9]{0,17})?([eE][-+]?[0-9]{1,3})?[ \t\n\r]?",
                fullmatch=True,
            ),
            st.floats(allow_nan=False, allow_infinity=False).map(repr),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_numbers_read_as_python_reads_them(texts: list[str]) -> None:
    """The vectorised number reader against Python's own float() on the same text."""
    from ttstats.parse._scan import NO_DECIMALS, ChunkBytes, parse_numbers

    buf = b"".join(t.encode() + b"<" for t in texts)
    ends = np.cumsum([len(t) + 1 for t in texts]) - 1
    starts = ends - np.asarray([len(t) for t in texts])
    values, ok, dec = parse_numbers(ChunkBytes(buf), starts, ends, decimals=True)
    for text, value, good, d in zip(texts, values, ok, dec, strict=True):
        try:
            expected = float(text)
        except ValueError:
            expected = float("nan")
        readable = bool(np.isfinite(expected)) and "n" not in text.lower()
        # a non-zero number too small for float64 (1e-400) is not read as 0
        mantissa = re.split(r"[eE]", text)[0]
        readable &= not (expected == 0.0 and re.search(r"[1-9]", mantissa) is not None)
        assert bool(good) == readable, text
        if readable:
            assert value == expected, text  # exactly: the same double
            m = re.fullmatch(r"\s*[-+]?[0-9]*(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?\s*", text)
            assert m is not None
            assert d == len(m.group(1) or "") - int(m.group(2) or 0), text
        else:
            assert np.isnan(value) and d == NO_DECIMALS, text


def test_sums_in_exponent_notation_are_analysed() -> None:
    """Negative decimals reach the analysis: engaged values 0, 1000, 2000 in A and 0, 1500,
    3000 in B, their sums printed in exponent notation. Means 1000 and 1500, standard
    deviations 1000 and 1500 (by hand); the Welch test is scipy's on those summary statistics. The sums of squares are
    printed to tens (-1), fine enough to resolve those variances (test_stats_moments)."""

    def recipe(name: str, entries: int, units: int, total: str, sumsq: str) -> str:
        return (
            f'<recipe name="{name}"><step name="Entry"><amount>{entries}</amount></step>'
            f'<step name="Order"><amount>{units}</amount><revenue>0</revenue>'
            f'<engagement count="{units}" total="{total}" sumOfSquares="{sumsq}"/></step>'
            "</recipe>"
        )

    xml = (
        '<reports><report resolution="day" type="visit">'
        '<sample start="2009-08-01T00:00" duration="day">'
        + recipe("A", 10, 3, "3.000e3", "5.00000e6")
        + recipe("B", 10, 3, "4.500e3", "1.125000e7")
        + recipe("Campaign", 20, 6, "7.500e3", "1.625000e7")
        + "</sample></report></reports>"
    )
    report = ttstats.read_report(xml)
    assert report.decimals == {"revenue": 0, "engagement_total": 0, "engagement_sumsq": -1}
    frame = ttstats.compare_means(report, "A", metric="Order", per="engaged").to_frame()
    np.testing.assert_allclose(frame["mean"], [1000.0, 1500.0], rtol=1e-12)
    np.testing.assert_allclose(frame["std"], [1000.0, 1500.0], rtol=1e-12)
    expected = stats.ttest_ind_from_stats(1500.0, 1500.0, 3, 1000.0, 1000.0, 3, equal_var=False)
    assert frame["p_value"].iloc[1] == pytest.approx(expected.pvalue, rel=1e-9)
    assert ttstats.check_campaign(report).consistent
    extreme = ttstats.extreme_orders(report, control="A", metric="Order").to_frame()
    np.testing.assert_allclose(extreme["mean"], [1000.0, 1500.0], rtol=1e-12)

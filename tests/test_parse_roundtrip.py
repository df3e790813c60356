"""Generate → XML → read_report → the same numbers (property tests over simulated reports).

The simulator knows the true value of every cell; it writes them as the API would (versions 1
and 2, omitted samples, several segments) and ``read_report`` must give them back exactly.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ttstats
from ttstats.parse import MEASURES, _read
from ttstats.simulate import ExperimentSpec, simulate, write_xml

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def specs(draw: st.DrawFn) -> ExperimentSpec:
    resolution = draw(st.sampled_from(["hour", "day", "week", "month"]))
    start = {
        "hour": "2009-08-01T05:00",
        "day": "2009-08-01T00:00",
        "week": "2009-08-03T00:00",
        "month": "2009-08-01T00:00",
    }[resolution]
    n_segments = draw(st.integers(0, 3))
    n_recipes = draw(st.integers(1, 4))
    n_steps = draw(st.integers(1, 5))
    steps = ("Entry", *[f"Step {i}" for i in range(1, n_steps)])
    engagement_steps = draw(st.lists(st.sampled_from(steps), max_size=2, unique=True))
    return ExperimentSpec(
        n_samples=draw(st.integers(1, 30)),
        start=start,
        resolution=resolution,
        type=draw(st.sampled_from(["visitor", "visit", "impression"])),
        segments=tuple(f"Segment {i}" for i in range(n_segments)),
        include_aggregate=draw(st.booleans()) or n_segments == 0,
        recipes=tuple(f"Experience {chr(65 + i)}" for i in range(n_recipes)),
        steps=steps,
        engagement={s: ttstats.simulate.Poisson(3.0) for s in engagement_steps},
        traffic=draw(st.sampled_from([0.4, 5.0, 200.0])),
        p_omit=draw(st.sampled_from([0.0, 0.2, 0.6])),
        seed=draw(st.integers(0, 2**31 - 1)),
        include_campaign=draw(st.booleans()),
    )


def check_roundtrip(report: ttstats.Report, sim: object, version: int) -> None:
    exp = sim.expected(version)  # type: ignore[attr-defined]
    assert report.version == version
    assert tuple(report.reports) == exp.reports
    np.testing.assert_array_equal(report.samples.start, exp.sample_start)
    assert report.samples.duration == exp.duration
    np.testing.assert_array_equal(report.present, exp.present)
    np.testing.assert_array_equal(report.in_grid, exp.in_grid)
    for m in MEASURES:
        np.testing.assert_array_equal(getattr(report, m), getattr(exp, m), err_msg=m)
        np.testing.assert_array_equal(
            getattr(report.campaign, m), getattr(exp, f"campaign_{m}"), err_msg=m
        )


@SETTINGS
@given(spec=specs(), version=st.sampled_from([1, 2]), indent=st.booleans())
def test_generated_reports_read_back_exactly(
    spec: ExperimentSpec, version: int, indent: bool
) -> None:
    sim = simulate(spec)
    buf = io.BytesIO()
    write_xml(sim, buf, version=version, indent=indent)
    report = ttstats.read_report(buf.getvalue())  # no warning allowed (filterwarnings=error)
    assert report.warnings == ()
    if not report.recipes:  # every sample omitted: nothing to compare beyond the labels
        return
    assert report.recipes == spec.recipes
    check_roundtrip(report, sim, version)


@SETTINGS
@given(spec=specs(), version=st.sampled_from([1, 2]), chunk=st.integers(16, 4096))
def test_any_chunking_reads_the_same(spec: ExperimentSpec, version: int, chunk: int) -> None:
    sim = simulate(spec)
    buf = io.BytesIO()
    write_xml(sim, buf, version=version)
    data = buf.getvalue()
    whole = ttstats.read_report(data)
    old = _read.CHUNK_SIZE
    _read.CHUNK_SIZE = chunk
    try:
        parts = ttstats.read_report(io.BytesIO(data))
    finally:
        _read.CHUNK_SIZE = old
    for m in MEASURES:
        np.testing.assert_array_equal(getattr(whole, m), getattr(parts, m))
    assert whole.warnings == parts.warnings
    assert whole.samples.duration == parts.samples.duration
    assert whole.decimals == parts.decimals


@SETTINGS
@given(spec=specs())
def test_campaign_equals_the_sum_of_recipes(spec: ExperimentSpec) -> None:
    """The invariant the summary recipe stands for, on what the parser reads."""
    if not spec.include_campaign:
        return
    buf = io.BytesIO()
    write_xml(simulate(spec), buf, version=2)
    r = ttstats.read_report(buf.getvalue())
    if not r.recipes:
        return
    for m in MEASURES:
        summed = np.sum(getattr(r, m), axis=2)
        # both sides are sums of the same 2-decimal values; the file rounds to 5 decimals
        np.testing.assert_allclose(getattr(r.campaign, m), summed, rtol=1e-12, atol=1e-6)


def test_a_large_hourly_report_with_segments() -> None:
    spec = ExperimentSpec(
        n_samples=24 * 60,
        resolution="hour",
        start="2009-08-01T00:00",
        segments=("Segment 1", "Segment 2"),
        recipes=("A", "B", "C"),
        traffic=3.0,
        p_omit=0.1,
        seed=7,
    )
    sim = simulate(spec)
    buf = io.BytesIO()
    write_xml(sim, buf, version=2)
    old = _read.CHUNK_SIZE
    _read.CHUNK_SIZE = 1 << 16  # many chunks
    try:
        report = ttstats.read_report(io.BytesIO(buf.getvalue()))
    finally:
        _read.CHUNK_SIZE = old
    check_roundtrip(report, sim, 2)
    assert report.present.sum() < report.in_grid.sum()  # some samples really were omitted


@pytest.mark.parametrize("version", [1, 2])
def test_sum_samples_matches_the_truth(version: int) -> None:
    spec = ExperimentSpec(n_samples=10, type="visit", p_omit=0.3, seed=3)
    sim = simulate(spec)
    buf = io.BytesIO()
    write_xml(sim, buf, version=version)
    total = ttstats.read_report(buf.getvalue()).sum_samples()
    exp = sim.expected(version)
    np.testing.assert_allclose(total.count[:, 0], np.nansum(exp.count, axis=1), rtol=0, atol=0)

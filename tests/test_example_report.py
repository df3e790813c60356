"""The report bundled with the package: reproducible from its spec, and read cleanly."""

from __future__ import annotations

import io

import numpy as np

import ttstats
from ttstats.cli import example_report_path
from ttstats.simulate import example_spec, simulate, write_xml


def test_bundled_example_is_what_its_spec_generates() -> None:
    buf = io.BytesIO()
    write_xml(simulate(example_spec()), buf, version=2)
    assert example_report_path().read_bytes() == buf.getvalue()


def test_bundled_example_reads_without_warnings_and_matches_its_truth() -> None:
    report = ttstats.read_report(example_report_path())
    exp = simulate(example_spec()).expected(2)
    assert report.warnings == ()
    assert report.recipes == ("Control", "Free shipping banner", "Bigger buy button")
    np.testing.assert_array_equal(report.count, exp.count)
    np.testing.assert_array_equal(report.revenue, exp.revenue)
    np.testing.assert_array_equal(report.campaign.engagement_sumsq, exp.campaign_engagement_sumsq)

"""check_campaign: recipes against the summary recipe, with the file's rounding."""

from __future__ import annotations

import io
from dataclasses import replace

import jsonschema
import numpy as np
import pytest

import ttstats
from ttstats.analysis.campaign import check_campaign
from ttstats.render.json import readout_schema, readout_to_json
from ttstats.simulate import ExperimentSpec, simulate, write_xml

from .conftest import sample


def test_published_v2_sample_is_consistent() -> None:
    check = check_campaign(ttstats.read_report(sample("v2-small.xml")))
    assert check.consistent
    assert check.to_frame().empty
    assert check.by_report().all()


def test_simulated_reports_are_consistent_in_both_versions() -> None:
    spec = ExperimentSpec(n_samples=12, recipes=("A", "B", "C"), p_omit=0.2, traffic=40.0, seed=5)
    for version in (1, 2):
        buf = io.BytesIO()
        write_xml(simulate(spec), buf, version=version)
        assert check_campaign(ttstats.read_report(buf.getvalue())).consistent


def test_a_recipe_left_out_shows_as_the_gap() -> None:
    """A deleted experience missing from the report: the gap is exactly its values."""
    spec = ExperimentSpec(n_samples=6, recipes=("A", "B", "C"), traffic=30.0, seed=9)
    sim = simulate(spec)
    buf = io.BytesIO()
    write_xml(sim, buf, version=2)
    full = ttstats.read_report(buf.getvalue())
    cut = replace(full, recipes=full.recipes[:2], cells=full.cells.map(lambda a: a[:, :, :2]))
    check = check_campaign(cut)
    assert not check.consistent
    left_out = sim.expected(2)
    # the gap is the third recipe's true values (summed at 2 and 5 decimals by the file)
    np.testing.assert_allclose(check.gap["count"], left_out.count[:, :, 2], rtol=0, atol=0)
    np.testing.assert_allclose(check.gap["revenue"], left_out.revenue[:, :, 2], atol=1e-8)
    frame = check.to_frame()
    assert set(frame.measure) >= {"count", "revenue"}
    assert (frame.step.isin(full.steps)).all()
    assert not check.by_report().any()


def test_rounding_alone_is_not_a_gap() -> None:
    xml = (
        '<reports><report><sample start="2009-08-01T00:00" duration="day">'
        '<recipe name="A"><step name="E"><amount>3.0</amount><revenue>1.01</revenue></step></recipe>'
        '<recipe name="B"><step name="E"><amount>4.0</amount><revenue>2.02</revenue></step></recipe>'
        '<recipe name="Campaign"><step name="E"><amount>7.0</amount><revenue>3.04</revenue>'
        "</step></recipe></sample></report></reports>"
    )
    check = check_campaign(ttstats.read_report(xml))
    # 3.04 - 3.03 = 0.01 is more than 3 * 0.005 = 0.015? no: within the rounding of 3 values
    assert check.consistent
    bigger = xml.replace("3.04", "3.05")  # 0.02 > 0.015: beyond rounding
    assert not check_campaign(ttstats.read_report(bigger)).consistent
    off_by_one = xml.replace("<amount>7.0", "<amount>8.0")  # whole numbers must match exactly
    assert not check_campaign(ttstats.read_report(off_by_one)).consistent


def test_revenue_printed_to_tens() -> None:
    """Revenue written as 1e1 and 2e1 (to tens: decimals -1), the summary 32: the gap of
    2 is within 3 * 0.5 * 10 = 15 (by hand), not within 3 * 0.5 had the file printed units;
    5e1 (a gap of 20) is beyond either."""
    xml = (
        '<reports><report><sample start="2009-08-01T00:00" duration="day">'
        '<recipe name="A"><step name="E"><amount>3</amount><revenue>1e1</revenue></step></recipe>'
        '<recipe name="B"><step name="E"><amount>4</amount><revenue>2e1</revenue></step></recipe>'
        '<recipe name="Campaign"><step name="E"><amount>7</amount><revenue>32</revenue>'
        "</step></recipe></sample></report></reports>"
    )
    report = ttstats.read_report(xml)
    assert report.decimals["revenue"] == -1
    assert check_campaign(report).consistent
    assert not check_campaign(report, decimals={"revenue": 0}).consistent  # 2 > 1.5
    assert not check_campaign(ttstats.read_report(xml.replace(">32<", ">5e1<"))).consistent


@pytest.mark.parametrize(
    ("decimals", "error", "match"),
    [
        ({"revenue": "x"}, TypeError, r"decimals\['revenue'\] must be an integer or None"),
        ({"revenue": 2.0}, TypeError, r"decimals\['revenue'\] must be an integer"),
        ({"revenue": True}, TypeError, r"decimals\['revenue'\] must be an integer"),
        ({"price": 2}, ValueError, r"'price' is not a measure; measures are \['count'"),
        (5, TypeError, "decimals must be a dict of measure to int or None"),
    ],
)
def test_bad_decimals_are_refused(decimals: object, error: type, match: str) -> None:
    report = ttstats.read_report(sample("v2-small.xml"))
    with pytest.raises(error, match=match):
        check_campaign(report, decimals=decimals)  # type: ignore[arg-type]


def _xml(a: str, b: str, campaign: str | None) -> str:
    """Two recipes and the summary; step E as given, step O one order each (two in all)."""
    order = '<step name="O"><amount>{}</amount></step>'
    summary = (
        f'<recipe name="Campaign"><step name="E">{campaign}</step>{order.format(2)}</recipe>'
        if campaign
        else ""
    )
    return (
        '<reports><report><sample start="2009-08-01T00:00" duration="day">'
        f'<recipe name="A"><step name="E">{a}</step>{order.format(1)}</recipe>'
        f'<recipe name="B"><step name="E">{b}</step>{order.format(1)}</recipe>'
        f"{summary}</sample></report></reports>"
    )


def test_a_value_on_one_side_only_is_a_gap() -> None:
    # revenue 5.00 in the summary, in no recipe: not consistent, the cell says which side
    xml = _xml(
        "<amount>3</amount>", "<amount>4</amount>", "<amount>7</amount><revenue>5.00</revenue>"
    )
    check = check_campaign(ttstats.read_report(xml))
    assert check.checked and not check.consistent
    assert check.one_sided["revenue"][0, 0, 0] and not check.one_sided["count"][0, 0, 0]
    assert check.mismatched["revenue"][0, 0, 0] and not check.mismatched["count"][0, 0, 0]
    # and the other way round: the recipes report revenue, the summary does not
    xml = _xml(
        "<amount>3</amount><revenue>1.00</revenue>",
        "<amount>4</amount><revenue>2.00</revenue>",
        "<amount>7</amount>",
    )
    other = check_campaign(ttstats.read_report(xml))
    assert not other.consistent and other.one_sided["revenue"][0, 0, 0]
    ro = ttstats.build_readout(ttstats.read_report(xml), control="A", entry="E")
    (gap,) = ro.campaign.gaps
    assert gap.measure == "revenue" and np.isnan(gap.gap)
    assert gap.note == "only the recipes report it, not the 'Campaign' summary"
    doc = readout_to_json(ro)
    jsonschema.Draft202012Validator(readout_schema()).validate(doc)
    (row,) = doc["checks"]["campaign_consistency"]["gaps"]
    assert row["gap"] is None and row["note"] == gap.note


def test_no_summary_recipe_is_not_checked_and_not_called_consistent() -> None:
    check = check_campaign(
        ttstats.read_report(_xml("<amount>3</amount>", "<amount>4</amount>", None))
    )
    assert not check.checked and not check.consistent
    assert not any(v.any() for v in check.mismatched.values())
    assert check.to_frame().empty

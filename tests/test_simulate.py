"""The simulator on its own: well-formed XML whose every number is the truth it returns.

Expected values come from the simulator's own truth (read back here with plain lxml, not
with ttstats' parser), from the formats in docs/report-format.md, and from the closed-form
moments of the distributions (Poisson mean λ; lognormal mean exp(μ + σ²/2)).
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from lxml import etree

from ttstats.simulate import (
    MEASURES,
    ExperimentSpec,
    LogNormal,
    Poisson,
    SimulatedExperiment,
    _main,
    generate_report_bytes,
    simulate,
    spec_for_size,
    write_xml,
)

FloatArray = npt.NDArray[np.float64]

# Small on purpose: the machine has two cores.
SPEC = ExperimentSpec(
    n_samples=6,
    segments=("Segment 1", "Segment 2", "Segment 3"),
    recipes=("Experience A", "Experience B", "Experience C"),
    steps=("Entry", "Display mboxes", "Page Count", "Time on Site", "Clicks", "Order"),
    event_steps=("Clicks",),
    engagement={"Page Count": Poisson(3.0), "Time on Site": LogNormal(5.0, 1.0)},
    traffic=20.0,
    p_omit=0.3,
    seed=3,
)


def _text(el: etree._Element, path: str) -> str:
    text = el.findtext(path)
    if text is None:
        raise AssertionError(f"no {path} in {el.tag}")
    return text


def _read_back(doc: bytes, sim: SimulatedExperiment, version: int) -> dict[str, FloatArray]:
    """Every number in ``doc`` on the simulator's full axes (Campaign last); NaN = absent."""
    root = etree.fromstring(doc)
    R, S, K, T = sim.count.shape
    names = [*sim.recipes, sim.spec.campaign_recipe]
    sample_of = {str(start): s for s, start in enumerate(sim.sample_start)}
    out = {m: np.full((R, S, K + 1, T), np.nan) for m in MEASURES}
    reports = root.findall("report")
    assert len(reports) == R
    for r, report in enumerate(reports):
        for sample in report.iterfind("sample"):
            s = sample_of[sample.get("start", "")]
            recipes = sample.findall("recipe")
            assert [x.get("name") for x in recipes] == names
            for k, recipe in enumerate(recipes):
                steps = recipe.findall("step")
                assert [x.get("name") for x in steps] == list(sim.steps)
                engagements = []
                for j, step in enumerate(steps):
                    if version == 2:
                        out["count"][r, s, k, j] = float(_text(step, "amount"))
                        out["revenue"][r, s, k, j] = float(_text(step, "revenue"))
                        engagements += [(j, e) for e in step.iterfind("engagement")]
                    else:
                        out["count"][r, s, k, j] = float(step.text or "")
                if version == 1:
                    out["revenue"][r, s, k, T - 1] = float(_text(recipe, "amount"))
                    for e in recipe.iterfind("engagementMetrics/engagement"):
                        engagements.append((sim.steps.index(e.get("stepName", "")), e))
                for j, e in engagements:
                    out["engagement_count"][r, s, k, j] = float(e.get("count", ""))
                    out["engagement_total"][r, s, k, j] = float(e.get("total", ""))
                    out["engagement_sumsq"][r, s, k, j] = float(e.get("sumOfSquares", ""))
    return out


def _truth(sim: SimulatedExperiment, measure: str) -> FloatArray:
    """Recipes and Campaign stacked, shape (report, sample, recipe + 1, step)."""
    campaign = getattr(sim, f"campaign_{measure}")[:, :, None, :]
    out: FloatArray = np.concatenate([getattr(sim, measure), campaign], axis=2)
    return out


def _ints(values: FloatArray, scale: int) -> npt.NDArray[np.int64]:
    out: npt.NDArray[np.int64] = np.rint(values * scale).astype(np.int64)
    return out


def test_measures_are_the_parsers() -> None:
    from ttstats.parse import MEASURES as PARSE_MEASURES

    assert MEASURES == PARSE_MEASURES


@pytest.fixture(scope="module")
def sim() -> SimulatedExperiment:
    return simulate(SPEC, keep_units=True)


# -- the documents -------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("indent", [True, False])
def test_document_is_well_formed_with_the_report_attributes(version: int, indent: bool) -> None:
    doc = generate_report_bytes(SPEC, version, indent=indent)
    assert doc.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<reports>')
    root = etree.fromstring(doc)
    assert root.tag == "reports"
    reports = root.findall("report")
    # one report per segment, then the aggregate without segment attributes (the API page)
    assert [r.get("segment") for r in reports] == ["Segment 1", "Segment 2", "Segment 3", None]
    assert [r.get("segmentId") for r in reports] == ["0", "1", "2", None]
    for report in reports:
        assert report.get("campaignId") == "7"
        assert (report.get("start"), report.get("end")) == ("2009-08-01", "2009-08-07")
        assert (report.get("resolution"), report.get("type")) == ("day", "visitor")
        assert {s.get("duration") for s in report.iterfind("sample")} == {"day"}
    if not indent:
        assert b">\n" not in doc.split(b"\n", 1)[1].rstrip(b"\n")


@pytest.mark.parametrize("version", [1, 2])
def test_every_number_written_is_the_truth_exactly(sim: SimulatedExperiment, version: int) -> None:
    got = _read_back(generate_report_bytes(SPEC, version), sim, version)
    present = sim.present[:, :, None, None]
    eng = np.array([s in SPEC.engagement_dists for s in SPEC.steps])
    for m in MEASURES:
        want = np.where(present, _truth(sim, m), np.nan)
        if m == "revenue" and version == 1:  # version 1: revenue of the final step only
            want[..., :-1] = np.nan
        if m.startswith("engagement"):
            assert np.isnan(want[..., ~eng]).all()
        # exact equality: each truth float is float() of the text written
        np.testing.assert_array_equal(got[m], want, err_msg=m)


def test_number_formats_match_the_api(sim: SimulatedExperiment) -> None:
    doc = generate_report_bytes(SPEC, 2).decode()
    assert re.findall(r"<amount>([^<]*)</amount>", doc)
    assert all(re.fullmatch(r"\d+\.0", x) for x in re.findall(r"<amount>([^<]*)<", doc))
    assert all(re.fullmatch(r"\d+\.\d\d", x) for x in re.findall(r"<revenue>([^<]*)<", doc))
    triples = re.findall(r'count="(\d+)" total="([^"]*)" sumOfSquares="([^"]*)"/>', doc)
    assert triples
    assert all(re.fullmatch(r"\d+\.\d{5}", x) for t in triples for x in t[1:])
    v1 = generate_report_bytes(SPEC, 1).decode()
    assert re.search(r'<step name="Entry">\d+\.0</step>', v1)
    assert re.search(r"</step>\n\s*<amount>\d+\.\d\d</amount>\n\s*<engagementMetrics>", v1)


def test_omitted_samples_are_absent_and_zero(sim: SimulatedExperiment) -> None:
    assert not sim.present.all()
    assert sim.present.any()
    root = etree.fromstring(generate_report_bytes(SPEC, 2))
    starts = [str(s) for s in sim.sample_start]
    for r, report in enumerate(root.iterfind("report")):
        written = [s.get("start") for s in report.iterfind("sample")]
        assert written == [starts[s] for s in np.flatnonzero(sim.present[r])]
    absent = ~sim.present
    for m in ("count", "revenue"):
        assert (_truth(sim, m)[absent] == 0).all()
    eng = [j for j, s in enumerate(SPEC.steps) if s in SPEC.engagement_dists]
    for m in ("engagement_count", "engagement_total", "engagement_sumsq"):
        assert (_truth(sim, m)[absent][..., eng] == 0).all()
    # a sample with no entries in a report is never written; one with entries always is
    np.testing.assert_array_equal(sim.present, sim.campaign_count[..., 0] > 0)


def test_funnel_counts_never_exceed_entries(sim: SimulatedExperiment) -> None:
    entries = sim.count[..., :1]
    funnel = [j for j, s in enumerate(SPEC.steps) if s not in SPEC.event_steps]
    assert (sim.count[..., funnel] <= entries).all()
    clicks = SPEC.steps.index("Clicks")  # 2 events per entry on average: may exceed
    assert (sim.count[..., clicks] > sim.count[..., 0]).any()
    # revenue at a step is the orders of the converters who reached it: never above the total
    assert (sim.revenue <= sim.revenue[..., -1:]).all()
    np.testing.assert_array_equal(sim.revenue[..., 0], sim.revenue[..., -1])


def test_campaign_and_aggregate_are_exact_sums(sim: SimulatedExperiment) -> None:
    scale = {"engagement_total": 100, "engagement_sumsq": 10_000, "revenue": 100}
    eng = [j for j, s in enumerate(SPEC.steps) if s in SPEC.engagement_dists]
    for m in MEASURES:
        cols = eng if m.startswith("engagement") else list(range(len(SPEC.steps)))
        recipes = _ints(sim.__getattribute__(m)[..., cols], scale.get(m, 1))
        campaign = _ints(sim.__getattribute__(f"campaign_{m}")[..., cols], scale.get(m, 1))
        np.testing.assert_array_equal(recipes.sum(axis=2), campaign, err_msg=m)
        np.testing.assert_array_equal(recipes[:-1].sum(axis=0), recipes[-1], err_msg=m)


def test_engagement_sums_are_sums_of_the_unit_values(sim: SimulatedExperiment) -> None:
    units = sim.engagement_units
    assert units is not None
    assert units.value.size
    n_seg = len(SPEC.segments)
    shape = (n_seg, *sim.count.shape[1:])
    cell = np.ravel_multi_index((units.report, units.sample, units.recipe, units.step), shape)
    size = int(np.prod(shape))
    n = np.bincount(cell, minlength=size).reshape(shape)
    total = np.bincount(cell, units.value, minlength=size).reshape(shape)
    sumsq = np.bincount(cell, units.value**2, minlength=size).reshape(shape)
    eng = [j for j, s in enumerate(SPEC.steps) if s in SPEC.engagement_dists]
    np.testing.assert_array_equal(n[..., eng], sim.engagement_count[:n_seg][..., eng])
    # the file's 5 decimals are the unrounded sums of the (cent-quantised) unit values
    np.testing.assert_allclose(sim.engagement_total[:n_seg][..., eng], total[..., eng], atol=1e-6)
    np.testing.assert_allclose(sim.engagement_sumsq[:n_seg][..., eng], sumsq[..., eng], rtol=1e-12)
    np.testing.assert_allclose(np.round(total[..., eng], 5), total[..., eng], atol=1e-7)
    assert np.isnan(sim.engagement_total[..., [j for j in range(6) if j not in eng]]).all()


def test_order_values_sum_to_the_final_revenue(sim: SimulatedExperiment) -> None:
    orders = sim.order_units
    assert orders is not None
    assert orders.value.size
    assert (orders.step == len(SPEC.steps) - 1).all()
    n_seg = len(SPEC.segments)
    shape = (n_seg, *sim.count.shape[1:3])
    cell = np.ravel_multi_index((orders.report, orders.sample, orders.recipe), shape)
    size = int(np.prod(shape))
    n = np.bincount(cell, minlength=size).reshape(shape)
    revenue = np.bincount(cell, orders.value, minlength=size).reshape(shape)
    np.testing.assert_array_equal(n, sim.count[:n_seg, ..., -1])  # one order per conversion
    np.testing.assert_allclose(revenue, sim.revenue[:n_seg, ..., -1], atol=1e-6)


# -- what a parser must return --------------------------------------------------------------


def test_expected_report_follows_the_parser_conventions() -> None:
    spec = replace(SPEC, n_samples=12, traffic=0.4, p_omit=0.2, include_campaign=False)
    sim = simulate(spec)
    exp = sim.expected(version=1)
    grid = exp.in_grid
    # samples missing inside a report's grid are zeros, outside it NaN; both occur here
    assert (grid & ~exp.present).any()
    assert (~grid).any()
    keep = sim.in_grid.any(axis=0)
    np.testing.assert_array_equal(exp.sample_start, sim.sample_start[keep])
    assert exp.duration == ("day",) * int(keep.sum())
    for r in range(grid.shape[0]):
        first, last = np.flatnonzero(grid[r])[[0, -1]]
        assert grid[r, first : last + 1].all()
        assert exp.present[r, [first, last]].all()
    assert np.isnan(exp.count[~grid]).all()
    assert (exp.count[grid & ~exp.present] == 0).all()
    np.testing.assert_array_equal(exp.count[grid], sim.count[:, keep][grid])
    assert np.isnan(exp.revenue[..., :-1]).all()  # version 1
    np.testing.assert_array_equal(exp.revenue[grid][..., -1], sim.revenue[:, keep][grid][..., -1])
    assert np.isnan(exp.campaign_count).all()  # no summary recipe written
    assert b'name="Campaign"' not in generate_report_bytes(spec, 1)
    assert not np.isnan(sim.expected(version=2).revenue[grid]).any()


# -- time axis, layout and options ----------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "start", "starts", "end"),
    [
        ("hour", "2009-08-01T22:00", ["2009-08-01T22:00", "2009-08-01T23:00"], "2009-08-02"),
        ("day", "2009-08-01T00:00", ["2009-08-01T00:00", "2009-08-02T00:00"], "2009-08-03"),
        ("week", "2009-08-03T00:00", ["2009-08-03T00:00", "2009-08-10T00:00"], "2009-08-17"),
        ("month", "2009-12-01T00:00", ["2009-12-01T00:00", "2010-01-01T00:00"], "2010-02-01"),
    ],
)
def test_sample_starts_follow_the_resolution(
    resolution: str, start: str, starts: list[str], end: str
) -> None:
    spec = ExperimentSpec(n_samples=2, resolution=resolution, start=start)  # type: ignore[arg-type]
    root = etree.fromstring(generate_report_bytes(spec))
    for report in root.iterfind("report"):
        assert [s.get("start") for s in report.iterfind("sample")] == starts
        assert {s.get("duration") for s in report.iterfind("sample")} == {resolution}
        assert (report.get("start"), report.get("end")) == (start[:10], end)
        assert report.get("resolution") == resolution


def test_no_segments_gives_one_aggregate_report() -> None:
    spec = ExperimentSpec(n_samples=3, segments=(), rates=[1, 0.5, 0.5, 0.5, 0.1])
    sim = simulate(spec)
    assert sim.count.shape == (1, 3, 2, 5)
    (report,) = etree.fromstring(generate_report_bytes(spec)).findall("report")
    assert report.get("segment") is None
    assert report.get("segmentId") is None


def test_rates_per_segment_are_used() -> None:
    # a Simpson-style layout: B converts better in each segment, traffic differs by segment
    rates = np.zeros((2, 2, 2))
    rates[..., 0] = 1
    rates[..., 1] = [[0.1, 0.2], [0.5, 0.6]]
    spec = ExperimentSpec(
        n_samples=100,
        steps=("Entry", "Order"),
        rates=rates,
        traffic=[[100, 900], [900, 100]],
        engagement={},
    )
    sim = simulate(spec)
    totals = sim.count.sum(axis=1)  # (report, recipe, step)
    p = totals[..., 1] / totals[..., 0]
    assert (p[:2, 1] > p[:2, 0]).all()
    assert p[2, 1] < p[2, 0]


def test_true_rates_and_moments_are_recovered() -> None:
    """Known truth: estimates lie within 4.5 standard errors of the spec's values."""
    spec = ExperimentSpec(n_samples=100, seed=11)
    sim = simulate(spec)
    agg = sim.count[-1].sum(axis=0)  # aggregate report, summed over samples: (recipe, step)
    n = agg[:, 0]
    p = agg / n[:, None]
    truth = spec.true_rates[0]
    se = np.sqrt(truth * (1 - truth) / n[:, None])
    assert (np.abs(p - truth) <= 4.5 * se + 1e-12).all()
    mean_n = sim.count[:2, ..., 0].mean()
    assert abs(mean_n - 100) < 4.5 * np.sqrt(100 / sim.count[:2, ..., 0].size)
    for step, dist in spec.engagement_dists.items():
        assert isinstance(dist, Poisson | LogNormal)
        j = spec.steps.index(step)
        c = sim.engagement_count[-1, :, :, j].sum(axis=0)
        mean = sim.engagement_total[-1, :, :, j].sum(axis=0) / c
        mu, var = dist.moments(2)
        assert (np.abs(mean - mu) < 4.5 * np.sqrt(var / c)).all(), step
    orders = sim.count[-1, :, :, -1].sum(axis=0)
    aov = sim.revenue[-1, :, :, -1].sum(axis=0) / orders
    assert isinstance(spec.revenue, LogNormal)
    mu, var = spec.revenue.moments(2)
    assert (np.abs(aov - mu) < 4.5 * np.sqrt(var / orders)).all()


def test_per_recipe_distribution_parameters() -> None:
    spec = ExperimentSpec(n_samples=50, engagement={"Page Count": Poisson((1.0, 5.0))}, seed=2)
    sim = simulate(spec)
    j = spec.steps.index("Page Count")
    mean = sim.engagement_total[-1, :, :, j].sum(0) / sim.engagement_count[-1, :, :, j].sum(0)
    np.testing.assert_allclose(mean, [1.0, 5.0], rtol=0.05)


def test_names_are_escaped() -> None:
    spec = ExperimentSpec(
        n_samples=1,
        segments=('Seg "1" & <2>',),
        recipes=("50% off", "Böse & gut"),
        steps=("Entry", "Time % <on> site"),
        engagement={"Time % <on> site": LogNormal(3.0, 0.5)},
        campaign_recipe="All %s",
    )
    for version in (1, 2):
        root = etree.fromstring(generate_report_bytes(spec, version))
        report = root.find("report")
        assert report is not None
        assert report.get("segment") == 'Seg "1" & <2>'
        names = [r.get("name") for r in root.iterfind("report/sample/recipe")]
        assert names[:3] == ["50% off", "Böse & gut", "All %s"]
        assert root.find("report/sample/recipe/step[2]").get("name") == "Time % <on> site"  # type: ignore[union-attr]


def test_reproducible_and_longer_runs_extend_shorter_ones() -> None:
    a = simulate(replace(SPEC, n_samples=5))
    b = simulate(replace(SPEC, n_samples=300))  # crosses a block boundary (256 samples)
    for m in MEASURES:
        np.testing.assert_array_equal(getattr(a, m), getattr(b, m)[:, :5])
    assert generate_report_bytes(SPEC) == generate_report_bytes(SPEC)
    assert generate_report_bytes(SPEC) != generate_report_bytes(replace(SPEC, seed=4))


def test_path_and_file_object_get_the_same_bytes(tmp_path: Path) -> None:
    sim = simulate(SPEC)
    buf = io.BytesIO()
    n = write_xml(sim, buf, version=1)
    path = tmp_path / "r.xml"
    assert write_xml(sim, path, version=1) == n == len(buf.getvalue())
    assert path.read_bytes() == buf.getvalue() == generate_report_bytes(SPEC, 1)


def test_spec_for_size_hits_the_target() -> None:
    spec = spec_for_size(0.4, 2, base=replace(SPEC, p_omit=0.0))
    size = len(generate_report_bytes(spec, 2))
    assert abs(size - 400_000) < 0.03 * 400_000


def test_cli_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "small.xml"
    assert _main(["--mb", "0.1", "--version", "1", "-o", str(out)]) == 0
    assert etree.parse(str(out)).getroot().tag == "reports"
    assert "small.xml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rates": [0.9, 0.9, 0.9, 0.9, 0.1]}, "entry step's rate must be 1"),
        ({"rates": [1, 1.5, 0.9, 0.9, 0.1]}, "at most 1"),
        ({"rates": np.ones((3, 5))}, "must broadcast"),
        ({"recipes": ("A", "Campaign")}, "also a recipe"),
        ({"recipes": ("A", "A")}, "distinct"),
        ({"start": "2009-08-01T01:00"}, "not aligned"),
        ({"resolution": "month", "start": "2009-08-02T00:00"}, "not aligned"),
        ({"resolution": "month", "n_samples": 100_000}, "9999"),
        ({"engagement": {"Nope": Poisson(1.0)}}, "not among the steps"),
        ({"engagement": {"Page Count": Poisson((1.0, 2.0, 3.0))}}, "one per recipe"),
        ({"event_steps": ("Entry",)}, "event steps"),
        ({"segments": (), "include_aggregate": False}, "only report"),
        ({"p_omit": 1.5}, "p_omit"),
        ({"traffic": -1.0}, "traffic"),
    ],
)
def test_invalid_specs_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExperimentSpec(**changes)  # type: ignore[arg-type]


def test_values_too_large_to_sum_exactly_are_refused() -> None:
    spec = ExperimentSpec(n_samples=1, revenue=LogNormal(20.0, 0.1))
    with pytest.raises(ValueError, match="too large"):
        simulate(spec)
    with pytest.raises(ValueError, match="too many"):
        simulate(ExperimentSpec(n_samples=1, traffic=1e13))
    with pytest.raises(ValueError, match="version"):
        write_xml(simulate(ExperimentSpec(n_samples=1)), io.BytesIO(), version=3)

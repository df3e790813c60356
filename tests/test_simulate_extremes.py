"""The same experiment with and without extreme orders (ttstats.simulate._extremes).

Every expected number is recomputed here from the raw per-order values the simulation keeps
(numpy: ``np.mean``, ``np.std(ddof=1)``, ``np.bincount``), following the rule stated in
docs/report-format.md: an order more than 3 standard deviations from the mean order value is
extreme and, with extreme orders excluded, takes its experience's average order value
(computed without the extremes; rounded to the cent, as the API prints revenue). The
documents are read back with the package's parser and compared with ``expected()``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import ttstats
from ttstats.simulate import (
    MEASURES,
    ExperimentSpec,
    LogNormal,
    SimulatedExperiment,
    SimulatedExtremes,
    simulate,
    simulate_extremes,
    with_and_without_extremes,
)

SPEC = ExperimentSpec(
    n_samples=6,
    seed=41,
    traffic=150.0,
    segments=("New", "Returning"),
    steps=("Entry", "Clicks", "Page Count", "Cart", "Order"),
    event_steps=("Clicks",),
    rates=[1.0, 1.5, 0.9, 0.4, 0.08],
    revenue=LogNormal([3.5, 3.6], 0.8),
)
PLANTED = {"Experience B": [2500.0, 3100.5, 4000.0]}


@pytest.fixture(scope="module")
def ext() -> SimulatedExtremes:
    return simulate_extremes(SPEC, planted=PLANTED)


def per_cell(sim: SimulatedExperiment, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum of ``weights`` per (segment, sample, recipe) of the orders, from the raw values."""
    orders = sim.order_units
    assert orders is not None
    g, s, k = len(SPEC.segments), SPEC.n_samples, len(SPEC.recipes)
    cell = np.ravel_multi_index((orders.report, orders.sample, orders.recipe), (g, s, k))
    return np.bincount(cell, weights * np.ones_like(values), minlength=g * s * k).reshape(g, s, k)


def test_without_planting_the_with_report_is_the_plain_simulation() -> None:
    spec = replace(SPEC, order_engagement=True)
    ext = simulate_extremes(spec)
    plain = simulate(spec)
    for m in MEASURES:
        for name in (m, f"campaign_{m}"):
            np.testing.assert_array_equal(
                getattr(ext.with_extremes, name), getattr(plain, name), err_msg=name
            )


def test_the_conversion_step_carries_the_order_values(ext: SimulatedExtremes) -> None:
    for sim in (ext.with_extremes, ext.without_extremes):
        orders = sim.order_units
        assert orders is not None
        v = orders.value
        n_seg = len(SPEC.segments)
        # count, total and sumOfSquares of the orders, per segment, sample and recipe
        np.testing.assert_array_equal(per_cell(sim, v, 1.0), sim.engagement_count[:n_seg, ..., -1])
        np.testing.assert_allclose(per_cell(sim, v, v), sim.engagement_total[:n_seg, ..., -1])
        np.testing.assert_allclose(per_cell(sim, v, v * v), sim.engagement_sumsq[:n_seg, ..., -1])
        # the total is the revenue; the aggregate and Campaign are exact sums
        np.testing.assert_array_equal(sim.engagement_total[..., -1], sim.revenue[..., -1])
        cents = np.rint(sim.revenue * 100).astype(np.int64)  # exact: whole cents
        np.testing.assert_array_equal(cents[-1], cents[:-1].sum(axis=0))
        np.testing.assert_array_equal(
            np.rint(sim.campaign_revenue * 100).astype(np.int64), cents.sum(axis=2)
        )


def test_planted_values_stand_in_the_chosen_recipe(ext: SimulatedExtremes) -> None:
    b = SPEC.recipes.index("Experience B")
    assert sorted(ext.orders.value[ext.planted].tolist()) == [2500.0, 3100.5, 4000.0]
    assert (ext.orders.recipe[ext.planted] == b).all()
    # the counts do not change: planting replaces values, it adds no order
    plain = simulate(replace(SPEC, order_engagement=True))
    np.testing.assert_array_equal(ext.with_extremes.count, plain.count)


def test_extremes_are_beyond_three_sd_and_replaced_by_the_recipe_aov(
    ext: SimulatedExtremes,
) -> None:
    v, recipe = ext.orders.value, ext.orders.recipe
    mean, sd = np.mean(v), np.std(v, ddof=1)  # every order of the request
    extreme = np.abs(v - mean) > 3 * sd
    np.testing.assert_array_equal(ext.extreme, extreme)
    assert ext.extreme[ext.planted].all()
    assert ext.threshold_high == pytest.approx(mean + 3 * sd, rel=1e-12)
    for k in range(len(SPEC.recipes)):
        aov = np.round(np.mean(v[(recipe == k) & ~extreme]), 2)
        assert ext.replacement[k] == pytest.approx(aov, abs=1e-9)
        mine = (recipe == k) & extreme
        np.testing.assert_allclose(ext.excluded_value[mine], aov, atol=1e-9)
    np.testing.assert_array_equal(ext.excluded_value[~extreme], v[~extreme])
    # the without report's revenue is the sum of the replaced values
    without = ext.without_extremes
    w = ext.excluded_value
    np.testing.assert_allclose(per_cell(without, w, w), without.revenue[:2, ..., -1], atol=1e-6)
    # only values move: every count and every other engagement triple is the same
    for m in ("count", "engagement_count"):
        np.testing.assert_array_equal(getattr(without, m), getattr(ext.with_extremes, m))
    for m in ("engagement_total", "engagement_sumsq"):
        np.testing.assert_array_equal(
            getattr(without, m)[..., :-1], getattr(ext.with_extremes, m)[..., :-1]
        )


def test_step_revenue_follows_the_orders_that_reached_the_step(ext: SimulatedExtremes) -> None:
    # funnel ("Cart") and event ("Clicks") steps: revenue = values of the orders reaching them
    for sim, values in ((ext.with_extremes, ext.orders.value), (ext.without_extremes, None)):
        orders, reach = sim.order_units, sim.order_reach
        assert orders is not None
        assert reach is not None
        v = orders.value if values is None else values
        for j in range(len(SPEC.steps)):
            want = per_cell(sim, v, np.where(reach[:, j], v, 0.0))
            np.testing.assert_allclose(want, sim.revenue[:2, ..., j], atol=1e-6, err_msg=str(j))
        assert not reach[:, SPEC.steps.index("Cart")].all()


@pytest.mark.parametrize("version", [1, 2])
def test_both_documents_read_back_exactly(ext: SimulatedExtremes, version: int) -> None:
    docs = ext.to_bytes(version)
    for sim, doc in zip((ext.with_extremes, ext.without_extremes), docs, strict=True):
        report = ttstats.read_report(doc)
        want = sim.expected(version)
        assert report.warnings == ()
        for m in MEASURES:
            np.testing.assert_array_equal(getattr(report, m), getattr(want, m), err_msg=m)
            np.testing.assert_array_equal(
                getattr(report.campaign, m), getattr(want, f"campaign_{m}"), err_msg=m
            )
    assert docs == with_and_without_extremes(SPEC, planted=PLANTED, version=version)


def test_order_engagement_option() -> None:
    with pytest.raises(ValueError, match="cannot also be an engagement step"):
        ExperimentSpec(order_engagement=True, engagement={"Order Confirmation": LogNormal(1, 1)})
    spec = ExperimentSpec(order_engagement=True, steps=("Entry", "Time on Site"))
    assert spec.engagement_steps == ("Time on Site",)  # the default left the orders' step
    assert ExperimentSpec().engagement_steps == ("Page Count", "Time on Site")


@pytest.mark.parametrize(
    ("planted", "k_sigma", "message"),
    [
        ({"Nope": [1.0]}, 3.0, "unknown recipe 'Nope'"),
        ({"Experience A": [-1.0]}, 3.0, "finite and >= 0"),
        ({"Experience A": [1.0] * 10_000}, 3.0, "has only"),
        ({"Experience A": [3e7]}, 3.0, "too large"),
        (None, 0.0, "k_sigma"),
    ],
)
def test_bad_arguments_are_refused(
    planted: dict[str, list[float]] | None, k_sigma: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_extremes(SPEC, planted=planted, k_sigma=k_sigma)

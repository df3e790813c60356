r"""The same experiment reported with extreme orders and with extreme orders excluded.

The Performance Report API can be asked to exclude extreme orders. Adobe's rule (see
``docs/report-format.md``): an order is extreme when its value lies more than 3 standard
deviations from the mean order value, and with extreme orders excluded its value is replaced
by the experience's average order value. :func:`simulate_extremes` draws one experiment,
optionally plants a few chosen order values in a recipe, and returns both versions;
:func:`with_and_without_extremes` writes them as the two documents the API would return.

The model
---------
* The experiment is drawn by :func:`~ttstats.simulate.simulate` with
  ``order_engagement=True``: every order value is also written as the engagement triple of
  the conversion step (count = orders, total = revenue, sumOfSquares = :math:`\sum v^2`), so
  both documents carry the sums that extreme-order calculations need.
* ``planted={recipe: [v1, v2, ...]}`` replaces the values of that many orders of the recipe,
  drawn at random (reproducibly, from ``spec.seed``) among all its orders in every segment
  and sample, by ``v1, v2, ...`` (rounded to the cent). Counts do not change, only values.
* The threshold is computed once over every order of the request (all segments, samples and
  recipes: the orders of the aggregate report), from the mean :math:`\bar v` and the sample
  standard deviation :math:`s` (``ddof = 1``) of the order values with the planted ones:
  an order is extreme when :math:`|v - \bar v| > k_\sigma s` (:math:`k_\sigma = 3`).
* Without extreme orders, each extreme order's value is replaced by the average value of
  its experience's non-extreme orders over the whole request, rounded to the cent. One
  pass: the replaced values are not tested again.
* Everything an order value enters is recomputed from the orders: the revenue of every step
  the order reached and the conversion step's engagement triple, per segment, the aggregate
  (the sum of the segments) and "Campaign" (the sum of the recipes). Counts and every other
  engagement triple are the same in both versions.

Computing the threshold over the whole request keeps the segment reports adding up to the
aggregate in both documents. How T&T splits the computation by segment or sample is not
documented; this is one reading of the rule, stated here so that a test can rely on it.

Examples
--------
>>> from ttstats.simulate import ExperimentSpec
>>> spec = ExperimentSpec(n_samples=7, seed=3)
>>> ext = simulate_extremes(spec, planted={"Experience B": [4000.0, 5000.0]})
>>> int(ext.planted.sum()), bool(ext.extreme[ext.planted].all())
(2, True)
>>> with_xml, without_xml = ext.to_bytes(version=2)
>>> with_xml != without_xml
True
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ._model import (
    SCALE,
    SimulatedExperiment,
    UnitValues,
    _check_exact,
    _frozen,
    _to_float,
    check_version,
    simulate,
)
from ._spec import MAX_HUNDREDTHS, BoolArray, ExperimentSpec, FloatArray, IntArray
from ._write import write_xml

#: Seed-stream key of the planting draws (the experiment's blocks use one-element keys).
_PLANT_KEY = (2**31, 1)


@dataclass(frozen=True, eq=False)
class SimulatedExtremes:
    """One experiment with extreme orders (``with_extremes``) and with them excluded.

    Attributes
    ----------
    with_extremes, without_extremes : SimulatedExperiment
        The true values of the two documents (``spec.order_engagement`` is True in both).
    orders : UnitValues
        Every order value as it stands in ``with_extremes`` (planted values included), with
        its segment report, sample, recipe and step (the conversion step).
    reach : ndarray of bool
        ``(order, step)``: the order's value counts in that step's revenue.
    planted : ndarray of bool
        Per order: its value was planted.
    extreme : ndarray of bool
        Per order: :math:`|v - \\bar v| > k_\\sigma s`.
    excluded_value : ndarray of float64
        Per order: its value in ``without_extremes`` (the replacement where extreme).
    mean, std : float
        :math:`\\bar v` and :math:`s` (``ddof = 1``) of all order values of the request.
    k_sigma : float
        Standard deviations from the mean beyond which an order is extreme.
    threshold_low, threshold_high : float
        :math:`\\bar v \\mp k_\\sigma s`.
    replacement : ndarray of float64
        Per recipe: the average value of its non-extreme orders, rounded to the cent (NaN for
        a recipe without non-extreme orders).
    """

    with_extremes: SimulatedExperiment
    without_extremes: SimulatedExperiment
    orders: UnitValues
    reach: BoolArray
    planted: BoolArray
    extreme: BoolArray
    excluded_value: FloatArray
    mean: float
    std: float
    k_sigma: float
    threshold_low: float
    threshold_high: float
    replacement: FloatArray

    def to_bytes(self, version: int = 2, *, indent: bool = True) -> tuple[bytes, bytes]:
        """Both documents: ``(with extreme orders, with extreme orders excluded)``.

        Parameters
        ----------
        version : {1, 2}
            The document version of both.
        indent : bool
            Indent the documents (see :func:`~ttstats.simulate.write_xml`).
        """
        check_version(version)
        out: list[bytes] = []
        for sim in (self.with_extremes, self.without_extremes):
            buf = io.BytesIO()
            write_xml(sim, buf, version=version, indent=indent)
            out.append(buf.getvalue())
        return out[0], out[1]


def simulate_extremes(
    spec: ExperimentSpec,
    *,
    planted: Mapping[str, Sequence[float]] | None = None,
    k_sigma: float = 3.0,
) -> SimulatedExtremes:
    """Simulate ``spec`` with and without extreme orders, optionally planting order values.

    Parameters
    ----------
    spec : ExperimentSpec
        What to simulate; ``order_engagement`` is switched on if it is not.
    planted : mapping of str to sequence of float, optional
        Per recipe, order values (>= 0, rounded to the cent) that replace the values of as
        many of its orders, chosen at random among all of them.
    k_sigma : float
        An order is extreme beyond ``k_sigma`` standard deviations from the mean (Adobe: 3).

    Returns
    -------
    SimulatedExtremes
        Both experiments, every order value and what happened to it.

    Raises
    ------
    ValueError
        An unknown recipe in ``planted``, more planted values than the recipe has orders, a
        negative, non-finite or too large planted value, ``k_sigma`` not positive, fewer than
        two orders in the whole request, or a sum too large to write exactly.

    Notes
    -----
    With :math:`v_1, \\dots, v_N` every order of the request, :math:`\\bar v = \\sum v_i / N`,
    :math:`s^2 = \\sum (v_i - \\bar v)^2 / (N - 1)`; order :math:`i` is extreme when
    :math:`|v_i - \\bar v| > k_\\sigma s` and then takes the value
    :math:`\\mathrm{round}_{0.01}\\big(\\mathrm{mean}\\{v_j : j \\in r(i), j\\ \\text{not
    extreme}\\}\\big)`, :math:`r(i)` being its experience. See the module documentation.

    References
    ----------
    Adobe, Test&Target Performance Report API (the ``sumOfSquares`` of an engagement metric
    and the exclusion of extreme orders); ``docs/report-format.md``.
    """
    if not (isinstance(k_sigma, (int, float)) and np.isfinite(k_sigma) and k_sigma > 0):
        raise ValueError(f"k_sigma must be a positive number, got {k_sigma!r}")
    if not spec.order_engagement:
        spec = replace(spec, order_engagement=True)
    sim = simulate(spec, keep_units=True)
    orders, reach = sim.order_units, sim.order_reach
    if orders is None or reach is None:  # pragma: no cover - keep_units=True gives both
        raise RuntimeError("simulate(keep_units=True) returned no order values")
    cents = np.rint(orders.value * 100).astype(np.int64)
    is_planted = np.zeros(cents.size, dtype=bool)
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=_PLANT_KEY))
    for recipe, values in (planted or {}).items():
        if recipe not in spec.recipes:
            raise ValueError(f"planted: unknown recipe {recipe!r}; recipes are {spec.recipes}")
        new = _planted_cents(values, recipe)
        mine = np.flatnonzero(orders.recipe == spec.recipes.index(recipe))
        if new.size > mine.size:
            raise ValueError(
                f"planted: {new.size} values for {recipe!r}, which has only {mine.size} orders"
            )
        chosen = np.sort(rng.choice(mine, size=new.size, replace=False))
        cents[chosen] = new
        is_planted[chosen] = True
    if cents.size < 2:
        raise ValueError("fewer than two orders in the request: no standard deviation")

    value = cents / 100.0
    mean, std = float(np.mean(value)), float(np.std(value, ddof=1))
    low, high = mean - k_sigma * std, mean + k_sigma * std
    extreme = (value < low) | (value > high)
    K = len(spec.recipes)
    kept = np.bincount(orders.recipe[~extreme], minlength=K)
    kept_sum = np.bincount(orders.recipe[~extreme], weights=cents[~extreme], minlength=K)
    with np.errstate(invalid="ignore", divide="ignore"):
        replacement_cents = np.rint(kept_sum / kept)  # float: exact for sums below 2**53
    lost = np.unique(orders.recipe[extreme & (kept[orders.recipe] == 0)])
    if lost.size:
        names = [spec.recipes[k] for k in lost]
        raise ValueError(f"every order of {names} is extreme: no average to replace them by")
    excluded = np.where(extreme, replacement_cents[orders.recipe], cents).astype(np.int64)

    units = UnitValues(
        report=_frozen(orders.report),
        sample=_frozen(orders.sample),
        recipe=_frozen(orders.recipe),
        step=_frozen(orders.step),
        value=_frozen(value),
    )
    return SimulatedExtremes(
        with_extremes=_with_orders(sim, units, reach, cents),
        without_extremes=_with_orders(sim, units, reach, excluded),
        orders=units,
        reach=_frozen(reach),
        planted=_frozen(is_planted),
        extreme=_frozen(extreme),
        excluded_value=_frozen(excluded / 100.0),
        mean=mean,
        std=std,
        k_sigma=float(k_sigma),
        threshold_low=low,
        threshold_high=high,
        replacement=_frozen(replacement_cents / 100.0),
    )


def with_and_without_extremes(
    spec: ExperimentSpec,
    *,
    planted: Mapping[str, Sequence[float]] | None = None,
    k_sigma: float = 3.0,
    version: int = 2,
    indent: bool = True,
) -> tuple[bytes, bytes]:
    """The two documents the API returns for one experiment: with and without extreme orders.

    Parameters
    ----------
    spec : ExperimentSpec
        What to simulate (``order_engagement`` is switched on).
    planted : mapping of str to sequence of float, optional
        Order values to plant per recipe (see :func:`simulate_extremes`).
    k_sigma : float
        Standard deviations from the mean beyond which an order is extreme (Adobe: 3).
    version : {1, 2}
        The document version of both.
    indent : bool
        Indent the documents.

    Returns
    -------
    tuple of bytes
        ``(with extreme orders, with extreme orders excluded)``, UTF-8 documents.

    Examples
    --------
    >>> from ttstats.simulate import ExperimentSpec
    >>> both = with_and_without_extremes(ExperimentSpec(n_samples=3), planted={"Experience A": [900.0]})
    >>> [doc[:38] for doc in both] == [b'<?xml version="1.0" encoding="UTF-8"?>'] * 2
    True
    """
    check_version(version)
    return simulate_extremes(spec, planted=planted, k_sigma=k_sigma).to_bytes(
        version, indent=indent
    )


def _planted_cents(values: Sequence[float], recipe: str) -> IntArray:
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1 or not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"planted[{recipe!r}]: values must be finite and >= 0, got {values!r}")
    cents: IntArray = np.rint(arr * 100).astype(np.int64)
    if cents.size and cents.max() >= MAX_HUNDREDTHS:
        raise ValueError(f"planted[{recipe!r}]: {cents.max() / 100} is too large to sum exactly")
    return cents


def _with_orders(
    sim: SimulatedExperiment, orders: UnitValues, reach: BoolArray, cents: IntArray
) -> SimulatedExperiment:
    """``sim`` with its revenue and conversion-step triple recomputed from ``cents``.

    The other measures are kept; ``order_units`` holds the new values and
    ``engagement_units`` is dropped (it would hold the old order values).
    """
    spec = sim.spec
    G, S, K, T = spec.n_groups, spec.n_samples, len(spec.recipes), len(spec.steps)
    cell = np.ravel_multi_index((orders.report, orders.sample, orders.recipe), (G, S, K))
    revenue = np.zeros((G * S * K, T), np.int64)
    np.add.at(revenue, cell, np.where(reach, cents[:, None], 0))
    count = np.bincount(cell, minlength=G * S * K).astype(np.int64)
    total = revenue[:, T - 1]
    sumsq = np.zeros(G * S * K, np.int64)
    np.add.at(sumsq, cell, cents * cents)

    def grid(a: IntArray) -> IntArray:
        out = a.reshape(G, S, K, *a.shape[1:])
        if spec.segments and spec.include_aggregate:
            out = np.concatenate([out, out.sum(axis=0, keepdims=True)])
        return out

    eng = np.array([s in spec.engagement_steps for s in spec.steps])
    ints: dict[str, IntArray] = {"revenue": grid(revenue)}
    for name, last in (
        ("engagement_count", count),
        ("engagement_total", total),
        ("engagement_sumsq", sumsq),
    ):
        scaled = np.nan_to_num(getattr(sim, name) * SCALE[name])  # NaN off the triple's steps
        full = np.rint(scaled).astype(np.int64)
        full[..., T - 1] = grid(last)
        ints[name] = full
    floats: dict[str, FloatArray] = {}
    for name, arr in ints.items():
        _check_exact(arr, name)
        campaign = arr.sum(axis=2)
        _check_exact(campaign, name)
        floats[name] = _to_float(arr, name, eng)
        floats[f"campaign_{name}"] = _to_float(campaign, name, eng)
    return replace(
        sim,
        revenue=floats["revenue"],
        engagement_count=floats["engagement_count"],
        engagement_total=floats["engagement_total"],
        engagement_sumsq=floats["engagement_sumsq"],
        campaign_revenue=floats["campaign_revenue"],
        campaign_engagement_count=floats["campaign_engagement_count"],
        campaign_engagement_total=floats["campaign_engagement_total"],
        campaign_engagement_sumsq=floats["campaign_engagement_sumsq"],
        engagement_units=None,
        order_units=orders._replace(value=_frozen(cents / 100.0)),
        order_reach=reach,
    )

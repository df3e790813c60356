r"""Extreme orders: how far they could move a verdict (one report), and how far they did (two).

T&T treats an order as extreme when its value lies more than 3 standard deviations from the
mean order value; a report requested with extreme orders excluded replaces such an order's
value by its experience's average order value. The per-order values reach us only as the
sufficient statistics of an engagement metric, ``(count, total, sumOfSquares)`` (the order
step's engagement triple), so everything here is arithmetic on those triples:

* :func:`extreme_orders` works from one report: the threshold from the Campaign's pooled
  moments, a bound on how many of each recipe's values can lie beyond it, and the smallest
  number of values at the threshold whose removal would flip the recipe's verdict against
  the control;
* :func:`extreme_order_sensitivity` compares the same request fetched with and without
  extreme orders: means, lifts, intervals and verdicts side by side, each recipe's share of
  the change in the Campaign totals, and every verdict that flips.

Samples are summed first (NaN-aware: a cell is NaN only when no sample reports it). Orders
are counted once whatever the sample, so summing the samples of a ``visitor`` report does
not double-count them; an engagement metric per visitor summed over samples is per
visitor-sample instead.
"""

from __future__ import annotations

import numpy as np

from .._errors import ReportMismatchError
from ..parse import Report
from ..stats import Moments
from ._cells import alpha_level, frozen, nansum_all, position, report_arg
from ._extreme_cells import (
    TRIPLE,
    codes,
    labelled,
    positive,
    sum_samples,
    valid_triples,
    verdict_text,
)
from ._extreme_results import CONTROL, BoolArray, ExtremeOrders, FloatArray, Sensitivity
from ._extreme_sensitivity import extreme_order_sensitivity
from ._precision import file_decimals

__all__ = [
    "ExtremeOrders",
    "ReportMismatchError",
    "Sensitivity",
    "extreme_order_sensitivity",
    "extreme_orders",
]

#: Cells (report x recipe x k) handled per vectorised pass of the worst-case removal.
_CHUNK_CELLS = 200_000
NOTE_NO_CAMPAIGN = "Campaign not reported: pooled from the sum of the recipes"


def extreme_orders(
    report: Report,
    *,
    control: str,
    metric: str,
    k_sigma: float = 3.0,
    alpha: float = 0.05,
) -> ExtremeOrders:
    r"""How many extreme values each recipe can hold, and how many would flip its verdict.

    Parameters
    ----------
    report : Report
        A parsed report; every report (segment) in it is analysed on its own.
    control : str
        The control recipe.
    metric : str
        The step whose engagement triple ``(count, total, sumOfSquares)`` holds the values
        (the order step, for order values).
    k_sigma : float, default 3.0
        A value is extreme beyond ``k_sigma`` standard deviations from the pooled mean (T&T: 3).
    alpha : float, default 0.05
        Significance level of the verdicts.

    Returns
    -------
    ExtremeOrders
        Per report and recipe: units, mean, std, the thresholds, ``max_extreme``,
        ``verdict``, ``p_value``, ``p_value_vs_rest``, ``flip_k``, ``flip_p_value`` and
        ``note``; :meth:`~ExtremeOrders.to_frame` gives one row each.

    Raises
    ------
    UnknownLabelError
        ``control`` is not a recipe or ``metric`` not a step (the message lists them).
    ValueError
        ``metric`` carries no engagement triple in any cell; ``k_sigma`` not a positive
        number; ``alpha`` outside (0, 1); invalid moments in the report (negative counts).

    Notes
    -----
    Samples are summed first (NaN-aware). For each report, with :math:`(c, T, S)` a triple:

    *Threshold.* From the Campaign's pooled moments (the sum of the recipes where the
    summary recipe is not reported), :math:`\bar x = T/c`,
    :math:`s^2 = (S - T^2/c)/(c - 1)` and :math:`t_\mp = \bar x \mp k_\sigma s`.

    *Bound.* For a recipe with mean :math:`\bar x_r` and variance :math:`s_r^2`, every
    value beyond a threshold lies at least :math:`d` from :math:`\bar x_r`, :math:`d` being
    the distance to the nearer threshold, so (Chebyshev's inequality applied to the recipe's
    own values) at most :math:`\lfloor (c - 1) s_r^2 / d^2 \rfloor` values, and at most
    :math:`c`, lie beyond. T&T's values are non-negative, so a lower threshold
    :math:`t_- \le 0` holds nothing beyond it and :math:`d = t_+ - \bar x_r`. A recipe
    whose mean lies beyond a threshold gets :math:`c`; one with a single value gets 1.

    *Worst-case removal.* Removing :math:`k` values at the upper threshold leaves
    :math:`(c - k,\; T - k t_+,\; S - k t_+^2)` (a :class:`~ttstats.stats.Moments`
    difference, so impossible remainders are undefined, never numbers). For every
    :math:`k = 1, \dots,` ``max_extreme`` at once, Welch's test against the control is rerun
    (:meth:`~ttstats.stats.Moments.welch_test`); ``flip_k`` is the smallest :math:`k` whose
    verdict differs from the verdict with every value, both defined: significant
    (:math:`p < \alpha`) against not, or a significant difference changing sign. In the
    control's row, the removals are from the control and a flip of any recipe's verdict
    counts. A value at the threshold is the least a value beyond it can weigh, so removing
    values there is the mildest removal of extreme orders the moments allow; it is a
    scenario, not a bound: removing a larger value also shrinks the variance, so Welch's
    statistic is not monotone in the value removed, and T&T's own exclusion replaces an
    extreme order by the experience's average order value rather than removing it (see
    :func:`extreme_order_sensitivity` for the report with extreme orders excluded). Only
    the upper threshold is used: a lower one at or below 0 holds no order. The verdict is
    not monotone in :math:`k` either: every :math:`k` up to the bound is tried. Verdicts
    here are unadjusted (:math:`p < \alpha` of one comparison), unlike those of
    :func:`~ttstats.compare_means`, which are corrected for multiplicity.

    *Recipe against the rest.* ``p_value_vs_rest`` is Welch's test of the recipe against the
    Campaign minus the recipe (moments subtract).

    References
    ----------
    Adobe, Test&Target Performance Report API: ``sumOfSquares`` is for extreme-order
    calculations; an order more than 3 standard deviations from the mean order value is
    extreme.
    Chebyshev, P. L. (1867). Des valeurs moyennes. Journal de mathématiques pures et
    appliquées 12, 177-184.
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34, 28-35.

    Examples
    --------
    Eight orders of 4000 planted in "Experience B" (order values are about 40 otherwise):

    >>> import ttstats
    >>> from ttstats.simulate import ExperimentSpec, LogNormal, with_and_without_extremes
    >>> spec = ExperimentSpec(n_samples=7, seed=3, traffic=400.0, revenue=LogNormal(3.5, 0.6),
    ...                       steps=("Entry", "Page Count", "Order Confirmation"),
    ...                       rates=[1.0, 0.9, 0.08])
    >>> xml, _ = with_and_without_extremes(spec, planted={"Experience B": [4000.0] * 8})
    >>> res = extreme_orders(ttstats.read_report(xml), control="Experience A",
    ...                      metric="Order Confirmation")
    >>> res.to_frame()[["segment", "recipe", "max_extreme", "verdict", "flip_k"]]
         segment        recipe  max_extreme          verdict  flip_k
    0  Segment 1  Experience A            0          control    <NA>
    1  Segment 1  Experience B           51  not significant    <NA>
    2  Segment 2  Experience A            0          control    <NA>
    3  Segment 2  Experience B           53           higher       3
    4       None  Experience A            0          control    <NA>
    5       None  Experience B          105           higher      10
    >>> res.threshold_high.round(2).tolist()
    [1040.92, 1321.01, 1190.15]
    """
    report_arg(report)
    c = position(report.recipes, control, "control", "recipe")
    j = position(report.steps, metric, "metric", "step")
    width = positive(k_sigma, "k_sigma")
    a = alpha_level(alpha)
    *cells, bad_rec = valid_triples(*(getattr(report, f"engagement_{m}")[..., j] for m in TRIPLE))
    triple = [sum_samples(x) for x in cells]
    if np.isnan(triple[0]).all():
        raise ValueError(
            f"metric: step {metric!r} carries no engagement triple; {_engaged(report)}"
        )
    places = file_decimals(report, "engagement_total", "engagement_sumsq")
    rec = Moments(*triple, decimals=places)  # (report, recipe)
    pooled, fallback, bad_camp = _campaign_triple(report, j)
    camp = Moments(*pooled, decimals=places)  # (report,)

    mv, mvc = rec.mean_var(), camp.mean_var()
    with np.errstate(invalid="ignore"):
        spread = np.sqrt(mvc.var)
    low, high = mvc.mean - width * spread, mvc.mean + width * spread
    bound = _bound(rec.count, mv.mean, mv.var, low, high)

    ctrl = rec[:, c, None]
    base = rec.welch_test(ctrl)
    is_control = np.arange(len(report.recipes)) == c
    code = np.where(is_control, np.nan, codes(base.pvalue, base.statistic, a))
    rest = rec.welch_test(camp[:, None] - rec)
    flip, flip_p = _worst_case(rec, c, high, bound, code, a)

    verdict = verdict_text(code, is_control)
    notes = np.empty(code.shape, dtype=object)
    for r, k in np.ndindex(*code.shape):
        parts = [CONTROL] if is_control[k] else []
        if fallback[r]:
            parts.append(NOTE_NO_CAMPAIGN)
        parts += labelled(("values", mv.reason[r, k]), ("threshold", mvc.reason[r]))
        if not is_control[k]:
            parts += labelled(("test", base.reason[r, k]))
        parts += labelled(("vs rest", rest.reason[r, k]))
        notes[r, k] = "; ".join(dict.fromkeys(parts))
    warnings = tuple(
        f"report {r}: the Campaign summary recipe is not reported; its moments are the sum "
        "of the recipes"
        for r in np.flatnonzero(fallback)
    ) + tuple(
        f"{int(n)} sample(s) of {what} carry engagement values of {metric!r} that no set of "
        "values can have (a count that is not a whole number >= 0, a negative or infinite "
        "sum): left out"
        for what, n in (("the recipes", bad_rec.sum()), ("the Campaign", bad_camp.sum()))
        if n
    )
    return ExtremeOrders(
        reports=report.reports,
        recipes=report.recipes,
        control=control,
        metric=metric,
        k_sigma=width,
        alpha=a,
        units=frozen(rec.count),
        mean=frozen(mv.mean),
        std=frozen(np.sqrt(mv.var)),
        campaign_units=frozen(camp.count),
        campaign_mean=frozen(mvc.mean),
        campaign_std=frozen(spread),
        threshold_low=frozen(low),
        threshold_high=frozen(high),
        max_extreme=frozen(bound),
        verdict=frozen(verdict),
        p_value=frozen(np.where(is_control, np.nan, base.pvalue)),
        p_value_vs_rest=frozen(rest.pvalue),
        flip_k=frozen(flip),
        flip_p_value=frozen(flip_p),
        note=frozen(notes),
        warnings=warnings,
    )


def _bound(
    count: FloatArray, mean: FloatArray, var: FloatArray, low: FloatArray, high: FloatArray
) -> FloatArray:
    """Chebyshev's bound on the values beyond a threshold, shape ``(report, recipe)``."""
    lo, hi = low[:, None], high[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        d_hi = hi - mean
        d = np.where(lo > 0, np.minimum(d_hi, mean - lo), d_hi)
        ratio = var * (count - 1.0) / (d * d)
        # 1e-12: the floor must not lose a whole value to the rounding of an exact ratio
        bound = np.minimum(count, np.floor(ratio * (1.0 + 1e-12)))
        bound = np.where(d <= 0, count, bound)
        bound = np.where(count < 2, count, bound)
    out: FloatArray = np.where(np.isnan(d), np.nan, bound)
    return out


def _worst_case(
    rec: Moments, c: int, high: FloatArray, bound: FloatArray, code: FloatArray, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Smallest k of values at ``high`` whose removal flips a verdict, and its p-value.

    Every k from 1 to the largest bound is tried at once, in chunks of about
    :data:`_CHUNK_CELLS` cells; a chunk stops the scan once every row has its answer.
    """
    R, K = rec.shape
    flip = np.full((R, K), np.nan)
    flip_p = np.full((R, K), np.nan)
    treated = np.arange(K) != c
    defined = ~np.isnan(code)
    need = np.isfinite(bound) & (bound >= 1)
    need &= np.where(treated, defined, (defined & treated).any(axis=1, keepdims=True))
    if not need.any():
        return flip, flip_p
    kmax = int(np.max(bound[need]))
    chunk = max(1, _CHUNK_CELLS // (R * K))
    u = high[:, None, None]
    ctrl = rec[:, c, None, None]
    whole = rec[:, :, None]
    for k0 in range(1, kmax + 1, chunk):
        ks = np.arange(k0, min(k0 + chunk, kmax + 1), dtype=np.float64)
        removal = Moments(ks, ks * u, ks * u * u, decimals=None)  # (report, 1, k)
        within = ks <= bound[:, :, None]
        # a recipe loses k values, the control stays
        res = (whole - removal).welch_test(ctrl)
        hit = _flips(res.pvalue, res.statistic, code, alpha) & within & treated[:, None]
        _first(hit, ks, res.pvalue, flip, flip_p, need)
        # the control loses k values: a flip of any recipe counts
        res_c = whole.welch_test(ctrl - removal)
        hit_c = _flips(res_c.pvalue, res_c.statistic, code, alpha) & treated[:, None]
        hit_c &= within[:, c, None, :]
        first = np.argmax(hit_c, axis=1)  # the first recipe that flips, per (report, k)
        any_c = hit_c.any(axis=1)[:, None, :]
        p_c = np.take_along_axis(res_c.pvalue, first[:, None, :], axis=1)
        ctrl_need = need & ~treated
        _first(any_c, ks, p_c, flip[:, c, None], flip_p[:, c, None], ctrl_need[:, c, None])
        if not (need & np.isnan(flip)).any():
            break
    return flip, flip_p


def _flips(pvalue: FloatArray, statistic: FloatArray, base: FloatArray, alpha: float) -> BoolArray:
    """Where the verdict after removal is defined and differs from ``base`` (also defined)."""
    now = codes(pvalue, statistic, alpha)
    before = base[:, :, None]
    out: BoolArray = ~np.isnan(now) & ~np.isnan(before) & (now != before)
    return out


def _first(
    hit: BoolArray,
    ks: FloatArray,
    pvalue: FloatArray,
    flip: FloatArray,
    flip_p: FloatArray,
    need: BoolArray,
) -> None:
    """Record, where none is yet, the first ``k`` of ``hit`` (last axis) and its p-value."""
    idx = np.argmax(hit, axis=-1)
    found = hit.any(axis=-1) & need & np.isnan(flip)
    flip[found] = ks[idx[found]]
    flip_p[found] = np.take_along_axis(pvalue, idx[..., None], axis=-1)[..., 0][found]


def _campaign_triple(report: Report, j: int) -> tuple[list[FloatArray], BoolArray, BoolArray]:
    """The Campaign's summed triple per report, where it fell back to the recipes' sum, and
    the invalid Campaign cells left out."""
    *camp, bad = valid_triples(
        *(getattr(report.campaign, f"engagement_{m}")[:, :, None, j] for m in TRIPLE)
    )
    own = [sum_samples(x)[:, 0] for x in camp]
    *cells, _ = valid_triples(*(getattr(report, f"engagement_{m}")[..., j] for m in TRIPLE))
    parts = [sum_samples(x) for x in cells]
    fallback = np.isnan(own[0]) & ~np.isnan(parts[0]).all(axis=1)
    pooled = [np.where(fallback, nansum_all(p, axis=1), o) for o, p in zip(own, parts, strict=True)]
    return pooled, fallback, bad


def _engaged(report: Report) -> str:
    has = [bool(x) for x in np.asarray(~np.isnan(report.engagement_count).all(axis=(0, 1, 2)))]
    names = [s for s, ok in zip(report.steps, has, strict=True) if ok]
    return f"steps with one: {names}" if names else "no step carries one"

"""``compare_means``: engagement and revenue means of every recipe against the control."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Final, Literal

import numpy as np
from scipy import special

from .._errors import AggregationWarning, UnknownLabelError
from ..parse import Report
from ..stats import MeanVar, Moments, adjust_pvalues, average_order_value, revenue_per_visitor
from ..stats.multiple import ADJUST_METHODS, AdjustMethod
from ._cells import (
    alpha_level,
    choice,
    flag,
    frozen,
    nansum_keep,
    not_count,
    position,
    report_arg,
    total_axis,
    visitor_caveat,
)
from ._comparison import BoolArray, FloatArray, ObjectArray
from ._means_comparison import MeansComparison
from ._notes import NOTE_CONTROL, join, prefixed, text
from ._precision import file_decimals

Per = Literal["entry", "engaged"]
PER_CHOICES: tuple[str, ...] = ("entry", "engaged")
#: The ``metric`` name that means revenue rather than a step's engagement.
REVENUE: Final = "revenue"
#: An engagement total within this of the step's revenue (half a cent plus half the last
#: printed digit of the total) holds the order values behind the revenue.
ORDER_VALUE_TOLERANCE: Final = 0.005 + 0.5e-5

#: ``source`` of a cell: the step's engagement triple, order values, or a revenue total.
SOURCE_ENGAGEMENT: Final = "engagement"
SOURCE_ORDER_VALUES: Final = "order values"
SOURCE_REVENUE_TOTAL: Final = "revenue total"

NOTE_REVENUE_TOTAL = (
    "revenue without a sum of squares: a point estimate, no interval or test is possible"
)
NOTE_NOT_ORDER_VALUES = (
    "the step's engagement does not add up to its revenue: not taken as order values"
)
NOTE_INVALID = (
    "invalid engagement values (a count not a whole number >= 0, or a sum infinite or negative)"
)
NOTE_LIFT_UNDEFINED = "lift: control mean <= 0: lift undefined"

_EPS = float(np.finfo(np.float64).eps)


def compare_means(
    report: Report,
    control: str,
    *,
    metric: str | Sequence[str],
    per: Per = "entry",
    entry: str = "Entry",
    alpha: float = 0.05,
    correction: AdjustMethod = "holm",
    by_sample: bool = False,
    revenue_step: str | None = None,
) -> MeansComparison:
    r"""Compare every recipe's mean of a continuous metric with the control's, all cells at once.

    Parameters
    ----------
    report : Report
        A parsed Performance Report (:func:`ttstats.read_report`).
    control : str
        The control recipe; it gets its own rows (mean and interval, no comparison).
    metric : str or sequence of str
        A step carrying an engagement triple (``count``, ``total``, ``sumOfSquares``), e.g.
        ``"Time on Site"``, or ``"revenue"`` (which always means revenue, even if a step has
        that name). A sequence gives one metric per entry of the last axis.
    per : {"entry", "engaged"}
        ``"entry"``: per entry, units without a value counting as 0 (revenue per visitor);
        ``"engaged"``: per unit with a value (for revenue: per order, the average order value).
    entry : str, default "Entry"
        The step whose count is the entries.
    alpha : float, default 0.05
        Significance level; intervals are at confidence ``1 - alpha`` (not adjusted).
    correction : {"holm", "bonferroni", "fdr_bh"}
        Multiple-testing adjustment (:func:`~ttstats.stats.adjust_pvalues`).
    by_sample : bool, default False
        Keep the sample axis instead of summing the samples.
    revenue_step : str, optional
        The step whose revenue ``"revenue"`` reads. Default: the last step with any revenue
        (version 1 carries it on the final step only).

    Returns
    -------
    MeansComparison
        Labelled arrays ``units, mean, std, mean_low, mean_high, diff, diff_low, diff_high,
        lift, lift_low, lift_high, statistic, df, p_value, p_adjusted, significant,
        reliable, note, source``; :meth:`MeansComparison.to_frame` gives one row per cell.

    Raises
    ------
    UnknownLabelError
        ``control`` is not a recipe, or ``entry``, ``revenue_step`` or a metric is not a step
        (the message lists them).
    ValueError
        An unknown ``per`` or ``correction``, ``alpha`` outside (0, 1), a metric given twice,
        a metric step without any engagement values, ``"revenue"`` when no step has revenue.

    Warns
    -----
    AggregationWarning
        When samples are summed in a ``visitor`` report holding more than one sample (a
        returning visitor is counted once per sample); kept in ``warnings`` too.

    Notes
    -----
    Moments. From a cell's :math:`(c, T, S)`, per engaged unit the mean is :math:`T/c` and
    the variance :math:`(S - T^2/c)/(c-1)`; per entry :math:`n` replaces :math:`c` (padding
    with zeros changes neither sum). Summed samples add their triples, with the rounding
    bound of each printed sum (:class:`~ttstats.stats.Moments`). ``mean_low, mean_high`` are
    :math:`\bar x \pm t_{1-\alpha/2,\,u-1}\, s/\sqrt{u}`; ``diff`` has Welch's interval and
    test (:func:`~ttstats.stats.welch_test_from_moments`), ``lift`` the delta-method
    interval on the log ratio (:func:`~ttstats.stats.mean_lift_interval`).

    Precision. Where :math:`S - T^2/c` cannot be told from its rounding error
    (:func:`~ttstats.stats.moments_mean_var`), ``std``, the intervals and the test are NaN,
    ``reliable`` is False and the note gives the reason; nothing is clipped.

    Revenue. The reports carry revenue totals without a sum of squares (version 1: the
    recipe's ``amount`` on the final step; version 2: each step's ``revenue``). Revenue per
    visitor (``per="entry"``, :func:`~ttstats.stats.revenue_per_visitor`) and average order
    value (``per="engaged"``, revenue over the step's count,
    :func:`~ttstats.stats.average_order_value`) are then point estimates with ``diff`` and
    ``lift``, and the note says no interval or test is possible: a variance is never
    invented. Where the revenue step also carries an engagement triple whose total is its
    revenue (within :data:`ORDER_VALUE_TOLERANCE` in every sample), the triple holds the
    order values and is used as for any engagement metric (``source`` ``"order values"``).

    Multiple testing. The family is every (recipe, metric) comparison within one report,
    and within one sample when ``by_sample``; NaN p-values neither count nor get adjusted.

    Notes column. ``""`` when every field of the row is defined; otherwise the distinct
    reasons joined by ``"; "``: revenue without a sum of squares, the row's own trouble as
    the statistics layer words it (``"treatment: variance not resolvable from the reported
    sums"``), the control's (``"control: ..."``), then what the lift alone lacks
    (``"lift: ..."``). The control's rows start with ``"control"``.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34, 28-35.
    Kohavi, R., Tang, D. and Xu, Y. (2020). Trustworthy Online Controlled Experiments,
    chapter 18 (the delta method for percent change). Cambridge University Press.

    Examples
    --------
    >>> import ttstats
    >>> def recipe(name, n, c, t, s):
    ...     return (f'<recipe name="{name}"><step name="Entry"><amount>{n}</amount></step>'
    ...             f'<step name="Pages"><amount>{c}</amount><engagement count="{c}" '
    ...             f'total="{t}" sumOfSquares="{s}"/></step></recipe>')
    >>> xml = ('<reports><report campaignId="1" start="2024-03-01" end="2024-03-02" '
    ...        'resolution="day" type="visit"><sample start="2024-03-01T00:00" duration="day">'
    ...        + recipe("A", 500, 400, "1200.00000", "4800.00000")
    ...        + recipe("B", 500, 410, "1312.00000", "5425.40000")
    ...        + '</sample></report></reports>')
    >>> res = compare_means(ttstats.read_report(xml), "A", metric="Pages", per="engaged")
    >>> res
    <MeansComparison vs 'A' per engaged: 1 report(s), 2 recipe(s), metrics ['Pages']; 0 significant at alpha=0.05 (welch, holm)>
    >>> row = res.to_frame().iloc[1]  # B against A; row 0 is the control's own
    >>> row["recipe"], float(row["units"]), float(row["mean"]), round(float(row["lift"]), 4)
    ('B', 410.0, 3.2, 0.0667)
    >>> round(float(row["std"]) ** 2, 6), round(float(row["p_value"]), 4), bool(row["reliable"])
    (3.0, 0.101, True)

    Version-1 revenue (the recipe's ``amount``, on the final step) has no sum of squares:
    revenue per visitor is a point estimate.

    >>> v1 = ttstats.read_report(xml.replace("</recipe>", "<amount>250.00</amount></recipe>"))
    >>> row = compare_means(v1, "A", metric="revenue").to_frame().iloc[1]
    >>> float(row["mean"]), float(row["lift"]), row["source"], float(row["p_value"])
    (0.5, 0.0, 'revenue total', nan)
    >>> row["note"].split("; ")
    ["the step's engagement does not add up to its revenue: not taken as order values",
     'revenue without a sum of squares: a point estimate, no interval or test is possible']
    """
    report_arg(report)
    choice(per, PER_CHOICES, "per")
    choice(correction, ADJUST_METHODS, "correction")
    a = alpha_level(alpha)
    c = position(report.recipes, control, "control", "recipe")
    e = position(report.steps, entry, "entry", "step")
    metrics = _metrics(metric)
    uses_revenue = REVENUE in metrics or revenue_step is not None
    rev_col = _revenue_step(report, revenue_step) if uses_revenue else -1
    cols = np.asarray(
        [rev_col if m == REVENUE else _engagement_step(report, m) for m in metrics],
        dtype=np.intp,
    )
    is_rev = np.asarray([m == REVENUE for m in metrics], dtype=bool)
    by_sample = flag(by_sample, "by_sample")

    notes: list[str] = []
    if not by_sample:
        caveat = visitor_caveat(report, units="units and values")
        if caveat:
            warnings.warn(caveat, AggregationWarning, stacklevel=2)
            notes.append(caveat)

    def total(arr: FloatArray) -> FloatArray:
        return arr if by_sample else nansum_keep(arr, axis=1)[:, 0]

    def anywhere(mask: BoolArray) -> BoolArray:
        out: BoolArray = mask if by_sample else np.any(mask, axis=1)
        return out

    # -- raw cells (report, sample, recipe, metric) and which revenue cells hold order values
    ec, et, es, rev, cnt = (
        arr[..., cols]
        for arr in (
            report.engagement_count,
            report.engagement_total,
            report.engagement_sumsq,
            report.revenue,
            report.count,
        )
    )
    has_t, has_r = ~np.isnan(et), ~np.isnan(rev)
    with np.errstate(invalid="ignore"):
        scale = np.fmax(np.abs(et), np.abs(rev))
        agree = has_t & has_r & (np.abs(et - rev) <= ORDER_VALUE_TOLERANCE + 4 * _EPS * scale)
    order_values = is_rev & anywhere(agree) & ~anywhere((has_t | has_r) & ~agree)
    point = is_rev & ~order_values
    mismatch = point & anywhere(has_t)

    # -- the summed cells: entries, counts, revenue, moments
    n_all = total(report.count[..., e])
    n = np.where(not_count(n_all), np.nan, n_all)[..., None]
    orders_all = total(cnt)
    shape = orders_all.shape
    n_cell = np.broadcast_to(n, shape)
    revenue = total(rev)
    revenue = np.where(np.isinf(revenue), np.nan, revenue)
    keep = ~point if by_sample else ~point[:, None]
    places = file_decimals(report, "engagement_total", "engagement_sumsq")
    m, invalid = _moments(ec, et, es, keep, by_sample, places)
    invalid = anywhere(invalid) & ~point

    # -- each arm: mean, variance and the moments the two-arm statistics use
    arm, mv = _arms(m, n_cell, per)
    if per == "entry":
        pe = revenue_per_visitor(revenue, n_cell)
        units = np.asarray(n_cell, dtype=np.float64)
        point_units = units
    else:
        orders = np.where(not_count(orders_all), np.nan, orders_all)
        pe = average_order_value(revenue, orders)
        units = total(ec)
        point_units = orders_all
    units = np.where(point, point_units, units)
    mean = np.where(point, pe.value, mv.mean)
    reliable_own = mv.reliable & ~point
    var = np.where(reliable_own, mv.var, np.nan)
    std = np.sqrt(var)
    half = _t_half_width(var, arm.count, reliable_own, a)
    mean_low, mean_high = mean - half, mean + half

    # -- against the control, every cell in one call per statistic
    is_control = np.broadcast_to((np.arange(len(report.recipes)) == c)[:, None], shape)
    treatment = ~is_control
    mean_c = np.broadcast_to(mean[..., c : c + 1, :], shape)
    reliable_c = np.broadcast_to(reliable_own[..., c : c + 1, :], shape)
    compared = treatment & reliable_own & reliable_c
    ctrl = arm[..., c : c + 1, :]
    welch = arm.welch_test(ctrl)
    diff_ci = arm.difference_interval(ctrl, alpha=a)
    lift_ci = arm.lift_interval(ctrl, alpha=a)

    def comparison(values: FloatArray) -> FloatArray:
        out: FloatArray = np.where(compared, values, np.nan)
        return out

    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where(is_control, np.nan, mean - mean_c)
        lift = np.where(is_control | ~(mean_c > 0), np.nan, mean / mean_c - 1.0)
    p_value = comparison(welch.pvalue)
    family = p_value.reshape(*shape[:-2], shape[-2] * shape[-1])
    p_adjusted = adjust_pvalues(family, method=correction, axis=-1).reshape(shape)

    # -- notes
    own = np.where(invalid, NOTE_INVALID, np.where(point, pe.reason, mv.reason)).astype(object)
    point_c = np.broadcast_to(point[..., c : c + 1, :], shape)
    first = join(
        text(mismatch, NOTE_NOT_ORDER_VALUES),
        text(point, NOTE_REVENUE_TOTAL),
        text(treatment & point_c & ~point, "control: " + NOTE_REVENUE_TOTAL),
    )
    lift_note = text(treatment & (mean_c <= 0), NOTE_LIFT_UNDEFINED)
    note = join(
        _gaps_note(ec, point, by_sample),
        text(is_control, NOTE_CONTROL),
        first,
        np.where(is_control, own, prefixed("treatment: ", own)).astype(object),
        np.where(treatment, prefixed("control: ", own[..., c : c + 1, :]), "").astype(object),
        np.where(compared, diff_ci.reason, "").astype(object),
        lift_note,
        np.where(compared & (lift_note == ""), prefixed("lift: ", lift_ci.reason), "").astype(
            object
        ),
    )
    source = np.where(
        is_rev, np.where(order_values, SOURCE_ORDER_VALUES, SOURCE_REVENUE_TOTAL), SOURCE_ENGAGEMENT
    ).astype(object)

    return MeansComparison(
        reports=report.reports,
        samples=report.samples if by_sample else total_axis(report.samples),
        recipes=report.recipes,
        metrics=metrics,
        steps=tuple(report.steps[i] for i in cols),
        control=control,
        entry=entry,
        per=per,
        by_sample=by_sample,
        units=frozen(units),
        mean=frozen(mean),
        std=frozen(std),
        mean_low=frozen(mean_low),
        mean_high=frozen(mean_high),
        diff=frozen(diff),
        diff_low=frozen(comparison(diff_ci.low)),
        diff_high=frozen(comparison(diff_ci.high)),
        lift=frozen(lift),
        lift_low=frozen(comparison(lift_ci.low)),
        lift_high=frozen(comparison(lift_ci.high)),
        statistic=frozen(comparison(welch.statistic)),
        df=frozen(comparison(welch.df)),
        p_value=frozen(p_value),
        p_adjusted=frozen(p_adjusted),
        significant=frozen(p_adjusted < a),
        reliable=frozen(reliable_own & (is_control | reliable_c)),
        note=frozen(note),
        source=frozen(source),
        alpha=a,
        correction=correction,
        warnings=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------
def _metrics(metric: object) -> tuple[str, ...]:
    chosen = (metric,) if isinstance(metric, str) else metric
    if not isinstance(chosen, Sequence) or not chosen:
        raise ValueError(f"metric must be a step name, 'revenue' or a list of them, got {metric!r}")
    out = tuple(chosen)
    if not all(isinstance(m, str) for m in out):
        raise ValueError(f"metric: names must be strings, got {list(out)!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"metric: each metric may be given once, got {list(out)}")
    return out


def _engagement_step(report: Report, name: str) -> int:
    """The position of an engagement step; ValueError listing those with values if it has none."""
    if name not in report.steps:
        raise UnknownLabelError(
            f"metric={name!r} is not a step of the report; steps are {list(report.steps)}, "
            f"or {REVENUE!r} for the revenue"
        )
    col = report.steps.index(name)
    carried: BoolArray = ~np.all(np.isnan(report.engagement_count), axis=(0, 1, 2))
    carried |= ~np.all(np.isnan(report.campaign.engagement_count), axis=(0, 1))
    if not carried[col]:
        listed = [s for s, ok in zip(report.steps, carried, strict=True) if ok]
        raise ValueError(
            f"metric={name!r}: the step carries no engagement values; steps with engagement "
            f"are {listed}, or use metric='revenue'"
        )
    return col


def _revenue_step(report: Report, revenue_step: str | None) -> int:
    carried = ~np.isnan(report.revenue).all(axis=(0, 1, 2))
    if revenue_step is not None:
        return position(report.steps, revenue_step, "revenue_step", "step")
    if not carried.any():
        raise ValueError("metric='revenue': no step of the report carries revenue")
    return int(np.flatnonzero(carried)[-1])


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------
def _moments(
    count: FloatArray,
    total: FloatArray,
    sumsq: FloatArray,
    keep: BoolArray,
    by_sample: bool,
    decimals: int,
) -> tuple[Moments, BoolArray]:
    """The cells' Moments, summed over the samples unless ``by_sample``, and the invalid cells.

    A measure is NaN after summing only where every sample is NaN (never reported); an
    invalid value (fractional or negative count, infinite or negative sum) makes its cell NaN.
    """
    with np.errstate(invalid="ignore"):
        invalid = not_count(count) | np.isinf(total) | np.isinf(sumsq) | (sumsq < 0)
    parts = []
    for arr in (count, total, sumsq):
        if not by_sample:
            nan = np.isnan(arr)
            arr = np.where(nan & ~nan.all(axis=1, keepdims=True), 0.0, arr)
        parts.append(np.where(invalid | ~keep, np.nan, arr))
    m = Moments(parts[0], parts[1], parts[2], decimals=decimals)
    return (m if by_sample else m.sum(axis=1)), invalid


def _gaps_note(count: FloatArray, point: BoolArray, by_sample: bool) -> ObjectArray:
    """Where summed samples lack the engagement values that other samples report, how many:
    the sums count them as samples without engaged units (the API writes no triple then)."""
    if by_sample:
        return np.full(count.shape, "", dtype=object)
    out = np.full(count.shape[:1] + count.shape[2:], "", dtype=object)
    nan = np.isnan(count)
    gaps = (nan & ~nan.all(axis=1, keepdims=True)).sum(axis=1)
    gaps = np.where(np.broadcast_to(point, gaps.shape), 0, gaps)
    for k in np.unique(gaps[gaps > 0]):
        out[gaps == k] = (
            f"{k} sample(s) report no engagement values here: counted as samples without "
            "engaged units"
        )
    return out


def _arms(m: Moments, n: FloatArray, per: str) -> tuple[Moments, MeanVar]:
    """The moments each arm is tested with, and its mean and variance per unit."""
    if per == "engaged":
        return m, m.mean_var()
    with np.errstate(invalid="ignore"):
        pad = np.where(m.count <= n, n - m.count, np.nan)
    zeros = np.zeros(pad.shape)
    arm = m + Moments(pad, zeros, zeros, decimals=None)  # n - c values of 0
    own, padded = m.per_entry(n), arm.mean_var()
    reliable = own.reliable & padded.reliable
    reason = np.where(own.reason != "", own.reason, padded.reason).astype(object)
    return arm, MeanVar(own.mean, np.where(reliable, padded.var, np.nan), reliable, reason)


def _t_half_width(var: FloatArray, units: FloatArray, ok: BoolArray, alpha: float) -> FloatArray:
    """Half-width of the t interval of a mean; NaN where the variance is not a number."""
    u = np.where(ok, units, 2.0)
    q = -special.stdtrit(u - 1.0, alpha / 2.0)  # the upper quantile, exact for tiny alpha
    out: FloatArray = np.where(ok, q * np.sqrt(np.where(ok, var, 0.0) / u), np.nan)
    return out

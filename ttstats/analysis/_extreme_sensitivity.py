r"""``extreme_order_sensitivity``: the same request with and without extreme orders.

Public through :mod:`ttstats.analysis.extreme`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._errors import AggregationWarning, ReportMismatchError
from ..parse import Report
from ..stats import Moments
from ._cells import alpha_level, frozen, nansum_all, position, report_arg
from ._compare_means import REVENUE, compare_means
from ._extreme_cells import (
    TRIPLE,
    codes,
    defined,
    labelled,
    sum_samples,
    valid_triples,
    verdict_text,
)
from ._extreme_results import CONTROL, BoolArray, FloatArray, Sensitivity
from ._precision import file_decimals

NOTE_NO_SHARE = "share: the Campaign total did not change beyond rounding"


def extreme_order_sensitivity(
    with_extremes: Report,
    without_extremes: Report,
    *,
    control: str,
    steps: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> Sensitivity:
    r"""Side by side: the same request with extreme orders and with them excluded.

    Parameters
    ----------
    with_extremes, without_extremes : Report
        The same request (campaign, dates, resolution, type, segments) fetched with extreme
        orders and with extreme orders excluded.
    control : str
        The control recipe.
    steps : sequence of str, optional
        The steps to compare; default every step that carries an engagement triple or
        revenue in either report.
    alpha : float, default 0.05
        Significance level of the verdicts; intervals at confidence ``1 - alpha``.

    Returns
    -------
    Sensitivity
        Per report, recipe, step and measure (``"engagement"``, ``"revenue"``): units,
        means, lifts, lift intervals, p-values and verdicts with and without, whether the
        verdict flips, totals and each recipe's share of the change in the Campaign total;
        :meth:`~Sensitivity.to_frame` and :meth:`~Sensitivity.flips`.

    Raises
    ------
    ReportMismatchError
        (a ``ValueError``) the reports are not the same request: their number, a report's
        campaign id, start or end date, resolution, type, segment or segment id, the recipes
        or the steps differ. The message lists every difference.
    UnknownLabelError
        ``control`` is not a recipe or a name in ``steps`` is not a step.
    ValueError
        A step in ``steps`` given twice or carrying neither engagement nor revenue;
        ``alpha`` outside (0, 1).

    Notes
    -----
    Samples are summed (NaN-aware) and recipes and steps matched by name.

    *Engagement* (the step's triple :math:`(c, T, S)`): mean :math:`T/c` per unit with a
    value, lift :math:`\bar x_t/\bar x_c - 1` with the delta-method interval on the log
    ratio (:meth:`~ttstats.stats.Moments.lift_interval`), and the verdict of Welch's test
    against the control at ``alpha``: ``"higher"``, ``"lower"`` or ``"not significant"``.
    *Revenue*: revenue per entry (the first step's count) and its lift, exactly as
    :func:`~ttstats.compare_means` with ``metric="revenue"`` computes them: where the step's
    engagement triple holds its order values (it adds up to the revenue), Welch's test on the
    orders with the entries without an order counted as 0, with the delta-method interval of
    the lift; where the file gives the revenue total alone (no sum of squares), a point
    estimate, no interval or test, and the verdict ``"undefined"``.

    A verdict *flips* when both are defined and they differ. The *share of change* of a
    recipe is :math:`\Delta T_r / \Delta T_{\mathrm{Campaign}}` with
    :math:`\Delta = \text{without} - \text{with}`; the shares of the recipes sum to 1 when
    Campaign is their sum. It is NaN (with a note) where the Campaign total did not change
    beyond the rounding of the file. Excluding extreme orders replaces values and keeps
    counts, so counts that differ between the reports are listed in ``warnings``.

    References
    ----------
    Adobe, Test&Target Performance Report API (the request flag that excludes extreme
    orders).
    Kohavi, R., Tang, D. and Xu, Y. (2020). Trustworthy Online Controlled Experiments,
    chapter 18 (the delta method for percent change). Cambridge University Press.

    Examples
    --------
    Equal true order values, and eight orders of 4000 planted in "Experience B":

    >>> import ttstats
    >>> from ttstats.simulate import ExperimentSpec, LogNormal, with_and_without_extremes
    >>> spec = ExperimentSpec(n_samples=7, seed=3, traffic=400.0, revenue=LogNormal(3.5, 0.6),
    ...                       steps=("Entry", "Page Count", "Order Confirmation"),
    ...                       rates=[1.0, 0.9, 0.08])
    >>> a, b = with_and_without_extremes(spec, planted={"Experience B": [4000.0] * 8})
    >>> res = extreme_order_sensitivity(ttstats.read_report(a), ttstats.read_report(b),
    ...                                 control="Experience A", steps=["Order Confirmation"])
    >>> res
    <Sensitivity vs 'Experience A': 3 report(s), 2 recipe(s), 1 step(s); 3 verdict(s) flip at alpha=0.05>
    >>> res.flips()[["segment", "recipe", "measure", "verdict_with", "verdict_without"]]
         segment        recipe     measure verdict_with  verdict_without
    0  Segment 2  Experience B  engagement       higher  not significant
    1       None  Experience B  engagement       higher  not significant
    2       None  Experience B     revenue       higher  not significant
    """
    report_arg(with_extremes, "with_extremes")
    report_arg(without_extremes, "without_extremes")
    a = alpha_level(alpha)
    _check_same_request(with_extremes, without_extremes)
    w, wo = with_extremes, without_extremes
    c = position(w.recipes, control, "control", "recipe")
    avail_all = _available(w) | _available(wo)[[wo.steps.index(s) for s in w.steps]]
    names = _chosen_steps(w, steps, avail_all)
    cols = [w.steps.index(s) for s in names]
    rec_wo = np.asarray([wo.recipes.index(r) for r in w.recipes], dtype=np.intp)
    col_wo = np.asarray([wo.steps.index(s) for s in names], dtype=np.intp)
    entry_wo = wo.steps.index(w.steps[0])
    available = avail_all[cols]

    sw = _side(w, np.arange(len(w.recipes)), np.asarray(cols), 0, c, a)
    so = _side(wo, rec_wo, col_wo, entry_wo, c, a)
    change = so["total"] - sw["total"]
    camp_change = so["campaign_total"] - sw["campaign_total"]
    K = len(w.recipes)
    eng = min(file_decimals(x, "engagement_total") for x in (w, wo))
    rev = min(file_decimals(x, "revenue") for x in (w, wo))
    unit = np.array([0.5 * 10.0**-eng, 0.5 * 10.0**-rev])
    with np.errstate(invalid="ignore", divide="ignore"):
        noise = 2 * (K + 1) * unit + 1e-12 * np.abs(sw["campaign_total"])
        moved = np.abs(camp_change) > noise
        share = np.where(moved[:, None], change / camp_change[:, None], np.nan)
    flipped = defined(sw["verdict"]) & defined(so["verdict"])
    flipped &= sw["verdict"] != so["verdict"]

    notes = np.empty(flipped.shape, dtype=object)
    is_control = np.arange(K) == c
    for r, k, t, m in np.ndindex(*flipped.shape):
        parts = [CONTROL] if is_control[k] else []
        rw, ro = sw["reason"][r, k, t, m], so["reason"][r, k, t, m]
        if rw == ro:
            parts += labelled(("", rw))
        else:
            parts += labelled(("with extremes", rw), ("without extremes", ro))
        if not moved[r, t, m] and not (np.isnan(change[r, k, t, m])):
            parts.append(NOTE_NO_SHARE)
        pieces = (piece for part in parts for piece in part.split("; ") if piece)
        notes[r, k, t, m] = "; ".join(dict.fromkeys(pieces))

    return Sensitivity(
        reports=w.reports,
        recipes=w.recipes,
        steps=tuple(names),
        control=control,
        alpha=a,
        available=frozen(available),
        units_with=sw["units"],
        units_without=so["units"],
        mean_with=sw["mean"],
        mean_without=so["mean"],
        lift_with=sw["lift"],
        lift_without=so["lift"],
        lift_low_with=sw["lift_low"],
        lift_high_with=sw["lift_high"],
        lift_low_without=so["lift_low"],
        lift_high_without=so["lift_high"],
        p_value_with=sw["p_value"],
        p_value_without=so["p_value"],
        verdict_with=sw["verdict"],
        verdict_without=so["verdict"],
        flipped=frozen(flipped),
        total_with=sw["total"],
        total_without=so["total"],
        total_change=frozen(change),
        share_of_change=frozen(share),
        campaign_total_with=sw["campaign_total"],
        campaign_total_without=so["campaign_total"],
        note=frozen(notes),
        warnings=_count_warnings(w, wo, rec_wo),
    )


def _side(rep: Report, recipes: Any, cols: Any, entry: int, c: int, alpha: float) -> dict[str, Any]:
    """Every per-cell field of one report, shape ``(report, recipe, step, measure)``."""
    R, K, J = len(rep.reports), len(recipes), len(cols)

    def cells(arr: FloatArray) -> FloatArray:
        return sum_samples(arr[:, :, recipes][..., cols])

    def summary(arr: FloatArray, parts: FloatArray) -> FloatArray:
        own = sum_samples(arr[..., cols][:, :, None, :])[:, 0]
        return np.where(np.isnan(own), nansum_all(parts, axis=1), own)

    # a triple no set of values can have is left out (extreme_orders says so in a warning)
    *triple, _ = valid_triples(*(getattr(rep, f"engagement_{x}") for x in TRIPLE))
    places = file_decimals(rep, "engagement_total", "engagement_sumsq")
    m = Moments(*(cells(a) for a in triple), decimals=places)
    mv = m.mean_var()
    ctrl = m[:, c : c + 1]
    test = m.welch_test(ctrl)
    lift_ci = m.lift_interval(ctrl, alpha=alpha)
    revenue = cells(rep.revenue)
    entries = sum_samples(rep.count[:, :, recipes, entry])[:, :, None]
    rv = _revenue_per_entry(rep, recipes, cols, entry, c, alpha)
    means = np.stack([mv.mean, rv["mean"]], axis=-1)
    mean_c = means[:, c : c + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = np.where(mean_c > 0, means / mean_c - 1.0, np.nan)
    is_control = (np.arange(K) == c)[:, None, None]
    code = codes(test.pvalue, test.statistic, alpha)
    eng_verdict = verdict_text(code, is_control[..., 0])
    rev_verdict = verdict_text(codes(rv["p_value"], rv["diff"], alpha), is_control[..., 0])
    eng_reason = np.where(is_control[..., 0], mv.reason, test.reason)
    camp_total = np.stack(
        [
            summary(rep.campaign.engagement_total, m.total),
            summary(rep.campaign.revenue, revenue),
        ],
        axis=-1,
    )

    def both(eng: Any, rev: Any) -> Any:
        return frozen(np.stack([np.broadcast_to(eng, (R, K, J)), rev], axis=-1))

    def comparison(eng: Any, rev: Any) -> Any:  # NaN in the control's rows
        return frozen(np.where(is_control, np.nan, both(eng, rev)))

    return {
        "units": both(m.count, np.broadcast_to(entries, (R, K, J))),
        "mean": frozen(means),
        "lift": comparison(lift[..., 0], lift[..., 1]),
        "lift_low": comparison(lift_ci.low, rv["lift_low"]),
        "lift_high": comparison(lift_ci.high, rv["lift_high"]),
        "p_value": comparison(test.pvalue, rv["p_value"]),
        "verdict": both(eng_verdict, rev_verdict),
        "total": both(m.total, revenue),
        "campaign_total": frozen(camp_total),
        "reason": both(eng_reason, rv["reason"]),
    }


def _revenue_per_entry(
    rep: Report, recipes: Any, cols: Any, entry: int, c: int, alpha: float
) -> dict[str, Any]:
    """Revenue per entry of each chosen step as :func:`compare_means` gives it (its mean,
    difference, lift interval, p-value and note), shape ``(report, recipe, step)``; NaN and
    no note on a step without revenue."""
    shape = (len(rep.reports), len(recipes), len(cols))
    out: dict[str, Any] = {
        key: np.full(shape, np.nan) for key in ("mean", "diff", "lift_low", "lift_high", "p_value")
    }
    out["reason"] = np.full(shape, "", dtype=object)
    control = rep.recipes[int(recipes[c])]
    for j, col in enumerate(cols):
        if np.isnan(rep.revenue[..., col]).all() and np.isnan(rep.campaign.revenue[..., col]).all():
            continue
        with warnings.catch_warnings():  # the caveat of summing visitor samples is the caller's
            warnings.simplefilter("ignore", AggregationWarning)
            res = compare_means(
                rep,
                control,
                metric=REVENUE,
                per="entry",
                entry=rep.steps[entry],
                alpha=alpha,
                revenue_step=rep.steps[int(col)],
            )
        for key in ("mean", "diff", "lift_low", "lift_high", "p_value"):
            out[key][..., j] = getattr(res, key)[:, recipes, 0]
        out["reason"][..., j] = res.note[:, recipes, 0]
    return out


def _check_same_request(a: Report, b: Report) -> None:
    """Raise :class:`ReportMismatchError` listing every way ``a`` and ``b`` differ."""
    problems: list[str] = []
    if len(a.reports) != len(b.reports):
        problems.append(f"{len(a.reports)} report(s) with extremes, {len(b.reports)} without")
    fields = (
        ("campaign_id", "campaign id"),
        ("start", "start date"),
        ("end", "end date"),
        ("resolution", "resolution"),
        ("type", "type"),
        ("segment", "segment"),
        ("segment_id", "segment id"),
    )
    differ: dict[tuple[str, str, str], list[int]] = {}  # one line per difference, all reports
    for i, (x, y) in enumerate(zip(a.reports, b.reports, strict=False)):
        for name, label in fields:
            vx, vy = _shown(getattr(x, name)), _shown(getattr(y, name))
            if vx != vy:
                differ.setdefault((label, vx, vy), []).append(i)
    for (label, vx, vy), where in differ.items():
        which = f"report {where[0]}" if len(where) == 1 else f"reports {where}"
        problems.append(f"{label} {vx} with extremes, {vy} without ({which})")
    for what, xs, ys in (("recipes", a.recipes, b.recipes), ("steps", a.steps, b.steps)):
        only_a = [n for n in xs if n not in ys]
        only_b = [n for n in ys if n not in xs]
        if only_a or only_b:
            problems.append(
                f"{what} differ: only with extremes {only_a}, only without extremes {only_b}"
            )
    if problems:
        raise ReportMismatchError(
            "the two reports do not answer the same request: " + "; ".join(problems)
        )


def _shown(value: object) -> str:
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return "missing"
        day = value.astype("datetime64[D]")
        return str(day) if day == value else str(value)  # as the attribute was written
    return repr(value)


def _available(rep: Report) -> BoolArray:
    """``(step, measure)``: engagement or revenue is reported somewhere on the step."""
    eng = ~np.isnan(rep.engagement_count).all(axis=(0, 1, 2))
    eng |= ~np.isnan(rep.campaign.engagement_count).all(axis=(0, 1))
    rev = ~np.isnan(rep.revenue).all(axis=(0, 1, 2))
    rev |= ~np.isnan(rep.campaign.revenue).all(axis=(0, 1))
    out: BoolArray = np.stack([eng, rev], axis=-1)
    return out


def _chosen_steps(rep: Report, steps: Sequence[str] | None, available: BoolArray) -> list[str]:
    has = [bool(x) for x in np.asarray(available.any(axis=1), dtype=bool)]
    if steps is None:
        found = [s for s, ok in zip(rep.steps, has, strict=True) if ok]
        if not found:
            raise ValueError(
                "no step carries an engagement triple or revenue in either report: extreme "
                "orders change nothing that can be compared"
            )
        return found
    if isinstance(steps, str):
        steps = [steps]
    chosen = list(steps)
    for s in chosen:
        position(rep.steps, s, "steps", "step")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"steps: each step may be given once, got {chosen}")
    bare = [s for s in chosen if not has[rep.steps.index(s)]]
    if bare:
        raise ValueError(
            f"steps: {bare} carry neither an engagement triple nor revenue in either report"
        )
    return chosen


def _count_warnings(w: Report, wo: Report, rec_wo: Any) -> tuple[str, ...]:
    """Counts that differ between the reports (excluding extremes changes values only)."""
    col_wo = np.asarray([wo.steps.index(s) for s in w.steps], dtype=np.intp)
    out: list[str] = []
    for name in ("count", "engagement_count"):
        x = sum_samples(getattr(w, name))
        y = sum_samples(getattr(wo, name)[:, :, rec_wo][..., col_wo])
        with np.errstate(invalid="ignore"):
            differ = (x != y) & ~np.isnan(x) & ~np.isnan(y)
        if differ.any():
            r, k, t = (int(i[0]) for i in np.nonzero(differ))
            out.append(
                f"{name} differs between the reports in {int(differ.sum())} cell(s), e.g. "
                f"report {r}, {w.recipes[k]!r}, {w.steps[t]!r}: {x[r, k, t]:g} with extremes, "
                f"{y[r, k, t]:g} without; excluding extreme orders changes values, not "
                "counts: are they the same request?"
            )
    return tuple(out)

"""``compare``: every recipe against the control on every step, all cells at once."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from .._errors import AggregationWarning
from ..parse import Report, SampleAxis
from ..stats import (
    adjust_pvalues,
    always_valid_pvalue,
    confidence_sequence,
    difference_interval,
    lift_interval,
    minimum_detectable_lift,
    proportion_interval,
    proportion_test,
    sample_ratio_test,
)
from ..stats.hypothesis_tests import TEST_METHODS, TestMethod
from ..stats.multiple import ADJUST_METHODS, AdjustMethod
from ..stats.proportions import LIFT_METHODS, PROPORTION_METHODS, LiftMethod, ProportionMethod
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
from ._comparison import BoolArray, Comparison, FloatArray, IntArray, ObjectArray, SampleRatio
from ._notes import (
    NOTE_SINGLE_RECIPE,
    arm_reason,
    cell_notes,
    mask_note,
    text,
)

#: Power of the minimum detectable lift (``mdl``).
POWER = 0.8
#: A sample-ratio mismatch is flagged below this p-value (Fabijan et al. 2019).
SAMPLE_RATIO_THRESHOLD = 0.001
#: The interval of the difference of rates.
DIFF_METHOD: Final = "newcombe"


def compare(
    report: Report,
    control: str,
    *,
    entry: str = "Entry",
    steps: Sequence[str] | None = None,
    method: ProportionMethod = "wilson",
    lift_method: LiftMethod = "delta",
    test: TestMethod = "z",
    correction: AdjustMethod = "holm",
    alpha: float = 0.05,
    by_sample: bool = False,
    sequential: bool = False,
    mixing_variance: float | None = None,
    split: Sequence[float] | Mapping[str, float] | None = None,
) -> Comparison:
    r"""Compare every recipe with the control on every step, in every report at once.

    For each report (segment and type), recipe and compared step, the entries
    :math:`n` are the recipe's count at the ``entry`` step and the conversions :math:`x` its
    count at the step. The samples are summed unless ``by_sample``. Each statistic is one
    vectorised call over the cell array ``(report, [sample,] recipe, step)``.

    Parameters
    ----------
    report : Report
        A parsed Performance Report (:func:`ttstats.read_report`).
    control : str
        The control recipe; it gets its own rows (rate and interval, no comparison).
    entry : str, default "Entry"
        The step whose count is the denominator.
    steps : sequence of str, optional
        The steps to compare, in this order (a single name is accepted). Default: every
        step except ``entry``, in document order.
    method : {"wilson", "wald", "adobe", "agresti_coull", "jeffreys", "clopper_pearson"}
        Interval of each rate (:func:`~ttstats.stats.proportion_interval`).
    lift_method : {"delta", "fieller", "score"}
        Interval of the lift (:func:`~ttstats.stats.lift_interval`). The interval of the
        difference is always Newcombe's hybrid score (:func:`~ttstats.stats.difference_interval`).
    test : {"z", "chi2", "yates", "fisher", "adobe", "tt_legacy"}
        Two-sided test of :math:`p_t = p_c` (:func:`~ttstats.stats.proportion_test`).
    correction : {"holm", "bonferroni", "fdr_bh"}
        Multiple-testing adjustment (:func:`~ttstats.stats.adjust_pvalues`).
    alpha : float, default 0.05
        Significance level; intervals are at confidence ``1 - alpha`` (not adjusted for
        multiplicity: only the p-values are).
    by_sample : bool, default False
        Keep the sample axis (one comparison per sample) instead of summing the samples.
    sequential : bool, default False
        Decide (``significant``) on the always-valid p-values instead of the fixed-horizon
        ones: the right choice for an experiment that is looked at repeatedly and stopped
        when it looks significant. Both kinds are computed either way.
    mixing_variance : float, optional
        The mixing variance :math:`\tau^2` of the always-valid test
        (:func:`~ttstats.stats.always_valid_pvalue`); default per cell, from its pooled rate
        at the first sample with a conversion (later samples never change it).
    split : sequence of float or mapping of recipe to float, optional
        The intended share of traffic of each recipe (in recipe order, or by name; any
        positive scale: ``[50, 25, 25]``) that the sample-ratio check tests against; default
        an equal split.

    Returns
    -------
    Comparison
        Labelled arrays ``entries, conversions, rate, rate_low, rate_high, diff, diff_low,
        diff_high, lift, lift_low, lift_high, statistic, p_value, p_adjusted, significant,
        mdl, av_p_value, av_p_adjusted, cs_low, cs_high, note``, the ``per_entry`` flag of
        each step, the ``sample_ratio`` check, the methods and ``warnings``;
        :meth:`Comparison.to_frame` gives one row per cell.

    Raises
    ------
    UnknownLabelError
        (a ``KeyError`` and a ``ValueError``) ``control`` is not a recipe (the message
        lists the recipes), or ``entry`` or a name in ``steps`` is not a step (it lists the
        steps).
    ValueError
        An unknown method name (the message names the argument: ``method``,
        ``lift_method``, ``test``, ``correction``), ``alpha`` outside (0, 1), a step given
        twice, a ``split`` that is not one positive share per recipe.

    Warns
    -----
    AggregationWarning
        Once per call, when samples are summed in a ``visitor`` report whose document
        holds more than one sample: a returning visitor is then counted once per sample. The same
        text is kept in :attr:`Comparison.warnings`. Pass ``by_sample=True`` or request a
        single-sample report for inference.

    Notes
    -----
    Summing. Without ``by_sample`` each cell is the sum of its samples, NaN only where every
    sample is NaN (never reported), as :meth:`Report.sum_samples`; only the counts are
    summed.

    Estimates. :math:`\hat p = x/n`, :math:`d = \hat p_t - \hat p_c`,
    :math:`\mathrm{lift} = \hat p_t/\hat p_c - 1` (NaN when :math:`\hat p_c = 0`). ``mdl`` is
    the smallest upward lift detected with probability ``power`` = 0.8 by the two-sided
    pooled z-test at these entries (:func:`~ttstats.stats.minimum_detectable_lift`), at the
    level ``mdl_alpha = alpha / m`` that one comparison needs to be significant alone after
    the correction, ``m`` the comparisons in its family.

    Per-entry steps. A step whose count exceeds its entries anywhere in the file (any
    report, sample or recipe, the summary recipe included; e.g. "Time on Site" 1117 of
    476 entries) counts events, not units. Everywhere on that step, in every report,
    ``rate`` is the per-entry rate :math:`x/n` and ``diff`` and ``lift`` its point
    comparisons; intervals, tests and ``mdl`` are NaN, never computed by a binomial method,
    and the p-values stay out of the family (note :data:`NOTE_PER_ENTRY`, or
    :data:`NOTE_PER_ENTRY_STEP` in the cells that do not exceed themselves). A cell whose
    count is not a whole number >= 0 gets no statistic at all (note :data:`NOTE_NOT_COUNT`).

    Multiple testing. The family is every (recipe, step) comparison within one report (one
    segment and type), and within one sample when ``by_sample``: ``(recipes - 1) x steps``
    p-values, less those that are NaN (they neither count nor get adjusted). Reports and
    samples are separate families; ``significant`` is :math:`\tilde p < \alpha`.

    Always-valid inference. Over the samples of each report, in order, the running totals
    of entries and conversions of each arm (a sample the API omitted adds zeros, a cell not
    reported adds nothing, as when summing) feed :func:`~ttstats.stats.always_valid_pvalue`
    and :func:`~ttstats.stats.confidence_sequence` (mSPRT, normal mixture on ``diff``);
    ``av_p_value`` and ``cs_low``/``cs_high`` are their values at the last sample (at each
    sample when ``by_sample``). Unlike ``p_value``, they stay valid however often the
    report was looked at, so a pipeline that checks an experiment daily and acts on the
    first significant result should pass ``sequential=True``. ``av_p_adjusted`` is adjusted
    within the same family as ``p_adjusted`` (the correction holds for any valid p-values).
    A single sample is a single look: the always-valid p-value is then simply more cautious
    than the fixed-horizon one.

    Sample ratio. Per report (per sample when ``by_sample``), Pearson's chi-square of the
    recipes' entries (summed over the samples where every recipe reports them) against the
    intended ``split`` (equal by default;
    :func:`~ttstats.stats.sample_ratio_test`),
    flagged below p = 0.001; each flagged report is listed in ``warnings``. A report
    with a single recipe has no split to check (NaN, reason :data:`NOTE_SINGLE_RECIPE`).

    Notes column. ``""`` when every field of the row is defined. Otherwise the distinct
    reasons, joined by ``"; "``: first why a cell met no binomial method (per-entry step,
    not a count), then the arms' own trouble as the statistics layer words it (``"treatment:
    no entries (n = 0)"``, ``"control: missing input (NaN)"``), then what one field alone
    lacks, labelled ``"lift: "``, ``"test: "`` or ``"mdl: "`` (``"lift: control rate is 0:
    lift undefined"``). The control's rows say ``"control"``, followed by the trouble of its
    own rate if any.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics 6, 65-70.
    Fabijan, A. et al. (2019). Diagnosing sample ratio mismatch in online controlled
    experiments. KDD '19, 2156-2164.
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.

    Examples
    --------
    >>> import ttstats
    >>> xml = '''<reports><report campaignId="1" start="2024-03-01" end="2024-03-02"
    ...   resolution="day" type="visit"><sample start="2024-03-01T00:00" duration="day">
    ...   <recipe name="A"><step name="Entry">2000</step><step name="Order">100</step></recipe>
    ...   <recipe name="B"><step name="Entry">2000</step><step name="Order">140</step></recipe>
    ... </sample></report></reports>'''
    >>> res = compare(ttstats.read_report(xml), "A")
    >>> res
    <Comparison vs 'A': 1 report(s), 2 recipe(s), 1 step(s); 1 significant at alpha=0.05 (z, holm); 0 sample-ratio flag(s)>
    >>> row = res.to_frame().iloc[1]  # B against A; row 0 is the control's own
    >>> row["recipe"], row["step"], float(row["rate"]), round(float(row["lift"]), 4)
    ('B', 'Order', 0.07, 0.4)
    >>> round(float(row["lift_low"]), 3), round(float(row["lift_high"]), 3)
    (0.091, 0.796)
    >>> round(float(row["p_value"]), 4), bool(row["significant"])
    (0.0077, True)
    >>> res.to_frame().iloc[0]["note"]
    'control'
    """
    report_arg(report)
    choice(method, PROPORTION_METHODS, "method")
    choice(lift_method, LIFT_METHODS, "lift_method")
    choice(test, TEST_METHODS, "test")
    choice(correction, ADJUST_METHODS, "correction")
    a = alpha_level(alpha)
    c = position(report.recipes, control, "control", "recipe")
    e = position(report.steps, entry, "entry", "step")
    names = _compared_steps(report, entry, steps)
    cols = np.asarray([report.steps.index(s) for s in names], dtype=np.intp)
    by_sample = flag(by_sample, "by_sample")
    sequential = flag(sequential, "sequential")

    notes: list[str] = []
    raw = report.count
    # each sample counts for a cell only where it reports both the entries and the step
    x_s, n_s, one_side = _paired(raw, e, cols)
    if by_sample:
        samples = report.samples
        x_all, n_cell_all, n_all = x_s, n_s, raw[..., e]
        one_sided = one_side
        if sequential:  # the always-valid verdicts run on totals over the samples
            caveat = visitor_caveat(report, "the running totals of the always-valid test")
            if caveat:
                warnings.warn(caveat, AggregationWarning, stacklevel=2)
                notes.append(caveat)
    else:
        samples = total_axis(report.samples)
        x_all = nansum_keep(x_s, axis=1)[:, 0]
        n_cell_all = nansum_keep(n_s, axis=1)[:, 0]
        # the split is checked on the samples where every recipe reports its entries
        entries = raw[..., e]
        every = ~np.isnan(entries).any(axis=2, keepdims=True)
        n_all = nansum_keep(np.where(every, entries, np.nan), axis=1)[:, 0]
        one_sided = one_side.sum(axis=1)
        caveat = visitor_caveat(report)
        if caveat:
            warnings.warn(caveat, AggregationWarning, stacklevel=2)
            notes.append(caveat)

    # -- the cells: n (entries) and x (conversions), shape (report, [sample,] recipe, step)
    not_count_n = not_count(n_cell_all)
    not_count_x = not_count(x_all)
    n = np.where(not_count(n_all), np.nan, n_all)  # entries per recipe: the sample ratio
    x = np.where(not_count_x, np.nan, x_all)
    n_cell = np.where(not_count_n, np.nan, n_cell_all)
    with np.errstate(invalid="ignore"):
        exceeds = x > n_cell
    per_entry = _per_entry(report, e, cols) | _any_but_last(exceeds)

    # Cells never fed to a binomial method: per-entry steps and non-counts; in a treatment
    # row, also those whose control cell is one.
    invalid_count = not_count_x | not_count_n
    own_masked = invalid_count | per_entry
    ctrl_masked = np.broadcast_to(own_masked[..., c : c + 1, :], x.shape)
    is_control = np.broadcast_to((np.arange(len(report.recipes)) == c)[:, None], x.shape)
    masked = own_masked | (ctrl_masked & ~is_control)
    xb = np.where(own_masked, np.nan, x)
    nb = np.where(own_masked, np.nan, n_cell)
    xc, nc = xb[..., c : c + 1, :], nb[..., c : c + 1, :]

    # -- point estimates (per-entry rates included)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n_cell > 0, x / n_cell, np.nan)
        rate_c = rate[..., c : c + 1, :]
        diff = np.where(is_control, np.nan, rate - rate_c)
        lift = np.where(is_control | ~(rate_c > 0), np.nan, rate / rate_c - 1.0)
        p_c = np.where(ctrl_masked, np.nan, np.broadcast_to(rate_c, x.shape))

    # -- one call of each statistic over every cell
    rate_ci = proportion_interval(xb, nb, method=method, alpha=a)
    diff_ci = difference_interval(xb, nb, xc, nc, method=DIFF_METHOD, alpha=a)
    lift_ci = lift_interval(xb, nb, xc, nc, method=lift_method, alpha=a)
    res = proportion_test(xb, nb, xc, nc, method=test)
    # a comparison significant alone after the correction has p < alpha / m (m: the family)
    family = np.sum(~np.isnan(np.where(is_control, np.nan, res.pvalue)), axis=(-2, -1))
    mdl_alpha = a / np.maximum(family, 1)
    mdl = minimum_detectable_lift(p_c, nc, nb, alpha=mdl_alpha[..., None, None], power=POWER)

    def comparison(values: FloatArray) -> FloatArray:
        return np.where(is_control, np.nan, values)

    p_value = comparison(res.pvalue)
    p_adjusted = _adjusted(p_value, correction)
    seq = _sequential(report, e, cols, own_masked, c, by_sample, mixing_variance, a)
    av_p_value = comparison(np.where(np.isnan(xb), np.nan, seq.pvalue))
    av_p_adjusted = _adjusted(av_p_value, correction)
    significant = (av_p_adjusted if sequential else p_adjusted) < a

    arm = arm_reason(x, n_cell)
    note = cell_notes(
        is_control=is_control,
        masked=masked,
        first=mask_note(invalid_count, ctrl_masked & ~is_control, exceeds, per_entry),
        arm=arm,
        control_arm=np.broadcast_to(arm[..., c : c + 1, :], arm.shape),
        rate_reason=rate_ci.reason,
        arms_reason=diff_ci.reason,
        lift_reason=lift_ci.reason,
        test_reason=res.reason,
        mdl_reason=mdl.reason,
    )
    note = _sequential_note(note, seq.reason, np.isnan(p_value) | ~np.isnan(av_p_value))
    note = _one_sided_note(note, one_sided, entry, names)

    split_shares = _split(report, split)
    srm = _sample_ratio(report, n, samples, by_sample, split_shares)
    notes.extend(_sample_ratio_notes(report, srm, by_sample))
    return Comparison(
        reports=report.reports,
        samples=samples,
        recipes=report.recipes,
        steps=names,
        control=control,
        entry=entry,
        by_sample=by_sample,
        entries=frozen(n_cell_all),
        conversions=frozen(x_all),
        rate=frozen(rate),
        rate_low=frozen(rate_ci.low),
        rate_high=frozen(rate_ci.high),
        diff=frozen(diff),
        diff_low=frozen(comparison(diff_ci.low)),
        diff_high=frozen(comparison(diff_ci.high)),
        lift=frozen(lift),
        lift_low=frozen(comparison(lift_ci.low)),
        lift_high=frozen(comparison(lift_ci.high)),
        statistic=frozen(comparison(res.statistic)),
        p_value=frozen(p_value),
        p_adjusted=frozen(p_adjusted),
        significant=frozen(significant),
        mdl=frozen(comparison(mdl.lift)),
        mdl_alpha=frozen(np.asarray(mdl_alpha, dtype=np.float64)),
        av_p_value=frozen(av_p_value),
        av_p_adjusted=frozen(av_p_adjusted),
        cs_low=frozen(comparison(np.where(np.isnan(xb), np.nan, seq.low))),
        cs_high=frozen(comparison(np.where(np.isnan(xb), np.nan, seq.high))),
        note=frozen(note),
        per_entry=frozen(per_entry),
        sample_ratio=srm,
        alpha=a,
        power=POWER,
        method=method,
        diff_method=DIFF_METHOD,
        lift_method=lift_method,
        test=test,
        correction=correction,
        sequential=bool(sequential),
        mixing_variance=None if mixing_variance is None else float(mixing_variance),
        split=None if split_shares is None else tuple(float(v) for v in split_shares),
        warnings=tuple(notes),
    )


def _adjusted(p_value: FloatArray, correction: AdjustMethod) -> FloatArray:
    """``p_value`` adjusted within each family: every (recipe, step) of one report [sample]."""
    family = p_value.reshape(*p_value.shape[:-2], p_value.shape[-2] * p_value.shape[-1])
    out: FloatArray = adjust_pvalues(family, method=correction, axis=-1).reshape(p_value.shape)
    return out


# --------------------------------------------------------------------------------------------
# Always-valid inference over the samples
# --------------------------------------------------------------------------------------------
class _Sequential(NamedTuple):
    pvalue: FloatArray
    low: FloatArray
    high: FloatArray
    reason: ObjectArray


def _sequential(
    report: Report,
    entry: int,
    cols: IntArray,
    masked: BoolArray,
    control: int,
    by_sample: bool,
    mixing_variance: float | None,
    alpha: float,
) -> _Sequential:
    """mSPRT p-value and confidence sequence on the running totals over the sample axis.

    Shapes follow the comparison: ``(report, recipe, step)`` at the last sample, or
    ``(report, sample, recipe, step)`` at every sample when ``by_sample``.
    """
    x_s, n_s, _ = _paired(report.count, entry, cols)  # (report, sample, recipe, step)
    bad = not_count(x_s) | not_count(n_s)
    running_x = np.cumsum(np.where(np.isnan(x_s) | bad, 0.0, x_s), axis=1)
    running_n = np.cumsum(np.where(np.isnan(n_s) | bad, 0.0, n_s), axis=1)
    off = masked[:, None] if not by_sample else masked
    off = off | bad.any(axis=1, keepdims=True) | (running_x > running_n)
    running_x = np.where(off, np.nan, running_x)
    n_cell = np.where(off, np.nan, running_n)
    x_c, n_c = running_x[..., control : control + 1, :], n_cell[..., control : control + 1, :]
    if running_x.shape[1] == 0:  # no samples: nothing to look at
        empty = np.full(masked.shape, np.nan)
        return _Sequential(empty, empty, empty, np.full(masked.shape, "", dtype=object))
    av = always_valid_pvalue(running_x, n_cell, x_c, n_c, mixing_variance=mixing_variance, axis=1)
    cs = confidence_sequence(
        running_x, n_cell, x_c, n_c, alpha=alpha, mixing_variance=mixing_variance, axis=1
    )
    if by_sample:
        return _Sequential(av.pvalue, cs.low, cs.high, np.asarray(av.reason, dtype=object))
    last = (slice(None), -1)
    return _Sequential(
        av.pvalue[last], cs.low[last], cs.high[last], np.asarray(av.reason, dtype=object)[last]
    )


def _sequential_note(note: ObjectArray, reason: ObjectArray, quiet: BoolArray) -> ObjectArray:
    """The note, with why the always-valid p-value is NaN where the fixed one is not."""
    extra = (reason != "") & ~quiet
    if not extra.any():
        return note
    out: ObjectArray = note.copy()
    glue = np.where(out[extra] != "", "; ", "").astype(object)
    out[extra] = out[extra] + glue + "always-valid: " + reason[extra]
    return out


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------
def _compared_steps(report: Report, entry: str, steps: Sequence[str] | None) -> tuple[str, ...]:
    if steps is None:
        return tuple(s for s in report.steps if s != entry)
    chosen = (steps,) if isinstance(steps, str) else tuple(steps)
    for name in chosen:
        position(report.steps, name, "steps", "step")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"steps: each step may be given once, got {list(chosen)}")
    return chosen


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------
def _paired(
    counts: FloatArray, entry: int, cols: IntArray
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Per sample, the conversions and the entries of each compared step where the sample
    reports both (NaN where it reports neither or only one), and where it reports only one.

    Shapes ``(report, sample, recipe, step)``. Summing the pairs keeps entries and
    conversions from the same samples, so a step missing from one sample does not count
    that sample's entries without its conversions.
    """
    x = counts[..., cols]
    n = np.broadcast_to(counts[..., entry][..., None], x.shape)
    nx, nn = np.isnan(x), np.isnan(n)
    out_x: FloatArray = np.where(nx | nn, np.nan, x)
    out_n: FloatArray = np.where(nx | nn, np.nan, n)
    return out_x, out_n, np.asarray(nx != nn)


def _one_sided_note(
    note: ObjectArray, one_sided: npt.ArrayLike, entry: str, steps: Sequence[str]
) -> ObjectArray:
    """Add, where samples reported only one of the entries and the step, that they were left
    out of both (per sample when ``note`` is per sample, else how many samples)."""
    count = np.asarray(one_sided, dtype=np.int64)
    if not count.any():
        return note
    out: ObjectArray = note.copy()
    per_sample = out.ndim == 4
    for j, step in enumerate(steps):
        for k in np.unique(count[..., j][count[..., j] > 0]):
            text = (
                f"the sample reports only one of {entry} and {step}: not compared"
                if per_sample
                else f"{k} sample(s) report only one of {entry} and {step}: left out of both"
            )
            cells = np.zeros(count.shape, dtype=bool)
            cells[..., j] = count[..., j] == k
            glue = np.where(out[cells] != "", "; ", "").astype(object)
            out[cells] = out[cells] + glue + text
    return out


def _per_entry(report: Report, entry: int, cols: IntArray) -> BoolArray:
    """Steps whose raw count exceeds the entries in some report, sample or recipe."""
    with np.errstate(invalid="ignore"):
        cells = report.count[..., cols] > report.count[..., entry : entry + 1]
        summary = report.campaign.count[..., cols] > report.campaign.count[..., entry : entry + 1]
    return _any_but_last(cells) | _any_but_last(summary)


def _any_but_last(mask: BoolArray) -> BoolArray:
    """``mask.any()`` over every axis but the last (the steps)."""
    out: BoolArray = np.any(mask, axis=tuple(range(mask.ndim - 1)))
    return out


# --------------------------------------------------------------------------------------------
# Sample ratio
# --------------------------------------------------------------------------------------------
def _split(
    report: Report, split: Sequence[float] | Mapping[str, float] | None
) -> FloatArray | None:
    """The intended shares in recipe order (summing to 1), or None for an equal split."""
    if split is None:
        return None
    if isinstance(split, Mapping):
        unknown = [name for name in split if name not in report.recipes]
        missing = [name for name in report.recipes if name not in split]
        if unknown or missing:
            raise ValueError(
                f"split: give a share for every recipe {list(report.recipes)}; "
                f"unknown {unknown}, missing {missing}"
            )
        values = [split[name] for name in report.recipes]
    else:
        values = list(split)
    try:
        shares = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"split: expected numbers, got {values!r}") from None
    if shares.shape != (len(report.recipes),):
        raise ValueError(
            f"split: expected {len(report.recipes)} shares (one per recipe "
            f"{list(report.recipes)}), got {len(values)}"
        )
    if not (np.isfinite(shares) & (shares > 0)).all():
        raise ValueError(f"split: shares must be positive numbers, got {values!r}")
    out: FloatArray = shares / shares.sum()
    return out


def _sample_ratio(
    report: Report,
    n: FloatArray,
    samples: SampleAxis,
    by_sample: bool,
    split: FloatArray | None = None,
) -> SampleRatio:
    """Chi-square of the recipes' entries against the intended split, per report [sample]."""
    shape = n.shape[:-1]
    if n.shape[-1] >= 2:
        res = sample_ratio_test(n, split, axis=-1)
        chi2, pval, reason = res.statistic, res.pvalue, res.reason
    else:
        chi2 = np.full(shape, np.nan)
        pval = np.full(shape, np.nan)
        reason = text(np.ones(shape, dtype=bool), NOTE_SINGLE_RECIPE)
    idx = np.indices(shape, dtype=np.intp)
    segment = np.asarray([info.segment for info in report.reports] or [None], dtype=object)
    start = samples.start if len(samples) else np.array(["NaT"], dtype="datetime64[m]")
    sample_idx = idx[1] if by_sample else np.zeros(shape, dtype=np.intp)
    return SampleRatio(
        report=frozen(idx[0]),
        segment=frozen(segment[idx[0]]),
        sample_start=frozen(start[sample_idx]),
        entries=frozen(np.sum(n, axis=-1)),
        chi2=frozen(chi2),
        p_value=frozen(pval),
        flagged=frozen(pval < SAMPLE_RATIO_THRESHOLD),
        reason=frozen(reason),
        threshold=SAMPLE_RATIO_THRESHOLD,
    )


def _sample_ratio_notes(report: Report, srm: SampleRatio, by_sample: bool) -> list[str]:
    flagged = srm.flagged.reshape(len(report.reports), -1)
    out = []
    for i in np.flatnonzero(flagged.any(axis=1)):
        info = report.reports[i]
        seg = "the aggregate" if info.segment is None else f"segment {info.segment!r}"
        where = f" in {int(flagged[i].sum())} of {flagged.shape[1]} samples" if by_sample else ""
        out.append(
            f"sample ratio mismatch in report {i} ({seg}){where}: the recipes' entries depart "
            f"from the intended split (p < {SAMPLE_RATIO_THRESHOLD:g}); check the traffic "
            "allocation before trusting the comparisons"
        )
    return out

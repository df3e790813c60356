"""Tests of ``p_t = p_c``: z, chi-square, Fisher exact and the two Adobe reporting conventions."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from . import _validate as v
from ._results import TestResult
from ._validate import FloatArray

TestMethod = Literal["z", "chi2", "yates", "fisher", "adobe", "tt_legacy"]
Alternative = Literal["two-sided", "less", "greater"]

TEST_METHODS: tuple[str, ...] = ("z", "chi2", "yates", "fisher", "adobe", "tt_legacy")

_POOLED_EDGE = "no variance: the pooled rate is 0 or 1 (every entry of both arms alike)"
_ADOBE_N1 = "an arm has 1 entry: Adobe's unbiased variance needs at least 2 per arm"
_T_ZERO_SE = "zero variance in both arms: the t statistic is undefined"
_LEGACY_DF = "n_t + n_c - 2 = 0 degrees of freedom"


def proportion_test(
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    method: TestMethod = "z",
    alternative: Alternative = "two-sided",
) -> TestResult:
    r"""Test ``H0: p_t = p_c`` for every cell at once.

    Parameters
    ----------
    x_t, n_t : array_like
        Treatment conversions and entries.
    x_c, n_c : array_like
        Control conversions and entries; all four broadcast together.
    method : {"z", "chi2", "yates", "fisher", "adobe", "tt_legacy"}
        The test; see Notes.
    alternative : {"two-sided", "less", "greater"}
        ``"greater"``: ``H1: p_t > p_c``. ``chi2`` and ``yates`` are two-sided only.

    Returns
    -------
    TestResult
        ``statistic`` (see Notes; signed so that it is positive when the treatment converts
        more, except the chi-squares and the odds ratio), ``pvalue`` and ``reason``.

    Raises
    ------
    ValueError
        Unknown ``method`` or ``alternative`` (or a one-sided ``chi2``/``yates``); negative,
        fractional or infinite counts.

    Notes
    -----
    With :math:`\hat p = x/n`, :math:`\bar p = (x_t + x_c)/(n_t + n_c)`:

    * ``z`` (pooled two-proportion z-test):
      :math:`z = (\hat p_t - \hat p_c)/\sqrt{\bar p(1-\bar p)(1/n_t + 1/n_c)}`, normal p-value.
    * ``chi2``: Pearson's :math:`X^2` of the 2x2 table (equal to :math:`z^2`), 1 df.
    * ``yates``: :math:`X^2` with Yates' correction as scipy applies it: every
      :math:`|O - E|` reduced by :math:`\min(0.5, |O - E|)`, i.e.
      :math:`\max(0, |x_t - E_t| - 0.5)^2 \sum_{cells} 1/E`.
    * ``fisher`` (exact, conditional on the margins): :math:`x_t` is hypergeometric; the
      statistic is the sample odds ratio :math:`x_t(n_c-x_c)/((n_t-x_t)x_c)` (inf when only the
      denominator is 0, NaN with p = 1 when a margin is 0, as :func:`scipy.stats.fisher_exact`).
      The two-sided p-value sums the tables no more likely than the observed one (relative
      tolerance 1e-14, as scipy), the boundary on the far side of the mode being found by a
      bisection over integers run on all cells at once (no loop over cells). Above
      :data:`FISHER_LIMIT` (100,000,000) entries it is NaN with a reason: scipy's
      hypergeometric pmf takes time in proportion to the entries.
    * ``adobe`` (Adobe Target's reports; its confidence is ``1 - pvalue``): Welch's t-test on
      the 0/1 outcomes, variances :math:`s^2 = \hat p(1-\hat p)\,n/(n-1)`,
      :math:`t = (\hat p_t - \hat p_c)/\sqrt{s_t^2/n_t + s_c^2/n_c}` with Welch-Satterthwaite
      :math:`\nu = (s_t^2/n_t + s_c^2/n_c)^2 / \big(\frac{(s_t^2/n_t)^2}{n_t-1} +
      \frac{(s_c^2/n_c)^2}{n_c-1}\big)`.
    * ``tt_legacy`` (Test&Target 2009 reporting): binomial variances :math:`\hat p(1-\hat p)`,
      :math:`SE = \sqrt{\mathrm{var}_c/n_c + \mathrm{var}_t/n_t}`, :math:`t = (\hat p_t -
      \hat p_c)/SE`, Student's t with :math:`n_c + n_t - 2` df; confidence ``1 - pvalue``.

    Undefined cells (NaN and ``reason``): NaN input, ``n = 0`` or ``x > n`` in either arm;
    ``z``/``chi2``/``yates`` when the pooled rate is 0 or 1; ``adobe`` with an arm of 1 entry;
    ``adobe``/``tt_legacy`` when both arms have zero variance (e.g. 1 of 1 against 0 of 1:
    the statistic would be infinite and the p-value a made-up 0).

    References
    ----------
    Agresti, A. (2013). Categorical Data Analysis, 3rd ed., sections 3.1 and 3.5. Wiley.
    Yates, F. (1934). Contingency tables involving small numbers and the chi-square test.
    Supplement to the Journal of the Royal Statistical Society 1(2), 217-235.
    Fisher, R. A. (1935). The logic of inductive inference. JRSS 98(1), 39-82.
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34, 28-35.
    Adobe Target documentation, "Statistical calculations in A/B tests" (Welch t-test).

    Examples
    --------
    >>> res = proportion_test(355, 4003, 377, 4008, method="tt_legacy")
    >>> round(float(res.statistic), 4), round(1 - float(res.pvalue), 4)
    (-0.8354, 0.5965)
    """
    method = v.choice(method, TEST_METHODS, "method")  # type: ignore[assignment]
    alt = v.choice(alternative, v.ALTERNATIVES, "alternative")
    if method in ("chi2", "yates") and alt != "two-sided":
        raise ValueError(f"alternative must be 'two-sided' for method {method!r}, got {alt!r}")
    xt, nt = v.counts(x_t, "x_t"), v.counts(n_t, "n_t")
    xc, nc = v.counts(x_c, "x_c"), v.counts(n_c, "n_c")
    reasons = v.Reasons(v.shape_of(xt, nt, xc, nc))
    reasons.arm(xt, nt, "treatment")
    reasons.arm(xc, nc, "control")
    xt, nt = v.safe_counts(reasons, xt, nt)
    xc, nc = v.safe_counts(reasons, xc, nc)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("z", "chi2", "yates"):
            stat, pval = _pooled(xt, nt, xc, nc, method, alt, reasons)
        elif method == "fisher":
            # beyond 2**53 float64 holds no longer every whole number: no exact test there;
            # and scipy's hypergeometric pmf takes time in proportion to the entries, so the
            # exact test stops at FISHER_LIMIT (where it and the chi-square test agree)
            reasons.flag(nt + nc > _EXACT_LIMIT, _TOO_LARGE_FOR_EXACT)
            reasons.flag(nt + nc > FISHER_LIMIT, _TOO_LARGE_FOR_FISHER)
            small = reasons.ok
            stat, pval = _fisher(
                np.where(small, xt, 0.0),
                np.where(small, nt, 1.0),
                np.where(small, xc, 0.0),
                np.where(small, nc, 1.0),
                alt,
            )
        else:
            stat, pval = _t_test(xt, nt, xc, nc, method, alt, reasons)
    return TestResult(reasons.nan(stat), reasons.nan(pval), reasons.text)


def _normal_p(stat: FloatArray, alternative: str) -> FloatArray:
    if alternative == "greater":
        return np.asarray(special.ndtr(-stat), dtype=np.float64)
    if alternative == "less":
        return np.asarray(special.ndtr(stat), dtype=np.float64)
    return np.asarray(2.0 * special.ndtr(-np.abs(stat)), dtype=np.float64)


def _t_p(stat: FloatArray, df: FloatArray, alternative: str) -> FloatArray:
    if alternative == "greater":
        return np.asarray(special.stdtr(df, -stat), dtype=np.float64)
    if alternative == "less":
        return np.asarray(special.stdtr(df, stat), dtype=np.float64)
    return np.asarray(2.0 * special.stdtr(df, -np.abs(stat)), dtype=np.float64)


def _pooled(
    xt: FloatArray,
    nt: FloatArray,
    xc: FloatArray,
    nc: FloatArray,
    method: str,
    alternative: str,
    reasons: v.Reasons,
) -> tuple[FloatArray, FloatArray]:
    big_n = nt + nc
    s = xt + xc
    f = big_n - s  # failures: with s, exact integers, so p(1 - p) = s f / N^2 keeps every digit
    reasons.flag((s == 0) | (f == 0), _POOLED_EDGE)
    # x_t/n_t - x_c/n_c = (x_t n_c - x_c n_t) / (n_t n_c): the numerator is exact while the
    # products stay below 2**53, where subtracting two rates near 1 would lose digits
    num = xt * nc - xc * nt
    z = num / np.sqrt(s * f * (nt * nc) / big_n)
    if method == "z":
        return z, _normal_p(z, alternative)
    if method == "chi2":
        chi2 = z * z
    else:
        # Yates: |O - E| is the same in all four cells, |x_t - n_t s/N| = |num| / N, and the
        # sum of 1/E over the cells is N^3 / (n_t n_c s f)
        gap = np.maximum(np.abs(num) / big_n - 0.5, 0.0)
        chi2 = gap * gap * (big_n / (nt * nc)) * (big_n / s) * (big_n / f)
    return chi2, np.asarray(special.chdtrc(1.0, chi2), dtype=np.float64)


def _t_test(
    xt: FloatArray,
    nt: FloatArray,
    xc: FloatArray,
    nc: FloatArray,
    method: str,
    alternative: str,
    reasons: v.Reasons,
) -> tuple[FloatArray, FloatArray]:
    # rates and their variances from the counts: x(n - x) keeps every digit near p = 1
    d = (xt * nc - xc * nt) / (nt * nc)
    vt, vc = xt * (nt - xt) / (nt * nt), xc * (nc - xc) / (nc * nc)  # p(1 - p)
    if method == "adobe":
        reasons.flag((nt < 2) | (nc < 2), _ADOBE_N1)
        # s^2 / n with s^2 = p(1-p) n/(n-1)
        wt = vt / (nt - 1.0)
        wc = vc / (nc - 1.0)
        se2 = wt + wc
        df = se2 * se2 / (wt * wt / (nt - 1.0) + wc * wc / (nc - 1.0))
    else:
        se2 = vc / nc + vt / nt
        df = nt + nc - 2.0
        reasons.flag(df <= 0, _LEGACY_DF)
    reasons.flag(se2 == 0, _T_ZERO_SE)
    t = d / np.sqrt(se2)
    return t, _t_p(t, df, alternative)


def _fisher(
    xt: FloatArray, nt: FloatArray, xc: FloatArray, nc: FloatArray, alternative: str
) -> tuple[FloatArray, FloatArray]:
    """scipy.stats.fisher_exact's algorithm, vectorised over the distinct tables."""
    shape = xt.shape
    tables = np.stack([np.ravel(a) for a in (xt, nt, xc, nc)], axis=-1)
    # Hourly cells repeat small tables a lot: compute each distinct table once.
    uniq, inverse = np.unique(tables, axis=0, return_inverse=True)
    ut, un, uc, um = uniq.T
    odds, pval = _fisher_tables(ut, un, uc, um, alternative)
    inverse = np.ravel(inverse)
    return odds[inverse].reshape(shape), pval[inverse].reshape(shape)


def _fisher_tables(
    xt: FloatArray, nt: FloatArray, xc: FloatArray, nc: FloatArray, alternative: str
) -> tuple[FloatArray, FloatArray]:
    big_m = nt + nc  # population
    s = xt + xc  # draws: the conversions of both arms
    hg = stats.hypergeom
    odds = np.where(
        (xc > 0) & (nt - xt > 0), xt * (nc - xc) / np.maximum(xc * (nt - xt), 1.0), np.inf
    )
    flat = (s == 0) | (s == big_m)  # a zero margin: p = 1, odds ratio NaN
    odds = np.where(flat, np.nan, odds)
    if alternative == "less":
        pval = hg.cdf(xt, big_m, nt, s)
    elif alternative == "greater":
        pval = hg.cdf(nt - xt, big_m, nt, big_m - s)
    else:
        pval = np.ones_like(xt)
        live = np.flatnonzero(~flat)
        pval[live] = _fisher_two_sided(xt[live], nt[live], big_m[live], s[live])
    pval = np.where(flat, 1.0, np.minimum(pval, 1.0))
    return np.asarray(odds, dtype=np.float64), np.asarray(pval, dtype=np.float64)


def _fisher_two_sided(
    xt: FloatArray, nt: FloatArray, big_m: FloatArray, s: FloatArray
) -> FloatArray:
    """Two-sided Fisher p-values as scipy computes them, for tables without a zero margin.

    The tables no more likely than the observed one (relative tolerance 1e-14) are summed:
    the observed tail by cdf/sf and the far tail up to the last table on the other side of
    the mode that is no more likely, found by bisection over integers for all tables at once
    (the pmf is unimodal, so monotone on each side). Likelihoods are compared on the log scale
    (``hypergeom.logpmf`` is several times faster than ``pmf``).
    """
    hg = stats.hypergeom
    log_gamma = np.log1p(1e-14)

    def logpmf(k: FloatArray, sub: npt.NDArray[np.intp] | slice = slice(None)) -> FloatArray:
        return np.asarray(hg.logpmf(k, big_m[sub], nt[sub], s[sub]), dtype=np.float64)

    mode = np.floor((s + 1.0) * (nt + 1.0) / (big_m + 2.0))
    lexact = logpmf(xt)
    lmode = logpmf(mode)
    at_mode = np.abs(lexact - lmode) <= 1e-14 * np.maximum(1.0, np.abs(lexact))
    at_mode |= lexact >= lmode  # the observed table is a mode: p = 1
    below = xt < mode
    lthr = lexact + log_gamma
    # Below the mode the far tail is (k, s] for the largest k in [mode, s] with pmf >= the
    # threshold (pmf falls there); above it is [0, k] for the largest k in [0, mode] with
    # pmf <= the threshold (pmf rises there). k = lo - 1 when no k qualifies.
    lo = np.where(below, mode, 0.0)
    hi = np.where(below, s, mode)
    llo = logpmf(lo)
    qualifies = np.where(below, llo >= lthr, llo <= lthr)
    open_ = np.flatnonzero(qualifies & (lo < hi) & ~at_mode)
    while open_.size:
        mid = np.floor((lo[open_] + hi[open_] + 1.0) / 2.0)
        lmid = logpmf(mid, open_)
        good = np.where(below[open_], lmid >= lthr[open_], lmid <= lthr[open_])
        stuck = mid <= lo[open_]  # no whole number left between (a safeguard)
        lo[open_] = np.where(good, mid, lo[open_])
        hi[open_] = np.where(good & ~stuck, hi[open_], np.where(stuck, lo[open_], mid - 1.0))
        open_ = open_[lo[open_] < hi[open_]]
    guess = np.where(qualifies, lo, np.where(below, mode, 0.0) - 1.0)
    # The log scale blurs near-ties (mirror tables of a symmetric design are exactly as likely
    # as the observed one, and logpmf carries an absolute error of a few ulps of |log p|):
    # settle the boundary with scipy's pmf and its relative tolerance, one step either way.
    live = np.flatnonzero(~at_mode)
    if live.size:
        thr = hg.pmf(xt[live], big_m[live], nt[live], s[live]) * (1.0 + 1e-14)
        g, bl = guess[live], below[live]
        p_next = hg.pmf(g + 1.0, big_m[live], nt[live], s[live])
        p_here = hg.pmf(g, big_m[live], nt[live], s[live])
        lo_end = np.where(bl, mode[live], 0.0)
        hi_end = np.where(bl, s[live], mode[live])
        step_up = (g + 1.0 <= hi_end) & np.where(bl, p_next >= thr, p_next <= thr)
        step_down = (g >= lo_end) & np.where(bl, p_here < thr, p_here > thr)
        guess[live] = np.where(step_up, g + 1.0, np.where(step_down, g - 1.0, g))
    pval = np.ones_like(xt)
    b = np.flatnonzero(below & ~at_mode)
    a = np.flatnonzero(~below & ~at_mode)
    pval[b] = hg.cdf(xt[b], big_m[b], nt[b], s[b]) + hg.sf(guess[b], big_m[b], nt[b], s[b])
    pval[a] = hg.sf(xt[a] - 1.0, big_m[a], nt[a], s[a]) + hg.cdf(guess[a], big_m[a], nt[a], s[a])
    return pval


_SRM_EMPTY = "no entries in any arm (total = 0)"
#: The most entries (both arms) Fisher's exact test is run on: scipy's hypergeometric pmf
#: costs time in proportion to them (0.25 s a call at 1e9), and at this size the chi-square
#: test's p-value is as good.
FISHER_LIMIT = 1e8
_TOO_LARGE_FOR_FISHER = (
    "more than 100,000,000 entries: Fisher's exact test would take minutes (its cost grows "
    "with the entries); use the z or chi-square test, which agree with it at this size"
)
_EXACT_LIMIT = 2.0**53
_TOO_LARGE_FOR_EXACT = (
    "more than 2**53 entries: float64 cannot hold every count exactly, no exact test"
)


def sample_ratio_test(
    entries: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    axis: int = -1,
) -> TestResult:
    r"""Sample-ratio mismatch: chi-square goodness of fit of the entries to the intended split.

    Parameters
    ----------
    entries : array_like
        Entries per arm, the arms along ``axis`` (whole numbers >= 0, NaN for missing).
    weights : array_like, optional
        The intended split: positive, finite, not necessarily summing to 1. Either 1-D with one
        weight per arm (applied along ``axis``) or an array broadcastable to ``entries``.
        Default: an equal split.
    axis : int
        The arm axis; the result has the shape of ``entries`` without it.

    Returns
    -------
    TestResult
        ``statistic`` (:math:`X^2`), ``pvalue`` and ``reason``. A common flag for a mismatch
        is ``pvalue < 0.001``.

    Raises
    ------
    ValueError
        Fewer than two arms; ``axis`` out of range; invalid counts or weights.

    Notes
    -----
    With :math:`N = \sum_k O_k` and the intended shares :math:`w_k / \sum_j w_j`, the expected
    counts are :math:`E_k = N w_k / \sum_j w_j`, :math:`X^2 = \sum_k (O_k - E_k)^2 / E_k` and
    the p-value is the chi-square upper tail with (arms - 1) degrees of freedom, as
    :func:`scipy.stats.chisquare`. Undefined (NaN with reason) where an arm is NaN or the
    total is 0.

    References
    ----------
    Fabijan, A. et al. (2019). Diagnosing sample ratio mismatch in online controlled
    experiments. KDD '19, 2156-2164.
    Pearson, K. (1900). On the criterion that a given system of deviations from the probable
    ... Philosophical Magazine 50, 157-175.

    Examples
    --------
    >>> res = sample_ratio_test([5000, 5200])
    >>> round(float(res.statistic), 4), round(float(res.pvalue), 4)
    (3.9216, 0.0477)
    """
    arr = v.counts(entries, "entries")
    if arr.ndim == 0:
        raise ValueError("entries: need an axis holding the arms")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of range for entries with {arr.ndim} dimensions")
    k = arr.shape[axis]
    if k < 2:
        raise ValueError(f"entries: need at least two arms along axis {axis}, got {k}")
    obs = np.moveaxis(arr, axis, -1)
    if weights is None:
        share = np.full(k, 1.0 / k)
    else:
        w = v.real(weights, "weights")
        if np.isnan(w).any() or (w <= 0).any():
            raise ValueError("weights: must be positive and finite")
        if w.ndim == 1:
            if w.shape[0] != k:
                raise ValueError(f"weights: expected {k} weights (one per arm), got {w.shape[0]}")
            wk = w
        else:
            try:
                wk = np.moveaxis(np.broadcast_to(w, arr.shape), axis, -1)
            except ValueError:
                raise ValueError("weights: does not broadcast to entries") from None
        share = wk / np.sum(wk, axis=-1, keepdims=True)
    reasons = v.Reasons(obs.shape[:-1])
    reasons.flag(np.isnan(obs).any(axis=-1), v.MISSING)
    total = np.sum(obs, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        reasons.flag(total[..., 0] == 0, _SRM_EMPTY)
    safe_total = np.where(reasons.bad[..., None], 1.0, total)
    safe_obs = np.where(reasons.bad[..., None], safe_total * share, obs)
    expected = safe_total * share
    stat = np.sum((safe_obs - expected) ** 2 / expected, axis=-1)
    pval = special.chdtrc(k - 1.0, stat)
    return TestResult(reasons.nan(stat), reasons.nan(pval), reasons.text)

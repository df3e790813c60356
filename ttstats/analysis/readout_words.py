"""The readout's words: numbers as people read them, and verdicts as sentences.

Pure functions of plain values; the text, Markdown and HTML renderers use the same ones, so a
number reads the same everywhere. Undefined numbers (nan) read as :data:`MISSING`.

Examples
--------
>>> signed_pct(0.2254), pct(0.04886), p_text(0.000217), level(0.05)
('+22.5%', '4.89%', '0.0002', '95%')
>>> ci_text(0.1154, 0.3463, 0.05)
'95% CI +11.5% to +34.6%'
"""

from __future__ import annotations

import math
from typing import Final

from .readout_model import LOSES, NO_VERDICT, UNDEFINED, WINS

#: How an undefined number reads.
MISSING: Final = "n/a"

#: The multiple-testing corrections, as people name them.
CORRECTION_NAMES: dict[str, str] = {
    "holm": "Holm",
    "bonferroni": "Bonferroni",
    "fdr_bh": "Benjamini-Hochberg",
}


def defined(x: float) -> bool:
    """``x`` is a finite number."""
    return math.isfinite(x)


def pct(x: float, digits: int = 2) -> str:
    """A share as a percentage: ``0.04885`` -> ``"4.89%"``."""
    return f"{x:.{digits}%}" if defined(x) else MISSING


def signed_pct(x: float, digits: int = 1) -> str:
    """A lift with its sign: ``0.2254`` -> ``"+22.5%"``."""
    return f"{x:+.{digits}%}" if defined(x) else MISSING


def number(x: float, digits: int = 2) -> str:
    """A mean or a statistic: ``128.2437`` -> ``"128.24"`` (thousands separated)."""
    return f"{x:,.{digits}f}" if defined(x) else MISSING


def count(x: float) -> str:
    """A count: ``19038.0`` -> ``"19,038"`` (a fraction keeps two decimals; beyond 1e15,
    where float64 stops holding every whole number, ``"1.2e+16"``)."""
    if not defined(x):
        return MISSING
    if abs(x) >= 1e15:
        return f"{x:.3g}"
    return f"{x:,.0f}" if x == round(x) else f"{x:,.2f}"


def p_text(p: float) -> str:
    """A p-value with four decimals, ``"<0.0001"`` below."""
    if not defined(p):
        return MISSING
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def p_is(p: float) -> str:
    """A p-value after its name in prose: ``"= 0.0123"``, ``"< 0.0001"``.

    Examples
    --------
    >>> f"p {p_is(0.01234)}", f"p {p_is(0.00002)}"
    ('p = 0.0123', 'p < 0.0001')
    """
    text = p_text(p)
    return f"< {text[1:]}" if text.startswith("<") else f"= {text}"


def probability_text(p: float) -> str:
    """A probability as a percentage that never rounds to a certainty.

    Examples
    --------
    >>> probability_text(0.99999), probability_text(0.7191), probability_text(0.0004)
    ('>99.9%', '71.9%', '<0.1%')
    """
    if not defined(p):
        return MISSING
    if p > 0.999:
        return ">99.9%"
    if p < 0.001:
        return "<0.1%"
    return f"{p:.1%}"


def level(alpha: float) -> str:
    """The confidence level of intervals at ``alpha``: ``0.05`` -> ``"95%"``."""
    return f"{100 * (1 - alpha):.10g}%"


def ci_text(low: float, high: float, alpha: float, *, signed: bool = True) -> str:
    """``"95% CI +11.5% to +34.6%"`` (``signed=False``: rates, ``"3.72% to 4.27%"``)."""
    fmt = signed_pct if signed else pct
    return f"{level(alpha)} CI {fmt(low)} to {fmt(high)}"


def interval(low: float, high: float, *, signed: bool = True, digits: int | None = None) -> str:
    """An interval without its level: ``"+11.5% to +34.6%"``; ``digits``: plain numbers."""
    if not (defined(low) or defined(high)):
        return MISSING
    if digits is not None:
        return f"{number(low, digits)} to {number(high, digits)}"
    fmt = signed_pct if signed else pct
    return f"{fmt(low)} to {fmt(high)}"


def correction_name(method: str) -> str:
    """``"holm"`` -> ``"Holm"``."""
    return CORRECTION_NAMES.get(method, method)


def plural(n: float, unit: str) -> str:
    """``"1 day"``, ``"12 days"``, ``"1,234 days"``."""
    return f"{count(n)} {unit}" + ("" if n == 1 else "s")


def verdict_text(
    outcome: str,
    *,
    lift: float,
    lift_low: float,
    lift_high: float,
    diff: float,
    p_adjusted: float,
    alpha: float,
    correction: str,
    min_lift: float = 0.0,
    note: str = "",
) -> str:
    """The verdict of one recipe against the control, in words.

    Examples
    --------
    >>> verdict_text("wins", lift=0.2254, lift_low=0.1154, lift_high=0.3463, diff=0.009,
    ...              p_adjusted=0.0002, alpha=0.05, correction="holm")
    'wins: +22.5% (95% CI +11.5% to +34.6%), significant after Holm correction'
    >>> verdict_text("no verdict yet", lift=0.0294, lift_low=-0.0668, lift_high=0.1355,
    ...              diff=0.001, p_adjusted=1.0, alpha=0.05, correction="holm")
    'no verdict yet: +2.9% (95% CI -6.7% to +13.6%), not significant after Holm correction (adjusted p = 1.0000)'
    """
    name = correction_name(correction)
    if outcome == UNDEFINED:
        return f"{UNDEFINED}: {note or 'the comparison is not defined'}"
    if defined(lift):
        effect = f"{signed_pct(lift)} ({ci_text(lift_low, lift_high, alpha)})"
    else:
        effect = f"{diff * 100:+.2f} percentage points over a control rate of 0 (lift undefined)"
    if outcome in (WINS, LOSES):
        out = f"{outcome}: {effect}, significant after {name} correction"
        if outcome == WINS and min_lift > 0 and defined(lift) and lift < min_lift:
            out += f", but below the minimum lift of {signed_pct(min_lift)}"
        elif outcome == WINS and min_lift > 0 and not defined(lift):
            out += f", but the minimum lift of {signed_pct(min_lift)} cannot be checked"
        return out
    if outcome == NO_VERDICT:
        return (
            f"{NO_VERDICT}: {effect}, not significant after {name} correction "
            f"(adjusted p {p_is(p_adjusted)})"
        )
    raise ValueError(f"unknown outcome {outcome!r}")


def sequential_text(
    outcome: str,
    *,
    av_p_adjusted: float,
    cs_low: float,
    cs_high: float,
    alpha: float,
    correction: str,
    note: str = "",
    family: int = 1,
) -> str:
    """The always-valid verdict of one recipe, in words.

    The p-value is adjusted over the ``family`` comparisons; the confidence sequence is not
    (it is that of the one comparison), and says so when the family holds more than one.

    Examples
    --------
    >>> sequential_text("wins", av_p_adjusted=0.0153, cs_low=0.0025, cs_high=0.0152,
    ...                 alpha=0.05, correction="holm")
    'always-valid: wins, adjusted p = 0.0153 (Holm); 95% confidence sequence of the difference, valid at every look: +0.25 to +1.52 points'
    >>> sequential_text("no verdict yet", av_p_adjusted=0.2055, cs_low=0.0009, cs_high=0.0173,
    ...                 alpha=0.05, correction="holm", family=4)[-70:]
    'every look: +0.09 to +1.73 points (not adjusted for the 4 comparisons)'
    """
    if outcome == UNDEFINED:
        return f"always-valid: {UNDEFINED}: {note or 'the always-valid test is not defined'}"
    band = ""
    if defined(cs_low) and defined(cs_high):
        band = (
            f"; {level(alpha)} confidence sequence of the difference, valid at every look: "
            f"{cs_low * 100:+.2f} to {cs_high * 100:+.2f} points"
            + (
                f" (not adjusted for the {family} comparisons)"
                if family > 1 and correction != "none"
                else ""
            )
        )
    return (
        f"always-valid: {outcome}, adjusted p {p_is(av_p_adjusted)} "
        f"({correction_name(correction)}){band}"
    )


def power_text(
    *,
    target_lift: float,
    more_samples: float,
    unit: str,
    mdl: float,
    power: float,
    alpha: float,
    reason: str = "",
    family: int = 1,
    correction: str = "",
) -> str:
    """How many more samples the power question needs, in words.

    ``alpha`` is the level the question was asked at: ``alpha / family`` of a readout whose
    correction covers ``family`` comparisons.

    Examples
    --------
    >>> power_text(target_lift=0.03, more_samples=412, unit="day", mdl=0.146, power=0.8,
    ...            alpha=0.005, family=10, correction="holm")
    'a lift of +3.0% needs about 412 more days at the observed traffic to be detected with 80% power (two-sided alpha 0.005 = 0.05/10, what Holm correction needs of one comparison of 10); detectable now: +14.6%'
    """
    now = f"; detectable now: {signed_pct(mdl)}" if defined(mdl) else ""
    what = f"a lift of {signed_pct(target_lift)}"
    if not defined(more_samples):
        if not defined(target_lift):
            return f"no lift to size the experiment for: {reason or 'lift undefined'}{now}"
        return f"{what}: {reason or 'the samples needed are undefined'}{now}"
    if more_samples == 0:
        return f"{what} would already be detected with {power:.0%} power at the entries so far{now}"
    level_text = f"two-sided alpha {alpha:.3g}"
    if family > 1:
        level_text += (
            f" = {alpha * family:g}/{family}, what {correction_name(correction)} correction "
            f"needs of one comparison of {family}"
        )
    return (
        f"{what} needs about {plural(more_samples, 'more ' + unit)} at the observed traffic to "
        f"be detected with {power:.0%} power ({level_text}){now}"
    )


def act_on_text(looks: int, sequential: bool, unit: str) -> str:
    """Which verdict a pipeline should act on, given how many samples the report holds.

    Examples
    --------
    >>> act_on_text(1, False, "day")
    'one sample: one look, so the fixed-horizon verdict is valid; act on it'
    """
    if looks <= 1:
        return (
            "one sample: one look, so the fixed-horizon verdict is valid; act on it"
            if not sequential
            else "one sample: one look; the always-valid verdict is acted on (more cautious)"
        )
    many = plural(looks, unit)
    if sequential:
        return (
            f"the always-valid verdict (over {many}), valid however often the experiment "
            "was looked at; the fixed-horizon verdict is shown for reference"
        )
    return (
        f"the always-valid verdict if this experiment was looked at before ({many} of "
        f"samples; e.g. a pipeline that checks it every {unit} and stops at the first "
        "significant result; --sequential); the fixed-horizon verdict is valid only if this "
        "one look was fixed in advance"
    )

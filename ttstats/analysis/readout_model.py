"""What a readout holds: small, frozen, flat records of plain Python values.

Every record is a frozen dataclass of ``str``, ``int``, ``float``, ``bool`` and ``None``, so
that a renderer (text, Markdown, JSON, HTML) reads fields by name and never touches an
array. Numbers that are not defined are ``nan`` and the record's ``note`` says why; the JSON
renderer writes them as ``null``. The arrays behind the records stay available on
:class:`Readout` (``comparison``, ``means``, ``extreme``, ``sensitivity``,
``campaign_check``, ``report``) for plots and notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ..parse import Report
    from ._comparison import Comparison
    from ._extreme_results import ExtremeOrders, Sensitivity
    from ._means_comparison import MeansComparison
    from .campaign import CampaignCheck
    from .segments import Segments

#: Outcome of a recipe that beats the control significantly (adjusted p < alpha, lift > 0).
WINS: Final = "wins"
#: Outcome of a recipe significantly worse than the control.
LOSES: Final = "loses"
#: Outcome of a recipe whose difference from the control is not significant (yet).
NO_VERDICT: Final = "no verdict yet"
#: Outcome where no test is possible (the verdict's note says why).
UNDEFINED: Final = "no verdict possible"
#: The outcomes, in the order above.
OUTCOMES: tuple[str, ...] = (WINS, LOSES, NO_VERDICT, UNDEFINED)

#: Label of the aggregate report (its segment is None): every visitor of the campaign, read
#: from the file's own aggregate report (never a sum of segments, which may overlap).
AGGREGATE: Final = "All visitors"


@dataclass(frozen=True)
class ReportRead:
    """One ``<report>`` element of the file: a segment (or the aggregate) and its period.

    Attributes
    ----------
    index : int
        Position of the report in the file (the first axis of the arrays).
    segment : str or None
        The segment name; None for the aggregate of all segments.
    segment_id, campaign_id : int or None
        As written in the file.
    type : str or None
        ``"visit"``, ``"visitor"`` or ``"impression"``.
    start, end : str or None
        The requested period, ISO dates (``"2009-08-03"``) or date-times.
    resolution : str or None
        ``"day"``, ``"hour"``, ...
    samples_present, samples_in_grid : int
        Samples the file holds for this report, and samples on its regular grid (an omitted
        sample had no entries).
    """

    index: int
    segment: str | None
    segment_id: int | None
    campaign_id: int | None
    type: str | None
    start: str | None
    end: str | None
    resolution: str | None
    samples_present: int
    samples_in_grid: int

    @property
    def label(self) -> str:
        """The segment's name, or :data:`AGGREGATE` for the aggregate report."""
        return AGGREGATE if self.segment is None else self.segment


@dataclass(frozen=True)
class ReadSummary:
    """What was read: the file, its reports and labels, and every repair the parser made.

    Attributes
    ----------
    source : str
        Where the report came from (a path, ``"<stdin>"``, a description).
    version : int
        The document version, 1 or 2.
    reports : tuple of ReportRead
        The reports in file order.
    campaign_ids, types, resolutions : tuple
        The distinct values over the reports.
    start, end : str or None
        The earliest start and the latest end of the reports.
    samples : int
        Length of the sample axis (the union of the reports' grids).
    first_sample, last_sample : str or None
        Start of the first and the last sample.
    recipes, steps : tuple of str
        The labels, in document order.
    campaign_recipe : str or None
        The summary recipe's name, None when the file holds none.
    parse_warnings : tuple of str
        Each repair, skipped item or unknown content, with its line and column.
    """

    source: str
    version: int
    reports: tuple[ReportRead, ...]
    campaign_ids: tuple[int, ...]
    types: tuple[str, ...]
    resolutions: tuple[str, ...]
    start: str | None
    end: str | None
    samples: int
    first_sample: str | None
    last_sample: str | None
    recipes: tuple[str, ...]
    steps: tuple[str, ...]
    campaign_recipe: str | None
    parse_warnings: tuple[str, ...]

    @property
    def segments(self) -> tuple[str, ...]:
        """The named segments, in file order (the aggregate is not one)."""
        return tuple(r.segment for r in self.reports if r.segment is not None)


@dataclass(frozen=True)
class RateRow:
    """One recipe on one step of one report (a row of :meth:`Comparison.to_frame`).

    ``rate_low, rate_high`` are the rate's interval; ``diff``, ``lift`` and their intervals,
    ``p_value``, ``p_adjusted`` and ``mdl`` compare the recipe with the control (nan in the
    control's own row). ``av_p_value``, ``av_p_adjusted`` are the always-valid p-value over
    the samples and its adjustment, ``cs_low, cs_high`` the confidence sequence of ``diff``.
    ``prob_beat`` is the posterior probability that the recipe's rate exceeds the control's
    and ``expected_loss`` the rate expected to be lost by choosing it (uniform priors).
    ``per_entry``: the step counts events (its
    count exceeds the entries somewhere), so ``rate`` is a per-entry rate without interval or
    test.
    """

    report: int
    segment: str | None
    recipe: str
    step: str
    is_control: bool
    per_entry: bool
    entries: float
    conversions: float
    rate: float
    rate_low: float
    rate_high: float
    diff: float
    diff_low: float
    diff_high: float
    lift: float
    lift_low: float
    lift_high: float
    p_value: float
    p_adjusted: float
    significant: bool
    mdl: float
    av_p_value: float
    av_p_adjusted: float
    cs_low: float
    cs_high: float
    prob_beat: float
    expected_loss: float
    note: str


@dataclass(frozen=True)
class Verdict:
    """A recipe against the control on the readout's metric, in words and numbers.

    Attributes
    ----------
    report, segment, recipe, step
        Which comparison.
    outcome : str
        One of :data:`OUTCOMES`: ``"wins"``, ``"loses"``, ``"no verdict yet"``,
        ``"no verdict possible"``: the verdict acted on, ``sequential_outcome`` when the
        readout is sequential, else ``fixed_outcome``.
    fixed_outcome, sequential_outcome : str
        The fixed-horizon verdict (adjusted p-value) and the always-valid one (adjusted
        always-valid p-value).
    sequential_text : str
        The always-valid verdict in words.
    av_p_adjusted : float
        The adjusted always-valid p-value.
    diff, cs_low, cs_high : float
        The difference of rates from the control and its always-valid confidence sequence
        (at every look at once).
    prob_beat, expected_loss : float
        Posterior probability that the recipe beats the control, and the expected loss of
        choosing it (rate units).
    text : str
        The verdict acted on in words, e.g. ``"wins: +22.5% (95% CI +11.5% to +34.6%),
        significant after Holm correction"`` (``sequential_text`` when sequential).
    fixed_text : str
        The fixed-horizon verdict in words.
    lift, lift_low, lift_high, p_adjusted, mdl : float
        As in the comparison (``p_adjusted``: the fixed-horizon adjusted p-value; ``mdl``:
        the lift detectable now with the readout's power).
    significant : bool
        The adjusted p-value acted on (the always-valid one when sequential) is below alpha.
    meets_min_lift : bool
        The recipe wins and its lift is at least the readout's ``min_lift``.
    target_lift : float
        The lift the power question is asked for: the observed lift, or ``min_lift`` when
        that is larger than the observed lift's size.
    more_samples : float
        Where no verdict is reached: how many more samples (``sample_unit``) at the observed
        traffic until ``target_lift`` would be detectable (0: detectable already); nan
        otherwise or where undefined (``power_note`` says why).
    sample_unit : str
        The report's resolution (``"day"``, ``"hour"``...) or ``"sample"``.
    traffic_control, traffic_recipe : float
        Entries per sample so far, the control's and the recipe's.
    power_text : str
        The power question answered in words (empty when a verdict is reached).
    power_note : str
        Why ``more_samples`` is nan, where it is.
    note : str
        The comparison's note (why fields are undefined).
    """

    report: int
    segment: str | None
    recipe: str
    step: str
    outcome: str
    fixed_outcome: str
    sequential_outcome: str
    sequential_text: str
    av_p_adjusted: float
    diff: float
    cs_low: float
    cs_high: float
    prob_beat: float
    expected_loss: float
    text: str
    fixed_text: str
    lift: float
    lift_low: float
    lift_high: float
    p_adjusted: float
    significant: bool
    meets_min_lift: bool
    mdl: float
    target_lift: float
    more_samples: float
    sample_unit: str
    traffic_control: float
    traffic_recipe: float
    power_text: str
    power_note: str
    note: str


@dataclass(frozen=True)
class MeansRow:
    """One recipe on one engagement or revenue metric (a row of :meth:`MeansComparison.to_frame`)."""

    report: int
    segment: str | None
    recipe: str
    metric: str
    step: str
    per: str
    is_control: bool
    units: float
    mean: float
    std: float
    mean_low: float
    mean_high: float
    lift: float
    lift_low: float
    lift_high: float
    p_value: float
    p_adjusted: float
    significant: bool
    reliable: bool
    source: str
    note: str


@dataclass(frozen=True)
class ExtremeRow:
    """One recipe's extreme-order bound and how many removals flip its verdict.

    See :class:`~ttstats.analysis.extreme.ExtremeOrders` for the fields; ``verdict`` is
    Welch's on the order values (``"higher"``, ``"lower"``, ``"not significant"``,
    ``"control"``, ``"undefined"``).
    """

    report: int
    segment: str | None
    recipe: str
    is_control: bool
    units: float
    mean: float
    std: float
    threshold_low: float
    threshold_high: float
    max_extreme: float
    verdict: str
    flip_k: float
    flip_p_value: float
    p_value: float
    p_value_vs_rest: float
    note: str


@dataclass(frozen=True)
class SensitivityRow:
    """One recipe, step and measure with extreme orders and with them excluded.

    See :class:`~ttstats.analysis.extreme.Sensitivity` for the fields.
    """

    report: int
    segment: str | None
    recipe: str
    step: str
    measure: str
    is_control: bool
    units_with: float
    units_without: float
    mean_with: float
    mean_without: float
    lift_with: float
    lift_without: float
    lift_low_with: float
    lift_high_with: float
    lift_low_without: float
    lift_high_without: float
    p_value_with: float
    p_value_without: float
    verdict_with: str
    verdict_without: str
    flipped: bool
    total_change: float
    share_of_change: float
    note: str


@dataclass(frozen=True)
class SampleRatioRow:
    """The sample-ratio check of one report: chi-square of the entries against an equal split.

    ``flagged`` below ``threshold`` (0.001); ``note`` says why ``chi2`` and ``p_value`` are
    nan where they are.
    """

    report: int
    segment: str | None
    type: str | None
    entries: float
    chi2: float
    p_value: float
    flagged: bool
    threshold: float
    note: str


@dataclass(frozen=True)
class CampaignGap:
    """A cell where the recipes do not add up to the "Campaign" summary beyond rounding.

    ``note`` is ``""`` for a gap in numbers, else which side alone reports the cell (its
    ``gap`` is then NaN).
    """

    report: int
    segment: str | None
    sample_start: str | None
    step: str
    measure: str
    recipes_sum: float
    campaign: float
    gap: float
    tolerance: float
    note: str = ""


@dataclass(frozen=True)
class CampaignConsistency:
    """Do the recipes add up to the summary recipe (:func:`~ttstats.check_campaign`)?

    Attributes
    ----------
    checked : bool
        False when the file holds no summary recipe (``note`` says so).
    consistent : bool or None
        Every cell within rounding; None when not checked.
    reports : tuple of (int, bool)
        Per report index: consistent.
    gaps : tuple of CampaignGap
        Every cell beyond rounding, in (measure, report, sample, step) order.
    note : str
        What the result means, or why there is none.
    """

    checked: bool
    consistent: bool | None
    reports: tuple[tuple[int, bool], ...]
    gaps: tuple[CampaignGap, ...]
    note: str


@dataclass(frozen=True)
class SegmentRow:
    """Does one recipe's lift differ between the segments of one type? (Cochran's Q)

    ``segments`` is the number of segments with a log lift; ``aggregate_lift`` the lift of
    the type's aggregate report (nan when the file holds none); ``lift_min``, ``lift_max`` the
    range over the segments; ``q``, ``df``, ``p_value``, ``i_squared`` Cochran's test and
    Higgins' I²; ``simpson`` the aggregate's direction differs from every segment's.
    """

    type: str | None
    recipe: str
    segments: float
    aggregate_lift: float
    lift_min: float
    lift_max: float
    q: float
    df: float
    p_value: float
    i_squared: float
    simpson: bool
    note: str


@dataclass(frozen=True)
class Section:
    """Everything the readout shows for one report (one segment, or the aggregate).

    Attributes
    ----------
    report : ReportRead
        The report.
    sample_ratio : SampleRatioRow
        Its sample-ratio check.
    metric_rows : tuple of RateRow
        Each recipe (control included, document order) on the readout's metric.
    verdicts : tuple of Verdict
        Each recipe but the control, against it on the metric.
    step_rows : tuple of RateRow
        Each recipe on each other compared step (step-major order).
    means : tuple of MeansRow
        Engagement and revenue metrics, each recipe (metric-major order).
    extremes : tuple of ExtremeRow
        The extreme-order bounds per recipe (empty when not available).
    sensitivity : tuple of SensitivityRow
        With and without extreme orders (empty unless requested).
    """

    report: ReportRead
    sample_ratio: SampleRatioRow
    metric_rows: tuple[RateRow, ...]
    verdicts: tuple[Verdict, ...]
    step_rows: tuple[RateRow, ...]
    means: tuple[MeansRow, ...]
    extremes: tuple[ExtremeRow, ...]
    sensitivity: tuple[SensitivityRow, ...]

    @property
    def label(self) -> str:
        """The segment's name, or :data:`AGGREGATE`."""
        return self.report.label


@dataclass(frozen=True, eq=False)
class Readout:
    """A readout of one experiment; see :func:`~ttstats.analysis.readout.build_readout`.

    Attributes
    ----------
    read : ReadSummary
        What was read.
    control, metric, entry : str
        The control recipe, the step whose rate decides, and the step of the entries.
    alpha, power, min_lift : float
        Significance level (intervals at ``1 - alpha``), the power of the detectable lift and
        of the sample counts, and the smallest lift that counts as a win worth having.
    interval, lift_interval, test, correction : str
        The methods: rate interval, lift interval, test, multiple-testing correction.
    segment : str or None
        The segment asked for; None for every report.
    type : str or None
        The report type asked for; None for every type.
    sections : tuple of Section
        One per report shown: the aggregate first, then the segments in file order.
    campaign : CampaignConsistency
        The Campaign consistency check (over the whole file).
    means_metrics : tuple of str
        The engagement and revenue metrics compared (``"revenue"`` means revenue per entry).
    means_note : str
        Why there are no engagement or revenue metrics, or what to know about them.
    extreme_metric : str or None
        The step whose order values the extreme-order section reads; None if not available.
    extreme_note : str
        Why the extreme-order section is missing, or what its numbers mean.
    sensitivity_note : str
        ``""`` when the sensitivity was computed; otherwise why not (not requested...).
    sequential : bool
        The verdicts acted on (``outcome``, :func:`~ttstats.analysis.readout.decide`) are the
        always-valid ones.
    looks : int
        The most samples any shown report holds: more than one means the experiment could
        have been looked at before, and the always-valid verdict is shown beside the fixed one.
    act_on : str
        Which verdict a pipeline should act on, and why.
    segments : tuple of SegmentRow
        Heterogeneity of the metric's lift across segments (empty without segment reports).
    segments_note : str
        What to know about the segments (overlap, a missing aggregate report).
    warnings : tuple of str
        What a reader must keep in mind, from the analysis (summing visitor samples, sample
        ratio mismatches, Campaign gaps...); the parser's repairs are in ``read``.
    report, comparison, means, extreme, sensitivity, campaign_check, segment_analysis
        The objects behind the records, for plots and further analysis (``means``,
        ``extreme``, ``sensitivity`` and ``segment_analysis`` are None where not available).
    """

    read: ReadSummary
    control: str
    metric: str
    entry: str
    alpha: float
    power: float
    min_lift: float
    interval: str
    lift_interval: str
    test: str
    correction: str
    segment: str | None
    sections: tuple[Section, ...]
    campaign: CampaignConsistency
    means_metrics: tuple[str, ...]
    means_note: str
    extreme_metric: str | None
    extreme_note: str
    sensitivity_note: str
    sequential: bool
    looks: int
    act_on: str
    segments: tuple[SegmentRow, ...]
    segments_note: str
    warnings: tuple[str, ...]
    report: Report = field(repr=False)
    comparison: Comparison = field(repr=False)
    means: MeansComparison | None = field(repr=False)
    extreme: ExtremeOrders | None = field(repr=False)
    sensitivity: Sensitivity | None = field(repr=False)
    campaign_check: CampaignCheck = field(repr=False)
    segment_analysis: Segments | None = field(repr=False, default=None)
    type: str | None = None

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """Every verdict, section by section."""
        return tuple(v for s in self.sections for v in s.verdicts)

    @property
    def sample_ratio(self) -> tuple[SampleRatioRow, ...]:
        """The sample-ratio check of each section's report."""
        return tuple(s.sample_ratio for s in self.sections)

    def __repr__(self) -> str:
        wins = sum(v.outcome == WINS for v in self.verdicts)
        return (
            f"<Readout of {self.read.source!r}: {self.metric!r} vs {self.control!r}, "
            f"{len(self.sections)} section(s), {wins} win(s) at alpha={self.alpha:g} "
            f"({'always-valid' if self.sequential else self.test}, {self.correction}), "
            f"{len(self.warnings)} warning(s)>"
        )

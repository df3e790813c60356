"""Do the recipes add up to the "Campaign" summary recipe?

The summary recipe pools every recipe of a sample, so for every report, sample and step its
count, revenue and engagement moments should equal the sum over the recipes, within the
rounding of the file. A gap means something is in the summary that is not in the recipes (a
deleted experience left out of the report is the usual cause) or the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..parse import MEASURES, Report
from ._precision import API_DECIMALS, file_decimals

if TYPE_CHECKING:
    import pandas as pd

#: The measures and their decimals when the file does not say (``None``: whole numbers,
#: compared exactly); :func:`check_campaign` reads the file's own from the Report.
DECIMALS: dict[str, int | None] = {
    "count": None,
    "revenue": 2,
    "engagement_count": None,
    "engagement_total": 5,
    "engagement_sumsq": 5,
}


@dataclass(frozen=True, eq=False)
class CampaignCheck:
    """Recipes against the summary recipe, per report, sample, step and measure.

    Attributes
    ----------
    report : Report
        The report checked.
    recipes_sum, campaign, gap, tolerance : dict of str to ndarray
        Per measure, shape ``(report, sample, step)``: the sum over the recipes (NaN where no
        recipe reports the measure), the summary recipe's value, ``campaign - recipes_sum``,
        and the largest gap the file's rounding explains.
    """

    report: Report
    recipes_sum: dict[str, npt.NDArray[np.float64]]
    campaign: dict[str, npt.NDArray[np.float64]]
    gap: dict[str, npt.NDArray[np.float64]]
    tolerance: dict[str, npt.NDArray[np.float64]]

    @property
    def checked(self) -> bool:
        """True when the file holds a summary recipe, so that something was compared."""
        return any(bool(np.isfinite(v).any()) for v in self.campaign.values())

    @property
    def one_sided(self) -> dict[str, npt.NDArray[np.bool_]]:
        """Per measure: cells that only the summary, or only the recipes, report."""
        if not self.checked:
            return {m: np.zeros(v.shape, dtype=bool) for m, v in self.gap.items()}
        return {m: np.isnan(self.recipes_sum[m]) != np.isnan(self.campaign[m]) for m in self.gap}

    @property
    def mismatched(self) -> dict[str, npt.NDArray[np.bool_]]:
        """Per measure: where the gap is larger than the rounding explains, or only one side
        (the summary or the recipes) reports the cell."""
        sided = self.one_sided
        return {m: (np.abs(self.gap[m]) > self.tolerance[m]) | sided[m] for m in self.gap}

    @property
    def consistent(self) -> bool:
        """True when something was checked and no cell anywhere has a gap beyond rounding."""
        return self.checked and not any(bool(v.any()) for v in self.mismatched.values())

    def by_report(self) -> npt.NDArray[np.bool_]:
        """Per report: True when all its cells are consistent."""
        bad = np.zeros(self.report.shape[0], dtype=bool)
        for v in self.mismatched.values():
            bad |= v.any(axis=(1, 2))
        return ~bad

    def to_frame(self) -> pd.DataFrame:
        """One row per (report, sample, step, measure) whose gap is beyond rounding.

        Columns: ``report, segment, sample_start, step, measure, recipes_sum, campaign, gap,
        tolerance``. Empty when the report is consistent.
        """
        import pandas as pd

        r = self.report
        rows = []
        for m in MEASURES:
            for ri, si, ti in zip(*np.nonzero(self.mismatched[m]), strict=True):
                rows.append(
                    {
                        "report": int(ri),
                        "segment": r.reports[ri].segment,
                        "sample_start": pd.Timestamp(r.samples.start[si]),
                        "step": r.steps[ti],
                        "measure": m,
                        "recipes_sum": float(self.recipes_sum[m][ri, si, ti]),
                        "campaign": float(self.campaign[m][ri, si, ti]),
                        "gap": float(self.gap[m][ri, si, ti]),
                        "tolerance": float(self.tolerance[m][ri, si, ti]),
                    }
                )
        columns = [
            "report", "segment", "sample_start", "step", "measure",
            "recipes_sum", "campaign", "gap", "tolerance",
        ]  # fmt: skip
        frame: pd.DataFrame = pd.DataFrame(rows, columns=columns)
        return frame


def check_campaign(
    report: Report, *, decimals: dict[str, int | None] | None = None
) -> CampaignCheck:
    """Check that the recipes add up to the summary recipe in every report, sample and step.

    Parameters
    ----------
    report : Report
        A parsed report with its summary recipe (``report.campaign``).
    decimals : dict, optional
        Decimals each measure is written with. Default: as the file printed them
        (:attr:`Report.decimals`; where it holds no value, the API's: revenue 2, engagement
        totals and sums of squares 5); counts are whole numbers, compared exactly.

    Returns
    -------
    CampaignCheck

    Notes
    -----
    Each value in the file is rounded to ``d`` decimals, so it is off by at most
    ``u = 0.5 * 10**-d``; the sum of ``K`` recipes and the summary can then differ by
    ``(K + 1) * u`` without anything being wrong. Whole-number measures must match exactly.
    A float64 allowance of ``1e-12`` times the magnitude is added for the sums themselves.
    A cell that only one side reports (the summary has a value the recipes do not, or the
    other way round) is a gap too: its ``gap`` is NaN and :attr:`CampaignCheck.one_sided` marks
    it. A file without a summary recipe is not checked (``checked`` False, ``consistent``
    False: nothing was shown to add up). Cells that neither side reports are not compared.

    Examples
    --------
    >>> import ttstats
    >>> xml = ('<reports><report><sample start="2009-08-01T00:00" duration="day">'
    ...        '<recipe name="A"><step name="Entry"><amount>3.0</amount></step></recipe>'
    ...        '<recipe name="B"><step name="Entry"><amount>4.0</amount></step></recipe>'
    ...        '<recipe name="Campaign"><step name="Entry"><amount>9.0</amount></step></recipe>'
    ...        '</sample></report></reports>')
    >>> check = ttstats.check_campaign(ttstats.read_report(xml))
    >>> check.consistent, float(check.gap["count"][0, 0, 0])
    (False, 2.0)
    """
    read = {m: (file_decimals(report, m) if m in API_DECIMALS else None) for m in DECIMALS}
    places = dict(read if decimals is None else {**read, **_decimals_arg(decimals)})
    k = report.shape[2]
    sums: dict[str, npt.NDArray[np.float64]] = {}
    camp: dict[str, npt.NDArray[np.float64]] = {}
    gaps: dict[str, npt.NDArray[np.float64]] = {}
    tols: dict[str, npt.NDArray[np.float64]] = {}
    for m, values in report.cells.items():
        reported = ~np.isnan(values)
        total = np.where(reported.any(axis=2), np.nansum(values, axis=2), np.nan)
        summary = getattr(report.campaign, m)
        d = places.get(m)
        unit = 0.0 if d is None else 0.5 * 10.0 ** (-d)
        with np.errstate(invalid="ignore"):
            tol = (k + 1) * unit + 1e-12 * np.maximum(np.abs(total), np.abs(summary))
        sums[m] = total
        camp[m] = summary
        gaps[m] = summary - total
        tols[m] = np.where(np.isnan(tol), np.inf, tol)
    return CampaignCheck(report, sums, camp, gaps, tols)


def _decimals_arg(decimals: object) -> dict[str, int | None]:
    """``decimals`` checked: measure names mapped to an integer (negative for tens,
    hundreds...) or None."""
    if not isinstance(decimals, Mapping):
        raise TypeError(f"decimals must be a dict of measure to int or None, got {decimals!r}")
    out: dict[str, int | None] = {}
    for name, places in decimals.items():
        if name not in DECIMALS:
            raise ValueError(f"decimals: {name!r} is not a measure; measures are {list(DECIMALS)}")
        if places is not None and (
            isinstance(places, bool) or not isinstance(places, (int, np.integer))
        ):
            raise TypeError(f"decimals[{name!r}] must be an integer or None, got {places!r}")
        out[name] = None if places is None else int(places)
    return out

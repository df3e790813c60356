"""The precision the file printed its values with, for the analyses that need it."""

from __future__ import annotations

from ..parse import Report

#: What the API writes when a Report does not say (one built by hand): engagement sums with
#: 5 decimals, revenue with 2.
API_DECIMALS: dict[str, int] = {"engagement_total": 5, "engagement_sumsq": 5, "revenue": 2}


def file_decimals(report: Report, *measures: str) -> int:
    """The fewest decimals any of ``measures`` was printed with in the file
    (:attr:`Report.decimals`): the coarsest, so that every error bound built on it holds.
    Where the file holds no value of a measure (or the Report does not say), the API's.
    """
    found = [report.decimals.get(m) for m in measures]
    return min(API_DECIMALS[m] if d is None else d for m, d in zip(measures, found, strict=True))

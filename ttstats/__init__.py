"""ttstats: sound statistics from Test&Target Performance Report XML."""

from ._errors import (
    AggregationWarning,
    ReportParseError,
    ReportRepairWarning,
    TTApiError,
    TTStatsError,
    TTStatsWarning,
)
from .parse import Report

__version__ = "0.1.0"

__all__ = [
    "AggregationWarning",
    "Report",
    "ReportParseError",
    "ReportRepairWarning",
    "TTApiError",
    "TTStatsError",
    "TTStatsWarning",
    "__version__",
]

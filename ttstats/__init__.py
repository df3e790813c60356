"""ttstats: sound statistics from Test&Target Performance Report XML."""

from ._errors import (
    AggregationWarning,
    ReportParseError,
    ReportRepairWarning,
    TTApiError,
    TTStatsError,
    TTStatsWarning,
    UnknownLabelError,
)
from .analysis import CampaignCheck, Comparison, SampleRatio, check_campaign, compare
from .parse import ParseWarning, Report, ReportInfo, read_report

__version__ = "0.1.0"

__all__ = [
    "AggregationWarning",
    "CampaignCheck",
    "Comparison",
    "ParseWarning",
    "Report",
    "ReportInfo",
    "ReportParseError",
    "ReportRepairWarning",
    "SampleRatio",
    "TTApiError",
    "TTStatsError",
    "TTStatsWarning",
    "UnknownLabelError",
    "__version__",
    "check_campaign",
    "compare",
    "read_report",
]

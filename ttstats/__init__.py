"""ttstats: sound statistics from Test&Target Performance Report XML."""

from ._errors import (
    AggregationWarning,
    ReportParseError,
    ReportRepairWarning,
    TTApiError,
    TTStatsError,
    TTStatsWarning,
)
from .analysis.campaign import CampaignCheck, check_campaign
from .parse import ParseWarning, Report, ReportInfo, read_report

__version__ = "0.1.0"

__all__ = [
    "AggregationWarning",
    "CampaignCheck",
    "ParseWarning",
    "Report",
    "ReportInfo",
    "ReportParseError",
    "ReportRepairWarning",
    "TTApiError",
    "TTStatsError",
    "TTStatsWarning",
    "__version__",
    "check_campaign",
    "read_report",
]

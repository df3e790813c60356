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
from .analysis import (
    CampaignCheck,
    Comparison,
    MeansComparison,
    SampleRatio,
    check_campaign,
    compare,
    compare_means,
)
from .parse import ParseWarning, Report, ReportInfo, read_report

__version__ = "0.1.0"

__all__ = [
    "AggregationWarning",
    "CampaignCheck",
    "Comparison",
    "MeansComparison",
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
    "compare_means",
    "read_report",
]

"""ttstats: sound statistics from Test&Target Performance Report XML."""

from ._errors import (
    AggregationWarning,
    ReportMismatchError,
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
    Decision,
    ExtremeOrders,
    MeansComparison,
    Readout,
    SampleRatio,
    Sensitivity,
    build_readout,
    check_campaign,
    compare,
    compare_means,
    decide,
    extreme_order_sensitivity,
    extreme_orders,
)
from .parse import ParseWarning, Report, ReportInfo, read_report

__version__ = "0.1.0"

__all__ = [
    "AggregationWarning",
    "CampaignCheck",
    "Comparison",
    "Decision",
    "ExtremeOrders",
    "MeansComparison",
    "ParseWarning",
    "Readout",
    "Report",
    "ReportInfo",
    "ReportMismatchError",
    "ReportParseError",
    "ReportRepairWarning",
    "SampleRatio",
    "Sensitivity",
    "TTApiError",
    "TTStatsError",
    "TTStatsWarning",
    "UnknownLabelError",
    "__version__",
    "build_readout",
    "check_campaign",
    "compare",
    "compare_means",
    "decide",
    "extreme_order_sensitivity",
    "extreme_orders",
    "read_report",
]

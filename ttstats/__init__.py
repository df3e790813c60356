"""ttstats: sound statistics from Test&Target Performance Report XML."""

from ._errors import (
    AggregationWarning,
    FetchError,
    FetchTimeoutError,
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
from .client import ReportRequest, fetch_report
from .parse import ParseWarning, Report, ReportInfo, read_report
from .remote import fetch_pair, read_remote

__version__ = "0.1.0"

__all__ = [
    "AggregationWarning",
    "CampaignCheck",
    "Comparison",
    "Decision",
    "ExtremeOrders",
    "FetchError",
    "FetchTimeoutError",
    "MeansComparison",
    "ParseWarning",
    "Readout",
    "Report",
    "ReportInfo",
    "ReportMismatchError",
    "ReportParseError",
    "ReportRepairWarning",
    "ReportRequest",
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
    "fetch_pair",
    "fetch_report",
    "read_remote",
    "read_report",
]

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
    Cumulative,
    Decision,
    ExtremeOrders,
    MeansComparison,
    Readout,
    SampleRatio,
    Segments,
    Sensitivity,
    build_readout,
    check_campaign,
    compare,
    compare_means,
    compare_segments,
    cumulative,
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
    "Cumulative",
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
    "Segments",
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
    "compare_segments",
    "cumulative",
    "decide",
    "extreme_order_sensitivity",
    "extreme_orders",
    "fetch_pair",
    "fetch_report",
    "read_remote",
    "read_report",
]

#: Subpackages loaded on first use (``ttstats.simulate.example_spec()`` after ``import ttstats``).
_LAZY = ("render", "simulate", "stats")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

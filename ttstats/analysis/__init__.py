"""Analyses built on the parsed report and the statistics core (the ``analysis`` layer).

This layer imports ``parse`` and ``stats``, never ``cli`` or a renderer.
"""

from .._errors import ReportMismatchError, UnknownLabelError
from ._compare import compare
from ._compare_means import compare_means
from ._comparison import Comparison, SampleRatio
from ._means_comparison import MeansComparison
from .campaign import CampaignCheck, check_campaign
from .cumulative import Cumulative, cumulative
from .extreme import ExtremeOrders, Sensitivity, extreme_order_sensitivity, extreme_orders
from .readout import Decision, Readout, build_readout, decide
from .segments import Segments, compare_segments

__all__ = [
    "CampaignCheck",
    "Comparison",
    "Cumulative",
    "Decision",
    "ExtremeOrders",
    "MeansComparison",
    "Readout",
    "ReportMismatchError",
    "SampleRatio",
    "Segments",
    "Sensitivity",
    "UnknownLabelError",
    "build_readout",
    "check_campaign",
    "compare",
    "compare_means",
    "compare_segments",
    "cumulative",
    "decide",
    "extreme_order_sensitivity",
    "extreme_orders",
]

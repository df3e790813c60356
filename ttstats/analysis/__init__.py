"""Analyses built on the parsed report and the statistics core (the ``analysis`` layer).

This layer imports ``parse`` and ``stats``, never ``cli`` or a renderer.
"""

from .._errors import ReportMismatchError, UnknownLabelError
from ._compare import compare
from ._compare_means import compare_means
from ._comparison import Comparison, SampleRatio
from ._means_comparison import MeansComparison
from .campaign import CampaignCheck, check_campaign
from .extreme import ExtremeOrders, Sensitivity, extreme_order_sensitivity, extreme_orders

__all__ = [
    "CampaignCheck",
    "Comparison",
    "ExtremeOrders",
    "MeansComparison",
    "ReportMismatchError",
    "SampleRatio",
    "Sensitivity",
    "UnknownLabelError",
    "check_campaign",
    "compare",
    "compare_means",
    "extreme_order_sensitivity",
    "extreme_orders",
]

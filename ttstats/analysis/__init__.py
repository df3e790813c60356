"""Analyses built on the parsed report and the statistics core (the ``analysis`` layer).

This layer imports ``parse`` and ``stats``, never ``cli`` or a renderer.
"""

from .._errors import UnknownLabelError
from ._compare import compare
from ._comparison import Comparison, SampleRatio
from .campaign import CampaignCheck, check_campaign

__all__ = [
    "CampaignCheck",
    "Comparison",
    "SampleRatio",
    "UnknownLabelError",
    "check_campaign",
    "compare",
]

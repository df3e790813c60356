"""Reading Performance Report XML into labelled arrays (the ``parse`` layer)."""

from ._read import read_report
from ._report import MEASURES, Cells, ParseWarning, Report, ReportInfo, SampleAxis

__all__ = ["MEASURES", "Cells", "ParseWarning", "Report", "ReportInfo", "SampleAxis", "read_report"]

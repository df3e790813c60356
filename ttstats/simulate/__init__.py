"""Simulated A/B/n experiments with known truth, written as Performance Report XML.

:func:`simulate` draws one experiment from an :class:`ExperimentSpec` and returns the true
per-cell values as arrays shaped like the parser's ``Report``; :func:`write_xml` streams them
as version-1 or version-2 Performance Report XML in the shapes of ``docs/report-format.md``.
:meth:`SimulatedExperiment.expected` gives what a correct parser must return for that file, and
:func:`spec_for_size` sizes a benchmark file. :func:`simulate_extremes` and
:func:`with_and_without_extremes` give the same experiment with extreme orders and with them
excluded (Adobe's rule), optionally with planted order values. Nothing here reads XML.

The model
---------
Every segment report holds its own units (visitors, visits or impressions, as ``type`` says).
For each sample, segment and recipe:

* entries ``n ~ Poisson(traffic)``. With probability ``p_omit`` a sample has no units at all
  (in every segment); a report omits every sample in which it has no entries, as the API does,
  and the truth holds zeros there;
* the conversion step (the last): ``c ~ Binomial(n, rate)``; each conversion carries one order
  value drawn from ``revenue``;
* a funnel step: each unit reaches it with probability ``rate``, independently of the other
  steps and of converting, so ``count <= entries``. Its revenue (version 2) is the sum of the
  order values of the converting units that reached it; the first step's and the last step's
  revenue is the whole revenue;
* an event step (``event_steps``): each unit has ``Poisson(rate)`` events and the count is
  their total, which may exceed the entries (like the published "Time on Site" 1117 of 476
  entries); a unit reaches the step when it has at least one event;
* an engagement step carries one value per unit reaching it, drawn from its distribution;
  ``count``, ``total`` and ``sumOfSquares`` are the number, sum and sum of squares of those
  values. With ``order_engagement=True`` the conversion step carries the order values as
  its triple (count = orders, total = revenue).

The segments are disjoint, so the aggregate report (written last, without segment attributes,
as on the API page) is the sum of the segment reports, and "Campaign" is the sum of the
recipes. Real segments may overlap; then the aggregate is not the sum.

Exactness
---------
Values are drawn per unit and quantised (order values to cents, engagement values to at most
two decimals), then summed in integers. So every number written (counts with one decimal,
revenue with two, engagement with five) is the exact sum, Campaign equals the sum of the
recipes and the aggregate the sum of the segments digit for digit, and every float in the
returned arrays equals ``float(text)`` of the number written. Each sum must stay below 2**51
in its smallest unit (1e-4 for sumOfSquares); :func:`simulate` raises ``ValueError`` otherwise.

Reproducibility
---------------
The same spec gives the same experiment and the same bytes. Samples are drawn in fixed blocks,
each from its own random stream, so a spec with more samples extends a shorter one: the first
samples are identical.

Examples
--------
>>> spec = ExperimentSpec(n_samples=3, seed=1)
>>> sim = simulate(spec)
>>> sim.count.shape  # (report, sample, recipe, step): two segments plus the aggregate
(3, 3, 2, 5)
>>> bool((sim.count[2] == sim.count[0] + sim.count[1]).all())
True
>>> generate_report_bytes(spec, version=1)[:38]
b'<?xml version="1.0" encoding="UTF-8"?>'
"""

from ._example import EXAMPLE_STEPS, example_spec, write_example
from ._extremes import SimulatedExtremes, simulate_extremes, with_and_without_extremes
from ._model import (
    MEASURES,
    ExpectedReport,
    ReportAttributes,
    SimulatedExperiment,
    UnitValues,
    simulate,
)
from ._spec import ExperimentSpec, LogNormal, Poisson, ValueDistribution
from ._write import _main as _main
from ._write import generate_report_bytes, spec_for_size, write_xml

__all__ = [
    "EXAMPLE_STEPS",
    "MEASURES",
    "ExpectedReport",
    "ExperimentSpec",
    "LogNormal",
    "Poisson",
    "ReportAttributes",
    "SimulatedExperiment",
    "SimulatedExtremes",
    "UnitValues",
    "ValueDistribution",
    "example_spec",
    "generate_report_bytes",
    "simulate",
    "simulate_extremes",
    "spec_for_size",
    "with_and_without_extremes",
    "write_example",
    "write_xml",
]

"""The example report bundled with the package (``ttstats/data/example-report.xml``).

A realistic version-2 report: four weeks of daily samples, two segments plus the aggregate,
a control and two experiences, engagement on two steps and revenue on every step. Its truth
is known: "Free shipping banner" converts 15% better than "Control" on Order Confirmation;
"Bigger buy button" only 2% better, too little to show in four weeks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._spec import ExperimentSpec, LogNormal, Poisson
from ._write import write_xml

#: the steps of the example, entry first and the conversion point last
EXAMPLE_STEPS = (
    "Entry",
    "Display mboxes",
    "Page Count",
    "Time on Site",
    "Add to Cart",
    "Order Confirmation",
)


def example_spec() -> ExperimentSpec:
    """The specification of the bundled example report (its true rates and traffic)."""
    control = [1.0, 0.92, 0.85, 0.85, 0.12, 0.040]
    rates = np.array(
        [
            control,
            [1.0, 0.92, 0.86, 0.86, 0.13, 0.046],  # +15% on Order Confirmation
            [1.0, 0.92, 0.85, 0.85, 0.12, 0.0408],  # +2%
        ]
    )
    return ExperimentSpec(
        n_samples=28,
        campaign_id=4711,
        start="2009-08-03T00:00",
        resolution="day",
        type="visit",
        segments=("New visitors", "Returning visitors"),
        recipes=("Control", "Free shipping banner", "Bigger buy button"),
        steps=EXAMPLE_STEPS,
        rates=rates,
        traffic=[[420.0], [260.0]],
        engagement={"Page Count": Poisson(3.5), "Time on Site": LogNormal(4.6, 0.9)},
        revenue=LogNormal(4.1, 0.6),
        p_omit=0.0,
        seed=20090803,
        order_engagement=True,
    )


def write_example(path: str | Path) -> int:
    """Write the example report to ``path``; returns the bytes written."""
    from ._model import simulate

    return write_xml(simulate(example_spec()), path, version=2)

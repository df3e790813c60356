"""GrowthBook's gbstats: the frequentist ``TwoSidedTTest`` per cell (its own venv: numpy < 2).

gbstats compares one variation with the baseline at a time; its engine (``gbstats.gbstats``)
wraps the same per-cell test in pandas row handling, so calling the test directly is its
fastest route. Timed, per cell: two ``ProportionStatistic`` and
``TwoSidedTTest(control, treatment).compute_result()`` with the default config: Welch's t-test
on the relative lift (delta method on the ratio), giving the lift interval and p-value.
gbstats 0.8.0 has no multiple-testing adjustment, so none is timed for it.
"""

from __future__ import annotations

import numpy as np
from _common import finish, read_cells, ready, timed
from gbstats.frequentist.tests import TwoSidedTTest
from gbstats.models.statistics import ProportionStatistic


def main() -> None:
    cells, out_path, budget = read_cells()
    x_t, n_t, x_c, n_c = (cells[k] for k in ("x_t", "n_t", "x_c", "n_c"))
    ready("gbstats", "pandas", "numpy", "scipy")

    def run() -> list[object]:
        rows = zip(x_t.tolist(), n_t.tolist(), x_c.tolist(), n_c.tolist(), strict=True)
        return [
            TwoSidedTTest(
                ProportionStatistic(sum=xc, n=int(nc)), ProportionStatistic(sum=xt, n=int(nt))
            ).compute_result()
            for xt, nt, xc, nc in rows
        ]

    results, times = timed(run, budget)
    out = {
        "p_welch_relative": np.asarray([r.p_value for r in results]),
        "lift_low": np.asarray([r.ci[0] for r in results]),
        "lift_high": np.asarray([r.ci[1] for r in results]),
        "refused": np.asarray([r.error_message is not None for r in results]),
    }
    finish(
        out_path,
        out,
        times,
    )


if __name__ == "__main__":
    main()

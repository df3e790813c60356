"""tea-tasting: ``Experiment`` of ``Proportion`` metrics on aggregated statistics (its own venv).

tea-tasting analyses aggregated data through ``Experiment.analyze(data)`` with ``data`` a
mapping of variant to :class:`tea_tasting.aggr.Aggregates` (count and means), the documented
route when the granular rows are not at hand. Each recipe is a variant, each step a
``Proportion`` metric (``method="norm"``: the pooled two-proportion z-test, with
``correction=False`` to match the plain z-test), analysed with ``all_variants=True`` against
the control; then ``adjust_fwer(..., arbitrary_dependence=True, method="bonferroni")``, which
is Holm's step-down procedure, over every (recipe, step) comparison. All of it is timed,
building the ``Aggregates`` from the cell arrays included.
"""

from __future__ import annotations

import numpy as np
import tea_tasting as tt
from _common import finish, read_cells, ready, timed
from tea_tasting.aggr import Aggregates


def main() -> None:
    cells, out_path, budget = read_cells()
    x_rec, n_rec = cells["x_rec"], cells["n_rec"]  # (recipes, steps), (recipes,)
    n_recipes, n_steps = x_rec.shape
    names = [f"s{s}" for s in range(n_steps)]
    ready("tea-tasting", "numpy", "scipy")

    def run() -> object:
        experiment = tt.Experiment(
            **{name: tt.Proportion(name, method="norm", correction=False) for name in names}
        )
        rates = (x_rec / n_rec[:, None]).tolist()
        data = {
            k: Aggregates(count_=int(n_rec[k]), mean_=dict(zip(names, rates[k], strict=True)))
            for k in range(n_recipes)
        }
        results = experiment.analyze(data, control=0, all_variants=True)
        return tt.adjust_fwer(results, arbitrary_dependence=True, method="bonferroni")

    adjusted, times = timed(run, budget)

    fields = {
        "p_pooled": "pvalue",
        "p_holm": "pvalue_adj",
        "lift_low": "rel_effect_size_ci_lower",
        "lift_high": "rel_effect_size_ci_upper",
    }
    out = {key: np.full((n_recipes - 1, n_steps), np.nan) for key in fields}
    for (_, k), result in adjusted.items():
        for s, name in enumerate(names):
            row = result[name]
            for key, field in fields.items():
                out[key][k - 1, s] = float(row[field])
    finish(
        out_path,
        {key: value.ravel() for key, value in out.items()},
        times,
    )


if __name__ == "__main__":
    main()

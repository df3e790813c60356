"""spotify-confidence: ``ZTest`` on a DataFrame of (recipe, step) counts (its own venv).

Timed: building the DataFrame from the cell arrays (one row per recipe and step: numerator
= conversions, numerator sum of squares = conversions, as for 0/1 outcomes, denominator =
entries), ``summary()`` (each arm's rate and its Wald interval) and
``multiple_difference(level=control, groupby="step", level_as_reference=True,
absolute=False)`` with ``correction_method="holm"`` (the relative difference, its interval
and the unpooled z-test of every recipe against the control, Holm over all of them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import spotify_confidence as sc
from _common import finish, read_cells, ready, timed


def main() -> None:
    cells, out_path, budget = read_cells()
    x_rec, n_rec = cells["x_rec"], cells["n_rec"]  # (recipes, steps), (recipes,)
    n_recipes, n_steps = x_rec.shape
    recipe_names = np.asarray([f"r{k}" for k in range(n_recipes)], dtype=object)
    step_names = np.asarray([f"s{s}" for s in range(n_steps)], dtype=object)
    ready("spotify-confidence", "pandas", "numpy", "scipy")

    def run() -> tuple[pd.DataFrame, pd.DataFrame]:
        k, s = np.indices(x_rec.shape).reshape(2, -1)
        frame = pd.DataFrame(
            {
                "recipe": recipe_names[k],
                "step": step_names[s],
                "x": x_rec.ravel(),
                "n": n_rec[k],
            }
        )
        test = sc.ZTest(
            frame,
            numerator_column="x",
            numerator_sum_squares_column="x",
            denominator_column="n",
            categorical_group_columns=["recipe", "step"],
            correction_method="holm",
        )
        summary = test.summary()
        diff = test.multiple_difference(
            level="r0", groupby="step", level_as_reference=True, absolute=False
        )
        return summary, diff

    (summary, diff), times = timed(run, budget)

    # Back to the flat cells (treatment recipe k >= 1, step s) -> (k - 1) * n_steps + s.
    n_cells = (n_recipes - 1) * n_steps
    out = {name: np.full(n_cells, np.nan) for name in ("wald_t_low", "wald_t_high")}
    out |= {name: np.full(n_cells, np.nan) for name in ("wald_c_low", "wald_c_high")}
    rk = summary["recipe"].str[1:].astype(int).to_numpy()
    rs = summary["step"].str[1:].astype(int).to_numpy()
    low, high = summary["ci_lower"].to_numpy(float), summary["ci_upper"].to_numpy(float)
    treat = rk > 0
    idx = (rk[treat] - 1) * n_steps + rs[treat]
    out["wald_t_low"][idx], out["wald_t_high"][idx] = low[treat], high[treat]
    ctrl_low, ctrl_high = np.full(n_steps, np.nan), np.full(n_steps, np.nan)
    ctrl_low[rs[~treat]], ctrl_high[rs[~treat]] = low[~treat], high[~treat]
    out["wald_c_low"], out["wald_c_high"] = (
        np.tile(ctrl_low, n_recipes - 1),
        np.tile(ctrl_high, n_recipes - 1),
    )
    dk = diff["level_2"].str[1:].astype(int).to_numpy()
    ds = diff["step"].str[1:].astype(int).to_numpy()
    idx = (dk - 1) * n_steps + ds
    for name, column in (
        ("p_unpooled", "p-value"),
        ("p_holm", "adjusted p-value"),
        ("lift", "difference"),
        ("lift_low", "ci_lower"),
        ("lift_high", "ci_upper"),
    ):
        out[name] = np.full(n_cells, np.nan)
        out[name][idx] = diff[column].to_numpy(float)
    finish(
        out_path,
        out,
        times,
    )


if __name__ == "__main__":
    main()

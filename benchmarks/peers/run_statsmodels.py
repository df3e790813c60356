"""statsmodels, one cell at a time: what a notebook does today (runs in the project's Python).

Timed, per cell: ``proportion_confint(method="wilson")`` on each arm and the pooled
``proportions_ztest``; then one ``multipletests(method="holm")`` over every cell. Not timed,
after the runs: ``confint_proportions_2indep(compare="ratio", method="log")`` per cell, the
log-ratio (Katz) interval of the lift, to check ttstats' ``lift_interval(method="delta")``.
"""

from __future__ import annotations

import numpy as np
from _common import finish, read_cells, ready, timed
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)


def main() -> None:
    cells, out_path, budget = read_cells()
    x_t, n_t, x_c, n_c = (cells[k] for k in ("x_t", "n_t", "x_c", "n_c"))
    ready("statsmodels", "numpy", "scipy")

    def run() -> dict[str, np.ndarray]:
        rows = zip(x_t.tolist(), n_t.tolist(), x_c.tolist(), n_c.tolist(), strict=True)
        t_low, t_high, c_low, c_high, pvals = [], [], [], [], []
        for xt, nt, xc, nc in rows:
            lo, hi = proportion_confint(xt, nt, alpha=0.05, method="wilson")
            t_low.append(lo)
            t_high.append(hi)
            lo, hi = proportion_confint(xc, nc, alpha=0.05, method="wilson")
            c_low.append(lo)
            c_high.append(hi)
            _, p = proportions_ztest([xt, xc], [nt, nc])
            pvals.append(p)
        p_holm = multipletests(pvals, alpha=0.05, method="holm")[1]
        return {
            "wilson_t_low": np.asarray(t_low),
            "wilson_t_high": np.asarray(t_high),
            "wilson_c_low": np.asarray(c_low),
            "wilson_c_high": np.asarray(c_high),
            "p_pooled": np.asarray(pvals),
            "p_holm": np.asarray(p_holm),
        }

    out, times = timed(run, budget)
    # The lift check, untimed: statsmodels' log-ratio interval of p_t / p_c, minus 1.
    lift_low, lift_high = [], []
    with np.errstate(all="ignore"):
        for xt, nt, xc, nc in zip(x_t, n_t, x_c, n_c, strict=True):
            lo, hi = confint_proportions_2indep(xt, nt, xc, nc, compare="ratio", method="log")
            lift_low.append(lo - 1.0)
            lift_high.append(hi - 1.0)
    out["lift_low"] = np.asarray(lift_low)
    out["lift_high"] = np.asarray(lift_high)
    finish(out_path, out, times)


if __name__ == "__main__":
    main()

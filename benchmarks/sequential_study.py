"""Peeking, simulated: false positives and power of daily looks, fixed-horizon vs always-valid.

Run from the project root (seeded; a few minutes on 2 cores)::

    python benchmarks/sequential_study.py              # 10,000 experiments per setting
    python benchmarks/sequential_study.py --reps 2000  # quicker

Every experiment runs 30 daily samples; after each, the running totals of both arms are
tested. Per setting (control rate, entries per arm per day, true lift):

* ``fixed, day 30``: the two-proportion z-test (pooled) once, at day 30, as planned;
* ``fixed, peeking``: the same test after every day, stopping at the first p < alpha;
* ``always-valid, planned``: the mSPRT p-value (:func:`ttstats.stats.always_valid_pvalue`)
  after every day, stopping at the first p < alpha, with the mixing variance fixed before the
  experiment from the planned base rate, tau^2 = (0.1 p_c)^2;
* ``always-valid, pipeline``: what ``ttstats check --sequential`` does when run every day on
  the report so far: the default mixing variance (from the pooled rate of the first day with
  a conversion, so a later day never changes it), and the newest p-value compared with alpha.

With a true lift of 0 (A/A) the share of experiments that stop with a "winner" is the
false-positive rate; with a real lift it is the power. ``mean stop`` is the average day the
always-valid test stopped, among those that did. The table goes to standard output and to
``benchmarks/results/sequential.md``.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

from ttstats.stats import always_valid_pvalue, proportion_test

RESULTS = Path(__file__).resolve().parent / "results"
DAYS = 30
ALPHA = 0.05
RATES = (0.01, 0.05)
TRAFFIC = (200, 1000, 5000)
LIFTS = (0.0, 0.1, 0.2)


def simulate(
    rng: np.random.Generator, reps: int, traffic: int, p_c: float, lift: float
) -> tuple[np.ndarray, ...]:
    """Running totals (reps, days) of both arms."""
    n = np.cumsum(np.full((reps, DAYS), float(traffic)), axis=1)
    x_c = np.cumsum(rng.binomial(traffic, p_c, size=(reps, DAYS)), axis=1).astype(float)
    x_t = np.cumsum(rng.binomial(traffic, p_c * (1 + lift), size=(reps, DAYS)), axis=1)
    return x_t.astype(float), n, x_c, n


def setting(rng: np.random.Generator, reps: int, traffic: int, p_c: float, lift: float) -> dict:
    x_t, n_t, x_c, n_c = simulate(rng, reps, traffic, p_c, lift)
    fixed = proportion_test(x_t, n_t, x_c, n_c, method="z").pvalue
    planned = always_valid_pvalue(
        x_t, n_t, x_c, n_c, mixing_variance=(0.1 * p_c) ** 2, axis=1
    ).pvalue
    acted = np.zeros(reps, dtype=bool)
    for k in range(1, DAYS + 1):
        today = always_valid_pvalue(x_t[:, :k], n_t[:, :k], x_c[:, :k], n_c[:, :k], axis=1)
        acted |= today.pvalue[:, -1] < ALPHA
    stops = planned < ALPHA
    stopped = stops.any(axis=1)
    first = np.argmax(stops, axis=1) + 1
    with np.errstate(invalid="ignore"):
        return {
            "fixed_day30": float(np.mean(fixed[:, -1] < ALPHA)),
            "fixed_peeking": float(np.mean((fixed < ALPHA).any(axis=1))),
            "av_planned": float(np.mean(stopped)),
            "av_pipeline": float(np.mean(acted)),
            "mean_stop": float(first[stopped].mean()) if stopped.any() else float("nan"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    lines = [
        "| control rate | entries/arm/day | true lift | fixed, day 30 | fixed, peeking | "
        "always-valid, planned | always-valid, pipeline | mean stop (day) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    se = (ALPHA * (1 - ALPHA) / args.reps) ** 0.5
    for p_c in RATES:
        for traffic in TRAFFIC:
            for lift in LIFTS:
                r = setting(rng, args.reps, traffic, p_c, lift)
                mark = "" if lift else " (A/A)"
                lines.append(
                    f"| {p_c:.0%} | {traffic:,} | {lift:+.0%}{mark} | {r['fixed_day30']:.3f} | "
                    f"{r['fixed_peeking']:.3f} | {r['av_planned']:.3f} | {r['av_pipeline']:.3f} | "
                    f"{r['mean_stop']:.1f} |"
                )
                print(lines[-1], flush=True)
    took = time.perf_counter() - t0
    text = (
        f"# Peeking, simulated: {args.reps:,} experiments per row, {DAYS} daily looks, "
        f"alpha {ALPHA}\n\n"
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `python "
        f"benchmarks/sequential_study.py --reps {args.reps} --seed {args.seed}` "
        f"({took:.0f} s; Python {platform.python_version()}, numpy {np.__version__}). "
        f"Standard error of a rate near 5% at {args.reps:,} experiments: {se:.4f}.\n\n"
        + "\n".join(lines)
        + '\n\nIn the A/A rows every "winner" is a false positive: the fixed-horizon test '
        "holds its 5% only when looked at once (day 30); stopping at its first p < 0.05 over "
        "30 daily looks multiplies that several times. The always-valid test stays at or below "
        "5% at every look, whether its mixing variance was planned or taken from the first "
        "day by a daily pipeline. With a real lift its power is below the fixed test's planned single look: "
        "the price of being allowed to look every day; it stops early when the lift is large.\n"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sequential.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

"""Speed of the statistics: ttstats against a bare numpy floor, a statsmodels loop and peers.

Run from the project root (the ``bench`` extra brings what the project's own Python needs)::

    python -m pip install ".[bench]"
    python benchmarks/bench_stats.py                      # 10, 1,000, 10,000, 1,000,000 cells
    python benchmarks/bench_stats.py --sizes 10 1000      # quicker
    python benchmarks/bench_stats.py --no-install         # use the peers' venvs as they are

Not part of the test suite. The table goes to standard output and to
``benchmarks/results/stats.md``.

The cells
---------
Every method gets the SAME summary statistics: per compared cell the treatment's and the
control's conversions and entries ``x_t, n_t, x_c, n_c``. They are laid out as one
Performance Report with one sample: a control and ``k`` treatment recipes, an ``Entry`` step
and ``s`` conversion steps, so that cells = ``k x s`` (10 = 2 x 5, 1,000 = 25 x 40, 10,000 =
100 x 100, 1,000,000 = 1,000 x 1,000: the largest divisor of the size up to its square root).
Seeded: entries per recipe ~ Poisson(5,000); each step's control rate ~ Beta(10, 190) (mean
5%); each treatment cell's rate = control rate x (1 + lift), lift ~ Normal(2%, 5%);
conversions ~ Binomial. Edge cells, which every method here accepts: one step whose control
has 0 conversions (the lift is undefined there), and ``max(1, cells // 2000)`` treatment cells
each with x = 0 and with x = n (never both arms 0 or both full, so every pooled z is defined
and every method's Holm family is all the cells).

The methods
-----------
* ``ttstats``: ``proportion_interval`` (wilson) on each arm, ``proportion_test`` (z, pooled),
  ``lift_interval`` (delta) and ``adjust_pvalues`` (holm, all cells one family): one call
  each over all cells.
* ``ttstats compare``: ``ttstats.analysis.compare(report, "control")`` on that Report, built
  directly from the arrays (``ttstats.parse.Report``; no XML). It computes more than the four
  calls: Newcombe difference intervals, the minimum detectable lift, notes, the sample-ratio
  check.
* ``numpy floor``: the same formulas written bare in numpy/scipy, no validation: the limit
  for this work in Python. Two variants: the same work as ``ttstats``, and Wilson on each
  arm + pooled z (``scipy.stats.norm.sf``) only, which is timed against the matching subset
  of ttstats (``ttstats Wilson + z``).
* ``statsmodels loop``: per cell ``proportion_confint(method="wilson")`` twice and
  ``proportions_ztest``, then ``multipletests(method="holm")`` once (the project's Python).
* peers, each in its own venv under ``benchmarks/.venvs/`` (created and filled from PyPI
  unless ``--no-install``), timed by a worker in ``benchmarks/peers/`` run with that venv's
  Python; the cells reach it as an ``.npz`` in a temporary folder and its numbers come back
  the same way: spotify-confidence (``ZTest``: ``summary`` + ``multiple_difference``, Holm),
  tea-tasting (``Experiment`` of ``Proportion`` metrics on ``Aggregates`` + ``adjust_fwer``,
  Holm) and GrowthBook's gbstats (``TwoSidedTTest`` per cell; it pins numpy < 2).

Timing
------
Wall-clock and process CPU time, each the best of a few runs with the garbage collector off
during each run; ratios use the CPU time (the machine may be shared). Vectorised
methods run in this process until ``--budget`` seconds are spent (at least 3 runs); the
loops and peers repeat while another run fits in ``--repeat-budget`` seconds (at most 5
runs, so fewer for slow ones). A run that outlives ``--limit`` (60 s, wall clock) is stopped and shown
as "> 60 s"; that method then skips the larger sizes. Peers' times include turning the cell
arrays into their input (DataFrame, ``Aggregates``, statistic objects), not their imports.
The machine is shared: the load average is recorded before and after, and the numbers are
ratios within one run.

Agreement
---------
Where a method computes what ttstats computes on the same cells (Wilson bounds, the pooled
z p-value, Holm-adjusted p-values, the log-ratio interval of the lift, Wald bounds), the
largest absolute difference from ttstats over the cells where both are defined, and how many
cells only one of them defines.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import math
import os
import platform
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special, stats

HERE = Path(__file__).resolve().parent
PEERS_DIR = HERE / "peers"
VENVS = HERE / ".venvs"
RESULTS = HERE / "results"
ALPHA = 0.05
Z = float(special.ndtri(1.0 - ALPHA / 2.0))
SIZES = (10, 1_000, 10_000, 1_000_000)
TIMES = "\N{MULTIPLICATION SIGN}"
#: Seconds a worker may take to start (imports, reading the cells) or to finish after its runs.
SETUP_LIMIT = 600.0
Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Peer:
    """A package timed by a worker script run with its own venv's Python."""

    key: str
    label: str
    venv: str
    requirement: str
    worker: str
    computes: str


PEERS = (
    Peer(
        "spotify",
        "spotify-confidence",
        "spotify",
        "spotify-confidence==4.1.0",
        "run_spotify.py",
        "`ZTest`: each arm's Wald interval (`summary`), relative difference with its interval "
        "and unpooled z p-value (`multiple_difference`), Holm over all cells",
    ),
    Peer(
        "tea",
        "tea-tasting",
        "tea",
        "tea-tasting==1.14.0",
        "run_tea_tasting.py",
        "`Experiment` of `Proportion(method='norm', correction=False)` metrics on `Aggregates`: "
        "pooled z p-value, difference and relative-difference intervals; `adjust_fwer` (Holm)",
    ),
    Peer(
        "gbstats",
        "gbstats",
        "gbstats",
        "gbstats==0.8.0",
        "run_gbstats.py",
        "`TwoSidedTTest` per cell: Welch t-test and interval of the relative lift (delta "
        "method on the ratio); no multiple-testing adjustment exists in gbstats 0.8.0",
    ),
)


# --------------------------------------------------------------------------------------------
# The cells
# --------------------------------------------------------------------------------------------
def layout(n_cells: int) -> tuple[int, int]:
    """``(treatments, steps)`` with ``treatments x steps = n_cells``, as square as divides."""
    k = max(d for d in range(1, math.isqrt(n_cells) + 1) if n_cells % d == 0)
    return k, n_cells // k


def make_cells(n_cells: int, seed: int) -> Arrays:
    """The seeded summary statistics: per-recipe arrays and the flat compared cells."""
    rng = np.random.default_rng([seed, n_cells])
    k, s = layout(n_cells)
    n_rec = rng.poisson(5_000, k + 1).astype(np.float64)  # recipe 0 is the control
    p_c = rng.beta(10.0, 190.0, s)
    lift = rng.normal(0.02, 0.05, (k, s))
    p = np.vstack([p_c, np.clip(p_c * (1.0 + lift), 0.0, 1.0)])
    x_rec = rng.binomial(n_rec.astype(np.int64)[:, None], p).astype(np.float64)
    # Edge cells: a step whose control has no conversion (its treatments keep at least one),
    # and treatment cells with x = 0 and x = n elsewhere.
    zero_step = int(rng.integers(s))
    x_rec[0, zero_step] = 0.0
    x_rec[1:, zero_step] = np.maximum(x_rec[1:, zero_step], 1.0)
    n_edge = max(1, n_cells // 2000)
    eligible = np.flatnonzero(np.arange(k * s) % s != zero_step)
    picked = rng.choice(eligible, size=min(2 * n_edge, eligible.size), replace=False)
    for i, cell in enumerate(picked):
        r, c = divmod(int(cell), s)
        x_rec[1 + r, c] = 0.0 if i < n_edge else n_rec[1 + r]
    return {
        "x_rec": x_rec,
        "n_rec": n_rec,
        "x_t": x_rec[1:].ravel().copy(),
        "n_t": np.repeat(n_rec[1:], s),
        "x_c": np.tile(x_rec[0], k),
        "n_c": np.full(k * s, n_rec[0]),
    }


def make_report(cells: Arrays) -> Any:
    """The cells as a one-report, one-sample ``ttstats.parse.Report`` (steps: Entry + s)."""
    from ttstats.parse import Cells, Report, ReportInfo, SampleAxis

    x_rec, n_rec = cells["x_rec"], cells["n_rec"]
    k1, s = x_rec.shape
    count = np.concatenate([n_rec[:, None], x_rec], axis=1)[None, None]  # (1, 1, k+1, s+1)
    nan = np.full(count.shape, np.nan)
    campaign = count.sum(axis=2)
    start = np.datetime64("2024-03-01T00:00", "m")
    info = ReportInfo(1, "visit", None, None, start, start + np.timedelta64(1, "D"), "day")
    return Report(
        reports=(info,),
        samples=SampleAxis(np.asarray([start]), ("day",)),
        recipes=("control", *(f"t{r}" for r in range(1, k1))),
        steps=("Entry", *(f"s{c}" for c in range(s))),
        cells=Cells(count, nan, nan, nan, nan),
        campaign=Cells(campaign, *(np.full(campaign.shape, np.nan) for _ in range(4))),
        present=np.ones((1, 1), dtype=bool),
        in_grid=np.ones((1, 1), dtype=bool),
        version=2,
    )


# --------------------------------------------------------------------------------------------
# In-process methods
# --------------------------------------------------------------------------------------------
def ttstats_stats(c: Arrays) -> Arrays:
    """The four ttstats calls over every cell."""
    from ttstats.stats import adjust_pvalues, lift_interval, proportion_interval, proportion_test

    wt = proportion_interval(c["x_t"], c["n_t"], method="wilson", alpha=ALPHA)
    wc = proportion_interval(c["x_c"], c["n_c"], method="wilson", alpha=ALPHA)
    test = proportion_test(c["x_t"], c["n_t"], c["x_c"], c["n_c"], method="z")
    lift = lift_interval(c["x_t"], c["n_t"], c["x_c"], c["n_c"], method="delta", alpha=ALPHA)
    p_holm = adjust_pvalues(test.pvalue, method="holm")
    return {
        "wilson_t_low": wt.low,
        "wilson_t_high": wt.high,
        "wilson_c_low": wc.low,
        "wilson_c_high": wc.high,
        "p_pooled": test.pvalue,
        "lift_low": lift.low,
        "lift_high": lift.high,
        "p_holm": p_holm,
    }


def ttstats_wilson_z(c: Arrays) -> Arrays:
    """The subset the floor's Wilson + z variant matches: two intervals and the z-test."""
    from ttstats.stats import proportion_interval, proportion_test

    wt = proportion_interval(c["x_t"], c["n_t"], method="wilson", alpha=ALPHA)
    wc = proportion_interval(c["x_c"], c["n_c"], method="wilson", alpha=ALPHA)
    test = proportion_test(c["x_t"], c["n_t"], c["x_c"], c["n_c"], method="z")
    return {
        "wilson_t_low": wt.low,
        "wilson_t_high": wt.high,
        "wilson_c_low": wc.low,
        "wilson_c_high": wc.high,
        "p_pooled": test.pvalue,
    }


def _floor_wilson(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = x / n
    z2 = Z * Z
    denom = n + z2
    center = (x + z2 / 2.0) / denom
    half = Z * np.sqrt(n) / denom * np.sqrt(p * (1.0 - p) + z2 / (4.0 * n))
    return center - half, center + half


def floor_wilson_z(c: Arrays) -> Arrays:
    """Bare numpy: Wilson on each arm and the pooled z-test (``scipy.stats.norm.sf``)."""
    x_t, n_t, x_c, n_c = c["x_t"], c["n_t"], c["x_c"], c["n_c"]
    t_low, t_high = _floor_wilson(x_t, n_t)
    c_low, c_high = _floor_wilson(x_c, n_c)
    pooled = (x_t + x_c) / (n_t + n_c)
    z = (x_t / n_t - x_c / n_c) / np.sqrt(pooled * (1.0 - pooled) * (1.0 / n_t + 1.0 / n_c))
    return {
        "wilson_t_low": t_low,
        "wilson_t_high": t_high,
        "wilson_c_low": c_low,
        "wilson_c_high": c_high,
        "p_pooled": 2.0 * stats.norm.sf(np.abs(z)),
    }


def floor_all(c: Arrays) -> Arrays:
    """Bare numpy, the same work as the four ttstats calls: + delta lift interval + Holm."""
    out = floor_wilson_z(c)
    x_t, n_t, x_c, n_c = c["x_t"], c["n_t"], c["x_c"], c["n_c"]
    with np.errstate(divide="ignore", invalid="ignore"):
        p_t, p_c = x_t / n_t, x_c / n_c
        se = np.sqrt((1.0 - p_t) / x_t + (1.0 - p_c) / x_c)
        log_r = np.log(p_t / p_c)
        out["lift_low"] = np.expm1(log_r - Z * se)
        out["lift_high"] = np.expm1(log_r + Z * se)
    p = out["p_pooled"]
    m = p.size
    order = np.argsort(p)
    adj = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    holm = np.empty(m)
    holm[order] = adj
    out["p_holm"] = holm
    return out


def compare_method() -> Callable[[Any], Arrays] | None:
    """``ttstats.analysis.compare`` wrapped to give flat treatment cells, or None."""
    try:
        from ttstats.analysis import compare
    except ImportError:
        try:
            from ttstats import compare  # type: ignore[attr-defined,no-redef]
        except ImportError:
            return None

    def run(report: Any) -> Arrays:
        res = compare(report, "control")
        s = len(res.steps)
        k = len(res.recipes) - 1

        def treat(a: np.ndarray) -> np.ndarray:
            return np.asarray(a, dtype=np.float64)[0, 1:, :].ravel()

        def ctrl(a: np.ndarray) -> np.ndarray:
            return np.tile(np.asarray(a, dtype=np.float64)[0, 0, :], k)

        assert res.p_value.shape == (1, k + 1, s)
        return {
            "wilson_t_low": treat(res.rate_low),
            "wilson_t_high": treat(res.rate_high),
            "wilson_c_low": ctrl(res.rate_low),
            "wilson_c_high": ctrl(res.rate_high),
            "p_pooled": treat(res.p_value),
            "lift_low": treat(res.lift_low),
            "lift_high": treat(res.lift_high),
            "p_holm": treat(res.p_adjusted),
        }

    return run


@contextlib.contextmanager
def gc_off() -> Iterator[None]:
    """The garbage collector off for one timed run (as ``timeit``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def best_time(fn: Callable[[], Arrays], budget: float) -> Outcome:
    """Best wall-clock and CPU time of ``fn``: at least 3 runs, about ``budget`` seconds."""
    times: list[float] = []
    cpu: list[float] = []
    out: Arrays = {}
    gc.collect()
    while len(times) < 3 or (sum(times) < budget and len(times) < 1000):
        with gc_off():
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return Outcome(seconds=min(times), cpu=min(cpu), runs=len(times), arrays=out)


# --------------------------------------------------------------------------------------------
# Workers: peers in their venvs, the statsmodels loop in ours
# --------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What one method gave at one size."""

    seconds: float | None = None  # best wall-clock time
    cpu: float | None = None  # best process CPU time
    runs: int = 0
    arrays: Arrays = field(default_factory=dict)
    status: str = "ok"  # ok | timeout | skipped | error | unavailable
    message: str = ""
    versions: dict[str, str] = field(default_factory=dict)


def venv_python(name: str) -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENVS / name / sub


def ensure_venv(peer: Peer, install: bool) -> tuple[Path | None, str]:
    """The venv's Python with the peer installed, or None and why not."""
    py = venv_python(peer.venv)
    marker = VENVS / peer.venv / "bench-requirement.txt"
    if py.exists() and marker.exists() and marker.read_text().strip() == peer.requirement:
        return py, ""
    if not install:
        return None, f"venv benchmarks/.venvs/{peer.venv} not set up (run without --no-install)"
    print(f"setting up benchmarks/.venvs/{peer.venv}: {peer.requirement}", file=sys.stderr)
    steps = []
    if not py.exists():
        steps.append([sys.executable, "-m", "venv", str(VENVS / peer.venv)])
    steps.append([str(py), "-m", "pip", "install", "--quiet", peer.requirement])
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return None, f"could not be installed: `{' '.join(cmd[-2:])}` said " + " / ".join(
                line.strip() for line in tail
            )
    marker.write_text(peer.requirement + "\n")
    return py, ""


def run_worker(python: Path, script: str, cells_path: Path, limit: float, budget: float) -> Outcome:
    """Run a worker; kill it when a run outlives ``limit`` seconds."""
    out_path = cells_path.with_name(f"out-{Path(script).stem}.npz")
    err_path = cells_path.with_name(f"err-{Path(script).stem}.txt")
    with err_path.open("w") as err:
        proc = subprocess.Popen(
            [str(python), str(PEERS_DIR / script), str(cells_path), str(out_path), str(budget)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=PEERS_DIR,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        times: list[float] = []
        versions: dict[str, str] = {}
        deadline, running = time.monotonic() + SETUP_LIMIT, False
        try:
            while True:
                try:
                    line = lines.get(timeout=max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    proc.kill()
                    proc.wait()
                    if running:
                        return Outcome(status="timeout", runs=len(times), versions=versions)
                    why = f"no answer within {SETUP_LIMIT:g} s"
                    return Outcome(status="error", message=why, versions=versions)
                if line is None:
                    proc.wait()
                    tail = err_path.read_text().strip().splitlines()[-1:]
                    why = " ".join(tail) or "exited early"
                    return Outcome(status="error", message=why, versions=versions)
                if line == "START":
                    deadline, running = time.monotonic() + limit, True
                elif line.startswith("DONE "):
                    times.append(float(line.split()[1]))
                    deadline, running = time.monotonic() + SETUP_LIMIT, False
                elif line.startswith("RESULT "):
                    info = json.loads(line[len("RESULT ") :])
                    proc.wait()
                    with np.load(out_path) as data:
                        arrays = {name: data[name] for name in data.files}
                    return Outcome(
                        seconds=min(info["times"]),
                        cpu=min(info["cpu"]),
                        runs=len(info["times"]),
                        arrays=arrays,
                        versions=versions,
                    )
                elif line.startswith("READY"):
                    versions = json.loads(line[len("READY") :] or "{}")
                    deadline = time.monotonic() + SETUP_LIMIT
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# --------------------------------------------------------------------------------------------
# Agreement
# --------------------------------------------------------------------------------------------
#: (label, method's array names, ttstats' array names)
CHECKS: dict[str, list[tuple[str, tuple[str, ...], tuple[str, ...]]]] = {
    "wilson": [
        (
            "Wilson",
            ("wilson_t_low", "wilson_t_high", "wilson_c_low", "wilson_c_high"),
            ("wilson_t_low", "wilson_t_high", "wilson_c_low", "wilson_c_high"),
        )
    ],
    "z": [("z p", ("p_pooled",), ("p_pooled",))],
    "holm": [("Holm p", ("p_holm",), ("p_holm",))],
    "lift": [("lift (log-ratio)", ("lift_low", "lift_high"), ("lift_low", "lift_high"))],
    "wald": [
        (
            "Wald",
            ("wald_t_low", "wald_t_high", "wald_c_low", "wald_c_high"),
            ("wald_t_low", "wald_t_high", "wald_c_low", "wald_c_high"),
        )
    ],
    "holm_own": [("Holm p of its own p", ("p_holm",), ("holm_of_own",))],
}
#: Which checks apply to which method.
CHECKS_OF: dict[str, tuple[str, ...]] = {
    "ttstats": (),
    "compare": ("wilson", "z", "holm", "lift"),
    "floor_all": ("wilson", "z", "holm", "lift"),
    "ttstats_wz": (),
    "floor_wz": ("wilson", "z"),
    "statsmodels": ("wilson", "z", "holm", "lift"),
    "spotify": ("wald", "holm_own"),
    "tea": ("z", "holm"),
    "gbstats": (),
}


def max_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> tuple[float, int, int, int]:
    """Largest |a - b| where both are finite; cells compared, finite only in a, only in b."""
    fa = np.concatenate([np.ravel(x) for x in a]).astype(np.float64)
    fb = np.concatenate([np.ravel(x) for x in b]).astype(np.float64)
    ok_a, ok_b = np.isfinite(fa), np.isfinite(fb)
    both = ok_a & ok_b
    worst = float(np.max(np.abs(fa[both] - fb[both]))) if both.any() else math.nan
    return worst, int(both.sum()), int((ok_a & ~ok_b).sum()), int((ok_b & ~ok_a).sum())


def agreement(method: str, out: Arrays, ref: Arrays) -> str:
    """``"Wilson 3e-17 · z p 0"`` and the cells that only one side defines."""
    parts = []
    for check in CHECKS_OF[method]:
        for label, mine, theirs in CHECKS[check]:
            if not all(name in out for name in mine):
                continue
            worst, _, only_m, only_t = max_abs_diff(
                [out[n] for n in mine], [ref[n] for n in theirs]
            )
            text = f"{label} {fmt_diff(worst)}"
            extra = []
            if only_m:
                extra.append(f"{only_m} {values(only_m)} defined here only")
            if only_t:
                extra.append(f"{only_t} {values(only_t)} in ttstats only")
            parts.append(text + (f" ({', '.join(extra)})" if extra else ""))
    return " · ".join(parts) if parts else "—"


def values(n: int) -> str:
    return "value" if n == 1 else "values"


def fmt_diff(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    return "0" if x == 0 else f"{x:.0e}"


def reference_extras(c: Arrays, ref: Arrays, outcomes: dict[str, Outcome]) -> None:
    """ttstats' numbers for the peers' own methods (untimed): Wald bounds, Holm of their p."""
    from ttstats.stats import adjust_pvalues, proportion_interval

    wt = proportion_interval(c["x_t"], c["n_t"], method="wald", alpha=ALPHA)
    wc = proportion_interval(c["x_c"], c["n_c"], method="wald", alpha=ALPHA)
    ref |= {
        "wald_t_low": wt.low,
        "wald_t_high": wt.high,
        "wald_c_low": wc.low,
        "wald_c_high": wc.high,
    }
    spot = outcomes.get("spotify")
    if spot is not None and "p_unpooled" in spot.arrays:
        ref["holm_of_own"] = adjust_pvalues(spot.arrays["p_unpooled"], method="holm")


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
LABELS = {
    "ttstats": "**ttstats** (4 calls)",
    "compare": "ttstats `compare` (Report)",
    "floor_all": "numpy floor, same work",
    "ttstats_wz": "ttstats Wilson + z (3 calls) †",
    "floor_wz": "numpy floor, Wilson + z †",
    "statsmodels": "statsmodels loop",
}
ORDER = (
    "ttstats",
    "compare",
    "floor_all",
    "ttstats_wz",
    "floor_wz",
    "statsmodels",
    *(p.key for p in PEERS),
)


def fmt_time(sec: float) -> str:
    if sec < 1e-3:
        return f"{sec * 1e6:.0f} µs"
    if sec < 1.0:
        return f"{sec * 1e3:.3g} ms"
    return f"{sec:.3g} s"


def fmt_ratio(r: float) -> str:
    if r >= 100:
        return f"{r:,.0f}{TIMES}"
    if r >= 10:
        return f"{r:.0f}{TIMES}"
    return f"{r:.2g}{TIMES}"


def row(size: int, key: str, o: Outcome, results: dict[str, Outcome], limit: float) -> str:
    label = LABELS.get(key) or next(p.label for p in PEERS if p.key == key)
    ref_key = "ttstats_wz" if key in ("ttstats_wz", "floor_wz") else "ttstats"
    ref = results[ref_key].cpu
    cpu_s = ratio = agree = ""
    if o.status == "ok" and o.seconds is not None and o.cpu is not None:
        time_s = f"{fmt_time(o.seconds)} ({o.runs})"
        cpu_s = fmt_time(o.cpu)
        ratio = fmt_ratio(o.cpu / ref) if ref else "n/a"
        agree = agreement(key, o.arrays, results["ttstats"].arrays)
    elif o.status == "timeout":
        time_s = f"> {limit:g} s"
        ratio = f"> {fmt_ratio(limit / ref)}" if ref else ""
    elif o.status == "skipped":
        time_s = f"not run (> {limit:g} s at a smaller size)"
    else:
        time_s = f"{o.status}: {o.message}"
    return f"| {size:,} | {label} | {time_s} | {cpu_s} | {ratio} | {agree} |"


def machine() -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 2**20:.0f} GiB"
                break
    out = [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores{mem}",
        f"- OS: {platform.platform()}; Python {platform.python_version()}",
    ]
    blas = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")}
    if blas:
        out.append(f"- environment: {blas}")
    return out


def uptime() -> str:
    exe = shutil.which("uptime")
    if exe:
        done = subprocess.run([exe], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return done.stdout.strip()
    return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--limit", type=float, default=60.0, help="seconds per run at most")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per vectorised method")
    parser.add_argument("--repeat-budget", type=float, default=20.0, help="seconds per worker")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--no-install", action="store_true", help="never create or fill a venv")
    parser.add_argument("--skip", nargs="*", default=[], help=f"methods to leave out: {ORDER}")
    parser.add_argument("--output", type=Path, default=RESULTS / "stats.md")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes))
    limit = args.limit

    load_before = uptime()
    print(f"uptime before: {load_before}", file=sys.stderr)
    if os.getloadavg()[0] > 0.5:
        print(
            "warning: the machine is busy (1-min load > 0.5); ratios within this run still "
            "compare like with like, absolute times less so",
            file=sys.stderr,
        )

    peers: dict[str, tuple[Path | None, str]] = {}
    for peer in PEERS:
        if peer.key not in args.skip:
            peers[peer.key] = ensure_venv(peer, not args.no_install)
            if peers[peer.key][0] is None:
                print(f"{peer.label}: {peers[peer.key][1]}", file=sys.stderr)

    compare_fn = compare_method()
    timed_out: set[str] = set()
    versions: dict[str, dict[str, str]] = {}
    lines = [
        "| cells | method | wall, best (runs) | CPU, best | ÷ ttstats (CPU) "
        "| agreement with ttstats, max abs diff |",
        "|---:|---|---:|---:|---:|---|",
    ]
    at: dict[int, dict[str, Outcome]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-stats-") as tmp:
        for size in sizes:
            cells = make_cells(size, args.seed)
            k, s = layout(size)
            print(f"{size:,} cells ({k} treatments x {s} steps)", file=sys.stderr, flush=True)
            cells_path = Path(tmp) / f"cells-{size}.npz"
            np.savez(cells_path, **cells)
            results: dict[str, Outcome] = {}

            def timed_here(key: str, fn: Callable[[], Arrays], res: dict[str, Outcome]) -> None:
                if key in args.skip:
                    return
                o = best_time(fn, args.budget)
                res[key] = o
                assert o.seconds is not None and o.cpu is not None
                shown = f"{fmt_time(o.seconds)}, CPU {fmt_time(o.cpu)} ({o.runs} runs)"
                print(f"  {key}: {shown}", file=sys.stderr, flush=True)

            timed_here("ttstats", lambda c=cells: ttstats_stats(c), results)
            if compare_fn is not None and "compare" not in args.skip:
                report = make_report(cells)
                timed_here("compare", lambda r=report: compare_fn(r), results)
            elif "compare" not in args.skip:
                results["compare"] = Outcome(
                    status="unavailable", message="`ttstats.analysis.compare` not importable"
                )
            timed_here("floor_all", lambda c=cells: floor_all(c), results)
            timed_here("ttstats_wz", lambda c=cells: ttstats_wilson_z(c), results)
            timed_here("floor_wz", lambda c=cells: floor_wilson_z(c), results)

            workers: list[tuple[str, str, Path | None, str]] = [
                ("statsmodels", "run_statsmodels.py", Path(sys.executable), "")
            ]
            workers += [(p.key, p.worker, *peers[p.key]) for p in PEERS if p.key in peers]
            for key, script, python, why in workers:
                if key in args.skip:
                    continue
                if python is None:
                    results[key] = Outcome(status="unavailable", message=why)
                    continue
                if key in timed_out:
                    results[key] = Outcome(status="skipped")
                    continue
                o = run_worker(python, script, cells_path, limit, args.repeat_budget)
                if o.status == "timeout" or (o.seconds is not None and o.seconds > limit):
                    o = Outcome(status="timeout", runs=o.runs, versions=o.versions)
                    timed_out.add(key)
                results[key] = o
                if o.versions:
                    versions.setdefault(key, o.versions)
                shown = o.status if o.seconds is None else fmt_time(o.seconds)
                if o.cpu is not None:
                    shown += f", CPU {fmt_time(o.cpu)} ({o.runs} runs)"
                print(f"  {key}: {shown} {o.message}", file=sys.stderr, flush=True)
            if "ttstats" in results:
                reference_extras(cells, results["ttstats"].arrays, results)
                for key in ORDER:
                    if key in results:
                        lines.append(row(size, key, results[key], results, limit))
            at[size] = results
    load_after = uptime()
    print(f"uptime after: {load_after}", file=sys.stderr)

    text = render(args, sizes, lines, at, versions, load_before, load_after, peers, limit)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"written to {args.output}", file=sys.stderr)


def targets(at: dict[int, dict[str, Outcome]], limit: float) -> list[str]:
    """The stated targets at 10,000 cells, checked, not fudged."""
    res = at.get(10_000)
    if not res or res.get("ttstats") is None or res["ttstats"].cpu is None:
        return ["- (10,000 cells were not run: targets not checked)"]
    tt = res["ttstats"].cpu
    tt_wall = res["ttstats"].seconds or math.nan
    out = []
    done = {
        p.label: (res[p.key].cpu or math.nan, res[p.key].seconds or math.nan)
        for p in PEERS
        if p.key in res and res[p.key].status == "ok" and res[p.key].cpu is not None
    }
    slow = [p.label for p in PEERS if p.key in res and res[p.key].status == "timeout"]
    if done:
        name, (sec, wall) = min(done.items(), key=lambda kv: kv[1][0])
        ratio = sec / tt
        verdict = "met" if ratio >= 100 else "NOT met"
        out.append(
            f"- ttstats at least 100{TIMES} faster than the fastest peer: **{verdict}**: the "
            f"fastest peer, {name}, takes {fmt_time(sec)} of CPU, {ratio:,.0f}{TIMES} ttstats' "
            f"{fmt_time(tt)} (wall clock: {fmt_time(wall)} against {fmt_time(tt_wall)}, "
            f"{wall / tt_wall:,.0f}{TIMES})"
            + (f"; {', '.join(slow)}: > {limit:g} s" if slow else "")
            + "."
        )
    else:
        out.append("- fastest peer: no peer finished at 10,000 cells; target not checked.")
    for key, floor_key, what in (
        ("ttstats", "floor_all", "the floor doing the same work (Wilson, z, lift, Holm)"),
        ("ttstats_wz", "floor_wz", "the floor as specified (Wilson on each arm + pooled z)"),
    ):
        a, b = res.get(key), res.get(floor_key)
        if a is None or b is None or None in (a.cpu, b.cpu, a.seconds, b.seconds):
            continue
        assert a.cpu and b.cpu and a.seconds and b.seconds
        ratio = a.cpu / b.cpu
        verdict = "met" if ratio <= 3 else "NOT met"
        out.append(
            f"- within 3{TIMES} of {what}: **{verdict}**: {fmt_time(a.cpu)} of CPU against "
            f"{fmt_time(b.cpu)}, {ratio:.2f}{TIMES} (wall clock: {a.seconds / b.seconds:.2f}"
            f"{TIMES})."
        )
    return out


def render(
    args: argparse.Namespace,
    sizes: list[int],
    lines: list[str],
    at: dict[int, dict[str, Outcome]],
    versions: dict[str, dict[str, str]],
    load_before: str,
    load_after: str,
    peers: dict[str, tuple[Path | None, str]],
    limit: float,
) -> str:
    import ttstats

    ours = ", ".join(
        f"{name} {dist_version(name)}" for name in ("numpy", "scipy", "pandas", "statsmodels")
    )
    peer_lines = []
    for peer in PEERS:
        if peer.key not in peers:
            continue
        python, why = peers[peer.key]
        if python is None:
            peer_lines.append(f"- {peer.label}: **not run**: {why}")
            continue
        v = versions.get(peer.key) or {}
        shown = ", ".join(f"{k} {val}" for k, val in v.items()) or "versions not reported"
        peer_lines.append(f"- {peer.label} (`benchmarks/.venvs/{peer.venv}`): {shown}")
    computes = [f"- {p.label}: {p.computes}." for p in PEERS]
    sizes_text = ", ".join(f"{n:,} ({' x '.join(map(str, layout(n)))})" for n in sizes)
    return "\n".join(
        [
            "# Statistics speed: ttstats against a numpy floor, statsmodels and peers",
            "",
            f"Run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} with "
            f"`python benchmarks/bench_stats.py{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''}`"
            " (see its docstring for the method).",
            "",
            "## Machine",
            "",
            *machine(),
            f"- before: `{load_before}`",
            f"- after: `{load_after}`",
            "",
            "## Versions",
            "",
            f"- this environment: ttstats {ttstats.__version__}, {ours}",
            *peer_lines,
            "",
            "## Cells",
            "",
            f"Seed {args.seed}. Sizes (treatments x steps): {sizes_text}. Per recipe entries "
            "~ Poisson(5,000); control rate per step ~ Beta(10, 190); treatment rate = control "
            "x (1 + Normal(2%, 5%)); one step with 0 control conversions; "
            "max(1, cells // 2000) treatment cells each with x = 0 and x = n. Every method got "
            "every cell (none had to drop an edge cell).",
            "",
            "## Results",
            "",
            *lines,
            "",
            "Best wall-clock time over the runs (how many in brackets) and best process CPU "
            "time (`time.process_time`, every thread of the process), GC off during each run. "
            "The machine is shared, so the ratios use the CPU time, which other jobs' use of the "
            "cores inflates less than the wall clock. `÷ ttstats` is the CPU time divided by "
            "the four ttstats calls' (rows marked † by that of ttstats' "
            f"Wilson + z subset): 0.5{TIMES} is twice as fast as ttstats, 200{TIMES} is 200 "
            "times slower. "
            f"`> {limit:g} s`: the run was stopped at {limit:g} s. Agreement: the largest "
            "absolute difference from ttstats on the same cells where both define a value; "
            "`—` where the method computes nothing that ttstats computes the same way.",
            "",
            "## Targets (10,000 cells)",
            "",
            *targets(at, limit),
            "",
            "## What each row computes",
            "",
            "- ttstats: `proportion_interval(method='wilson')` on each arm, "
            "`proportion_test(method='z')` (pooled), `lift_interval(method='delta')`, "
            "`adjust_pvalues(method='holm')` over all cells; one vectorised call each.",
            "- ttstats `compare`: `ttstats.analysis.compare(report, 'control')` on a "
            "`ttstats.parse.Report` built from the arrays (one report, one sample, recipes = "
            "control + treatments, steps = Entry + conversion steps); it also computes "
            "Newcombe difference intervals, the minimum detectable lift, per-cell notes and "
            "the sample-ratio check.",
            "- numpy floor: the same formulas in bare numpy/scipy, no validation, no undefined-"
            "cell handling; 'same work' adds the log-ratio lift interval and Holm "
            "(argsort + running maximum) to Wilson + pooled z (`scipy.stats.norm.sf`).",
            f"- statsmodels loop: per cell `proportion_confint(method='wilson')` {TIMES} 2 and "
            "`proportions_ztest` (pooled), then `multipletests(method='holm')`; the lift "
            "agreement uses `confint_proportions_2indep(compare='ratio', method='log')` per "
            "cell, run after the timing.",
            *computes,
            "",
            "Methods that differ are not compared: spotify-confidence's z-test is unpooled and "
            "its relative interval is Wald's divided by the control rate; tea-tasting's "
            "relative interval uses the pooled standard error; gbstats runs Welch's t-test on "
            "the relative lift. For those, the agreement column checks only what coincides "
            "(spotify's Wald bounds against ttstats' `wald`, where ttstats defines them, i.e. "
            "not at x = 0 or x = n; its Holm step against ttstats' `adjust_pvalues` of "
            "spotify's own p-values).",
            "",
        ]
    )


if __name__ == "__main__":
    main()

"""What every worker of ``benchmarks/bench_stats.py`` shares: reading the cells, timing, replying.

A worker runs in its own interpreter (a peer's virtual environment, or the project's own for
the statsmodels loop), so this module needs nothing but the standard library and numpy. The
protocol with the parent, one line each on standard output:

* ``READY <json>`` once the imports are done and the cells are read, with the versions of
  the packages that matter;
* ``START`` before each timed run and ``DONE <seconds>`` after it (the parent kills a worker
  whose run outlives the time limit, and reports "> limit");
* ``RESULT <json>`` at the end: the runs' wall-clock and CPU times; the numbers go to an
  ``.npz``.

Usage of a worker: ``python run_x.py CELLS.npz OUT.npz REPEAT_BUDGET``.
"""

from __future__ import annotations

import gc
import json
import sys
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np

#: The longest any worker repeats a run (the parent passes its own budget).
MAX_REPEATS = 5


def read_cells() -> tuple[dict[str, np.ndarray], str, float]:
    """The cell arrays, the output path and the repeat budget from the command line."""
    warnings.simplefilter("ignore")  # peers' deprecation noise is not ours to report
    cells_path, out_path, budget = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with np.load(cells_path) as data:
        cells = {name: data[name] for name in data.files}
    return cells, out_path, budget


def ready(*dists: str) -> None:
    """Tell the parent the worker is set up, and which versions it runs."""
    say("READY " + json.dumps(versions(*dists)))


def say(line: str) -> None:
    """One protocol line to the parent."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def timed(run: Callable[[], Any], budget: float) -> tuple[Any, dict[str, list[float]]]:
    """Run ``run`` once, then again while another run fits in ``budget`` seconds in all.

    The garbage collector is off during each run, as in ``timeit`` and the parent's timing.

    Returns the last run's value and every run's wall-clock and process CPU time (``times``,
    ``cpu``; the parent takes the best).
    """
    times: list[float] = []
    cpu: list[float] = []
    out: Any = None
    while len(times) < MAX_REPEATS:
        say("START")
        gc.disable()
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            out = run()
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
        finally:
            gc.enable()
        say(f"DONE {dt:.9f}")
        times.append(dt)
        cpu.append(dc)
        if sum(times) + min(times) > budget:
            break
    return out, {"times": times, "cpu": cpu}


def versions(*names: str) -> dict[str, str]:
    """Installed versions of ``names`` (distribution names), with Python's."""
    out = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def finish(out_path: str, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
    """Save the numbers and send the RESULT line."""
    np.savez(out_path, **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})
    say("RESULT " + json.dumps(info))

"""Does ``read_report`` take linear time on shapes that once made it quadratic?

Run from the project root::

    python benchmarks/bench_parse_scaling.py            # sizes n and 2n of each shape
    python benchmarks/bench_parse_scaling.py --n 50000

Each shape is read at two sizes, n and 2n; the table gives both times (best of
``--repeat``, CPU time of this process) and their ratio. Linear time gives about 2; the
quadratic behaviour this guards against gave about 4 (100,000 bare ``<report>`` tags took
24 s, 1.5 MB of never-closed ``<x>`` tags 26 s). Times are not asserted anywhere: the
tests check what is read, this script how long it takes.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # measure this checkout

RECIPE = '<recipe name="A"><step name="E"><amount>1</amount></step></recipe>'


def bare_reports(n: int) -> bytes:
    """n empty ``<report>`` elements."""
    return ("<reports>" + '<report campaignId="7" resolution="day"/>' * n + "</reports>").encode()


def reports_with_a_sample(n: int) -> bytes:
    """n reports of one sample each, on the same day (a report per segment)."""
    one = (
        '<report campaignId="7" resolution="day" segment="S{i}">'
        '<sample start="2009-08-{d:02d}T00:00" duration="day">' + RECIPE + "</sample></report>"
    )
    body = "".join(one.format(i=i, d=1) for i in range(n))
    return ("<reports>" + body + "</reports>").encode()


def never_closed(n: int) -> bytes:
    """A report followed by n ``<x>`` tags that are never closed (no root: read, warned)."""
    head = '<report resolution="day"><sample start="2009-08-01T00:00" duration="day">'
    return (head + RECIPE + "<x>" * n).encode()


def stray_closes(n: int) -> bytes:
    """n closing tags that match nothing."""
    head = '<reports><report resolution="day"><sample start="2009-08-01T00:00" duration="day">'
    return (head + RECIPE + "</y>" * n + "</sample></report></reports>").encode()


def samples(n: int) -> bytes:
    """One report of n hourly samples."""
    smp = '<sample start="{}" duration="hour">' + RECIPE + "</sample>"
    import numpy as np

    starts = np.datetime64("2009-01-01T00:00") + np.arange(n) * np.timedelta64(60, "m")
    body = "".join(smp.format(str(s)) for s in starts)
    return ('<reports><report resolution="hour">' + body + "</report></reports>").encode()


SHAPES: dict[str, Callable[[int], bytes]] = {
    "bare <report> tags": bare_reports,
    "reports of one sample": reports_with_a_sample,
    "never-closed <x>": never_closed,
    "stray </y>": stray_closes,
    "hourly samples": samples,
}


def best_cpu(data: bytes, repeat: int) -> float:
    import ttstats

    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ttstats.read_report(data)
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import ttstats  # noqa: F401  (imported before timing)

    print("| shape | n | time n (s) | time 2n (s) | ratio |\n|---|---:|---:|---:|---:|")
    for name, make in SHAPES.items():
        t1 = best_cpu(make(args.n), args.repeat)
        t2 = best_cpu(make(2 * args.n), args.repeat)
        print(f"| {name} | {args.n:,} | {t1:.2f} | {t2:.2f} | {t2 / t1:.2f} |", flush=True)


if __name__ == "__main__":
    main()

"""Parsing speed and memory: ``read_report`` against the ceiling and what notebooks do today.

Run from the project root (the ``bench`` extra installs xmltodict and psutil)::

    python -m pip install ".[bench]"
    python benchmarks/bench_parse.py                  # 5, 50 and 500 MB
    python benchmarks/bench_parse.py --sizes 5 50     # quicker

Every method runs in a fresh Python process of its own, on the same generated report (an
hourly version-2 report: two segments plus the aggregate, three experiences and the summary
recipe, five steps, engagement on two of them), so that peak memory is measured cleanly:

* ``read_report``: ``ttstats.read_report(data)`` on the bytes in memory (speed), and on the
  path, streamed (memory);
* ``lxml (ceiling)``: ``lxml.etree.fromstring(data)``: libxml2 building the DOM in C, with
  nothing extracted; the fastest anything built on lxml could be;
* ``xmltodict + pandas``: ``xmltodict.parse`` then a walk over the nested dicts into a tidy
  DataFrame, the usual notebook answer;
* ``pandas.read_xml``: ``pd.read_xml(..., xpath="//step")``, which returns the steps but loses
  which report, sample and recipe each belongs to (a lower bound on its cost).

Times are the best of ``--repeat`` runs (process CPU time is also recorded); peak memory is
the process's peak resident set size minus its size just before the method ran. A method
that takes longer than ``--timeout`` seconds is reported as such. The table goes to standard
output and to ``benchmarks/results/parse.md``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# measure the checkout this file sits in, not whichever ttstats is installed
sys.path.insert(0, str(HERE.parent))
DATA = HERE / "data"
RESULTS = HERE / "results"
METHODS = ("read_report", "read_report_stream", "lxml", "xmltodict", "read_xml")


def make_file(mb: float) -> Path:
    """A generated report of about ``mb`` megabytes (cached under benchmarks/data)."""
    from ttstats.simulate import ExperimentSpec, Poisson, spec_for_size, write_xml
    from ttstats.simulate import simulate as run

    DATA.mkdir(exist_ok=True)
    path = DATA / f"report-{mb:g}MB.xml"
    if path.exists():
        return path
    base = ExperimentSpec(
        resolution="hour",
        start="2009-01-01T00:00",
        segments=("Segment 1", "Segment 2"),
        recipes=("Experience A", "Experience B", "Experience C"),
        engagement={"Page Count": Poisson(3.0), "Time on Site": Poisson(40.0)},
        traffic=80.0,
        p_omit=0.02,
        seed=2026,
    )
    spec = spec_for_size(mb, version=2, base=base)
    tmp = path.with_suffix(".tmp")
    write_xml(run(spec), tmp, version=2)
    tmp.replace(path)
    return path


def _rss_mib() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(method: str, path: Path, repeat: int) -> dict[str, Any]:
    """Run one method in this process; return its timings and memory."""
    import numpy as np

    _import_for(method)  # imports are not the method's cost: load them before measuring
    data = b"" if method == "read_report_stream" else path.read_bytes()
    before = _rss_mib()
    best = best_cpu = float("inf")
    rows = 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = _run(method, path, data)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        rows = out
    peak = _peak_mib()
    return {
        "method": method,
        "seconds": best,
        "cpu_seconds": best_cpu,
        "peak_mib": peak - before,
        "rows": int(rows),
        "numpy": np.__version__,
    }


def _import_for(method: str) -> None:
    """Import what ``method`` needs, so that neither its time nor its memory counts."""
    import lxml.etree
    import pandas

    if method.startswith("read_report"):
        import ttstats  # noqa: F401
    elif method == "xmltodict":
        import xmltodict  # noqa: F401
    del lxml, pandas


def _run(method: str, path: Path, data: bytes) -> int:
    import warnings

    if method in ("read_report", "read_report_stream"):
        import ttstats

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ttstats.TTStatsWarning)
            report = ttstats.read_report(path if method == "read_report_stream" else data)
        return int(report.count.size)
    if method == "lxml":
        from lxml import etree

        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
        return len(root)
    if method == "xmltodict":
        return len(_xmltodict_frame(data))
    if method == "read_xml":
        import pandas as pd

        return len(pd.read_xml(io.BytesIO(data), xpath="//step", parser="lxml"))
    raise ValueError(method)


def _xmltodict_frame(data: bytes) -> Any:
    """What a notebook user writes: xmltodict, then loops over the nested dicts."""
    import pandas as pd
    import xmltodict

    def as_list(x: Any) -> list[Any]:
        return x if isinstance(x, list) else ([] if x is None else [x])

    doc = xmltodict.parse(data)
    rows = []
    for ri, report in enumerate(as_list(doc["reports"]["report"])):
        for sample in as_list(report.get("sample")):
            for recipe in as_list(sample.get("recipe")):
                for step in as_list(recipe.get("step")):
                    eng = step.get("engagement") or {}
                    rows.append(
                        {
                            "report": ri,
                            "segment": report.get("@segment"),
                            "sample_start": sample["@start"],
                            "recipe": recipe["@name"],
                            "step": step["@name"],
                            "count": float(step["amount"]),
                            "revenue": float(step["revenue"]) if "revenue" in step else None,
                            "engagement_count": float(eng["@count"]) if eng else None,
                            "engagement_total": float(eng["@total"]) if eng else None,
                            "engagement_sumsq": float(eng["@sumOfSquares"]) if eng else None,
                        }
                    )
    frame = pd.DataFrame(rows)
    frame["sample_start"] = pd.to_datetime(frame["sample_start"])
    return frame


def run_method(method: str, path: Path, repeat: int, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", method, str(path), "--repeat", str(repeat)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"method": method, "timeout": timeout}
    except subprocess.CalledProcessError as err:
        return {"method": method, "error": (err.stderr or "").strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def machine() -> str:
    import lxml.etree
    import numpy
    import pandas

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        xd = version("xmltodict")
    except PackageNotFoundError:
        xd = "not installed"
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy "
        f"{numpy.__version__}, lxml {'.'.join(map(str, lxml.etree.LXML_VERSION))} "
        f"(libxml2 {'.'.join(map(str, lxml.etree.LIBXML_VERSION))}), pandas {pandas.__version__}, "
        f"xmltodict {xd}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[5, 50, 500])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--skip", nargs="*", default=[], help="methods to leave out")
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]), args.repeat)))
        return
    lines = [
        "| size | method | best time (s) | MB/s | vs lxml ceiling | vs xmltodict | peak RSS (MiB) | peak / file |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for mb in args.sizes:
        path = make_file(mb)
        size_mb = path.stat().st_size / 1e6
        print(f"{path.name}: {size_mb:.1f} MB", file=sys.stderr, flush=True)
        res: dict[str, dict[str, Any]] = {}
        for method in METHODS:
            if method in args.skip:
                continue
            res[method] = run_method(method, path, args.repeat, args.timeout)
            print(f"  {method}: {res[method]}", file=sys.stderr, flush=True)
        lx = res.get("lxml", {}).get("seconds")
        xd = res.get("xmltodict", {}).get("seconds")
        names = {
            "read_report": "`read_report` (bytes)",
            "read_report_stream": "`read_report` (path, streamed)",
            "lxml": "`lxml.etree.fromstring` (ceiling)",
            "xmltodict": "`xmltodict` + pandas",
            "read_xml": "`pandas.read_xml` (steps only)",
        }
        for method, r in res.items():
            if "seconds" not in r:
                why = (
                    f"over {r['timeout']:.0f} s" if "timeout" in r else f"failed: {r.get('error')}"
                )
                lines.append(f"| {size_mb:.0f} MB | {names[method]} | {why} | | | | | |")
                continue
            sec = r["seconds"]
            vs_lx = f"{lx / sec:.2f}" if lx else "n/a"
            vs_xd = f"{xd / sec:.1f}x" if xd else "n/a"
            lines.append(
                f"| {size_mb:.0f} MB | {names[method]} | {sec:.2f} | {size_mb / sec:.1f} | "
                f"{vs_lx} | {vs_xd} | {r['peak_mib']:.0f} | {r['peak_mib'] / size_mb:.2f} |"
            )
    table = "\n".join(lines)
    text = (
        f"Machine: {machine()}.\n\n{table}\n\n"
        "`vs lxml ceiling` is the lxml time divided by the method's (1.00 = as fast as "
        "building lxml's DOM); `vs xmltodict` is how many times faster than xmltodict + "
        "pandas. Peak RSS is above the process's size just before the method ran (for the "
        "in-memory methods the file's bytes were already loaded).\n"
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "parse.md").write_text(text)


if __name__ == "__main__":
    main()

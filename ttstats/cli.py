"""The ``ttstats`` command line.

Every command reads a Performance Report (a path, ``-`` for standard input, or nothing for
the example report bundled with the package). Problems with the input end in one line on
standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import BinaryIO

import numpy as np

from . import __version__
from ._errors import ReportParseError, ReportRepairWarning, TTApiError, TTStatsError
from .parse import Report, read_report

EXIT_OK, EXIT_NO, EXIT_BAD_INPUT = 0, 1, 2
EXAMPLE = "example-report.xml"


def example_report_path() -> Path:
    """Path of the example version-2 report bundled with the package."""
    return Path(str(resources.files("ttstats") / "data" / EXAMPLE))


def _source(arg: str | None) -> tuple[str | Path | BinaryIO, str]:
    if arg is None:
        path = example_report_path()
        return path, f"{path.name} (bundled example)"
    if arg == "-":
        return sys.stdin.buffer, "<stdin>"
    return Path(arg), arg


class Progress:
    """A one-line progress bar on standard error, for files that take a while to read.

    Quiet unless standard error is a terminal and the file is larger than ``min_bytes``.
    """

    def __init__(self, label: str, min_bytes: int = 32 << 20) -> None:
        self.label = label
        self.min_bytes = min_bytes
        self.shown = False

    def __call__(self, done: int, total: int | None) -> None:
        if not sys.stderr.isatty() or (total or done) < self.min_bytes:
            return
        mb = done / 1e6
        if total:
            share = done / total
            bar = "#" * int(30 * share)
            text = f"\rreading {self.label}: [{bar:<30}] {share:4.0%} of {total / 1e6:,.0f} MB"
        else:
            text = f"\rreading {self.label}: {mb:,.0f} MB"
        sys.stderr.write(text)
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def load(arg: str | None, *, strict: bool = False) -> tuple[Report, str]:
    """Read the report named on the command line; repairs stay in ``Report.warnings``."""
    source, label = _source(arg)
    progress = Progress(label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ReportRepairWarning)
            return read_report(source, strict=strict, progress=progress), label
    finally:
        progress.close()


def _fmt_time(t: np.datetime64) -> str:
    if np.isnat(t):
        return "?"
    text = str(t.astype("datetime64[m]"))
    return text[:10] if text.endswith("T00:00") else text.replace("T", " ")


def describe(report: Report, label: str) -> str:
    """What a report file holds, as plain text (``ttstats inspect``)."""
    r, s, k, t = report.shape
    lines = [f"file      {label}", f"version   {report.version}", f"reports   {r}"]
    for i, info in enumerate(report.reports):
        seg = "aggregate of all segments" if info.segment is None else f"segment {info.segment!r}"
        if info.segment_id is not None:
            seg += f" (id {info.segment_id})"
        n_present = int(report.present[i].sum())
        n_grid = int(report.in_grid[i].sum())
        lines.append(
            f"  [{i}] campaign {info.campaign_id}, type {info.type}, {seg}, "
            f"{_fmt_time(info.start)} to {_fmt_time(info.end)}, resolution {info.resolution}; "
            f"{n_present} of {n_grid} samples in the file"
        )
    if s:
        lines.append(
            f"samples   {s}, {_fmt_time(report.samples.start[0])} to "
            f"{_fmt_time(report.samples.start[-1])} ({', '.join(sorted(set(report.samples.duration)))})"
        )
    else:
        lines.append("samples   0")
    has_campaign = bool(np.isfinite(report.campaign.count).any())
    summary = f" (+ summary recipe {report.campaign_recipe!r})" if has_campaign else ""
    lines.append(f"recipes   {k}: {', '.join(report.recipes)}{summary}")
    lines.append(f"steps     {t}: {', '.join(report.steps)}")
    measures = [
        name
        for name, arr in report.cells.items()
        if np.isfinite(arr).any() or np.isfinite(getattr(report.campaign, name)).any()
    ]
    lines.append(f"measures  {', '.join(measures) if measures else 'none'}")
    lines.append(f"warnings  {len(report.warnings)}")
    for w in report.warnings[:50]:
        lines.append(f"  {w}")
    if len(report.warnings) > 50:
        lines.append(f"  ... and {len(report.warnings) - 50} more")
    return "\n".join(lines)


def _cmd_inspect(args: argparse.Namespace) -> int:
    report, label = load(args.file, strict=args.strict)
    print(describe(report, label))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ttstats",
        description="Sound statistics from Test&Target Performance Report XML.",
    )
    parser.add_argument("--version", action="version", version=f"ttstats {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    inspect = sub.add_parser(
        "inspect",
        help="show what a report file holds",
        description="Show the reports, segments, samples, recipes, steps, version and "
        "warnings of a Performance Report file (the bundled example when FILE is omitted).",
    )
    inspect.add_argument("file", nargs="?", metavar="FILE", help="report file, or - for stdin")
    inspect.add_argument("--strict", action="store_true", help="refuse malformed XML")
    inspect.set_defaults(func=_cmd_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except TTApiError as err:
        print(f"ttstats: the file is an API error response: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ReportParseError, TTStatsError) as err:
        print(f"ttstats: {getattr(args, 'file', None) or 'input'}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileNotFoundError as err:
        print(f"ttstats: no such file: {err.filename}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (IsADirectoryError, PermissionError) as err:
        print(f"ttstats: cannot read {err.filename}: {err.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ttstats: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

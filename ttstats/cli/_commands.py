"""What each command does, once its options are parsed."""

from __future__ import annotations

import argparse
import re
import warnings
from collections.abc import Sequence

import numpy as np

from .._errors import FetchError, ReportParseError, ReportRepairWarning, TTApiError
from ..analysis.readout import Readout, build_readout, decide
from ..client import ReportRequest, fetch_report
from ..parse import Report, read_report
from ..render.json import readout_to_json_string
from ..render.text import readout_to_markdown, readout_to_text
from ._io import EXIT_NO, EXIT_OK, UsageError, example_report_path, load, say, write_output

#: The output formats of ``ttstats readout``.
FORMATS = ("text", "markdown", "html", "json")


def _fmt_time(t: np.datetime64) -> str:
    if np.isnat(t):
        return "?"
    text = str(t.astype("datetime64[m]"))
    return text[:10] if text.endswith("T00:00") else text.replace("T", " ")


def _shown(name: str) -> str:
    """A name as it reads on one line: quoted with escapes when it holds a line break or
    another control or direction character."""
    return name if name.isprintable() else repr(name)


_MORE = re.compile(r"([0-9]+) more warnings of kind ")


def _occurrences(warnings: Sequence[object]) -> int:
    """How many warnings the file gave: the listed ones, and those an "N more" entry counts."""
    total = 0
    for w in warnings:
        more = _MORE.match(str(getattr(w, "message", "")))
        total += int(more.group(1)) if more else 1
    return total


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
    lines.append(f"recipes   {k}: {', '.join(map(_shown, report.recipes))}{summary}")
    lines.append(f"steps     {t}: {', '.join(map(_shown, report.steps))}")
    measures = [
        name
        for name, arr in report.cells.items()
        if np.isfinite(arr).any() or np.isfinite(getattr(report.campaign, name)).any()
    ]
    lines.append(f"measures  {', '.join(measures) if measures else 'none'}")
    total = _occurrences(report.warnings)
    listed = "" if total == len(report.warnings) else f" ({len(report.warnings)} entries listed)"
    lines.append(f"warnings  {total}{listed}")
    for w in report.warnings[:50]:
        lines.append(f"  {w}")
    if len(report.warnings) > 50:
        lines.append(f"  ... and {len(report.warnings) - 50} more")
    return "\n".join(lines)


def _cmd_inspect(args: argparse.Namespace) -> int:
    report, label = load(args.file, strict=args.strict)
    say(describe(report, label))
    return EXIT_OK


def render(readout: Readout, fmt: str) -> str:
    """The readout in one of :data:`FORMATS`."""
    if fmt == "json":
        return readout_to_json_string(readout)
    if fmt == "markdown":
        return readout_to_markdown(readout)
    if fmt == "html":
        from ..render.html import render_html  # imports matplotlib when it is there

        return render_html(readout)
    return readout_to_text(readout)


def _cmd_readout(args: argparse.Namespace) -> int:
    if args.file == "-" and args.without_extremes == "-":
        raise UsageError("FILE and --without-extremes cannot both be read from standard input")
    report, label = load(args.file)
    without = load(args.without_extremes)[0] if args.without_extremes else None
    readout = build_readout(
        report,
        control=args.control,
        metric=args.metric,
        entry=args.entry,
        alpha=args.alpha,
        interval=args.interval,
        test=args.test,
        correction=args.correction,
        segment=args.segment,
        without_extremes=without,
        source=label,
        min_lift=args.min_lift,
        sequential=args.sequential,
        mixing_variance=args.mixing_variance,
        split=args.split,
        type=args.type,
    )
    write_output(render(readout, args.format), args.output)
    return EXIT_OK


def _cmd_example(args: argparse.Namespace) -> int:
    write_output(example_report_path().read_bytes(), args.output)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    report, _ = load(args.file)
    decision = decide(
        report,
        control=args.control,
        metric=args.metric,
        entry=args.entry,
        alpha=args.alpha,
        interval=args.interval,
        test=args.test,
        correction=args.correction,
        segment=args.segment,
        min_lift=args.min_lift,
        sequential=args.sequential,
        mixing_variance=args.mixing_variance,
        split=args.split,
        allow_mismatch=args.allow_mismatch,
        type=args.type,
    )
    say(decision.reason)
    return EXIT_OK if decision.passed else EXIT_NO


def _cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch a report, check that it reads, then write it atomically (nothing on failure)."""
    options = {
        "type": args.type,
        "environment": args.environment,
        "resolution": args.resolution,
        "segment": args.segment,
        "show_deleted": args.show_deleted,
        "exclude_extreme_orders": args.exclude_extreme_orders,
        "version": args.version,
    }
    # the request's own values first: a wrong date is worth hearing of before the credentials
    ReportRequest("-", "-", "-", args.campaign, args.start, args.end, **options)
    request = ReportRequest.from_env(args.campaign, args.start, args.end, **options)
    try:
        data = fetch_report(
            request,
            base_url=args.base_url,
            timeout=args.timeout,
            retries=args.retries,
            allow_http=args.allow_http,
        )
        with warnings.catch_warnings():  # repairs are the reader's business, not the download's
            warnings.simplefilter("ignore", ReportRepairWarning)
            report = read_report(data, version=request.version)
    except ImportError as err:
        raise UsageError(str(err)) from None
    except TTApiError as err:
        raise UsageError(
            f"the API refused the request: {request.redact(str(err), partial=True)}"
        ) from None
    except FetchError as err:
        raise UsageError(request.redact(str(err))) from None
    except ReportParseError as err:
        raise UsageError(
            f"the API's answer is not a readable report, nothing written: {request.redact(str(err), partial=True)}"
        ) from None
    except ValueError as err:  # the address: the Python argument's name is the option's here
        text = request.redact(str(err)).replace("allow_http=True", "--allow-http")
        raise UsageError(text) from None
    write_output(data, args.output)
    if args.output != "-":
        r, s, *_ = report.shape
        say(
            f"ttstats: wrote {args.output}: {len(data):,} bytes, {r} report(s), {s} sample(s)",
            error=True,
        )
    return EXIT_OK

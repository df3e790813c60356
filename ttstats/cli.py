"""The ``ttstats`` command line.

Every command reads a Performance Report (a path, ``-`` for standard input, or nothing for
the example report bundled with the package). Problems with the input end in one line on
standard error and exit status 2, never a traceback.

Commands: ``inspect`` (what a file holds), ``readout`` (the readout of the experiment, as
text, Markdown, HTML or JSON) and ``check`` (exit status 0 when some recipe beats the control,
1 when none does); ``fetch`` downloads a report from the API (credentials from the
environment) and writes it atomically.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import BinaryIO, NoReturn

import numpy as np

from . import __version__
from ._errors import (
    FetchError,
    ReportMismatchError,
    ReportParseError,
    ReportRepairWarning,
    TTApiError,
    TTStatsError,
)
from .analysis.readout import Readout, build_readout, decide
from .client import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    ENV_BASE_URL,
    RESOLUTIONS,
    TYPES,
    ReportRequest,
    fetch_report,
)
from .parse import Report, read_report
from .render.json import readout_to_json_string
from .render.text import readout_to_markdown, readout_to_text
from .stats.hypothesis_tests import TEST_METHODS
from .stats.multiple import ADJUST_METHODS
from .stats.proportions import PROPORTION_METHODS

EXIT_OK, EXIT_NO, EXIT_BAD_INPUT = 0, 1, 2
EXAMPLE = "example-report.xml"
#: The output formats of ``ttstats readout``.
FORMATS = ("text", "markdown", "html", "json")
#: The module whose ``render_html(readout) -> str`` serves ``--format html``.
HTML_MODULE = "ttstats.render.html"
NO_HTML = (
    "--format html is not available yet in this version of ttstats; "
    "use --format text, markdown or json"
)


class UsageError(Exception):
    """A problem with the command line or the output the user asked for (exit status 2)."""


def example_report_path() -> Path:
    """Path of the example version-2 report bundled with the package."""
    return Path(str(resources.files("ttstats") / "data" / EXAMPLE))


def _source(arg: str | None) -> tuple[str | Path | BinaryIO, str]:
    if arg is None:
        path = example_report_path()
        return path, f"{path.name} (bundled example)"
    if arg == "-":
        if sys.stdin is None:
            raise UsageError("standard input is closed: nothing to read from -")
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
    except TTApiError as err:
        raise UsageError(f"{label}: the file is an API error response: {_one_line(err)}") from None
    except ReportParseError as err:
        raise UsageError(f"{label}: {err}") from None
    except FileNotFoundError:
        raise UsageError(f"no such file: {label}") from None
    except OSError as err:  # a directory, no permission, a loop of links, a name too long...
        raise UsageError(f"cannot read {label}: {err.strerror or err}") from None
    finally:
        progress.close()


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
    print(describe(report, label))
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# readout and check
# --------------------------------------------------------------------------------------------
def render_html(readout: Readout) -> str:
    """The readout as one self-contained HTML page (``--format html``).

    The hook for the HTML renderer: it calls ``render_html(readout)`` of
    :data:`HTML_MODULE`. Until that module exists, :class:`UsageError` says the format is not
    available yet.
    """
    try:
        module = importlib.import_module(HTML_MODULE)
    except ModuleNotFoundError as err:
        if err.name != HTML_MODULE:
            raise UsageError(f"--format html needs {err.name}: {err}") from None
        raise UsageError(NO_HTML) from None
    except ImportError as err:  # e.g. matplotlib missing: the plots module says what to install
        raise UsageError(f"--format html: {err}") from None
    html: str = module.render_html(readout)
    return html


def html_available() -> bool:
    """Whether ``--format html`` can be served (the HTML renderer is installed)."""
    if HTML_MODULE in sys.modules:
        return True
    try:
        return importlib.util.find_spec(HTML_MODULE) is not None
    except (ImportError, ValueError):
        return False


def render(readout: Readout, fmt: str) -> str:
    """The readout in one of :data:`FORMATS`."""
    if fmt == "json":
        return readout_to_json_string(readout)
    if fmt == "markdown":
        return readout_to_markdown(readout)
    if fmt == "html":
        return render_html(readout)
    return readout_to_text(readout)


def write_output(text: str | bytes, path: str | None) -> None:
    """Write ``text`` to standard output (``path`` None or ``-``) or atomically to a file.

    The file is written beside its destination under a temporary name, flushed to disk and
    renamed over the destination, so a reader never sees half a readout. A symbolic link is
    followed (the file it names is replaced, the link stays); a pipe or a device is written
    into directly. A ``str`` is written as UTF-8, ``bytes`` as they are.
    """
    if path is None or path == "-":
        if isinstance(text, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        return
    data = text.encode("utf-8") if isinstance(text, str) else text
    # a link is written through (the file it names is replaced, the link stays)
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    if target.exists() and not target.is_file():  # a pipe, a device: write into it
        try:
            with open(target, "wb") as out:
                out.write(data)
        except OSError as err:
            raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
        return
    try:
        mode = target.stat().st_mode & 0o777 if target.exists() else _default_mode()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
        raise


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _cmd_readout(args: argparse.Namespace) -> int:
    if args.format == "html" and not html_available():
        raise UsageError(NO_HTML)  # fail before reading: render_html would say the same
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
    print(decision.reason)
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
        raise UsageError(f"the API refused the request: {request.redact(str(err))}") from None
    except FetchError as err:
        raise UsageError(request.redact(str(err))) from None
    except ReportParseError as err:
        raise UsageError(
            f"the API's answer is not a readable report, nothing written: {request.redact(str(err))}"
        ) from None
    write_output(data, args.output)
    if args.output != "-":
        r, s, *_ = report.shape
        print(
            f"ttstats: wrote {args.output}: {len(data):,} bytes, {r} report(s), {s} sample(s)",
            file=sys.stderr,
        )
    return EXIT_OK


def _campaign_id(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def _positive(what: str) -> Callable[[str], float]:
    """An argparse type: a finite number > 0 (``what`` names it in the error)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be a positive {what}, got {text}")
        return value

    return parse


_seconds = _positive("number of seconds")
_mixing_variance = _positive("number")


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return int(text)


def _fetch_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    fetch = sub.add_parser(
        "fetch",
        help="download a report from the Performance Report API",
        description="Download a Performance Report from the API and write it to --output "
        "atomically (a failed or cut-off download leaves nothing behind). The credentials "
        "come from the environment: TT_CLIENT, TT_EMAIL and TT_PASSWORD; the address from "
        f"--base-url or {ENV_BASE_URL}.",
    )
    fetch.add_argument(
        "--campaign",
        metavar="N",
        type=_campaign_id,
        required=True,
        help="the campaign id (campaignId)",
    )
    fetch.add_argument(
        "--start",
        metavar="DATE",
        required=True,
        help="start: YYYY-MM-DD or YYYY-MM-DDTHH:mm (local time)",
    )
    fetch.add_argument(
        "--end",
        metavar="DATE",
        required=True,
        help="end: YYYY-MM-DD or YYYY-MM-DDTHH:mm (local time)",
    )
    fetch.add_argument(
        "--resolution", choices=RESOLUTIONS, default="day", help="sample length (default: day)"
    )
    fetch.add_argument(
        "--segment",
        metavar="NAME",
        help="a segment, or allSegments for one report per segment (default: the aggregate)",
    )
    fetch.add_argument(
        "--type", choices=TYPES, help="the metric (default: every metric, one report each)"
    )
    fetch.add_argument(
        "--environment", metavar="NAME", help="the host group (the API's default: Production)"
    )
    fetch.add_argument(
        "--version", type=int, choices=(1, 2), default=2, help="API version (default: 2)"
    )
    fetch.add_argument(
        "--exclude-extreme-orders", action="store_true", help="exclude extreme orders"
    )
    fetch.add_argument(
        "--show-deleted", action="store_true", help="also report experiences deleted since"
    )
    fetch.add_argument(
        "--base-url",
        metavar="URL",
        help=f"the service, https://<host> (default: ${ENV_BASE_URL}); "
        "/api is appended unless the path ends in /api",
    )
    fetch.add_argument(
        "--timeout",
        metavar="S",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to connect and per read (default: {DEFAULT_TIMEOUT:g})",
    )
    fetch.add_argument(
        "--retries",
        metavar="N",
        type=_count,
        default=DEFAULT_RETRIES,
        help=f"retries on connection errors and 5xx (default: {DEFAULT_RETRIES})",
    )
    fetch.add_argument(
        "--allow-http",
        action="store_true",
        help="allow a plain http:// address (sends the password in clear "
        "text: for a local test server only)",
    )
    fetch.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        required=True,
        help="where to write the report (atomically); - for standard output",
    )
    fetch.set_defaults(func=_cmd_fetch)


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return value


def _min_lift(text: str) -> float:
    """A lift as a fraction (``0.05``) or a percentage (``5%``)."""
    percent = text.strip().endswith("%")
    try:
        value = float(text.strip().removesuffix("%")) / (100.0 if percent else 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number >= 0 (0.05 is +5%), got {text}")
    return value


def _split(text: str) -> list[float]:
    try:
        shares = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, e.g. 50,25,25; got {text!r}"
        ) from None
    if not all(math.isfinite(x) and x > 0 for x in shares):
        raise argparse.ArgumentTypeError(f"shares must be positive numbers, got {text!r}")
    return shares


def _one_line(err: object) -> str:
    """A message on one line: line breaks and other control characters become spaces (a
    message from a file must not pass for several lines, a traceback say)."""
    text = "".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in str(err))
    return " ".join(text.split())


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {text} (usage: {self.prog} --help)\n")


def _statistics_options(cmd: argparse.ArgumentParser, *, required: bool) -> None:
    need = " (required)" if required else ""
    cmd.add_argument(
        "--control",
        metavar="NAME",
        required=required,
        help="the control recipe" + (need or " (default: the first recipe)"),
    )
    cmd.add_argument(
        "--metric",
        metavar="STEP",
        required=required,
        help="the step whose rate decides" + (need or " (default: the last step)"),
    )
    cmd.add_argument(
        "--entry", metavar="STEP", default="Entry", help="the step of the entries (default: Entry)"
    )
    cmd.add_argument(
        "--alpha", type=_alpha, default=0.05, help="significance level (default: 0.05)"
    )
    cmd.add_argument(
        "--interval",
        metavar="METHOD",
        choices=PROPORTION_METHODS,
        default="wilson",
        help=f"interval of the rates: {', '.join(PROPORTION_METHODS)} (default: wilson)",
    )
    cmd.add_argument(
        "--test",
        metavar="METHOD",
        choices=TEST_METHODS,
        default="z",
        help=f"test against the control: {', '.join(TEST_METHODS)} (default: z)",
    )
    cmd.add_argument(
        "--correction",
        metavar="METHOD",
        choices=ADJUST_METHODS,
        default="holm",
        help=f"multiple-testing correction: {', '.join(ADJUST_METHODS)} (default: holm)",
    )
    cmd.add_argument(
        "--min-lift",
        metavar="X",
        type=_min_lift,
        default=0.0,
        help="the smallest lift worth having, as a fraction or a percentage: 0.05 or 5%% for "
        "+5%% (default: 0)",
    )
    cmd.add_argument(
        "--sequential",
        action="store_true",
        help="decide on the always-valid (mSPRT) p-values over the samples: for an experiment "
        "looked at repeatedly (a pipeline run every day) rather than once, at a size fixed in "
        "advance",
    )
    cmd.add_argument(
        "--split",
        metavar="SHARES",
        type=_split,
        default=None,
        help="the intended share of traffic of each recipe, in recipe order, for the "
        "sample-ratio check: 50,25,25 (default: an equal split)",
    )
    cmd.add_argument(
        "--mixing-variance",
        metavar="TAU2",
        type=_mixing_variance,
        default=None,
        help="the always-valid test's mixing variance, fixed before the experiment for the "
        "strict guarantee: (planned lift x base rate)^2, e.g. 1.6e-05 for +10%% of 4%% "
        "(default: (10%% of the first sample's pooled rate)^2)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ttstats",
        description="Sound statistics from Test&Target Performance Report XML.",
        epilog="examples:\n"
        "  ttstats readout                      read out the bundled example report\n"
        "  ttstats example -o report.xml        write that report to a file\n"
        "  ttstats readout report.xml --format html --output readout.html\n"
        '  ttstats check report.xml --control Control --metric "Order Confirmation" '
        "--min-lift 5%\n\n"
        "Exit status: 0 success (check: a recipe wins), 1 check: no recipe wins, 2 bad input. "
        "Each command has --help; the README has the rest.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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

    readout = sub.add_parser(
        "readout",
        help="read out an experiment: verdicts, checks, engagement, extreme orders",
        description="Read out the experiment in a Performance Report (the bundled example "
        "when FILE is omitted): each recipe against the control on the metric, with "
        "intervals, adjusted p-values and verdicts in words, the sample-ratio and Campaign "
        "checks, the other steps, engagement and revenue, extreme orders, and the power.",
        epilog="Exit status: 0 when the readout was written, 2 on bad input (a missing or "
        "unreadable file, an API error response, an unknown recipe, step or segment, an "
        "invalid option), with one line on standard error.",
    )
    readout.add_argument("file", nargs="?", metavar="FILE", help="report file, or - for stdin")
    _statistics_options(readout, required=False)
    readout.add_argument(
        "--segment", metavar="NAME", help="show this segment only (default: every report)"
    )
    readout.add_argument(
        "--without-extremes",
        metavar="FILE2",
        help="the same request with extreme orders excluded: adds the sensitivity",
    )
    readout.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    readout.add_argument(
        "--output", metavar="PATH", help="write to PATH (atomically) instead of standard output"
    )
    readout.set_defaults(func=_cmd_readout)

    check = sub.add_parser(
        "check",
        help="exit 0 when some recipe beats the control, 1 when none does",
        description="Decide on the aggregate report (or the named segment): exit status 0 "
        "when some recipe beats the control significantly (adjusted p < alpha, lift > 0) and "
        "by at least --min-lift, 1 when none does, 2 on bad input; prints a one-line reason.",
    )
    check.add_argument("file", metavar="FILE", help="report file, or - for stdin")
    _statistics_options(check, required=True)
    check.add_argument(
        "--segment", metavar="NAME", help="decide on this segment (default: the aggregate)"
    )
    check.add_argument(
        "--type",
        choices=TYPES,
        default=None,
        help="decide on the report of this type, when the file holds one per type",
    )
    check.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="decide even when the sample-ratio check flags a mismatch (by default a "
        "mismatch answers no: a broken allocation makes every verdict untrustworthy)",
    )
    check.set_defaults(func=_cmd_check)
    example = sub.add_parser(
        "example",
        help="write the bundled example report to a file, to try the other commands on",
        description="Write the example report bundled with ttstats (version 2, four weeks of "
        "daily samples, two segments and the aggregate, a control and two experiences, "
        "engagement and revenue, simulated with a known truth) to PATH, or to standard output.",
    )
    example.add_argument(
        "-o", "--output", metavar="PATH", default="-", help="where to write it (default: -)"
    )
    example.set_defaults(func=_cmd_example)
    _fetch_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except TTApiError as err:
        print(f"ttstats: the file is an API error response: {_one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ReportMismatchError as err:
        first = getattr(args, "file", None) or "the bundled example"
        print(f"ttstats: {first} and {args.without_extremes}: {_one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ReportParseError, TTStatsError) as err:
        where = getattr(args, "file", None) or "the bundled example"
        print(f"ttstats: {where}: {_one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as err:
        print(f"ttstats: {_one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as err:  # an option the analysis refuses (e.g. metric = entry)
        print(f"ttstats: {_one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileNotFoundError as err:
        print(f"ttstats: no such file: {err.filename}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:
        print(f"ttstats: cannot read {err.filename}: {err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ttstats: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The command line's parser: its commands, their options, and the checks on each value."""

from __future__ import annotations

import argparse
import difflib
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from .. import __version__
from ..client import DEFAULT_RETRIES, DEFAULT_TIMEOUT, ENV_BASE_URL, RESOLUTIONS, TYPES
from ..stats.hypothesis_tests import TEST_METHODS
from ..stats.multiple import ADJUST_METHODS
from ..stats.proportions import PROPORTION_METHODS
from ._commands import FORMATS, _cmd_check, _cmd_example, _cmd_fetch, _cmd_inspect, _cmd_readout
from ._io import EXIT_BAD_INPUT


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


#: The largest --min-lift taken: +100000%, a rate a thousand times the control's.
MAX_MIN_LIFT = 1000.0


def _min_lift(text: str) -> float:
    """A lift as a fraction (``0.05``) or a percentage (``5%``).

    A bare number above 1 (``5``) would be a lift above +100%: more likely a percentage
    without its sign, so it is refused with the two readings rather than guessed.
    """
    percent = text.strip().endswith("%")
    try:
        number = float(text.strip().removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    value = number / (100.0 if percent else 1.0)
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"must be a number >= 0 (0.05 or 5% is +5%), got {text}")
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be >= 0, got {text}: a recipe must beat the control significantly anyway, "
            "and a negative minimum would not loosen that (0.05 or 5% is +5%)"
        )
    if value > MAX_MIN_LIFT:
        raise argparse.ArgumentTypeError(
            f"{text} is beyond any lift worth asking for: at most {MAX_MIN_LIFT * 100:g}% "
            "(a rate a thousand times the control's)"
        )
    if not percent and value > 1.0:
        raise argparse.ArgumentTypeError(
            f"{text} would be a lift of {value:+.0%}: write {text}% for {number:+g}%, or "
            f"{value * 100:g}% if {value:+.0%} is meant"
        )
    return value


def _split(text: str) -> list[float]:
    try:
        shares = [float(part.strip().removesuffix("%")) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, e.g. 50,25,25; got {text!r}"
        ) from None
    if not all(math.isfinite(x) and x > 0 for x in shares):
        raise argparse.ArgumentTypeError(f"shares must be positive numbers, got {text!r}")
    return shares


#: Options whose value may look like an option (``--min-lift -5%``): argparse takes only
#: plain negative numbers as values, so these are joined to their value before parsing.
_SIGNED_VALUES = ("--min-lift", "--alpha", "--split", "--mixing-variance")
_SIGNED = re.compile(r"-[0-9.][0-9.eE+\-,% ]*")


def _join_signed_values(argv: Sequence[str]) -> list[str]:
    """``["--min-lift", "-5%"]`` as ``["--min-lift=-5%"]``, so that the value is checked
    (and refused with its reason) rather than read as an unknown option."""
    out: list[str] = []
    for token in argv:
        if out and _takes_signed(out[-1]) and _SIGNED.fullmatch(token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def _takes_signed(option: str) -> bool:
    """``option`` is one of :data:`_SIGNED_VALUES`, or a prefix of one (argparse takes
    ``--min`` for ``--min-lift``)."""
    return (
        option.startswith("--")
        and len(option) > 2
        and any(name.startswith(option) for name in _SIGNED_VALUES)
    )


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (and exit status 2)."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        argv = sys.argv[1:] if args is None else list(args)
        return super().parse_known_args(_join_signed_values(argv), namespace)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """As argparse's, but an unknown option is reported by its command, with the option
        it most likely stands for (``--sequentail``: did you mean ``--sequential``?)."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = self.commands.get(getattr(parsed, "command", None) or "", self)
            command.error(
                f"unrecognized arguments: {' '.join(extras)}{_suggestion(command, extras)}"
            )
        return parsed

    @property
    def commands(self) -> dict[str, argparse.ArgumentParser]:
        """The parser of each subcommand, by name (none for a subcommand's own parser)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {text} (usage: {self.prog} --help)\n")


def _suggestion(parser: argparse.ArgumentParser, extras: Sequence[str]) -> str:
    """``" (did you mean --x?)"`` for the first unknown option close to one of ``parser``'s."""
    known = [s for action in parser._actions for s in action.option_strings if s.startswith("--")]
    for extra in extras:
        if extra.startswith("--"):
            close = difflib.get_close_matches(extra.split("=", 1)[0], known, n=1, cutoff=0.7)
            if close:
                return f" (did you mean {close[0]}?)"
    return ""


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
        "sample-ratio check: 50,25,25 or 50%%,25%%,25%% (default: an equal split)",
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
        "--type",
        choices=TYPES,
        default=None,
        help="show the reports of this type only, when the file holds one per type (default: "
        "every report)",
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
        "with an observed lift of at least --min-lift, 1 when none does, 2 on bad input; prints "
        "a one-line reason.",
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

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

import os
import sys
from collections.abc import Sequence

from .._errors import ReportMismatchError, ReportParseError, TTApiError, TTStatsError
from ._commands import FORMATS, describe, render
from ._io import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_NO,
    EXIT_OK,
    Progress,
    UsageError,
    example_report_path,
    load,
    one_line,
    say,
    write_output,
)
from ._options import build_parser

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERNAL",
    "EXIT_NO",
    "EXIT_OK",
    "FORMATS",
    "Progress",
    "UsageError",
    "build_parser",
    "describe",
    "example_report_path",
    "load",
    "main",
    "render",
    "write_output",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except TTApiError as err:
        code = f" (code {err.code})" if err.code is not None else ""
        text = one_line(err.message) if err.message else "no message"
        say(f"ttstats: the file is an API error response{code}: {text}", error=True)
        return EXIT_BAD_INPUT
    except ReportMismatchError as err:
        first = getattr(args, "file", None) or "the bundled example"
        say(f"ttstats: {first} and {args.without_extremes}: {one_line(err)}", error=True)
        return EXIT_BAD_INPUT
    except (ReportParseError, TTStatsError) as err:
        where = getattr(args, "file", None) or "the bundled example"
        say(f"ttstats: {where}: {one_line(err)}", error=True)
        return EXIT_BAD_INPUT
    except UsageError as err:
        say(f"ttstats: {one_line(err)}", error=True)
        return EXIT_BAD_INPUT
    except ValueError as err:  # an option the analysis refuses (e.g. metric = entry)
        say(f"ttstats: {one_line(err)}", error=True)
        return EXIT_BAD_INPUT
    except FileNotFoundError as err:
        say(f"ttstats: no such file: {err.filename}", error=True)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader left (``ttstats inspect big.xml | head``)
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as err:
        if err.filename is None:
            say(f"ttstats: {err.strerror or err}", error=True)
        else:
            say(f"ttstats: cannot read {err.filename}: {err.strerror or err}", error=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        say("ttstats: interrupted", error=True)
        return 130
    except Exception as err:  # a bug: one line and its own status, never check's "no" (1)
        if os.environ.get("TTSTATS_DEBUG"):
            raise
        say(
            f"ttstats: internal error, please report it (TTSTATS_DEBUG=1 shows the traceback): "
            f"{type(err).__name__}: {one_line(err)}",
            error=True,
        )
        return EXIT_INTERNAL
    return status


#: Exit status when the reader of standard output went away: 128 + SIGPIPE, as the shell
#: reports a command that a closed pipe stopped (not 0: a ``check`` cut off has decided nothing)
EXIT_BROKEN_PIPE = 141


def _quiet_stdout() -> None:
    """Point standard output at the null device, so that Python's final flush of what is
    still buffered does not fail a second time on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no file descriptor: nothing to flush
        pass

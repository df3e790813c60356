"""Reading the report a command names and writing what it produces."""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from importlib import resources
from pathlib import Path
from typing import BinaryIO

from .._errors import ReportParseError, ReportRepairWarning, TTApiError
from ..parse import Report, read_report

EXIT_OK, EXIT_NO, EXIT_BAD_INPUT = 0, 1, 2
#: An error of ttstats itself (a bug): never 1, which ``check`` answers for "no".
EXIT_INTERNAL = 3
EXAMPLE = "example-report.xml"


class UsageError(Exception):
    """A problem with the command line or the output the user asked for (exit status 2)."""


def one_line(err: object) -> str:
    """A message on one line: line breaks and other control characters become spaces (a
    message from a file must not pass for several lines, a traceback say)."""
    text = "".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in str(err))
    return " ".join(text.split())


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
        if not _is_terminal(sys.stderr) or (total or done) < self.min_bytes:
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


def say(text: str, *, error: bool = False) -> None:
    """Print one line to standard output (``error``: standard error), whatever happens to
    them: nothing when the stream is closed (``>&-``, ``2>&-``: sys.stdout or sys.stderr is
    None, and print() would fall back to the other stream), and the characters the stream's
    encoding cannot hold escaped (an ASCII terminal and a name with an accent)."""
    stream = sys.stderr if error else sys.stdout
    if stream is None:
        return
    line = text + "\n"
    try:
        stream.write(line)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(line.encode(encoding, "backslashreplace").decode(encoding))
    stream.flush()


def _is_terminal(stream: object) -> bool:
    """``stream`` is an open terminal (standard error may be closed: ``2>&-`` makes it None)."""
    try:
        return bool(stream is not None and stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def load(arg: str | None, *, strict: bool = False) -> tuple[Report, str]:
    """Read the report named on the command line; repairs stay in ``Report.warnings``."""
    source, label = _source(arg)
    progress = Progress(label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ReportRepairWarning)
            return read_report(source, strict=strict, progress=progress), label
    except TTApiError as err:
        code = f" (code {err.code})" if err.code is not None else ""
        text = one_line(err.message) if err.message else "no message"
        raise UsageError(f"{label}: the file is an API error response{code}: {text}") from None
    except ReportParseError as err:
        raise UsageError(f"{label}: {err}") from None
    except FileNotFoundError:
        raise UsageError(f"no such file: {label}") from None
    except OSError as err:  # a directory, no permission, a loop of links, a name too long...
        raise UsageError(f"cannot read {label}: {err.strerror or err}") from None
    finally:
        progress.close()


def write_output(text: str | bytes, path: str | None) -> None:
    """Write ``text`` to standard output (``path`` None or ``-``) or atomically to a file.

    The file is written beside its destination under a temporary name, flushed to disk and
    renamed over the destination, so a reader never sees half a readout. A symbolic link is
    followed (the file it names is replaced, the link stays); a pipe or a device is written
    into directly. A ``str`` is written as UTF-8, ``bytes`` as they are.
    """
    if path is None or path == "-":
        if sys.stdout is None:
            raise UsageError("standard output is closed: pass --output PATH to write a file")
        if isinstance(text, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
        else:
            try:
                sys.stdout.write(text)
            except UnicodeEncodeError:  # an ASCII terminal (PYTHONIOENCODING=ascii): UTF-8
                sys.stdout.flush()
                buffer = getattr(sys.stdout, "buffer", None)
                if buffer is None:
                    raise
                buffer.write(text.encode("utf-8"))
            sys.stdout.flush()
        return
    if not path.strip():
        raise UsageError("--output needs a file name (or - for standard output), got an empty one")
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

"""``read_report``: the entry point of the parse layer.

The input is read in chunks of a few MiB, each cut just before a tag, so that memory grows
with the output arrays and not with the file. Each chunk is tokenized, nested and extracted
with array operations (see the sibling modules); the records are assembled into a
:class:`~ttstats.parse.Report` at the end.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeAlias

import numpy as np

from .._errors import ReportParseError, ReportRepairWarning, TTApiError
from ._assemble import assemble
from ._extract import Records, extract
from ._issues import ChunkError, Issue
from ._markup import markup_regions, strip_markup
from ._report import ParseWarning, Report
from ._scan import I64, U8, ChunkBytes, invalid_bytes
from ._structure import Nesting, element_name, nest
from ._tokenize import (
    AMOUNT,
    CODE,
    MESSAGE,
    REPORTS,
    REVENUE,
    STEP,
    tokenize,
)
from ._warnings import WarningLog

Source: TypeAlias = str | bytes | bytearray | memoryview | os.PathLike[str] | BinaryIO
#: a block of input: bytes, or a view of the caller's bytes (not copied)
Block: TypeAlias = bytes | memoryview

#: bytes read at a time
CHUNK_SIZE = 2 << 20  # small enough for the per-chunk arrays to stay in cache
#: the longest single tag or text node accepted
MAX_TOKEN = 8 << 20

_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ASCII_COMPATIBLE = {"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"}


def read_report(
    source: Source,
    *,
    version: int | None = None,
    strict: bool = False,
    campaign_recipe: str = "Campaign",
    progress: Callable[[int, int | None], None] | None = None,
    max_cells: int | None = None,
) -> Report:
    """Read a Performance Report (API versions 1 and 2) into labelled arrays.

    Parameters
    ----------
    source : path, bytes, str or binary file
        A path (``str`` or ``os.PathLike``), the XML as ``bytes``, the XML as a ``str`` (a
        string that starts with ``<`` after white space), or a binary file object.
    version : {1, 2}, optional
        The API version the report was requested with. By default it is read from the
        document (a step with an ``<amount>`` child means version 2). Either way each
        element is read by where it stands: ``<amount>`` inside a step is its count, at
        recipe level it is the version-1 revenue of the final step.
    strict : bool, default False
        Refuse the first malformation met in reading order (with its line and column)
        instead of repairing it. An element never closed is named where it opened, but met
        where the tag that closes it (or the end) stands.
    campaign_recipe : str, default "Campaign"
        Name of the summary recipe, kept apart in :attr:`Report.campaign`.
    progress : callable, optional
        Called as ``progress(bytes_read, total_bytes_or_None)`` after each chunk.
    max_cells : int, optional
        The most cells (reports x samples x recipes x steps x measures, plus the two flags
        per report and sample) the result may hold. By default 64 per number read plus
        2,097,152 (16 MiB of float64): an omitted sample inside a report's grid is real
        (zeros), but a few samples years apart at hourly resolution must not turn a small
        file into gigabytes. Pass a larger value to read such a report anyway.

    Returns
    -------
    Report

    Raises
    ------
    TTApiError
        The document is a ``<message>`` error response.
    ReportParseError
        The input is not a readable report: binary data, text that is not in its encoding,
        a DOCTYPE (entities are never expanded and nothing external is loaded), a truncated
        document, arrays larger than ``max_cells`` or than memory allows, or (``strict``)
        any malformation. ``line`` and ``column`` say where.
    FileNotFoundError
        ``source`` names a file that does not exist.

    Notes
    -----
    Repairs (tolerant mode) and content that is not part of the format (unknown elements or
    attributes, stray text) are listed in :attr:`Report.warnings`, one entry each with line
    and column, and summarised in one :class:`~ttstats.ReportRepairWarning` per kind.

    Examples
    --------
    >>> import ttstats
    >>> r = ttstats.read_report(
    ...     '<reports><report campaignId="7" resolution="day" type="visit">'
    ...     '<sample start="2009-08-01T00:00" duration="day"><recipe name="A">'
    ...     '<step name="Entry"><amount>10.0</amount></step></recipe></sample>'
    ...     "</report></reports>"
    ... )
    >>> r.recipes, r.steps, float(r.count[0, 0, 0, 0])
    (('A',), ('Entry',), 10.0)
    """
    _check_options(version, strict, campaign_recipe, progress, max_cells)
    blocks, total = _open(source)
    rec = Records()
    state = Nesting()
    log = WarningLog()
    reader = _Reader(rec, state, log, strict)
    try:
        for chunk, final in _chunks(blocks):
            reader.feed(chunk, final)
            if progress is not None:
                progress(reader.offset, total)
        reader.finish()
        if rec.first_element == MESSAGE:
            code = rec.message_code[0] if rec.message_code else None
            raise TTApiError(
                rec.message[0] if rec.message else "",
                int(code)
                if code and code.isascii() and code.isdigit() and len(code) < 10
                else None,
            )
        report, totals = assemble(
            rec,
            log,
            version=version,
            campaign_recipe=campaign_recipe,
            strict=strict,
            max_cells=max_cells,
        )
    except _TooLongError as err:
        raise ReportParseError(str(err), *reader.here()) from None
    except MemoryError:
        raise ReportParseError(
            "not enough memory to read this report (read up to here); free some, or read a "
            "smaller request",
            *reader.here(),
        ) from None
    _emit(report.warnings, totals)
    return report


def _check_options(
    version: object, strict: object, campaign_recipe: object, progress: object, max_cells: object
) -> None:
    """TypeError or ValueError naming the first keyword argument that is not what it must be."""
    if version is not None and (isinstance(version, bool) or version not in (1, 2)):
        raise ValueError(f"version must be 1, 2 or None, not {version!r}")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be True or False, not {strict!r}")
    if not isinstance(campaign_recipe, str):
        raise TypeError(f"campaign_recipe must be a recipe name (str), not {campaign_recipe!r}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, not {progress!r}")
    if max_cells is not None:
        if isinstance(max_cells, bool) or not isinstance(max_cells, (int, np.integer)):
            raise TypeError(f"max_cells must be an integer or None, not {max_cells!r}")
        if max_cells < 1:
            raise ValueError(f"max_cells must be at least 1, not {max_cells}")


class _Reader:
    """Feeds chunks through tokenize → nest → extract, keeping positions global."""

    def __init__(self, rec: Records, state: Nesting, log: WarningLog, strict: bool):
        self.rec, self.state, self.log, self.strict = rec, state, log, strict
        self.offset = 0  # global offset of the current chunk
        self.lines = 0  # newlines before the current chunk
        self.last_nl = -1  # global offset of the last newline before the current chunk
        self.first = True
        self.seen_tag = False  # a tag (or text before the first one) was met

    def feed(self, chunk: bytes, final: bool) -> None:
        """Read one chunk; refuse it at the first fatal problem in the file's order.

        A fatal problem found in a chunk is raised only after the part of the chunk before
        it was read: a problem there (or a repair refused in strict mode) comes first in the
        file and wins. So the error does not depend on where the chunks were cut.
        """
        if self.first:
            chunk = self._prologue(chunk)
            self.first = False
        pending: _FatalError | None = None
        while True:
            try:
                self._feed(chunk, final)
            except _FatalError as err:
                pending = err
                if err.cut > 0:
                    chunk, final = chunk[: err.cut], False
                    continue
            break
        if pending is not None:
            raise ReportParseError(pending.reason, *pending.where) from None

    def _fatal(self, chunk: bytes, loc: Callable[[I64], I64], err: ChunkError) -> _FatalError:
        """The error of ``err`` located, with a cut before it that no comment hides."""
        cut = chunk.rfind(b"<", 0, err.pos + 1) if err.cut is None else err.cut
        for start, end in markup_regions(chunk, stop=max(cut, 0) + 1):
            if end < 0 or end > cut:
                cut = start
                break
        return _FatalError(err.reason, _unpack(int(loc(np.asarray([err.pos]))[0])), cut)

    def _feed(self, chunk: bytes, final: bool) -> None:
        raw = np.frombuffer(chunk, np.uint8)
        nl = _line_breaks(chunk, raw)

        def loc(pos: I64) -> I64:
            pos = np.asarray(pos, dtype=np.int64)
            k = np.searchsorted(nl, pos)
            line = self.lines + k + 1
            prev = np.where(
                k > 0, nl[np.maximum(k - 1, 0)] if len(nl) else 0, self.last_nl - self.offset
            )
            col = pos - prev
            return (line.astype(np.int64) << 32) | np.minimum(col, 2**32 - 1).astype(np.int64)

        bad = invalid_bytes(chunk, raw)
        if len(bad):
            why = (
                f"byte 0x{raw[bad[0]]:02x} is not allowed in XML: not a text report (binary data?)"
            )
            raise self._fatal(chunk, loc, ChunkError(why, int(bad[0])))
        try:
            buf = strip_markup(chunk)
        except ChunkError as err:
            raise self._fatal(chunk, loc, err) from None
        c = ChunkBytes(buf)
        a = c.a
        try:
            tokens = tokenize(c, final)
            if len(tokens):
                widest = int(np.argmax(tokens.end - tokens.start))
                if tokens.end[widest] - tokens.start[widest] > MAX_TOKEN:
                    raise ChunkError(
                        f"a single tag is longer than {MAX_TOKEN >> 20} MiB: not a report",
                        int(tokens.start[widest]),
                    )
                longest = int(np.argmax(tokens.text_end - tokens.end))
                if tokens.text_end[longest] - tokens.end[longest] > MAX_TOKEN:
                    raise ChunkError(
                        f"a single text node is longer than {MAX_TOKEN >> 20} MiB: not a report",
                        int(tokens.end[longest]) + 1,
                    )
            if not self.seen_tag:
                # text before the document's first tag (the chunks before it may hold no tag)
                lead = buf[: tokens.start[0]] if len(tokens) else buf
                shown = lead.strip()[:40].decode("utf-8", "replace")
                if shown:
                    tokens.issues.append(
                        Issue(
                            len(lead) - len(lead.lstrip()),
                            "stray-text",
                            f"text {shown!r} before the first tag ignored",
                        )
                    )
                self.seen_tag = bool(len(tokens)) or bool(shown)
            events = nest(c, tokens, self.state, loc)
            extract(c, tokens, events, self.rec, loc)
        except ChunkError as err:
            raise self._fatal(chunk, loc, err) from None
        issues = tokens.issues
        if self.strict:
            # the first repair found in reading order (which chunking cannot change)
            def found(x: Issue) -> tuple[int, int, int, int]:
                at = x.pos if x.found_at is None else x.found_at
                # found together (closed by one tag): the one opened first
                return (at, x.located is None, x.located or 0, x.pos)

            for issue in sorted(issues, key=found):
                if issue.repair:
                    where = (
                        issue.located
                        if issue.located is not None
                        else loc(np.asarray([issue.pos]))[0]
                    )
                    line, col = _unpack(int(where))
                    raise ReportParseError(
                        f"{issue.message} (a repair: strict mode refuses it)", line, col
                    )
        if issues:
            packed = loc(np.asarray([i.pos for i in issues], dtype=np.int64)).tolist()
            packed = [
                p if i.located is None else i.located for i, p in zip(issues, packed, strict=True)
            ]
            for issue, p in zip(issues, packed, strict=True):
                line, col = _unpack(p)
                if issue.more:
                    self.log.add_more(line, col, issue.kind, issue.more)
                elif issue.group is not None:
                    self.log.add_grouped(
                        issue.group, line, col, issue.kind, issue.message, issue.count
                    )
                else:
                    self.log.add(line, col, issue.kind, issue.message)
        self.end_loc = int(loc(np.asarray([len(a)]))[0])
        self.lines += len(nl)
        if len(nl):
            self.last_nl = self.offset + int(nl[-1])
        self.offset += len(buf)

    def here(self) -> tuple[int, int]:
        """Line and column where the next chunk begins (where reading stopped)."""
        return self.lines + 1, self.offset - self.last_nl

    def _prologue(self, chunk: bytes) -> bytes:
        if chunk.startswith(codecs.BOM_UTF8):
            chunk = b"   " + chunk[3:]  # keep columns: the BOM is 3 bytes
        m = _DECL.match(chunk.lstrip())
        if m:
            try:
                enc = codecs.lookup(m.group(1).decode("ascii")).name
            except LookupError:
                raise ReportParseError(
                    f"unknown encoding {m.group(1).decode('ascii', 'replace')!r} declared", 1, 1
                ) from None
            if enc not in _ASCII_COMPATIBLE:
                raise ReportParseError(f"encoding {m.group(1).decode()!r} is not supported", 1, 1)
            self.rec.encoding = enc
        return chunk

    def finish(self) -> None:
        """Close what the document left open, or refuse a truncated document."""
        stack = self.state.stack
        if not stack:
            return
        line, col = _unpack(self.end_loc) if hasattr(self, "end_loc") else (1, 1)
        for frame in stack:
            if frame.code in (REPORTS, AMOUNT, REVENUE, CODE, MESSAGE) or (
                frame.code == STEP and self.rec.has_step_text and not self.rec.has_step_amount
            ):
                raise ReportParseError(
                    f"document ends inside <{element_name(frame.code, frame.name)}>: truncated?",
                    line,
                    col,
                )
        if self.strict:
            raise ReportParseError(
                f"<{element_name(stack[-1].code, stack[-1].name)}> is never closed (closing it is a repair: strict mode refuses it)",
                line,
                col,
            )
        frames = stack[::-1]
        self.log.each(
            [(line, col)] * len(frames),
            "unclosed",
            lambda j: (
                f"<{element_name(frames[j].code, frames[j].name)}> never closed; closed "
                "at the end of the document"
            ),
        )
        self.state.stack = []


def _unpack(packed: int) -> tuple[int, int]:
    return packed >> 32, packed & 0xFFFFFFFF


def _line_breaks(chunk: bytes, a: U8) -> I64:
    """Positions that end a line: each LF, and each CR not followed by LF (XML's line ends).

    For CR LF the LF is the break, so that columns count from it.
    """
    nl = np.flatnonzero(a == 10)
    if b"\r" not in chunk:
        return nl
    cr = np.flatnonzero(a == 13)
    alone = cr[(cr + 1 >= len(a)) | (a[np.minimum(cr + 1, len(a) - 1)] != 10)]
    return np.union1d(nl, alone) if len(alone) else nl


def _exists(path: Path) -> bool:
    """``path`` names something; False also for a name the system cannot take (too long)."""
    try:
        return path.exists()
    except OSError:
        return False


def _open(source: Source) -> tuple[Iterator[Block], int | None]:
    """The input as an iterator of byte blocks, and its size when known."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return _split(data), len(data)
    if isinstance(source, str) and (source.lstrip("\ufeff \t\r\n").startswith("<") or not source):
        data = _as_utf8(source)
        return _split(data), len(data)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if isinstance(source, str) and "<" in source and not _exists(path):
            # text that is neither a file nor XML (XML starts with "<"): say so, briefly
            shown = source if len(source) <= 60 else source[:57] + "..."
            raise FileNotFoundError(
                errno.ENOENT,
                "no such file; and as XML text it would have to start with '<'",
                shown,
            )
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "a directory, not a report file", str(path))
        size = path.stat().st_size  # raises FileNotFoundError with the path
        return _read_file(path), size
    if hasattr(source, "read"):
        return _read_stream(source), None
    raise TypeError(
        f"source must be a path, bytes, an XML string or a binary file, not {type(source).__name__}"
    )


def _as_utf8(text: str) -> bytes:
    """A str as UTF-8 bytes; a character UTF-8 cannot hold (a lone surrogate) is refused."""
    # a str has no byte encoding of its own: drop a declared one
    text = re.sub(r"""^(\s*<\?xml[^>]*?)encoding\s*=\s*["'][^"']*["']""", r"\1", text)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise _text_error(
            text[: err.start],
            f"character U+{ord(text[err.start]):04X} (a lone surrogate) is not allowed in XML",
        ) from None


def _text_error(before: str, reason: str) -> ReportParseError:
    """A ReportParseError at the end of ``before`` (the text read so far; columns in bytes
    of its UTF-8 form, as everywhere else)."""
    before = before.replace("\r\n", "\n").replace("\r", "\n")
    line = before.count("\n") + 1
    tail = before[before.rfind("\n") + 1 :]
    return ReportParseError(reason, line, len(tail.encode("utf-8", "surrogatepass")) + 1)


#: how UTF-16 announces itself: a byte order mark, or an XML declaration's '<?' (XML 1.0,
#: appendix F)
_UTF16 = {
    codecs.BOM_UTF16_LE: "utf-16",
    codecs.BOM_UTF16_BE: "utf-16",
    b"<\x00?\x00": "utf-16-le",
    b"\x00<\x00?": "utf-16-be",
}


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec the first bytes announce, or None."""
    return _UTF16.get(head[:2]) or _UTF16.get(head[:4])


def _split(data: bytes) -> Iterator[Block]:
    codec = _utf16(data)
    if codec is not None:
        try:
            data = _as_utf8(data.decode(codec))
        except UnicodeDecodeError as err:
            before = data[: err.start].decode(codec, "replace")
            what = "it ends in the middle of a character" if err.end >= len(data) else err.reason
            raise _text_error(before, f"not valid UTF-16: {what}") from None
    view = memoryview(data)  # blocks without copies; the chunker copies each once
    for i in range(0, max(len(data), 1), CHUNK_SIZE):
        yield view[i : i + CHUNK_SIZE]


def _read_file(path: Path) -> Iterator[Block]:
    with path.open("rb") as fh:
        yield from _read_stream(fh)


def _read_stream(fh: BinaryIO | io.BufferedReader) -> Iterator[Block]:
    first = True
    while True:
        block: bytes | str = fh.read(CHUNK_SIZE)
        if isinstance(block, str):
            raise TypeError("the file object must be opened in binary mode ('rb')")
        if first and _utf16(block) is not None:
            yield from _split(block + fh.read())
            return
        first = False
        if not block:
            return
        yield block


class _FatalError(Exception):
    """A fatal problem of a chunk, located, and where to cut the chunk before it."""

    def __init__(self, reason: str, where: tuple[int, int], cut: int) -> None:
        super().__init__(reason)
        self.reason, self.where, self.cut = reason, where, cut


class _TooLongError(Exception):
    """A tag or text node longer than :data:`MAX_TOKEN`, starting where the reader stands."""


def _chunks(blocks: Iterator[Block]) -> Iterator[tuple[bytes, bool]]:
    """Regroup blocks into chunks that end just before a tag (or a comment) begins."""
    carry = b""
    it = iter(blocks)
    block = next(it, b"")
    too_long = f"a single tag or text node is longer than {MAX_TOKEN >> 20} MiB: not a report"
    while True:
        nxt = next(it, None)
        data = carry + block
        if nxt is None:
            yield data, True
            return
        cut = data.rfind(b"<")
        # never cut inside a comment or processing instruction: cut where it begins
        for start, end in markup_regions(data, stop=cut + 1):
            if end < 0 or end > cut:
                cut = start
                break
        if cut <= 0:
            if len(data) > MAX_TOKEN:
                raise _TooLongError(too_long)
            carry, block = data, nxt
            continue
        yield data[:cut], False
        carry, block = data[cut:], nxt
        if len(carry) > MAX_TOKEN:
            raise _TooLongError(too_long)


def _emit(found: tuple[ParseWarning, ...], totals: Counter[str]) -> None:
    """One Python warning per kind, pointing at :attr:`Report.warnings`."""
    first: dict[str, ParseWarning] = {}
    for w in found:
        first.setdefault(w.kind, w)
    for kind, w in first.items():
        n = totals[kind] - 1
        more = f" (and {n} more; see Report.warnings)" if n > 0 else ""
        warnings.warn(f"{w}{more}", ReportRepairWarning, stacklevel=3)

"""Comments and processing instructions: found in document order and blanked out.

Neither carries anything a Performance Report needs; both may hold ``>``, ``<`` and quotes
that would otherwise be taken for markup.
"""

from __future__ import annotations

from collections.abc import Iterator

from ._issues import ChunkError
from ._scan import LT

_MARKUP_END = {b"<!--": b"-->", b"<?": b"?>"}
_MARKUP_NAME = {b"<!--": "comment", b"<?": "processing instruction"}


def markup_regions(buf: bytes, stop: int | None = None) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each comment and processing instruction, in document order.

    ``end`` is one past the closing ``-->`` or ``?>``, or -1 when the region is not closed
    within ``buf``. The scan is sequential, so a ``<?`` inside a comment (or ``<!--`` inside a
    processing instruction) is part of it and starts nothing. Regions starting at or after
    ``stop`` are not listed. The search looks for the rare bytes ``!`` and ``?`` (a fast
    ``memchr``), not for ``<``, which is everywhere in XML.
    """
    limit = len(buf) if stop is None else stop
    at = 0
    bang = buf.find(b"!", 1, limit)
    ask = buf.find(b"?", 1, limit)
    while bang >= 0 or ask >= 0:
        # the next '<!--' or '<?' at or after ``at``
        while bang >= 0 and (bang - 1 < at or buf[bang - 1 : bang + 3] != b"<!--"):
            bang = buf.find(b"!", bang + 1, limit)
        while ask >= 0 and (ask - 1 < at or buf[ask - 1] != LT):
            ask = buf.find(b"?", ask + 1, limit)
        if bang < 0 and ask < 0:
            return
        if ask < 0 or 0 <= bang < ask:
            start, opening = bang - 1, b"<!--"
        else:
            start, opening = ask - 1, b"<?"
        close = buf.find(_MARKUP_END[opening], start + len(opening))
        if close < 0:
            yield start, -1
            return
        at = close + len(_MARKUP_END[opening])
        yield start, at


def strip_markup(buf: bytes) -> bytes:
    """Blank out comments and processing instructions (keeping line breaks).

    Neither carries anything a Performance Report needs (the XML declaration is read before
    this, by the reader). Blanking keeps every byte's position, so lines and columns stay
    right; a processing instruction may hold ``>`` or quotes that would otherwise be taken
    for markup. Raises :class:`ChunkError` for one that is never closed.
    """
    if b"!" not in buf and b"?" not in buf:
        return buf
    out: bytearray | None = None
    for start, end in markup_regions(buf):
        if end < 0:
            what = _MARKUP_NAME[b"<!--" if buf.startswith(b"<!--", start) else b"<?"]
            raise ChunkError(f"{what} never closed", start)
        if out is None:
            out = bytearray(buf)
        out[start:end] = out[start:end].translate(_BLANK)
    return buf if out is None else bytes(out)


#: every byte but the line breaks becomes a space
_BLANK = bytes(b if b in (10, 13) else 32 for b in range(256))

"""Vectorised byte-level helpers: classify bytes, gather fixed windows, read numbers and names.

Everything here works on a ``uint8`` view of one chunk of the document and on arrays of
positions into it, so that millions of values are read with a handful of numpy calls.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

LT, GT, QUOT, APOS, AMP, SLASH, EQ, BANG, QMARK, NL = (ord(c) for c in "<>\"'&/=!?\n")

#: bytes that may not occur in an XML 1.0 document (C0 controls but tab, LF, CR)
_INVALID = np.zeros(256, dtype=np.bool_)
_INVALID[:32] = True
_INVALID[[9, 10, 13]] = False

_WS = np.zeros(256, dtype=np.bool_)
_WS[[9, 10, 13, 32]] = True

#: bytes that end an element or attribute name
_NAME_END = _WS.copy()
_NAME_END[[GT, SLASH, EQ, QUOT, APOS, LT]] = True

#: bytes allowed in a number's text (plus white space)
_NUMERIC = _WS.copy()
_NUMERIC[[ord(c) for c in "0123456789.eE+-"]] = True

#: bytes that may be part of an attribute name
_NAME_CHAR = np.zeros(256, dtype=np.bool_)
_NAME_CHAR[[ord(c) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.-"]] = (
    True
)
_NAME_CHAR[128:] = True

NUMBER_WIDTH = 32
NAME_WIDTH = 24
STRING_WIDTH = 64


def is_ws(a: U8) -> Bool:
    """True where a byte is XML white space."""
    return _WS[a]


def invalid_bytes(a: U8) -> I64:
    """Positions of bytes that XML 1.0 forbids (NUL and other C0 controls)."""
    return np.flatnonzero(_INVALID[a])


def window(a: U8, start: I64, width: int, end: I64 | None = None, fill: int = 0) -> U8:
    """Gather ``a[start : start + width]`` for every start, as an ``(n, width)`` matrix.

    Bytes at or past ``end`` (default: the end of ``a``) are replaced by ``fill``.
    """
    n = len(a)
    idx = start[:, None] + np.arange(width, dtype=np.int64)[None, :]
    limit = (np.full(len(start), n, np.int64) if end is None else np.minimum(end, n))[:, None]
    inside = idx < limit
    out = a[np.minimum(idx, n - 1) if n else idx]
    out = np.where(inside, out, np.uint8(fill))
    return out.astype(np.uint8, copy=False)


def first_true(mask: Bool) -> I64:
    """Index of the first True in each row of a 2-D mask (the row width when none is)."""
    hit = mask.any(axis=1)
    return np.where(hit, mask.argmax(axis=1), mask.shape[1]).astype(np.int64)


def name_length(a: U8, start: I64, width: int = NAME_WIDTH) -> I64:
    """Length of the name beginning at each start (``width`` when it runs past the window)."""
    win = window(a, start, width, fill=GT)
    return first_true(_NAME_END[win])


def classify_names(a: U8, start: I64, length: I64, names: tuple[bytes, ...]) -> I64:
    """Code of each name (its index in ``names``), -1 when it is none of them."""
    code = np.full(len(start), -1, dtype=np.int64)
    if not len(start):
        return code
    width = max(len(x) for x in names)
    win = window(a, start, width)
    for i, name in enumerate(names):
        L = len(name)
        ref = np.frombuffer(name, np.uint8)
        hit = (length == L) & (win[:, :L] == ref).all(axis=1)
        code[hit] = i
    return code


def attribute_name_start(a: U8, eq: I64, width: int = NAME_WIDTH) -> I64:
    """Start of the attribute name that ends just before each ``=`` at ``eq``.

    The name is the longest run of name characters before ``=``; when the run fills the whole
    window the start is returned as ``eq - width`` (too long for a known name).
    """
    if not len(eq):
        return eq.copy()
    idx = eq[:, None] - width + np.arange(width, dtype=np.int64)[None, :]
    win = np.where(idx >= 0, a[np.maximum(idx, 0)], np.uint8(32))
    not_name = ~_NAME_CHAR[win]
    # last non-name char in the window, searching from the right
    rev = not_name[:, ::-1]
    k = first_true(rev)  # distance from the right end to the last non-name char
    return eq - k


def parse_numbers(a: U8, start: I64, end: I64) -> tuple[F64, Bool]:
    """Read the number in each span ``[start, end)``; also say which spans were readable.

    Spans hold decimal text with optional white space (``476.0``, ``4382.00000``). A span that
    is empty, holds other characters, or does not form a number gives NaN and False. Spans
    longer than :data:`NUMBER_WIDTH` bytes are stripped and read one by one.
    """
    n = len(start)
    values = np.full(n, np.nan)
    ok = np.zeros(n, dtype=np.bool_)
    if not n:
        return values, ok
    length = end - start
    short = length <= NUMBER_WIDTH
    si = np.flatnonzero(short)
    if len(si):
        win = window(a, start[si], NUMBER_WIDTH, end[si], fill=32)
        allowed = _NUMERIC[win].all(axis=1)
        nonblank = (~_WS[win]).any(axis=1)
        good = allowed & nonblank
        gi = si[good]
        if len(gi):
            strings = np.ascontiguousarray(win[good]).view(f"S{NUMBER_WIDTH}").ravel()
            try:
                values[gi] = strings.astype(np.float64)
                ok[gi] = True
            except ValueError:
                for j, s in zip(gi, strings, strict=True):
                    values[j], ok[j] = _one_number(bytes(s))
    buf = a.tobytes() if np.any(~short) else b""
    for j in np.flatnonzero(~short):
        values[j], ok[j] = _one_number(buf[start[j] : end[j]])
    return values, ok


def _one_number(text: bytes) -> tuple[float, bool]:
    t = text.strip()
    if not t or not _NUMERIC[np.frombuffer(t, np.uint8)].all():
        return float("nan"), False
    try:
        return float(t), True
    except ValueError:
        return float("nan"), False


def span_codes(a: U8, start: I64, end: I64) -> tuple[I64, list[bytes]]:
    """Deduplicate the byte strings in spans ``[start, end)``.

    Returns a code per span and the distinct byte strings (``codes`` index into them). Spans
    are compared as whole byte strings; long ones are handled one by one.
    """
    n = len(start)
    codes = np.full(n, -1, dtype=np.int64)
    uniques: list[bytes] = []
    if not n:
        return codes, uniques
    length = end - start
    short = length <= STRING_WIDTH
    si = np.flatnonzero(short)
    lookup: dict[bytes, int] = {}
    if len(si):
        win = window(a, start[si], STRING_WIDTH, end[si], fill=0)
        # the length byte makes "a\0" and "a" differ
        keyed = np.concatenate([win, length[si, None].astype(np.uint8)], axis=1)
        keys = np.ascontiguousarray(keyed).view(f"V{STRING_WIDTH + 1}").ravel()
        uniq, inverse = np.unique(keys, return_inverse=True)
        base = len(uniques)
        for u in uniq:
            raw = u.tobytes()
            uniques.append(raw[: raw[-1]])
        for i, u in enumerate(uniques[base:]):
            lookup[u] = base + i
        codes[si] = base + inverse.ravel()
    li = np.flatnonzero(~short)
    if len(li):
        buf = a.tobytes()
        for j in li:
            s = buf[start[j] : end[j]]
            if s not in lookup:
                lookup[s] = len(uniques)
                uniques.append(s)
            codes[j] = lookup[s]
    return codes, uniques

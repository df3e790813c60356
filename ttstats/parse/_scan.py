"""Vectorised byte-level helpers: classify bytes, gather fixed windows, read numbers and names.

Everything here works on a ``uint8`` view of one chunk of the document and on arrays of
positions into it, so that millions of values are read with a handful of numpy calls.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
#: integer index arrays (positions are int32 inside a chunk, ordinals int64)
I64 = npt.NDArray[np.signedinteger[Any]]
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
_NAME_CHAR[
    [ord(c) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.-"]
] = True
_NAME_CHAR[128:] = True

NUMBER_WIDTH = 32
NAME_WIDTH = 24
STRING_WIDTH = 64


def is_ws(a: U8) -> Bool:
    """True where a byte is XML white space."""
    return _WS[a]


def name_ends(a: U8) -> Bool:
    """True where a byte ends an element or attribute name."""
    out: Bool = _NAME_END[a]
    return out


def is_name_char(a: U8) -> Bool:
    """True where a byte may be part of an element or attribute name."""
    return _NAME_CHAR[a]


def invalid_bytes(raw: bytes, a: U8) -> I64:
    """Positions of bytes that XML 1.0 forbids (NUL and other C0 controls)."""
    controls = int(np.count_nonzero(a < 32))
    if controls == raw.count(b"\n") or controls == raw.count(b"\n") + raw.count(b"\t") + raw.count(
        b"\r"
    ):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(_INVALID[a])


PAD = 80  # zero bytes after each chunk, so that 8-byte reads never run off its end


class ChunkBytes:
    """One chunk as bytes, as a ``uint8`` array and as 8-byte words at every offset."""

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.padded = buf + bytes(PAD)
        self.a: U8 = np.frombuffer(self.padded, np.uint8)[: len(buf)]
        self._nonws: npt.NDArray[np.int32] | None = None
        #: ``w[i]`` is the little-endian 64-bit word of bytes ``i .. i+7`` (a strided view)
        self.w: npt.NDArray[np.uint64] = np.ndarray(
            shape=(len(buf) + PAD - 8,), dtype="<u8", buffer=self.padded, strides=(1,)
        )

    def __len__(self) -> int:
        return len(self.buf)

    @property
    def nonws(self) -> npt.NDArray[np.int32]:
        """Running count of non-white bytes: ``nonws[i]`` counts bytes ``0 .. i``."""
        if self._nonws is None:
            # the reader refuses other control bytes first, so white space is a <= 32
            self._nonws = np.cumsum(self.a > 32, dtype=np.int32)
        return self._nonws

    def has_nonws(self, s: I64, e: I64) -> Bool:
        """Whether each span ``[s, e)`` holds anything but white space.

        Spans of up to 16 bytes are tested eight bytes at a time: a byte is not white space
        when it is above 32, i.e. when ``(b & 0x7f) + 0x5f`` or ``b`` has its top bit set.
        A span of 1 to 8 bytes is its first word shifted left until only its bytes remain;
        one of 9 to 16 bytes is covered by the words at its start and 8 bytes before its end.
        """
        length = e - s
        first = self.w[np.minimum(s, len(self.w) - 1)]
        upto8 = np.clip(length, 1, 8).astype(np.uint64)
        head = np.where(length <= 8, first << ((np.uint64(8) - upto8) * np.uint64(8)), first)
        out = _nonws_bits(head)
        mid = length > 8
        if mid.any():
            tail = self.w[np.maximum(e[mid] - 8, 0)]
            out[mid] |= _nonws_bits(tail)
        out &= length > 0
        long = np.flatnonzero(length > 16)
        if 0 < len(long) <= 4096:
            # a few long spans: look at them one by one, not at a running count of the chunk
            buf = self.buf
            spans = zip(s[long].tolist(), e[long].tolist(), strict=True)
            out[long] = [bool(buf[i:j].strip(b" \t\r\n")) for i, j in spans]
        elif len(long):
            out[long] = self.count_nonws(s[long], e[long]) > 0
        return out

    def count_nonws(self, s: I64, e: I64) -> I64:
        """Non-white bytes in each span ``[s, e)``."""
        cs = self.nonws
        hi = np.where(e > 0, cs[np.clip(e - 1, 0, max(len(cs) - 1, 0))], 0)
        lo = np.where(s > 0, cs[np.clip(s - 1, 0, max(len(cs) - 1, 0))], 0)
        return np.where(e > s, hi - lo, 0).astype(np.int64)


_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_ADD = np.uint64(0x5F5F5F5F5F5F5F5F)
_TOP = np.uint64(0x8080808080808080)


def _nonws_bits(w: npt.NDArray[np.uint64]) -> Bool:
    """True where a word holds a byte above 32 (anything but white space or zero)."""
    out: Bool = ((((w & _LOW7) + _ADD) | w) & _TOP) != 0
    return out


def _byte_mask(remaining: I64) -> npt.NDArray[np.uint64]:
    """Mask keeping the first ``remaining`` bytes (0..8) of a little-endian word."""
    r = np.clip(remaining, 0, 8).astype(np.uint64)
    partial = (np.uint64(1) << (np.minimum(r, 7) * np.uint64(8))) - np.uint64(1)
    out: npt.NDArray[np.uint64] = np.where(r >= 8, _ALL, partial).astype(np.uint64)
    return out


def words(c: ChunkBytes, start: I64, nwords: int, end: I64 | None = None) -> npt.NDArray[np.uint64]:
    """The bytes ``start .. start + 8*nwords`` as an ``(n, nwords)`` array of words.

    Bytes at or past ``end`` are zero.
    """
    out = np.empty((len(start), nwords), dtype=np.uint64)
    length = None if end is None else end - start
    for k in range(nwords):
        wk = c.w[start + 8 * k]
        if length is not None:
            # keep the first r bytes: shift them to the top and back, zeros come in behind
            r = np.clip(length - 8 * k, 0, 8).astype(np.uint64)
            drop = (np.uint64(8) - np.maximum(r, np.uint64(1))) * np.uint64(8)
            wk = np.where(r > 0, (wk << drop) >> drop, np.uint64(0))
        out[:, k] = wk
    return out


def window(a: U8, start: I64, width: int, end: I64 | None = None, fill: int = 0) -> U8:
    """Gather ``a[start : start + width]`` for every start, as an ``(n, width)`` matrix.

    Bytes at or past ``end`` (default: the end of ``a``) are replaced by ``fill``. Used only
    for the few tags the word-based readers cannot classify.
    """
    n = len(a)
    idx = start[:, None] + np.arange(width, dtype=np.int64)[None, :]
    limit = (np.full(len(start), n, np.int64) if end is None else np.minimum(end, n))[:, None]
    inside = idx < limit
    out = a[np.minimum(idx, n - 1) if n else idx]
    filled: U8 = np.where(inside, out, np.uint8(fill)).astype(np.uint8, copy=False)
    return filled


def first_true(mask: Bool) -> I64:
    """Index of the first True in each row of a 2-D mask (the row width when none is)."""
    hit = mask.any(axis=1)
    out: I64 = np.where(hit, mask.argmax(axis=1), mask.shape[1]).astype(np.int64)
    return out


def name_length(a: U8, start: I64, width: int = NAME_WIDTH) -> I64:
    """Length of the name beginning at each start (``width`` when it runs past the window)."""
    win = window(a, start, width, fill=GT)
    return first_true(_NAME_END[win])


class _NameTable:
    """Known names keyed by their first three bytes (names sharing them are tried longest
    first), with each name's bytes as up to three masked little-endian words."""

    def __init__(self, names: tuple[bytes, ...]) -> None:
        by_key: dict[int, list[int]] = {}
        for i, name in enumerate(names):
            by_key.setdefault(int.from_bytes(name[:3], "little"), []).append(i)
        keys = sorted(by_key)
        depth = max(len(v) for v in by_key.values())
        # a perfect hash of the keys into 64 slots: (key * mult) >> 58, with a multiplier
        # found once (deterministically) that sends no two keys to the same slot
        mult = 0x9E3779B97F4A7C15
        while len({((k * mult) % 2**64) >> 58 for k in keys}) < len(keys):
            mult = (mult * 6364136223846793005 + 1442695040888963407) % 2**64 | 1
        self.mult = np.uint64(mult)
        self.keys = np.full(64, 2**63, dtype=np.uint64)  # no 3-byte key is this large
        self.cands = np.full((64, depth), -1, dtype=np.int64)
        for key in keys:
            slot = ((key * mult) % 2**64) >> 58
            self.keys[slot] = key
            ordered = sorted(by_key[key], key=lambda i: -len(names[i]))
            self.cands[slot, : len(ordered)] = ordered
        self.nwords = max(-(-len(x) // 8) for x in names)
        self.refs = np.zeros((len(names), self.nwords), dtype=np.uint64)
        self.masks = np.zeros((len(names), self.nwords), dtype=np.uint64)
        for i, name in enumerate(names):
            padded = name + bytes(-len(name) % 8)
            for k in range(-(-len(name) // 8)):
                self.refs[i, k] = int.from_bytes(padded[8 * k : 8 * k + 8], "little")
                self.masks[i, k] = (1 << (8 * min(8, len(name) - 8 * k))) - 1
        self.lens = np.asarray([len(x) for x in names], dtype=np.int64)


_TABLES: dict[tuple[bytes, ...], _NameTable] = {}


def match_names(c: ChunkBytes, start: I64, names: tuple[bytes, ...]) -> tuple[I64, I64]:
    """Code (index in ``names``, -1 for none) and length of the name at each start.

    A name matches when its bytes stand at ``start`` and a delimiter (white space, ``>``,
    ``/``, ``=``) follows. Each start's first three bytes pick the candidate names (a perfect
    hash into 64 slots), whose words are then compared; names of no known kind
    get their length measured separately.
    """
    n = len(start)
    code = np.full(n, -1, dtype=np.int64)
    length = np.zeros(n, dtype=np.int64)
    if not n:
        return code, length
    table = _TABLES.get(names)
    if table is None:
        table = _TABLES[names] = _NameTable(names)
    w0 = c.w[start]
    key = w0 & np.uint64(0xFFFFFF)
    at = (key * table.mult) >> np.uint64(58)
    rows = np.flatnonzero(table.keys[at] == key)
    slot = at[rows]
    size = len(c)
    for d in range(table.cands.shape[1]):
        cand = table.cands[slot, d]
        has = cand >= 0
        rows, slot, cand = rows[has], slot[has], cand[has]
        if not len(rows):
            break
        s0 = start[rows]
        same = (w0[rows] & table.masks[cand, 0]) == table.refs[cand, 0]
        for k in range(1, table.nwords):
            longer = np.flatnonzero(same & (table.lens[cand] > 8 * k))
            if len(longer):
                wk = c.w[s0[longer] + 8 * k] & table.masks[cand[longer], k]
                same[longer] &= wk == table.refs[cand[longer], k]
        stop = s0 + table.lens[cand]
        nxt = c.a[np.minimum(stop, max(size - 1, 0))] if size else np.zeros(0, np.uint8)
        same &= _NAME_END[nxt] | (stop >= size)
        code[rows[same]] = cand[same]
        length[rows[same]] = table.lens[cand[same]]
        rows, slot = rows[~same], slot[~same]
    unknown = np.flatnonzero(code < 0)
    if len(unknown):
        length[unknown] = name_length(c.a, start[unknown])
    return code, length


def attribute_name_start(a: U8, eq: I64, width: int = NAME_WIDTH) -> I64:
    """Start of the attribute name that ends just before each ``=`` at ``eq``.

    The name is the longest run of name characters before ``=``; when the run fills the whole
    window the start is returned as ``eq - width`` (too long for a known name).
    """
    if not len(eq):
        return np.zeros(0, dtype=np.int64)
    idx = eq[:, None] - width + np.arange(width, dtype=np.int64)[None, :]
    win = np.where(idx >= 0, a[np.maximum(idx, 0)], np.uint8(32))
    not_name = ~_NAME_CHAR[win]
    # last non-name char in the window, searching from the right
    rev = not_name[:, ::-1]
    k = first_true(rev)  # distance from the right end to the last non-name char
    return eq - k


#: what :func:`parse_numbers` reports as the decimals of an unreadable span
NO_DECIMALS = np.iinfo(np.int64).max


def parse_numbers(
    c: ChunkBytes, start: I64, end: I64, *, decimals: bool = False
) -> tuple[F64, Bool, I64 | None]:
    """Read the number in each span ``[start, end)``; also say which spans were readable.

    Spans hold decimal text with optional white space (``476.0``, ``4382.00000``). A span that
    is empty, holds other characters, or does not form a finite number gives NaN and False.
    Spans longer than :data:`NUMBER_WIDTH` bytes are stripped and read one by one.

    With ``decimals=True`` the third result gives, for each span, the digits printed after the
    decimal point less the exponent (``558.00000``: 5, ``558``: 0, ``1.5e3``: -2); it is
    :data:`NO_DECIMALS` for an unreadable span. Otherwise it is None.
    """
    n = len(start)
    length = end - start
    # plain decimals ("476.0", "4382.00000"): integer arithmetic on 8-byte words
    fast_ok, fast_val, fast_dec = _plain_decimals(c, start, length)
    if n and bool(fast_ok.all()):
        return fast_val, fast_ok, fast_dec if decimals else None
    values = np.full(n, np.nan)
    ok = np.zeros(n, dtype=np.bool_)
    dec = np.full(n, NO_DECIMALS, dtype=np.int64) if decimals else None
    if not n:
        return values, ok, dec
    values[fast_ok] = fast_val[fast_ok]
    ok[fast_ok] = True
    if dec is not None:
        dec[fast_ok] = fast_dec[fast_ok]
    short = (length <= NUMBER_WIDTH) & (length > 0) & ~fast_ok
    si = np.flatnonzero(short)
    one_by_one: list[int] = []
    if len(si):
        nw = -(-int(length[si].max()) // 8)
        raw = words(c, start[si], nw, end[si])
        strings = raw.view(f"S{8 * nw}").ravel()
        try:
            with np.errstate(all="ignore"):  # an overflow gives inf, refused below
                got = strings.astype(np.float64)
            values[si] = got
            ok[si] = True
            if dec is not None:
                dec[si] = _decimals(raw.view(np.uint8).reshape(len(si), 8 * nw))
            # names like "nan", "inf" or "1_0" parse too: check every non-digit span by hand
            odd = ~np.isfinite(got) | _has_letters(raw)
            one_by_one = si[odd].tolist()
        except ValueError:
            one_by_one = si.tolist()
    one_by_one += np.flatnonzero(~short & (length > 0) & ~fast_ok).tolist()
    for j in one_by_one:
        text = c.buf[start[j] : end[j]]
        values[j], ok[j] = _one_number(text)
        if dec is not None:
            dec[j] = _one_decimals(text) if ok[j] else NO_DECIMALS
    return values, ok, dec


_ZEROS = np.uint64(0x3030303030303030)
_U = np.uint64
#: keep the low k bytes of a word, and '0' digits to fill the k..8 low bytes after shifting
_KEEP = np.asarray([0] + [(1 << (8 * k)) - 1 for k in range(1, 8)] + [2**64 - 1], dtype=np.uint64)
_SHIFT = np.asarray([0] + [8 * (8 - k) for k in range(1, 9)], dtype=np.uint64)
_FILL = np.asarray(
    [0x3030303030303030 >> (8 * k) if k < 8 else 0 for k in range(9)], dtype=np.uint64
)
_POW10 = 10.0 ** np.arange(23)
#: the top bit of each of the first k bytes
_TOPS = np.asarray([int("80" * k, 16) if k else 0 for k in range(9)], dtype=np.uint64)
_IPOW10 = (10 ** np.arange(16)).astype(np.uint64)


def _plain_decimals(c: ChunkBytes, start: I64, length: I64) -> tuple[Bool, F64, I64]:
    """Read the spans that hold a plain decimal: up to 8 digits, an optional point and up to
    8 more, 15 digits at most, nothing else.

    Both digit runs are read eight bytes at a time (right-aligned in a word, padded with
    '0', then folded pairwise: 2, 4, 8 digits). The value is the digits as an integer m
    over 10**k (k digits after the point): m < 2**53 and 10**k are exact doubles, so the
    one division rounds correctly, as ``float(text)`` does. Returns which spans were
    plain, their values and their digits after the point.
    """
    n = len(start)
    if not n:
        return np.zeros(0, np.bool_), np.zeros(0, np.float64), np.zeros(0, np.int64)
    L = np.clip(length, 0, 17)
    w0 = c.w[start]
    # the point: the lowest byte of the first word equal to '.', or the ninth byte
    x = w0 ^ _U(0x2E2E2E2E2E2E2E2E)
    hit = (x - _U(0x0101010101010101)) & ~x & _U(0x8080808080808080) & _TOPS[np.minimum(L, 8)]
    low = hit & (~hit + _U(1))  # its lowest set bit: 0x80 << 8k for the k-th byte
    first = ((low.astype(np.float64).view(np.uint64) >> _U(52)).astype(np.int64) - 1030) >> 3
    ninth = (L >= 9) & ((c.w[start + 8] & _U(0xFF)) == ord("."))
    dot = np.where(hit != 0, first, np.where(ninth, 8, L))
    has_dot = dot < L
    li = dot
    lf = np.where(has_dot, L - dot - 1, 0)
    good = (length >= 1) & (length <= 17) & (li <= 8) & (lf <= 8) & (li + lf >= 1)
    good &= li + lf <= 15
    i_word = _aligned(w0, li)
    f_word = _aligned(c.w[np.minimum(start + dot + 1, len(c.w) - 1)], lf)
    good &= _all_digits(i_word) & _all_digits(f_word)
    lf = np.where(good, lf, 0)
    m = _fold8(i_word) * _IPOW10[lf] + _fold8(f_word)
    value = m.astype(np.float64) / _POW10[lf]
    return good, value, lf


def _aligned(w: npt.NDArray[np.uint64], k: I64) -> npt.NDArray[np.uint64]:
    """The first ``k`` bytes (0..8) of each word moved to its top, '0' bytes below them."""
    kk = np.clip(k, 0, 8)
    out: npt.NDArray[np.uint64] = ((w & _KEEP[kk]) << _SHIFT[kk]) | _FILL[kk]
    return out


def _all_digits(w: npt.NDArray[np.uint64]) -> Bool:
    """Whether every byte of each word is an ASCII digit."""
    low = w - _ZEROS  # wraps below '0' into the top bit
    high = w + _U(0x4646464646464646)  # carries above '9' into the top bit
    out: Bool = ((low | high | w) & _U(0x8080808080808080)) == 0
    return out


def _fold8(w: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The number written by the eight ASCII digits of each word (first digit lowest)."""
    v = w - _ZEROS
    v = ((v * _U(10)) + (v >> _U(8))) & _U(0x00FF00FF00FF00FF)
    v = ((v * _U(100)) + (v >> _U(16))) & _U(0x0000FFFF0000FFFF)
    out: npt.NDArray[np.uint64] = ((v * _U(10000)) + (v >> _U(32))) & _U(0xFFFFFFFF)
    return out


def _decimals(b: U8) -> I64:
    """Digits after the point less the exponent, for each row of number text ``b``.

    Rows are zero-padded and may carry white space around the number; only rows that read as
    numbers matter (the others give meaningless values).
    """
    width = b.shape[1]
    cols = np.arange(width)
    last = width - 1 - np.argmax((b > 32)[:, ::-1], axis=1)  # the last byte of the number
    is_e = (b | 0x20) == ord("e")
    has_e = is_e.any(axis=1)
    e = np.where(has_e, np.argmax(is_e, axis=1), last + 1)  # where the mantissa ends
    is_dot = b == ord(".")
    out: I64 = np.where(is_dot.any(axis=1), e - 1 - np.argmax(is_dot, axis=1), 0)
    rows = np.flatnonzero(has_e)
    if len(rows):
        sub = b[rows]
        digit = (sub >= ord("0")) & (sub <= ord("9"))
        after = (cols > e[rows, None]) & (cols <= last[rows, None]) & digit
        power = np.where(after, last[rows, None] - cols, 0)
        exponent = (np.where(after, sub - ord("0"), 0).astype(np.int64) * 10**power).sum(axis=1)
        sign = sub[np.arange(len(rows)), np.minimum(e[rows] + 1, width - 1)]
        out[rows] -= np.where(sign == ord("-"), -exponent, exponent)
        for k in rows[after.sum(axis=1) > 9].tolist():  # an exponent too long for int64 sums
            out[k] = _one_decimals(bytes(b[k]).strip(b"\x00"))
    return out


_NUMBER_TEXT = re.compile(rb"\s*[-+]?[0-9]*(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?\s*")


def _one_decimals(text: bytes) -> int:
    """Digits after the point less the exponent of one readable number's text."""
    m = _NUMBER_TEXT.fullmatch(text)
    if m is None:
        return NO_DECIMALS
    return len(m.group(1) or b"") - (int(m.group(2)) if m.group(2) else 0)


_LETTER_BITS = np.uint64(0x4040404040404040)


def _has_letters(raw: npt.NDArray[np.uint64]) -> Bool:
    """True where a span may hold a byte other than digits, ``.+-``, space or ``eE``.

    Digits and ``.+-`` and white space all have bit 6 (0x40) clear; letters have it set, so
    only spans with some byte of bit 6 set (which includes ``e``/``E``) need a closer look.
    """
    hit = (raw & _LETTER_BITS) != 0
    return np.asarray(hit.any(axis=1))


def _one_number(text: bytes) -> tuple[float, bool]:
    t = text.strip()
    if not t or not _NUMERIC[np.frombuffer(t, np.uint8)].all():
        return float("nan"), False
    try:
        value = float(t)
    except ValueError:
        return float("nan"), False
    if value == 0.0 and re.search(rb"[1-9]", re.split(rb"[eE]", t, maxsplit=1)[0]):
        return float("nan"), False  # a number too small for float64 (1e-400): not a zero
    return (value, True) if np.isfinite(value) else (float("nan"), False)


def span_codes(c: ChunkBytes, start: I64, end: I64) -> tuple[I64, list[bytes]]:
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
        nw = -(-int(length[si].max(initial=1)) // 8)
        raw = np.empty((len(si), nw + 1), dtype=np.uint64)
        raw[:, :nw] = words(c, start[si], nw, end[si])
        raw[:, nw] = length[si].astype(np.uint64)  # "a\0" and "a" differ by length
        first, inverse = _dedup_rows(raw)
        for f in first.tolist():
            j = int(si[f])
            uniques.append(c.buf[start[j] : end[j]])
        for i, u in enumerate(uniques):
            lookup[u] = i
        codes[si] = inverse
    for j in np.flatnonzero(~short).tolist():
        s = c.buf[start[j] : end[j]]
        if s not in lookup:
            lookup[s] = len(uniques)
            uniques.append(s)
        codes[j] = lookup[s]
    return codes, uniques


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _dedup_rows(raw: npt.NDArray[np.uint64]) -> tuple[I64, I64]:
    """The first row of each distinct row of ``raw``, and each row's index among them.

    Rows are hashed to one 64-bit number and factorised through a hash table (pandas), in
    linear time; every row is then compared word by word with the first row of its hash, so
    a collision cannot merge two different rows (it sends the whole lot to an exact sort).
    """
    import pandas as pd

    h = np.zeros(len(raw), dtype=np.uint64)
    for k in range(raw.shape[1]):
        h ^= raw[:, k]
        h *= _MIX
        h ^= h >> np.uint64(29)
    inverse, _ = pd.factorize(h)
    inverse = np.asarray(inverse, dtype=np.int64)
    first = np.empty(int(inverse.max(initial=-1)) + 1, dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(raw) - 1, -1, -1)  # the last write is the first row
    if bool((raw == raw[first[inverse]]).all()):
        return first, inverse
    keys = np.ascontiguousarray(raw).view(f"V{8 * raw.shape[1]}").ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # in the order first met, as above
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.ravel()]

"""Split one chunk of XML bytes into tags, their attributes and the text between them.

The work is vectorised: positions of ``<``, ``>`` and ``"`` are found with numpy, each ``<``
is paired with the ``>`` that ends its tag (skipping any inside a value quoted with ``"`` or
``'``), names are classified against the known element and attribute names, and attribute
values are located by their quotes. Tags that do not fit this fast reading (single quotes,
spaces around ``=``, stray characters) are read one by one with a regular expression, so
nothing is lost. Comments and processing instructions are blanked out first.

Markup that a Performance Report never needs is refused here: a DOCTYPE (and with it every
entity definition, external entity and entity-expansion bomb) and CDATA sections.

Issues found here and later go through :func:`issue_each` or :class:`IssueCap`: each kind
lists its first :data:`MAX_DETAILED` occurrences and counts the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ._issues import ChunkError, Issue, IssueCap, issue_each
from ._scan import (
    APOS,
    BANG,
    EQ,
    GT,
    I64,
    LT,
    QMARK,
    QUOT,
    SLASH,
    ChunkBytes,
    attribute_name_start,
    is_name_char,
    is_ws,
    match_names,
)

ELEMENTS: tuple[bytes, ...] = (
    b"reports",
    b"report",
    b"sample",
    b"recipe",
    b"step",
    b"amount",
    b"revenue",
    b"engagement",
    b"engagementMetrics",
    b"message",
    b"code",
)
(REPORTS, REPORT, SAMPLE, RECIPE, STEP, AMOUNT, REVENUE, ENGAGEMENT, METRICS, MESSAGE, CODE) = (
    range(len(ELEMENTS))
)
UNKNOWN = -1
#: code of a closing tag not yet matched to its element (see :func:`resolve_closes`)
UNRESOLVED = -3
#: pseudo element code of a processing instruction or XML declaration
PI = -2

ATTRIBUTES: tuple[bytes, ...] = (
    b"name",
    b"campaignId",
    b"start",
    b"end",
    b"resolution",
    b"type",
    b"segment",
    b"segments",
    b"segmentId",
    b"duration",
    b"stepName",
    b"count",
    b"total",
    b"sumOfSquares",
    b"code",
)
(
    A_NAME,
    A_CAMPAIGN,
    A_START,
    A_END,
    A_RESOLUTION,
    A_TYPE,
    A_SEGMENT,
    A_SEGMENTS,
    A_SEGMENT_ID,
    A_DURATION,
    A_STEP_NAME,
    A_COUNT,
    A_TOTAL,
    A_SUMSQ,
    A_CODE,
) = range(len(ATTRIBUTES))

OPEN, CLOSE, EMPTY = 0, 1, 2

_ATTR_RE = re.compile(rb"""([^\s=/<>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass
class ChunkTokens:
    """The tags of one chunk, in document order, and their attributes.

    Token ``i`` spans bytes ``start[i] .. end[i]`` (``end`` is the ``>``); its text runs from
    ``end[i] + 1`` to ``text_end[i]``.
    """

    start: I64
    end: I64
    kind: I64
    code: I64
    name_start: I64
    name_len: I64
    text_end: I64
    attr_token: I64
    attr_code: I64
    attr_name_start: I64
    attr_name_end: I64
    value_start: I64
    value_end: I64
    issues: list[Issue] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.start)


def tokenize(c: ChunkBytes, final: bool = True) -> ChunkTokens:
    """Tokenize one chunk that starts at a tag (or the document start) and ends before a tag.

    ``final``: the chunk ends the document (else a '<' follows right after it).
    """
    issues: list[Issue] = []
    buf, a = c.buf, c.a
    lt = np.flatnonzero(a == LT).astype(np.int32)
    gt = np.flatnonzero(a == GT).astype(np.int32)
    quot = np.flatnonzero(a == QUOT).astype(np.int32)
    n = len(lt)
    second = a[np.minimum(lt + 1, len(a) - 1)] if n else np.zeros(0, np.uint8)
    special = (second == BANG) | (second == QMARK)
    # every fatal problem of the chunk is collected, and the first in the file is raised, so
    # that the error does not depend on where the chunks were cut
    fatal: list[tuple[int, str, int | None]] = []
    if (second == BANG).any():
        pos = int(lt[np.argmax(second == BANG)])
        what = buf[pos : pos + 9]
        if what.startswith(b"<!DOCTYPE"):
            msg = "DOCTYPE declarations are refused (no DTD, entity or external resource is read)"
        elif what.startswith(b"<![CDATA["):
            msg = "CDATA sections are not part of the Performance Report format"
        else:
            cut = what.find(b"<", 1)
            msg = f"unexpected markup {what[: cut if cut > 0 else None].decode('latin-1')!r}"
        fatal.append((pos, msg, None))
    # -- pair every '<' with the '>' that closes its tag, skipping '>' inside quotes --------
    nxt = np.append(lt[1:], np.int32(len(a)))
    if len(gt) == n and (n == 0 or (bool((lt < gt).all()) and bool((gt[:-1] < lt[1:]).all()))):
        end = gt  # '<' and '>' alternate: each tag holds exactly one '>'
    else:
        end = _pair(buf, a, lt, nxt, gt)
    unended = np.flatnonzero(end < 0)
    if len(unended):
        i = int(unended[0])
        if i < n - 1 or not final:  # a '<' (perhaps the next chunk's first) stands inside
            fatal.append((int(nxt[i]), "'<' inside a tag", int(lt[i])))
        else:
            fatal.append((int(lt[i]), "document ends inside a tag (truncated?)", None))
        end = np.where(end < 0, nxt - 1, end)  # to go on looking for an earlier problem
    # -- kinds and names -----------------------------------------------------------------
    is_close = second == SLASH
    is_empty = (a[np.maximum(end - 1, 0)] == SLASH) & ~is_close if n else is_close
    kind = np.where(is_close, CLOSE, np.where(is_empty, EMPTY, OPEN)).astype(np.int8)
    name_start = lt + 1 + is_close
    # closing tags are named by the element they close (checked while nesting), so only the
    # others are matched against the known names here
    code = np.full(n, UNRESOLVED, dtype=np.int8)
    nlen = np.zeros(n, dtype=np.int32)
    oi = np.flatnonzero(~is_close)
    code[oi], nlen[oi] = match_names(c, name_start[oi], ELEMENTS)
    code[special] = PI
    empty_name = (nlen == 0) & ~special & ~is_close
    if empty_name.any():
        fatal.append((int(lt[np.argmax(empty_name)]), "tag without a name", None))
    if fatal:
        first = min(fatal, key=lambda f: f[0])
        raise ChunkError(first[1], first[0], first[2])

    tokens = ChunkTokens(
        start=lt,
        end=end,
        kind=kind,
        code=code,
        name_start=name_start.astype(np.int32),
        name_len=nlen,
        text_end=nxt,
        attr_token=np.zeros(0, np.int64),
        attr_code=np.zeros(0, np.int64),
        attr_name_start=np.zeros(0, np.int64),
        attr_name_end=np.zeros(0, np.int64),
        value_start=np.zeros(0, np.int64),
        value_end=np.zeros(0, np.int64),
        issues=issues,
    )
    _attributes(c, tokens, quot, special)
    return tokens


def junk_in_closing_tags(c: ChunkBytes, t: ChunkTokens) -> None:
    """Say what stands after the name in a closing tag (``</step sumOfSquares="4.0">``):
    XML allows only white space there, and the parser reads nothing of it.

    Called once the closing tags carry their names' lengths (after nesting): a tag longer
    than ``</`` and its name is looked at one by one (rare); the others cost one comparison.
    """
    close = np.flatnonzero(t.kind == CLOSE)
    if not len(close):
        return
    longer = close[t.end[close] != t.name_start[close] + t.name_len[close]]
    buf = c.buf
    found: list[tuple[int, str]] = []
    for i in longer.tolist():
        name, *rest = buf[t.name_start[i] : t.end[i]].split(None, 1) or [b""]
        if rest and rest[0].strip():
            text = rest[0].strip().decode("utf-8", "replace")
            shown = text if len(text) <= 40 else text[:37] + "..."
            tag = name.decode("utf-8", "replace")
            found.append((i, f"content after the name in </{tag}> ignored: {shown!r}"))
    if found:
        where = np.asarray([t.start[i] for i, _ in found], dtype=np.int64)
        issue_each(t.issues, where, "closing-tag-content", lambda j: found[j][1])


def resolve_closes(c: ChunkBytes, t: ChunkTokens) -> None:
    """Name the closing tags still unresolved by matching them against the known names."""
    ci = np.flatnonzero(t.code == UNRESOLVED)
    if len(ci):
        t.code[ci], t.name_len[ci] = match_names(c, t.name_start[ci], ELEMENTS)


def _junk_in_tags(
    c: ChunkBytes, t: ChunkTokens, which: I64, tok: I64, ns: I64, eq: I64, vo: I64, vc: I64
) -> np.ndarray:
    """For the tags ``which``: does anything but white space stand outside the attributes?"""
    count_nonws = c.count_nonws
    attr_nonws = (eq - ns) + 3 + count_nonws(vo + 1, vc)
    expected = t.name_len[which] + 2 + (t.kind[which] == EMPTY)
    sel = np.isin(tok, which)
    per_tag = np.bincount(tok[sel], weights=attr_nonws[sel], minlength=len(t)).astype(np.int64)
    expected = expected + per_tag[which]
    actual = count_nonws(t.start[which], t.end[which] + 1)
    out: np.ndarray = expected != actual
    return out


#: a tag's content up to its closing '>': names, white space and quoted values of either kind
_TAG_BODY = re.compile(rb"""(?:[^"'>]|"[^"]*"|'[^']*')*>""")
#: rounds of the vectorised quote skipping before the remaining tags are read one by one
_PAIR_ROUNDS = 16


def _pair(buf: bytes, a: np.ndarray, lt: I64, nxt: I64, gt: I64) -> I64:
    """Position of the '>' closing each tag, skipping any inside a quoted value (-1: none).

    A tag cannot hold '<' (XML forbids it in attribute values), so tag ``i`` ends at a '>'
    between ``lt[i]`` and ``nxt[i]``, the next '<'. When that stretch holds one '>', it is
    the end. Otherwise the tag is walked value by value: from the current position, if the
    next '>' comes before the next quote it ends the tag; else the scan jumps past the
    matching quote of the same kind (``"`` or ``'``). Each round moves every unfinished tag
    by one value; tags still unfinished after a few rounds are matched by a regular
    expression. A value whose quote is never closed before the next '<' ends the tag at the
    first '>' after that quote (the attribute reader then reports the broken value).
    """
    g0 = np.searchsorted(gt, lt)
    g1 = np.searchsorted(gt, nxt)
    count = g1 - g0
    end = np.where(count > 0, gt[np.minimum(g0, len(gt) - 1)] if len(gt) else -1, -1)
    end = end.astype(np.int64)
    many = np.flatnonzero(count > 1)
    if not len(many):
        return end
    dq = np.flatnonzero(a == QUOT)
    sq = np.flatnonzero(a == APOS)
    pos = lt[many].astype(np.int64) + 1
    stop = nxt[many]
    todo = np.arange(len(many))
    for _ in range(_PAIR_ROUNDS):
        if not len(todo):
            break
        p = pos[todo]
        g = gt[np.minimum(np.searchsorted(gt, p), len(gt) - 1)]
        idq = np.searchsorted(dq, p)
        isq = np.searchsorted(sq, p)
        nd = np.where(idq < len(dq), dq[np.minimum(idq, len(dq) - 1)] if len(dq) else 0, -1)
        ns = np.where(isq < len(sq), sq[np.minimum(isq, len(sq) - 1)] if len(sq) else 0, -1)
        nd = np.where((nd < 0) | (nd >= stop[todo]), np.iinfo(np.int64).max, nd)
        ns = np.where((ns < 0) | (ns >= stop[todo]), np.iinfo(np.int64).max, ns)
        q = np.minimum(nd, ns)
        done = g < q
        end[many[todo[done]]] = g[done]
        # jump past the value: the next quote of the same kind after the opening one
        go = ~done
        qo = q[go]
        is_dq = nd[go] < ns[go]
        close = np.where(
            is_dq,
            _next_after(dq, qo),
            _next_after(sq, qo),
        )
        unclosed = close >= stop[todo[go]]
        # an unclosed value: the tag ends at the first '>' after its quote
        t_un = todo[go][unclosed]
        k = np.searchsorted(gt, qo[unclosed])
        after = gt[np.minimum(k, len(gt) - 1)]
        end[many[t_un]] = np.where((k < len(gt)) & (after < stop[t_un]), after, -1)
        t_go = todo[go][~unclosed]
        pos[t_go] = close[~unclosed] + 1
        todo = t_go
    for j in todo.tolist():
        i = int(many[j])
        m = _TAG_BODY.match(buf, int(pos[j]), int(nxt[i]))
        if m is not None:
            end[i] = m.end() - 1
        else:  # an unclosed value
            opened = min(
                (k for k in (buf.find(b'"', int(pos[j])), buf.find(b"'", int(pos[j]))) if k >= 0),
                default=int(pos[j]),
            )
            end[i] = buf.find(b">", opened, int(nxt[i]))
    return end


def _next_after(sorted_pos: I64, at: I64) -> I64:
    """The first of ``sorted_pos`` after each ``at`` (a huge number when there is none)."""
    k = np.searchsorted(sorted_pos, at, side="right")
    big = np.iinfo(np.int64).max
    if not len(sorted_pos):
        return np.full(len(at), big, dtype=np.int64)
    out: I64 = np.where(k < len(sorted_pos), sorted_pos[np.minimum(k, len(sorted_pos) - 1)], big)
    return out


def _attributes(c: ChunkBytes, t: ChunkTokens, quot: I64, special: np.ndarray) -> None:
    """Locate every attribute of the open and empty tags of ``t`` (fills its attr arrays)."""
    if not len(t):
        return
    buf, a = c.buf, c.a
    after_name = t.name_start + t.name_len
    candidates = (t.kind != CLOSE) & ~special
    # the quotes inside each tag: each quote belongs to the last tag begun before it, if it
    # stands before that tag's '>' (quotes in text belong to no tag)
    q_tok = np.searchsorted(t.start, quot, side="right") - 1
    q_in = (q_tok >= 0) & (quot <= t.end[np.maximum(q_tok, 0)])
    q_in &= quot >= after_name[np.maximum(q_tok, 0)]
    inside = np.flatnonzero(q_in)
    nq = np.bincount(q_tok[inside], minlength=len(t)).astype(np.int64)
    q0 = np.zeros(len(t), dtype=np.int64)
    q0[q_tok[inside][::-1]] = inside[::-1]  # the first quote of each tag (the last write)
    nq[~candidates] = 0
    if b"'" in buf:
        apos = np.flatnonzero(a == APOS)
        has_apos = np.searchsorted(apos, t.end) > np.searchsorted(apos, t.start)
    else:
        has_apos = np.zeros(len(t), dtype=bool)
    content_end = t.end - (t.kind == EMPTY)  # the '/' of '/>' is not content

    fast = candidates & ~has_apos & (nq % 2 == 0)
    # -- fast path: pairs of double quotes ------------------------------------------------
    ti = np.flatnonzero(fast & (nq > 0))
    npairs = nq[ti] // 2
    tok = np.repeat(ti, npairs)
    first = np.repeat(q0[ti], npairs)
    offs = np.arange(len(tok), dtype=np.int64) - np.repeat(np.cumsum(npairs) - npairs, npairs)
    vo = quot[first + 2 * offs]
    vc = quot[first + 2 * offs + 1]
    eq = vo - 1
    # the name starts right after the previous boundary (the tag's name or the previous
    # closing quote) and one white-space byte, or with none (malformation 2); other
    # layouts are measured backwards from '='
    prev = np.where(offs == 0, after_name[tok] - 1, np.roll(vc, 1))
    after1 = a[np.minimum(prev + 1, len(a) - 1)]
    after2 = a[np.minimum(prev + 2, len(a) - 1)]
    ns = np.where(is_name_char(after1), prev + 1, prev + 2)
    odd_layout = ~is_name_char(after1) & ~(is_ws(after1) & is_name_char(after2))
    if odd_layout.any():
        ns[odd_layout] = attribute_name_start(a, eq[odd_layout])
    eq_ok = (a[eq] == EQ) & is_name_char(a[eq - 1])  # "name =" goes to the slow path
    # a tag whose '=' is not right before its quote goes to the slow path
    slow_tok = tok[np.flatnonzero(~eq_ok)]
    # A tag is laid out as expected when its length is '<', its name, each attribute with
    # the gap before it ('name="value"'), an optional '/' and '>'. Tags laid out otherwise
    # (more white space, stray characters) are checked byte by byte.
    attr_len = (vc - prev) + 0  # from the previous boundary to the closing quote
    odd_gap = np.zeros(len(t), dtype=bool)
    odd_gap[tok[odd_layout]] = True
    laid_out = t.name_len + 2 + (t.kind == EMPTY)
    laid_out = laid_out + np.bincount(tok, weights=attr_len, minlength=len(t)).astype(np.int64)
    unusual = np.flatnonzero(fast & ((t.end - t.start + 1 != laid_out) | odd_gap))
    junk = np.zeros(len(t), dtype=bool)
    if len(unusual):
        junk[unusual] = _junk_in_tags(c, t, unusual, tok, ns, eq, vo, vc)
    slow = (candidates & ~fast) | junk
    slow[slow_tok] = True
    keep = ~slow[tok]
    tok, ns, eq, vo, vc = tok[keep], ns[keep], eq[keep], vo[keep], vc[keep]
    # attributes with no white space between them (published malformation 2)
    glued = np.flatnonzero(a[ns - 1] == QUOT)
    issue_each(
        t.issues,
        ns[glued],
        "attribute-spacing",
        lambda j: (
            "no white space before attribute "
            f"{buf[ns[glued[j]] : eq[glued[j]]].decode('utf-8', 'replace')!r}; read as a separate attribute"
        ),
    )
    # -- slow path: one regular expression per tag -----------------------------------------
    st, sns, sne, svs, sve = [], [], [], [], []
    capped = IssueCap(t.issues)
    for i in np.flatnonzero(slow):
        s0, e0 = int(after_name[i]), int(content_end[i])
        text = buf[s0:e0]
        covered = bytearray(text)
        for m in _ATTR_RE.finditer(text):
            g = 2 if m.group(2) is not None else 3
            st.append(i)
            sns.append(s0 + m.start(1))
            sne.append(s0 + m.end(1))
            svs.append(s0 + m.start(g))
            sve.append(s0 + m.end(g))
            if m.start() > 0 and text[m.start() - 1 : m.start()] in (b'"', b"'"):
                capped.add(
                    Issue(
                        s0 + m.start(),
                        "attribute-spacing",
                        f"no white space before attribute {m.group(1).decode('utf-8', 'replace')!r}"
                        "; read as a separate attribute",
                    )
                )
            covered[m.start() : m.end()] = b" " * (m.end() - m.start())
        leftover = bytes(covered).strip()
        if leftover:
            off = s0 + bytes(covered).find(leftover[:1])
            capped.add(
                Issue(
                    off,
                    "tag-junk",
                    f"unreadable text {leftover[:40].decode('utf-8', 'replace')!r} inside tag "
                    f"<{buf[t.name_start[i] : after_name[i]].decode('utf-8', 'replace')}>; ignored",
                )
            )
    capped.close()
    if st:
        tok = np.concatenate([tok, np.asarray(st, np.int64)])
        ns = np.concatenate([ns, np.asarray(sns, np.int64)])
        ne = np.concatenate([eq, np.asarray(sne, np.int64)])
        vo1 = np.concatenate([vo + 1, np.asarray(svs, np.int64)])
        vc = np.concatenate([vc, np.asarray(sve, np.int64)])
        order = np.argsort(ns, kind="stable")
        tok, ns, ne, vo1, vc = tok[order], ns[order], ne[order], vo1[order], vc[order]
    else:
        ne, vo1 = eq, vo + 1
    t.attr_token = tok
    t.attr_name_start = ns
    t.attr_name_end = ne
    t.value_start = vo1
    t.value_end = vc
    acode, alen = match_names(c, ns, ATTRIBUTES)
    t.attr_code = np.where(alen == ne - ns, acode, -1)

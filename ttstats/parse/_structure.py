"""Nesting: which element holds which, with the published malformations repaired.

A chunk's tags become *events* (open, close, empty) that nest properly. When the tags already
nest properly (the common case) this is checked with array operations and the tags are the
events. Otherwise a loop over the chunk's tags repairs them, as report-format.md fixes:

* a closing tag that matches an element further up closes everything inside it;
* a closing tag that matches nothing open but resembles the innermost element's name
  (``</steps>`` for ``<step>``) closes it; any other stray closing tag is ignored;
* a ``report`` (likewise ``sample``, ``recipe``, ``step``) opened inside another one first
  closes the previous one: each is a sibling, never a child;
* elements still open at the end of the document are closed there.

Every repair is an :class:`Issue`. Then each event learns its depth and its parent (level
by level, or in one search for documents deeper than 64), and whether it stands where the
format allows; :meth:`Events.enclosing` climbs from an element to the report, sample,
recipe or step around it, for the elements that need one. All of it is linear in the number
of tags, however deep or many the elements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._issues import ChunkError, Issue, IssueCap, issue_each
from ._parents import find_parents, small_levels
from ._scan import I64, ChunkBytes, name_ends
from ._tokenize import (
    CLOSE,
    ELEMENTS,
    EMPTY,
    OPEN,
    PI,
    RECIPE,
    REPORT,
    REPORTS,
    SAMPLE,
    STEP,
    UNKNOWN,
    ChunkTokens,
    junk_in_closing_tags,
    resolve_closes,
)

#: element codes that never nest inside themselves: a new one closes the open one
SIBLINGS = (REPORTS, REPORT, SAMPLE, RECIPE, STEP)
#: the element codes whose ordinal every event carries (ancestor or self)
TRACKED = (REPORT, SAMPLE, RECIPE, STEP)
ROOT = -9


@dataclass
class Frame:
    """An element still open at the end of a chunk."""

    code: int
    name: bytes
    loc: int  # packed line << 32 | column of its start tag
    ords: tuple[int, int, int, int]  # report, sample, recipe, step ordinals (-1: none)
    valid: bool


#: rank of each tracked code (report 0 ... step 3), -1 for other codes, by ``code - _LOWEST``
_RANK = np.full(len(ELEMENTS) + 16, -1, dtype=np.int64)
#: the most parent hops :meth:`Events.enclosing` climbs (a valid element needs at most 5)
MAX_HOPS = 8
#: the deepest nesting read (a report needs 7 levels; each open level costs memory)
MAX_DEPTH = 100_000


@dataclass
class Events:
    """Properly nested events of one chunk, with what each belongs to."""

    token: I64  # token index, -1 for a close the repair inserted
    kind: I64
    code: I64
    pos: I64  # chunk position (of the token; for inserted closes, of what caused them)
    level: I64  # depth of the element (1 = top level)
    parent: I64  # event index of the enclosing element, -1: a stack frame or the root
    parent_code: I64
    valid: I64  # 1 when the element and all its ancestors stand where the format allows
    own: I64  # the element's own ordinal among elements of its tracked code (-1 for others)
    #: (depth on entry + 1, 4): report, sample, recipe, step ordinal of each stack frame's
    #: ancestor-or-self (the last row, for the root, is -1)
    frame_ords: I64
    _by_code: tuple[I64, I64] | None = None

    def of(self, code: int) -> I64:
        """The events of one element code (opens, empties and closes), in document order."""
        if self._by_code is None:
            key = (self.code - _LOWEST).astype(np.uint8)
            order = np.argsort(key, kind="stable")
            bounds = np.searchsorted(key[order], np.arange(len(ELEMENTS) - _LOWEST + 1))
            self._by_code = (order, bounds)
        order, bounds = self._by_code
        out: I64 = order[bounds[code - _LOWEST] : bounds[code - _LOWEST + 1]]
        return out

    def enclosing(self, idx: I64, col: int, *, self_too: bool = False) -> I64:
        """Ordinal of the ``TRACKED[col]`` element around each event in ``idx`` (-1: none).

        Climbs parent by parent: an element of that code ends the climb with its ordinal; a
        tracked element of a higher rank (a recipe, when a step is sought) ends it with -1;
        at the chunk's start the stack frame's own record answers. ``self_too`` counts the
        event itself.
        """
        target = TRACKED[col]
        out = np.full(len(idx), -1, dtype=np.int64)
        cur = np.array(idx, dtype=np.int64)  # a copy: climbed in place
        active = np.arange(len(idx))
        if self_too:
            mine = self.code[cur] == target
            out[mine] = self.own[cur[mine]]
            higher = (_RANK[self.code[cur] - _LOWEST] >= 0) & (
                _RANK[self.code[cur] - _LOWEST] < col
            )
            active = active[~mine & ~higher]
        frames = len(self.frame_ords) - 1
        for _ in range(MAX_HOPS):
            if not len(active):
                break
            c = cur[active]
            p = self.parent[c]
            edge = p < 0
            if edge.any():
                # the parent is a stack frame (level - 2) or the root
                f = np.minimum(self.level[c[edge]] - 2, frames)
                out[active[edge]] = self.frame_ords[np.where(f >= 0, f, frames), col]
            keep = ~edge
            active, p = active[keep], p[keep]
            pc = self.code[p]
            found = pc == target
            out[active[found]] = self.own[p[found]]
            rank = _RANK[pc - _LOWEST]
            go = ~found & ~((rank >= 0) & (rank < col))
            active = active[go]
            cur[active] = p[go]
        return out


@dataclass
class Nesting:
    """State carried from chunk to chunk: the open elements and the ordinal counters."""

    stack: list[Frame] = field(default_factory=list)
    counters: dict[int, int] = field(default_factory=lambda: {c: 0 for c in TRACKED})
    top_level: int = 0  # top-level elements met so far


ALLOWED_PARENTS: dict[int, tuple[int, ...]] = {
    REPORTS: (ROOT,),
    REPORT: (ROOT, REPORTS),
    SAMPLE: (REPORT,),
    RECIPE: (SAMPLE,),
    STEP: (RECIPE,),
    ELEMENTS.index(b"amount"): (STEP, RECIPE),
    ELEMENTS.index(b"revenue"): (STEP,),
    ELEMENTS.index(b"engagement"): (STEP, ELEMENTS.index(b"engagementMetrics"), RECIPE),
    ELEMENTS.index(b"engagementMetrics"): (RECIPE, STEP),
    ELEMENTS.index(b"message"): (ROOT,),
    ELEMENTS.index(b"code"): (ELEMENTS.index(b"message"),),
}


_LOWEST = min(ROOT, PI, UNKNOWN)
#: ``_ALLOWED[code - _LOWEST, parent_code - _LOWEST]``: may the element stand there?
_ALLOWED = np.ones((len(ELEMENTS) - _LOWEST, len(ELEMENTS) - _LOWEST), dtype=bool)
for _code, _parents in ALLOWED_PARENTS.items():
    _ALLOWED[_code - _LOWEST, :] = False
    _ALLOWED[_code - _LOWEST, [p - _LOWEST for p in _parents]] = True
for _rank, _code in enumerate(TRACKED):
    _RANK[_code - _LOWEST] = _rank
_IS_SIBLING = np.zeros(len(ELEMENTS) - _LOWEST, dtype=bool)
_IS_SIBLING[[c - _LOWEST for c in SIBLINGS]] = True


def element_name(code: int, raw: bytes = b"") -> str:
    """The element's name for messages."""
    return ELEMENTS[code].decode() if code >= 0 else raw.decode("utf-8", "replace")


def _names(buf: bytes, t: ChunkTokens) -> list[bytes]:
    return [buf[s : s + n] for s, n in zip(t.name_start.tolist(), t.name_len.tolist(), strict=True)]


def _same_names(c: ChunkBytes, t: ChunkTokens, a: I64, b: I64) -> bool:
    """Whether tokens ``a`` carry the same names as tokens ``b`` (whose lengths are known)."""
    L = t.name_len[b]
    sa, sb = t.name_start[a], t.name_start[b]
    if not bool(np.all(_ends_name(c, sa + L))):
        return False
    rows = np.arange(len(L))
    for k in range(0, int(L.max(initial=0)), 8):
        if k:
            rows = rows[L[rows] > k]  # only names longer than k bytes
        rem = np.minimum(L[rows] - k, 8).astype(np.uint64)
        drop = (np.uint64(8) - rem) * np.uint64(8)
        wa = (c.w[sa[rows] + k] << drop) >> drop
        wb = (c.w[sb[rows] + k] << drop) >> drop
        if not bool(np.all(wa == wb)):
            return False
    return True


def _ends_name(c: ChunkBytes, pos: I64 | int) -> np.ndarray:
    """Whether the byte at ``pos`` ends a name (white space, '>', '/', or the chunk's end)."""
    p = np.asarray(pos)
    out: np.ndarray = (p >= len(c)) | name_ends(c.a[np.minimum(p, max(len(c) - 1, 0))])
    return out


def _well_nested(c: ChunkBytes, t: ChunkTokens, stack: list[Frame]) -> bool:
    """True when the chunk's tags nest properly on top of ``stack`` and need no repair.

    On success the closing tags get their element's code.
    """
    buf = c.buf
    real = t.code != PI
    if bool(real.all()):
        kind, code, ridx = t.kind, t.code, np.arange(len(t))
    else:
        kind, code, ridx = t.kind[real], t.code[real], np.flatnonzero(real)
    if not len(kind):
        return True
    d0 = len(stack)
    is_open = kind == OPEN
    after = d0 + np.cumsum(is_open.astype(np.int8) - (kind == CLOSE), dtype=np.int32)
    if (after < 0).any():
        return False
    level = after + ~is_open
    # each close must match the last open at its level (in the chunk, else on the stack):
    # sorted by (level, position), a close follows its opener
    oc = np.flatnonzero(kind != EMPTY)
    order = oc[np.argsort(small_levels(level[oc]), kind="stable")]  # radix sort when small
    lv = level[order]
    is_cl = kind[order] == CLOSE
    j = np.flatnonzero(is_cl)
    in_chunk = np.zeros(len(j), dtype=bool)
    in_chunk[j > 0] = lv[j[j > 0] - 1] == lv[j[j > 0]]
    opener = np.where(in_chunk, order[np.maximum(j - 1, 0)], -1)
    # a close must carry its opener's name: compare the bytes, word by word
    cl_tok = ridx[order[j]]
    op_tok = ridx[np.maximum(opener, 0)]
    mine = np.flatnonzero(in_chunk)
    if not _same_names(c, t, cl_tok[mine], op_tok[mine]):
        return False
    t.code[cl_tok[mine]] = t.code[op_tok[mine]]
    t.name_len[cl_tok[mine]] = t.name_len[op_tok[mine]]
    for k in np.flatnonzero(~in_chunk).tolist():
        lvl = int(lv[j[k]])
        if lvl - 1 >= d0:
            return False
        frame = stack[lvl - 1]
        s0 = int(t.name_start[cl_tok[k]])
        L = len(frame.name)
        if buf[s0 : s0 + L] != frame.name or not _ends_name(c, s0 + L):
            return False
        t.code[cl_tok[k]] = frame.code
        t.name_len[cl_tok[k]] = L
    code = t.code[ridx]
    # no report in a report, sample in a sample, ...
    sibs = np.flatnonzero(_IS_SIBLING[code - _LOWEST])
    sib_code = code[sibs]
    for sib in SIBLINGS:
        sub = sibs[sib_code == sib]
        if not len(sub):
            continue
        d = np.where(kind[sub] == OPEN, 1, np.where(kind[sub] == CLOSE, -1, 0))
        before = np.cumsum(d) - d + sum(1 for f in stack if f.code == sib)
        if ((kind[sub] != CLOSE) & (before > 0)).any():
            return False
    return True


def _repair(
    buf: bytes, t: ChunkTokens, stack: list[Frame]
) -> tuple[list[tuple[int, int, int, int]], list[Issue]]:
    """Walk the chunk's tags with a stack and return properly nested events.

    Each event is ``(token index or -1, kind, code, chunk position)``. ``stack`` holds the
    open elements on entry; frames pushed here get placeholder ordinals, filled in later.
    """
    names = _names(buf, t)
    events: list[tuple[int, int, int, int]] = []
    issues: list[Issue] = []
    capped = IssueCap(issues)
    open_codes = _OpenStack([(f.code, f.name, -1 - i) for i, f in enumerate(stack)])

    def close_top(pos: int, why: str | None) -> None:
        code, name, opened = open_codes.pop()
        if why is not None:
            # frames from earlier chunks (negative ``opened``) carry their location
            located = stack[-1 - opened].loc if opened < 0 else None
            capped.add(
                Issue(
                    max(opened, pos if opened < 0 else opened),
                    "unclosed",
                    f"<{element_name(code, name)}> {why}",
                    located=located,
                    found_at=pos,  # reported where it opened, found here
                )
            )
        events.append((-1, CLOSE, code, pos))

    for i in range(len(t)):
        kind, code, pos, name = int(t.kind[i]), int(t.code[i]), int(t.start[i]), names[i]
        if code == PI:
            continue
        if kind == CLOSE:
            top = open_codes.top()
            if top is not None and top[0] == code and (code != UNKNOWN or top[1] == name):
                open_codes.pop()
                events.append((i, CLOSE, code, pos))
                continue
            if open_codes.holds(code, name):
                while not open_codes.top_is(code, name):
                    close_top(pos, f"never closed; closed by </{name.decode('utf-8', 'replace')}>")
                open_codes.pop()
                events.append((i, CLOSE, code, pos))
            elif top is not None and _resembles(name, top[1]):
                top_name = top[1].decode("utf-8", "replace")
                capped.add(
                    Issue(
                        pos,
                        "mismatched-close",
                        f"closing tag </{name.decode('utf-8', 'replace')}> does not match <{top_name}>; read as </{top_name}>",
                    )
                )
                c, _, _ = open_codes.pop()
                events.append((i, CLOSE, c, pos))
            else:
                capped.add(
                    Issue(
                        pos,
                        "stray-close",
                        f"closing tag </{name.decode('utf-8', 'replace')}> matches no open element; ignored",
                    )
                )
            continue
        if code in SIBLINGS and open_codes.holds(code, b""):
            nm = element_name(code)
            while not open_codes.top_is(code, b""):
                close_top(pos, f"never closed; closed before the next <{nm}>")
            close_top(pos, f"never closed; the next <{nm}> is read as its sibling")
        events.append((i, kind, code, pos))
        if kind == OPEN:
            open_codes.push((code, name, pos))
    # frames pushed in this chunk are rebuilt by the caller from the events
    capped.close()
    return events, issues


class _OpenStack:
    """The open elements, with counts by name so that a stray closing tag costs O(1)."""

    def __init__(self, frames: list[tuple[int, bytes, int]]) -> None:
        self.frames: list[tuple[int, bytes, int]] = []
        self.count: Counter[tuple[int, bytes]] = Counter()
        for f in frames:
            self.push(f)

    @staticmethod
    def _key(code: int, name: bytes) -> tuple[int, bytes]:
        return (code, name if code == UNKNOWN else b"")

    def push(self, frame: tuple[int, bytes, int]) -> None:
        self.frames.append(frame)
        self.count[self._key(frame[0], frame[1])] += 1

    def pop(self) -> tuple[int, bytes, int]:
        frame = self.frames.pop()
        self.count[self._key(frame[0], frame[1])] -= 1
        return frame

    def top(self) -> tuple[int, bytes, int] | None:
        return self.frames[-1] if self.frames else None

    def holds(self, code: int, name: bytes) -> bool:
        return self.count[self._key(code, name)] > 0

    def top_is(self, code: int, name: bytes) -> bool:
        top = self.top()
        return top is not None and self._key(top[0], top[1]) == self._key(code, name)


def _resembles(a: bytes, b: bytes) -> bool:
    return bool(a) and bool(b) and (a.startswith(b) or b.startswith(a))


def nest(c: ChunkBytes, t: ChunkTokens, state: Nesting, loc: Callable[[I64], I64]) -> Events:
    """Turn the chunk's tags into properly nested events with parents and ordinals."""
    buf = c.buf
    if _well_nested(c, t, state.stack):
        real = np.flatnonzero(t.code != PI)
        tok = real
        kind, code, pos = t.kind[real], t.code[real], t.start[real]
    else:
        resolve_closes(c, t)
        ev, issues = _repair(buf, t, state.stack)
        t.issues.extend(issues)
        arr = np.asarray(ev, dtype=np.int64).reshape(-1, 4)
        tok, kind, code, pos = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]
    junk_in_closing_tags(c, t)
    return _annotate(buf, t, state, loc, tok, kind, code, pos)


def _annotate(
    buf: bytes,
    t: ChunkTokens,
    state: Nesting,
    loc: Callable[[I64], I64],
    tok: I64,
    kind: I64,
    code: I64,
    pos: I64,
) -> Events:
    stack = state.stack
    d0 = len(stack)
    n = len(kind)
    is_open = kind == OPEN
    is_close = kind == CLOSE
    is_elem = ~is_close
    after = d0 + np.cumsum(is_open.astype(np.int8) - is_close, dtype=np.int32)
    level = after + ~is_open  # an open's level is the depth after it
    # -- own ordinals of the tracked elements -----------------------------------------------
    own = np.full(n, -1, dtype=np.int64)
    tracked = np.flatnonzero(_IS_SIBLING[code - _LOWEST] & is_elem)
    tracked_code = code[tracked]
    for c in TRACKED:
        m = tracked[tracked_code == c]
        own[m] = state.counters[c] + np.arange(len(m))
        state.counters[c] += len(m)
    # -- parents: the last open one level up, and each close's opener ----------------------
    max_level = int(level.max()) if n else 0
    if max_level > MAX_DEPTH:
        deep = int(np.argmax(level > MAX_DEPTH))
        raise ChunkError(
            f"elements nested more than {MAX_DEPTH:,} levels deep: not a report", int(pos[deep])
        )
    parent, opener = find_parents(kind, level, max_level)
    stack_codes = np.asarray([f.code for f in stack] + [ROOT], dtype=np.int8)
    parent_code = np.where(
        parent >= 0, code[np.maximum(parent, 0)], stack_codes[np.clip(level - 2, -1, d0)]
    )
    parent_code[level <= 1] = ROOT
    ok = np.ones(n, dtype=bool)
    elem = np.flatnonzero(is_elem)
    ok[elem] = _ALLOWED[code[elem] - _LOWEST, parent_code[elem] - _LOWEST]
    # -- validity: no ancestor out of place. Count the open elements that are out of place
    # (or sit on the stack already invalid); an element is valid when none is open around it
    closes = np.flatnonzero(is_close)
    frame_bad = np.asarray([not f.valid for f in stack] + [False], dtype=bool)
    op = opener[closes]
    closes_bad = np.where(
        op >= 0, ~ok[np.maximum(op, 0)], frame_bad[np.clip(level[closes] - 1, 0, d0)]
    )
    bad_delta = np.zeros(n, dtype=np.int8)
    bad_delta[is_open & ~ok] = 1
    bad_delta[closes[closes_bad]] = -1
    around = int(frame_bad.sum()) + np.cumsum(bad_delta, dtype=np.int32) - bad_delta
    valid = (ok & (around == 0)).astype(np.int8)
    frame_ords = np.asarray([f.ords for f in stack] + [(-1, -1, -1, -1)], dtype=np.int64)
    ev = Events(tok, kind, code, pos, level, parent, parent_code, valid, own, frame_ords)
    # -- repairs and content out of place ------------------------------------------------------
    tops = np.flatnonzero(is_elem & (level == 1) & (code != PI))
    if state.top_level <= 1 < state.top_level + len(tops):
        second = int(tops[max(0, 1 - state.top_level)])
        t.issues.append(
            Issue(
                int(pos[second]),
                "no-root",
                f"a second top-level element <{element_name(int(code[second]))}> and no "
                "<reports> root; the top-level elements are read as siblings",
            )
        )
    state.top_level += len(tops)
    misplaced = np.flatnonzero(is_elem & ~ok & (around == 0) & (code != UNKNOWN))

    def where(j: int) -> str:
        e = int(misplaced[j])
        pc = int(parent_code[e])
        if pc == ROOT:
            return "at the top level"
        par = int(parent[e])
        raw = _raw_name(buf, t, int(tok[par])) if par >= 0 else stack[int(level[e]) - 2].name
        return f"inside <{element_name(pc, raw)}>"

    issue_each(
        t.issues,
        pos[misplaced],
        "misplaced",
        lambda j: (
            f"<{element_name(int(code[misplaced[j]]))}> {where(j)} is not part of the "
            "format; ignored with its content"
        ),
        repair=False,
    )
    # -- the elements still open after the chunk: at each level, the last open there ---------
    depth = int(after[-1]) if n else d0
    new_stack: list[Frame] = list(stack[: min(d0, depth)])
    opens = np.flatnonzero(is_open)
    if len(opens):
        # an open is still open when no close at its level follows it; the last one per level
        lv_open = level[opens]
        last_close = np.full(max_level + 2, -1, dtype=np.int64)
        np.maximum.at(last_close, level[closes], closes)
        still = opens[(lv_open <= depth) & (last_close[lv_open] < opens)]
        _, last_at = np.unique(level[still][::-1], return_index=True)
        still = still[::-1][last_at]
        packed = loc(pos[still]).tolist()
        ords = np.stack([ev.enclosing(still, j, self_too=True) for j in range(4)], axis=1)
        for i, (e, p) in enumerate(zip(still.tolist(), packed, strict=True)):
            frame = Frame(
                code=int(code[e]),
                name=_raw_name(buf, t, int(tok[e])),
                loc=p,
                ords=(int(ords[i, 0]), int(ords[i, 1]), int(ords[i, 2]), int(ords[i, 3])),
                valid=bool(valid[e]),
            )
            lv = int(level[e])
            if lv <= len(new_stack):
                new_stack[lv - 1] = frame
            else:
                new_stack.append(frame)
    state.stack = new_stack
    return ev


def _raw_name(buf: bytes, t: ChunkTokens, i: int) -> bytes:
    if i < 0:
        return b""
    s = int(t.name_start[i])
    return buf[s : s + int(t.name_len[i])]

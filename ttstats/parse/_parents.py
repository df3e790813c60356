"""Parents in properly nested events: level by level for shallow documents, in one
search keyed (level, position) for deep ones."""

from __future__ import annotations

import numpy as np

from ._scan import I64
from ._tokenize import CLOSE, OPEN

#: documents no deeper than this find parents level by level; deeper ones in one search
_SHALLOW = 64


def find_parents(kind: I64, level: I64, max_level: int) -> tuple[I64, I64]:
    """For every element event: the enclosing open event (``parent``; -1 for closes), and
    for each close the open it closes (``opener``); -1 where that lies before the chunk (a
    stack frame) or is the root."""
    n = len(kind)
    parent = np.full(n, -1, dtype=np.int32)
    opener = np.full(n, -1, dtype=np.int32)
    if not n:
        return parent, opener
    order = np.argsort(small_levels(level), kind="stable")  # by level, then position
    lv_sorted = level[order]
    if max_level <= _SHALLOW:
        bounds = np.searchsorted(lv_sorted, np.arange(1, max_level + 2))
        prev_opens = np.zeros(0, dtype=np.int64)
        for lv in range(1, max_level + 1):
            at = order[bounds[lv - 1] : bounds[lv]]
            kinds = kind[at]
            is_cl = kinds == CLOSE
            cl = at[is_cl]
            elements = at[~is_cl]  # a close's parent is its element's: never asked for
            if len(prev_opens) and len(elements):
                k = np.searchsorted(prev_opens, elements) - 1
                parent[elements] = np.where(k >= 0, prev_opens[np.maximum(k, 0)], -1)
            prev_opens = at[kinds == OPEN]
            if len(cl) and len(prev_opens):
                k = np.searchsorted(prev_opens, cl) - 1
                opener[cl] = np.where(k >= 0, prev_opens[np.maximum(k, 0)], -1)
        return parent, opener
    # deep documents: one search over all opens keyed (level, position)
    width = n + 1
    level = level.astype(np.int64)  # the keys below outgrow 32 bits
    opens = order[kind[order] == OPEN]
    keys = level[opens] * width + opens
    idx = np.arange(n)
    parent = _last_open(keys, opens, level, (level - 1) * width + idx, level - 1)
    opener = np.where(kind == CLOSE, _last_open(keys, opens, level, level * width + idx, level), -1)
    return parent, opener


def _last_open(keys: I64, by_level: I64, level: I64, query: I64, want: I64) -> I64:
    """The last open event at level ``want`` before each query (-1: none in the chunk).

    ``keys`` are the open events keyed ``level * (n + 1) + index``, sorted; ``query`` is
    ``want * (n + 1) + index`` of the asking event.
    """
    if not len(keys):
        return np.full(len(query), -1, dtype=np.int64)
    k = np.searchsorted(keys, query) - 1
    cand = by_level[np.maximum(k, 0)]
    out: I64 = np.where((k >= 0) & (level[cand] == want), cand, -1)
    return out


def small_levels(level: I64) -> I64:
    """Levels as int16 when they fit (numpy sorts those by radix), else as they are."""
    return level.astype(np.int16) if int(level.max(initial=0)) < 32767 else level

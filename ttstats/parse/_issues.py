"""Problems met while reading a chunk: fatal ones (:class:`ChunkError`) and the rest
(:class:`Issue`), listed in detail up to :data:`MAX_DETAILED` per kind and counted beyond."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._scan import I64


class ChunkError(Exception):
    """A fatal problem at a chunk position (turned into a ReportParseError by the reader).

    ``cut``: where the chunk may be cut so that the part before it holds no piece of the
    problem (a '<'); None: the last '<' at or before ``pos``.
    """

    def __init__(self, reason: str, pos: int, cut: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.pos = pos
        self.cut = cut


#: warnings of one kind listed in detail; the rest are counted in one summary entry
MAX_DETAILED = 200
#: stands for the number of occurrences in the message of a grouped issue (see ``group``)
COUNT_MARK = "\x00count\x00"


@dataclass
class Issue:
    """Something to warn about (or to refuse in strict mode) at a chunk position.

    ``more > 0`` makes it a count only: that many further occurrences of ``kind``, not
    listed, the first of them at ``pos``. Issues with the same ``group`` are one warning
    over the whole document, at the first one's position; :data:`COUNT_MARK` in its message
    becomes the number of them.
    """

    pos: int
    kind: str
    message: str
    repair: bool = True
    #: an already located position (packed line << 32 | column), e.g. in an earlier chunk
    located: int | None = None
    more: int = 0
    group: tuple[object, ...] | None = None
    #: occurrences a grouped issue stands for
    count: int = 1
    #: where in the chunk it was found, when that is not ``pos`` (an element reported where
    #: it opened but found unclosed later): strict reading refuses issues in this order
    found_at: int | None = None


def issue_each(
    issues: list[Issue],
    pos: I64,
    kind: str,
    message: Callable[[int], str],
    *,
    repair: bool = True,
    where: Callable[[int], int] | None = None,
) -> None:
    """One issue per position in ``pos``: the first :data:`MAX_DETAILED` in document order
    with ``message(j)`` (``j`` indexes ``pos``), and one count of the rest.

    ``where(j)``, when given, is the exact position of a listed one (``pos`` orders them).
    """
    n = len(pos)
    if not n:
        return
    order = np.argsort(pos, kind="stable") if n > MAX_DETAILED else np.arange(n)
    for j in order[:MAX_DETAILED].tolist():
        at = int(pos[j]) if where is None else where(j)
        issues.append(Issue(at, kind, message(j), repair))
    if n > MAX_DETAILED:
        first = int(pos[order[MAX_DETAILED]])
        issues.append(Issue(first, kind, "", repair, more=n - MAX_DETAILED))


class IssueCap:
    """Issues added one at a time in document order, detailed up to :data:`MAX_DETAILED`
    per kind and counted beyond."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        self.seen: dict[str, int] = {}
        self.extra: dict[str, Issue] = {}

    def add(self, issue: Issue) -> None:
        n = self.seen.get(issue.kind, 0) + 1
        self.seen[issue.kind] = n
        if n <= MAX_DETAILED:
            self.issues.append(issue)
        elif issue.kind in self.extra:
            self.extra[issue.kind].more += 1
        else:
            self.extra[issue.kind] = Issue(
                issue.pos, issue.kind, "", issue.repair, issue.located, more=1
            )

    def close(self) -> None:
        """Add the counts of what was not listed."""
        self.issues.extend(self.extra.values())
        self.extra = {}

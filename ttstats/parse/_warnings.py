"""The warnings of one reading: every occurrence counted, the first ones listed in detail.

Each kind of warning lists its first :data:`MAX_DETAILED` occurrences in document order, with
line and column; the rest of that kind are counted exactly in one more entry, placed at the
first occurrence not listed. Chunks and the assembly report their occurrences here, either
one by one or as counts of occurrences they did not spell out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from ._issues import COUNT_MARK, MAX_DETAILED
from ._report import ParseWarning


class WarningLog:
    """Collects the warnings of one reading (see the module docstring)."""

    def __init__(self) -> None:
        self.found: list[ParseWarning] = []
        #: (line, column, kind, n): n occurrences not listed, the first at (line, column)
        self.more: list[tuple[int, int, str, int]] = []
        #: key -> [line, column, kind, message with COUNT_MARK, count]
        self.groups: dict[tuple[object, ...], list[object]] = {}

    def add(self, line: int, column: int, kind: str, message: str) -> None:
        """One occurrence, listed."""
        self.found.append(ParseWarning(line, column, kind, message))

    def add_more(self, line: int, column: int, kind: str, n: int) -> None:
        """``n`` occurrences of ``kind`` not listed, the first at ``(line, column)``."""
        if n > 0:
            self.more.append((line, column, kind, n))

    def add_grouped(
        self,
        key: tuple[object, ...],
        line: int,
        column: int,
        kind: str,
        message: str,
        count: int,
    ) -> None:
        """``count`` occurrences of one thing, listed once at its first position."""
        entry = self.groups.get(key)
        if entry is None:
            self.groups[key] = [line, column, kind, message, count]
        else:
            entry[4] = int(entry[4]) + count  # type: ignore[call-overload]
            if (line, column) < (entry[0], entry[1]):
                entry[0:4] = [line, column, kind, message]

    def each(
        self,
        where: Sequence[tuple[int, int]],
        kind: str,
        message: Callable[[int], str],
    ) -> None:
        """One occurrence per position, ``message(j)`` for the j-th; only those that can be
        listed are spelled out."""
        order = sorted(range(len(where)), key=lambda j: where[j])
        for j in order[:MAX_DETAILED]:
            self.add(*where[j], kind, message(j))
        if len(order) > MAX_DETAILED:
            self.add_more(*where[order[MAX_DETAILED]], kind, len(order) - MAX_DETAILED)

    def result(self) -> tuple[tuple[ParseWarning, ...], Counter[str]]:
        """The warnings to keep, sorted, and the number of occurrences of each kind."""
        found = list(self.found)
        for line, column, kind, message, count in self.groups.values():
            text = str(message).replace(COUNT_MARK, str(count))
            found.append(ParseWarning(int(line), int(column), str(kind), text))  # type: ignore[call-overload]
        total: Counter[str] = Counter()
        hidden: Counter[str] = Counter()
        first_hidden: dict[str, tuple[int, int]] = {}
        out: list[ParseWarning] = []
        for w in sorted(found, key=lambda w: (w.line, w.column, w.kind, w.message)):
            total[w.kind] += 1
            if total[w.kind] <= MAX_DETAILED:
                out.append(w)
            else:
                hidden[w.kind] += 1
                first_hidden.setdefault(w.kind, (w.line, w.column))
        for line, column, kind, n in self.more:
            total[kind] += n
            hidden[kind] += n
            first_hidden[kind] = min(first_hidden.get(kind, (line, column)), (line, column))
        for kind, n in hidden.items():
            line, column = first_hidden[kind]
            out.append(
                ParseWarning(
                    line,
                    column,
                    kind,
                    f"{n} more warnings of kind {kind!r} not listed; the first of them is here",
                )
            )
        return tuple(out), total

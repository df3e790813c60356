"""The sample axis: sample starts, each report's resolution and grid, and their union.

Every step works on all reports at once (one sort of the samples by report and start), so
that a document of many small reports costs no more than one of a few large ones. A grid is
the regular sequence of starts at the report's resolution from its first sample to its last;
month grids keep the first sample's day of the month, clipped to each month's last day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._errors import ReportParseError
from ._report import ReportInfo
from ._scan import I64
from ._warnings import WarningLog

RESOLUTIONS = ("hour", "day", "week", "month")
_STEP_MINUTES = np.asarray([60, 1440, 10080, 0], dtype=np.int64)  # month: by the calendar
MONTH = RESOLUTIONS.index("month")
#: the most samples one report's grid may span (a century of hours is under 900,000)
MAX_GRID = 1_000_000

#: the API's date forms: YYYY-MM-DD, optionally with THH:mm (seconds tolerated)
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?")
_NAT = np.iinfo(np.int64).min


def unpack(packed: int) -> tuple[int, int]:
    """``(line, column)`` from a packed ``line << 32 | column``."""
    return packed >> 32, packed & 0xFFFFFFFF


def when(minutes: int) -> str:
    """A start (minutes since the epoch) as the API writes it."""
    return str(np.datetime64(int(minutes), "m"))


def parse_time(text: str | None) -> np.datetime64 | None:
    """A date in the API's form as a minute-precision datetime64, else None."""
    if text is None or not DATE.fullmatch(text.strip()):
        return None
    try:
        return np.datetime64(text.strip(), "m")
    except ValueError:
        return None


def parse_starts(
    starts: list[str | None], s_valid: np.ndarray, s_pos: I64, warn: WarningLog
) -> I64:
    """Sample starts as minutes since the epoch; unreadable ones invalidate their sample."""
    s_min = np.full(len(starts), _NAT, dtype=np.int64)
    valid = np.flatnonzero(s_valid)
    if not len(valid):
        return s_min
    text = np.asarray([starts[i] or "" for i in valid.tolist()], dtype=object)
    uniq, inverse = np.unique(text, return_inverse=True)
    well_formed = all(DATE.fullmatch(x.strip()) for x in uniq)  # not "now", "today", "+02:00"
    try:
        if not well_formed:
            raise ValueError("not the API's date form")
        minutes = np.asarray([x.strip() for x in uniq], dtype="datetime64[m]").astype(np.int64)
        bad = np.zeros(len(uniq), dtype=bool)
    except ValueError:
        parsed = [parse_time(x) for x in uniq]
        bad = np.asarray([p is None for p in parsed], dtype=bool)
        minutes = np.asarray([0 if p is None else p.astype(np.int64) for p in parsed], np.int64)
    bad |= minutes == _NAT
    inverse = inverse.ravel()
    s_min[valid] = minutes[inverse]
    unreadable = valid[bad[inverse]]
    warn.each(
        [unpack(int(p)) for p in s_pos[unreadable].tolist()],
        "bad-sample",
        lambda j: (
            f"<sample> with unreadable start {starts[int(unreadable[j])]!r}; its values "
            "are not read"
        ),
    )
    s_valid[unreadable] = False
    # the API writes minutes; seconds other than :00 are dropped, and said so
    secs = np.asarray(
        [bool(re.search(r"T[0-9]{2}:[0-9]{2}:(?!00$)[0-9]{2}$", x.strip())) for x in uniq], bool
    )
    dropped = valid[secs[inverse] & ~bad[inverse]]
    warn.each(
        [unpack(int(p)) for p in s_pos[dropped].tolist()],
        "sample-seconds",
        lambda j: (
            f"<sample> start {starts[int(dropped[j])]!r} has seconds; read to the minute, "
            "as the API writes them"
        ),
    )
    return s_min


_DAY = 1440  # minutes
#: The length of a sample, in minutes, at each resolution (a month: its longest).
_LENGTH = {"hour": 60, "day": _DAY, "week": 7 * _DAY, "month": 31 * _DAY}


def warn_outside_period(
    infos: Sequence[ReportInfo], s_rep: I64, s_valid: np.ndarray, s_min: I64, s_pos: I64,
    warn: WarningLog,
) -> None:  # fmt: skip
    """Say which samples lie wholly outside their report's period, ``start`` to ``end``.

    Such a sample is read as it is (its values are data the file holds), but the period the
    report claims does not cover it: one of the two is wrong (Adobe's own example has a
    report of 2007-08-01 to 2007-08-02 holding a sample of 2009-08-01). The documentation
    does not say how periods are cut, so the check gives way wherever a reading allows: a
    sample is before the start only when it ends (start plus one resolution; a month counts
    31 days) by then, so a week or month labelled by its first day passes; it is after the
    end only when it starts after the end's whole day if ``end`` is a bare date (midnight),
    else after ``end`` itself, so that an inclusive and an exclusive end both pass.
    """
    if not len(s_min) or not infos:
        return
    bounds = np.asarray([[i.start, i.end] for i in infos], dtype="datetime64[m]").astype(np.int64)
    length = np.asarray([_LENGTH.get(str(i.resolution), _LENGTH["month"]) for i in infos])
    ok = s_valid & (s_min != _NAT) & (s_rep >= 0)
    at = np.where(ok, s_rep, 0)
    low, high = bounds[at, 0], bounds[at, 1]
    # the first minute past the period: the day after a bare date, else the minute after
    past = np.where(high % _DAY == 0, high + _DAY, high + 1)
    before = ok & (low != _NAT) & (s_min + length[at] <= low)
    after = ok & (high != _NAT) & (s_min >= past)
    found = np.flatnonzero(before | after)

    def message(j: int) -> str:
        i = int(found[j])
        info = infos[int(s_rep[i])]
        start = np.datetime64(int(s_min[i]), "m")
        side = "before the report's start" if before[i] else "after the report's end"
        return (
            f"<sample> starting {start} lies {side} (the report covers {info.start} to "
            f"{info.end}); read as it is: the sample or the report's dates are wrong"
        )

    warn.each([unpack(int(p)) for p in s_pos[found].tolist()], "sample-outside-period", message)


def resolutions(
    infos: list[ReportInfo],
    rep_pos: list[int],
    s_rep: I64,
    s_valid: np.ndarray,
    durations: list[str | None],
    warn: WarningLog,
) -> I64:
    """Each report's resolution (index into :data:`RESOLUTIONS`).

    The report's own ``resolution`` when it is one of the four; otherwise the most common
    sample duration among the four (ties: the one met first), else ``day``.
    """
    R = len(infos)
    v = np.flatnonzero(s_valid)
    text = np.asarray([durations[i] or "\x00" for i in v.tolist()], dtype=object)
    uniq, inverse = (
        np.unique(text, return_inverse=True) if len(v) else (np.zeros(0, object), np.zeros(0))
    )
    inverse = np.asarray(inverse, dtype=np.int64).ravel()
    U = len(uniq)
    key = s_rep[v] * max(U, 1) + inverse
    pairs, first, counts = np.unique(key, return_index=True, return_counts=True)
    seen: list[list[tuple[int, int, str | None]]] = [[] for _ in range(R)]  # (first, n, dur)
    for k, f, n in zip(pairs.tolist(), first.tolist(), counts.tolist(), strict=True):
        d = str(uniq[k % max(U, 1)])
        seen[k // max(U, 1)].append((f, n, None if d == "\x00" else d))
    out = np.empty(R, dtype=np.int64)
    for r, info in enumerate(infos):
        line, col = unpack(rep_pos[r])
        mine = sorted(seen[r])  # in the order first met
        if info.resolution in RESOLUTIONS:
            other = [d for _, _, d in mine if d is not None and d != info.resolution]
            if other:
                warn.add(
                    line,
                    col,
                    "duration",
                    f"report {r} has resolution {info.resolution!r} but samples of duration "
                    f"{other}; the report's resolution is used",
                )
            out[r] = RESOLUTIONS.index(str(info.resolution))
            continue
        known = [(-n, f, d) for f, n, d in mine if d in RESOLUTIONS]
        chosen = str(min(known)[2]) if known else "day"
        unanimous = len(mine) == 1 and bool(known)
        if info.resolution is not None or (mine and not unanimous):
            warn.add(
                line,
                col,
                "resolution",
                f"report {r} has resolution {info.resolution!r}; samples read on a {chosen!r} grid",
            )
        out[r] = RESOLUTIONS.index(chosen)
    return out


@dataclass
class Axis:
    """The sample axis and where each report's samples and grid fall on it."""

    keys: I64  # minute * 4 + resolution code, sorted: one per sample of the axis
    s_axis: I64  # per sample element: its index on the axis (-1: not read)
    grid_report: I64  # (report, axis index) pairs of every report's grid, with extra samples
    grid_axis: I64

    @property
    def starts(self) -> I64:
        out: I64 = self.keys // len(RESOLUTIONS)
        return out

    @property
    def durations(self) -> tuple[str, ...]:
        return tuple(RESOLUTIONS[int(k) % len(RESOLUTIONS)] for k in self.keys.tolist())


def build_axis(
    R: int,
    res: I64,
    s_rep: I64,
    s_valid: np.ndarray,
    s_min: I64,
    s_pos: I64,
    warn: WarningLog,
    check: Callable[[int, str, int, int], None],
) -> Axis:
    """Every report's grid, and their union as the sample axis.

    ``check(points, why, first, last)`` is asked before a grid of ``points`` is built (the
    sample elements ``first`` and ``last`` span the widest one) and raises when that is too
    much.
    """
    v = np.flatnonzero(s_valid)
    order = np.lexsort((s_min[v], s_rep[v]))
    vs, rs, ms = v[order], s_rep[v][order], s_min[v][order]
    bounds = np.searchsorted(rs, np.arange(R + 1))
    has = bounds[1:] > bounds[:-1]
    first = np.where(has, bounds[:-1], 0)
    last = np.where(has, bounds[1:] - 1, 0)
    lo = np.where(has, ms[first] if len(ms) else 0, 0)
    hi = np.where(has, ms[last] if len(ms) else 0, 0)
    month = res == MONTH
    step = np.maximum(_STEP_MINUTES[res], 1)
    m_lo = _month_index(lo)
    n_grid = np.where(month, _month_index(hi) - m_lo, (hi - lo) // step) + 1
    n_grid = np.where(has, n_grid, 0)
    if R and int(n_grid.max()) > MAX_GRID:
        r = int(np.argmax(n_grid))
        a, b = int(vs[first[r]]), int(vs[last[r]])
        (la, ca), (lb, cb) = unpack(int(s_pos[a])), unpack(int(s_pos[b]))
        raise ReportParseError(
            f"the samples of report {r} run from {when(int(lo[r]))} (line {la}, column {ca}) to "
            f"{when(int(hi[r]))}: more than {MAX_GRID:,} {RESOLUTIONS[int(res[r])]} samples in "
            "one report; refused",
            lb,
            cb,
        )
    widest = int(np.argmax(n_grid)) if R else 0
    if R:
        check(
            int(n_grid.sum()),
            f"the reports' sample grids (the widest: report {widest}'s, by "
            f"{RESOLUTIONS[int(res[widest])]})",
            int(vs[first[widest]]) if has[widest] else -1,
            int(vs[last[widest]]) if has[widest] else -1,
        )
    # -- the grids, all reports at once -------------------------------------------------------
    G = int(n_grid.sum())
    g_rep = np.repeat(np.arange(R, dtype=np.int64), n_grid)
    k = np.arange(G, dtype=np.int64) - np.repeat(np.cumsum(n_grid) - n_grid, n_grid)
    g_min = np.repeat(lo, n_grid) + k * np.repeat(step, n_grid)
    gm = np.flatnonzero(month[g_rep])
    if len(gm):
        g_min[gm] = _month_grid(lo[g_rep[gm]], m_lo[g_rep[gm]] + k[gm])
    # -- samples off their report's grid: kept as extra samples -------------------------------
    span_lo = int(min(ms.min(initial=0), g_min.min(initial=0)))
    span = int(max(ms.max(initial=0), g_min.max(initial=0))) - span_lo + 1
    g_key = g_rep * span + (g_min - span_lo)  # sorted: by report, then start
    s_key = rs * span + (ms - span_lo)
    at = np.searchsorted(g_key, s_key)
    on = (at < len(g_key)) & (g_key[np.minimum(at, max(len(g_key) - 1, 0))] == s_key)
    off = np.flatnonzero(~on)
    if len(off):
        off_rep, off_first = np.unique(rs[off], return_index=True)
        distinct = np.unique(s_key[off])
        per_rep = np.bincount(distinct // span, minlength=R)
        for r, f in zip(off_rep.tolist(), off_first.tolist(), strict=True):
            line, col = unpack(int(s_pos[vs[off[f]]]))
            warn.add(
                line,
                col,
                "off-grid",
                f"{per_rep[r]} sample(s) of report {r} do not start on its "
                f"{RESOLUTIONS[int(res[r])]} grid; kept as extra samples",
            )
    # -- the union: a sample is keyed by (start, resolution) ----------------------------------
    rc = len(RESOLUTIONS)
    grid_keys = np.concatenate([g_min * rc + res[g_rep], ms[off] * rc + res[rs[off]]])
    grid_rep = np.concatenate([g_rep, rs[off]])
    keys = np.unique(grid_keys)
    s_axis = np.full(len(s_valid), -1, dtype=np.int64)
    s_axis[vs] = np.searchsorted(keys, ms * rc + res[rs])
    return Axis(keys, s_axis, grid_rep, np.searchsorted(keys, grid_keys))


def _month_index(minutes: I64) -> I64:
    """Months since 1970-01 of each start."""
    out: I64 = minutes.astype("datetime64[m]").astype("datetime64[M]").astype(np.int64)
    return out


def _month_grid(anchor: I64, month: I64) -> I64:
    """The start in ``month`` (months since 1970-01) of a monthly grid begun at ``anchor``.

    Same day of the month as the anchor, clipped to the month's last day (a grid begun on
    January 31 continues on February 28 or 29, then March 31), and the same time of day.
    """
    day0 = anchor.astype("datetime64[m]").astype("datetime64[D]")
    time_of_day = anchor - day0.astype("datetime64[m]").astype(np.int64)
    day_of_month = (day0 - day0.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    starts = month.astype("datetime64[M]").astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[M]").astype("datetime64[D]") - starts).astype(np.int64)
    day = starts + np.minimum(day_of_month, length - 1).astype("timedelta64[D]")
    out: I64 = day.astype("datetime64[m]").astype(np.int64) + time_of_day
    return out


def warn_duplicate_samples(
    s_rep: I64, s_axis: I64, s_valid: np.ndarray, s_pos: I64, axis: Axis, warn: WarningLog
) -> None:
    """One warning per sample element repeating an earlier one of the same report."""
    v = np.flatnonzero(s_valid)
    key = s_rep[v] * (len(axis.keys) + 1) + s_axis[v]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    again = np.flatnonzero(np.arange(len(v)) != first[inverse])
    if not len(again):
        return
    starts = axis.starts

    def message(j: int) -> str:
        i = int(v[again[j]])
        line, col = unpack(int(s_pos[v[first[inverse[again[j]]]]]))
        return (
            f"the sample starting {when(int(starts[s_axis[i]]))} appears again in report "
            f"{int(s_rep[i])} (first at line {line}, column {col}); the two are merged: a value "
            "given in both keeps the first (see the 'duplicate' warnings)"
        )

    warn.each([unpack(int(p)) for p in s_pos[v[again]].tolist()], "duplicate-sample", message)

"""From records to a :class:`Report`: labels, sample grids, one scatter and the zero fill."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .._errors import ReportParseError
from ._extract import E_SUMSQ, FINAL_STEP, Records
from ._report import Cells, ParseWarning, Report, ReportInfo, SampleAxis
from ._scan import I64

RESOLUTIONS = ("hour", "day", "week", "month")
_STEP_MINUTES = {"hour": 60, "day": 1440, "week": 10080}
NFIELDS = E_SUMSQ + 1


def _cat(parts: Sequence[npt.NDArray[Any]], dtype: type = np.int64) -> npt.NDArray[Any]:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _unpack(packed: int) -> tuple[int, int]:
    return packed >> 32, packed & 0xFFFFFFFF


#: the API's date forms: YYYY-MM-DD, optionally with THH:mm (seconds tolerated)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?")
_INT = re.compile(r"-?[0-9]{1,18}")
#: the most samples one report's grid may span (a century of hours is under 900,000)
MAX_GRID = 1_000_000
#: the most cells (all measures) a report's arrays may hold: 8 GB of float64
MAX_CELLS = 1_000_000_000
#: values merged into the arrays at a time
VALUE_BATCH = 1 << 22


def _time(text: str | None) -> np.datetime64 | None:
    if text is None or not _DATE.fullmatch(text.strip()):
        return None
    try:
        return np.datetime64(text.strip(), "m")
    except ValueError:
        return None


def _int(text: object) -> int | None:
    if text is None:
        return None
    s = str(text).strip()
    return int(s) if _INT.fullmatch(s) else None


def assemble(
    rec: Records,
    found: list[ParseWarning],
    *,
    version: int | None,
    campaign_recipe: str,
    strict: bool,
) -> Report:
    """Build the Report arrays from everything read."""
    warn = _Warn(found)
    # -- reports ------------------------------------------------------------------------------
    rep_valid = np.asarray([bool(r["valid"]) for r in rec.reports], dtype=bool)
    rep_index = np.cumsum(rep_valid) - 1
    rep_index = np.where(rep_valid, rep_index, -1)
    infos: list[ReportInfo] = []
    for attrs in [x for x in rec.reports if x["valid"]]:
        infos.append(_report_info(attrs, warn))
    if not infos:
        if rec.first_element is None:
            raise ReportParseError("no XML elements found: empty or not a Performance Report", 1, 1)
        raise ReportParseError("no <report> element found: not a Performance Report", 1, 1)
    R = len(infos)
    # -- samples ------------------------------------------------------------------------------
    s_rep = _cat(rec.sample_report)
    s_rep = np.where(s_rep >= 0, rep_index[np.maximum(s_rep, 0)] if len(rep_index) else -1, -1)
    s_valid = (_cat(rec.sample_valid) == 1) & (s_rep >= 0)
    s_pos = _cat(rec.sample_pos)
    starts = [x for part in rec.sample_start for x in part]
    durations = [x for part in rec.sample_duration for x in part]
    s_min = _parse_starts(starts, s_valid, s_pos, warn)
    res = [_resolution(infos[r], r, s_rep, s_valid, durations, warn) for r in range(R)]
    res_code = np.asarray([RESOLUTIONS.index(x) for x in res], dtype=np.int64)
    # grid per report, then the union; a sample is keyed by (start, resolution)
    grid_keys: list[I64] = []
    for r in range(R):
        mine = np.flatnonzero(s_valid & (s_rep == r))
        got = np.unique(s_min[mine])
        grid = _grid(got, res[r]) if len(got) else np.zeros(0, np.int64)
        off = np.setdiff1d(got, grid)
        if len(off):
            first = mine[np.isin(s_min[mine], off)][0]
            line, col = _unpack(int(s_pos[first]))
            warn.add(
                line,
                col,
                "off-grid",
                f"{len(off)} sample(s) of report {r} do not start on its {res[r]} grid; kept as extra samples",
            )
        grid_keys.append(np.union1d(grid, got) * len(RESOLUTIONS) + res_code[r])
    axis_keys = np.unique(np.concatenate(grid_keys)) if grid_keys else np.zeros(0, np.int64)
    S = len(axis_keys)
    in_grid = np.zeros((R, S), dtype=bool)
    for r in range(R):
        in_grid[r, np.searchsorted(axis_keys, grid_keys[r])] = True
    s_axis = np.full(len(starts), -1, dtype=np.int64)
    v = np.flatnonzero(s_valid)
    s_axis[v] = np.searchsorted(axis_keys, s_min[v] * len(RESOLUTIONS) + res_code[s_rep[v]])
    axis = [(int(k) // len(RESOLUTIONS), RESOLUTIONS[int(k) % len(RESOLUTIONS)]) for k in axis_keys]
    present = np.zeros((R, S), dtype=bool)
    present[s_rep[s_valid], s_axis[s_valid]] = True
    _warn_duplicate_samples(s_rep, s_axis, s_valid, s_pos, warn)
    # -- recipes and steps --------------------------------------------------------------------
    k_sample = _cat(rec.recipe_sample)
    k_name = _cat(rec.recipe_name)
    k_ok = (_cat(rec.recipe_valid) == 1) & (k_sample >= 0)
    k_ok &= np.where(
        k_sample >= 0, s_valid[np.maximum(k_sample, 0)] if len(s_valid) else False, False
    )
    camp_id = rec.text_ids.get(campaign_recipe)
    recipe_ids = _first_seen(k_name[k_ok & (k_name != (camp_id if camp_id is not None else -9))])
    K = len(recipe_ids)
    recipe_pos = np.full(len(rec.name_text) + 1, -1, dtype=np.int64)
    recipe_pos[recipe_ids] = np.arange(K)
    if camp_id is not None:
        recipe_pos[camp_id] = K
    t_recipe = _cat(rec.step_recipe)
    t_name = _cat(rec.step_name)
    t_ok = (_cat(rec.step_valid) == 1) & (t_recipe >= 0)
    t_ok &= np.where(t_recipe >= 0, k_ok[np.maximum(t_recipe, 0)] if len(k_ok) else False, False)
    step_ids = _first_seen(t_name[t_ok])
    # -- values -------------------------------------------------------------------------------
    # Values are the bulk of what was read: keep them compact (int32 keys, int8 field) and
    # free each part as soon as it is merged, so that memory follows the output arrays.
    v_recipe = _take_all(rec.v_recipe, np.int32)
    v_step = _take_all(rec.v_step, np.int32)
    v_sname = _take_all(rec.v_step_name, np.int32)
    v_field = _take_all(rec.v_field, np.int8)
    v_value = _take_all(rec.v_value, np.float64)
    k_pos = _cat(rec.recipe_pos)

    def where_is(j: int) -> tuple[int, int]:
        # values are located by their recipe element (cheaper than one location per value)
        r = int(v_recipe[j])
        return _unpack(int(k_pos[r])) if 0 <= r < len(k_pos) else (1, 1)

    # the step's name: from the step element, the engagement's stepName or the final step
    name = v_sname.copy()
    from_step = np.flatnonzero(v_step >= 0)
    st = v_step[from_step]
    name[from_step] = np.where(t_ok[st], t_name[st], -1)
    del from_step, st, v_step
    final = np.flatnonzero(v_sname == FINAL_STEP)
    del v_sname
    if len(final):
        last_step = np.full(len(k_name), -1, dtype=np.int64)
        okt = np.flatnonzero(t_ok)
        last_step[t_recipe[okt]] = okt  # later ordinals overwrite: the last step listed
        ls = last_step[v_recipe[final]]
        name[final] = np.where(ls >= 0, t_name[np.maximum(ls, 0)] if len(t_name) else -1, -1)
        bad = final[(name[final] < 0) & (v_recipe[final] >= 0)]
        for j in bad[:100].tolist():
            if k_ok[v_recipe[j]]:
                warn.add(
                    *where_is(j),
                    "no-step",
                    "recipe-level <amount> in a recipe without steps; its revenue is not read",
                )
    known = set(step_ids)
    extra = [n for n in _first_seen(name[name >= 0]) if n not in known]
    step_ids += extra
    T = len(step_ids)
    step_pos = np.full(len(rec.name_text) + 1, -1, dtype=np.int64)
    step_pos[step_ids] = np.arange(T)
    # the cell of each recipe element: ((report * S + sample) * (K + 1) + recipe), -1 if dropped
    k_slot = recipe_pos[k_name] if len(k_name) else np.zeros(0, np.int64)
    k_cell = np.full(len(k_name), -1, dtype=np.int64)
    good = np.flatnonzero(k_ok & (k_slot >= 0))
    k_cell[good] = (s_rep[k_sample[good]] * S + s_axis[k_sample[good]]) * (K + 1) + k_slot[good]
    shape = (R, S, K + 1, T, NFIELDS)
    size = int(np.prod(shape))
    if size > MAX_CELLS:
        raise ReportParseError(
            f"the report would need {size:,} cells ({R} reports x {S} samples x {K + 1} recipes x "
            f"{T} steps x {NFIELDS} measures), more than {MAX_CELLS:,}; refused",
            1,
            1,
        )
    arr = np.full(shape, np.nan)
    flat_arr = arr.reshape(-1)
    written = np.zeros(size, dtype=bool)  # cells that already hold the first value read
    dropped: list[tuple[int, int]] = []  # (value index, cell) of duplicates
    n_dropped = 0
    # in batches, so that the temporaries stay small next to the output arrays
    for lo in range(0, len(v_value), VALUE_BATCH):
        hi = min(lo + VALUE_BATCH, len(v_value))
        rec_of = v_recipe[lo:hi]
        flat = np.where(rec_of >= 0, k_cell[np.maximum(rec_of, 0)] if len(k_cell) else -1, -1)
        step_of = name[lo:hi]
        keep = np.flatnonzero((flat >= 0) & (step_of >= 0))
        flat = flat[keep]
        flat *= T
        flat += step_pos[step_of[keep]]
        flat *= NFIELDS
        flat += v_field[lo:hi][keep]
        # the first value of each cell in this batch, unless an earlier batch wrote it
        cells, first = np.unique(flat, return_index=True)
        new = ~written[cells]
        flat_arr[cells[new]] = v_value[lo + keep[first[new]]]
        written[cells] = True
        if len(first) < len(flat) or not new.all():
            is_first = np.zeros(len(flat), dtype=bool)
            is_first[first[new]] = True
            later = np.flatnonzero(~is_first)
            n_dropped += len(later)
            for j in later[: max(0, 101 - len(dropped))].tolist():
                dropped.append((lo + int(keep[j]), int(flat[j])))
    if dropped and strict:
        raise ReportParseError(
            "two values for the same report, sample, recipe, step and measure "
            "[refused: strict=True]",
            *where_is(dropped[0][0]),
        )
    for at, cell in dropped[:100]:
        warn.add(
            *where_is(at),
            "duplicate",
            f"in this <recipe>, two values for the same report, sample, recipe, step and measure: {float(flat_arr[cell])!r} kept, {float(v_value[at])!r} dropped",
        )
    if n_dropped > 100:
        warn.add(
            *where_is(dropped[min(100, len(dropped) - 1)][0]),
            "duplicate",
            f"{n_dropped - 100} more duplicated values dropped",
        )
    del written, name, v_field, v_value
    _zero_fill(arr, in_grid, present, warn, [rec.name_text[i] for i in recipe_ids])
    # -- version ------------------------------------------------------------------------------
    doc_version = 2 if rec.has_step_amount else 1
    if (
        version is not None
        and version != doc_version
        and (rec.has_step_amount or rec.has_step_text)
    ):
        warn.add(
            1,
            1,
            "version",
            f"read as version {version} as asked, but the document has the shape of version {doc_version}; each element was read by where it stands",
        )
    recipes = tuple(rec.name_text[i] for i in recipe_ids)
    steps = tuple(rec.name_text[i] for i in step_ids)
    experiences = Cells(*(arr[:, :, :K, :, f] for f in range(NFIELDS)))
    summary = Cells(*(arr[:, :, K, :, f] for f in range(NFIELDS)))
    sample_start = np.asarray([k[0] for k in axis], dtype="datetime64[m]")
    return Report(
        reports=tuple(infos),
        samples=SampleAxis(sample_start, tuple(k[1] for k in axis)),
        recipes=recipes,
        steps=steps,
        cells=experiences.map(lambda x: x),
        campaign=summary.map(lambda x: x),
        present=present,
        in_grid=in_grid,
        version=version if version is not None else doc_version,
        warnings=warn.result(),
        campaign_recipe=campaign_recipe,
    )


class _Warn:
    def __init__(self, found: list[ParseWarning]) -> None:
        self.found = found

    def add(self, line: int, col: int, kind: str, message: str) -> None:
        self.found.append(ParseWarning(line, col, kind, message))

    def result(self) -> tuple[ParseWarning, ...]:
        out: list[ParseWarning] = []
        per_kind: Counter[str] = Counter()
        dropped: Counter[str] = Counter()
        first_dropped: dict[str, ParseWarning] = {}
        for w in sorted(self.found, key=lambda w: (w.line, w.column, w.kind, w.message)):
            per_kind[w.kind] += 1
            if per_kind[w.kind] <= 200:
                out.append(w)
            else:
                dropped[w.kind] += 1
                first_dropped.setdefault(w.kind, w)
        for kind, n in dropped.items():
            w = first_dropped[kind]
            out.append(
                ParseWarning(
                    w.line, w.column, kind, f"{n} more warnings of kind {kind!r} from here on"
                )
            )
        return tuple(out)


def _take_all(parts: list[Any], dtype: Any) -> npt.NDArray[Any]:
    """Concatenate the per-chunk arrays into one of ``dtype`` and empty the list."""
    out = np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
    parts.clear()
    return out


def _first_seen(ids: I64) -> list[int]:
    """The distinct values of ``ids`` in the order they first occur."""
    if not len(ids):
        return []
    first = np.full(int(ids.max()) + 1, len(ids), dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)  # the last write, the first occurrence
    seen = np.flatnonzero(first < len(ids))
    return [int(x) for x in seen[np.argsort(first[seen])]]


def _parse_starts(starts: list[str | None], s_valid: np.ndarray, s_pos: I64, warn: _Warn) -> I64:
    """Sample starts as minutes since the epoch; unreadable ones invalidate their sample."""
    s_min = np.full(len(starts), np.iinfo(np.int64).min, dtype=np.int64)
    valid = np.flatnonzero(s_valid)
    if not len(valid):
        return s_min
    text = np.asarray([starts[i] or "" for i in valid.tolist()], dtype=object)
    uniq, inverse = np.unique(text, return_inverse=True)
    well_formed = all(_DATE.fullmatch(x.strip()) for x in uniq)  # not "now", "today", "+02:00"
    try:
        if not well_formed:
            raise ValueError("not the API's date form")
        minutes = np.asarray([x.strip() for x in uniq], dtype="datetime64[m]").astype(np.int64)
        bad = np.zeros(len(uniq), dtype=bool)
    except ValueError:
        parsed = [_time(x) for x in uniq]
        bad = np.asarray([p is None for p in parsed])
        minutes = np.asarray([0 if p is None else p.astype(np.int64) for p in parsed], np.int64)
    bad |= minutes == np.iinfo(np.int64).min  # NaT
    s_min[valid] = minutes[inverse.ravel()]
    for j in np.flatnonzero(bad[inverse.ravel()])[:100].tolist():
        i = int(valid[j])
        line, col = _unpack(int(s_pos[i]))
        warn.add(
            line,
            col,
            "bad-sample",
            f"<sample> with unreadable start {starts[i]!r}; its values are not read",
        )
    s_valid[valid[bad[inverse.ravel()]]] = False
    return s_min


def _report_info(r: dict[str, object], warn: _Warn) -> ReportInfo:
    line, col = _unpack(int(r["pos"]))  # type: ignore[call-overload]
    seg, segs = r.get("segment"), r.get("segments")
    if seg is not None and segs is not None and seg != segs:
        warn.add(
            line,
            col,
            "attribute",
            f"report has segment={seg!r} and segments={segs!r}; segment is used",
        )
    segment = seg if seg is not None else segs
    cid = _int(r.get("campaignId"))
    if r.get("campaignId") is not None and cid is None:
        warn.add(
            line,
            col,
            "attribute",
            f"campaignId {r.get('campaignId')!r} is not an integer; read as None",
        )
    sid = _int(r.get("segmentId"))
    if r.get("segmentId") is not None and sid is None:
        warn.add(
            line,
            col,
            "attribute",
            f"segmentId {r.get('segmentId')!r} is not an integer; read as None",
        )
    times = []
    for key in ("start", "end"):
        raw = r.get(key)
        t = _time(str(raw)) if raw is not None else None
        if raw is not None and t is None:
            warn.add(line, col, "attribute", f"report {key} {raw!r} is not a date; read as NaT")
        times.append(t if t is not None else np.datetime64("NaT", "m"))
    return ReportInfo(
        campaign_id=cid,
        type=None if r.get("type") is None else str(r.get("type")),
        segment=None if segment is None else str(segment),
        segment_id=sid,
        start=times[0],
        end=times[1],
        resolution=None if r.get("resolution") is None else str(r.get("resolution")),
    )


def _resolution(
    info: ReportInfo,
    r: int,
    s_rep: I64,
    s_valid: np.ndarray,
    durations: list[str | None],
    warn: _Warn,
) -> str:
    mine = [durations[i] for i in np.flatnonzero(s_valid & (s_rep == r)).tolist()]
    seen = Counter(d for d in mine if d is not None)
    if info.resolution in RESOLUTIONS:
        other = [d for d in seen if d != info.resolution]
        if other:
            warn.add(
                1,
                1,
                "duration",
                f"report {r} has resolution {info.resolution!r} but samples of duration {other}; the report's resolution is used",
            )
        return str(info.resolution)
    common = [d for d, _ in seen.most_common() if d in RESOLUTIONS]
    chosen = common[0] if common else "day"
    unanimous = len(seen) == 1 and common and sum(seen.values()) == len(mine)
    if info.resolution is not None or (mine and not unanimous):
        warn.add(
            1,
            1,
            "resolution",
            f"report {r} has resolution {info.resolution!r}; samples read on a {chosen!r} grid",
        )
    return chosen


def _grid(got: I64, res: str) -> I64:
    """Regular grid (minutes since the epoch) at ``res`` from the first to the last start."""
    lo, hi = int(got[0]), int(got[-1])
    span = (hi - lo) // _STEP_MINUTES.get(res, 28 * 1440)
    if span > MAX_GRID:
        raise ReportParseError(
            f"the samples run from {np.datetime64(lo, 'm')} to {np.datetime64(hi, 'm')}: more "
            f"than {MAX_GRID:,} {res} samples in one report; refused"
        )
    if res == "month":
        m0 = np.datetime64(lo, "m").astype("datetime64[M]")
        m1 = np.datetime64(hi, "m").astype("datetime64[M]")
        offset = lo - int(m0.astype("datetime64[m]").astype(np.int64))
        months = np.arange(m0, m1 + 1).astype("datetime64[m]").astype(np.int64)
        return months + offset
    return np.arange(lo, hi + 1, _STEP_MINUTES[res], dtype=np.int64)


def _warn_duplicate_samples(
    s_rep: I64, s_axis: I64, s_valid: np.ndarray, s_pos: I64, warn: _Warn
) -> None:
    v = np.flatnonzero(s_valid)
    key = s_rep[v] * (int(s_axis.max(initial=0)) + 1) + s_axis[v]
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    for j in np.flatnonzero(counts > 1)[:100].tolist():
        same = v[key == key[first[j]]]
        line, col = _unpack(int(s_pos[same[1]]))
        warn.add(
            line,
            col,
            "duplicate-sample",
            f"the same sample appears {counts[j]} times in report {int(s_rep[same[0]])}; values are merged and any value given twice keeps the first",
        )


def _zero_fill(
    arr: np.ndarray, in_grid: np.ndarray, present: np.ndarray, warn: _Warn, recipes: list[str]
) -> None:
    """Inside a report's grid, a measure the report carries is 0 where not given."""
    given = ~np.isnan(arr)
    carried = given.any(axis=1)  # (R, K1, T, F)
    # recipes missing from samples the document did contain
    rec_given = given.any(axis=(3, 4))  # (R, S, K1)
    rec_carried = rec_given.any(axis=1)  # (R, K1)
    missing = present[:, :, None] & ~rec_given & rec_carried[:, None, :]
    for r, k in zip(*np.nonzero(missing.any(axis=1)), strict=True):
        n = int(missing[r, :, k].sum())
        name = recipes[k] if k < len(recipes) else "the summary recipe"
        warn.add(
            1,
            1,
            "missing-recipe",
            f"{name!r} is absent from {n} sample(s) of report {int(r)} that the document contains; read as zero, like an omitted sample",
        )
    fill = in_grid[:, :, None, None, None] & carried[:, None] & ~given
    arr[fill] = 0.0

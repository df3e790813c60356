"""From records to a :class:`Report`: labels, the sample axis, one scatter and the zero fill.

The output is bounded by what was read: the arrays may hold at most
:data:`CELLS_PER_VALUE` cells per value read plus :data:`FREE_CELLS`, unless the caller
allows more (``max_cells``). Omitted samples inside a grid are real (their counts are zero),
but two samples years apart at hourly resolution would otherwise turn a few kilobytes into
gigabytes of zeros.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import partial
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from .._errors import ReportParseError
from ._extract import COUNT, DECIMAL_FIELDS, E_SUMSQ, FINAL_STEP, Records
from ._grid import (
    build_axis,
    parse_starts,
    parse_time,
    resolutions,
    unpack,
    warn_duplicate_samples,
    warn_outside_period,
    when,
)
from ._issues import MAX_DETAILED
from ._report import MEASURES, Cells, Report, ReportInfo, SampleAxis
from ._scan import I64
from ._tokenize import (
    REPORTS as REPORTS_CODE,
)
from ._warnings import WarningLog

NFIELDS = E_SUMSQ + 1
_INT = re.compile(r"-?[0-9]{1,18}")
#: cells the arrays may hold per value read (the grid's omitted samples are zeros) ...
CELLS_PER_VALUE = 64
#: ... plus this many, whatever was read (16 MiB of float64)
FREE_CELLS = 1 << 21
#: values merged into the arrays at a time
VALUE_BATCH = 1 << 22


def _cat(parts: Sequence[npt.NDArray[Any]], dtype: type = np.int64) -> npt.NDArray[Any]:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _int(text: object) -> int | None:
    if text is None:
        return None
    s = str(text).strip()
    return int(s) if _INT.fullmatch(s) else None


def assemble(
    rec: Records,
    warn: WarningLog,
    *,
    version: int | None,
    campaign_recipe: str,
    strict: bool,
    max_cells: int | None = None,
) -> tuple[Report, Counter[str]]:
    """Build the Report arrays from everything read; also the warning counts per kind."""
    # -- reports ------------------------------------------------------------------------------
    rep_valid = np.asarray([bool(r["valid"]) for r in rec.reports], dtype=bool)
    rep_index = np.where(rep_valid, np.cumsum(rep_valid) - 1, -1)
    valid_reports = [x for x in rec.reports if x["valid"]]
    infos = [_report_info(attrs, warn) for attrs in valid_reports]
    rep_pos = [int(x["pos"]) for x in valid_reports]  # type: ignore[call-overload]
    if not infos:
        if rec.first_element is None:
            raise ReportParseError("no XML elements found: empty or not a Performance Report", 1, 1)
        raise ReportParseError("no <report> element found: not a Performance Report", 1, 1)
    if rec.first_element is not None and rec.first_element != REPORTS_CODE:
        warn.add(
            *unpack(rec.first_element_pos),
            "unverifiable-end",
            "no <reports> root: a document cut short cannot be told from a complete one (a "
            "<reports> root that is never closed would say so); check that the file is whole",
        )
    R = len(infos)
    # -- samples ------------------------------------------------------------------------------
    s_rep = _cat(rec.sample_report)
    s_rep = np.where(s_rep >= 0, rep_index[np.maximum(s_rep, 0)] if len(rep_index) else -1, -1)
    s_valid = (_cat(rec.sample_valid) == 1) & (s_rep >= 0)
    s_pos = _cat(rec.sample_pos)
    starts = [x for part in rec.sample_start for x in part]
    durations = [x for part in rec.sample_duration for x in part]
    s_min = parse_starts(starts, s_valid, s_pos, warn)
    warn_outside_period(infos, s_rep, s_valid, s_min, s_pos, warn)
    res = resolutions(infos, rep_pos, s_rep, s_valid, durations, warn)
    n_values = sum(len(x) for x in rec.v_value)
    limit = CELLS_PER_VALUE * n_values + FREE_CELLS if max_cells is None else max_cells
    widest: list[int] = [-1, -1]  # the sample elements spanning the widest grid

    def check(cells: int, what: str, first: int, last: int) -> None:
        if first >= 0:
            widest[:] = [first, last]
        if cells <= limit:
            return
        if widest[0] >= 0 and widest[0] != widest[1]:
            a, b = widest
            (la, ca), (lb, cb) = unpack(int(s_pos[a])), unpack(int(s_pos[b]))
            where = (
                f"; the widest grid runs from the sample starting {when(int(s_min[a]))} "
                f"(line {la}, column {ca}) to the one starting {when(int(s_min[b]))} "
                f"(line {lb}, column {cb})"
            )
        else:  # many reports or samples, none wide: point at the last report
            (lb, cb), where = unpack(rep_pos[-1]), ""
        allowed = (
            f"max_cells={max_cells:,}"
            if max_cells is not None
            else f"{CELLS_PER_VALUE} per value read ({n_values:,} values) plus {FREE_CELLS:,}"
        )
        raise ReportParseError(
            f"{what} would need {cells:,} cells, more than the {limit:,} allowed ({allowed})"
            f"{where}; refused: pass a larger max_cells= to read it anyway",
            lb,
            cb,
        )

    axis = build_axis(R, res, s_rep, s_valid, s_min, s_pos, warn, check)
    S = len(axis.keys)
    s_axis = axis.s_axis
    warn_duplicate_samples(s_rep, s_axis, s_valid, s_pos, axis, warn)
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

    def packed_where(j: I64) -> I64:
        # values are located by their recipe element (cheaper than one location per value)
        r = v_recipe[j].astype(np.int64)
        inside = (r >= 0) & (r < len(k_pos))
        out: I64 = np.where(inside, k_pos[np.where(inside, r, 0)] if len(k_pos) else 0, 1 << 32 | 1)
        return out

    def where_is(j: int) -> tuple[int, int]:
        return unpack(int(packed_where(np.asarray([j]))[0]))

    # the step's name: from the step element, the engagement's stepName or the final step
    name = v_sname.copy()
    from_step = np.flatnonzero(v_step >= 0)
    name[from_step] = np.where(t_ok, t_name, -1).astype(np.int32)[v_step[from_step]]
    del from_step
    final = np.flatnonzero(v_sname == FINAL_STEP)
    del v_sname
    if len(final):
        last_step = np.full(len(k_name), -1, dtype=np.int64)
        okt = np.flatnonzero(t_ok)
        last_step[t_recipe[okt]] = okt  # later ordinals overwrite: the last step listed
        ls = last_step[v_recipe[final]]
        name[final] = np.where(ls >= 0, t_name[np.maximum(ls, 0)] if len(t_name) else -1, -1)
        bad = final[(name[final] < 0) & (v_recipe[final] >= 0)]
        bad = bad[k_ok[v_recipe[bad]]]
        warn.each(
            [where_is(int(j)) for j in bad.tolist()],
            "no-step",
            lambda j: "recipe-level <amount> in a recipe without steps; its revenue is not read",
        )
    # steps named only by values (an engagement's stepName, the final step): the rest came
    # from step elements and are known already
    known = set(step_ids)
    by_name = name[(v_step < 0) & (name >= 0)]
    step_ids += [n for n in _first_seen(by_name) if n not in known]
    del v_step, by_name
    T = len(step_ids)
    step_pos = np.full(len(rec.name_text) + 1, -1, dtype=np.int64)
    step_pos[step_ids] = np.arange(T)
    shape = (R, S, K + 1, T, NFIELDS)
    size = int(np.prod(shape))
    check(
        size + 2 * R * S,
        f"the arrays ({R:,} report(s) x {S:,} sample(s) x {K + 1} recipe(s) x {T} step(s) x "
        f"{NFIELDS} measures; the recipes include the summary slot)",
        -1,
        -1,
    )
    in_grid = np.zeros((R, S), dtype=bool)
    in_grid[axis.grid_report, axis.grid_axis] = True
    present = np.zeros((R, S), dtype=bool)
    present[s_rep[s_valid], s_axis[s_valid]] = True
    # the cell of each recipe element: ((report * S + sample) * (K + 1) + recipe), -1 if dropped
    k_slot = recipe_pos[k_name] if len(k_name) else np.zeros(0, np.int64)
    k_cell = np.full(len(k_name), -1, dtype=np.int64)
    good = np.flatnonzero(k_ok & (k_slot >= 0))
    k_cell[good] = (s_rep[k_sample[good]] * S + s_axis[k_sample[good]]) * (K + 1) + k_slot[good]
    del k_slot, good

    cells_of = partial(
        _cells_of,
        v_recipe=v_recipe,
        k_cell=k_cell,
        name=name,
        step_pos=step_pos,
        n_steps=T,
        v_field=v_field,
    )

    arr = np.full(shape, np.nan)
    flat_arr = arr.reshape(-1)
    written = np.zeros(size, dtype=bool)  # cells that already hold the first value read
    first_of = np.empty(size if len(v_value) else 0, dtype=np.int32)  # scratch, per cell
    dropped_parts: list[I64] = []  # value indices of the duplicates
    # in batches, so that the temporaries stay small next to the output arrays
    for lo in range(0, len(v_value), VALUE_BATCH):
        flat, at = cells_of(lo, min(lo + VALUE_BATCH, len(v_value)))
        # the first value of each cell in this batch (written backwards, the first one
        # stays), unless an earlier batch wrote that cell: no sort needed
        order = np.arange(len(flat), dtype=np.int32)
        first_of[flat[::-1]] = order[::-1]
        new = (first_of[flat] == order) & ~written[flat]
        flat_arr[flat[new]] = v_value[at[new]]
        written[flat] = True
        if not new.all():
            dropped_parts.append(at[~new])
    del first_of
    if dropped_parts:
        _report_duplicates(
            np.concatenate(dropped_parts),
            cells_of,
            len(v_value),
            packed_where,
            flat_arr,
            v_value,
            shape,
            (infos, axis.starts, [rec.name_text[i] for i in recipe_ids], campaign_recipe),
            [rec.name_text[i] for i in step_ids],
            warn,
            strict,
        )
    del cells_of, name, v_field, v_value, dropped_parts
    _zero_fill(arr, written.reshape(shape), in_grid, present, warn, rep_pos, recipe_ids, rec)
    del written
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
    sample_start = axis.starts.astype("datetime64[m]")
    warnings, totals = warn.result()
    decimals = {MEASURES[f]: rec.decimals.get(f) for f in DECIMAL_FIELDS}
    report = Report(
        reports=tuple(infos),
        samples=SampleAxis(sample_start, axis.durations),
        recipes=recipes,
        steps=steps,
        cells=experiences.map(lambda x: x),
        campaign=summary.map(lambda x: x),
        present=present,
        in_grid=in_grid,
        version=version if version is not None else doc_version,
        warnings=warnings,
        campaign_recipe=campaign_recipe,
        decimals=MappingProxyType(decimals),
    )
    return report, totals


def _cells_of(
    lo: int,
    hi: int,
    *,
    v_recipe: npt.NDArray[np.int32],
    k_cell: I64,
    name: npt.NDArray[np.int32],
    step_pos: I64,
    n_steps: int,
    v_field: npt.NDArray[np.int8],
) -> tuple[I64, I64]:
    """The cell of each value in ``lo:hi`` that has one, and those values' indices."""
    rec_of = v_recipe[lo:hi]
    flat = np.where(rec_of >= 0, k_cell[np.maximum(rec_of, 0)] if len(k_cell) else -1, -1)
    step_of = name[lo:hi]
    keep = np.flatnonzero((flat >= 0) & (step_of >= 0))
    flat = flat[keep]
    flat *= n_steps
    flat += step_pos[step_of[keep]]
    flat *= NFIELDS
    flat += v_field[lo:hi][keep]
    return flat, lo + keep


def _report_duplicates(
    dropped: I64,
    cells_of: Any,
    n_values: int,
    packed_where: Any,
    flat_arr: npt.NDArray[np.float64],
    v_value: npt.NDArray[np.float64],
    shape: tuple[int, ...],
    labels: tuple[list[ReportInfo], I64, list[str], str],
    steps: list[str],
    warn: WarningLog,
    strict: bool,
) -> None:
    """Name each value dropped as a duplicate, the one kept, and both their places."""
    packed = packed_where(dropped)
    order = np.lexsort((dropped, packed))
    shown = dropped[order[:MAX_DETAILED]]
    # the cell of each shown duplicate, then the first value written there (the one kept)
    cell_of: dict[int, int] = {}
    for lo in range(0, n_values, VALUE_BATCH):
        flat, at = cells_of(lo, min(lo + VALUE_BATCH, n_values))
        hit = np.flatnonzero(np.isin(at, shown))
        cell_of.update(zip(at[hit].tolist(), flat[hit].tolist(), strict=True))
    wanted = np.unique(np.asarray(list(cell_of.values()), dtype=np.int64))
    kept_at: dict[int, int] = {}
    for lo in range(0, n_values, VALUE_BATCH):
        flat, at = cells_of(lo, min(lo + VALUE_BATCH, n_values))
        hit = np.flatnonzero(np.isin(flat, wanted))
        for c, a in zip(flat[hit].tolist(), at[hit].tolist(), strict=True):
            kept_at.setdefault(c, a)  # values in document order: the first one was kept
    _, starts, recipes, campaign = labels

    def message(value: int) -> str:
        cell = cell_of[value]
        r, s, k, t, f = (int(x) for x in np.unravel_index(cell, shape))
        recipe = recipes[k] if k < len(recipes) else campaign
        line, col = unpack(int(packed_where(np.asarray([kept_at[cell]]))[0]))
        return (
            f"two values for report {r}, sample {when(int(starts[s]))}, recipe {recipe!r}, step "
            f"{steps[t]!r}, {MEASURES[f]}: {float(flat_arr[cell])!r} kept (in the <recipe> at "
            f"line {line}, column {col}), {float(v_value[value])!r} dropped"
        )

    if strict:
        line, col = unpack(int(packed[order[0]]))
        raise ReportParseError(
            f"{message(int(shown[0]))} (a repair: strict mode refuses it)", line, col
        )
    for j in order[:MAX_DETAILED].tolist():
        warn.add(*unpack(int(packed[j])), "duplicate", message(int(dropped[j])))
    if len(order) > MAX_DETAILED:
        line, col = unpack(int(packed[order[MAX_DETAILED]]))
        warn.add_more(line, col, "duplicate", len(order) - MAX_DETAILED)


def _report_info(r: dict[str, object], warn: WarningLog) -> ReportInfo:
    line, col = unpack(int(r["pos"]))  # type: ignore[call-overload]
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
        t = parse_time(str(raw)) if raw is not None else None
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


def _zero_fill(
    arr: np.ndarray,
    written: np.ndarray,
    in_grid: np.ndarray,
    present: np.ndarray,
    warn: WarningLog,
    rep_pos: list[int],
    recipe_ids: list[int],
    rec: Records,
) -> None:
    """Inside a report's grid, a measure the report carries is 0 where no value was given.

    A value that was given but unreadable (or empty) stays NaN: it was reported, not omitted.
    """
    carried: np.ndarray = np.any(written, axis=1)  # (R, K1, T, F)
    # recipes missing from samples the document did contain
    rec_given: np.ndarray = np.any(written, axis=(3, 4))  # (R, S, K1)
    rec_carried: np.ndarray = np.any(rec_given, axis=1)  # (R, K1)
    missing: np.ndarray = present[:, :, None] & ~rec_given & rec_carried[:, None, :]
    recipes = [rec.name_text[i] for i in recipe_ids]
    for r, k in zip(*np.nonzero(missing.any(axis=1)), strict=True):
        n = int(missing[r, :, k].sum())
        name = repr(recipes[k]) if k < len(recipes) else "the summary recipe"
        warn.add(
            *unpack(rep_pos[int(r)]),
            "missing-recipe",
            f"{name} is absent from {n} sample(s) of report {int(r)} that the document "
            "contains; read as zero, like an omitted sample",
        )
    fill = in_grid[:, :, None, None, None] & carried[:, None] & ~written
    # a step's count absent from a recipe the sample does hold was not reported: it stays
    # NaN (an omitted sample or recipe holds zeros, a hole in a recipe is no such thing)
    hole = fill[..., COUNT] & rec_given[:, :, :, None]
    fill[..., COUNT] &= ~hole
    for r in np.flatnonzero(hole.any(axis=(1, 2, 3))):
        n = int(hole[r].sum())
        warn.add(
            *unpack(rep_pos[int(r)]),
            "missing-step",
            f"{n} step count(s) absent from recipes that samples of report {int(r)} do hold: "
            "not reported, left NaN (a sample that reports only the entries or only the step "
            "is left out of both when compared)",
        )
    # revenue and engagement values a recipe's step does not give in a sample are zero, as
    # the API writes none where nothing was sold or engaged; say how many
    for f in range(NFIELDS):
        if f == COUNT:
            continue
        zeroed = fill[..., f] & rec_given[:, :, :, None]
        for r in np.flatnonzero(zeroed.any(axis=(1, 2, 3))):
            warn.add(
                *unpack(rep_pos[int(r)]),
                "missing-value",
                f"{int(zeroed[r].sum())} {MEASURES[f]} value(s) absent from steps of report "
                f"{int(r)} that other samples give: read as zero (nothing sold or engaged)",
            )
    arr[fill] = 0.0


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

"""The ``note`` of each cell of a comparison: why fields are NaN, composed without a loop.

Notes are object arrays of ``str``; the few cells with something to say are composed with
element-wise string operations on object arrays (one pass per part, not per cell).
"""

from __future__ import annotations

import numpy as np

from ._comparison import BoolArray, FloatArray, ObjectArray

#: Note of the control's own rows.
NOTE_CONTROL = "control"
#: Note of a cell whose count exceeds its entries.
NOTE_PER_ENTRY = "count exceeds entries: a per-entry rate, not a proportion"
#: Note of the other cells of such a step.
NOTE_PER_ENTRY_STEP = (
    "count exceeds entries elsewhere in this step: a per-entry rate, not a proportion"
)
#: Note of a cell whose counts are not whole numbers >= 0.
NOTE_NOT_COUNT = "count is not a whole number >= 0: not a proportion"
NOTE_SINGLE_RECIPE = "a single recipe: no split to check"
#: The statistics layer's words for an arm without data (cells it never saw use them too).
MISSING = "missing input (NaN)"
NO_ENTRIES = "no entries (n = 0)"


def text(mask: BoolArray, value: str) -> ObjectArray:
    """``value`` where ``mask`` holds, ``""`` elsewhere, as an object array."""
    out: ObjectArray = np.full(mask.shape, "", dtype=object)
    out[mask] = value
    return out


def prefixed(prefix: str, reason: ObjectArray) -> ObjectArray:
    """``prefix + reason`` where ``reason`` is not empty."""
    out: ObjectArray = np.where(reason != "", prefix + reason, "").astype(object)
    return out


def join(*parts: ObjectArray) -> ObjectArray:
    """Per cell, the distinct non-empty texts of ``parts`` joined by ``"; "``."""
    shape = np.broadcast_shapes(*(p.shape for p in parts))
    out: ObjectArray = np.full(shape, "", dtype=object)
    seen: list[ObjectArray] = []
    for part in parts:
        p = np.broadcast_to(part, shape)
        new = p != ""
        for q in seen:
            new = new & np.asarray(p != q, dtype=bool)
        glue = text((out != "") & new, "; ")
        out = out + glue + np.where(new, p, "").astype(object)
        seen.append(p)
    return out


def mask_note(
    not_count: BoolArray, ctrl_masked: BoolArray, exceeds: BoolArray, per_entry: BoolArray
) -> ObjectArray:
    """Why a masked cell met no binomial method."""
    shape = exceeds.shape
    out = text(np.broadcast_to(per_entry, shape) & ~exceeds, NOTE_PER_ENTRY_STEP)
    out[exceeds] = NOTE_PER_ENTRY
    out[ctrl_masked & ~np.broadcast_to(per_entry, shape)] = "control: " + NOTE_NOT_COUNT
    out[not_count] = NOTE_NOT_COUNT
    return out


def arm_reason(x: FloatArray, n: FloatArray) -> ObjectArray:
    """Why one arm has no rate: missing input or no entries (``""`` otherwise)."""
    out = text(n == 0, NO_ENTRIES)
    out[np.isnan(x) | np.isnan(n)] = MISSING
    return out


def cell_notes(
    *,
    is_control: BoolArray,
    masked: BoolArray,
    first: ObjectArray,
    arm: ObjectArray,
    control_arm: ObjectArray,
    rate_reason: ObjectArray,
    arms_reason: ObjectArray,
    lift_reason: ObjectArray,
    test_reason: ObjectArray,
    mdl_reason: ObjectArray,
) -> ObjectArray:
    """The note of every cell: ``"control"``, ``""``, or the texts composed by :func:`compose`.

    Only the cells with something to say are composed (usually few of them).
    """
    shape = masked.shape
    treatment = ~is_control
    with_reason = (arms_reason != "") | (lift_reason != "") | (test_reason != "")
    busy = masked | (rate_reason != "") | (treatment & (with_reason | (mdl_reason != "")))
    out = text(is_control, NOTE_CONTROL)
    if busy.any():
        parts = (is_control, masked, first, arm, control_arm, rate_reason, arms_reason)
        rest = (lift_reason, test_reason, mdl_reason)
        out[busy] = compose(*(np.broadcast_to(a, shape)[busy] for a in (*parts, *rest)))
    return out


def compose(
    is_control: BoolArray,
    masked: BoolArray,
    first: ObjectArray,
    arm: ObjectArray,
    control_arm: ObjectArray,
    rate_reason: ObjectArray,
    arms_reason: ObjectArray,
    lift_reason: ObjectArray,
    test_reason: ObjectArray,
    mdl_reason: ObjectArray,
) -> ObjectArray:
    """The notes of the given cells (1-D arrays, one entry per cell).

    ``arms_reason`` is the Newcombe difference's reason, which holds only the checks of the
    two arms (NaN, ``n = 0``, ``x > n``) that every two-arm function makes first: where it is
    ``""`` the other reasons are the function's own and are labelled with their field.
    """
    control = text(is_control, NOTE_CONTROL)
    treatment = ~is_control
    own_arm = np.where(is_control, arm, prefixed("treatment: ", arm)).astype(object)
    masked_note = join(
        control,
        first,
        np.where(first == NOTE_NOT_COUNT, "", own_arm).astype(object),
        np.where(treatment, prefixed("control: ", control_arm), "").astype(object),
    )
    arms_ok = treatment & (arms_reason == "")
    own = np.where(is_control, rate_reason, prefixed("treatment: ", rate_reason)).astype(object)
    mdl_own = arms_ok & (mdl_reason != lift_reason)
    open_note = join(
        control,
        own,
        np.where(treatment, arms_reason, "").astype(object),
        np.where(arms_ok, prefixed("lift: ", lift_reason), "").astype(object),
        np.where(arms_ok, prefixed("test: ", test_reason), "").astype(object),
        np.where(mdl_own, prefixed("mdl: ", mdl_reason), "").astype(object),
    )
    out: ObjectArray = np.where(masked, masked_note, open_note).astype(object)
    return out

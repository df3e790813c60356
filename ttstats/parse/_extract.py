"""From nested events to flat records: reports, samples, recipes, steps and numbers.

Each chunk adds rows to a handful of growing tables (numpy arrays per chunk, joined at the
end). Every number is keyed by the recipe element it belongs to and either the step element
or a step name (engagement metrics name their step), so that assembling the arrays is one
scatter at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ._issues import COUNT_MARK, Issue, issue_each
from ._scan import F64, I64, ChunkBytes, parse_numbers, span_codes
from ._structure import Events
from ._text import decode_text
from ._tokenize import (
    A_CAMPAIGN,
    A_CODE,
    A_COUNT,
    A_DURATION,
    A_END,
    A_NAME,
    A_RESOLUTION,
    A_SEGMENT,
    A_SEGMENT_ID,
    A_SEGMENTS,
    A_START,
    A_STEP_NAME,
    A_SUMSQ,
    A_TOTAL,
    A_TYPE,
    AMOUNT,
    ATTRIBUTES,
    CLOSE,
    CODE,
    ELEMENTS,
    EMPTY,
    ENGAGEMENT,
    MESSAGE,
    METRICS,
    OPEN,
    RECIPE,
    REPORT,
    REPORTS,
    REVENUE,
    SAMPLE,
    STEP,
    UNKNOWN,
    ChunkTokens,
)

# fields of a value record (the order of MEASURES)
COUNT, REV, E_COUNT, E_TOTAL, E_SUMSQ = range(5)
#: the measures whose printed precision is recorded (Report.decimals)
DECIMAL_FIELDS = (REV, E_TOTAL, E_SUMSQ)
#: step key of a version-1 recipe-level ``<amount>``: the recipe's final step
FINAL_STEP = -2

ALLOWED_ATTRS: dict[int, tuple[int, ...]] = {
    REPORTS: (),
    REPORT: (A_CAMPAIGN, A_START, A_END, A_RESOLUTION, A_TYPE, A_SEGMENT, A_SEGMENTS, A_SEGMENT_ID),
    SAMPLE: (A_START, A_DURATION),
    RECIPE: (A_NAME,),
    STEP: (A_NAME,),
    AMOUNT: (),
    REVENUE: (),
    ENGAGEMENT: (A_STEP_NAME, A_COUNT, A_TOTAL, A_SUMSQ),
    METRICS: (),
    MESSAGE: (A_CODE,),
    CODE: (),
}
TEXT_ELEMENTS = (AMOUNT, REVENUE, STEP, CODE, MESSAGE)
#: ``_ALLOWED_ATTR[element code - _CODE_BASE, attribute code + 1]``: may it carry it?
_CODE_BASE = -16
_ALLOWED_ATTR = np.zeros((len(ELEMENTS) - _CODE_BASE, len(ATTRIBUTES) + 1), dtype=bool)
for _element, _attrs in ALLOWED_ATTRS.items():
    _ALLOWED_ATTR[_element - _CODE_BASE, [a + 1 for a in _attrs]] = True

_TAGGED_CODE = re.compile(rb"<code>[^<]*</code>|<[^>]*>")


@dataclass
class Records:
    """Everything read so far, as growing lists of per-chunk arrays."""

    encoding: str = "utf-8"
    names: dict[bytes, int] = field(default_factory=dict)
    name_text: list[str] = field(default_factory=list)
    text_ids: dict[str, int] = field(default_factory=dict)
    reports: list[dict[str, object]] = field(default_factory=list)
    # samples: ordinal order
    sample_report: list[I64] = field(default_factory=list)
    sample_start: list[list[str | None]] = field(default_factory=list)
    sample_duration: list[list[str | None]] = field(default_factory=list)
    sample_pos: list[I64] = field(default_factory=list)
    sample_valid: list[I64] = field(default_factory=list)
    recipe_sample: list[I64] = field(default_factory=list)
    recipe_name: list[I64] = field(default_factory=list)
    recipe_valid: list[I64] = field(default_factory=list)
    recipe_pos: list[I64] = field(default_factory=list)  # packed line << 32 | column
    step_recipe: list[I64] = field(default_factory=list)
    step_name: list[I64] = field(default_factory=list)
    step_valid: list[I64] = field(default_factory=list)
    # values
    v_recipe: list[I64] = field(default_factory=list)
    v_step: list[I64] = field(default_factory=list)  # step ordinal, or -1
    v_step_name: list[I64] = field(default_factory=list)  # name id, -1, or FINAL_STEP
    v_field: list[I64] = field(default_factory=list)
    v_value: list[F64] = field(default_factory=list)
    #: this chunk's values, not yet in document order: (event, recipe, step, name, field, value)
    pending: list[tuple[I64, I64, I64, I64, npt.NDArray[np.int8], F64]] = field(
        default_factory=list
    )
    message: list[str] = field(default_factory=list)
    message_code: list[str] = field(default_factory=list)
    first_element: int | None = None
    first_element_pos: int = (1 << 32) | 1  # packed line << 32 | column
    #: per field of DECIMAL_FIELDS: the fewest digits after the point any value was printed with
    decimals: dict[int, int] = field(default_factory=dict)

    def note_decimals(self, fld: int, dec: I64 | None, ok: np.ndarray) -> None:
        """Fold the decimals of the readable values into the running minimum of ``fld``."""
        if dec is None or not ok.any():
            return
        low = int(dec[ok].min())
        self.decimals[fld] = min(low, self.decimals.get(fld, low))

    has_step_amount: bool = False
    has_step_text: bool = False

    def name_ids(self, raw: list[bytes], issue: list[tuple[int, tuple[str, str]]]) -> I64:
        """Global ids of names (decoded once each); problems go to ``issue`` by index."""
        out = np.empty(len(raw), dtype=np.int64)
        for i, r in enumerate(raw):
            got = self.names.get(r)
            if got is None:
                text, problem = decode_text(r, self.encoding)
                if problem:
                    issue.append((i, problem))
                # the same name spelled differently (A&amp;B, A&#38;B) is the same name
                got = self.text_ids.get(text)
                if got is None:
                    got = len(self.name_text)
                    self.text_ids[text] = got
                    self.name_text.append(text)
                self.names[r] = got
            out[i] = got
        return out


def _attr_spans(t: ChunkTokens, tokens: I64, attr: int) -> tuple[I64, I64, I64]:
    """For each token in ``tokens``: has it the attribute, and its value span."""
    sel = np.flatnonzero(t.attr_code == attr)
    where = np.full(len(t), -1, dtype=np.int64)
    # the first occurrence wins (duplicates are reported by the caller)
    where[t.attr_token[sel][::-1]] = sel[::-1]
    w = where[tokens]
    has = w >= 0
    ws = np.where(has, w, 0)
    vs = t.value_start[ws] if len(t.value_start) else np.zeros(len(tokens), np.int64)
    ve = t.value_end[ws] if len(t.value_end) else np.zeros(len(tokens), np.int64)
    return has.astype(np.int64), np.where(has, vs, 0), np.where(has, ve, 0)


def extract(
    c: ChunkBytes, t: ChunkTokens, ev: Events, rec: Records, loc: Callable[[I64], I64]
) -> None:
    """Read one chunk's elements, attributes, text and numbers into ``rec``."""
    buf = c.buf
    issues = t.issues
    elem = ev.kind != CLOSE
    if rec.first_element is None and elem.any():
        rec.first_element = int(ev.code[np.argmax(elem)])
        rec.first_element_pos = int(loc(ev.pos[np.argmax(elem) :][:1])[0])
    ev_of_tok = np.full(len(t), -1, dtype=np.int32)
    real = elem & (ev.token >= 0)
    ev_of_tok[ev.token[real]] = np.flatnonzero(real)
    _check_attributes(buf, t, ev, ev_of_tok, issues)
    _check_unknown(buf, t, issues)
    text_used = _check_text(c, t, ev, ev_of_tok, issues)

    def elements_of(code: int) -> I64:
        e = ev.of(code)
        out: I64 = e[ev.kind[e] != CLOSE]
        return out

    def events_of(code: int) -> I64:
        e = elements_of(code)
        out: I64 = e[ev.valid[e] == 1]
        return out

    # -- reports: their attributes, grouped by tag once ------------------------------------
    re_ev = elements_of(REPORT)
    if len(re_ev):
        re_tok = ev.token[re_ev]
        re_pos = loc(ev.pos[re_ev]).tolist()
        # attributes are listed in document order, so each tag's form one run
        lo = np.searchsorted(t.attr_token, re_tok, side="left").tolist()
        hi = np.searchsorted(t.attr_token, re_tok, side="right").tolist()
        decoded: dict[bytes, tuple[str, tuple[str, str] | None]] = {}
        for e, p, a0, a1 in zip(re_ev.tolist(), re_pos, lo, hi, strict=True):
            attrs: dict[str, object] = {"pos": p, "valid": bool(ev.valid[e])}
            for k in range(a0, a1):
                code = int(t.attr_code[k])
                if code < 0:
                    continue
                key = ATTRIBUTES[code].decode()
                if key in attrs:
                    continue
                raw = buf[t.value_start[k] : t.value_end[k]]
                got = decoded.get(raw)
                if got is None:
                    got = decoded[raw] = decode_text(raw, rec.encoding)
                text, problem = got
                if problem:
                    issues.append(
                        Issue(int(t.value_start[k]), problem[0], f"attribute {key}: {problem[1]}")
                    )
                attrs[key] = text
            rec.reports.append(attrs)
    # -- samples ------------------------------------------------------------------------------
    se = elements_of(SAMPLE)  # all of them: index = ordinal
    rec.sample_report.append(ev.enclosing(se, 0))
    rec.sample_pos.append(loc(ev.pos[se]))
    rec.sample_valid.append(ev.valid[se])
    for attr, out in ((A_START, rec.sample_start), (A_DURATION, rec.sample_duration)):
        has, vs, ve = _attr_spans(t, ev.token[se], attr)
        codes, uniq = span_codes(c, vs, ve)
        strs = [u.decode("ascii", "replace") for u in uniq]
        out.append(
            [strs[c] if h else None for c, h in zip(codes.tolist(), has.tolist(), strict=True)]
        )
    # -- recipes and steps ------------------------------------------------------------------
    for code, owner_col, own_tab in (
        (RECIPE, 1, (rec.recipe_sample, rec.recipe_name, rec.recipe_valid, rec.recipe_pos)),
        (STEP, 2, (rec.step_recipe, rec.step_name, rec.step_valid, None)),
    ):
        ee = elements_of(code)  # invalid ones keep their ordinal slot
        has, vs, ve = _attr_spans(t, ev.token[ee], A_NAME)
        ids = _names_of(c, rec, vs, ve, issues)
        ids = np.where(has == 1, ids, -1)
        missing = np.flatnonzero((has == 0) & (ev.valid[ee] == 1))
        what = ELEMENTS[code].decode()
        issue_each(
            issues,
            ev.pos[ee[missing]],
            "no-name",
            lambda j, what=what: f"<{what}> without a name attribute; its values are not read",  # type: ignore[misc]
        )
        own_tab[0].append(ev.enclosing(ee, owner_col))
        own_tab[1].append(ids)
        own_tab[2].append(np.where(has == 1, ev.valid[ee], 0))
        if own_tab[3] is not None:
            own_tab[3].append(loc(ev.pos[ee]))
    # -- numbers in text ------------------------------------------------------------------------
    tok_all = ev.token
    for code in (AMOUNT, REVENUE, STEP):
        ee = events_of(code)
        ee = ee[tok_all[ee] >= 0]
        if code != STEP:
            # an empty <amount/> or <revenue></revenue> was reported empty: NaN, said so
            empty = ee[(ev.kind[ee] == EMPTY) | ((ev.kind[ee] == OPEN) & ~text_used[tok_all[ee]])]
            what = ELEMENTS[code].decode()
            issue_each(
                issues,
                ev.pos[empty],
                "empty",
                lambda j, what=what: f"empty <{what}>; read as NaN (not reported)",  # type: ignore[misc]
            )
            _add_text_values(rec, ev, empty, code, np.full(len(empty), np.nan))
        ee = ee[ev.kind[ee] == OPEN]
        tk = tok_all[ee]
        with_text = text_used[tk]
        ee, tk = ee[with_text], tk[with_text]
        if not len(ee):
            continue
        revenue_here = code == REVENUE or (
            code == AMOUNT and bool((ev.parent_code[ee] != STEP).any())
        )
        vals, ok, dec = parse_numbers(c, t.end[tk] + 1, t.text_end[tk], decimals=revenue_here)
        unreadable = tk[~ok]
        issue_each(
            issues,
            t.end[unreadable] + 1,
            "bad-number",
            lambda j, u=unreadable, code=code: (
                "unreadable number "  # type: ignore[misc]
                f"{_shown(buf[t.end[u[j]] + 1 : t.text_end[u[j]]].strip())!r} in "
                f"<{ELEMENTS[code].decode()}>; read as NaN"
            ),
        )
        if code == AMOUNT:
            rec.note_decimals(REV, dec, ok & (ev.parent_code[ee] != STEP))
        elif code == REVENUE:
            rec.note_decimals(REV, dec, ok)
        _add_text_values(rec, ev, ee, code, vals)
    # -- engagement -----------------------------------------------------------------------------
    ee = events_of(ENGAGEMENT)
    ee = ee[ev.token[ee] >= 0]
    if len(ee):
        tk = ev.token[ee]
        has_n, vs, ve = _attr_spans(t, tk, A_STEP_NAME)
        names = np.where(has_n == 1, _names_of(c, rec, vs, ve, issues), -1)
        step_ord = ev.enclosing(ee, 3)
        recipe_ord = ev.enclosing(ee, 2)
        no_step = (has_n == 0) & (step_ord < 0)
        issue_each(
            issues,
            ev.pos[ee[no_step]],
            "no-step-name",
            lambda j: "<engagement> outside a step without a stepName; its values are not read",
        )
        issue_each(
            issues,
            ev.pos[ee[ev.parent_code[ee] == RECIPE]],
            "no-wrapper",
            lambda j: (
                "<engagement> without an <engagementMetrics> wrapper; read as the "
                "recipe's engagement"
            ),
        )
        keep = ~no_step
        st = np.where(has_n == 1, -1, step_ord)
        for attr, fld in ((A_COUNT, E_COUNT), (A_TOTAL, E_TOTAL), (A_SUMSQ, E_SUMSQ)):
            has, vs, ve = _attr_spans(t, tk, attr)
            vals, ok, dec = parse_numbers(c, vs, ve, decimals=fld != E_COUNT)
            rec.note_decimals(fld, dec, ok & keep & (has == 1))
            aname = ATTRIBUTES[attr].decode()
            issue_each(
                issues,
                ev.pos[ee[keep & (has == 0)]],
                "missing-attribute",
                lambda j, aname=aname: f"<engagement> without {aname}; read as not reported",  # type: ignore[misc]
            )
            bad = np.flatnonzero(keep & (has == 1) & ~ok)
            issue_each(
                issues,
                vs[bad],
                "bad-number",
                lambda j, bad=bad, vs=vs, ve=ve, aname=aname: (
                    f"unreadable {aname} "  # type: ignore[misc]
                    f"{_shown(buf[vs[bad[j]] : ve[bad[j]]])!r}; read as NaN"
                ),
            )
            m = keep & (has == 1)
            _add_values(rec, ee[m], recipe_ord[m], st[m], names[m], fld, vals[m])
    _flush_values(rec)
    # -- message --------------------------------------------------------------------------------
    for e in events_of(MESSAGE).tolist():
        tok = int(ev.token[e])
        body = buf[t.end[tok] + 1 :]
        stop = body.find(b"</message")
        body = _TAGGED_CODE.sub(b" ", body[: stop if stop >= 0 else len(body)])
        rec.message.append(decode_text(b" ".join(body.split()), rec.encoding, attribute=False)[0])
        has, vs, ve = _attr_spans(t, np.asarray([tok]), A_CODE)
        if has[0]:
            rec.message_code.append(buf[vs[0] : ve[0]].decode("ascii", "replace"))
    for e in events_of(CODE).tolist():
        tok = int(ev.token[e])
        rec.message_code.append(
            buf[t.end[tok] + 1 : t.text_end[tok]].strip().decode("ascii", "replace")
        )


def _names_of(c: ChunkBytes, rec: Records, vs: I64, ve: I64, issues: list[Issue]) -> I64:
    codes, uniq = span_codes(c, vs, ve)
    problems: list[tuple[int, tuple[str, str]]] = []
    ids = rec.name_ids(uniq, problems)
    for i, (kind, problem) in problems:
        first = int(np.argmax(codes == i))
        shown = uniq[i][:40].decode("utf-8", "replace")
        issues.append(Issue(int(vs[first]), kind, f"name {shown!r}: {problem}"))
    return ids[codes] if len(codes) else codes


def _add_text_values(rec: Records, ev: Events, ee: I64, code: int, vals: F64) -> None:
    """Record the numbers read from the text of ``<step>``, ``<amount>`` or ``<revenue>``
    events ``ee``, each by where it stands."""
    if not len(ee):
        return
    none = np.full(len(ee), -1)
    # a version-1 step's own text: the step is its own step
    recipe, step = ev.enclosing(ee, 2), ev.enclosing(ee, 3, self_too=True)
    if code == STEP:
        rec.has_step_text = True
        _add_values(rec, ee, recipe, step, none, COUNT, vals)
    elif code == REVENUE:
        _add_values(rec, ee, recipe, step, none, REV, vals)
    else:
        in_step = ev.parent_code[ee] == STEP
        if in_step.any():
            rec.has_step_amount = True
        s = np.flatnonzero(in_step)
        _add_values(rec, ee[s], recipe[s], step[s], none[s], COUNT, vals[s])
        r = np.flatnonzero(~in_step)
        final = np.full(len(r), FINAL_STEP)
        _add_values(rec, ee[r], recipe[r], none[r], final, REV, vals[r])


def _add_values(
    rec: Records, where: I64, recipe: I64, step: I64, step_name: I64, fld: int, vals: F64
) -> None:
    """Hold values of one chunk, each with the event it was read from (``where``)."""
    n = len(vals)
    if not n:
        return
    rec.pending.append(
        (
            np.asarray(where, np.int32),
            np.asarray(recipe, np.int32),
            np.asarray(step, np.int32),
            np.asarray(step_name, np.int32),
            np.full(n, fld, np.int8),
            np.asarray(vals, np.float64),
        )
    )


def _flush_values(rec: Records) -> None:
    """Append the chunk's values in document order, so that "the first value" of a cell
    means the first in the file whatever the chunking (a version-1 step's text comes
    before the <amount> inside it)."""
    parts = rec.pending
    rec.pending = []
    if not parts:
        return
    columns = [np.concatenate(col) for col in zip(*parts, strict=True)]
    order = np.argsort(columns[0], kind="stable")  # a few sorted runs: one merge
    rec.v_recipe.append(columns[1][order])
    rec.v_step.append(columns[2][order])
    rec.v_step_name.append(columns[3][order])
    rec.v_field.append(columns[4][order])
    rec.v_value.append(columns[5][order])


def _check_attributes(
    buf: bytes, t: ChunkTokens, ev: Events, ev_of_tok: I64, issues: list[Issue]
) -> None:
    """Warn about attributes that are unknown, misplaced or given twice."""
    if not len(t.attr_token):
        return
    tcode = t.code[t.attr_token]
    # one look-up in an (element, attribute) table; unknown attributes have code -1
    allowed = _ALLOWED_ATTR[tcode - _CODE_BASE, t.attr_code + 1]
    allowed |= tcode == UNKNOWN  # reported as an unknown element already
    bad = np.flatnonzero(~allowed)
    counts: dict[tuple[int, bytes], list[int]] = {}
    for k in bad.tolist():
        key = (int(tcode[k]), buf[t.attr_name_start[k] : t.attr_name_end[k]])
        entry = counts.get(key)
        if entry is None:
            counts[key] = [k, 1]
        else:
            entry[1] += 1
    for (code, name), (k, n) in counts.items():
        el = ELEMENTS[code].decode() if code >= 0 else "?"
        issues.append(
            Issue(
                int(t.attr_name_start[k]),
                "unknown-attribute",
                f"unknown attribute {_shown(name)!r} on <{el}> ({COUNT_MARK} in the file) "
                f"ignored: value {_shown(buf[t.value_start[k] : t.value_end[k]])!r}",
                repair=False,
                group=("unknown-attribute", code, name),
                count=n,
            )
        )
    # the same attribute twice on one tag
    pair = t.attr_token * 64 + np.where(t.attr_code >= 0, t.attr_code, 63)
    order = np.argsort(pair, kind="stable")
    later = order[np.flatnonzero(np.diff(pair[order]) == 0) + 1]
    dup = later[t.attr_code[later] >= 0]
    issue_each(
        issues,
        t.attr_name_start[dup],
        "duplicate-attribute",
        lambda j: (
            f"attribute {ATTRIBUTES[int(t.attr_code[dup[j]])].decode()!r} given twice; "
            "the first value is kept, "
            f"{_shown(buf[t.value_start[dup[j]] : t.value_end[dup[j]]])!r} dropped"
        ),
    )


def _shown(raw: bytes) -> str:
    """Up to 40 bytes of file content, for a message."""
    return raw[:40].decode("utf-8", "replace")


def _check_unknown(buf: bytes, t: ChunkTokens, issues: list[Issue]) -> None:
    """One warning per unknown element name, with how often it occurs in the whole file."""
    unknown = np.flatnonzero((t.code == UNKNOWN) & (t.kind != CLOSE))
    seen: dict[bytes, list[int]] = {}
    for i in unknown.tolist():
        name = buf[t.name_start[i] : t.name_start[i] + t.name_len[i]]
        seen.setdefault(name, [int(t.start[i]), 0])[1] += 1
    for name, (pos, n) in seen.items():
        issues.append(
            Issue(
                pos,
                "unknown-element",
                f"unknown element <{_shown(name)}> ({COUNT_MARK} in the file) ignored with "
                "its content",
                repair=False,
                group=("unknown-element", name),
                count=n,
            )
        )


def _check_text(
    c: ChunkBytes, t: ChunkTokens, ev: Events, ev_of_tok: I64, issues: list[Issue]
) -> np.ndarray:
    """Which tokens carry their element's text; warn about text where none belongs."""
    n = len(t)
    used = np.zeros(n, dtype=bool)
    if not n:
        return used
    buf = c.buf
    ts, te = t.end + 1, t.text_end
    has_text = c.has_nonws(ts, te)
    e = ev_of_tok
    owner_ok = (t.kind == OPEN) & (e >= 0) & np.isin(t.code, TEXT_ELEMENTS)
    owner_ok &= (e >= 0) & (ev.valid[np.maximum(e, 0)] == 1) if len(ev.valid) else False
    used = has_text & owner_ok
    # the message's own text may follow its <code> child
    owner_ok |= (t.kind == CLOSE) & (t.code == CODE)
    # text inside an unknown element is covered by the unknown-element warning; text after
    # one (``47<x/>6``) is not: it is stray, and its warning says what was not read
    stray = np.flatnonzero(has_text & ~owner_ok & ~((t.code == UNKNOWN) & (t.kind == OPEN)))

    def first_nonws(j: int) -> int:
        raw = buf[ts[stray[j]] : te[stray[j]]]
        return int(ts[stray[j]]) + len(raw) - len(raw.lstrip())

    issue_each(
        issues,
        ts[stray],
        "stray-text",
        lambda j: f"stray text {_shown(buf[ts[stray[j]] : te[stray[j]]].strip())!r} ignored",
        where=first_nonws,
    )
    out: np.ndarray = np.asarray(used, dtype=bool)
    return out

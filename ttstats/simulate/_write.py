"""Writing Performance Report XML: :func:`write_xml` streams a :class:`SimulatedExperiment`.

:func:`generate_report_bytes` and :func:`spec_for_size` are conveniences on top, and
``_main`` is ``python -m ttstats.simulate``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol
from xml.sax.saxutils import escape

import numpy as np

from ._model import SCALE, SimulatedExperiment, check_version, simulate
from ._spec import ALIGN, DatetimeArray, ExperimentSpec, IntArray

# -- writing -------------------------------------------------------------------------------


class _BinaryWriter(Protocol):
    def write(self, data: bytes, /) -> object: ...


def write_xml(
    sim: SimulatedExperiment,
    dest: str | os.PathLike[str] | _BinaryWriter,
    *,
    version: int = 2,
    indent: bool = True,
) -> int:
    """Write ``sim`` as Performance Report XML (UTF-8), streaming block by block.

    Parameters
    ----------
    sim : SimulatedExperiment
        What to write.
    dest : path or binary file object
        A path (created or truncated) or anything with ``write(bytes)``.
    version : {1, 2}
        Version 2: each step holds ``<amount>`` (count), ``<revenue>`` and, on engagement
        steps, ``<engagement>``. Version 1: each step's text is its count, then at recipe level
        ``<amount>`` (the last step's revenue) and ``<engagementMetrics>``.
    indent : bool
        Two spaces per level and one element per line; False writes no white space at all.

    Returns
    -------
    int
        Number of bytes written.
    """
    check_version(version)
    if isinstance(dest, str | os.PathLike):
        with open(dest, "wb") as fh:
            return _write(sim, fh, version, indent)
    return _write(sim, dest, version, indent)


def _write(sim: SimulatedExperiment, out: _BinaryWriter, version: int, indent: bool) -> int:
    template, order = _sample_template(sim, version, indent)
    dates = _date_fields(sim.sample_start)
    batch = max(1, 8_000_000 // len(template))
    nl = "\n" if indent else ""
    written = 0

    def put(text: str) -> None:
        nonlocal written
        data = text.encode("utf-8")
        out.write(data)
        written += len(data)

    put(f'<?xml version="1.0" encoding="UTF-8"?>\n<reports>{nl}')
    for r, info in enumerate(sim.reports):
        segment = ""
        if info.segment is not None:
            segment = f' segment="{_attr(info.segment)}" segmentId="{info.segment_id}"'
        put(
            f'{"  " if indent else ""}<report campaignId="{info.campaign_id}" '
            f'start="{info.start}" end="{info.end}" resolution="{info.resolution}" '
            f'type="{_attr(info.type)}"{segment}>{nl}'
        )
        present = np.flatnonzero(sim.present[r])
        for b0 in range(0, present.size, batch):
            rows = present[b0 : b0 + batch]
            fields = _field_table(sim, r, rows, dates)[:, order]
            put((template * rows.size) % tuple(fields.ravel().tolist()))
        put(f"{'  ' if indent else ''}</report>{nl}")
    put("</reports>\n")
    return written


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _sample_template(sim: SimulatedExperiment, version: int, indent: bool) -> tuple[str, IntArray]:
    """The %-template of one sample and the field-table columns it consumes, in order."""
    spec = sim.spec
    names = [*spec.recipes, *([spec.campaign_recipe] if spec.include_campaign else [])]
    K1, T = len(names), len(spec.steps)
    eng = [j for j, s in enumerate(spec.steps) if s in spec.engagement_steps]
    E = len(eng)
    lines: list[str] = []
    order: list[int] = [0, 1, 2, 3, 4]

    def line(level: int, text: str, *cols: int) -> None:
        lines.append(f"{'  ' * level}{text}\n" if indent else text)
        order.extend(cols)

    def col(block: int, k: int, j: int) -> int:  # blocks 0-2 per step, 3-7 per engagement step
        if block < 3:
            return 5 + block * K1 * T + k * T + j
        return 5 + 3 * K1 * T + (block - 3) * K1 * E + k * E + eng.index(j)

    def name(text: str) -> str:
        return _attr(text).replace("%", "%%")

    triple = 'count="%d" total="%d.%02d000" sumOfSquares="%d.%04d0"/>'
    line(2, f'<sample start="%04d-%02d-%02dT%02d:%02d" duration="{name(spec.resolution)}">')
    for k, recipe in enumerate(names):
        line(3, f'<recipe name="{name(recipe)}">')
        for j, step in enumerate(spec.steps):
            if version == 1:
                line(4, f'<step name="{name(step)}">%d.0</step>', col(0, k, j))
                continue
            line(4, f'<step name="{name(step)}">')
            line(5, "<amount>%d.0</amount>", col(0, k, j))
            line(5, "<revenue>%d.%02d</revenue>", col(1, k, j), col(2, k, j))
            if j in eng:
                line(5, f"<engagement {triple}", *(col(b, k, j) for b in range(3, 8)))
            line(4, "</step>")
        if version == 1:
            line(4, "<amount>%d.%02d</amount>", col(1, k, T - 1), col(2, k, T - 1))
            if eng:
                line(4, "<engagementMetrics>")
                for j in eng:
                    cols = (col(b, k, j) for b in range(3, 8))
                    line(5, f'<engagement stepName="{name(spec.steps[j])}" {triple}', *cols)
                line(4, "</engagementMetrics>")
        line(3, "</recipe>")
    line(2, "</sample>")
    return "".join(lines), np.asarray(order, dtype=np.int64)


def _date_fields(starts: DatetimeArray) -> IntArray:
    """Year, month, day, hour and minute of each start, shape ``(n, 5)``."""
    year = starts.astype("datetime64[Y]")
    month = starts.astype("datetime64[M]")
    day = starts.astype("datetime64[D]")
    minutes = (starts - day).astype(np.int64)
    return np.stack(
        [
            year.astype(np.int64) + 1970,
            (month - year.astype("datetime64[M]")).astype(np.int64) + 1,
            (day - month.astype("datetime64[D]")).astype(np.int64) + 1,
            minutes // 60,
            minutes % 60,
        ],
        axis=1,
    )


def _field_table(sim: SimulatedExperiment, r: int, rows: IntArray, dates: IntArray) -> IntArray:
    """Every integer field of the given samples of report ``r``: dates, then measure blocks."""
    eng = [j for j, s in enumerate(sim.steps) if s in sim.spec.engagement_steps]

    def ints(measure: str, steps: Sequence[int] | slice) -> IntArray:
        arr = getattr(sim, measure)[r, rows][:, :, steps]
        if sim.spec.include_campaign:
            camp = getattr(sim, f"campaign_{measure}")[r, rows][:, None, steps]
            arr = np.concatenate([arr, camp], axis=1)
        out: IntArray = np.rint(arr * SCALE[measure]).astype(np.int64).reshape(rows.size, -1)
        return out

    every = slice(None)
    rev_i, rev_f = np.divmod(ints("revenue", every), 100)
    tot_i, tot_f = np.divmod(ints("engagement_total", eng), 100)
    sq_i, sq_f = np.divmod(ints("engagement_sumsq", eng), 10_000)
    blocks = [ints("count", every), rev_i, rev_f, ints("engagement_count", eng)]
    return np.concatenate([dates[rows], *blocks, tot_i, tot_f, sq_i, sq_f], axis=1)


# -- conveniences --------------------------------------------------------------------------


def generate_report_bytes(spec: ExperimentSpec, version: int = 2, *, indent: bool = True) -> bytes:
    """Simulate ``spec`` and return the document as bytes (for small files).

    Parameters
    ----------
    spec : ExperimentSpec
        What to simulate.
    version : {1, 2}
        The document version.
    indent : bool
        Indent the document (see :func:`write_xml`).

    Returns
    -------
    bytes
        The UTF-8 document.
    """
    buf = io.BytesIO()
    write_xml(simulate(spec), buf, version=version, indent=indent)
    return buf.getvalue()


def spec_for_size(
    megabytes: float,
    version: int = 2,
    *,
    base: ExperimentSpec | None = None,
    indent: bool = True,
) -> ExperimentSpec:
    """``base`` with ``n_samples`` chosen so that its document is about ``megabytes`` MB.

    Parameters
    ----------
    megabytes : float
        Target size in MB (10**6 bytes).
    version : {1, 2}
        The document version that will be written.
    base : ExperimentSpec, optional
        Everything but ``n_samples``; default ``ExperimentSpec()``.
    indent : bool
        Whether the document will be indented.

    Returns
    -------
    ExperimentSpec
        ``base`` with ``n_samples`` set (at least 1). The size is extrapolated from two short
        probes, so it is right to within a few per cent.
    """
    base = ExperimentSpec() if base is None else base
    n1, n2 = 32, 288
    s1, s2 = (
        len(generate_report_bytes(replace(base, n_samples=n), version, indent=indent))
        for n in (n1, n2)
    )
    per_sample = (s2 - s1) / (n2 - n1)
    if per_sample <= 0:
        raise ValueError("this spec writes no samples (no traffic?); its size cannot grow")
    n = round((megabytes * 1e6 - (s1 - per_sample * n1)) / per_sample)
    return replace(base, n_samples=max(1, n))


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import sys
    import time

    parser = argparse.ArgumentParser(
        prog="python -m ttstats.simulate",
        description="Write a simulated Performance Report of about the given size.",
    )
    parser.add_argument("--mb", type=float, default=5.0, help="target size in MB (10**6 bytes)")
    parser.add_argument("--version", type=int, choices=(1, 2), default=2)
    parser.add_argument("--resolution", choices=tuple(ALIGN), default="day")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--p-omit", type=float, default=0.0)
    parser.add_argument("--compact", action="store_true", help="no indentation")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    base = ExperimentSpec(resolution=args.resolution, seed=args.seed, p_omit=args.p_omit)
    spec = spec_for_size(args.mb, args.version, base=base, indent=not args.compact)
    sim = simulate(spec)
    t1 = time.perf_counter()
    size = write_xml(sim, args.output, version=args.version, indent=not args.compact)
    t2 = time.perf_counter()
    print(
        f"{args.output}: {size / 1e6:.1f} MB, {spec.n_samples} samples; "
        f"simulate {t1 - t0:.1f} s, write {t2 - t1:.1f} s",
        file=sys.stderr,
    )
    return 0

"""The command line: what it prints, and one clean line and exit status 2 on bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ttstats.cli import main

from .conftest import sample


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ttstats.cli", *args], input=stdin, capture_output=True, timeout=120
    )


def test_inspect_bundled_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect"]) == 0
    out = capsys.readouterr().out
    assert "bundled example" in out
    assert "recipes   3: Control, Free shipping banner, Bigger buy button" in out
    assert "warnings  0" in out


def test_inspect_shows_warnings_of_a_malformed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(sample("seed-abbreviated.xml"))]) == 0
    out = capsys.readouterr().out
    # Counted by hand in the file (its line numbers): the first <report> (1) and its
    # <sample> (2) and <recipe> (3) are never closed before the next <report> (15): 3;
    # </steps> closes <step> (5): 1; each of the three <engagement> lines (12-14) has no
    # <engagementMetrics> wrapper and no space before sumOfSquares: 6; the <report> of line
    # 15 is a second top-level element without a <reports> root: 1, and is never closed
    # before line 17's: 1; line 17's is never closed at all: 1; and with no root, a file cut
    # short would look the same, which the reader says once: 1. In all 14.
    assert "warnings  14" in out
    assert "line 5, column 38: closing tag </steps>" in out


def test_inspect_strict_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--strict", str(sample("seed-abbreviated.xml"))]) == 2
    err = capsys.readouterr().err
    # the first malformation met in reading order: </steps> on line 5 (the report opened on
    # line 1 is found unclosed only when line 15 opens the next one)
    assert err.count("\n") == 1 and "line 5, column 38: closing tag </steps>" in err


def test_inspect_stdin() -> None:
    done = run("inspect", "-", stdin=sample("v2-small.xml").read_bytes())
    assert done.returncode == 0
    assert b"file      <stdin>" in done.stdout


@pytest.mark.parametrize(
    ("setup", "expect"),
    [
        ("missing", b"no such file"),
        ("empty", b"no XML elements found"),
        ("error", b"API error"),
        ("directory", b"directory"),
        ("binary", b"not allowed in XML"),
    ],
)
def test_bad_input_is_one_line_and_status_2(tmp_path: Path, setup: str, expect: bytes) -> None:
    path = tmp_path / "report.xml"
    if setup == "empty":
        path.write_bytes(b"")
    elif setup == "error":
        path.write_bytes(sample("error-401.xml").read_bytes())
    elif setup == "directory":
        path.mkdir()
    elif setup == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    done = run("inspect", str(path))
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.count(b"\n") == 1, done.stderr
    assert expect in done.stderr
    assert b"Traceback" not in done.stderr


def test_a_grid_bomb_is_one_line_and_status_2(tmp_path: Path) -> None:
    # two samples 40 years apart at hourly resolution: a few hundred bytes asking for
    # hundreds of megabytes of arrays; refused with the place, never a MemoryError
    recipe = "".join(
        f'<recipe name="R{k}">'
        + "".join(f'<step name="S{j}"><amount>1</amount></step>' for j in range(20))
        + "</recipe>"
        for k in range(10)
    )
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<reports><report resolution="hour">\n'
        f'<sample start="1990-01-01T00:00" duration="hour">{recipe}</sample>\n'
        f'<sample start="2030-01-01T00:00" duration="hour">{recipe}</sample>\n'
        "</report></reports>\n"
    )
    done = run("inspect", str(path))
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.count(b"\n") == 1 and b"Traceback" not in done.stderr
    assert b"line 3, column 1" in done.stderr and b"max_cells" in done.stderr


def test_usage_error_is_status_2() -> None:
    done = run("inspect", "--nope")
    assert done.returncode == 2
    assert b"usage" in done.stderr


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from ttstats.cli import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    bar = Progress("big.xml", min_bytes=10)
    bar(50, 100)
    bar(100, 100)
    bar.close()
    assert "50%" in term.getvalue() and "100%" in term.getvalue()
    assert term.getvalue().endswith("\n")
    pipe = io.StringIO()  # not a terminal: quiet
    monkeypatch.setattr(sys, "stderr", pipe)
    quiet = Progress("big.xml", min_bytes=10)
    quiet(50, 100)
    quiet.close()
    assert pipe.getvalue() == ""

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


def test_example_writes_the_bundled_report(tmp_path: Path) -> None:
    from ttstats.cli import example_report_path

    target = tmp_path / "report.xml"
    assert main(["example", "-o", str(target)]) == 0
    assert target.read_bytes() == example_report_path().read_bytes()
    done = run("example")
    assert done.returncode == 0 and done.stdout == target.read_bytes()


def test_subpackages_load_on_first_use() -> None:
    code = "import ttstats; print(type(ttstats.simulate.example_spec()).__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == b"ExperimentSpec"


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


@pytest.mark.parametrize("command", ["inspect", "readout", "check"])
@pytest.mark.parametrize(
    ("setup", "expect"),
    [
        ("not_a_directory", "cannot read {path}: Not a directory"),
        ("link_loop", "cannot read {path}: Too many levels of symbolic links"),
        ("name_too_long", "cannot read {path}: File name too long"),
        ("no_permission", "cannot read {path}: Permission denied"),
        ("api_error", "{path}: the file is an API error response: Invalid email or password"),
    ],
)
def test_every_unreadable_file_is_one_line_naming_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    setup: str,
    expect: str,
) -> None:
    path = tmp_path / "report.xml"
    if setup == "not_a_directory":
        path.write_bytes(b"")
        path = path / "inside.xml"
    elif setup == "link_loop":
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        path = tmp_path / "a"
    elif setup == "name_too_long":
        path = tmp_path / ("x" * 300)
    elif setup == "no_permission":  # root reads anything: let the reading itself refuse
        import ttstats.cli

        def refuse(source: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied", str(source))

        path.write_bytes(sample("v2-small.xml").read_bytes())
        monkeypatch.setattr(ttstats.cli._io, "read_report", refuse)
    else:
        path.write_bytes(sample("error-401.xml").read_bytes())
    args = [command, str(path)] + (
        ["--control", "A", "--metric", "B"] if command == "check" else []
    )
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"ttstats: {expect.format(path=path)}"), captured.err
    assert captured.err.count("\n") == 1


def test_the_second_file_of_readout_is_named_in_its_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "without.xml"
    empty.write_bytes(b"")
    assert main(["readout", "--without-extremes", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ttstats: {empty}: line 1, column 1: no XML elements found")
    other = str(sample("v2-small.xml"))
    assert main(["readout", "--without-extremes", other]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ttstats: the bundled example and {other}: the two reports do not")
    assert "campaign id 4711 with extremes, 7 without (reports [0, 1, 2])" in err
    assert err.count("\n") == 1


def test_standard_input_is_named_so() -> None:
    done = run("readout", "-", stdin=b"")
    assert done.returncode == 2
    assert done.stderr.startswith(b"ttstats: <stdin>: line 1, column 1: no XML elements found")


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


def test_output_through_a_link_and_into_a_pipe(tmp_path: Path) -> None:
    import os
    import threading

    from ttstats.cli import example_report_path

    real, link = tmp_path / "real.xml", tmp_path / "link.xml"
    real.write_text("old")
    link.symlink_to(real)
    assert main(["example", "-o", str(link)]) == 0
    assert link.is_symlink() and real.read_bytes() == example_report_path().read_bytes()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert main(["example", "-o", str(fifo)]) == 0
    reader.join(timeout=30)
    assert got == [example_report_path().read_bytes()]
    assert fifo.is_fifo()  # still a pipe, not replaced by a file


NAMES = (
    '<reports><report campaignId="1" start="2024-03-01" end="2024-03-02" resolution="day" '
    'type="visit"><sample start="2024-03-01T00:00" duration="day">'
    '<recipe name="A&#10;|x"><step name="Entry">100</step><step name="Buy">5</step></recipe>'
    '<recipe name="B&#x202E;z"><step name="Entry">100</step><step name="Buy">9</step></recipe>'
    "</sample></report></reports>"
)


def test_names_with_line_breaks_stay_on_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "names.xml"
    path.write_text(NAMES)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "recipes   2: 'A\\n|x', 'B\\u202ez'" in out
    assert main(["readout", str(path), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    rows = [line for line in md.splitlines() if line.startswith("|")]
    widths = {line.count(" | ") - line.count("\\| ") for line in rows if "recipe" in line}
    assert all(line.endswith("|") for line in rows)
    assert "A \\|x" in md and len(widths) == 1


def test_a_message_of_several_lines_prints_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "message.xml"
    path.write_text(
        '<message code="401">denied&#10;Traceback (most recent call last):&#13;ok</message>'
    )
    assert main(["readout", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\r" not in err
    assert "denied Traceback (most recent call last): ok" in err


def test_closed_standard_input_is_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ttstats.cli", "readout", "-"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 2  # empty input
    code = "import sys; sys.stdin = None; from ttstats.cli import main; sys.exit(main(['readout', '-']))"
    closed = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert (
        closed.returncode == 2
        and closed.stderr == b"ttstats: standard input is closed: nothing to read from -\n"
    )


def test_inspect_counts_every_warning_not_the_listed_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 250 unreadable numbers: 200 listed, one entry counts the other 50
    recipes = "".join(
        f'<recipe name="R{k}"><step name="Entry"><amount>x{k}</amount></step></recipe>'
        for k in range(250)
    )
    path = tmp_path / "many.xml"
    path.write_text(
        f'<reports><report><sample start="2024-03-01T00:00" duration="day">{recipes}'
        "</sample></report></reports>"
    )
    assert main(["inspect", str(path)]) == 0
    assert "warnings  250 (201 entries listed)" in capsys.readouterr().out


def test_a_reader_that_leaves_early_ends_the_command_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ttstats inspect big.xml | head``: the closed pipe stops the command with 141 (128 +
    SIGPIPE, as the shell reports it) and nothing on standard error, no "cannot read None"."""

    class Closed:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    for command in (["inspect", str(sample("v2-small.xml"))], ["example"], ["readout"]):
        assert main(command) == 141
        assert capsys.readouterr().err == ""


def test_closed_standard_streams(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``2>&-`` and ``>&-`` leave sys.stderr or sys.stdout None: the answer must not change
    (check's "yes" stays 0) and a readout with nowhere to go says so (2)."""
    from ttstats.cli import example_report_path

    order = ["--control", "Control", "--metric", "Order Confirmation"]
    monkeypatch.setattr(sys, "stderr", None)
    assert main(["check", str(example_report_path()), *order]) == 0
    assert capsys.readouterr().out.startswith("yes: ")
    # an error with standard error closed is not printed on standard output instead
    assert main(["check", "no-such-file.xml", *order]) == 2
    assert capsys.readouterr().out == ""
    monkeypatch.undo()
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["readout"]) == 2
    assert main(["example"]) == 2
    assert capsys.readouterr().err.count("standard output is closed: pass --output PATH") == 2


def test_an_internal_error_is_one_line_and_status_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug is never answered with 1, which check means as "no recipe wins"."""
    from ttstats.cli import _commands

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something\nwent wrong")

    monkeypatch.setattr(_commands, "decide", broken)
    args = ["check", str(sample("v2-small.xml")), "--control", "Experience A", "--metric", "Entry"]
    monkeypatch.delenv("TTSTATS_DEBUG", raising=False)
    assert main(args) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "internal error, please report it" in err and "RuntimeError: something went wrong" in err
    monkeypatch.setenv("TTSTATS_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(args)


def test_an_ascii_standard_output_gets_utf8_not_a_crash(tmp_path: Path) -> None:
    """PYTHONIOENCODING=ascii and a recipe named with an accent: the readout is written (as
    UTF-8), in every format."""
    import json
    import os

    xml = (
        '<reports><report campaignId="1" resolution="day" type="visit">'
        '<sample start="2009-08-01T00:00" duration="day">'
        '<recipe name="A"><step name="Entry">100</step><step name="Buy">5</step></recipe>'
        '<recipe name="Caf&#xe9;"><step name="Entry">100</step><step name="Buy">20</step>'
        "</recipe></sample></report></reports>"
    )
    path = tmp_path / "accent.xml"
    path.write_text(xml)
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(
        [sys.executable, "-m", "ttstats.cli", "check", str(path), "--control", "A", "--metric",
         "Buy"],
        capture_output=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr  # the answer, with the name escaped
    assert done.stdout.decode("ascii").startswith("yes: 'Caf\\xe9' beats 'A'")
    for fmt in ("text", "json"):
        done = subprocess.run(
            [sys.executable, "-m", "ttstats.cli", "readout", str(path), "--format", fmt],
            capture_output=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        out = done.stdout.decode("utf-8")
        assert "Caf\u00e9" in out
    assert json.loads(out)["source"]["recipes"] == ["A", "Caf\u00e9"]

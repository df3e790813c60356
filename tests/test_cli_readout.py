"""``ttstats readout`` and ``ttstats check``: output, exit statuses, and one clean line on bad input.

Most commands run in-process (``main``) for speed; one runs as a real process to see the
entry point, standard input and the absence of a traceback end to end. Expected verdicts are
those of the README's compare example (banner +22.5%, adjusted p 0.0002 in the aggregate).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import ttstats
from ttstats.cli import example_report_path, main
from ttstats.render.json import readout_schema
from ttstats.simulate import ExperimentSpec, LogNormal, with_and_without_extremes

from .conftest import sample

ORDER = "Order Confirmation"
EXAMPLE = str(example_report_path())


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``main(args)`` with its exit status (argparse's SystemExit included) and output."""
    try:
        status = main(args)
    except SystemExit as stop:
        status = int(stop.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status: int, out: str, err: str, *expected: str) -> None:
    assert status == 2, err
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err


# ------------------------------------------------------------------------------------------
# readout
# ------------------------------------------------------------------------------------------
def test_readout_of_the_bundled_example(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["readout"], capsys)
    assert status == 0 and err == ""
    assert out.startswith("Readout: example-report.xml (bundled example)\n")
    words = " ".join(out.split())
    assert "Free shipping banner (all visitors): wins: +22.5% (95% CI +11.5% to +34.6%)" in words
    assert "Bigger buy button: no verdict yet" in words
    for heading in ("Checks", "Other steps", "Engagement and revenue per entry", "Extreme orders"):
        assert heading in out


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("v1-documented.xml", ["Warnings (6)", "line 23, column 7: stray text"]),
        # the seed's 14 parser warnings are counted by hand in tests/test_cli.py
        ("seed-abbreviated.xml", ["Warnings (14)", "line 5, column 38: closing tag </steps>"]),
        ("v2-small.xml", ["Warnings (1)", "summing the samples of a 'visitor' report"]),
    ],
)
def test_readout_of_each_published_sample(
    name: str, shown: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["readout", str(sample(name))], capsys)
    assert status == 0 and err == ""
    for text in shown:
        assert text in out
    status, out, _ = run(["readout", str(sample(name)), "--format", "json"], capsys)
    assert status == 0
    doc = json.loads(out)
    jsonschema.validate(doc, readout_schema())
    assert len(doc["warnings"]) == int(shown[0].split("(")[1].rstrip(")"))


def test_readout_of_an_api_error_response(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["readout", str(sample("error-401.xml"))], capsys)
    assert_one_line_error(
        status, out, err, "the file is an API error response: Invalid email or password supplied"
    )


def test_formats(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["readout", "--format", "json", "--segment", "New visitors"], capsys)
    assert status == 0
    doc = json.loads(out)
    jsonschema.validate(doc, readout_schema())
    assert {r["segment"] for r in doc["comparisons"]} == {"New visitors"}
    status, out, _ = run(["readout", "--format", "markdown"], capsys)
    assert status == 0 and out.startswith("# Readout: example-report.xml (bundled example)\n")
    assert "| recipe | entries |" in out


def test_options_reach_the_analysis(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["readout", EXAMPLE, "--format", "json", "--control", "Free shipping banner"]
    args += ["--metric", "Add to Cart", "--alpha", "0.1", "--interval", "jeffreys"]
    args += ["--test", "fisher", "--correction", "bonferroni", "--min-lift", "0.05"]
    status, out, _ = run(args, capsys)
    assert status == 0
    doc = json.loads(out)
    assert (doc["control"], doc["metric"]) == ("Free shipping banner", "Add to Cart")
    settings = doc["settings"]
    assert (settings["alpha"], settings["interval"], settings["test"]) == (
        0.1,
        "jeffreys",
        "fisher",
    )
    assert (settings["correction"], settings["min_lift"]) == ("bonferroni", 0.05)
    first = doc["verdicts"][0]  # the aggregate: Control against the banner
    ref = ttstats.compare(
        ttstats.read_report(EXAMPLE),
        "Free shipping banner",
        method="jeffreys",
        test="fisher",
        correction="bonferroni",
        alpha=0.1,
    ).to_frame()
    row = ref[(ref.report == 2) & (ref.recipe == "Control") & (ref.step == "Add to Cart")].iloc[0]
    assert (first["recipe"], first["p_adjusted"]) == ("Control", float(row["p_adjusted"]))
    assert first["text"] == (
        f"loses: {row['lift']:+.1%} (90% CI {row['lift_low']:+.1%} to {row['lift_high']:+.1%}), "
        "significant after Bonferroni correction"
    )


def test_output_is_written_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "readout.json"
    target.write_text("old")
    target.chmod(0o640)
    status, out, err = run(["readout", "--format", "json", "--output", str(target)], capsys)
    assert status == 0 and out == "" and err == ""
    assert json.loads(target.read_text())["metric"] == ORDER
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)  # the destination's mode is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["readout.json"]  # no temporary left
    fresh = tmp_path / "readout.md"
    assert run(["readout", "--format", "markdown", "--output", str(fresh)], capsys)[0] == 0
    assert fresh.read_text().startswith("# Readout")


def test_stdin_is_read_with_a_dash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = sample("v2-small.xml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status, out, _ = run(["readout", "-", "--format", "json"], capsys)
    assert status == 0
    assert json.loads(out)["source"]["label"] == "<stdin>"


def test_without_extremes_adds_the_sensitivity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = ExperimentSpec(
        n_samples=7,
        seed=3,
        traffic=400.0,
        revenue=LogNormal(3.5, 0.6),
        steps=("Entry", "Page Count", ORDER),
        rates=[1.0, 0.9, 0.08],
    )
    with_xml, without_xml = with_and_without_extremes(spec, planted={"Experience B": [4000.0] * 8})
    (tmp_path / "with.xml").write_bytes(with_xml)
    (tmp_path / "without.xml").write_bytes(without_xml)
    args = ["readout", str(tmp_path / "with.xml"), "--without-extremes"]
    status, out, _ = run([*args, str(tmp_path / "without.xml")], capsys)
    assert status == 0
    assert "With and without extreme orders" in out and "FLIP" in out
    # a report that is not the same request: one line, status 2
    status, out, err = run([*args, str(sample("v2-small.xml"))], capsys)
    assert_one_line_error(status, out, err, "do not answer the same request")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["readout", "missing.xml"], ["no such file: missing.xml"]),
        (["readout", "--control", "Treatment"], ["recipes are ['Control', 'Free shipping"]),
        (["readout", "--metric", "Orders"], ["steps are ['Entry', 'Display mboxes'"]),
        (["readout", "--entry", "Visits"], ["entry='Visits'", "steps are"]),
        (["readout", "--segment", "Old"], ["segments are ['New visitors', 'Returning"]),
        (["readout", "--metric", "Entry"], ["is the entry step"]),
        (["readout", "--alpha", "1.5"], ["--alpha", "strictly between 0 and 1"]),
        (["readout", "--alpha", "five"], ["--alpha", "not a number"]),
        (["readout", "--format", "pdf"], ["--format", "invalid choice: 'pdf'"]),
        (["readout", "--test", "t"], ["--test", "invalid choice"]),
        (["readout", "--min-lift", "-1"], ["--min-lift", ">= 0"]),
        (["readout", "--min-lift", "-5%"], ["--min-lift", "must be >= 0, got -5%"]),
        (["readout", "--alpha", "-0.05"], ["--alpha", "strictly between 0 and 1"]),
        (["readout", "--split", "-50,25,25"], ["--split", "shares must be positive numbers"]),
        (["readout", "--spl", "-50,25,25"], ["--split", "shares must be positive numbers"]),
        (["readout", "--min-l", "-5%"], ["--min-lift", "must be >= 0, got -5%"]),
        (["readout", "--mixing-variance", "-1e-5"], ["--mixing-variance"]),
        (["readout", "--min-lift", "5"], ["--min-lift", "5 would be a lift of +500%: write 5%"]),
        (["readout", "--min-lift", "1e308%"], ["--min-lift", "at most 100000%"]),
        (["readout", "--min-lift", "nan"], ["--min-lift", ">= 0"]),
        (["readout", "--split", "50,25,x"], ["--split", "numbers separated by commas"]),
        (["readout", "--split", "50,0,50"], ["--split", "positive numbers"]),
        (["readout", "--output", "/nonexistent/dir/out.txt"], ["cannot write"]),
        (["readout", "--output", ""], ["--output needs a file name"]),
        (["example", "-o", " "], ["--output needs a file name"]),
        (["readout", "-", "--without-extremes", "-"], ["standard input"]),
        (["check", EXAMPLE, "--control", "Control"], ["required: --metric"]),
        (["check", EXAMPLE, "--control", "X", "--metric", ORDER], ["recipes are ['Control'"]),
        (["check", EXAMPLE, "--control", "Control", "--metric", "X"], ["steps are ['Entry'"]),
        (["check", "missing.xml", "--control", "A", "--metric", "B"], ["no such file"]),
        (["inspect", "--nope"], ["unrecognized arguments: --nope", "usage"]),
        (
            ["readout", "--sequentail"],
            [
                "ttstats readout: error: unrecognized arguments: --sequentail (did you mean "
                "--sequential?) (usage: ttstats readout --help)"
            ],
        ),
        (
            ["check", EXAMPLE, "--control", "Control", "--metric", ORDER, "--min-lfit", "5%"],
            ["did you mean --min-lift?", "usage: ttstats check --help"],
        ),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    args: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(args, capsys)
    assert_one_line_error(status, out, err, *expected)


# ------------------------------------------------------------------------------------------
# check
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "status", "start"),
    [
        ([], 0, "yes: 'Free shipping banner' beats 'Control' on Order Confirmation"),
        (
            ["--min-lift", "0.5"],
            1,
            "no: no recipe beats 'Control' on Order Confirmation in the aggregate (all visitors) with an observed lift of at least",
        ),
        (
            ["--min-lift", "50%"],
            1,
            "no: no recipe beats 'Control' on Order Confirmation in the aggregate (all visitors) with an observed lift of at least",
        ),
        (
            ["--split", "50%,25%,25%"],
            1,
            "no: sample ratio mismatch in the aggregate (all visitors): the recipes' entries do not follow the intended split",
        ),
        (["--split", "1,1,1"], 0, "yes: 'Free shipping banner' beats 'Control'"),
        (["--segment", "New visitors"], 0, "yes: 'Free shipping banner'"),
        (["--segment", "Returning visitors"], 1, "no: no recipe beats 'Control'"),
    ],
)
def test_check(
    extra: list[str], status: int, start: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["check", EXAMPLE, "--control", "Control", "--metric", ORDER, *extra]
    got, out, err = run(args, capsys)
    assert (got, err) == (status, "")
    assert out.startswith(start) and out.count("\n") == 1
    if not extra:
        assert "adjusted p = 0.0002" in out


def test_check_on_an_error_response(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", str(sample("error-401.xml")), "--control", "A", "--metric", "B"]
    status, out, err = run(args, capsys)
    assert_one_line_error(status, out, err, "API error")


def test_readme_shows_what_the_commands_print(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    shown = readme.split("$ ttstats readout\n", 1)[1].split("```", 1)[0].splitlines()
    status, out, _ = run(["readout"], capsys)
    assert status == 0
    printed = out.splitlines()
    kept = [line for line in shown if line != "..."]
    assert len(kept) > 30
    for line in kept:
        assert line in printed, line
    check = readme.split("$ ttstats check report.xml ", 1)[1].split("```", 1)[0].splitlines()
    args = ["check", EXAMPLE, "--control", "Control", "--metric", ORDER, "--min-lift", "0.05"]
    assert check[0] == '--control Control --metric "Order Confirmation" --min-lift 0.05'
    assert run(args, capsys)[1] == check[1] + "\n"


# ------------------------------------------------------------------------------------------
# A real process: the entry point, standard input, no traceback
# ------------------------------------------------------------------------------------------
def test_end_to_end_in_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ttstats.cli", "readout", "-", "--format", "json"],
        input=sample("v2-small.xml").read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""  # the visitor caveat is in the document, not emitted
    assert json.loads(done.stdout)["warnings"][0]["message"].startswith("summing the samples")

"""README.md's Python examples run as written and print what the README shows.

Every ```python block runs, in order, in one namespace (as a reader would paste them), in a
folder holding ``report.xml`` (the bundled example, as ``ttstats example -o report.xml``
writes it). Where the README shows output (a plain ``` block right after, or ``#`` comment
lines after the last expression), it must be what the code prints. The block that fetches
from the API is run against a local server by tests/test_client_cli.py instead.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from ttstats.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```python\n(?P<code>.*?)```\n(?:\n```\n(?P<shown>.*?)```)?", re.S)


def blocks() -> list[tuple[str, str | None]]:
    found = [(m["code"], m["shown"]) for m in BLOCK.finditer(README.read_text())]
    return [(code, shown) for code, shown in found if "from_env" not in code]


def split_comment_output(code: str) -> tuple[str, list[str]]:
    """The code without its trailing ``#`` output lines, and those lines."""
    lines = code.rstrip("\n").splitlines()
    shown: list[str] = []
    while lines and lines[-1].startswith("#"):
        shown.insert(0, lines.pop()[2:])
    return "\n".join(lines) + "\n", shown


def test_python_examples_print_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["example", "-o", "report.xml"]) == 0
    capsys.readouterr()
    found = blocks()
    assert len(found) >= 5
    namespace: dict[str, object] = {}
    checked = 0
    for code, shown in found:
        body, commented = split_comment_output(code)
        tree = ast.parse(body)
        last = tree.body[-1] if commented and isinstance(tree.body[-1], ast.Expr) else None
        if last is not None:
            tree.body.pop()
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pd.option_context("display.width", 200):
            exec(compile(tree, "README.md", "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "README.md", "eval"), namespace)
                print(value)
        if shown is not None:
            assert out.getvalue() == shown
            checked += 1
        if commented:
            assert out.getvalue().splitlines() == commented
            checked += 1
    assert checked == 2  # the "Five lines" table and the flipped verdicts

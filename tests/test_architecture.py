"""The shape of the code: layers import only downward, the public surface is complete, and
the linters and type checker configured in pyproject.toml are clean."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ttstats

PACKAGE = Path(ttstats.__file__).parent
ROOT = PACKAGE.parent

# client → parse → stats → analysis → render → cli; the stats layer is pure arrays, so it may
# not even look at the parse layer. remote (fetch and parse) sits beside parse, above client.
LAYERS = {
    "_errors": 0,
    "client": 1,
    "parse": 2,
    "remote": 2,
    "simulate": 2,
    "stats": 3,
    "analysis": 4,
    "render": 5,
}
TOP = 6  # cli, and the package root


def layer_of(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2:
        return TOP
    return LAYERS.get(parts[1], TOP)


def imports_of(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {f for f in found if f.startswith("ttstats")}


def all_modules() -> list[tuple[Path, str]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((path, ".".join(parts)))
    return out


@pytest.mark.parametrize(("path", "module"), all_modules(), ids=lambda x: str(x))
def test_layers_only_import_downward(path: Path, module: str) -> None:
    mine = layer_of(module)
    for target in imports_of(path, module):
        theirs = layer_of(target)
        if target == "ttstats" and mine < TOP:
            pytest.fail(f"{module} imports the package root")
        assert theirs <= mine, f"{module} (layer {mine}) imports {target} (layer {theirs})"
        if module.startswith("ttstats.stats"):
            assert not target.startswith("ttstats.parse"), f"{module} must stay pure arrays"


def test_stats_layer_does_not_need_pandas() -> None:
    for path in (PACKAGE / "stats").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                assert not any(n.startswith("pandas") for n in names), path


def test_public_surface_is_sorted_and_complete() -> None:
    assert ttstats.__all__ == sorted(ttstats.__all__)
    for name in ttstats.__all__:
        assert hasattr(ttstats, name), name
    public = {n for n in vars(ttstats) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(ttstats, n)).__name__ == "module"}
    assert public - modules - set(ttstats.__all__) == set()


def test_every_module_imports() -> None:
    for _, module in all_modules():
        importlib.import_module(module)


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        [sys.executable, "-m", "mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_code_quality(command: list[str]) -> None:
    if command[0] != sys.executable and shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} is not installed: install the test extra")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

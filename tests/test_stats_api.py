"""The public surface of ttstats.stats: exports, layering, docstring examples."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
from pathlib import Path

import pytest

import ttstats.stats as stats_pkg

STATS_DIR = Path(stats_pkg.__file__).parent
MODULES = sorted(p.stem for p in STATS_DIR.glob("*.py"))


def test_all_is_sorted_and_complete() -> None:
    names = stats_pkg.__all__
    assert names == sorted(names)
    public = {
        name
        for name, obj in vars(stats_pkg).items()
        if not name.startswith("_") and not inspect.ismodule(obj)
    }
    assert public == set(names)


@pytest.mark.parametrize("module", MODULES)
def test_stats_layer_imports_only_numpy_and_scipy(module: str) -> None:
    # Layering: stats sits below analysis/cli and beside parse; no pandas, no I/O libraries.
    tree = ast.parse((STATS_DIR / f"{module}.py").read_text())
    allowed = {"numpy", "scipy", "__future__", "typing", "collections"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: must stay inside ttstats.stats
                assert node.level == 1, f"{module} reaches outside ttstats.stats"
                continue
            roots = [(node.module or "").split(".")[0]]
        else:
            continue
        for root in roots:
            assert root in allowed, f"{module} imports {root}"


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(
        f"ttstats.stats.{module}" if module != "__init__" else "ttstats.stats"
    )
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_result_fields() -> None:
    assert stats_pkg.Interval._fields == ("low", "high", "reason")
    assert stats_pkg.TestResult._fields == ("statistic", "pvalue", "reason")
    assert stats_pkg.MinimumDetectableLift._fields == ("lift", "reason")
    assert stats_pkg.SamplesToDetect._fields == ("samples", "reason")

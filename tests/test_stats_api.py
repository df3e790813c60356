"""The public surface of ttstats.stats: exports, layering, docstring examples."""

from __future__ import annotations

import ast
import copy
import doctest
import importlib
import inspect
import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

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


def test_results_unpack_into_their_numbers_and_carry_the_reason() -> None:
    """Issue 3: intervals unpack as (low, high), tests as (statistic, pvalue), scipy-style."""
    low, high = stats_pkg.proportion_interval([3, 0], [10, 0])
    # Wilson, 3 of 10: [0.1078, 0.6032] (Newcombe 1998, Table I)
    assert low[0] == pytest.approx(0.1078, abs=5e-5) and high[0] == pytest.approx(0.6032, abs=5e-5)
    assert np.isnan(high[1])
    statistic, pvalue = stats_pkg.proportion_test(3, 10, 5, 10)
    z = (0.3 - 0.5) / np.sqrt(0.4 * 0.6 * 0.2)
    assert statistic == pytest.approx(z) and pvalue == pytest.approx(2 * sps.norm.sf(abs(z)))
    fields = {
        stats_pkg.Interval: ("low", "high"),
        stats_pkg.TestResult: ("statistic", "pvalue"),
        stats_pkg.MinimumDetectableLift: ("lift",),
        stats_pkg.SamplesToDetect: ("samples",),
        stats_pkg.MeanVar: ("mean", "var", "reliable"),
        stats_pkg.WelchResult: ("statistic", "df", "pvalue"),
        stats_pkg.ProbabilityToBeat: ("probability", "expected_loss"),
        stats_pkg.Heterogeneity: ("statistic", "df", "pvalue", "i_squared", "groups", "pooled"),
    }
    for cls, names in fields.items():
        assert cls._fields == names, cls
    res = stats_pkg.proportion_interval([3, 0], [10, 0])
    assert res.reason.tolist() == ["", "no entries (n = 0)"]
    assert "reason=" in repr(res) and "low=" in repr(res)
    with pytest.raises(AttributeError, match="immutable"):
        res.reason = None  # type: ignore[misc]
    again = pickle.loads(pickle.dumps(res))
    assert again.reason.tolist() == res.reason.tolist() and np.array_equal(
        again.low, res.low, equal_nan=True
    )
    moved = res._replace(low=np.zeros(2))
    assert moved.low.tolist() == [0.0, 0.0] and moved.reason is res.reason
    assert copy.deepcopy(res).reason.tolist() == res.reason.tolist()


@pytest.mark.parametrize(
    "value",
    ["3", b"3", ["1", "2"], np.timedelta64(3, "D"), np.datetime64("2009-01-01"), ["1", 2]],
)
def test_counts_are_numbers_not_text_dates_or_durations(value: object) -> None:
    """numpy reads "3", dates and durations as float64 without a word: the functions do not."""
    from ttstats.stats import proportion_interval, proportion_test

    with pytest.raises(ValueError, match="x: expected real numbers"):
        proportion_interval(value, 10)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_c: expected real numbers"):
        proportion_test(3, 10, 3, value)  # type: ignore[arg-type]
    # numbers held in an object array (a mixed frame's values) are numbers
    low = proportion_interval(np.array([3.0, 4], dtype=object), 10).low
    np.testing.assert_allclose(low, proportion_interval([3.0, 4.0], 10).low, rtol=0)

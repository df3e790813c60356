"""Every Examples section in the package runs as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ttstats

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(ttstats.__path__, "ttstats.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0

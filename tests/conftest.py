"""Shared fixtures: where the published samples are, and a quiet reader for malformed input."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

import ttstats

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"


def sample(name: str) -> Path:
    """Path of a published sample; the suite skips nothing: a missing sample is an error."""
    path = SAMPLES / name
    if not path.exists():
        raise FileNotFoundError(
            f"published sample {path} is missing (is ../shared beside the checkout?)"
        )
    return path


def read_quietly(source: Any, **kwargs: Any) -> ttstats.Report:
    """read_report with its repair warnings captured (they are checked via Report.warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ttstats.ReportRepairWarning)
        return ttstats.read_report(source, **kwargs)


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES

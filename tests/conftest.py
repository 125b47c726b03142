"""Shared fixtures: small cohorts written to disk, paths to the repository and shared data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import REPO, SHARED, small_counts, write_config


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture
def awkward_cohort(tmp_path: Path) -> Path:
    """A cohort folder with awkward sample names, a counts matrix, a sheet and a config."""
    samples = ["T-01", "3 mice", "a.b", "T-02", "x y.z", "007"]
    arms = ["ctrl", "trt", "ctrl", "trt", "ctrl", "trt"]
    counts = small_counts(samples)
    counts.to_csv(tmp_path / "counts.tsv", sep="\t")
    sheet = pd.DataFrame({"sample": samples, "arm": arms})
    sheet.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    write_config(tmp_path / "config.yaml")
    return tmp_path

"""Shared fixtures and hooks: small cohorts written to disk, the repository's path, and the
check behind :func:`tests.helpers.requires_shared` (skip, or fail under
``TMESEQ_REQUIRE_SHARED=1``, when a ``../shared`` dataset is absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import (
    REPO,
    REQUIRE_SHARED,
    shared_missing,
    skip_or_fail,
    small_counts,
    write_config,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip or fail a test marked ``shared_data`` whose ``../shared`` paths are absent."""
    found = (shared_missing(*marker.args) for marker in item.iter_markers("shared_data"))
    missing = [reason for reason in found if reason is not None]
    if missing:
        skip_or_fail("; ".join(missing), REQUIRE_SHARED)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def awkward_cohort(tmp_path: Path) -> Path:
    """A cohort folder with awkward sample names, a counts matrix, a sheet and a config."""
    samples = ["T-01", "3 mice", "a.b", "T-02", "x y.z", "007"]
    arms = ["ctrl", "trt", "ctrl", "trt", "ctrl", "trt"]
    counts = small_counts(samples)
    counts.to_csv(tmp_path / "counts.tsv", sep="\t")
    sheet = pd.DataFrame({"sample": samples, "arm": arms})
    sheet.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    write_config(
        tmp_path / "config.yaml", scores={"allow_empty": True}, gsea={"allow_empty": True}
    )
    return tmp_path

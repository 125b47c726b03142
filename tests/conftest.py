"""Shared fixtures: small cohorts written to disk, paths to the repository and shared data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


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


def small_counts(samples: list[str], n_genes: int = 300, seed: int = 1) -> pd.DataFrame:
    """Negative-binomial counts, genes x samples, with gene IDs G0001..; group effect on the
    first 30 genes for samples whose position is odd."""
    rng = np.random.default_rng(seed)
    means = rng.lognormal(mean=5, sigma=1.2, size=n_genes)
    effect = np.ones((n_genes, len(samples)))
    effect[:30, 1::2] = 4.0
    mu = means[:, None] * effect
    dispersion = 0.1
    counts = rng.negative_binomial(1 / dispersion, 1 / (1 + mu * dispersion))
    genes = [f"G{i:04d}" for i in range(1, n_genes + 1)]
    return pd.DataFrame(counts, index=pd.Index(genes, name="gene_id"), columns=samples)


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


def write_config(path: Path, **overrides: object) -> Path:
    """A minimal cohort config (YAML) in ``path``; top-level keys can be overridden."""
    import yaml

    config: dict[str, object] = {
        "cohort": "awkward",
        "species": "mouse",
        "samples": "samples.tsv",
        "counts": {"path": "counts.tsv"},
        "qc": {"n_top_genes": 100},
        "de": {
            "design": "~ arm",
            "contrasts": [
                {"name": "trt_vs_ctrl", "variable": "arm", "test": "trt", "reference": "ctrl"}
            ],
        },
    }
    config.update(overrides)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path

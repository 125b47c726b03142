"""Helpers shared by the tests: small cohorts and configs written to disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def gene_id(i: int) -> str:
    """The i-th gene ID of the small test cohorts."""
    return f"ENSMUSG{i:011d}"


def small_counts(samples: list[str], n_genes: int = 300, seed: int = 1) -> pd.DataFrame:
    """Negative-binomial counts, genes x samples, with Ensembl-style mouse gene IDs
    (ENSMUSG00000000001.., no symbols); group effect on the
    first 30 genes for samples whose position is odd."""
    rng = np.random.default_rng(seed)
    means = rng.lognormal(mean=5, sigma=1.2, size=n_genes)
    effect = np.ones((n_genes, len(samples)))
    effect[:30, 1::2] = 4.0
    mu = means[:, None] * effect
    dispersion = 0.1
    counts = rng.negative_binomial(1 / dispersion, 1 / (1 + mu * dispersion))
    genes = [gene_id(i) for i in range(1, n_genes + 1)]
    return pd.DataFrame(counts, index=pd.Index(genes, name="gene_id"), columns=samples)


def write_config(path: Path, **overrides: object) -> Path:
    """A minimal cohort config (YAML) in ``path``; top-level keys can be overridden."""
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

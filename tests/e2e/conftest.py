"""Fixtures of the end-to-end tests: a small cohort run to the end once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.runner import snakemake
from tests.helpers import gene_id, small_counts, write_config

PLANTED = [gene_id(i) for i in range(1, 31)]
"""Genes up in the ``trt`` arm of :func:`tests.helpers.small_counts` (4x)."""
UNCHANGED = [gene_id(i) for i in range(101, 131)]
"""Genes with no planted effect."""


def gmt_line(name: str, genes: list[str]) -> str:
    """One GMT line (name, description, genes; tab-separated)."""
    return "\t".join([name, f"{name} genes", *genes]) + "\n"


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort folder whose workflow has run to the end: 6 samples x 300 genes (IDs, no
    symbols), one contrast, a user GMT for the scores (``scores.gmt``) and one for GSEA
    (``gsea.gmt``), whose planted set matches the gene IDs. Tests that edit it must restore
    every file they touch (content and modification time)."""
    root = tmp_path_factory.mktemp("finished_run")
    samples = ["s1", "s2", "s3", "s4", "s5", "s6"]
    small_counts(samples).to_csv(root / "counts.tsv", sep="\t")
    sheet = pd.DataFrame({"sample": samples, "arm": ["ctrl", "trt"] * 3})
    sheet.to_csv(root / "samples.tsv", sep="\t", index=False)
    (root / "scores.gmt").write_text(gmt_line("planted_up", PLANTED))
    (root / "gsea.gmt").write_text(
        gmt_line("planted_up", PLANTED) + gmt_line("unchanged", UNCHANGED)
    )
    write_config(
        root / "config.yaml",
        cohort="rerun",
        scores={"gene_sets": ["scores.gmt"]},
        gsea={"gene_sets": ["gsea.gmt"], "hallmarks": False, "permutations": 100},
    )
    run = snakemake(root)
    assert run.returncode == 0, run.stderr[-3000:]
    return root

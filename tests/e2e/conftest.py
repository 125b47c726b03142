"""Fixtures of the end-to-end tests: small cohorts run to the end once per session."""

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

HOSTILE_SAMPLE = "<script>alert(1)</script>"
"""A sample name of :func:`hostile_run` that runs a script if a page does not escape it."""
HOSTILE_LEVEL = "\"&'"
"""The test level of :func:`hostile_run`'s contrast: every character HTML escapes."""
HOSTILE_SYMBOL = "<img src=x onerror=alert(2)>"
"""The symbol :func:`hostile_run`'s annotation gives the planted gene ``gene_id(1)``: an
unescaped copy requests ``x`` and opens an alert."""
HOSTILE_CONTRASTS = ("amp.q_vs_ctrl", "ctrl_vs_amp.q")
""":func:`hostile_run`'s contrasts (:data:`HOSTILE_LEVEL` vs ``ctrl`` and the reverse); their
page ids are ``contrast-amp-q_vs_ctrl`` and ``contrast-ctrl_vs_amp-q``."""


def gmt_line(name: str, genes: list[str]) -> str:
    """One GMT line (name, description, genes; tab-separated)."""
    return "\t".join([name, f"{name} genes", *genes]) + "\n"


def write_cohort(folder: Path, samples: list[str], arms: list[str], n_genes: int = 300) -> None:
    """``counts.tsv`` (:func:`tests.helpers.small_counts`) and ``samples.tsv`` (column ``arm``)
    in ``folder``."""
    small_counts(samples, n_genes=n_genes).to_csv(folder / "counts.tsv", sep="\t")
    sheet = pd.DataFrame({"sample": samples, "arm": arms})
    sheet.to_csv(folder / "samples.tsv", sep="\t", index=False)


def planted_gene_sets(root: Path) -> dict[str, dict[str, object]]:
    """Write ``scores.gmt`` (the planted set) and ``gsea.gmt`` (planted and unchanged sets) in
    ``root``; return the config's ``scores`` and ``gsea`` keys that use them."""
    (root / "scores.gmt").write_text(gmt_line("planted_up", PLANTED))
    (root / "gsea.gmt").write_text(
        gmt_line("planted_up", PLANTED) + gmt_line("unchanged", UNCHANGED)
    )
    return {
        "scores": {"gene_sets": ["scores.gmt"]},
        "gsea": {"gene_sets": ["gsea.gmt"], "hallmarks": False, "permutations": 100},
    }


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort folder whose workflow has run to the end: 6 samples x 300 genes (IDs, no
    symbols), one contrast, a user GMT for the scores (``scores.gmt``) and one for GSEA
    (``gsea.gmt``), whose planted set matches the gene IDs. Tests that edit it must restore
    every file they touch (content and modification time)."""
    root = tmp_path_factory.mktemp("finished_run")
    write_cohort(root, ["s1", "s2", "s3", "s4", "s5", "s6"], ["ctrl", "trt"] * 3)
    write_config(root / "config.yaml", cohort="rerun", **planted_gene_sets(root))
    run = snakemake(root)
    assert run.returncode == 0, run.stderr[-3000:]
    return root


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort folder run to the end whose user-supplied strings are HTML (cohort
    ``hostile``): sample :data:`HOSTILE_SAMPLE` among ``s2``..``s6``, arms ``ctrl`` and
    :data:`HOSTILE_LEVEL` (contrasts :data:`HOSTILE_CONTRASTS`, each way round), and an
    annotation naming the planted genes ``Planted1``.. except ``gene_id(1)``, which is
    :data:`HOSTILE_SYMBOL` (planted, so it leads the DE table); other genes ``Gm<i>``. GSEA
    tests a user GMT (``planted_up``, ``unchanged``). Tests must not edit it."""
    root = tmp_path_factory.mktemp("hostile_run")
    samples = [HOSTILE_SAMPLE, "s2", "s3", "s4", "s5", "s6"]
    small_counts(samples).to_csv(root / "counts.tsv", sep="\t")
    sheet = pd.DataFrame({"sample": samples, "arm": ["ctrl", HOSTILE_LEVEL] * 3})
    sheet.to_csv(root / "samples.tsv", sep="\t", index=False)
    symbols = {gene: f"Planted{i}" for i, gene in enumerate(PLANTED, start=1)}
    symbols[PLANTED[0]] = HOSTILE_SYMBOL
    genes = small_counts(samples).index
    annotation = pd.DataFrame(
        {"gene_id": genes, "symbol": [symbols.get(g, f"Gm{i}") for i, g in enumerate(genes)]}
    )
    annotation.to_csv(root / "annotation.tsv", sep="\t", index=False)
    planted = [symbols[g] for g in PLANTED]
    unchanged = [f"Gm{genes.get_loc(g)}" for g in UNCHANGED]
    (root / "gsea.gmt").write_text(
        gmt_line("planted_up", planted) + gmt_line("unchanged", unchanged)
    )
    levels = [(HOSTILE_LEVEL, "ctrl"), ("ctrl", HOSTILE_LEVEL)]
    contrasts = [
        {"name": name, "variable": "arm", "test": test, "reference": reference}
        for name, (test, reference) in zip(HOSTILE_CONTRASTS, levels, strict=True)
    ]
    write_config(
        root / "config.yaml",
        cohort="hostile",
        annotation="annotation.tsv",
        de={"design": "~ arm", "contrasts": contrasts},
        scores={"allow_empty": True},
        gsea={
            "gene_sets": ["gsea.gmt"],
            "hallmarks": False,
            "permutations": 100,
            "allow_empty": True,
        },
    )
    run = snakemake(root)
    assert run.returncode == 0, run.stderr[-3000:]
    return root

"""End-to-end: a cohort whose gene IDs match no gene set stops before the DE fit with one
message, unless the user opts in; then every output says "not tested", never "nothing
significant" (real snakemake, no mocking)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.runner import snakemake
from tests.helpers import small_counts, write_config
from tmeseq.plots.gsea import dotplot_empty_message, select_dotplot_terms

pytestmark = pytest.mark.e2e

SAMPLES = ["s1", "s2", "s3", "s4", "s5", "s6"]


def custom_cohort(root: Path, **config: object) -> Path:
    """6 samples x 300 genes named ``gene1``.. (custom IDs, no annotation), two arms."""
    counts = small_counts(SAMPLES)
    counts.index = pd.Index([f"gene{i}" for i in range(1, len(counts) + 1)], name="gene_id")
    counts.to_csv(root / "counts.tsv", sep="\t")
    sheet = pd.DataFrame({"sample": SAMPLES, "arm": ["ctrl", "trt"] * 3})
    sheet.to_csv(root / "samples.tsv", sep="\t", index=False)
    write_config(root / "config.yaml", cohort="custom", **config)
    return root


def test_ids_matching_no_gene_set_stop_before_the_de_fit(tmp_path: Path) -> None:
    run = snakemake(custom_cohort(tmp_path, gsea={"permutations": 100}))
    assert run.returncode != 0
    out = tmp_path / "results" / "custom"
    error = run.stderr
    head = "3 gene-set collections leave nothing to work on:"
    assert error.count(head) == 1
    signatures = "workflow/resources/signatures/tme_signatures.yaml"
    hallmarks = "workflow/resources/genesets/mh.all.v2022.1.Mm.symbols.gmt"
    for line in (
        rf"- {signatures}, scores stage, gene-set collection 'tme_signatures': none of its "
        r"\d+ genes is in the counts, so every score of it would be NA",
        rf"- {hallmarks}, gsea stage, gene-set collection 'hallmark_mouse': none of its \d+ "
        r"genes is in the counts, so none of its 50 sets could be tested",
        rf"- {signatures}, gsea stage, gene-set collection 'tme_signatures': none of its \d+ "
        r"genes is in the counts, so none of its \d+ sets could be tested",
    ):
        assert len(re.findall(line, error)) == 1, line
    assert (
        "Gene IDs in the counts: IDs of no recognised type (e.g. 'gene1', 'gene2', 'gene3'"
    ) in error
    assert error.count("How to fix: give `annotation:`") == 1
    assert (
        "or set `scores.allow_empty: true` and `gsea.allow_empty: true` to run anyway "
        "(reported as not tested)"
    ) in error
    assert "Traceback" not in error
    # the import and QC ran; the check stopped the run before any DE job
    assert (out / "counts.h5ad").exists()
    assert "rule check_gene_sets:" in error
    assert not re.search(r"rule de_(fit|results):", error)
    assert not (out / "de").exists()
    assert not (out / "qc" / "gene_set_coverage.tsv").exists()
    log = (out / "logs" / "check_gene_sets.log").read_text()
    assert head in log


def test_opted_in_empty_stages_complete_and_say_not_tested(tmp_path: Path) -> None:
    custom_cohort(
        tmp_path,
        scores={"allow_empty": True},
        gsea={"permutations": 100, "allow_empty": True},
    )
    run = snakemake(tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    out = tmp_path / "results" / "custom"
    checked = pd.read_csv(out / "qc" / "gene_set_coverage.tsv", sep="\t")
    assert checked[["stage", "collection", "status"]].values.tolist() == [
        ["scores", "tme_signatures", "empty"],
        ["gsea", "hallmark_mouse", "empty"],
        ["gsea", "tme_signatures", "empty"],
    ]
    assert checked["note"].tolist() == [
        "not tested: no gene of tme_signatures in the counts (allowed by scores.allow_empty)",
        "not tested: no gene of hallmark_mouse in the counts (allowed by gsea.allow_empty)",
        "not tested: no gene of tme_signatures in the counts (allowed by gsea.allow_empty)",
    ]
    # scores: every score NA, found = 0, the genes listed as missing from the counts
    coverage = pd.read_csv(out / "scores" / "coverage.tsv", sep="\t", keep_default_na=False)
    assert list(coverage.columns[-2:]) == ["n_unexpressed", "genes_unexpressed"]
    assert (coverage["n_found"] == 0).all() and (coverage["n_unexpressed"] == 0).all()
    tests = pd.read_csv(out / "scores" / "trt_vs_ctrl.tsv", sep="\t")
    assert (tests["n_found"] == 0).all() and tests["pvalue"].isna().all()
    # GSEA: nothing tested, and the figures say so (the dot plot draws this message)
    gsea = pd.read_csv(out / "gsea" / "trt_vs_ctrl.tsv", sep="\t")
    collections = pd.read_csv(
        out / "gsea" / "trt_vs_ctrl.collections.tsv", sep="\t", keep_default_na=False
    )
    assert gsea.empty and (collections["n_sets_tested"] == 0).all()
    assert select_dotplot_terms({"trt_vs_ctrl": gsea}).empty
    message = dotplot_empty_message({"trt_vs_ctrl": gsea}, {"trt_vs_ctrl": collections})
    assert message.splitlines() == [
        "No gene set was tested in any contrast",
        "not tested: no gene of hallmark_mouse in the counts",
        "not tested: no gene of tme_signatures in the counts",
    ]
    # the report says what was not tested and claims no result for it
    page = (out / "report.html").read_text()
    assert "reached FDR" not in page and "No gene set reached" not in page
    assert "Not tested: no gene of hallmark_mouse in the counts." in page
    assert "trt vs ctrl (padj &lt; 0.05): no TME parameter was tested" in page
    assert "no TME parameter differs" not in page
    assert "A gene counts as found only if it is expressed" in page

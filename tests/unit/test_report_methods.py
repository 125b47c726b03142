"""The methods paragraph: generated from the settings used, every tool and method cited."""

from __future__ import annotations

from typing import Any

from snakemake.utils import validate

from tests.helpers import REPO
from tmeseq.report.methods import REFERENCES, RunFacts, methods
from tmeseq.settings import Settings

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
VERSIONS = {
    "python": "3.11.2",
    "tmeseq": "0.1.0",
    "snakemake": "9.1.0",
    "pydeseq2": "0.5.4",
    "gseapy": "1.3.1",
    "numpy": "2.4.0",
    "scipy": "1.17.0",
    "pandas": "2.3.3",
    "anndata": "0.12.19",
}
FACTS = RunFacts(
    n_genes=10000,
    n_tested=9740,
    count_format="matrix",
    scored=[("cd8_t_cells", "Smith J. CD8 markers. J Imm 1:1 (2020)."), ("mine (user set)", "")],
    collections=[("hallmark_mouse", "2022.1"), ("tme_signatures", "2026.11")],
)


def settings(**patch: Any) -> Settings:
    config: dict[str, Any] = {
        "cohort": "c",
        "species": "mouse",
        "counts": {"path": "c.tsv"},
        "de": {
            "design": "~ batch + arm",
            "contrasts": [{"name": "b_vs_a", "variable": "arm", "test": "b", "reference": "a"}],
            **patch.pop("de", {}),
        },
        **patch,
    }
    validate(config, str(SCHEMA))
    return Settings.from_config(config)


def test_paragraph_follows_the_defaults_with_numbered_citations() -> None:
    written = methods(settings(), FACTS, VERSIONS)
    text = written.paragraph
    assert "(matrix format; 10,000 genes) were analysed with tmeseq 0.1.0 (mouse)" in text
    assert "at least 10 reads in at least the smallest group's number of samples" in text
    assert "were kept (9,740 of 10,000)" in text
    assert "tested with tmeseq's implementation of DESeq2 [1] (design ~ batch + arm;" in text
    assert "size factors by the median-of-ratios method; a parametric dispersion-mean" in text
    assert "significance at padj < 0.05" in text
    assert "Log2 fold changes were shrunk with apeglm [3]." in text
    assert "TME scores (cd8_t_cells [4], mine (user set)) were computed" in text
    assert "with gseapy 1.3.1 [6]" in text and "MSigDB Hallmarks 2022.1 [7]" in text
    assert "tme_signatures 2026.11" in text and "1,000 gene-set permutations (seed 123)" in text
    assert "Snakemake 9.1.0 [8]" in text
    refs = written.references
    assert refs[0] == REFERENCES["deseq2"] and "Genome Biology 15:550 (2014)" in refs[0]
    assert refs[1] == REFERENCES["bh"]
    assert refs[2] == REFERENCES["apeglm"] and "Bioinformatics 35:2084" in refs[2]
    assert refs[3] == "Smith J. CD8 markers. J Imm 1:1 (2020)."
    assert refs[4] == REFERENCES["gsea"] and "PNAS 102:15545" in refs[4]
    assert refs[5] == REFERENCES["gseapy"] and "btac757" in refs[5]
    assert refs[6] == REFERENCES["hallmarks"] and "Cell Systems 1:417" in refs[6]
    assert refs[7] == REFERENCES["snakemake"] and "F1000Research 10:33" in refs[7]
    assert len(refs) == 8 and REFERENCES["pydeseq2"] not in refs


def test_only_what_was_used_is_cited() -> None:
    chosen = settings(
        de={"size_factors": "iterative", "shrink": False, "fit_type": "mean"},
        scores={"method": "ssgsea"},
        gsea={"method": "multilevel", "metric": "signed_log10_p"},
    )
    facts = RunFacts(10, 10, "star", scored=[], collections=[])
    written = methods(chosen, facts, VERSIONS)
    text = written.paragraph
    assert "the iterative method of PyDESeq2 0.5.4 [2]" in text
    assert "a mean dispersion-mean trend" in text
    assert "apeglm" not in text and REFERENCES["apeglm"] not in written.references
    assert "single-sample GSEA" in text and REFERENCES["ssgsea"] in written.references
    assert "No gene-set collection was tested (GSEA skipped)." in text
    assert REFERENCES["gsea"] not in written.references
    assert REFERENCES["hallmarks"] not in written.references


def test_thresholds_and_filters_are_described() -> None:
    chosen = settings(
        de={
            "lfc_threshold": 1.0,
            "alt_hypothesis": "greater",
            "cooks_filter": False,
            "refit_cooks": False,
            "independent_filter": False,
            "alpha": 0.1,
            "prefilter": {"min_count": 0},
        }
    )
    text = methods(chosen, FACTS, VERSIONS).paragraph
    assert "All 10,000 genes were tested (no pre-filter)." in text
    assert "Wald tests of log2 fold change > 1" in text
    assert "no Cook's distance filter" in text and "without independent filtering" in text
    assert "padj < 0.1" in text

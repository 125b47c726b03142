"""The whole workflow on a real cohort: Riaz et al. 2017 (nivolumab, melanoma, GEO GSE91061).

Paired biopsies before and on treatment (43 patients), Entrez IDs mapped to symbols with the
shared annotation, design ``~ patient + timepoint``. On nivolumab, immune infiltration and
IFN-gamma signalling rise (the paper's main finding): the run must find that, from the data.
About 5 minutes on 2 cores, so it is marked slow (CI runs it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import REPO, VALIDATION, requires_shared, write_config

# In ../shared only: the Riaz counts carry no licence that allows a copy in the repository.
RIAZ = VALIDATION / "riaz_gse91061"
COUNTS = "GSE91061_BMS038109Sample.hg19KnownGene.raw.csv.gz"
ANNOTATION = VALIDATION / "annotation" / "human_entrez_symbol_ensembl.tsv.gz"

pytestmark = [
    pytest.mark.slow,
    requires_shared("riaz_gse91061", COUNTS),
    requires_shared("riaz_gse91061", "samples_GSE91061.csv"),
    requires_shared("annotation", ANNOTATION.name),
]


def paired_sheet(path: Path) -> None:
    samples = pd.read_csv(RIAZ / "samples_GSE91061.csv")
    both = samples.groupby("patient")["timepoint"].nunique()
    paired = samples[samples["patient"].isin(both[both == 2].index)]
    paired = paired.drop_duplicates(["patient", "timepoint"])
    paired[["sample", "patient", "timepoint", "cohort"]].to_csv(path, sep="\t", index=False)


def test_riaz_on_vs_pre_treatment(tmp_path: Path) -> None:
    paired_sheet(tmp_path / "samples.tsv")
    write_config(
        tmp_path / "config.yaml",
        cohort="riaz",
        species="human",
        counts={"path": str(RIAZ / COUNTS)},
        annotation=str(ANNOTATION),
        qc={"colour_by": "timepoint"},
        de={
            "design": "~ patient + timepoint",
            "contrasts": [
                {"name": "on_vs_pre", "variable": "timepoint", "test": "On", "reference": "Pre"}
            ],
        },
    )
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]
    run = subprocess.run(
        [
            *command,
            "--directory",
            str(tmp_path),
            "--configfile",
            str(tmp_path / "config.yaml"),
            "--cores",
            "2",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = tmp_path / "results" / "riaz"
    de = pd.read_csv(out / "de" / "on_vs_pre.tsv", sep="\t", dtype={"gene_id": str})
    top = de[de["padj"] < 0.05]
    assert {"PDCD1", "CXCL9"} <= set(top["symbol"])
    assert (top["log2FoldChange"] > 0).all()
    tme = pd.read_csv(out / "scores" / "tme_comparison.tsv", sep="\t").set_index("score")
    for score in ("cd8_t_cells", "effector", "ifng", "gzmb", "prf1", "cd274"):
        assert tme.loc[score, "on_vs_pre_direction"] == "up", score
    gsea = pd.read_csv(out / "gsea" / "on_vs_pre.tsv", sep="\t").set_index("term")
    ifng = gsea.loc["HALLMARK_INTERFERON_GAMMA_RESPONSE"]
    assert ifng["nes"] > 0 and ifng["fdr"] < 0.05
    log = (out / "logs" / "import_counts.log").read_text()
    assert "22069 with a symbol" in log

"""The whole workflow on a real mouse cohort with no annotation file: CT26 (E-MTAB-7777).

CT26 colon tumours in BALB/c mice, anti-PD-L1 + anti-CTLA-4 versus isotype control, at day 7
and day 14 (5 mice per cell; Taylor et al. 2019, J Immunother Cancer). The counts carry
versioned GENCODE vM26 mouse Ensembl IDs and BAM-named columns: the sheet's ``count_column``
maps them to readable sample names, and the bundled mouse Ensembl table gives the symbols
(``annotation:`` is not set). Checkpoint blockade brings T cells and interferon-gamma
signalling into these tumours: the run must find that, from the data. A few minutes on 2
cores, so it is marked slow (CI runs it).
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import pandas as pd
import pytest

from tests.e2e.runner import snakemake
from tests.helpers import VALIDATION, requires_shared, write_config

# In ../shared only: the source repository states no licence for the count table.
CT26 = VALIDATION / "ct26_icb"
COUNTS = "str_counts.csv.gz"
SHEET = "samples_E-MTAB-7777.csv"

pytestmark = [
    pytest.mark.slow,
    requires_shared("ct26_icb", COUNTS),
    requires_shared("ct26_icb", SHEET),
]


@pytest.fixture(scope="module")
def ct26_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ct26")
    write_config(
        root / "config.yaml",
        cohort="ct26",
        species="mouse",
        samples=str(CT26 / SHEET),
        counts={"path": str(CT26 / COUNTS)},
        annotation=None,
        qc={"colour_by": "group", "shape_by": "day"},
        de={
            "design": "~ day + group",
            "categorical": ["day"],
            "reference_levels": {"group": "isotype_control"},
            "contrasts": [
                {
                    "name": "icb_vs_isotype",
                    "variable": "group",
                    "test": "antiPDL1_antiCTLA4",
                    "reference": "isotype_control",
                }
            ],
        },
    )
    run = snakemake(root)
    assert run.returncode == 0, run.stderr[-3000:]
    return root / "results" / "ct26"


def test_bundled_mouse_table_names_the_genes(ct26_run: Path) -> None:
    counts = ad.read_h5ad(ct26_run / "counts.h5ad")
    assert counts.n_obs == 20
    assert "day14_immuno_treat_2" in counts.obs_names  # its BAM lacks an underscore
    assert counts.var.index[0].startswith("ENSMUSG")
    symbols = counts.var["symbol"].astype(str)
    expressed = counts.X.sum(axis=0) >= 10
    named = ~symbols.str.startswith("ENSMUSG").to_numpy()
    assert named[expressed].mean() > 0.95
    for gene in ("Ifng", "Cd8a", "Gzmb", "Prf1", "Cd274", "Foxp3"):
        assert gene in set(symbols), gene


def test_checkpoint_blockade_raises_t_cell_and_interferon_signals(ct26_run: Path) -> None:
    de = pd.read_csv(ct26_run / "de" / "icb_vs_isotype.tsv", sep="\t")
    called = de[de["padj"] < 0.05].set_index("symbol")
    # the workflow's effector genes (IFNG, PRF1, GZMB, CD274) and the CD8 marker
    for gene in ("Ifng", "Prf1", "Gzmb", "Cd274", "Cd8a"):
        assert called.loc[gene, "log2FoldChange"] > 0, gene
    tme = pd.read_csv(ct26_run / "scores" / "tme_comparison.tsv", sep="\t").set_index("score")
    for score in ("cd8_t_cells", "ifng", "gzmb"):
        assert tme.loc[score, "icb_vs_isotype_direction"] == "up", score
    gsea = pd.read_csv(ct26_run / "gsea" / "icb_vs_isotype.tsv", sep="\t")
    hallmark = gsea[gsea["collection"].str.contains("hallmark", case=False)]
    assert len(hallmark) >= 40
    ifng = hallmark.set_index("term").loc["HALLMARK_INTERFERON_GAMMA_RESPONSE"]
    assert ifng["nes"] > 0 and ifng["fdr"] < 0.05

"""End-to-end: run snakemake for real on small cohorts (no mocking)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from tests.e2e.runner import snakemake
from tests.helpers import REPO, gene_id, write_config

pytestmark = pytest.mark.e2e


def test_awkward_sample_names_end_to_end(awkward_cohort: Path) -> None:
    run = snakemake(awkward_cohort)
    assert run.returncode == 0, run.stderr[-3000:]
    out = awkward_cohort / "results" / "awkward"
    adata = ad.read_h5ad(out / "counts.h5ad")
    assert list(adata.obs_names) == ["T-01", "3 mice", "a.b", "T-02", "x y.z", "007"]
    assert adata.shape == (6, 300)
    assert list(adata.var.columns[:2]) == ["gene_id", "symbol"]
    expected = pd.read_csv(awkward_cohort / "counts.tsv", sep="\t", index_col=0)
    np.testing.assert_array_equal(adata.X, expected.to_numpy().T)
    assert adata.X.dtype == np.int64
    stats = pd.read_csv(out / "qc" / "library_stats.tsv", sep="\t")
    assert stats["sample"].tolist() == list(adata.obs_names)
    assert stats["library_size"].tolist() == expected.sum(axis=0).tolist()
    pca = pd.read_csv(out / "qc" / "pca.tsv", sep="\t")
    # the planted group effect (odd positions = "trt") separates the arms on PC1
    trt = pca.set_index("sample").loc[["3 mice", "T-02", "007"], "PC1"]
    ctrl = pca.set_index("sample").loc[["T-01", "a.b", "x y.z"], "PC1"]
    assert (np.sign(trt).nunique(), np.sign(ctrl).nunique()) == (1, 1)
    assert np.sign(trt.iloc[0]) != np.sign(ctrl.iloc[0])
    for name in ("pca.png", "library_sizes.png", "sample_correlation.png"):
        assert (out / "qc" / name).stat().st_size > 1000
    check_de_outputs(out)
    check_unmatched_ids(out)
    check_snakemake_report(awkward_cohort, "awkward", "trt_vs_ctrl")


#: Key tables of a run -> the caption file `snakemake --report` shows with each.
REPORT_TABLES = {
    "de/{contrast}.tsv": "de_table.rst",
    "de/summary.tsv": "de_summary.rst",
    "scores/{contrast}.tsv": "scores_table.rst",
    "scores/sample_scores.tsv": "scores_samples.rst",
    "scores/tme_comparison.tsv": "scores_tme.rst",
    "gsea/{contrast}.tsv": "gsea_table.rst",
}


def caption_opening(caption: str) -> str:
    """The caption file's first words, up to its first markup (as the report renders them)."""
    text = (REPO / "workflow" / "report" / caption).read_text()
    return " ".join(re.split(r"[*`{(]", text, maxsplit=1)[0].split())


def report_records(html: str, out: str) -> dict[str, dict]:
    """The report's record of each result file under ``out`` (path -> name, caption, data)."""
    decoder = json.JSONDecoder()
    records = {}
    for match in re.finditer(rf'"({re.escape(out)}/[^"]+)": {{', html):
        records[match.group(1)], _ = decoder.raw_decode(html, match.end() - 1)
    return records


def check_snakemake_report(workdir: Path, cohort: str, contrast: str) -> None:
    """`snakemake --report` works, and bundles every key table with its caption."""
    report = snakemake(workdir, "--report", str(workdir / "report.zip"))
    assert report.returncode == 0, report.stderr[-2000:]
    with zipfile.ZipFile(workdir / "report.zip") as bundle:
        names = bundle.namelist()
        html = bundle.read("report/report.html").decode()
    assert any(name.endswith("pca.png") for name in names)
    records = report_records(html, f"results/{cohort}")
    for table, caption in REPORT_TABLES.items():
        path = f"results/{cohort}/{table.format(contrast=contrast)}"
        assert path in records, f"{path} is not in the report"
        record = records[path]
        assert f"report/{record['data_uri']}" in names, path
        shown = " ".join(re.sub(r"<[^>]+>", "", record["caption"]).split())
        assert shown.startswith(caption_opening(caption)), (path, shown[:80])


def check_unmatched_ids(out: Path) -> None:
    """Ensembl IDs without an annotation match no signature or gene-set symbol: NA scores,
    coverage warnings that name the cause, and the run still completes."""
    scores = pd.read_csv(out / "scores" / "sample_scores.tsv", sep="\t")
    assert scores.columns[0] == "sample" and len(scores) == 6
    assert scores.drop(columns="sample").isna().all().all()
    log = (out / "logs" / "scores.log").read_text()
    assert "WARNING" in log and "no gene" in log.lower()
    tests = pd.read_csv(out / "scores" / "trt_vs_ctrl.tsv", sep="\t")
    assert list(tests.columns[:8]) == [
        "score",
        "n_genes",
        "n_found",
        "mean_test",
        "mean_reference",
        "difference",
        "pvalue",
        "padj",
    ]
    assert (tests["n_found"] == 0).all() and tests["pvalue"].isna().all()
    gsea = pd.read_csv(out / "gsea" / "trt_vs_ctrl.tsv", sep="\t")
    assert list(gsea.columns) == [
        "collection",
        "term",
        "size",
        "es",
        "nes",
        "pvalue",
        "fdr",
        "leading_edge",
    ]
    assert gsea.empty
    log = (out / "logs" / "gsea.trt_vs_ctrl.log").read_text()
    assert "WARNING" in log and "Ensembl" in log


CONTRACT = ["gene_id", "symbol", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]


def check_de_outputs(out: Path) -> None:
    """The DE table follows the contract and finds the planted genes (first 30, up 4x)."""
    text = (out / "de" / "trt_vs_ctrl.tsv").read_text()
    header = text.splitlines()[0].split("\t")
    assert header == [*CONTRACT, "log2FoldChange_shrunk", "lfcSE_shrunk"]
    assert "\tnan" not in text.lower()
    table = pd.read_csv(out / "de" / "trt_vs_ctrl.tsv", sep="\t")
    assert len(table) == 300
    pvalues = table["pvalue"].dropna()
    assert pvalues.is_monotonic_increasing
    assert table["pvalue"].isna().sum() == len(table) - len(pvalues)
    significant = table[table["padj"] < 0.05]
    planted = {gene_id(i) for i in range(1, 31)}
    assert len(set(significant["gene_id"]) & planted) >= 25
    assert (
        significant.set_index("gene_id").loc[
            sorted(set(significant["gene_id"]) & planted), "log2FoldChange"
        ]
        > 1
    ).all()
    assert len(set(significant["gene_id"]) - planted) <= 3
    summary = pd.read_csv(out / "de" / "summary.tsv", sep="\t")
    assert summary.loc[0, "contrast"] == "trt_vs_ctrl"
    assert summary.loc[0, "n_up"] == (significant["log2FoldChange"] > 0).sum()
    workbook = pd.read_excel(out / "de" / "results.xlsx", sheet_name=None)
    assert list(workbook) == ["summary", "trt_vs_ctrl"]
    model = ad.read_h5ad(out / "de" / "model.h5ad")
    assert model.layers["vst"].shape == (6, 300)
    assert model.uns["de"]["design"] == "~ arm"
    for plot in ("volcano", "ma", "pvalues"):
        assert (out / "de" / "plots" / f"trt_vs_ctrl.{plot}.png").stat().st_size > 5000
    assert (out / "de" / "dispersions.png").stat().st_size > 5000


def test_bad_sheet_stops_before_any_job(awkward_cohort: Path) -> None:
    sheet = pd.read_csv(awkward_cohort / "samples.tsv", sep="\t")
    sheet.loc[2, "arm"] = "Ctrl "
    sheet.loc[3, "sample"] = "T-01"
    sheet.to_csv(awkward_cohort / "samples.tsv", sep="\t", index=False)
    run = snakemake(awkward_cohort)
    assert run.returncode != 0
    assert "duplicate sample IDs: 'T-01' on lines 2, 5" in run.stderr
    assert not (awkward_cohort / "results").exists()


def test_missing_level_stops_before_any_job(awkward_cohort: Path) -> None:
    write_config(
        awkward_cohort / "config.yaml",
        de={
            "design": "~ arm",
            "contrasts": [
                {
                    "name": "trt_vs_placebo",
                    "variable": "arm",
                    "test": "trt",
                    "reference": "placebo",
                }
            ],
        },
    )
    run = snakemake(awkward_cohort)
    assert run.returncode != 0
    assert "reference level 'placebo' does not occur in column 'arm'" in run.stderr
    assert "the levels present are 'ctrl', 'trt'" in run.stderr
    assert not (awkward_cohort / "results").exists()


def test_bad_counts_stop_in_import_and_leave_nothing(awkward_cohort: Path) -> None:
    counts = pd.read_csv(awkward_cohort / "counts.tsv", sep="\t", index_col=0)
    counts.loc[gene_id(7), "a.b"] = -4
    counts.to_csv(awkward_cohort / "counts.tsv", sep="\t")
    run = snakemake(awkward_cohort)
    assert run.returncode != 0
    out = awkward_cohort / "results" / "awkward"
    log = (out / "logs" / "import_counts.log").read_text()
    assert f"negative count -4 for gene '{gene_id(7)}', sample 'a.b'" in log
    assert f"negative count -4 for gene '{gene_id(7)}', sample 'a.b'" in run.stderr
    assert not (out / "counts.h5ad").exists()
    assert not (out / "qc").exists()
    assert not list(out.glob("**/.*partial"))


def test_cohort_config_does_not_inherit_example_config(awkward_cohort: Path) -> None:
    """Keys left out of a --configfile take schema defaults, not config/config.yaml values."""
    run = snakemake(awkward_cohort, "--dry-run", "--printshellcmds")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "results/awkward/counts.h5ad" in run.stdout
    assert "results/example" not in run.stdout


def test_example_cohort_runs_with_default_config(tmp_path: Path) -> None:
    """The bundled example, run as the README's command does (no --configfile)."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    example = Path("workflow", "resources", "example")
    shutil.copytree(REPO / example, tmp_path / example)
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]
    run = subprocess.run(
        [*command, "--directory", str(tmp_path), "--cores", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = tmp_path / "results" / "example"
    adata = ad.read_h5ad(out / "counts.h5ad")
    assert adata.shape == (18, 10000)
    assert set(adata.obs["arm"]) == {"vehicle", "NKTR214", "chemo"}
    assert {"Ifng", "Prf1", "Gzmb", "Cd274", "Foxp3"} <= set(adata.var["symbol"])
    variance = pd.read_csv(out / "qc" / "pca_variance.tsv", sep="\t")
    assert variance["variance_explained"].is_monotonic_decreasing
    assert (out / "qc" / "pca.png").stat().st_size > 10000
    check_example_biology(out)


def check_example_biology(out: Path) -> None:
    """The seed's directions, and the planted Hallmark shifts, come back from the data."""
    tme = pd.read_csv(out / "scores" / "tme_comparison.tsv", sep="\t").set_index("score")
    nktr = tme["nktr214_vs_vehicle_direction"]
    for score in (
        "cd8_t_cells",
        "cd8_treg_ratio",
        "nk_cells",
        "effector",
        "ifng",
        "gzmb",
        "prf1",
        "cd274",
    ):
        assert nktr[score] == "up", score
    assert nktr["tregs"] == "not significant"
    chemo = tme["chemo_vs_vehicle_direction"]
    assert chemo["tregs"] == "down"
    assert chemo["m1_m2_ratio"] == "up"
    gsea = {
        name: pd.read_csv(out / "gsea" / f"{name}.tsv", sep="\t").set_index("term")
        for name in ("nktr214_vs_vehicle", "chemo_vs_vehicle")
    }
    ifng = gsea["nktr214_vs_vehicle"].loc["HALLMARK_INTERFERON_GAMMA_RESPONSE"]
    assert ifng["fdr"] < 0.05 and ifng["nes"] > 0
    for term in ("HALLMARK_E2F_TARGETS", "HALLMARK_G2M_CHECKPOINT"):
        row = gsea["chemo_vs_vehicle"].loc[term]
        assert row["fdr"] < 0.05 and row["nes"] < 0, term
    hypoxia = gsea["nktr214_vs_vehicle"].loc["HALLMARK_HYPOXIA"]
    assert hypoxia["fdr"] >= 0.05


def write_salmon_cohort(root: Path, counts: pd.DataFrame) -> pd.DataFrame:
    """Per-sample salmon quant.sf folders: two transcripts per gene whose fractional NumReads
    sum to the gene count + 0.35 (so the import has to round)."""
    rng = np.random.default_rng(3)
    tx2gene = []
    for sample in counts.columns:
        rows = []
        for gene, total in counts[sample].items():
            share = rng.uniform(0.2, 0.8)
            for k, part in enumerate((share, 1 - share)):
                rows.append((f"{gene}-T{k}.1", 1500 + 100 * k, 1300.5, 1.0, total * part + 0.175))
        quant = pd.DataFrame(
            rows, columns=["Name", "Length", "EffectiveLength", "TPM", "NumReads"]
        )
        (root / "quants" / sample).mkdir(parents=True)
        quant.to_csv(root / "quants" / sample / "quant.sf", sep="\t", index=False)
    for gene in counts.index:
        tx2gene += [(f"{gene}-T0.1", gene), (f"{gene}-T1.1", gene)]
    pd.DataFrame(tx2gene, columns=["transcript_id", "gene_id"]).to_csv(
        root / "tx2gene.tsv", sep="\t", index=False
    )
    return counts


def test_salmon_folder_with_awkward_names_end_to_end(awkward_cohort: Path) -> None:
    counts = pd.read_csv(awkward_cohort / "counts.tsv", sep="\t", index_col=0)
    write_salmon_cohort(awkward_cohort, counts)
    write_config(
        awkward_cohort / "config.yaml",
        counts={"path": "quants", "tx2gene": "tx2gene.tsv"},
        scores={"allow_empty": True},
        gsea={"allow_empty": True},
    )
    run = snakemake(awkward_cohort)
    assert run.returncode == 0, run.stderr[-3000:]
    out = awkward_cohort / "results" / "awkward"
    adata = ad.read_h5ad(out / "counts.h5ad")
    assert set(adata.obs_names) == set(counts.columns)
    imported = pd.DataFrame(adata.X.T, index=adata.var_names, columns=adata.obs_names)
    # transcripts split each gene's reads fractionally; summing them back and rounding
    # recovers the integer gene counts
    expected = counts.loc[imported.index, imported.columns]
    assert (imported == expected).all().all()
    assert adata.uns["tmeseq"]["import"]["format"] == "salmon"
    assert adata.uns["tmeseq"]["import"]["estimated_counts"]
    log = (out / "logs" / "import_counts.log").read_text()
    assert "Detected salmon" in log
    assert "estimated count(s) to the nearest integer" in log


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("specis: mouse", None), "top level: unknown key 'specis'"),
        (("test: trt", "test: On"), "key de.contrasts[0].test: True (a boolean)"),
        (("test: trt", "test: trtt"), "did you mean 'trt'?"),
    ],
)
def test_config_mistake_is_one_message_without_traceback(
    awkward_cohort: Path, edit: tuple[str, str | None], expected: str
) -> None:
    """Misspelt key, YAML's boolean trap, misspelt level: one message, before any job."""
    config = awkward_cohort / "config.yaml"
    text = config.read_text()
    old, new = edit
    text = text + old + "\n" if new is None else text.replace(old, new)
    config.write_text(text)
    run = snakemake(awkward_cohort)
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert expected in output
    assert output.count(expected) == 1
    assert "How to fix:" in output
    assert "Traceback" not in output and 'File "' not in output
    assert not (awkward_cohort / "results").exists()

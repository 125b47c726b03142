"""The DE layer on designs with known truth: FDR, pairing, interactions, one fit for all."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from tests.de_support import fit as fit_cohort
from tests.de_support import results as contrast_table
from tests.helpers import de_settings
from tests.simulate import combine_effects, effects_for, simulate_counts
from tmeseq.de import Engine, engine
from tmeseq.samplesheet import covariates

ALPHA = 0.05


def sheet(**columns: list[str]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"sample": [f"s{i:02d}" for i in range(n)], **columns})
    return frame.set_index("sample", drop=False)


def fit(samples: pd.DataFrame, counts: pd.DataFrame, design: str, **references: str):
    metadata = covariates(samples, references=references).drop(columns="sample")
    return fit_cohort(counts.T, metadata, design)


def calls(results: pd.DataFrame) -> set[str]:
    return set(results.index[results["padj"] < 0.05])


def test_planted_fold_changes_fdr_and_correlation() -> None:
    """Observed FDR at padj < 0.05 stays <= 0.1; estimated LFCs track the planted ones."""
    samples = sheet(arm=["ctrl"] * 5 + ["trt"] * 5)
    genes = [f"g{i:05d}" for i in range(4000)]
    rng = np.random.default_rng(11)
    planted = pd.Series(rng.choice([-1, 1], 400) * rng.uniform(0.8, 2.5, 400), index=genes[:400])
    counts = simulate_counts(
        genes, samples, effects_for(samples, "arm", "trt", planted.index, planted), seed=3
    )
    results = contrast_table(
        fit(samples, counts, "~ arm", arm="ctrl"), ["arm", "trt", "ctrl"], alpha=ALPHA
    )
    found = calls(results)
    false = found - set(planted.index)
    assert len(found) > 200
    assert len(false) / len(found) <= 0.1
    estimated = results.loc[planted.index, "log2FoldChange"]
    assert spearmanr(estimated, planted).statistic > 0.9
    assert np.sign(results.loc[sorted(found & set(planted.index)), "log2FoldChange"]).equals(
        np.sign(planted.loc[sorted(found & set(planted.index))])
    )


def test_paired_design_finds_what_patient_variance_hides() -> None:
    patients = [f"p{i}" for i in range(6)]
    samples = sheet(patient=patients * 2, timepoint=["pre"] * 6 + ["on"] * 6)
    genes = [f"g{i:05d}" for i in range(1500)]
    rng = np.random.default_rng(5)
    patient_effects = [
        effects_for(samples, "patient", p, genes, rng.normal(0, 1.0, len(genes))) for p in patients
    ]
    treatment = effects_for(samples, "timepoint", "on", genes[:150], 0.8)
    counts = simulate_counts(
        genes, samples, combine_effects(*patient_effects, treatment), seed=9, dispersion=0.02
    )
    paired = contrast_table(
        fit(samples, counts, "~ patient + timepoint", timepoint="pre"),
        ["timepoint", "on", "pre"],
        alpha=ALPHA,
    )
    unpaired = contrast_table(
        fit(samples, counts, "~ timepoint", timepoint="pre"),
        ["timepoint", "on", "pre"],
        alpha=ALPHA,
    )
    planted = set(genes[:150])
    assert len(calls(paired) & planted) > 100
    assert len(calls(paired) & planted) > 3 * len(calls(unpaired) & planted)
    assert len(calls(paired) - planted) / max(len(calls(paired)), 1) <= 0.1


def test_continuous_covariate_is_adjusted_for() -> None:
    """A dose-like covariate confounded with nothing: its slope is estimated, not the arm."""
    dose = ["0", "1", "2", "3", "4", "5"] * 2
    samples = sheet(arm=["ctrl"] * 6 + ["trt"] * 6, dose=dose)
    genes = [f"g{i:05d}" for i in range(1200)]
    slope = pd.DataFrame(
        np.outer(np.full(100, 0.4), np.array(dose, dtype=float)),
        index=genes[100:200],
        columns=samples["sample"],
    )
    arm = effects_for(samples, "arm", "trt", genes[:100], 1.5)
    counts = simulate_counts(genes, samples, combine_effects(arm, slope), seed=4)
    dds = fit(samples, counts, "~ dose + arm", arm="ctrl")
    assert "dose" in dds.coefficient_names  # numeric -> one slope
    results = contrast_table(dds, ["arm", "trt", "ctrl"], alpha=ALPHA)
    assert len(calls(results) & set(genes[:100])) > 80
    assert len(calls(results) & set(genes[100:200])) <= 5
    slope_test = contrast_table(
        dds, (np.array(dds.coefficient_names) == "dose").astype(float), alpha=ALPHA
    )
    slopes = slope_test.loc[genes[100:200], "log2FoldChange"]
    assert abs(slopes.median() - 0.4) < 0.1


def test_interaction_contrast_recovers_the_effect_in_one_genotype() -> None:
    samples = sheet(
        genotype=["wt"] * 8 + ["ko"] * 8,
        treatment=(["none"] * 4 + ["drug"] * 4) * 2,
    )
    genes = [f"g{i:05d}" for i in range(1200)]
    ko_drug = samples["genotype"].eq("ko") & samples["treatment"].eq("drug")
    samples["group"] = np.where(ko_drug, "ko_drug", "other")
    effect = effects_for(samples, "group", "ko_drug", genes[:80], 2.0)
    counts = simulate_counts(genes, samples.drop(columns="group"), effect, seed=21)
    samples = samples.drop(columns="group")
    dds = fit(samples, counts, "~ genotype * treatment", genotype="wt", treatment="none")
    columns = dds.coefficient_names
    assert "genotype[T.ko]:treatment[T.drug]" in columns
    vector = np.zeros(len(columns))
    vector[columns.index("treatment[T.drug]")] = 1
    vector[columns.index("genotype[T.ko]:treatment[T.drug]")] = 1
    in_ko = contrast_table(dds, vector, alpha=ALPHA)
    assert len(calls(in_ko) & set(genes[:80])) > 70
    assert in_ko.loc[genes[:80], "log2FoldChange"].median() == pytest.approx(2.0, abs=0.25)
    in_wt = contrast_table(dds, ["treatment", "drug", "none"], alpha=ALPHA)
    assert len(calls(in_wt)) <= 3


def test_three_contrasts_come_from_one_fit(tmp_path, caplog) -> None:
    """The de step fits once; contrasts between any two arms are consistent by construction."""
    import anndata as ad

    from tmeseq.steps import de as de_step

    samples = sheet(arm=["vehicle"] * 4 + ["drug"] * 4 + ["chemo"] * 4)
    genes = [f"g{i:05d}" for i in range(600)]
    counts = simulate_counts(
        genes, samples, effects_for(samples, "arm", "drug", genes[:40], 1.5), seed=2
    )
    adata = ad.AnnData(
        X=counts.T.to_numpy(),
        obs=samples.set_axis(samples["sample"].tolist()),
        var=pd.DataFrame({"gene_id": genes, "symbol": genes}, index=genes),
    )
    adata.write_h5ad(tmp_path / "counts.h5ad")
    contrasts = [
        {"name": "drug_vs_vehicle", "variable": "arm", "test": "drug", "reference": "vehicle"},
        {"name": "chemo_vs_vehicle", "variable": "arm", "test": "chemo", "reference": "vehicle"},
        {"name": "drug_vs_chemo", "variable": "arm", "test": "drug", "reference": "chemo"},
    ]
    tables = {c["name"]: tmp_path / f"{c['name']}.tsv" for c in contrasts}
    settings = de_settings("~ arm", contrasts)
    model_path = tmp_path / "model.h5ad"
    with caplog.at_level(logging.INFO, logger="tmeseq"):
        de_step.run_fit(tmp_path / "counts.h5ad", model_path, settings.model, threads=1)
        de_step.run_results(
            model_path,
            tables,
            tmp_path / "summary.tsv",
            tmp_path / "results.xlsx",
            settings.model.contrasts,
            settings.test,
            threads=1,
        )
    assert sum("fitted in" in r.getMessage() for r in caplog.records) == 1
    lfc = {
        name: pd.read_csv(path, sep="\t", index_col="gene_id")["log2FoldChange"]
        for name, path in tables.items()
    }
    both = pd.concat(lfc, axis=1).dropna()
    np.testing.assert_allclose(
        both["drug_vs_chemo"], both["drug_vs_vehicle"] - both["chemo_vs_vehicle"], atol=1e-8
    )
    model = ad.read_h5ad(model_path)
    assert model.uns["de"]["contrast_vectors"]["drug_vs_chemo"] == pytest.approx(
        [0.0, 1.0, -1.0] if model.uns["de"]["coefficients"][1] == "arm[T.drug]" else [0, -1, 1]
    )
    shrunk = pd.read_csv(tables["drug_vs_chemo"], sep="\t", index_col="gene_id")
    assert shrunk.loc[genes[:40], "log2FoldChange_shrunk"].median() > 1.0


def test_results_do_not_depend_on_the_number_of_workers(monkeypatch) -> None:
    """Genes are split into blocks by work, not by workers: 1 or 2 processes, same bits."""
    monkeypatch.setattr(engine, "MIN_WORK_PER_WORKER", 5_000)
    samples = sheet(arm=["ctrl"] * 4 + ["trt"] * 4, batch=["b1", "b2"] * 4)
    genes = [f"g{i:05d}" for i in range(800)]
    counts = simulate_counts(
        genes, samples, effects_for(samples, "arm", "trt", genes[:50], 1.2), seed=8
    )
    metadata = covariates(samples, references={"arm": "ctrl"}).drop(columns="sample")
    assert len(Engine._chunks(800, 800 * 8 * 3)) > 2
    tables = [
        contrast_table(
            fit_cohort(counts.T, metadata, "~ batch + arm", workers=threads),
            ["arm", "trt", "ctrl"],
            alpha=ALPHA,
        )
        for threads in (1, 2)
    ]
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)

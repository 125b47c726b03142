"""Shrinkage shrinks the reported contrast, also when its reference is not the fit's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference
from pydeseq2.ds import DeseqStats

from tmeseq.de.shrinkage import releveled_design, reparametrise, shrink_level_contrast
from tmeseq.samplesheet import covariates
from tmeseq.simulate import effects_for, simulate_counts

DESIGN = "~ batch + arm"


@pytest.fixture(scope="module")
def cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    arms = ["vehicle"] * 4 + ["drug"] * 4 + ["chemo"] * 4
    sheet = pd.DataFrame(
        {
            "sample": [f"s{i:02d}" for i in range(12)],
            "arm": arms,
            "batch": ["b1", "b2"] * 6,
        }
    ).set_index("sample", drop=False)
    genes = [f"g{i:04d}" for i in range(400)]
    effects = effects_for(sheet, "arm", "drug", genes[:40], 1.5)
    counts = simulate_counts(genes, sheet, effects, seed=7)
    return sheet, counts.T


def fit(sheet: pd.DataFrame, counts: pd.DataFrame, reference: str) -> DeseqDataSet:
    metadata = covariates(sheet, references={"arm": reference}).drop(columns="sample")
    dds = DeseqDataSet(
        counts=counts,
        metadata=metadata,
        design=DESIGN,
        quiet=True,
        inference=DefaultInference(n_cpus=1),
    )
    dds.deseq2()
    return dds


def test_reparametrise_gives_the_same_fitted_means(cohort):
    sheet, counts = cohort
    dds = fit(sheet, counts, "vehicle")
    metadata = covariates(sheet, references={"arm": "vehicle"}).drop(columns="sample")
    new_design = releveled_design(metadata, DESIGN, "arm", "chemo")
    assert "arm[T.drug]" in new_design.columns and "arm[T.vehicle]" in new_design.columns
    lfc = reparametrise(dds.obsm["design_matrix"], dds.varm["LFC"], new_design)
    old_mu = dds.obsm["design_matrix"].to_numpy() @ dds.varm["LFC"].to_numpy().T
    new_mu = new_design.to_numpy() @ lfc.to_numpy().T
    np.testing.assert_allclose(new_mu, old_mu, atol=1e-10)


def test_shrinks_contrast_whose_reference_is_not_the_fits(cohort):
    sheet, counts = cohort
    dds = fit(sheet, counts, "vehicle")
    inference = DefaultInference(n_cpus=1)
    main = DeseqStats(dds, contrast=["arm", "drug", "chemo"], quiet=True, inference=inference)
    main.summary()
    metadata = covariates(sheet, references={"arm": "vehicle"}).drop(columns="sample")
    shrunk = shrink_level_contrast(
        dds,
        metadata,
        DESIGN,
        ("arm", "drug", "chemo"),
        main.results_df["log2FoldChange"],
        inference=inference,
    )
    # R's way: relevel so chemo is the reference, refit, shrink the coefficient
    refit = fit(sheet, counts, "chemo")
    reference = DeseqStats(refit, contrast=["arm", "drug", "chemo"], quiet=True)
    reference.summary()
    reference.lfc_shrink(coeff="arm[T.drug]")
    both = pd.concat(
        [shrunk["log2FoldChange"], reference.results_df["log2FoldChange"]], axis=1
    ).dropna()
    assert np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1] > 0.9999
    gap = np.abs(both.iloc[:, 0] - both.iloc[:, 1])
    # the refit re-optimises dispersions and coefficients from scratch: equal up to the
    # optimisers' tolerance
    assert gap.median() < 1e-3
    assert gap.max() < 0.05
    # shrinkage pulls the null genes towards zero and keeps the planted effect
    mle = main.results_df["log2FoldChange"]
    assert shrunk["log2FoldChange"].iloc[40:].abs().mean() < mle.iloc[40:].abs().mean()
    assert shrunk["log2FoldChange"].iloc[:40].mean() > 1.0


def test_refuses_to_shrink_another_comparison(cohort):
    sheet, counts = cohort
    dds = fit(sheet, counts, "vehicle")
    metadata = covariates(sheet, references={"arm": "vehicle"}).drop(columns="sample")
    wrong = pd.Series(0.0, index=dds.var_names)
    with pytest.raises(RuntimeError, match="shrinking it would report another comparison"):
        shrink_level_contrast(
            dds,
            metadata,
            DESIGN,
            ("arm", "drug", "chemo"),
            wrong,
            inference=DefaultInference(n_cpus=1),
        )

"""Association of the principal components with the covariates (the report's QC table)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tmeseq.qc import ASSOCIATION_COLUMNS, pc_covariate_association

Cohort = tuple[pd.DataFrame, pd.DataFrame]


@pytest.fixture
def cohort() -> Cohort:
    """PC scores of 12 samples (PC1 follows arm b, PC2 follows age) and their covariates."""
    rng = np.random.default_rng(5)
    samples = [f"s{i}" for i in range(12)]
    arm = np.array(["a", "b", "c"] * 4)
    age = rng.uniform(30, 70, 12)
    scores = pd.DataFrame(
        {
            "sample": samples,
            "PC1": (arm == "b") * 3.0 + rng.normal(0, 0.5, 12),
            "PC2": 0.1 * age + rng.normal(0, 0.5, 12),
            "PC3": rng.normal(0, 1, 12),
        }
    )
    covariates = pd.DataFrame(
        {
            "arm": pd.Categorical(arm),
            "age": age,
            "batch": [1, 2] * 6,
            "patient": samples,
            "site": ["x"] * 12,
        },
        index=samples,
    )
    return scores, covariates


def test_factor_and_numeric_covariates_match_scipy(cohort: Cohort) -> None:
    scores, covariates = cohort
    table = pc_covariate_association(scores, covariates, categorical=("batch",))
    assert list(table.columns) == list(ASSOCIATION_COLUMNS)
    assert len(table) == 3 * 5
    row = table.set_index(["component", "covariate"])
    groups = [scores["PC1"][covariates["arm"].to_numpy() == level] for level in "abc"]
    anova = stats.f_oneway(*groups)
    assert row.loc[("PC1", "arm"), "kind"] == "factor"
    assert row.loc[("PC1", "arm"), "pvalue"] == pytest.approx(anova.pvalue, rel=1e-9)
    total = ((scores["PC1"] - scores["PC1"].mean()) ** 2).sum()
    within = sum(((g - g.mean()) ** 2).sum() for g in groups)
    assert row.loc[("PC1", "arm"), "r_squared"] == pytest.approx(1 - within / total)
    fit = stats.linregress(covariates["age"], scores["PC2"])
    assert row.loc[("PC2", "age"), "kind"] == "numeric"
    assert row.loc[("PC2", "age"), "r_squared"] == pytest.approx(fit.rvalue**2)
    assert row.loc[("PC2", "age"), "pvalue"] == pytest.approx(fit.pvalue, rel=1e-9)
    # a numeric column listed as categorical is a factor (two levels: the t-test's p)
    assert row.loc[("PC3", "batch"), "kind"] == "factor"
    t_test = stats.ttest_ind(scores["PC3"][::2], scores["PC3"][1::2])
    assert row.loc[("PC3", "batch"), "pvalue"] == pytest.approx(t_test.pvalue, rel=1e-9)
    assert row.loc[("PC1", "arm"), "r_squared"] > 0.8 and row.loc[("PC1", "arm"), "pvalue"] < 1e-3


def test_untestable_covariates_say_why(cohort: Cohort) -> None:
    scores, covariates = cohort
    row = pc_covariate_association(scores, covariates).set_index(["component", "covariate"])
    assert row.loc[("PC1", "patient"), "note"] == "one sample per level"
    assert row.loc[("PC1", "site"), "note"] == "a single value"
    assert np.isnan(row.loc[("PC1", "patient"), "r_squared"])
    assert row.loc[("PC1", "arm"), "note"] == ""


def test_missing_values_are_left_out_and_samples_are_matched_by_name(
    cohort: Cohort,
) -> None:
    scores, covariates = cohort
    shuffled = covariates.sample(frac=1.0, random_state=1)
    shuffled.loc["s0", "age"] = np.nan
    table = pc_covariate_association(scores, shuffled, n_components=2)
    age = table[(table["covariate"] == "age") & (table["component"] == "PC2")].iloc[0]
    assert age["n_samples"] == 11
    keep = scores["sample"] != "s0"
    fit = stats.linregress(covariates["age"][keep.to_numpy()], scores["PC2"][keep])
    assert age["r_squared"] == pytest.approx(fit.rvalue**2)
    assert set(table["component"]) == {"PC1", "PC2"}
    with pytest.raises(ValueError, match="no covariates for samples: s3"):
        pc_covariate_association(scores, covariates.drop(index="s3"))

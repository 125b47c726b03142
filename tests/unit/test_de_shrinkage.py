"""apeGLM shrinkage of ``fit_model`` output: R's values, and the contrast that is reported.

R's reference values (``tests/data/r_reference/*/r_test_lfc_shrink_res.csv``) are R DESeq2
1.34's ``lfcShrink(type = "apeglm")`` on the same counts (R's apeglm is not packaged for
Debian, so these stored values are the reference).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.de_support import fit, levels, results
from tests.helpers import r_synthetic, reference_path
from tests.simulate import effects_for, simulate_counts
from tmeseq.de import DEModel, Engine, shrink_contrast
from tmeseq.de.shrinkage import releveled_design, reparametrise, shrinkable
from tmeseq.samplesheet import covariates
from tmeseq.settings import Contrast

DESIGN = "~ batch + arm"


def _own_cohort(case: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    counts = pd.read_csv(reference_path(case, "test_counts.csv"), index_col=0).T
    metadata = pd.read_csv(reference_path(case, "test_metadata.csv"), index_col=0)
    return counts, metadata.loc[counts.index]


def _shrunk(model: DEModel, contrast: Contrast) -> pd.DataFrame:
    unshrunk = results(model, contrast)["log2FoldChange"]
    return shrink_contrast(model, contrast, unshrunk, Engine(1))


def _gap(ours: pd.DataFrame, case: str) -> pd.Series:
    r = pd.read_csv(reference_path(case, "r_test_lfc_shrink_res.csv"), index_col=0)
    columns = ["log2FoldChange", "lfcSE"]
    return (ours.loc[r.index, columns] - r[columns]).abs().max()


# Largest differences seen (log2 scale): single 2.2e-4 / 1.5e-5, multi 1.8e-4 / 2e-5,
# continuous 2.7e-4 / 1.6e-5, large_counts 1.0e-2 / 6.9e-4 (five genes with counts in the
# hundred thousands, where apeglm's own optimiser stops early); the unshrunk estimates of the
# same fits equal R's to 1e-14.
@pytest.mark.parametrize(
    ("case", "design", "contrast", "tolerance"),
    [
        ("single_factor", "~condition", levels("condition", "B", "A"), (1e-3, 1e-4)),
        ("multi_factor", "~group + condition", levels("condition", "B", "A"), (1e-3, 1e-4)),
        ("large_counts", "~condition", levels("condition", "B", "A"), (2e-2, 2e-3)),
        (
            "continuous",
            "~group + condition + measurement",
            Contrast("slope", coefficients=(("measurement", 1.0),)),
            (1e-3, 1e-4),
        ),
    ],
)
def test_shrinkage_of_fit_model_output_matches_r_apeglm(case, design, contrast, tolerance):
    if case in ("single_factor", "multi_factor"):
        counts, metadata = r_synthetic()
    else:
        counts, metadata = _own_cohort(case)
    gap = _gap(_shrunk(fit(counts, metadata, design), contrast), case)
    assert gap["log2FoldChange"] < tolerance[0], gap
    assert gap["lfcSE"] < tolerance[1], gap


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


def _fit(cohort: tuple[pd.DataFrame, pd.DataFrame], reference: str) -> DEModel:
    sheet, counts = cohort
    metadata = covariates(sheet, references={"arm": reference}).drop(columns="sample")
    return fit(counts, metadata, DESIGN)


@pytest.fixture(scope="module")
def vehicle_fit(cohort) -> DEModel:
    return _fit(cohort, "vehicle")


def test_reparametrise_gives_the_same_fitted_means(vehicle_fit):
    model = vehicle_fit
    new_design = releveled_design(model.metadata, DESIGN, "arm", "chemo")
    assert "arm[T.drug]" in new_design.columns and "arm[T.vehicle]" in new_design.columns
    beta = reparametrise(model.design, model.coefficients, new_design)
    old_mu = model.design_array @ model.coefficients.T
    new_mu = new_design.to_numpy() @ beta.T
    np.testing.assert_allclose(new_mu, old_mu, atol=1e-10)


def test_shrinks_contrast_whose_reference_is_not_the_fits(cohort, vehicle_fit):
    contrast = levels("arm", "drug", "chemo")
    shrunk = _shrunk(vehicle_fit, contrast)
    # R's way: relevel so chemo is the reference, refit, shrink the coefficient
    refit = _fit(cohort, "chemo")
    assert refit.coefficient_names != vehicle_fit.coefficient_names
    reference = _shrunk(refit, contrast)
    both = pd.concat([shrunk["log2FoldChange"], reference["log2FoldChange"]], axis=1).dropna()
    assert len(both) == 400
    # same model in another coding: equal up to the optimisers' tolerance
    np.testing.assert_allclose(both.iloc[:, 0], both.iloc[:, 1], atol=1e-5)
    # shrinkage pulls the null genes towards zero and keeps the planted effect
    mle = results(vehicle_fit, contrast)["log2FoldChange"]
    assert shrunk["log2FoldChange"].iloc[40:].abs().mean() < 0.7 * mle.iloc[40:].abs().mean()
    assert shrunk["log2FoldChange"].iloc[:40].mean() > 1.0


def test_result_does_not_depend_on_workers(vehicle_fit):
    contrast = levels("arm", "drug", "vehicle")
    unshrunk = results(vehicle_fit, contrast)["log2FoldChange"]
    one = shrink_contrast(vehicle_fit, contrast, unshrunk, Engine(1))
    two = shrink_contrast(vehicle_fit, contrast, unshrunk, Engine(2))
    pd.testing.assert_frame_equal(one, two)


def test_refuses_to_shrink_another_comparison(vehicle_fit):
    wrong = pd.Series(0.0, index=vehicle_fit.genes)
    with pytest.raises(RuntimeError, match="shrinking it would report another comparison"):
        shrink_contrast(vehicle_fit, levels("arm", "drug", "chemo"), wrong, Engine(1))


def test_combinations_of_coefficients_are_not_shrinkable(vehicle_fit):
    combined = Contrast("both", coefficients=(("arm[T.drug]", 1.0), ("arm[T.chemo]", -1.0)))
    assert not shrinkable(combined)
    assert shrinkable(Contrast("one", coefficients=(("arm[T.drug]", 1.0),)))
    with pytest.raises(ValueError, match="combines coefficients"):
        shrink_contrast(vehicle_fit, combined, pd.Series(dtype=float), Engine(1))

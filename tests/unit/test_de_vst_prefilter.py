import numpy as np
import pandas as pd
import pytest

from tests.de_support import fit, levels
from tests.helpers import r_synthetic, reference_path
from tmeseq.de import Engine, fit_blind_trend
from tmeseq.de.prefilter import keep_genes, smallest_group
from tmeseq.de.vst import vst_mean
from tmeseq.settings import Contrast


def _r_values(name: str, samples: pd.Index) -> np.ndarray:
    """R's transform (stored genes x samples) as samples x genes."""
    return (
        pd.read_csv(reference_path("single_factor", name), index_col=0).T.loc[samples].to_numpy()
    )


def test_design_aware_vst_of_fit_model_matches_r():
    """R DESeq2 1.34 ``varianceStabilizingTransformation(dds, blind = FALSE)``."""
    counts, metadata = r_synthetic()
    model = fit(counts, metadata, "~condition")
    expected = _r_values("r_vst_with_design.csv", counts.index)
    # measured: 2e-15 relative
    np.testing.assert_allclose(model.vst(), expected, rtol=1e-9)


@pytest.mark.parametrize(
    ("fit_type", "name"), [("parametric", "r_vst.csv"), ("mean", "r_mean_vst.csv")]
)
def test_blind_vst_engine_matches_r(fit_type, name):
    """R DESeq2 1.34 ``varianceStabilizingTransformation(dds, blind = TRUE, fitType)``."""
    counts, _ = r_synthetic()
    values = counts.to_numpy(dtype=float)
    sf, trend = fit_blind_trend(values, Engine(1), fit_type)
    # measured: 3e-15 (parametric) and 8e-15 (mean) absolute
    np.testing.assert_allclose(
        trend.vst(values / sf[:, None]), _r_values(name, counts.index), rtol=1e-9
    )


def test_vst_mean_is_monotone_and_log2_like():
    q = np.array([0.0, 10.0, 100.0, 1000.0, 10000.0])
    values = vst_mean(q, 0.1)
    assert np.all(np.diff(values) > 0)
    # for large counts the transform approaches log2(q)
    assert abs((values[-1] - values[-2]) - np.log2(10)) < 0.01


def test_keep_genes_and_smallest_group():
    counts = np.array([[0, 10, 50], [0, 12, 0], [3, 9, 40], [0, 15, 0]])
    assert keep_genes(counts, 10, 2).tolist() == [False, True, True]
    assert keep_genes(counts, 10, 3).tolist() == [False, True, False]
    assert keep_genes(counts, 0, 2).tolist() == [True, True, True]
    metadata = pd.DataFrame(
        {"arm": pd.Categorical(["a", "a", "b", "b"]), "batch": pd.Categorical(["x"] * 3 + ["y"])}
    )
    assert smallest_group(metadata, [levels("arm", "b", "a")]) == 2
    combination = Contrast("c", coefficients=(("x", 1.0),))
    assert smallest_group(metadata, [combination]) == 1

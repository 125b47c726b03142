import numpy as np
import pandas as pd
import pytest

from tests.helpers import SHARED
from tmeseq.de.prefilter import keep_genes, smallest_group
from tmeseq.de.vst import vst_mean, vst_parametric

REFERENCE = SHARED / "validation" / "pydeseq2_reference"


def test_vst_parametric_matches_pydeseq2_design_aware_vst():
    from pydeseq2.dds import DeseqDataSet

    if not REFERENCE.is_dir():
        pytest.skip("shared validation data not present")
    counts = pd.read_csv(REFERENCE / "datasets" / "synthetic" / "test_counts.csv", index_col=0).T
    metadata = pd.read_csv(REFERENCE / "datasets" / "synthetic" / "test_metadata.csv", index_col=0)
    dds = DeseqDataSet(counts=counts, metadata=metadata, design="~condition", quiet=True)
    dds.deseq2()
    dds.vst(use_design=True)
    a0, a1 = dds.uns["vst_trend_coeffs"]
    ours = vst_parametric(dds.layers["normed_counts"], a0, a1)
    np.testing.assert_allclose(ours, dds.layers["vst_counts"], rtol=1e-12)
    r_vst = pd.read_csv(
        REFERENCE / "tests" / "data" / "single_factor" / "r_vst_with_design.csv", index_col=0
    )
    # R DESeq2's vst(blind = FALSE) on the same data: close, trend fits differ slightly
    np.testing.assert_allclose(ours, r_vst.to_numpy().T, rtol=0.02)


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
    contrasts = [{"name": "b_vs_a", "variable": "arm", "test": "b", "reference": "a"}]
    assert smallest_group(metadata, contrasts) == 2
    assert smallest_group(metadata, [{"name": "c", "coefficients": {"x": 1}}]) == 1

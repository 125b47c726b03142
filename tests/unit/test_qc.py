"""Tests for the QC computations (tmeseq.qc) and figures (tmeseq.plots.qc)."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.helpers import r_synthetic, reference_path
from tests.unit.test_plots_de import assert_says_once
from tmeseq import qc
from tmeseq.errors import InputError
from tmeseq.plots import qc as qc_plots

AWKWARD = ["T-01", "T-02", "3 mice", "a.b", "B 1", "B-2", "b.3", "x$y$"]
N_DE = 200


def simulate(
    seed: int,
    names: list[str] = AWKWARD,
    n_genes: int = 2000,
    n_group_b: int = 4,
    aberrant: int | None = None,
    log_mean: float = 5.0,
    log_sd: float = 1.5,
) -> ad.AnnData:
    """NB counts; the first ``N_DE`` genes are 3x higher in the last ``n_group_b`` samples.

    ``aberrant`` (a row index) gets gene-wise log-normal noise on its means, as a degraded
    or mislabelled library would.
    """
    rng = np.random.default_rng(seed)
    n = len(names)
    base = np.exp(rng.normal(log_mean, log_sd, n_genes))
    dispersion = 0.05 + 1.0 / base
    means = np.tile(base, (n, 1)) * rng.uniform(0.7, 1.4, (n, 1))
    means[n - n_group_b :, :N_DE] *= 3.0
    if aberrant is not None:
        means[aberrant] *= rng.lognormal(0.0, 1.0, n_genes)
    counts = rng.negative_binomial(1.0 / dispersion, 1.0 / (1.0 + means * dispersion))
    group = ["A"] * (n - n_group_b) + ["B"] * n_group_b
    var = pd.DataFrame(
        {"gene_id": [f"ENSG{i:05d}" for i in range(n_genes)], "symbol": "x"},
        index=[f"ENSG{i:05d}" for i in range(n_genes)],
    )
    obs = pd.DataFrame({"arm": pd.Categorical(group), "batch": ["b1", "b2"] * (n // 2)})
    obs.index = pd.Index(names)
    return ad.AnnData(X=counts.astype(np.int64), obs=obs, var=var)


@pytest.fixture(scope="module")
def cohort() -> tuple[ad.AnnData, np.ndarray]:
    adata = simulate(seed=1)
    return adata, qc.blind_vst(adata, threads=1)


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic counts and R DESeq2 blind VST, both as samples x genes."""
    counts, _ = r_synthetic()
    r_vst = pd.read_csv(reference_path("single_factor", "r_vst.csv"), index_col=0)
    return counts, r_vst.T


def as_adata(counts: pd.DataFrame) -> ad.AnnData:
    return ad.AnnData(X=counts.to_numpy(dtype=np.int64), obs=pd.DataFrame(index=counts.index))


# --- library statistics ------------------------------------------------------------------


def test_library_stats_exact_on_hand_made_matrix() -> None:
    x = np.array([[0, 5, 10, 1], [0, 0, 3, 0], [2, 2, 2, 2]], dtype=np.int64)
    adata = ad.AnnData(X=x, obs=pd.DataFrame(index=["T-01", "3 mice", "a.b"]))
    stats = qc.library_stats(adata, n_top_genes=2)
    assert stats["sample"].tolist() == ["T-01", "3 mice", "a.b"]
    assert stats["library_size"].tolist() == [16, 3, 8]
    assert stats["detected_genes"].tolist() == [3, 1, 4]
    assert stats["library_size"].dtype == np.int64
    np.testing.assert_allclose(stats["pct_top_genes"], [100 * 15 / 16, 100.0, 50.0])


def test_library_stats_adds_outlier_columns() -> None:
    adata = ad.AnnData(X=np.ones((2, 3), dtype=np.int64), obs=pd.DataFrame(index=["a.b", "T-1"]))
    flags = pd.DataFrame(
        {"nearest_correlation": [0.5, 0.9], "outlier": [False, True], "outlier_reason": ["", "r"]},
        index=pd.Index(["T-1", "a.b"], name="sample"),
    )
    stats = qc.library_stats(adata, outliers=flags)
    assert stats["outlier"].tolist() == [True, False]
    assert stats["outlier_reason"].tolist() == ["r", ""]


def test_counts_must_be_valid() -> None:
    negative = ad.AnnData(X=np.array([[1, -1], [2, 3]]), obs=pd.DataFrame(index=["a", "b"]))
    with pytest.raises(InputError, match="non-negative whole numbers"):
        qc.library_stats(negative)
    single = ad.AnnData(X=np.array([[1, 2]]), obs=pd.DataFrame(index=["a"]))
    with pytest.raises(InputError, match="at least 2 samples"):
        qc.blind_vst(single)


# --- variance-stabilising transform --------------------------------------------------------


def test_blind_vst_matches_r_deseq2(reference: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    counts, r_vst = reference
    assert counts.shape == (100, 10)
    assert list(r_vst.index) == list(counts.index)
    assert list(r_vst.columns) == list(counts.columns)
    vst = qc.blind_vst(as_adata(counts))
    relative = np.abs(vst - r_vst.to_numpy()) / np.abs(r_vst.to_numpy())
    # Measured: max relative difference 3e-15 (the DE engine vs DESeq2 1.34).
    assert relative.max() < 1e-9


def test_blind_vst_all_zero_gene_and_input_untouched(
    reference: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    counts = reference[0].copy()
    counts.insert(3, "silent", 0)
    adata = as_adata(counts)
    adata.var["gene_id"] = counts.columns
    before_x = adata.X.copy()
    vst = qc.blind_vst(adata)
    assert vst.shape == counts.shape
    assert np.isfinite(vst).all()
    silent = vst[:, 3]
    assert np.all(silent == silent[0])
    assert silent[0] == vst.min()
    # The zero gene enters neither the size factors nor the trend: other genes unchanged.
    without = qc.blind_vst(as_adata(reference[0]))
    np.testing.assert_allclose(np.delete(vst, 3, axis=1), without, rtol=1e-10)
    np.testing.assert_array_equal(adata.X, before_x)
    assert list(adata.var.columns) == ["gene_id"]
    assert adata.obs.shape[1] == 0


def test_blind_vst_falls_back_to_mean_trend(caplog: pytest.LogCaptureFixture) -> None:
    # Only high counts: no 1/mean trend to fit, the engine switches to the mean dispersion.
    adata = simulate(seed=4, n_genes=600, log_mean=7.0, log_sd=0.5)
    with caplog.at_level("INFO", logger="tmeseq"):
        vst = qc.blind_vst(adata)
    assert "parametric dispersion fit failed" in caplog.text
    assert "using the mean dispersion as the trend instead" in caplog.text
    assert "'kind': 'mean'" in caplog.text
    assert np.isfinite(vst).all()
    order = np.argsort(adata.X[0])
    assert np.all(np.diff(vst[0, order]) >= 0)


def test_blind_vst_same_with_two_workers(reference: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    adata = as_adata(reference[0])
    np.testing.assert_allclose(
        qc.blind_vst(adata, threads=2), qc.blind_vst(adata, threads=1), rtol=1e-8
    )


# --- variable genes and PCA ------------------------------------------------------------------


def test_top_variable_genes_finds_planted_genes(cohort: tuple[ad.AnnData, np.ndarray]) -> None:
    _, vst = cohort
    top = qc.top_variable_genes(vst, n_top=N_DE)
    assert len(top) == N_DE
    assert np.mean(top < N_DE) >= 0.9
    variance = vst.var(axis=0, ddof=1)
    assert np.all(np.diff(variance[top]) <= 0)


def test_top_variable_genes_ties_and_bounds() -> None:
    vst = np.array([[0.0, 1.0, 0.0, 5.0], [1.0, 0.0, 0.0, 5.0], [0.0, 1.0, 0.0, 5.0]])
    assert qc.top_variable_genes(vst, n_top=10).tolist() == [0, 1, 2, 3]
    assert qc.top_variable_genes(vst[:, ::-1], n_top=2).tolist() == [2, 3]
    with pytest.raises(ValueError, match="n_top"):
        qc.top_variable_genes(vst, n_top=0)


def test_pca_separates_planted_groups(cohort: tuple[ad.AnnData, np.ndarray]) -> None:
    adata, vst = cohort
    scores, variance = qc.pca(vst, adata.obs_names, n_top=500)
    assert scores["sample"].tolist() == AWKWARD
    assert list(scores.columns) == ["sample"] + [f"PC{i}" for i in range(1, 9)]
    group_b = (adata.obs["arm"] == "B").to_numpy()
    pc1 = scores["PC1"].to_numpy()
    assert np.all(np.sign(pc1[group_b]) == -np.sign(pc1[~group_b]))
    assert len(set(np.sign(pc1[group_b]))) == 1
    fractions = variance["variance_explained"].to_numpy()
    assert fractions[0] > 2 * fractions[1]
    assert np.all(np.diff(fractions) <= 1e-12)
    assert fractions.sum() <= 1 + 1e-12
    np.testing.assert_allclose(variance["cumulative"], np.cumsum(fractions))


def test_pca_matches_covariance_eigenvalues_and_sign_rule(
    cohort: tuple[ad.AnnData, np.ndarray],
) -> None:
    adata, vst = cohort
    scores, variance = qc.pca(vst, adata.obs_names, n_top=300, n_components=3)
    used = vst[:, qc.top_variable_genes(vst, 300)]
    centred = used - used.mean(axis=0)
    eigen = np.sort(np.linalg.eigvalsh(np.cov(centred, rowvar=False)))[::-1]
    np.testing.assert_allclose(variance["variance_explained"], (eigen / eigen.sum())[:3])
    for pc in ("PC1", "PC2", "PC3"):
        score = scores[pc].to_numpy()
        loading = centred.T @ score / (score @ score)
        assert loading[np.abs(loading).argmax()] > 0
    with pytest.raises(ValueError, match="n_components"):
        qc.pca(vst, adata.obs_names, n_top=300, n_components=9)


# --- correlation and outliers ----------------------------------------------------------------


def test_sample_correlation(cohort: tuple[ad.AnnData, np.ndarray]) -> None:
    adata, vst = cohort
    corr = qc.sample_correlation(vst, adata.obs_names)
    assert list(corr.index) == AWKWARD and list(corr.columns) == AWKWARD
    values = corr.to_numpy()
    np.testing.assert_array_equal(values, values.T)
    np.testing.assert_array_equal(np.diag(values), 1.0)
    expected = pd.DataFrame(vst.T).corr().to_numpy()
    np.testing.assert_allclose(values, expected, atol=1e-12)


def test_no_outlier_in_clean_cohort(cohort: tuple[ad.AnnData, np.ndarray]) -> None:
    adata, vst = cohort
    flags = qc.flag_outliers(qc.sample_correlation(vst, adata.obs_names))
    assert not flags["outlier"].any()
    assert (flags["outlier_reason"] == "").all()


def test_no_outlier_for_small_replicated_group() -> None:
    adata = simulate(seed=3, n_group_b=2)
    vst = qc.blind_vst(adata)
    assert not qc.flag_outliers(qc.sample_correlation(vst, adata.obs_names))["outlier"].any()


def test_outlier_flag_fires_on_aberrant_sample() -> None:
    adata = simulate(seed=2, aberrant=2)
    vst = qc.blind_vst(adata)
    flags = qc.flag_outliers(qc.sample_correlation(vst, adata.obs_names))
    assert flags.index[flags["outlier"]].tolist() == ["3 mice"]
    assert "cohort median" in flags.loc["3 mice", "outlier_reason"]
    stats = qc.library_stats(adata, outliers=flags)
    assert stats.loc[stats["outlier"], "sample"].tolist() == ["3 mice"]
    corr = qc.sample_correlation(vst, adata.obs_names)
    pd.testing.assert_frame_equal(qc.add_outlier_flags(qc.library_stats(adata), corr), stats)


def test_outlier_flag_needs_enough_samples() -> None:
    corr = pd.DataFrame(
        [[1.0, 0.99, 0.2], [0.99, 1.0, 0.2], [0.2, 0.2, 1.0]],
        index=list("abc"),
        columns=list("abc"),
    )
    assert not qc.flag_outliers(corr)["outlier"].any()


# --- figures -------------------------------------------------------------------------------


def assert_png(path: Path) -> None:
    assert path.stat().st_size > 5000
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert round(image.info["dpi"][0]) == 150


def test_plots_write_files_with_awkward_names(
    cohort: tuple[ad.AnnData, np.ndarray], tmp_path: Path
) -> None:
    adata, vst = cohort
    arm = adata.obs["arm"]
    stats = qc.library_stats(adata)
    scores, variance = qc.pca(vst, adata.obs_names)
    corr = qc.sample_correlation(vst, adata.obs_names)

    qc_plots.plot_library_sizes(stats, tmp_path / "lib.png", colour_by=arm)
    qc_plots.plot_library_sizes(stats, tmp_path / "lib_plain.png")
    qc_plots.plot_pca(scores, variance, tmp_path / "pca.png", arm, adata.obs["batch"])
    qc_plots.plot_pca(scores, variance, tmp_path / "pca_plain.png", None)
    qc_plots.plot_correlation_heatmap(corr, tmp_path / "sub" / "corr.png", annotate_by=arm)
    qc_plots.plot_correlation_heatmap(corr, tmp_path / "corr.pdf")
    for name in ("lib.png", "lib_plain.png", "pca.png", "pca_plain.png", "sub/corr.png"):
        assert_png(tmp_path / name)
    assert (tmp_path / "corr.pdf").read_bytes()[:4] == b"%PDF"
    assert not matplotlib.pyplot.get_fignums()


def test_pca_plot_continuous_colour_and_missing_levels(
    cohort: tuple[ad.AnnData, np.ndarray], tmp_path: Path
) -> None:
    adata, vst = cohort
    scores, variance = qc.pca(vst, adata.obs_names)
    arm = adata.obs["arm"].astype(object)
    arm.iloc[1] = None
    qc_plots.plot_pca(scores, variance, tmp_path / "na.png", arm.rename("arm"))
    assert_png(tmp_path / "na.png")
    names = [f"S {i}" for i in range(40)]
    rng = np.random.default_rng(0)
    many = pd.DataFrame({"sample": names, "PC1": rng.normal(size=40), "PC2": rng.normal(size=40)})
    shares = pd.DataFrame({"component": ["PC1", "PC2"], "variance_explained": [0.5, 0.2]})
    dose = pd.Series(np.linspace(0.0, 10.0, 40), index=names, name="dose (mg/kg)")
    dose.iloc[3] = np.nan
    qc_plots.plot_pca(many, shares, tmp_path / "dose.png", dose, dose.gt(5).rename("high"))
    assert_png(tmp_path / "dose.png")


def test_plot_rejects_annotation_missing_samples(
    cohort: tuple[ad.AnnData, np.ndarray], tmp_path: Path
) -> None:
    adata, vst = cohort
    scores, variance = qc.pca(vst, adata.obs_names)
    partial = adata.obs["arm"].iloc[:-1]
    with pytest.raises(ValueError, match=r"x\$y\$"):
        qc_plots.plot_pca(scores, variance, tmp_path / "p.png", partial)


def test_qc_figures_do_not_repeat_their_titles(cohort: tuple[ad.AnnData, np.ndarray]) -> None:
    """Neither the axes titles nor the captions of `snakemake --report` restate a title."""
    adata, vst = cohort
    arm = adata.obs["arm"]
    scores, variance = qc.pca(vst, adata.obs_names)
    corr = qc.sample_correlation(vst, adata.obs_names)
    figures = [
        (qc_plots._library_sizes_figure(qc.library_stats(adata), arm), "library_sizes.rst"),
        (qc_plots._pca_figure(scores, variance, arm, adata.obs["batch"], None), "pca.rst"),
        (qc_plots._correlation_figure(corr, arm, None), "sample_correlation.rst"),
    ]
    try:
        for fig, caption in figures:
            assert_says_once(fig, caption)
    finally:
        for fig, _ in figures:
            matplotlib.pyplot.close(fig)

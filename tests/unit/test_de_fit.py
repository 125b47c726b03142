"""tmeseq.de against R DESeq2, without R: PyDESeq2's R reference outputs and hand-made inputs.

The reference outputs (R DESeq2 1.34 on 100 synthetic samples x 10 genes, see
``tests/data/r_reference/README.md``) are matched to about 1e-9
relative; the tests allow 1e-4 (PyDESeq2's own tests allow 2 %). Expected values in the
pure-function tests were computed with R 4.2.2 (``stats::lowess``, ``stats::loess``,
``set.seed(2)`` streams, ``p.adjust``), quoted to the digits shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.de_support import fit, r_model_settings, r_test_settings, results
from tests.helpers import r_synthetic, reference_path
from tmeseq.de import independent_filtering
from tmeseq.de.cooks import cooks_filter, max_cooks, replace_outliers
from tmeseq.de.filtering import choose_threshold, r_lowess
from tmeseq.de.fit import size_factors
from tmeseq.de.loess import loess_interpolate
from tmeseq.de.rrandom import RStream
from tmeseq.de.rstats import bh_adjust, r_mad
from tmeseq.de.trend import (
    TrendFitError,
    gamma_identity_glm,
    parametric_trend,
    prior_variance,
)
from tmeseq.de.wald import wald_statistics
from tmeseq.errors import InputError

TOL = 1e-4
COLUMNS = ["baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]

# -- reference data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic() -> tuple[pd.DataFrame, pd.DataFrame]:
    return r_synthetic()


def _reference(path: str) -> pd.DataFrame:
    return pd.read_csv(reference_path(*path.split("/")), index_col=0)


def _fit_test(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    contrast: list[str] | np.ndarray,
    **options: object,
) -> pd.DataFrame:
    fit_options = {k: v for k, v in options.items() if k == "fit_type"}
    test_options = {k: v for k, v in options.items() if k != "fit_type"}
    model = fit(counts, metadata, design, **fit_options)
    return results(model, contrast, alpha=0.05, **test_options)


def assert_matches(ours: pd.DataFrame, r: pd.DataFrame, columns: list[str] = COLUMNS) -> None:
    ours = ours.loc[r.index]
    for column in ("pvalue", "padj"):
        assert (ours[column].isna() == r[column].isna()).all(), f"NaN pattern of {column}"
    for column in columns:
        if column not in r:
            continue
        expected, got = r[column].to_numpy(), ours[column].to_numpy()
        scale = np.maximum(np.abs(expected), 1e-12)
        error = np.nanmax(np.abs(got - expected) / scale)
        assert error < TOL, f"{column}: max relative error {error:.2e}"


@pytest.mark.parametrize("method", ["ratio", "poscounts"])
def test_size_factors_match_r(synthetic, method) -> None:
    counts, _ = synthetic
    name = "r_test_size_factors.csv" if method == "ratio" else "r_test_size_factors_poscount.csv"
    expected = _reference(f"single_factor/{name}").iloc[:, 0].to_numpy()
    got = size_factors(counts.to_numpy(dtype=float), method)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_single_factor_results_and_dispersions_match_r(synthetic) -> None:
    counts, metadata = synthetic
    model = fit(counts, metadata, "~condition")
    assert_matches(
        results(model, ["condition", "B", "A"], alpha=0.05),
        _reference("single_factor/r_test_res.csv"),
    )
    expected = _reference("single_factor/r_test_dispersions.csv")["x"]
    np.testing.assert_allclose(model.dispersions, expected, rtol=TOL)


def test_without_independent_filtering_matches_r(synthetic) -> None:
    counts, metadata = synthetic
    ours = _fit_test(
        counts, metadata, "~condition", ["condition", "B", "A"], independent_filter=False
    )
    assert_matches(ours, _reference("single_factor/r_test_res_no_independent_filtering.csv"))


def test_mean_trend_matches_r(synthetic) -> None:
    counts, metadata = synthetic
    ours = _fit_test(counts, metadata, "~condition", ["condition", "B", "A"], fit_type="mean")
    assert_matches(ours, _reference("single_factor/r_test_res_mean_curve.csv"))


@pytest.mark.parametrize("alternative", ["greaterAbs", "lessAbs", "greater", "less"])
def test_thresholded_alternatives_match_r(synthetic, alternative) -> None:
    counts, metadata = synthetic
    ours = _fit_test(
        counts,
        metadata,
        "~condition",
        ["condition", "B", "A"],
        lfc_threshold=0.5,
        alt_hypothesis=alternative,
    )
    assert_matches(ours, _reference(f"single_factor/r_test_res_{alternative}.csv"))


def test_multi_factor_matches_r(synthetic) -> None:
    counts, metadata = synthetic
    ours = _fit_test(counts, metadata, "~group + condition", ["condition", "B", "A"])
    assert_matches(ours, _reference("multi_factor/r_test_res.csv"))


def _with_outliers(
    counts: pd.DataFrame, metadata: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PyDESeq2's outlier scenario: two extreme counts and a one-sample condition level."""
    counts, metadata = counts.copy(), metadata.copy()
    counts.loc["sample1", "gene1"] = 2000
    counts.loc["sample11", "gene7"] = 1000
    metadata.loc["sample1", "condition"] = "C"
    return counts, metadata


def test_outlier_replacement_and_refit_match_r(synthetic) -> None:
    counts, metadata = _with_outliers(*synthetic)
    model = fit(counts, metadata, "~group + condition")
    assert model.refitted[list(model.genes).index("gene1")]
    ours = results(model, ["condition", "B", "A"], alpha=0.05)
    assert_matches(ours, _reference("multi_factor/r_test_res_outliers.csv"))


@pytest.mark.parametrize("outliers", [False, True])
def test_continuous_covariate_matches_r(outliers) -> None:
    counts = pd.read_csv(reference_path("continuous", "test_counts.csv"), index_col=0).T
    metadata = pd.read_csv(reference_path("continuous", "test_metadata.csv"), index_col=0)
    if outliers:
        counts, metadata = _with_outliers(counts, metadata)
    model = fit(counts, metadata, "~group + condition + measurement")
    contrast = np.zeros(len(model.coefficient_names))
    contrast[-1] = 1.0
    name = "r_test_res_outliers.csv" if outliers else "r_test_res.csv"
    assert_matches(results(model, contrast, alpha=0.05), _reference(f"continuous/{name}"))


def test_more_genes_than_samples_matches_r() -> None:
    counts = pd.read_csv(reference_path("wide", "test_counts.csv"), index_col=0).T
    metadata = pd.read_csv(reference_path("wide", "test_metadata.csv"), index_col=0)
    ours = _fit_test(counts, metadata, "~group + condition", ["condition", "B", "A"])
    assert_matches(ours, _reference("wide/r_test_res.csv"))


def test_swapped_contrast_flips_signs_only(synthetic) -> None:
    counts, metadata = synthetic
    model = fit(counts, metadata, "~group + condition")
    forward = results(model, ["condition", "B", "A"], alpha=0.05)
    backward = results(model, ["condition", "A", "B"], alpha=0.05)
    np.testing.assert_allclose(forward["log2FoldChange"], -backward["log2FoldChange"])
    np.testing.assert_allclose(forward["stat"], -backward["stat"])
    np.testing.assert_allclose(forward["padj"], backward["padj"])
    assert list(forward.columns) == COLUMNS


# -- input checks -----------------------------------------------------------------------------


def _toy(n_genes: int = 50, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    samples = [f"s{i}" for i in range(6)]
    means = rng.lognormal(4, 1, n_genes)
    counts = rng.negative_binomial(10, 10 / (10 + means[None, :]), (6, n_genes))
    frame = pd.DataFrame(counts, index=samples, columns=[f"g{i}" for i in range(n_genes)])
    metadata = pd.DataFrame({"arm": ["a", "b"] * 3, "batch": ["x"] * 3 + ["y"] * 3}, index=samples)
    return frame, metadata


def test_non_integer_counts_are_rejected() -> None:
    counts, metadata = _toy()
    with pytest.raises(InputError, match="non-integer"):
        fit(counts + 0.5, metadata, "~ arm")


def test_confounded_design_is_rejected() -> None:
    counts, metadata = _toy()
    metadata["copy"] = metadata["arm"]
    with pytest.raises(InputError, match="full rank"):
        fit(counts, metadata, "~ copy + arm")


def test_ratio_size_factors_need_a_gene_without_zeros() -> None:
    counts = np.array([[0, 5, 3], [4, 0, 2], [1, 2, 0]], dtype=float)
    with pytest.raises(InputError, match="poscounts"):
        size_factors(counts, "ratio")
    assert np.all(np.isfinite(size_factors(counts, "poscounts")))


def test_unknown_contrast_level_is_reported() -> None:
    counts, metadata = _toy()
    model = fit(counts, metadata, "~ batch + arm")
    with pytest.raises(InputError, match="level 'c'"):
        results(model, ["arm", "c", "a"])


def test_log_names_the_trend_coefficients(caplog) -> None:
    counts, metadata = _toy(n_genes=200)
    with caplog.at_level("INFO", logger="tmeseq.de"):
        model = fit(counts, metadata, "~ batch + arm")
        results(model, ["arm", "b", "a"])
    assert "asymptDisp=" in caplog.text or "mean dispersion" in caplog.text
    assert "independent filtering" in caplog.text


# -- dispersion trend and prior ---------------------------------------------------------------


def test_gamma_glm_recovers_an_exact_line() -> None:
    x = np.linspace(0.01, 2.0, 30)
    fit = gamma_identity_glm(x, 0.1 + 2.0 * x, np.array([0.5, 0.5]))
    assert fit.converged
    np.testing.assert_allclose(fit.coefficients, [0.1, 2.0], rtol=1e-8)


def test_parametric_trend_ignores_genes_far_from_the_curve() -> None:
    means = np.geomspace(1, 1e4, 400)
    dispersions = 0.02 + 3.0 / means
    dispersions[::40] *= 50.0  # ratio 50 > 15: left out after the first round
    np.testing.assert_allclose(parametric_trend(means, dispersions), [0.02, 3.0], rtol=1e-6)


def test_parametric_trend_fails_without_a_positive_slope() -> None:
    means = np.geomspace(1, 1e4, 100)
    with pytest.raises(TrendFitError):
        parametric_trend(means, 0.5 - 0.4 / means)


def test_prior_variance_subtracts_the_sampling_variance() -> None:
    fitted = np.full(7, 0.1)
    residuals = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    genewise = fitted * np.exp(residuals)
    mad_sq = r_mad(residuals) ** 2
    assert mad_sq == pytest.approx((1.4826 * 1.0) ** 2)
    # m - p = 10: trigamma(5) = 0.2213230; the floor is 0.25
    assert prior_variance(genewise, fitted, 12, 2, 1e-8) == pytest.approx(
        mad_sq - 0.2213230, abs=1e-6
    )
    assert prior_variance(genewise * 0 + 0.1, fitted, 12, 2, 1e-8) == 0.25


# -- R's random stream and smoothers ----------------------------------------------------------


def test_random_stream_matches_r_set_seed_2() -> None:
    stream = RStream(2)
    np.testing.assert_allclose(
        stream.uniform(3), [0.18488225992769003, 0.70237403595820069, 0.57332633482292295]
    )
    np.testing.assert_allclose(
        stream.normal(3), [-0.96189203331283324, 1.58463148810858212, 0.96788387514729224]
    )
    np.testing.assert_allclose(
        stream.chisq(4, 3),
        [2.25913077917938576, 0.83222761479705842, 1.54933152305226196, 0.77792163088748922],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        stream.chisq(3, 1), [1.22820910049090237, 1.96347366500340037, 0.33808767365986769]
    )
    np.testing.assert_allclose(
        stream.chisq(3, 2), [3.6682469532069919, 2.9452670525646520, 1.7047418260058071]
    )


def test_lowess_matches_r() -> None:
    x = np.arange(1.0, 11.0)
    y = np.array([2, 4, 3, 6, 5, 8, 7, 12, 9, 10], dtype=float)
    expected = [
        2.2873227349004579, 3.1697675787598723, 4.1522428281707908, 4.8549506750144555,
        6.1457302319268603, 6.8729750892314083, 8.6816761923883696, 9.5139438218730579,
        9.8293797349350225, 9.8519684240062055,
    ]  # fmt: skip
    np.testing.assert_allclose(r_lowess(x, y, f=1 / 2), expected, rtol=1e-12)


def test_loess_interpolation_matches_r() -> None:
    x = np.linspace(0, 8, 40)
    y = (x - 3) ** 2 / (1 + x)
    at = np.array([0.5, 2.2, 3.1, 7.9])
    expected = [4.4284904088571926, 0.1988014743552149, 0.0011461619562601, 2.6978280799569014]
    np.testing.assert_allclose(loess_interpolate(x, y, at, span=0.3), expected, rtol=1e-10)


# -- independent filtering --------------------------------------------------------------------


def test_bh_matches_r_p_adjust() -> None:
    adjusted = bh_adjust(np.array([0.01, 0.04, 0.03, np.nan, 0.5]))
    np.testing.assert_allclose(
        adjusted, [0.04, 0.0533333333333333, 0.0533333333333333, np.nan, 0.5]
    )


def test_few_rejections_keep_every_gene() -> None:
    base_mean = np.arange(1.0, 101.0)
    pvalues = np.full(100, 0.5)
    pvalues[-3:] = 1e-6
    result = independent_filtering(base_mean, pvalues, alpha=0.1)
    assert result.threshold == 1.0
    assert np.all(np.isfinite(result.padj))


def test_filtering_drops_low_count_genes_that_only_add_tests() -> None:
    # 2000 genes; null p-values evenly spread; one gene in three of the upper half carries a
    # moderate signal that BH only finds once most null genes are filtered away
    base_mean = np.arange(1.0, 2001.0)
    pvalues = np.random.default_rng(0).permutation((np.arange(2000) + 0.5) / 2000)
    signal = np.arange(1000, 2000, 3)
    pvalues[signal] = np.linspace(1e-4, 0.02, signal.size)
    result = independent_filtering(base_mean, pvalues, alpha=0.1)
    assert result.rejections[:4].tolist() == [0, 0, 0, 0]
    assert result.theta == result.thetas[5]
    assert result.threshold == pytest.approx(np.quantile(base_mean, result.thetas[5]))
    assert np.isnan(result.padj[base_mean < result.threshold]).all()
    assert np.isfinite(result.padj[base_mean >= result.threshold]).all()


def test_threshold_is_first_count_above_smoothed_max_minus_rmse() -> None:
    thetas = np.linspace(0, 0.95, 50)
    rejections = np.concatenate([np.linspace(100, 300, 25), np.full(25, 300)]).astype(int)
    index, smoothed = choose_threshold(thetas, rejections)
    residual = rejections - smoothed
    limit = smoothed.max() - np.sqrt(np.mean(residual**2))
    assert index == int(np.flatnonzero(rejections > limit)[0])


# -- Cook's distances and Wald statistics -----------------------------------------------------


def test_cooks_filter_spares_genes_with_three_higher_counts_in_two_group_designs() -> None:
    counts = np.array([[5, 6, 7, 100, 200, 300, 400], [5, 6, 7, 8, 9, 10, 500]], dtype=float)
    cooks = np.zeros_like(counts)
    cooks[0, 3] = cooks[1, 6] = 50.0
    flags = cooks_filter(np.array([50.0, 50.0]), 10.0, counts, cooks, True)
    assert flags.tolist() == [False, True]
    assert cooks_filter(np.array([50.0, 50.0]), 10.0, counts, cooks, False).tolist() == [
        True,
        True,
    ]


def test_max_cooks_needs_cells_of_three() -> None:
    design = np.column_stack([np.ones(4), [0, 0, 1, 1]])
    assert np.isnan(max_cooks(np.ones((2, 4)), design)).all()
    design = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    np.testing.assert_allclose(max_cooks(np.arange(12.0).reshape(2, 6), design), [5.0, 11.0])


def test_replacement_uses_truncated_trimmed_mean_in_big_cells_only() -> None:
    design = np.column_stack([np.ones(8), [0] * 7 + [1]])
    counts = np.array([[10, 11, 12, 13, 14, 15, 1000, 20]], dtype=float)
    cooks = np.zeros_like(counts)
    cooks[0, 6] = 100.0
    new, replaced, replaceable = replace_outliers(counts, np.ones(8), cooks, design, 7)
    assert replaced.tolist() == [True]
    assert replaceable.tolist() == [True] * 7 + [False]
    # 20 %-trimmed mean of all 8 normalised counts: drop one at each end
    assert new[0, 6] == np.trunc(np.mean(sorted(counts[0])[1:-1]))


def test_wald_alternatives_follow_r_formulas() -> None:
    lfc, se = np.array([1.0, -0.2]), np.array([0.5, 0.5])
    stat, p = wald_statistics(lfc, se, 0.5, "greater")
    np.testing.assert_allclose(stat, [1.0, 0.0])
    np.testing.assert_allclose(p[1], 0.9192433407662290)  # pnorm(-1.4, lower = FALSE)
    stat, p = wald_statistics(lfc, se, 0.0)
    np.testing.assert_allclose(stat, [2.0, -0.4])


@pytest.mark.parametrize(
    "options",
    [
        {"alpha": 0.0},
        {"lfc_threshold": -1.0},
        {"alt_hypothesis": "lessAbs"},
    ],
)
def test_invalid_test_settings_are_reported(options) -> None:
    with pytest.raises(InputError, match="DE settings"):
        r_test_settings(**options)


def test_invalid_fit_settings_are_reported() -> None:
    with pytest.raises(InputError, match=r"de\.min_replicates"):
        r_model_settings("~ arm", min_replicates=2)

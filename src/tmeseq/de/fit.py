"""The DE entry points: :func:`fit_model` (one fit per design) and :func:`contrast_results`.

The fit is R DESeq2's ``DESeq()`` and the test its ``results()``, step by step, stored in a
PyDESeq2 :class:`~pydeseq2.dds.DeseqDataSet` (same field names as PyDESeq2 uses, so the
object also works with PyDESeq2's own ``DeseqStats``, e.g. for ``lfc_shrink``):

1. size factors, median of ratios (``obs["size_factors"]``);
2. gene-wise dispersions: R's moments start, means from a GLM (or a linear fit when each
   design cell has its own coefficient), R's line search (``var["genewise_dispersions"]``);
3. the dispersion trend on genes with gene-wise dispersion above ``100 * minDisp``
   (``uns["trend_coeffs"]``: a0 = asymptDisp, a1 = extraPois; ``var["fitted_dispersions"]``);
4. the prior variance of ``log(alpha)`` (``uns["prior_disp_var"]``);
5. MAP dispersions; genes more than 2 SD above the trend keep their gene-wise value
   (``var["MAP_dispersions"]``, ``var["_outlier_genes"]``, ``var["dispersions"]``);
6. the GLM coefficients (``varm["LFC"]``, natural log) and Cook's distances
   (``layers["cooks"]``);
7. replacement of count outliers in cells of >= ``min_replicates`` samples and refit of those
   genes (``var["replaced"]``, ``var["refitted"]``);
8. the Cook's filter flag (``var["_cooks_outlier"]``; ``var["_pvalue_cooks_outlier"]`` is
   the same flag when ``cooks_filter`` is on, for PyDESeq2's ``DeseqStats``).

The test computes the contrast, its standard error from the fitted model, R's Wald p-value,
R's special cases (genes whose counts are all zero in the compared groups, genes that became
all-zero after replacement, Cook's outliers) and R's independent filtering.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from formulaic import Formula
from pydeseq2.dds import DeseqDataSet
from threadpoolctl import threadpool_limits

from tmeseq.de import cooks, glm, trend
from tmeseq.de.dispersion import (
    DispersionBounds,
    dispersion_outliers,
    moments_dispersions,
    rough_dispersions,
)
from tmeseq.de.filtering import independent_filtering
from tmeseq.de.inference import RCompatInference, contrast_standard_errors, wald_statistics
from tmeseq.de.rstats import bh_adjust
from tmeseq.design import check_rank
from tmeseq.errors import InputError

logger = logging.getLogger(__name__)

#: R DESeq2 defaults.
MIN_MU = 0.5
MIN_DISP = 1e-8
BETA_TOL = 1e-8
#: R's ridge on the log2-scale coefficients, converted to the natural-log scale.
RIDGE = glm.DEFAULT_LAMBDA / np.log(2) ** 2
RESULT_COLUMNS = ["baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]


@dataclass(frozen=True)
class DESettings:
    """Options of the DE fit and test; the defaults are R DESeq2's.

    Attributes
    ----------
    size_factors : {"ratio", "poscounts", "iterative"}
        Size-factor method (R ``sfType``; "iterative" uses PyDESeq2's implementation).
    fit_type : {"parametric", "mean"}
        Dispersion trend (R ``fitType``).
    cooks_filter : bool
        Drop p-values of genes with a Cook's outlier (R ``cooksCutoff``).
    refit_cooks : bool
        Replace outlier counts and refit (R: ``minReplicatesForReplace`` finite).
    min_replicates : int
        Smallest design cell whose samples can have counts replaced.
    independent_filter : bool
        Independent filtering on the mean count (R ``independentFiltering``).
    alpha : float
        Significance level for independent filtering (R default 0.1).
    lfc_threshold : float
        log2 fold-change threshold of the test (R ``lfcThreshold``).
    alt_hypothesis : {"greaterAbs", "lessAbs", "greater", "less"} or None
        Alternative hypothesis (R ``altHypothesis``; None means "greaterAbs").
    """

    size_factors: Literal["ratio", "poscounts", "iterative"] = "ratio"
    fit_type: Literal["parametric", "mean"] = "parametric"
    cooks_filter: bool = True
    refit_cooks: bool = True
    min_replicates: int = 7
    independent_filter: bool = True
    alpha: float = 0.1
    lfc_threshold: float = 0.0
    alt_hypothesis: Literal["greaterAbs", "lessAbs", "greater", "less"] | None = None

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.alpha < 1:
            problems.append(f"alpha must lie in (0, 1), got {self.alpha}")
        if self.lfc_threshold < 0:
            problems.append(f"lfc_threshold must be >= 0, got {self.lfc_threshold}")
        if self.alt_hypothesis == "lessAbs" and self.lfc_threshold == 0:
            problems.append("alt_hypothesis 'lessAbs' needs a positive lfc_threshold")
        if self.min_replicates < 3:
            problems.append(f"min_replicates must be >= 3, got {self.min_replicates}")
        if problems:
            raise InputError("; ".join(problems), where="DE settings (config key de)")


# -- fit --------------------------------------------------------------------------------------


def fit_model(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    settings: DESettings,
    threads: int,
) -> DeseqDataSet:
    """Fit DESeq2's model for one design, reproducing R DESeq2's ``DESeq()``.

    Parameters
    ----------
    counts : pandas.DataFrame
        Raw integer counts, samples x genes.
    metadata : pandas.DataFrame
        Sample covariates, indexed like ``counts``.
    design : str
        Design formula, e.g. ``"~ batch + arm"``.
    settings : DESettings
        Fit options.
    threads : int
        Worker processes (BLAS is limited to one thread per worker).

    Returns
    -------
    pydeseq2.dds.DeseqDataSet
        The fitted model (fields listed in the module docstring).

    Raises
    ------
    InputError
        If the counts are not non-negative integers, the design is not of full rank or
        leaves no residual degrees of freedom, or every gene has a zero with "ratio".
    """
    _check_counts(counts)
    inference = RCompatInference(n_cpus=threads, min_mu=MIN_MU)
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        dds = _new_dataset(counts, metadata, design, settings, inference, threads)
        _check_design(dds, design)
        _fit_size_factors(dds, settings)
        _fit_dispersions(dds, settings, inference)
        _fit_coefficients(dds, inference)
        _refit_outliers(dds, settings, inference)
        _flag_cooks_outliers(dds, design, settings)
    dds.uns["tmeseq_de"] = {"settings": asdict(settings), "min_mu": MIN_MU, "design": design}
    logger.info("DE model '%s' fitted in %.1f s", design, time.perf_counter() - started)
    return dds


def _check_counts(counts: pd.DataFrame) -> None:
    values = counts.to_numpy()
    numeric = np.issubdtype(values.dtype, np.number)
    if not numeric or not np.isfinite(values).all() or (values < 0).any():
        raise InputError(
            "the count matrix must hold finite, non-negative numbers",
            where="count matrix",
            fix="supply raw read counts",
        )
    if (values != np.round(values)).any():
        raise InputError(
            "the count matrix holds non-integer values",
            where="count matrix",
            fix="round estimated counts (salmon, RSEM, kallisto) to integers before DE",
        )


def _new_dataset(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    settings: DESettings,
    inference: RCompatInference,
    threads: int,
) -> DeseqDataSet:
    with warnings.catch_warnings():
        # rank deficiency is reported by _check_design as an InputError
        warnings.filterwarnings("ignore", message="The design matrix is not full rank")
        return _deseq_dataset(counts, metadata, design, settings, inference, threads)


def _deseq_dataset(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    settings: DESettings,
    inference: RCompatInference,
    threads: int,
) -> DeseqDataSet:
    return DeseqDataSet(
        counts=counts.astype(np.int64),
        metadata=metadata.loc[counts.index],
        design=design,
        fit_type=settings.fit_type,
        size_factors_fit_type=settings.size_factors,
        min_mu=MIN_MU,
        min_disp=MIN_DISP,
        refit_cooks=settings.refit_cooks,
        min_replicates=settings.min_replicates,
        beta_tol=BETA_TOL,
        n_cpus=threads,
        inference=inference,
        quiet=True,
    )


def _design(dds: DeseqDataSet) -> np.ndarray:
    return dds.obsm["design_matrix"].to_numpy(dtype=float)


def _check_design(dds: DeseqDataSet, design: str) -> None:
    check_rank(dds.obsm["design_matrix"], f"the design '{design}'")


# -- step 1: size factors ---------------------------------------------------------------------


def _fit_size_factors(dds: DeseqDataSet, settings: DESettings) -> None:
    counts = np.asarray(dds.X, dtype=float)
    if settings.size_factors == "iterative":
        dds.fit_size_factors(fit_type="iterative")
    else:
        dds.obs["size_factors"] = size_factors(counts, settings.size_factors)
        dds.layers["normed_counts"] = counts / dds.obs["size_factors"].to_numpy()[:, None]
    dds.var["_normed_means"] = dds.layers["normed_counts"].mean(axis=0)
    dds.var["non_zero"] = ~(counts == 0).all(axis=0)
    dds.non_zero_idx = np.flatnonzero(dds.var["non_zero"].to_numpy())
    dds.non_zero_genes = dds.var_names[dds.non_zero_idx]
    sf = dds.obs["size_factors"].to_numpy()
    logger.info(
        "size factors (%s): %.3f to %.3f; %d of %d genes have a non-zero count",
        settings.size_factors,
        sf.min(),
        sf.max(),
        dds.non_zero_idx.size,
        dds.n_vars,
    )


def size_factors(counts: np.ndarray, method: Literal["ratio", "poscounts"]) -> np.ndarray:
    """Median-of-ratios size factors as R's ``estimateSizeFactors`` (samples x genes input).

    Parameters
    ----------
    counts : numpy.ndarray
        Raw counts, samples x genes.
    method : {"ratio", "poscounts"}
        "ratio": geometric means over genes without zeros. "poscounts": geometric means of
        the positive counts over all samples, then scaled to a geometric mean of 1.

    Returns
    -------
    numpy.ndarray
        One size factor per sample.

    Raises
    ------
    InputError
        With "ratio", if every gene has at least one zero.
    """
    with np.errstate(divide="ignore"):
        logs = np.log(counts)
    if method == "ratio":
        log_geo_means = logs.mean(axis=0)
    else:
        log_geo_means = np.where(counts > 0, logs, 0.0).sum(axis=0) / counts.shape[0]
        log_geo_means[(counts == 0).all(axis=0)] = -np.inf
    usable = np.isfinite(log_geo_means)
    if not usable.any():
        raise InputError(
            "every gene has a zero count in some sample, so median-of-ratios size factors "
            "cannot be computed",
            where="count matrix",
            fix="set de.size_factors to 'poscounts'",
        )
    ratios = np.where(counts[:, usable] > 0, logs[:, usable] - log_geo_means[usable], np.nan)
    factors = np.exp(np.nanmedian(ratios, axis=1))
    if method == "poscounts":
        factors /= np.exp(np.mean(np.log(factors)))
    return factors


# -- steps 2 to 5: dispersions ----------------------------------------------------------------


def _nonzero_counts(dds: DeseqDataSet) -> np.ndarray:
    return np.asarray(dds.X[:, dds.non_zero_idx], dtype=float).T


def _bounds(dds: DeseqDataSet) -> DispersionBounds:
    return DispersionBounds(MIN_DISP, max(10.0, float(dds.n_obs)))


def _fit_dispersions(dds: DeseqDataSet, settings: DESettings, inference: RCompatInference) -> None:
    counts = _nonzero_counts(dds)
    sf = dds.obs["size_factors"].to_numpy()
    design = _design(dds)
    genewise, mu = _genewise(counts, sf, design, _bounds(dds), inference)
    _store_genes(dds, "genewise_dispersions", genewise)
    dds.layers["_mu_hat"] = _full_matrix(dds, mu)
    means = dds.var["_normed_means"].to_numpy()[dds.non_zero_idx]
    fitted = _fit_trend(dds, means, genewise, settings, inference)
    variance = trend.var_log_dispersion(genewise, fitted, MIN_DISP)
    n_samples, n_coefs = design.shape
    prior_var = inference.fit_prior_variance(genewise, fitted, n_samples, n_coefs, MIN_DISP)
    dds.uns["_squared_logres"] = variance
    dds.uns["prior_disp_var"] = prior_var
    logger.info("dispersion prior: varLogDispEsts=%.4f, dispPriorVar=%.4f", variance, prior_var)
    _fit_map(dds, counts, mu, design, genewise, fitted, inference)


def _genewise(
    counts: np.ndarray,
    sf: np.ndarray,
    design: np.ndarray,
    bounds: DispersionBounds,
    inference: RCompatInference,
) -> tuple[np.ndarray, np.ndarray]:
    """Gene-wise dispersions and the means they were estimated at (genes x samples)."""
    normed = counts / sf
    start = np.minimum(rough_dispersions(normed, design), moments_dispersions(normed, sf))
    start = np.clip(start, bounds.min_disp, bounds.max_disp)
    n_cells = np.unique(design, axis=0).shape[0]
    if n_cells == design.shape[1]:
        mu = glm.linear_model_mu(counts, sf, design, MIN_MU)
    else:
        fit = inference.fit_glm(counts, sf, design, start)
        mu = np.maximum(fit.mu, MIN_MU)
    genewise, _ = inference.fit_genewise_dispersions(counts, mu, design, start, bounds)
    logger.info(
        "gene-wise dispersions: median %.4g over %d genes", np.median(genewise), counts.shape[0]
    )
    return genewise, mu


def _fit_trend(
    dds: DeseqDataSet,
    means: np.ndarray,
    genewise: np.ndarray,
    settings: DESettings,
    inference: RCompatInference,
) -> np.ndarray:
    """Fit the trend, store it as PyDESeq2 does and return its values for non-zero genes."""
    use = genewise > 100 * MIN_DISP
    if not use.any():
        raise InputError(
            "all gene-wise dispersion estimates are within 2 orders of magnitude of the "
            "minimum, so no dispersion trend can be fitted",
            where="count matrix",
            fix="check that the samples are biological replicates with real variation",
        )
    fit_type = settings.fit_type
    if fit_type == "parametric":
        try:
            coefs = inference.fit_parametric_trend(means[use], genewise[use])
        except trend.TrendFitError as error:
            logger.warning("%s; using the mean dispersion as the trend instead", error)
            fit_type = "mean"
    if fit_type == "parametric":
        dds.uns["trend_coeffs"] = pd.Series(coefs, index=["a0", "a1"])
        fitted = coefs[0] + coefs[1] / means
        logger.info("dispersion trend: asymptDisp=%.5g, extraPois=%.5g", *coefs)
    else:
        dds.uns["mean_disp"] = trend.mean_trend(genewise, MIN_DISP)
        fitted = np.full(means.size, dds.uns["mean_disp"])
        logger.info("dispersion trend: mean dispersion %.5g", dds.uns["mean_disp"])
    dds.uns["disp_function_type"] = fit_type
    _store_genes(dds, "fitted_dispersions", fitted)
    return fitted


def _fit_map(
    dds: DeseqDataSet,
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    genewise: np.ndarray,
    fitted: np.ndarray,
    inference: RCompatInference,
) -> None:
    prior_var = float(dds.uns["prior_disp_var"])
    bounds = _bounds(dds)
    map_disp = inference.fit_map_dispersions(
        counts, mu, design, genewise, fitted, prior_var, bounds
    )
    outliers = dispersion_outliers(genewise, fitted, float(dds.uns["_squared_logres"]))
    _store_genes(dds, "MAP_dispersions", map_disp)
    _store_genes(dds, "_outlier_genes", outliers, fill=False)
    _store_genes(dds, "dispersions", np.where(outliers, genewise, map_disp))
    logger.info(
        "MAP dispersions: %d genes keep their gene-wise estimate (outliers)", outliers.sum()
    )


def _store_genes(dds: DeseqDataSet, name: str, values: np.ndarray, fill: object = np.nan) -> None:
    column = np.full(dds.n_vars, fill, dtype=np.asarray(values).dtype)
    column[dds.non_zero_idx] = values
    dds.var[name] = column


def _full_matrix(dds: DeseqDataSet, genes_by_samples: np.ndarray) -> np.ndarray:
    full = np.full((dds.n_obs, dds.n_vars), np.nan)
    full[:, dds.non_zero_idx] = genes_by_samples.T
    return full


# -- step 6: coefficients and Cook's distances ------------------------------------------------


def _fit_coefficients(dds: DeseqDataSet, inference: RCompatInference) -> None:
    counts = _nonzero_counts(dds)
    sf = dds.obs["size_factors"].to_numpy()
    design = _design(dds)
    disp = dds.var["dispersions"].to_numpy()[dds.non_zero_idx]
    fit = inference.fit_glm(counts, sf, design, disp)
    columns = dds.obsm["design_matrix"].columns
    lfc = np.full((dds.n_vars, design.shape[1]), np.nan)
    lfc[dds.non_zero_idx] = fit.beta
    dds.varm["LFC"] = pd.DataFrame(lfc, index=dds.var_names, columns=columns)
    _store_genes(dds, "_LFC_converged", fit.converged, fill=False)
    dds.layers["_mu_LFC"] = _full_matrix(dds, fit.mu)
    dds.layers["_hat_diagonals"] = _full_matrix(dds, fit.hat_diagonals)
    cook = cooks.cooks_distances(counts, fit.mu, fit.hat_diagonals, sf, design)
    dds.layers["cooks"] = _full_matrix(dds, cook)
    logger.info(
        "GLM coefficients: %d genes, %d did not converge, %d refitted by L-BFGS-B",
        fit.converged.size,
        int((~fit.converged).sum()),
        int(fit.optimized.sum()),
    )


# -- step 7: outlier replacement and refit ----------------------------------------------------


def _refit_outliers(dds: DeseqDataSet, settings: DESettings, inference: RCompatInference) -> None:
    design = _design(dds)
    dds.var["replaced"] = False
    dds.var["refitted"] = False
    dds.new_all_zeroes_genes = dds.var_names[:0]
    dds.obs["replaceable"] = cooks.n_or_more_in_cell(design, settings.min_replicates)
    dds.var["_max_cooks"] = cooks.max_cooks(dds.layers["cooks"].T, design)
    if not settings.refit_cooks or not dds.obs["replaceable"].any():
        logger.info(
            "count outliers: no replacement (no design cell has %d samples)",
            settings.min_replicates,
        )
        return
    sf = dds.obs["size_factors"].to_numpy()
    counts = np.asarray(dds.X, dtype=float).T
    cook = np.nan_to_num(dds.layers["cooks"].T, nan=0.0)
    new_counts, replaced, replaceable = cooks.replace_outliers(
        counts, sf, cook, design, settings.min_replicates
    )
    replaced &= dds.var["non_zero"].to_numpy()
    dds.var["replaced"] = replaced
    dds.layers["replace_counts"] = new_counts.T
    now_zero = replaced & (new_counts == 0).all(axis=1)
    refit = replaced & ~now_zero
    dds.new_all_zeroes_genes = dds.var_names[now_zero]
    dds.var.loc[now_zero, "_normed_means"] = 0.0
    if refit.any():
        _refit_genes(dds, new_counts[refit], np.flatnonzero(refit), inference)
    dds.var["refitted"] = refit
    dds.var["_max_cooks"] = _max_cooks_after_refit(dds, design, replaceable)
    logger.info(
        "count outliers: %d genes had counts replaced, %d refitted", replaced.sum(), refit.sum()
    )


def _refit_genes(
    dds: DeseqDataSet, counts: np.ndarray, genes: np.ndarray, inference: RCompatInference
) -> None:
    """Re-run dispersions and coefficients for ``genes`` on replaced counts (trend kept)."""
    sf = dds.obs["size_factors"].to_numpy()
    design = _design(dds)
    means = (counts / sf).mean(axis=1)
    genewise, mu = _genewise(counts, sf, design, _bounds(dds), inference)
    fitted = _trend_values(dds, means)
    prior_var = float(dds.uns["prior_disp_var"])
    map_disp = inference.fit_map_dispersions(
        counts, mu, design, genewise, fitted, prior_var, _bounds(dds)
    )
    outliers = dispersion_outliers(genewise, fitted, float(dds.uns["_squared_logres"]))
    final = np.where(outliers, genewise, map_disp)
    fit = inference.fit_glm(counts, sf, design, final)
    updates = {
        "_normed_means": means,
        "genewise_dispersions": genewise,
        "fitted_dispersions": fitted,
        "MAP_dispersions": map_disp,
        "_outlier_genes": outliers,
        "dispersions": final,
        "_LFC_converged": fit.converged,
    }
    for name, values in updates.items():
        dds.var.iloc[genes, dds.var.columns.get_loc(name)] = values
    dds.varm["LFC"].iloc[genes] = fit.beta
    dds.layers["_mu_LFC"][:, genes] = fit.mu.T
    dds.layers["_mu_hat"][:, genes] = mu.T


def _trend_values(dds: DeseqDataSet, means: np.ndarray) -> np.ndarray:
    if dds.uns["disp_function_type"] == "parametric":
        a0, a1 = dds.uns["trend_coeffs"][["a0", "a1"]]
        return a0 + a1 / means
    return np.full(means.size, float(dds.uns["mean_disp"]))


def _max_cooks_after_refit(
    dds: DeseqDataSet, design: np.ndarray, replaceable: np.ndarray
) -> np.ndarray:
    """R: no maximum when every sample was replaceable, else zero the replaceable samples."""
    if replaceable.all():
        return np.full(dds.n_vars, np.nan)
    cook = dds.layers["cooks"].T.copy()
    cook[:, replaceable] = 0.0
    return cooks.max_cooks(cook, design)


# -- step 8: Cook's filter flag ---------------------------------------------------------------


def _single_two_level_factor(dds: DeseqDataSet, design: str) -> bool:
    variables = sorted(Formula(design).required_variables)
    if len(variables) != 1:
        return False
    column = dds.obs[variables[0]]
    categorical = not pd.api.types.is_numeric_dtype(column) or "C(" in design
    return categorical and column.nunique() == 2


def _flag_cooks_outliers(dds: DeseqDataSet, design: str, settings: DESettings) -> None:
    cutoff = cooks.cooks_cutoff(*_design(dds).shape)
    flag = cooks.cooks_filter(
        dds.var["_max_cooks"].to_numpy(),
        cutoff,
        np.asarray(dds.X, dtype=float).T,
        dds.layers["cooks"].T,
        _single_two_level_factor(dds, design),
    )
    dds.var["_cooks_outlier"] = flag
    dds.var["_pvalue_cooks_outlier"] = flag & settings.cooks_filter
    dds.uns["cooks_cutoff"] = cutoff
    logger.info("Cook's filter: cutoff %.3f, %d genes flagged", cutoff, int(flag.sum()))


# -- test -------------------------------------------------------------------------------------


def contrast_results(
    dds: DeseqDataSet,
    contrast: list[str] | np.ndarray,
    settings: DESettings,
    threads: int,
) -> pd.DataFrame:
    """Wald test of one contrast with R DESeq2's ``results()`` rules.

    Parameters
    ----------
    dds : pydeseq2.dds.DeseqDataSet
        A model from :func:`fit_model`.
    contrast : list of str or numpy.ndarray
        ``[variable, tested level, reference level]`` or a vector over the design columns.
    settings : DESettings
        Test options (``alpha``, filters, threshold, alternative).
    threads : int
        Worker processes (the test is vectorised; kept for a uniform interface).

    Returns
    -------
    pandas.DataFrame
        Columns baseMean, log2FoldChange, lfcSE, stat, pvalue, padj, indexed by gene. The
        independent-filtering diagnostics are in ``attrs`` (``filter_threshold``,
        ``filter_theta``, ``alpha``).
    """
    vector = _contrast_vector(dds, contrast)
    with threadpool_limits(limits=1):
        table = _wald_table(dds, vector, settings)
        _apply_contrast_zeros(dds, table, contrast, vector)
        table = _apply_threshold(table, settings)
        if settings.cooks_filter:
            table.loc[dds.var["_cooks_outlier"].to_numpy(), "pvalue"] = np.nan
        _apply_now_zero(dds, table)
        _adjust(table, settings)
    logger.info(
        "contrast %s: %d genes with padj < %g",
        contrast if isinstance(contrast, list) else list(np.round(vector, 3)),
        int((table["padj"] < settings.alpha).sum()),
        settings.alpha,
    )
    return table[RESULT_COLUMNS]


def _contrast_vector(dds: DeseqDataSet, contrast: list[str] | np.ndarray) -> np.ndarray:
    if isinstance(contrast, np.ndarray):
        if contrast.shape != (dds.obsm["design_matrix"].shape[1],):
            raise InputError(
                "the contrast vector must have one entry per design-matrix column",
                where=f"columns {list(dds.obsm['design_matrix'].columns)}",
            )
        return contrast.astype(float)
    variable, tested, reference = contrast
    for level in (tested, reference):
        if level not in set(dds.obs[variable].astype(str)):
            raise InputError(
                f"level '{level}' does not occur in column '{variable}'",
                where=f"contrast {contrast}",
                fix=f"use one of {sorted(set(dds.obs[variable].astype(str)))}",
            )
    vector = dds.contrast(column=variable, baseline=reference, group_to_compare=tested)
    return np.asarray(vector, dtype=float)


def _wald_table(dds: DeseqDataSet, vector: np.ndarray, settings: DESettings) -> pd.DataFrame:
    beta = dds.varm["LFC"].to_numpy()
    table = pd.DataFrame(np.nan, index=dds.var_names, columns=RESULT_COLUMNS)
    table["baseMean"] = dds.var["_normed_means"].to_numpy()
    testable = ~np.isnan(beta).any(axis=1)
    design = _design(dds)
    sf = dds.obs["size_factors"].to_numpy()
    mu = np.maximum(sf * np.exp(beta[testable] @ design.T), MIN_MU)
    disp = dds.var["dispersions"].to_numpy()[testable]
    ridge = np.full(design.shape[1], RIDGE)
    se = contrast_standard_errors(design, mu, disp, ridge, vector)
    lfc = beta[testable] @ vector
    stat, pvalue = wald_statistics(lfc, se)
    table.loc[testable, "log2FoldChange"] = lfc / np.log(2)
    table.loc[testable, "lfcSE"] = se / np.log(2)
    table.loc[testable, "stat"] = stat
    table.loc[testable, "pvalue"] = pvalue
    return table


def _contrast_samples(
    dds: DeseqDataSet, contrast: list[str] | np.ndarray, vector: np.ndarray
) -> np.ndarray | None:
    """Samples whose counts R checks for 'all zero in the compared groups' (None: no check)."""
    if isinstance(contrast, list):
        variable, tested, reference = contrast
        return dds.obs[variable].astype(str).isin([tested, reference]).to_numpy()
    if (vector >= 0).all() or (vector <= 0).all():
        return None
    return _design(dds) @ (vector != 0).astype(float) != 0


def _apply_contrast_zeros(
    dds: DeseqDataSet, table: pd.DataFrame, contrast: list[str] | np.ndarray, vector: np.ndarray
) -> None:
    samples = _contrast_samples(dds, contrast, vector)
    if samples is None:
        return
    counts = np.asarray(dds.X, dtype=float)
    zero = (counts[samples] == 0).all(axis=0) & dds.var["non_zero"].to_numpy()
    table.loc[zero, ["log2FoldChange", "stat"]] = 0.0
    table.loc[zero, "pvalue"] = 1.0


def _apply_threshold(table: pd.DataFrame, settings: DESettings) -> pd.DataFrame:
    if settings.lfc_threshold == 0 and settings.alt_hypothesis in (None, "greaterAbs"):
        return table
    stat, pvalue = wald_statistics(
        table["log2FoldChange"].to_numpy(),
        table["lfcSE"].to_numpy(),
        settings.lfc_threshold,
        settings.alt_hypothesis,
    )
    return table.assign(stat=stat, pvalue=pvalue)


def _apply_now_zero(dds: DeseqDataSet, table: pd.DataFrame) -> None:
    now_zero = dds.var_names.isin(dds.new_all_zeroes_genes)
    table.loc[now_zero, ["log2FoldChange", "lfcSE", "stat"]] = 0.0
    table.loc[now_zero, "pvalue"] = 1.0


def _adjust(table: pd.DataFrame, settings: DESettings) -> None:
    pvalues = table["pvalue"].to_numpy()
    if not settings.independent_filter:
        table["padj"] = bh_adjust(pvalues)
        return
    result = independent_filtering(table["baseMean"].to_numpy(), pvalues, settings.alpha)
    table["padj"] = result.padj
    table.attrs.update(
        filter_threshold=result.threshold, filter_theta=result.theta, alpha=settings.alpha
    )
    logger.info(
        "independent filtering: mean-count threshold %.4g (quantile %.3f)",
        result.threshold,
        result.theta,
    )

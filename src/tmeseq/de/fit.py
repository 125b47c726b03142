"""The fit: R DESeq2's ``DESeq()`` step by step, returning a :class:`~tmeseq.de.model.DEModel`.

1. size factors, median of ratios (R ``estimateSizeFactors``);
2. gene-wise dispersions: R's moments start, means from a GLM (or a linear fit when each
   design cell has its own coefficient), R's line search;
3. the dispersion trend on genes with gene-wise dispersion above ``100 * minDisp``;
4. the prior variance of ``log(alpha)``;
5. MAP dispersions; genes more than 2 SD above the trend keep their gene-wise value;
6. the GLM coefficients and Cook's distances;
7. replacement of count outliers in cells of >= ``min_replicates`` samples and refit of those
   genes (dispersions and coefficients; the trend is kept);
8. the Cook's filter flag R's ``results()`` applies.

Every per-gene routine runs through one :class:`~tmeseq.de.engine.Engine`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from formulaic import Formula
from threadpoolctl import threadpool_limits

from tmeseq.de import cooks, glm, trend
from tmeseq.de.dispersion import (
    DispersionBounds,
    dispersion_outliers,
    moments_dispersions,
    rough_dispersions,
)
from tmeseq.de.engine import Engine
from tmeseq.de.model import DEModel, DispersionTrend, spread
from tmeseq.design import check_rank, design_matrix
from tmeseq.errors import InputError
from tmeseq.settings import DEModelSettings, FitType, SizeFactorMethod

logger = logging.getLogger(__name__)

#: R DESeq2 defaults.
MIN_MU = 0.5
MIN_DISP = 1e-8


@dataclass(frozen=True)
class DispersionFit:
    """Dispersion estimates of the non-zero genes (steps 2 to 5).

    ``mu`` is genes x samples: the means the gene-wise estimates were made at.
    """

    genewise: np.ndarray
    mu: np.ndarray
    fitted: np.ndarray
    trend: DispersionTrend
    log_variance: float
    prior_variance: float
    map: np.ndarray
    outlier: np.ndarray

    @property
    def final(self) -> np.ndarray:
        """The dispersions used downstream: gene-wise for outliers, MAP for the others."""
        return np.where(self.outlier, self.genewise, self.map)


# -- fit --------------------------------------------------------------------------------------


def fit_model(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    settings: DEModelSettings,
    engine: Engine,
) -> DEModel:
    """Fit DESeq2's model of ``settings.design``, reproducing R DESeq2's ``DESeq()``.

    Parameters
    ----------
    counts : pandas.DataFrame
        Raw integer counts, samples x genes (the genes to test).
    metadata : pandas.DataFrame
        Sample covariates indexed like ``counts``, typed by
        :func:`tmeseq.samplesheet.covariates` (other text columns become factors with
        sorted levels, see :func:`as_factors`).
    settings : DEModelSettings
        The design and the fit options.
    engine : Engine
        Runs the per-gene routines (carries the worker count).

    Returns
    -------
    DEModel
        The fitted model.

    Raises
    ------
    InputError
        If the counts are not non-negative integers, the design is not of full rank or
        leaves no residual degrees of freedom, or every gene has a zero with "ratio".
    """
    _check_counts(counts)
    metadata = as_factors(metadata.loc[counts.index])
    design = design_matrix(metadata, settings.design)
    check_rank(design, f"the design '{settings.design}'")
    started = time.perf_counter()
    values = counts.to_numpy(dtype=np.int64)
    with threadpool_limits(limits=1):
        model = _fit(values, metadata, design, counts.columns, settings, engine)
    logger.info("DE model '%s' fitted in %.1f s", settings.design, time.perf_counter() - started)
    return model


def as_factors(metadata: pd.DataFrame) -> pd.DataFrame:
    """Covariates with every non-numeric column as a Categorical (sorted levels).

    Columns already Categorical keep their levels (the first is the reference level).
    """
    typed = metadata.copy()
    for column in typed.columns:
        values = typed[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            continue
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            text = values.astype(str)
            typed[column] = pd.Categorical(text, categories=sorted(text.unique()))
    return typed


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


def _fit(
    counts: np.ndarray,
    metadata: pd.DataFrame,
    design: pd.DataFrame,
    genes: pd.Index,
    settings: DEModelSettings,
    engine: Engine,
) -> DEModel:
    x = design.to_numpy(dtype=float)
    sf = estimate_size_factors(counts, settings.size_factors, metadata, settings.design)
    nonzero = np.asarray((counts > 0).any(axis=0))
    y = counts[:, nonzero].T.astype(float)
    _log_size_factors(sf, settings.size_factors, nonzero)
    dispersions = fit_dispersions(y, sf, x, settings.fit_type, engine)
    glm_fit = engine.fit_glm(y, sf, x, dispersions.final)
    cook = spread(cooks.cooks_distances(y, glm_fit.mu, glm_fit.hat_diagonals, sf, x), nonzero)
    _log_glm(glm_fit.converged, glm_fit.optimized)
    model = DEModel(
        design_formula=settings.design,
        metadata=metadata,
        design=design,
        genes=genes,
        counts=counts,
        size_factors=sf,
        base_mean=(counts / sf[:, None]).mean(axis=0),
        genewise_dispersions=spread(dispersions.genewise, nonzero),
        fitted_dispersions=spread(dispersions.fitted, nonzero),
        map_dispersions=spread(dispersions.map, nonzero),
        dispersions=spread(dispersions.final, nonzero),
        dispersion_outlier=spread(dispersions.outlier, nonzero, fill=False),
        trend=dispersions.trend,
        prior_dispersion_variance=dispersions.prior_variance,
        log_dispersion_variance=dispersions.log_variance,
        coefficients=spread(glm_fit.beta, nonzero),
        converged=spread(glm_fit.converged, nonzero, fill=False),
        cooks=cook.T,
        max_cooks=cooks.max_cooks(cook, x),
        cooks_outlier=np.zeros(genes.size, dtype=bool),
        cooks_cutoff=cooks.cooks_cutoff(*x.shape),
        replaced=np.zeros(genes.size, dtype=bool),
        refitted=np.zeros(genes.size, dtype=bool),
        now_zero=np.zeros(genes.size, dtype=bool),
        fit_options={
            "size_factors": settings.size_factors,
            "fit_type": settings.fit_type,
            "refit_cooks": settings.refit_cooks,
            "min_replicates": settings.min_replicates,
        },
    )
    model = _refit_outliers(model, settings, engine)
    return _flag_cooks_outliers(model)


def _log_size_factors(sf: np.ndarray, method: str, nonzero: np.ndarray) -> None:
    logger.info(
        "size factors (%s): %.3f to %.3f; %d of %d genes have a non-zero count",
        method,
        sf.min(),
        sf.max(),
        int(nonzero.sum()),
        nonzero.size,
    )


def _log_glm(converged: np.ndarray, optimized: np.ndarray) -> None:
    logger.info(
        "GLM coefficients: %d genes, %d did not converge, %d refitted by L-BFGS-B",
        converged.size,
        int((~converged).sum()),
        int(optimized.sum()),
    )


# -- step 1: size factors ---------------------------------------------------------------------


def estimate_size_factors(
    counts: np.ndarray,
    method: SizeFactorMethod,
    metadata: pd.DataFrame | None = None,
    design: str = "~ 1",
) -> np.ndarray:
    """Size factors by ``method`` (samples x genes ``counts``).

    "ratio" and "poscounts" are R's ``estimateSizeFactors`` (:func:`size_factors`);
    "iterative" is PyDESeq2's implementation of R's ``estimateSizeFactorsIterate``, through
    its public API (:mod:`tmeseq.de.pydeseq2_adapter`).
    """
    if method == "iterative":
        from tmeseq.de.pydeseq2_adapter import iterative_size_factors

        frame = metadata if metadata is not None else pd.DataFrame(index=range(len(counts)))
        return iterative_size_factors(counts, frame, design)
    return size_factors(counts.astype(float), method)


def size_factors(counts: np.ndarray, method: str) -> np.ndarray:
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


def dispersion_bounds(n_samples: int) -> DispersionBounds:
    """R's bounds: ``minDisp`` 1e-8 and ``maxDisp`` max(10, number of samples)."""
    return DispersionBounds(MIN_DISP, max(10.0, float(n_samples)))


def fit_dispersions(
    counts: np.ndarray,
    sf: np.ndarray,
    design: np.ndarray,
    fit_type: FitType,
    engine: Engine,
) -> DispersionFit:
    """Gene-wise, trend, prior and MAP dispersions of non-zero genes (genes x samples).

    Raises
    ------
    InputError
        If no gene has a gene-wise dispersion well above the minimum (no trend can be fitted).
    """
    bounds = dispersion_bounds(design.shape[0])
    genewise, mu = genewise_dispersions(counts, sf, design, bounds, engine)
    means = (counts / sf).mean(axis=1)
    dispersion_trend = fit_trend(means, genewise, fit_type)
    fitted = dispersion_trend(means)
    log_variance = trend.var_log_dispersion(genewise, fitted, MIN_DISP)
    n_samples, n_coefs = design.shape
    prior_variance = engine.fit_prior_variance(genewise, fitted, n_samples, n_coefs, MIN_DISP)
    logger.info(
        "dispersion prior: varLogDispEsts=%.4f, dispPriorVar=%.4f", log_variance, prior_variance
    )
    map_disp = engine.fit_map_dispersions(
        counts, mu, design, genewise, fitted, prior_variance, bounds
    )
    outlier = dispersion_outliers(genewise, fitted, log_variance)
    logger.info(
        "MAP dispersions: %d genes keep their gene-wise estimate (outliers)", outlier.sum()
    )
    return DispersionFit(
        genewise, mu, fitted, dispersion_trend, log_variance, prior_variance, map_disp, outlier
    )


def genewise_dispersions(
    counts: np.ndarray,
    sf: np.ndarray,
    design: np.ndarray,
    bounds: DispersionBounds,
    engine: Engine,
) -> tuple[np.ndarray, np.ndarray]:
    """Gene-wise dispersions and the means they were estimated at (genes x samples)."""
    normed = counts / sf
    start = np.minimum(rough_dispersions(normed, design), moments_dispersions(normed, sf))
    start = np.clip(start, bounds.min_disp, bounds.max_disp)
    n_cells = np.unique(design, axis=0).shape[0]
    if n_cells == design.shape[1]:
        mu = glm.linear_model_mu(counts, sf, design, MIN_MU)
    else:
        fit = engine.fit_glm(counts, sf, design, start)
        mu = np.maximum(fit.mu, MIN_MU)
    genewise, _ = engine.fit_genewise_dispersions(counts, mu, design, start, bounds)
    logger.info(
        "gene-wise dispersions: median %.4g over %d genes", np.median(genewise), counts.shape[0]
    )
    return genewise, mu


def fit_trend(means: np.ndarray, genewise: np.ndarray, fit_type: FitType) -> DispersionTrend:
    """R's ``estimateDispersionsFit`` on genes with gene-wise dispersion above 100 minDisp.

    A parametric fit that fails falls back to the mean trend with a warning (R would use
    its local fit, which is not implemented).
    """
    use = genewise > 100 * MIN_DISP
    if not use.any():
        raise InputError(
            "all gene-wise dispersion estimates are within 2 orders of magnitude of the "
            "minimum, so no dispersion trend can be fitted",
            where="count matrix",
            fix="check that the samples are biological replicates with real variation",
        )
    if fit_type == "parametric":
        try:
            a0, a1 = trend.parametric_trend(means[use], genewise[use])
        except trend.TrendFitError as error:
            logger.warning("%s; using the mean dispersion as the trend instead", error)
        else:
            logger.info("dispersion trend: asymptDisp=%.5g, extraPois=%.5g", a0, a1)
            return DispersionTrend("parametric", asympt_disp=float(a0), extra_pois=float(a1))
    mean_disp = trend.mean_trend(genewise, MIN_DISP)
    logger.info("dispersion trend: mean dispersion %.5g", mean_disp)
    return DispersionTrend("mean", mean_disp=float(mean_disp))


# -- step 7: outlier replacement and refit ----------------------------------------------------


def _refit_outliers(model: DEModel, settings: DEModelSettings, engine: Engine) -> DEModel:
    design = model.design_array
    replaceable = cooks.n_or_more_in_cell(design, settings.min_replicates)
    if not settings.refit_cooks or not replaceable.any():
        logger.info(
            "count outliers: no replacement (no design cell has %d samples)",
            settings.min_replicates,
        )
        return model
    sf = model.size_factors
    counts = model.counts.T.astype(float)
    cook = np.nan_to_num(model.cooks.T, nan=0.0)
    new_counts, replaced, replaceable = cooks.replace_outliers(
        counts, sf, cook, design, settings.min_replicates
    )
    replaced &= model.nonzero
    now_zero = replaced & (new_counts == 0).all(axis=1)
    refit = replaced & ~now_zero
    updates: dict[str, np.ndarray] = {
        "replaced": replaced,
        "refitted": refit,
        "now_zero": now_zero,
        "base_mean": np.where(now_zero, 0.0, model.base_mean),
        "max_cooks": _max_cooks_after_refit(model.cooks.T, design, replaceable),
    }
    if refit.any():
        _refit_genes(model, new_counts[refit], np.flatnonzero(refit), engine, updates)
    logger.info(
        "count outliers: %d genes had counts replaced, %d refitted", replaced.sum(), refit.sum()
    )
    return dataclasses.replace(model, **updates)  # type: ignore[arg-type]


def _refit_genes(
    model: DEModel,
    counts: np.ndarray,
    genes: np.ndarray,
    engine: Engine,
    updates: dict[str, np.ndarray],
) -> None:
    """Re-run dispersions and coefficients for ``genes`` on replaced counts (trend kept)."""
    sf = model.size_factors
    design = model.design_array
    bounds = dispersion_bounds(design.shape[0])
    genewise, mu = genewise_dispersions(counts, sf, design, bounds, engine)
    means = (counts / sf).mean(axis=1)
    fitted = model.trend(means)
    map_disp = engine.fit_map_dispersions(
        counts, mu, design, genewise, fitted, model.prior_dispersion_variance, bounds
    )
    outliers = dispersion_outliers(genewise, fitted, model.log_dispersion_variance)
    final = np.where(outliers, genewise, map_disp)
    fit = engine.fit_glm(counts, sf, design, final)
    refitted = {
        "base_mean": means,
        "genewise_dispersions": genewise,
        "fitted_dispersions": fitted,
        "map_dispersions": map_disp,
        "dispersion_outlier": outliers,
        "dispersions": final,
        "converged": fit.converged,
        "coefficients": fit.beta,
    }
    for name, values in refitted.items():
        column = np.array(updates.get(name, getattr(model, name)), copy=True)
        column[genes] = values
        updates[name] = column


def _max_cooks_after_refit(
    cook: np.ndarray, design: np.ndarray, replaceable: np.ndarray
) -> np.ndarray:
    """R: no maximum when every sample was replaceable, else zero the replaceable samples."""
    if replaceable.all():
        return np.full(cook.shape[0], np.nan)
    cook = cook.copy()
    cook[:, replaceable] = 0.0
    return cooks.max_cooks(cook, design)


# -- step 8: Cook's filter flag ---------------------------------------------------------------


def _single_two_level_factor(metadata: pd.DataFrame, design: str) -> bool:
    variables = sorted(Formula(design).required_variables)
    if len(variables) != 1:
        return False
    column = metadata[variables[0]]
    categorical = not pd.api.types.is_numeric_dtype(column) or "C(" in design
    return categorical and column.nunique() == 2


def _flag_cooks_outliers(model: DEModel) -> DEModel:
    flag = cooks.cooks_filter(
        model.max_cooks,
        model.cooks_cutoff,
        model.counts.T.astype(float),
        model.cooks.T,
        _single_two_level_factor(model.metadata, model.design_formula),
    )
    logger.info(
        "Cook's filter: cutoff %.3f, %d genes flagged", model.cooks_cutoff, int(flag.sum())
    )
    return dataclasses.replace(model, cooks_outlier=flag)


# -- blind transform --------------------------------------------------------------------------


def fit_blind_trend(
    counts: np.ndarray, engine: Engine, fit_type: FitType = "parametric"
) -> tuple[np.ndarray, DispersionTrend]:
    """Size factors and dispersion trend of an intercept-only fit (R ``vst(blind = TRUE)``).

    Median-of-ratios size factors ("poscounts" with a warning when every gene has a zero,
    where R would stop), gene-wise dispersions of the non-zero genes under ``~ 1`` and R's
    trend of ``fit_type`` (a parametric trend that cannot be fitted falls back to the mean
    trend, with a warning).

    Parameters
    ----------
    counts : numpy.ndarray
        Raw counts, samples x genes.
    engine : Engine
        Runs the per-gene routines.
    fit_type : {"parametric", "mean"}
        The dispersion trend (R ``fitType``).

    Returns
    -------
    size_factors : numpy.ndarray
        Per sample.
    trend : DispersionTrend
        The fitted trend; ``trend.vst(counts / size_factors[:, None])`` is the blind VST.
    """
    values = np.asarray(counts, dtype=float)
    if ((values == 0).any(axis=0)).all():
        logger.warning(
            "every gene has a zero count in some sample: size factors by 'poscounts' "
            "(R's vst would stop here)"
        )
        sf = size_factors(values, "poscounts")
    else:
        sf = size_factors(values, "ratio")
    nonzero = (values > 0).any(axis=0)
    y = values[:, nonzero].T
    intercept = np.ones((values.shape[0], 1))
    with threadpool_limits(limits=1):
        genewise, _ = genewise_dispersions(
            y, sf, intercept, dispersion_bounds(values.shape[0]), engine
        )
    return sf, fit_trend((y / sf).mean(axis=1), genewise, fit_type)

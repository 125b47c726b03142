"""Sample-level quality control: library statistics, blind VST, PCA, correlation, outliers.

Every function takes the import stage's AnnData (samples x genes, raw integer counts in ``X``)
or the variance-stabilised matrix derived from it, and returns plain numpy / pandas objects
that the plotting module (:mod:`tmeseq.plots.qc`) and the report consume. Nothing here
writes files or touches global state.

Notes
-----
The transform mirrors R DESeq2's ``varianceStabilizingTransformation(dds, blind=TRUE)`` with
the parametric dispersion trend (size factors by median of ratios, gene-wise dispersions and
their trend fitted with an intercept-only model), computed by the DE layer's engine, the
same R-faithful routines as the DE fit.
"""

from __future__ import annotations

import logging

import anndata as ad
import numpy as np
import pandas as pd
from scipy import stats

from tmeseq.de.engine import Engine
from tmeseq.de.fit import fit_blind_trend
from tmeseq.errors import InputError

logger = logging.getLogger(__name__)

#: Scale factor turning a median absolute deviation into a normal-consistent SD estimate.
MAD_TO_SD = 1.4826
#: Columns :func:`flag_outliers` adds to the library statistics.
OUTLIER_COLUMNS = ("nearest_correlation", "outlier", "outlier_reason")


def _counts(adata: ad.AnnData) -> np.ndarray:
    """Return the raw counts of ``adata`` as a dense int64 array (a copy), checked.

    Raises
    ------
    InputError
        If the counts are negative or not whole numbers, or there are fewer than 2 samples.
    """
    x = adata.X
    x = x.toarray() if hasattr(x, "toarray") else np.asarray(x)
    if x.ndim != 2 or not np.isfinite(x).all() or (x < 0).any() or (x != np.round(x)).any():
        raise InputError(
            "the count matrix must hold finite, non-negative whole numbers",
            where="count matrix (AnnData.X)",
            fix="supply raw read counts (not normalised or log values)",
        )
    if x.shape[0] < 2:
        raise InputError(
            f"QC needs at least 2 samples, found {x.shape[0]}",
            where="sample sheet",
            fix="add more samples to the sample sheet",
        )
    return x.astype(np.int64, copy=True)


def library_stats(
    adata: ad.AnnData,
    outliers: pd.DataFrame | None = None,
    n_top_genes: int = 50,
) -> pd.DataFrame:
    """Per-sample library size, detected genes and share of counts in the top genes.

    Parameters
    ----------
    adata : anndata.AnnData
        Samples x genes, raw integer counts in ``X``; ``obs_names`` are the sample names.
    outliers : pandas.DataFrame, optional
        The output of :func:`flag_outliers`; when given, its columns ``nearest_correlation``,
        ``outlier`` and ``outlier_reason`` are added (matched by sample name).
    n_top_genes : int
        How many of each sample's own most-counted genes ``pct_top_genes`` refers to.

    Returns
    -------
    pandas.DataFrame
        One row per sample in ``adata`` order with columns ``sample``, ``library_size``
        (int, total counts), ``detected_genes`` (int, genes with count > 0) and
        ``pct_top_genes`` (percentage of the sample's counts in its ``n_top_genes`` most
        counted genes; NaN for an empty library), plus the outlier columns if requested.
    """
    counts = _counts(adata)
    library = counts.sum(axis=1)
    top = np.sort(counts, axis=1)[:, ::-1][:, :n_top_genes].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct_top = np.where(library > 0, 100.0 * top / library, np.nan)
    stats = pd.DataFrame(
        {
            "sample": adata.obs_names.astype(str),
            "library_size": library.astype(np.int64),
            "detected_genes": (counts > 0).sum(axis=1).astype(np.int64),
            "pct_top_genes": pct_top,
        }
    )
    if outliers is not None:
        stats = stats.join(outliers[list(OUTLIER_COLUMNS)], on="sample")
    return stats


def blind_vst(adata: ad.AnnData, threads: int = 1) -> np.ndarray:
    """Variance-stabilising transform blind to the design, as DESeq2 ``vst(blind=TRUE)``.

    Size factors (median of ratios), gene-wise dispersions and the parametric dispersion
    trend are fitted with the intercept-only design ``~1`` by the DE layer's engine (the
    same routines as the DE fit, :func:`tmeseq.de.fit.fit_blind_trend`), then the
    closed-form VST of that trend is applied to the normalised counts.

    Parameters
    ----------
    adata : anndata.AnnData
        Samples x genes, raw integer counts in ``X``. It is not modified.
    threads : int
        Worker processes for the per-gene fits.

    Returns
    -------
    numpy.ndarray
        Float64 array, samples x genes, on the log2 scale, for every gene of ``adata``.
        Genes with zero counts in every sample get the transform of a zero count, the
        smallest value the transform can take, constant across samples (as in DESeq2).

    Notes
    -----
    If the parametric trend cannot be fitted, the mean dispersion is used (DESeq2 would use
    a local fit), with a warning in the log.
    """
    counts = _counts(adata)
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    if not counts.any():
        raise InputError(
            "every gene has zero counts in every sample",
            where="count matrix (AnnData.X)",
            fix="check that the right count files were imported",
        )
    sf, trend = fit_blind_trend(counts, Engine(n_workers=threads))
    logger.info(
        "Blind VST on %d samples x %d genes: trend %s",
        counts.shape[0],
        counts.shape[1],
        trend.as_dict(),
    )
    return trend.vst(counts / sf[:, None])


def top_variable_genes(vst: np.ndarray, n_top: int = 500) -> np.ndarray:
    """Column indices of the ``n_top`` genes with the largest variance across samples.

    Parameters
    ----------
    vst : numpy.ndarray
        Samples x genes, variance-stabilised values.
    n_top : int
        How many genes to return; all genes if there are fewer.

    Returns
    -------
    numpy.ndarray
        Integer column indices ordered by decreasing variance; equal variances are ordered
        by increasing column index, so the result is deterministic.
    """
    if n_top < 1:
        raise ValueError(f"n_top must be >= 1, got {n_top}")
    variance = np.var(np.asarray(vst, dtype=np.float64), axis=0, ddof=1)
    order = np.argsort(-variance, kind="stable")
    return order[:n_top]


def pca(
    vst: np.ndarray,
    samples: pd.Index,
    n_top: int = 500,
    n_components: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Principal components of the most variable genes, as DESeq2 ``plotPCA``.

    The ``n_top`` most variable genes are centred (not scaled) and decomposed by SVD.

    Parameters
    ----------
    vst : numpy.ndarray
        Samples x genes, variance-stabilised values.
    samples : pandas.Index
        Sample names, in the row order of ``vst``.
    n_top : int
        Number of most variable genes used.
    n_components : int, optional
        Components to return; by default ``min(n_samples, n_genes_used, 10)``.

    Returns
    -------
    scores : pandas.DataFrame
        Columns ``sample``, ``PC1`` .. ``PCk``: the sample coordinates.
    variance : pandas.DataFrame
        Columns ``component`` (``"PC1"`` ..), ``variance_explained`` (fraction of the total
        variance of the genes used) and ``cumulative``.

    Notes
    -----
    Signs are fixed so that each component's largest-magnitude gene loading is positive.
    """
    data = np.asarray(vst, dtype=np.float64)
    if data.shape[0] != len(samples):
        raise ValueError(f"vst has {data.shape[0]} rows but {len(samples)} sample names")
    centred = data[:, top_variable_genes(data, n_top)]
    centred = centred - centred.mean(axis=0)
    k_max = min(centred.shape)
    k = min(k_max, 10) if n_components is None else n_components
    if not 1 <= k <= k_max:
        raise ValueError(f"n_components must be between 1 and {k_max}, got {k}")
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    signs = np.sign(vt[np.arange(vt.shape[0]), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1.0
    names = [f"PC{i + 1}" for i in range(k)]
    scores = pd.DataFrame((u * s * signs)[:, :k], columns=names)
    scores.insert(0, "sample", list(samples.astype(str)))
    total = float((s**2).sum())
    fraction = (s**2 / total)[:k] if total > 0 else np.zeros(k)
    variance = pd.DataFrame(
        {"component": names, "variance_explained": fraction, "cumulative": np.cumsum(fraction)}
    )
    return scores, variance


def sample_correlation(vst: np.ndarray, samples: pd.Index) -> pd.DataFrame:
    """Pearson correlation between samples over all genes of the VST matrix.

    Parameters
    ----------
    vst : numpy.ndarray
        Samples x genes, variance-stabilised values.
    samples : pandas.Index
        Sample names, in the row order of ``vst``.

    Returns
    -------
    pandas.DataFrame
        Samples x samples, symmetric, with an exact unit diagonal; index and columns are
        the sample names.
    """
    data = np.asarray(vst, dtype=np.float64)
    if data.shape[0] != len(samples):
        raise ValueError(f"vst has {data.shape[0]} rows but {len(samples)} sample names")
    corr = np.atleast_2d(np.corrcoef(data))
    corr = (corr + corr.T) / 2
    np.fill_diagonal(corr, 1.0)
    names = pd.Index(samples.astype(str), name="sample")
    return pd.DataFrame(corr, index=names, columns=names.rename(None))


def flag_outliers(
    corr: pd.DataFrame,
    z_threshold: float = 5.0,
    min_ratio: float = 3.0,
    min_samples: int = 5,
) -> pd.DataFrame:
    """Flag samples that are unlike every other sample (a conservative check).

    For each sample, ``d = 1 - r`` where ``r`` is its highest correlation with any other
    sample (its nearest neighbour). A sample is flagged when ``d`` is both more than
    ``z_threshold`` robust SDs (median / MAD) above the cohort median of ``d`` and more
    than ``min_ratio`` times that median. Using the nearest neighbour keeps samples of a
    small but replicated group (>= 2 samples) from being flagged for real biology.

    Parameters
    ----------
    corr : pandas.DataFrame
        Samples x samples correlation, from :func:`sample_correlation`.
    z_threshold : float
        Robust z-score above which ``d`` is extreme.
    min_ratio : float
        ``d`` must also exceed this multiple of the cohort median ``d``.
    min_samples : int
        With fewer samples nothing is flagged (the median and MAD would be meaningless).

    Returns
    -------
    pandas.DataFrame
        Indexed by sample, columns ``nearest_correlation`` (float), ``outlier`` (bool) and
        ``outlier_reason`` (str; empty when not flagged).
    """
    values = corr.to_numpy(dtype=np.float64, copy=True)
    np.fill_diagonal(values, -np.inf)
    nearest = values.max(axis=1)
    distance = 1.0 - nearest
    flagged = np.zeros(len(distance), dtype=bool)
    if len(distance) >= min_samples:
        median = float(np.nanmedian(distance))
        spread = MAD_TO_SD * float(np.nanmedian(np.abs(distance - median)))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (distance - median) / spread
        flagged = (z > z_threshold) & (distance > min_ratio * median)
    typical = float(np.nanmedian(nearest))
    reasons = [
        f"highest correlation with any other sample is {r:.3f} (cohort median {typical:.3f})"
        if f
        else ""
        for r, f in zip(nearest, flagged, strict=True)
    ]
    result = pd.DataFrame(
        {"nearest_correlation": nearest, "outlier": flagged, "outlier_reason": reasons},
        index=pd.Index(corr.index.astype(str), name="sample"),
    )
    if flagged.any():
        logger.warning("Possible outlier samples: %s", ", ".join(result.index[flagged]))
    return result


def add_outlier_flags(stats: pd.DataFrame, correlation: pd.DataFrame) -> pd.DataFrame:
    """Add the :func:`flag_outliers` columns to a :func:`library_stats` table.

    Parameters
    ----------
    stats : pandas.DataFrame
        From :func:`library_stats` (column ``sample``).
    correlation : pandas.DataFrame
        From :func:`sample_correlation`, for the same samples.

    Returns
    -------
    pandas.DataFrame
        ``stats`` with ``nearest_correlation``, ``outlier`` and ``outlier_reason`` added.
    """
    missing = set(stats["sample"].astype(str)) - set(correlation.index.astype(str))
    if missing:
        raise ValueError(f"no correlation for samples: {', '.join(sorted(missing))}")
    flags = flag_outliers(correlation)
    return stats.join(flags[list(OUTLIER_COLUMNS)], on="sample")


#: Columns of :func:`pc_covariate_association`.
ASSOCIATION_COLUMNS = (
    "component",
    "covariate",
    "kind",
    "n_samples",
    "r_squared",
    "pvalue",
    "note",
)


def pc_covariate_association(
    scores: pd.DataFrame,
    covariates: pd.DataFrame,
    *,
    n_components: int = 5,
    categorical: tuple[str, ...] = (),
) -> pd.DataFrame:
    """How much of each of the first principal components each covariate explains.

    A numeric covariate is fitted as a straight line (R² of the linear model, F-test of the
    slope); any other covariate, and a numeric one listed in ``categorical``, as a factor
    (one-way ANOVA: R² = between-level sum of squares / total, F-test of the levels).
    Samples without a value for the covariate are left out of its test.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`pca`: ``sample``, ``PC1`` .. ``PCk``.
    covariates : pandas.DataFrame
        Indexed by sample (every sample of ``scores``), one column per covariate.
    n_components : int
        How many leading components to test (fewer if ``scores`` has fewer).
    categorical : tuple of str
        Numeric columns to treat as factors (``de.categorical``).

    Returns
    -------
    pandas.DataFrame
        One row per component and covariate (components outer, covariates in column
        order), columns :data:`ASSOCIATION_COLUMNS`; ``kind`` is ``numeric`` or ``factor``.
        ``r_squared`` and ``pvalue`` are NaN when the covariate cannot be tested, and
        ``note`` says why (a single value, one sample per level); it is empty otherwise.

    Raises
    ------
    ValueError
        If a sample of ``scores`` has no row in ``covariates``.
    """
    samples = scores["sample"].astype(str)
    table = covariates.copy()
    table.index = table.index.astype(str)
    missing = sorted(set(samples) - set(table.index))
    if missing:
        raise ValueError(f"no covariates for samples: {', '.join(missing)}")
    table = table.loc[samples.to_numpy()]
    components = [c for c in scores.columns if str(c).startswith("PC")][:n_components]
    rows = []
    for component in components:
        pc = scores[component].to_numpy(dtype=np.float64)
        for name in table.columns:
            column = table[name]
            numeric = is_numeric_covariate(column) and name not in categorical
            fit = _numeric_fit if numeric else _factor_fit
            present = column.notna().to_numpy() & (column.astype(str) != "").to_numpy()
            r_squared, pvalue, note = fit(pc[present], column[present])
            kind = "numeric" if numeric else "factor"
            n_samples = int(present.sum())
            rows.append((component, str(name), kind, n_samples, r_squared, pvalue, note))
    return pd.DataFrame(rows, columns=list(ASSOCIATION_COLUMNS))


def is_numeric_covariate(column: pd.Series) -> bool:
    """Whether a sample-sheet column holds numbers (not booleans): a continuous covariate
    unless listed in ``de.categorical``."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _numeric_fit(pc: np.ndarray, column: pd.Series) -> tuple[float, float, str]:
    """R² and p-value of the straight line ``pc ~ value``."""
    x = column.to_numpy(dtype=np.float64)
    n = len(x)
    if n < 3 or np.ptp(x) == 0:
        return np.nan, np.nan, "a single value" if n >= 3 else "fewer than 3 samples"
    if np.ptp(pc) == 0:
        return 0.0, 1.0, ""
    r_squared = float(np.corrcoef(x, pc)[0, 1] ** 2)
    return r_squared, _f_pvalue(r_squared, 1, n - 2), ""


def _factor_fit(pc: np.ndarray, column: pd.Series) -> tuple[float, float, str]:
    """R² and p-value of the one-way ANOVA ``pc ~ level``."""
    levels = column.astype(str).to_numpy()
    names, codes = np.unique(levels, return_inverse=True)
    n, k = len(pc), len(names)
    if k < 2:
        return np.nan, np.nan, "a single value"
    if k >= n:
        return np.nan, np.nan, "one sample per level"
    total = float(((pc - pc.mean()) ** 2).sum())
    if total == 0:
        return 0.0, 1.0, ""
    means = np.bincount(codes, weights=pc) / np.bincount(codes)
    within = float(((pc - means[codes]) ** 2).sum())
    r_squared = 1.0 - within / total
    return r_squared, _f_pvalue(r_squared, k - 1, n - k), ""


def _f_pvalue(r_squared: float, df_model: int, df_residual: int) -> float:
    """p-value of the F-test of a model explaining ``r_squared`` of the variance."""
    if r_squared >= 1.0:
        return 0.0
    statistic = (r_squared / df_model) / ((1.0 - r_squared) / df_residual)
    return float(stats.f.sf(statistic, df_model, df_residual))

"""Cook's distances, count-outlier replacement and the Cook's filter, as in R DESeq2.

* Cook's distance of each count (``calculateCooksDistance``): squared Pearson residual
  under a robust method-of-moments dispersion, divided by the number of coefficients, times
  ``h / (1 - h)^2`` with ``h`` the hat-matrix diagonal.
* The per-gene maximum (``recordMaxCooks``) is taken over samples in design cells with at
  least 3 samples; without such samples it is missing, so nothing is flagged.
* Replacement (``replaceOutliers``): counts with Cook's distance above the 0.99 quantile of
  F(p, m - p) are replaced by the 20 %-trimmed mean of normalised counts times the size
  factor (truncated to an integer), in samples of cells with at least ``min_replicates``.
* The filter (``results``): genes whose maximum exceeds the cutoff get no p-value, except,
  in designs with a single two-level factor, when 3 or more samples have a higher count
  than the outlier.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import f as f_distribution

from tmeseq.de.rstats import design_cells, n_or_more_in_cell, r_trimmed_mean

#: Minimum dispersion of the robust moments estimate used for Cook's distances.
MIN_ROBUST_DISP = 0.04


def cooks_cutoff(n_samples: int, n_coefs: int) -> float:
    """R's default cutoff: the 0.99 quantile of F(p, m - p)."""
    return float(f_distribution.ppf(0.99, n_coefs, n_samples - n_coefs))


def _trim_for(n: int) -> tuple[float, float]:
    """Trim fraction and variance scale R uses for a cell of ``n`` samples."""
    if n <= 3.5:
        return 1 / 3, 2.04
    if n <= 23.5:
        return 1 / 4, 1.86
    return 1 / 8, 1.51


def _trimmed_cell_variance(normed: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Largest, over cells, of the scaled trimmed variance within the cell."""
    variances = []
    for cell in np.unique(cells):
        values = normed[:, cells == cell]
        trim, scale = _trim_for(values.shape[1])
        centre = r_trimmed_mean(values, trim, axis=1)
        squared = (values - centre[:, None]) ** 2
        variances.append(scale * r_trimmed_mean(squared, trim, axis=1))
    return np.max(np.column_stack(variances), axis=1)


def robust_dispersions(normed: np.ndarray, design: np.ndarray) -> np.ndarray:
    """R's ``robustMethodOfMomentsDisp``: trimmed within-cell variance, floor 0.04.

    Parameters
    ----------
    normed : numpy.ndarray
        Normalised counts, genes x samples.
    design : numpy.ndarray
        Samples x coefficients.

    Returns
    -------
    numpy.ndarray
        Per-gene dispersion used in Cook's distances.
    """
    in_big_cells = n_or_more_in_cell(design, 3)
    if in_big_cells.any():
        cells = design_cells(design)
        variance = _trimmed_cell_variance(normed[:, in_big_cells], cells[in_big_cells])
    else:
        centre = r_trimmed_mean(normed, 1 / 8, axis=1)
        variance = 1.51 * r_trimmed_mean((normed - centre[:, None]) ** 2, 1 / 8, axis=1)
    mean = normed.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = (variance - mean) / mean**2
    return np.maximum(alpha, MIN_ROBUST_DISP)


def cooks_distances(
    counts: np.ndarray,
    mu: np.ndarray,
    hat: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
) -> np.ndarray:
    """Cook's distance of every count (genes x samples).

    Parameters
    ----------
    counts : numpy.ndarray
        Raw counts, genes x samples.
    mu : numpy.ndarray
        Fitted means (not bounded).
    hat : numpy.ndarray
        Hat-matrix diagonals from the GLM fit.
    size_factors : numpy.ndarray
        Per sample.
    design : numpy.ndarray
        Samples x coefficients.

    Returns
    -------
    numpy.ndarray
        Cook's distances.
    """
    dispersion = robust_dispersions(counts / size_factors, design)
    variance = mu + dispersion[:, None] * mu**2
    pearson_sq = (counts - mu) ** 2 / variance
    return pearson_sq / design.shape[1] * hat / (1.0 - hat) ** 2


def max_cooks(cooks: np.ndarray, design: np.ndarray) -> np.ndarray:
    """Per-gene maximum Cook's distance over samples in cells of 3 or more (else NaN)."""
    use = n_or_more_in_cell(design, 3)
    n_samples, n_coefs = design.shape
    if n_samples <= n_coefs or not use.any():
        return np.full(cooks.shape[0], np.nan)
    return cooks[:, use].max(axis=1)


def replace_outliers(
    counts: np.ndarray,
    size_factors: np.ndarray,
    cooks: np.ndarray,
    design: np.ndarray,
    min_replicates: int,
    trim: float = 0.2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replace outlier counts as R's ``replaceOutliers``.

    Parameters
    ----------
    counts : numpy.ndarray
        Raw counts, genes x samples.
    size_factors : numpy.ndarray
        Per sample.
    cooks : numpy.ndarray
        Cook's distances, genes x samples.
    design : numpy.ndarray
        Samples x coefficients.
    min_replicates : int
        Only samples in cells of at least this size are replaced.
    trim : float
        Trim fraction of the replacement mean.

    Returns
    -------
    new_counts : numpy.ndarray
        Counts with outliers replaced in replaceable samples.
    replaced : numpy.ndarray
        Per gene: some count has a Cook's distance above the cutoff (in any sample).
    replaceable : numpy.ndarray
        Per sample: in a cell of at least ``min_replicates``.
    """
    n_samples, n_coefs = design.shape
    replaceable = n_or_more_in_cell(design, min_replicates)
    if n_samples <= n_coefs:
        return counts.copy(), np.zeros(counts.shape[0], dtype=bool), replaceable
    outlier = cooks > cooks_cutoff(n_samples, n_coefs)
    replaced = np.asarray(outlier.any(axis=1))
    trimmed = r_trimmed_mean(counts / size_factors, trim, axis=1)
    replacement = np.trunc(trimmed[:, None] * size_factors[None, :])
    new_counts = counts.astype(float).copy()
    swap = outlier & replaceable[None, :]
    new_counts[swap] = replacement[swap]
    return new_counts, replaced, replaceable


def cooks_filter(
    max_cooks_values: np.ndarray,
    cutoff: float,
    counts: np.ndarray,
    cooks: np.ndarray,
    single_two_level_factor: bool,
) -> np.ndarray:
    """Genes whose p-value R sets to NA because of a Cook's outlier.

    Parameters
    ----------
    max_cooks_values : numpy.ndarray
        Per-gene maximum Cook's distance (NaN: not assessed).
    cutoff : float
        Cook's cutoff.
    counts : numpy.ndarray
        Original counts, genes x samples.
    cooks : numpy.ndarray
        Cook's distances, genes x samples (NaN rows for all-zero genes).
    single_two_level_factor : bool
        The design has one variable, a factor with two levels: then genes where 3 or more
        samples have a higher count than the outlier keep their p-value.

    Returns
    -------
    numpy.ndarray
        Boolean per gene.
    """
    with np.errstate(invalid="ignore"):
        outlier = np.nan_to_num(max_cooks_values, nan=-np.inf) > cutoff
    if single_two_level_factor and outlier.any():
        for gene in np.flatnonzero(outlier):
            worst = counts[gene, np.nanargmax(cooks[gene])]
            if np.sum(counts[gene] > worst) >= 3:
                outlier[gene] = False
    return outlier

"""Small statistical helpers that behave exactly like their R counterparts.

DESeq2 leans on a handful of base-R functions whose conventions differ from the numpy/scipy
defaults (the MAD constant, trimmed means, how ``p.adjust`` counts missing p-values, the
negative binomial log density). Each function here documents the R behaviour it follows.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln

#: The consistency constant of R's ``mad()`` (exactly 1.4826, not 1/qnorm(0.75)).
R_MAD_CONSTANT = 1.4826


def r_mad(x: np.ndarray) -> float:
    """Median absolute deviation, scaled as R's ``mad(x)`` (centre: the median).

    Parameters
    ----------
    x : numpy.ndarray
        Values; NaNs are dropped first, as ``mad(x, na.rm = TRUE)``.

    Returns
    -------
    float
        ``1.4826 * median(|x - median(x)|)``.
    """
    values = np.asarray(x, dtype=float)
    values = values[~np.isnan(values)]
    return float(R_MAD_CONSTANT * np.median(np.abs(values - np.median(values))))


def r_trimmed_mean(x: np.ndarray, trim: float, axis: int = -1) -> np.ndarray:
    """Trimmed mean along ``axis`` as R's ``mean(x, trim = trim)``.

    ``floor(n * trim)`` values are dropped at each end; ``trim >= 0.5`` gives the median.

    Parameters
    ----------
    x : numpy.ndarray
        Values.
    trim : float
        Fraction trimmed from each end.
    axis : int
        Axis along which to average.

    Returns
    -------
    numpy.ndarray
        The trimmed means.
    """
    values = np.asarray(x, dtype=float)
    if trim >= 0.5:
        return np.median(values, axis=axis)
    n = values.shape[axis]
    cut = int(np.floor(n * trim))
    ordered = np.sort(values, axis=axis)
    kept = np.take(ordered, np.arange(cut, n - cut), axis=axis)
    return kept.mean(axis=axis)


def bh_adjust(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values as R's ``p.adjust(p, method = "BH")``.

    Missing p-values stay missing and do not count towards the number of tests.

    Parameters
    ----------
    pvalues : numpy.ndarray
        Raw p-values, NaN for untested genes.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, NaN where the input was NaN.
    """
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    n = int(tested.sum())
    if n == 0:
        return adjusted
    values = p[tested]
    order = np.argsort(-values, kind="stable")
    ranks = np.arange(n, 0, -1)
    scaled = np.minimum.accumulate(n / ranks * values[order])
    result = np.empty(n)
    result[order] = np.minimum(scaled, 1.0)
    adjusted[tested] = result
    return adjusted


def nb_log_density(counts: np.ndarray, mu: np.ndarray, size: np.ndarray | float) -> np.ndarray:
    """Log density of the negative binomial with mean ``mu`` and ``size`` (R ``dnbinom``).

    Written with ``betaln``/``log1p`` so that it stays accurate for very large ``size``
    (dispersions near the 1e-8 floor), as R's ``dnbinom_mu`` does.

    Parameters
    ----------
    counts : numpy.ndarray
        Observed counts.
    mu : numpy.ndarray
        Means (broadcast against ``counts``).
    size : numpy.ndarray
        ``1 / dispersion`` (broadcast against ``counts``).

    Returns
    -------
    numpy.ndarray
        ``log P(Y = counts)``, elementwise.
    """
    y = np.asarray(counts, dtype=float)
    mu = np.asarray(mu, dtype=float)
    size = np.asarray(size, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        binomial = -betaln(y + 1.0, size) - np.log(y + size)
        size_part = -size * np.log1p(mu / size)
        count_part = np.where(y > 0, y * (np.log(mu) - np.log(size + mu)), 0.0)
    return binomial + size_part + count_part


def n_or_more_in_cell(design: np.ndarray, n: int) -> np.ndarray:
    """Which samples share their design-matrix row with at least ``n`` samples.

    R DESeq2's ``nOrMoreInCell``: a "cell" is a set of samples with identical rows of the
    model matrix.

    Parameters
    ----------
    design : numpy.ndarray
        Model matrix, samples x coefficients.
    n : int
        Minimum cell size.

    Returns
    -------
    numpy.ndarray
        Boolean per sample.
    """
    _, inverse, sizes = np.unique(design, axis=0, return_inverse=True, return_counts=True)
    return sizes[np.ravel(inverse)] >= n


def design_cells(design: np.ndarray) -> np.ndarray:
    """Cell index of each sample (samples with identical design rows share an index).

    Indices follow the order in which cells first appear, as R's
    ``factor(cells, levels = unique(cells))``.

    Parameters
    ----------
    design : numpy.ndarray
        Model matrix, samples x coefficients.

    Returns
    -------
    numpy.ndarray
        Integer cell index per sample, 0-based.
    """
    _, first, inverse = np.unique(design, axis=0, return_index=True, return_inverse=True)
    appearance = np.argsort(np.argsort(first))
    return appearance[np.ravel(inverse)]

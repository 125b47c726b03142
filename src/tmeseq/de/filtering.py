"""Independent filtering of p-values by mean count, as R DESeq2's ``results()`` does it.

DESeq2 (``pvalueAdjustment`` with ``filtered_p``) tries 50 mean-count quantiles ``theta``
as filter thresholds, adjusts the p-values of the genes passing each one with
Benjamini-Hochberg, counts rejections at ``alpha``, smooths that count with R's ``lowess``
(``f = 1/5``) and picks the first threshold whose count exceeds the smoothed maximum
minus the root mean squared residual of the smoother. PyDESeq2 follows the same idea with a
different local regression, which moves the chosen threshold; here R's ``lowess`` (the
Cleveland 1979 algorithm of ``clowess``) is reimplemented so the threshold matches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tmeseq.de.rstats import bh_adjust

#: Number of thresholds R tries.
N_THETA = 50
#: Span of the lowess smoother R applies to the rejection counts.
LOWESS_SPAN = 1 / 5


@dataclass(frozen=True)
class FilterResult:
    """Outcome of independent filtering.

    Attributes
    ----------
    padj : numpy.ndarray
        Adjusted p-values at the chosen threshold (NaN for filtered-out genes).
    threshold : float
        The chosen mean-count threshold (R: ``metadata(res)$filterThreshold``).
    theta : float
        The quantile the threshold corresponds to (R: ``filterTheta``).
    thetas : numpy.ndarray
        All quantiles tried.
    rejections : numpy.ndarray
        Number of adjusted p-values below ``alpha`` at each quantile.
    smoothed : numpy.ndarray
        The lowess fit of ``rejections`` on ``thetas``.
    """

    padj: np.ndarray
    threshold: float
    theta: float
    thetas: np.ndarray
    rejections: np.ndarray
    smoothed: np.ndarray


def r_lowess(
    x: np.ndarray,
    y: np.ndarray,
    f: float = 2 / 3,
    iterations: int = 3,
    delta: float | None = None,
) -> np.ndarray:
    """Robust locally weighted regression, as R's ``stats::lowess``.

    Parameters
    ----------
    x, y : numpy.ndarray
        The scatterplot; ``x`` need not be sorted.
    f : float
        Smoother span: the fraction of points in each local fit.
    iterations : int
        Number of robustifying iterations.
    delta : float, optional
        Points closer than ``delta`` to the last fitted point are interpolated instead of
        fitted (default ``0.01 * (max(x) - min(x))``, as R).

    Returns
    -------
    numpy.ndarray
        The fitted values, in the order of the input points.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    if delta is None:
        delta = 0.01 * (xs[-1] - xs[0]) if xs.size else 0.0
    fitted_sorted = _clowess(xs, ys, f, iterations, delta)
    fitted = np.empty_like(fitted_sorted)
    fitted[order] = fitted_sorted
    return fitted


def _clowess(x: np.ndarray, y: np.ndarray, f: float, iterations: int, delta: float) -> np.ndarray:
    """Cleveland's lowess on sorted ``x``: local fits, then robustness reweighting."""
    n = x.size
    if n < 2:
        return y.copy()
    span = max(2, min(n, int(f * n + 1e-7)))
    robustness = np.ones(n)
    fitted = np.zeros(n)
    for step in range(iterations + 1):
        _lowess_pass(x, y, span, delta, robustness if step > 0 else None, fitted)
        residuals = y - fitted
        if step == iterations:
            break
        scale = np.abs(residuals).mean()
        cmad = 6.0 * np.median(np.abs(residuals))
        if cmad < 1e-7 * scale:
            break
        robustness = _bisquare(np.abs(residuals), cmad)
    return fitted


def _bisquare(r: np.ndarray, cmad: float) -> np.ndarray:
    """Robustness weights of lowess: 1 near zero, 0 beyond ``cmad``, bisquare between."""
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = (1.0 - (r / cmad) ** 2) ** 2
    weights = np.where(r <= 0.001 * cmad, 1.0, weights)
    return np.where(r > 0.999 * cmad, 0.0, weights)


def _lowess_pass(
    x: np.ndarray,
    y: np.ndarray,
    span: int,
    delta: float,
    robustness: np.ndarray | None,
    fitted: np.ndarray,
) -> None:
    """One sweep of local fits along sorted ``x``, writing into ``fitted``."""
    n = x.size
    left, right, last, i = 0, span - 1, -1, 0
    while True:
        while right < n - 1 and x[i] - x[left] > x[right + 1] - x[i]:
            left += 1
            right += 1
        value = _local_fit(x, y, i, left, right, robustness)
        fitted[i] = y[i] if value is None else value
        if last < i - 1:
            share = (x[last + 1 : i] - x[last]) / (x[i] - x[last])
            fitted[last + 1 : i] = share * fitted[i] + (1.0 - share) * fitted[last]
        last = i
        cut = x[last] + delta
        i = last + 1
        while i < n and x[i] <= cut:
            if x[i] == x[last]:
                fitted[i] = fitted[last]
                last = i
            i += 1
        i = max(last + 1, i - 1)
        if last >= n - 1:
            return


def _local_fit(
    x: np.ndarray,
    y: np.ndarray,
    i: int,
    left: int,
    right: int,
    robustness: np.ndarray | None,
) -> float | None:
    """Tricube-weighted local linear fit at ``x[i]`` over the window ``left..right``."""
    n = x.size
    xi = x[i]
    h = max(xi - x[left], x[right] - xi)
    stop = left
    while stop < n and not (abs(x[stop] - xi) > 0.999 * h and x[stop] > xi):
        stop += 1
    window = slice(left, stop)
    distance = np.abs(x[window] - xi)
    weights = np.where(distance <= 0.001 * h, 1.0, (1.0 - (distance / max(h, 1e-300)) ** 3) ** 3)
    weights = np.where(distance <= 0.999 * h, weights, 0.0)
    if robustness is not None:
        weights = weights * robustness[window]
    total = weights.sum()
    if total <= 0:
        return None
    weights = weights / total
    if h > 0:
        centre = float(np.sum(weights * x[window]))
        spread = float(np.sum(weights * (x[window] - centre) ** 2))
        if np.sqrt(spread) > 0.001 * (x[-1] - x[0]):
            slope = (xi - centre) / spread
            weights = weights * (slope * (x[window] - centre) + 1.0)
    return float(np.sum(weights * y[window]))


def filtered_padj(
    filter_stat: np.ndarray, pvalues: np.ndarray, thetas: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """BH-adjusted p-values after filtering at each quantile of ``filter_stat``.

    Parameters
    ----------
    filter_stat : numpy.ndarray
        The filter statistic per gene (DESeq2: the mean of normalised counts).
    pvalues : numpy.ndarray
        Raw p-values (NaN for untested genes).
    thetas : numpy.ndarray
        Quantiles of ``filter_stat`` to use as thresholds.

    Returns
    -------
    padj : numpy.ndarray
        Genes x thresholds; NaN where a gene is filtered out or untested.
    cutoffs : numpy.ndarray
        The threshold values (R ``quantile`` type 7).
    """
    cutoffs = np.quantile(filter_stat, thetas)
    padj = np.full((filter_stat.size, cutoffs.size), np.nan)
    for k, cutoff in enumerate(cutoffs):
        use = filter_stat >= cutoff
        if use.any():
            padj[use, k] = bh_adjust(pvalues[use])
    return padj, cutoffs


def default_thetas(filter_stat: np.ndarray) -> np.ndarray:
    """The 50 quantiles DESeq2 tries: from the share of zero means up to 0.95 (or 1)."""
    lower = float(np.mean(filter_stat == 0))
    upper = 0.95 if lower < 0.95 else 1.0
    return np.linspace(lower, upper, N_THETA)


def choose_threshold(thetas: np.ndarray, rejections: np.ndarray) -> tuple[int, np.ndarray]:
    """Index of the threshold DESeq2 picks, and the lowess fit of the rejection counts.

    Parameters
    ----------
    thetas : numpy.ndarray
        Quantiles tried (increasing).
    rejections : numpy.ndarray
        Rejections at each quantile.

    Returns
    -------
    index : int
        Position in ``thetas`` of the chosen threshold.
    smoothed : numpy.ndarray
        The lowess fit.
    """
    smoothed = r_lowess(thetas, rejections.astype(float), f=LOWESS_SPAN)
    if rejections.max() <= 10:
        return 0, smoothed
    positive = rejections > 0
    residual = rejections[positive] - smoothed[positive] if positive.any() else np.zeros(1)
    limit = smoothed.max() - np.sqrt(np.mean(residual**2))
    above = np.flatnonzero(rejections > limit)
    return (int(above[0]) if above.size else 0), smoothed


def independent_filtering(
    base_mean: np.ndarray,
    pvalues: np.ndarray,
    alpha: float,
    thetas: np.ndarray | None = None,
) -> FilterResult:
    """Adjust p-values with DESeq2's independent filtering on the mean count.

    Parameters
    ----------
    base_mean : numpy.ndarray
        Mean of normalised counts per gene (all genes, including all-zero ones).
    pvalues : numpy.ndarray
        Raw p-values, NaN for untested genes.
    alpha : float
        Significance level the number of rejections is counted at.
    thetas : numpy.ndarray, optional
        Quantiles to try (default: :func:`default_thetas`).

    Returns
    -------
    FilterResult
        Adjusted p-values and the filtering diagnostics.
    """
    base_mean = np.asarray(base_mean, dtype=float)
    pvalues = np.asarray(pvalues, dtype=float)
    thetas = default_thetas(base_mean) if thetas is None else np.asarray(thetas, dtype=float)
    padj, cutoffs = filtered_padj(base_mean, pvalues, thetas)
    rejections = np.sum(padj < alpha, axis=0)
    index, smoothed = choose_threshold(thetas, rejections)
    return FilterResult(
        padj=padj[:, index],
        threshold=float(cutoffs[index]),
        theta=float(thetas[index]),
        thetas=thetas,
        rejections=rejections,
        smoothed=smoothed,
    )

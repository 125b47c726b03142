"""Dispersion trend and dispersion prior variance, as R DESeq2 estimates them.

Parametric trend (R ``parametricDispersionFit``): ``alpha(mean) = asymptDisp + extraPois /
mean``, fitted by a gamma-family GLM with identity link on ``1/mean`` (R's ``glm``), using
only genes whose gene-wise dispersion exceeds ``100 * minDisp``. Starting from coefficients
(0.1, 1), each round keeps the genes whose ratio of gene-wise dispersion to the current
curve lies in (1e-4, 15) and refits, until the coefficients change by less than 1e-6 in
squared log-ratio and the GLM has converged (at most 11 rounds).

Prior variance of ``log(alpha)`` (R ``estimateDispersionsPriorVar``): the squared MAD of the
log residuals of genes with gene-wise dispersion >= ``100 * minDisp``, minus the expected
sampling variance ``trigamma((m - p) / 2)``, at least 0.25. With three or fewer residual
degrees of freedom R instead matches the residual histogram to simulated
``log(chi^2_df / df) + N(0, v)`` distributions by Kullback-Leibler divergence over a grid of
``v``; :func:`prior_variance_few_df` reproduces that simulation draw for draw (R's random
stream, :mod:`tmeseq.de.rrandom`) and R's loess smoother (:mod:`tmeseq.de.loess`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import polygamma

from tmeseq.de.loess import loess_interpolate
from tmeseq.de.rrandom import RStream
from tmeseq.de.rstats import r_mad, r_trimmed_mean

#: Genes whose ratio to the current trend is outside (low, high) are left out of the next fit.
RATIO_LIMITS = (1e-4, 15.0)
#: R's ``glm.control()`` defaults.
GLM_EPSILON = 1e-8
GLM_MAXIT = 25


class TrendFitError(RuntimeError):
    """The parametric dispersion trend could not be fitted (R would switch to 'local')."""


@dataclass(frozen=True)
class GammaGLMFit:
    """Coefficients of a gamma GLM with identity link and whether IRLS converged."""

    coefficients: np.ndarray
    converged: bool


def gamma_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """Total deviance of a gamma GLM (R ``Gamma()$dev.resids`` summed)."""
    ratio = np.where(y == 0, 1.0, y / mu)
    return float(np.sum(-2.0 * (np.log(ratio) - (y - mu) / mu)))


def gamma_identity_glm(x: np.ndarray, y: np.ndarray, start: np.ndarray) -> GammaGLMFit:
    """Fit ``y ~ 1 + x`` with a gamma family and identity link, as R's ``glm.fit``.

    IRLS with working weights ``1/mu^2`` and working response ``y``; step halving when a step
    leaves the valid region (non-positive or non-finite means, infinite deviance);
    convergence when the relative change of the deviance is below 1e-8.

    Parameters
    ----------
    x : numpy.ndarray
        The covariate (DESeq2: ``1 / mean``).
    y : numpy.ndarray
        The response (gene-wise dispersions).
    start : numpy.ndarray
        Starting coefficients (intercept, slope).

    Returns
    -------
    GammaGLMFit
        Coefficients and convergence flag.

    Raises
    ------
    TrendFitError
        If the starting values give invalid means or a step cannot be repaired.
    """
    design = np.column_stack([np.ones_like(x), x])
    coef = np.asarray(start, dtype=float)
    mu = design @ coef
    if not _valid(mu):
        raise TrendFitError("cannot find valid starting values for the gamma GLM")
    deviance_old = gamma_deviance(y, mu)
    previous = coef
    for _ in range(GLM_MAXIT):
        weights = 1.0 / mu
        coef, *_ = np.linalg.lstsq(design * weights[:, None], y * weights, rcond=None)
        coef, mu, deviance = _repair_step(design, y, coef, previous)
        if abs(deviance - deviance_old) / (abs(deviance) + 0.1) < GLM_EPSILON:
            return GammaGLMFit(coef, True)
        deviance_old, previous = deviance, coef
    return GammaGLMFit(coef, False)


def _valid(mu: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(mu)) and np.all(mu > 0))


def _repair_step(
    design: np.ndarray, y: np.ndarray, coef: np.ndarray, previous: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Halve the step towards ``previous`` until the means and deviance are valid."""
    for _ in range(GLM_MAXIT + 1):
        mu = design @ coef
        if _valid(mu):
            deviance = gamma_deviance(y, mu)
            if np.isfinite(deviance):
                return coef, mu, deviance
        coef = (coef + previous) / 2.0
    raise TrendFitError("the gamma GLM step could not be corrected")


def parametric_trend(means: np.ndarray, dispersions: np.ndarray) -> np.ndarray:
    """Coefficients ``(asymptDisp, extraPois)`` of R's parametric dispersion trend.

    Parameters
    ----------
    means : numpy.ndarray
        Mean normalised counts of the genes used for the fit.
    dispersions : numpy.ndarray
        Their gene-wise dispersions (all above ``100 * minDisp``).

    Returns
    -------
    numpy.ndarray
        ``[asymptDisp, extraPois]``.

    Raises
    ------
    TrendFitError
        If a coefficient is not positive or the rounds do not converge.
    """
    coefs = np.array([0.1, 1.0])
    low, high = RATIO_LIMITS
    for _ in range(11):
        ratio = dispersions / (coefs[0] + coefs[1] / means)
        good = (ratio > low) & (ratio < high)
        fit = gamma_identity_glm(1.0 / means[good], dispersions[good], coefs)
        previous, coefs = coefs, fit.coefficients
        if not np.all(coefs > 0):
            raise TrendFitError("parametric dispersion fit failed (a coefficient is not positive)")
        if np.sum(np.log(coefs / previous) ** 2) < 1e-6 and fit.converged:
            return coefs
    raise TrendFitError("parametric dispersion fit did not converge")


def mean_trend(dispersions: np.ndarray, min_disp: float) -> float:
    """R's ``fitType = "mean"``: 0.1 %-trimmed mean of the dispersions above ``10 * minDisp``."""
    use = dispersions > 10 * min_disp
    return float(r_trimmed_mean(dispersions[use], trim=0.001))


def var_log_dispersion(genewise: np.ndarray, fitted: np.ndarray, min_disp: float) -> float:
    """R's ``varLogDispEsts``: squared MAD of the log residuals (gene-wise >= 100 minDisp)."""
    above = genewise >= min_disp * 100
    return r_mad(np.log(genewise[above]) - np.log(fitted[above])) ** 2


def prior_variance(
    genewise: np.ndarray,
    fitted: np.ndarray,
    n_samples: int,
    n_coefs: int,
    min_disp: float,
    seed: int = 2,
) -> float:
    """Prior variance of ``log(alpha)`` as R's ``estimateDispersionsPriorVar``.

    Parameters
    ----------
    genewise, fitted : numpy.ndarray
        Gene-wise dispersions and trend values of the non-zero genes.
    n_samples, n_coefs : int
        Rows and columns of the model matrix.
    min_disp : float
        R ``minDisp``.
    seed : int
        Seed of the simulation used when there are three or fewer residual degrees of
        freedom (R uses ``set.seed(2)``).

    Returns
    -------
    float
        The prior variance.
    """
    variance = var_log_dispersion(genewise, fitted, min_disp)
    df = n_samples - n_coefs
    if df <= 0:
        return variance
    if df <= 3:
        above = genewise >= min_disp * 100
        residuals = np.log(genewise[above]) - np.log(fitted[above])
        return prior_variance_few_df(residuals, df, seed)
    return max(variance - float(polygamma(1, df / 2)), 0.25)


def prior_variance_few_df(residuals: np.ndarray, df: int, seed: int = 2) -> float:
    """R's estimate for ``df <= 3``: the KL-closest simulated residual distribution.

    For each of 200 candidate variances ``v`` in [0, 8], 10,000 draws of
    ``log(chi^2_df) + N(0, v) - log(df)`` (R's random stream after ``set.seed(seed)``) are
    binned like the observed residuals (bins of width 0.5 on (-10, 10)); the
    Kullback-Leibler divergence from the observed histogram is smoothed with R's ``loess``
    (span 0.2) and minimised on a 1000-point grid. The result is at least 0.25.

    Parameters
    ----------
    residuals : numpy.ndarray
        Log residuals ``log(genewise) - log(fitted)``.
    df : int
        Residual degrees of freedom (1, 2 or 3).
    seed : int
        R's seed (DESeq2 uses 2).

    Returns
    -------
    float
        The prior variance.
    """
    breaks = np.arange(-20, 21) / 2.0
    observed = residuals[(residuals > breaks[0]) & (residuals < breaks[-1])]
    observed_density = _hist_density(observed, breaks)
    grid = np.linspace(0.0, 8.0, 200)
    stream = RStream(seed)
    divergences = np.array(
        [_kl_divergence(observed_density, _simulate(stream, df, v, breaks), breaks) for v in grid]
    )
    fine = np.linspace(0.0, 8.0, 1000)
    smoothed = loess_interpolate(grid, divergences, fine, span=0.2)
    return max(float(fine[np.argmin(smoothed)]), 0.25)


def _simulate(stream: RStream, df: int, variance: float, breaks: np.ndarray) -> np.ndarray:
    draws = np.log(stream.chisq(10_000, df)) + stream.normal(10_000, np.sqrt(variance))
    draws -= np.log(df)
    return draws[(draws > breaks[0]) & (draws < breaks[-1])]


def _hist_density(values: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Density of R's ``hist(values, breaks, plot = FALSE)`` (right-closed bins, with R's
    ``1e-7`` relative fuzz on the breaks)."""
    fuzz = 1e-7 * np.median(np.diff(breaks))
    fuzzy = breaks + fuzz
    fuzzy[0] = breaks[0] - fuzz
    index = np.searchsorted(fuzzy, values, side="left") - 1
    index = np.clip(index, 0, breaks.size - 2)
    counts = np.bincount(index, minlength=breaks.size - 1)
    return counts / (values.size * np.diff(breaks))


def _kl_divergence(observed: np.ndarray, simulated: np.ndarray, breaks: np.ndarray) -> float:
    simulated_density = _hist_density(simulated, breaks)
    both = np.concatenate([observed, simulated_density])
    small = both[both > 0].min()
    return float(np.sum(observed * (np.log(observed + small) - np.log(simulated_density + small))))

"""Gene-wise and maximum-a-posteriori dispersions with R DESeq2's algorithm.

R DESeq2 does not hand the dispersion likelihood to a generic optimiser: its C++ ``fitDisp``
runs a gradient line search on ``log(alpha)`` with an Armijo acceptance rule and stops when
the log posterior improves by less than ``1e-6``; genes where that search does not settle are
re-estimated on a grid (``fitDispGrid``). For flat likelihoods (low counts, few samples) the
point where the search stops is not the exact optimum that L-BFGS-B finds, so reproducing R
means reproducing the search. This module does so for all genes at once.

The objective (``log_posterior``) is the negative binomial log likelihood in ``alpha`` (terms
free of ``alpha`` dropped), the Cox-Reid adjustment ``-1/2 log det(X'WX)`` with
``W = 1 / (1/mu + alpha)``, and, for the MAP step, a normal prior on ``log(alpha)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from tmeseq.de.linalg import weighted_crossprod

#: Armijo sufficient-decrease constant of R's line search.
ARMIJO = 1e-4
#: Bounds R's line search keeps ``log(alpha)`` within.
LOG_ALPHA_BOUNDS = (-30.0, 10.0)
#: Points of each of the two grids of R's ``fitDispGrid``.
GRID_POINTS = 20


@dataclass(frozen=True)
class LogPosterior:
    """Log posterior of ``log(alpha)`` for a set of genes.

    Attributes
    ----------
    counts : numpy.ndarray
        Genes x samples.
    mu : numpy.ndarray
        Fitted means, genes x samples.
    design : numpy.ndarray
        Samples x coefficients (for the Cox-Reid term).
    prior_mean : numpy.ndarray or None
        Prior mean of ``log(alpha)`` per gene; None for no prior.
    prior_var : float
        Prior variance of ``log(alpha)``.
    """

    counts: np.ndarray
    mu: np.ndarray
    design: np.ndarray
    prior_mean: np.ndarray | None = None
    prior_var: float = 1.0

    def value(self, log_alpha: np.ndarray, genes: np.ndarray) -> np.ndarray:
        """Log posterior at ``log_alpha`` for the genes indexed by ``genes``."""
        y, mu = self.counts[genes], self.mu[genes]
        alpha = np.exp(log_alpha)[:, None]
        inv = 1.0 / alpha
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            likelihood = np.sum(
                gammaln(y + inv)
                - gammaln(inv)
                - y * np.log(mu + inv)
                - inv * np.log(1.0 + mu * alpha),
                axis=1,
            )
        weights = 1.0 / (1.0 / mu + alpha)
        _, logdet = np.linalg.slogdet(weighted_crossprod(self.design, weights))
        return likelihood - 0.5 * logdet + self._prior(log_alpha, genes)

    def gradient(self, log_alpha: np.ndarray, genes: np.ndarray) -> np.ndarray:
        """Derivative of the log posterior with respect to ``log(alpha)``."""
        y, mu = self.counts[genes], self.mu[genes]
        alpha = np.exp(log_alpha)[:, None]
        inv = 1.0 / alpha
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            terms = (
                digamma(inv)
                + np.log(1.0 + mu * alpha)
                - mu * alpha / (1.0 + mu * alpha)
                - digamma(y + inv)
                + y / (mu + inv)
            )
            likelihood = np.sum(terms, axis=1) / alpha[:, 0] ** 2
        weights = 1.0 / (1.0 / mu + alpha)
        information = weighted_crossprod(self.design, weights)
        derivative = weighted_crossprod(self.design, -(weights**2))
        trace = np.trace(np.linalg.solve(information, derivative), axis1=1, axis2=2)
        cox_reid = -0.5 * trace
        prior = 0.0
        if self.prior_mean is not None:
            prior = -(log_alpha - self.prior_mean[genes]) / self.prior_var
        return (likelihood + cox_reid) * alpha[:, 0] + prior

    def _prior(self, log_alpha: np.ndarray, genes: np.ndarray) -> np.ndarray | float:
        if self.prior_mean is None:
            return 0.0
        return -0.5 * (log_alpha - self.prior_mean[genes]) ** 2 / self.prior_var


@dataclass(frozen=True)
class LineSearchFit:
    """Result of R's dispersion line search.

    Attributes
    ----------
    log_alpha : numpy.ndarray
        Final ``log(alpha)`` per gene.
    iterations : numpy.ndarray
        Proposals tried per gene (R's ``iter``).
    initial_lp, last_lp : numpy.ndarray
        Log posterior at the start and at the end.
    """

    log_alpha: np.ndarray
    iterations: np.ndarray
    initial_lp: np.ndarray
    last_lp: np.ndarray


def line_search(
    posterior: LogPosterior,
    log_alpha: np.ndarray,
    min_log_alpha: float,
    *,
    kappa0: float = 1.0,
    tol: float = 1e-6,
    maxit: int = 100,
) -> LineSearchFit:
    """Maximise the log posterior of ``log(alpha)`` per gene as R's ``fitDisp``.

    Each gene steps along the gradient; a step ``kappa`` is accepted when it satisfies the
    Armijo rule, otherwise halved. After an accepted step ``kappa`` grows by 10 % (at most
    ``kappa0``) and is halved every fifth acceptance. A gene stops when the accepted step
    improves the log posterior by less than ``tol``, or when ``log(alpha)`` falls below
    ``min_log_alpha``.

    Parameters
    ----------
    posterior : LogPosterior
        The objective.
    log_alpha : numpy.ndarray
        Starting values.
    min_log_alpha : float
        Stop a gene once its ``log(alpha)`` is below this.
    kappa0 : float
        Initial (and largest) step size.
    tol : float
        Convergence tolerance on the change of the log posterior.
    maxit : int
        Maximum proposals per gene.

    Returns
    -------
    LineSearchFit
        Estimates and diagnostics.
    """
    n = log_alpha.size
    everyone = np.arange(n)
    a = np.array(log_alpha, dtype=float)
    lp = posterior.value(a, everyone)
    dlp = posterior.gradient(a, everyone)
    initial_lp = lp.copy()
    kappa = np.full(n, kappa0)
    iterations = np.zeros(n, dtype=int)
    accepted = np.zeros(n, dtype=int)
    active = np.ones(n, dtype=bool)
    for _ in range(maxit):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        iterations[idx] += 1
        step = _bounded_step(a[idx], dlp[idx], kappa[idx])
        proposal = a[idx] + step * dlp[idx]
        new_lp = posterior.value(proposal, idx)
        with np.errstate(invalid="ignore"):
            ok = -new_lp <= -lp[idx] - step * ARMIJO * dlp[idx] ** 2
        kappa[idx[~ok]] = step[~ok] / 2.0
        genes, step, new_lp = idx[ok], step[ok], new_lp[ok]
        accepted[genes] += 1
        a[genes] = proposal[ok]
        settled = new_lp - lp[genes] < tol
        lp[genes[settled]] = new_lp[settled]
        below = ~settled & (a[genes] < min_log_alpha)
        active[genes[settled | below]] = False
        going = ~settled & ~below
        _advance(
            posterior,
            genes[going],
            a,
            lp,
            dlp,
            kappa,
            accepted,
            new_lp[going],
            step[going],
            kappa0,
        )
    return LineSearchFit(a, iterations, initial_lp, lp)


def _bounded_step(a: np.ndarray, dlp: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """Shorten the step so that the proposal stays within [-30, 10], as R does."""
    low, high = LOG_ALPHA_BOUNDS
    proposal = a + kappa * dlp
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(proposal < low, (low - a) / dlp, kappa)
        kappa = np.where(proposal > high, (high - a) / dlp, kappa)
    return kappa


def _advance(
    posterior: LogPosterior,
    genes: np.ndarray,
    a: np.ndarray,
    lp: np.ndarray,
    dlp: np.ndarray,
    kappa: np.ndarray,
    accepted: np.ndarray,
    new_lp: np.ndarray,
    step: np.ndarray,
    kappa0: float,
) -> None:
    """Bookkeeping after an accepted step that did not end the search."""
    if genes.size == 0:
        return
    lp[genes] = new_lp
    dlp[genes] = posterior.gradient(a[genes], genes)
    grown = np.minimum(step * 1.1, kappa0)
    kappa[genes] = np.where(accepted[genes] % 5 == 0, grown / 2.0, grown)


def grid_search(posterior: LogPosterior, max_dispersion: float) -> np.ndarray:
    """``log(alpha)`` maximising the log posterior on R's two-stage grid (``fitDispGrid``).

    A 20-point grid from ``log(1e-8)`` to ``log(max_dispersion)``, then a 20-point grid
    spanning one coarse step either side of the coarse maximum.

    Parameters
    ----------
    posterior : LogPosterior
        The objective.
    max_dispersion : float
        Upper end of the coarse grid (R: ``max(10, number of samples)``).

    Returns
    -------
    numpy.ndarray
        ``log(alpha)`` per gene.
    """
    n = posterior.counts.shape[0]
    genes = np.arange(n)
    coarse = np.linspace(np.log(1e-8), np.log(max_dispersion), GRID_POINTS)
    values = np.column_stack([posterior.value(np.full(n, g), genes) for g in coarse])
    centre = coarse[np.nanargmax(values, axis=1)]
    delta = coarse[1] - coarse[0]
    fine = np.linspace(centre - delta, centre + delta, GRID_POINTS, axis=1)
    values = np.column_stack([posterior.value(fine[:, k], genes) for k in range(GRID_POINTS)])
    return fine[genes, np.nanargmax(values, axis=1)]


def rough_dispersions(normed: np.ndarray, design: np.ndarray) -> np.ndarray:
    """R's ``roughDispEstimate``: moments around a linear fit of the normalised counts.

    Parameters
    ----------
    normed : numpy.ndarray
        Normalised counts, genes x samples.
    design : numpy.ndarray
        Samples x coefficients.

    Returns
    -------
    numpy.ndarray
        Per-gene rough dispersion (>= 0).
    """
    m, p = design.shape
    q, _ = np.linalg.qr(design)
    mu = np.maximum((normed @ q) @ q.T, 1.0)
    estimate = np.sum(((normed - mu) ** 2 - mu) / mu**2, axis=1) / (m - p)
    return np.maximum(estimate, 0.0)


def moments_dispersions(normed: np.ndarray, size_factors: np.ndarray) -> np.ndarray:
    """R's ``momentsDispEstimate``: ``(variance - mean(1/s) * mean) / mean^2``."""
    mean = normed.mean(axis=1)
    variance = normed.var(axis=1, ddof=1)
    return (variance - np.mean(1.0 / size_factors) * mean) / mean**2


@dataclass(frozen=True)
class DispersionBounds:
    """Limits DESeq2 applies to dispersions.

    Attributes
    ----------
    min_disp : float
        Lower bound (R ``minDisp``, 1e-8).
    max_disp : float
        Upper bound (R ``max(10, number of samples)``).
    """

    min_disp: float
    max_disp: float

    @property
    def min_log_alpha(self) -> float:
        """Where R's line search gives up going down: ``log(minDisp / 10)``."""
        return float(np.log(self.min_disp / 10.0))


def genewise_dispersions(
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    start: np.ndarray,
    bounds: DispersionBounds,
) -> tuple[np.ndarray, np.ndarray]:
    """Gene-wise dispersion estimates as R's ``estimateDispersionsGeneEst``.

    The line search starts at ``start`` without a prior. Where it did not improve the
    likelihood, the start is kept; where it did not converge (100 proposals, or stopped
    after the first), the grid search decides. Finally estimates are clipped to ``bounds``.

    Parameters
    ----------
    counts : numpy.ndarray
        Genes x samples.
    mu : numpy.ndarray
        Fitted means (bounded below by ``min_mu``).
    design : numpy.ndarray
        Samples x coefficients.
    start : numpy.ndarray
        Starting dispersions (already clipped to ``bounds``).
    bounds : DispersionBounds
        Dispersion limits.

    Returns
    -------
    dispersions : numpy.ndarray
        Gene-wise estimates.
    iterations : numpy.ndarray
        Line-search proposals per gene.
    """
    posterior = LogPosterior(counts, mu, design)
    fit = line_search(posterior, np.log(start), bounds.min_log_alpha)
    estimate = np.minimum(np.exp(fit.log_alpha), bounds.max_disp)
    no_increase = fit.last_lp < fit.initial_lp + np.abs(fit.initial_lp) / 1e6
    estimate = np.where(no_increase, start, estimate)
    converged = (fit.iterations < 100) & (fit.iterations != 1)
    regrid = ~converged & (estimate > bounds.min_disp * 10)
    if regrid.any():
        sub = LogPosterior(counts[regrid], mu[regrid], design)
        estimate[regrid] = np.exp(grid_search(sub, bounds.max_disp))
    return np.clip(estimate, bounds.min_disp, bounds.max_disp), fit.iterations


def map_dispersions(
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    genewise: np.ndarray,
    fitted: np.ndarray,
    prior_var: float,
    bounds: DispersionBounds,
) -> np.ndarray:
    """Maximum-a-posteriori dispersions as R's ``estimateDispersionsMAP``.

    The search starts at the gene-wise estimate when it exceeds a tenth of the trend value,
    otherwise at the trend; the prior is normal on ``log(alpha)`` around the trend with
    variance ``prior_var``. Genes that use up 100 proposals are settled on the grid.

    Parameters
    ----------
    counts, mu, design : numpy.ndarray
        As in :func:`genewise_dispersions`.
    genewise : numpy.ndarray
        Gene-wise estimates.
    fitted : numpy.ndarray
        Trend values.
    prior_var : float
        Prior variance of ``log(alpha)``.
    bounds : DispersionBounds
        Dispersion limits.

    Returns
    -------
    numpy.ndarray
        MAP dispersions, clipped to ``bounds``.
    """
    start = np.where(genewise > 0.1 * fitted, genewise, fitted)
    start = np.where(np.isnan(start), fitted, start)
    posterior = LogPosterior(counts, mu, design, np.log(fitted), prior_var)
    fit = line_search(posterior, np.log(start), bounds.min_log_alpha)
    estimate = np.exp(fit.log_alpha)
    regrid = fit.iterations >= 100
    if regrid.any():
        sub = LogPosterior(counts[regrid], mu[regrid], design, np.log(fitted[regrid]), prior_var)
        estimate[regrid] = np.exp(grid_search(sub, bounds.max_disp))
    return np.clip(estimate, bounds.min_disp, bounds.max_disp)


def dispersion_outliers(
    genewise: np.ndarray, fitted: np.ndarray, var_log_disp: float, outlier_sd: float = 2.0
) -> np.ndarray:
    """Genes whose gene-wise dispersion lies more than ``outlier_sd`` SDs above the trend.

    R keeps their gene-wise estimate instead of the MAP (``dispOutlier``).

    Returns
    -------
    numpy.ndarray
        Boolean per gene.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        outlier = np.log(genewise) > np.log(fitted) + outlier_sd * np.sqrt(var_log_disp)
    return np.where(np.isnan(genewise) | np.isnan(fitted), False, outlier)

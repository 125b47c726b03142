"""Negative binomial GLM fits with R DESeq2's semantics (``fitNbinomGLMs`` / ``fitBeta``).

What R does, and what this module reproduces (all genes at once, vectorised):

* starting coefficients from a least-squares fit of ``log(normalised count + 0.1)`` on the
  design (QR), or the log mean for the intercept when the design is not of full rank;
* iteratively reweighted least squares with a tiny ridge (``1e-6`` on the log2 scale, i.e.
  ``1e-6 / log(2)^2`` on the natural-log scale), fitted means bounded below by ``min_mu``
  (0.5) at every step, convergence when the relative change of the deviance is below
  ``1e-8`` (not on the first step), at most 100 iterations;
* a gene whose coefficients leave ``[-30, 30]`` (natural log) counts as not converged;
* genes that did not converge, or whose coefficients or variances are not usable, are refitted
  by L-BFGS-B on the log2 scale within ``[-30, 30]`` with a normal prior of variance ``1e6``
  and R ``optim``'s finite-difference gradient (step ``1e-3``);
* standard errors from the sandwich ``(X'WX + R)^-1 X'WX (X'WX + R)^-1`` with ``W`` evaluated
  at the final coefficients and the means bounded below by ``min_mu``.

PyDESeq2 differs in the last point (its Wald test recomputes ``W`` from unbounded means),
which changes the standard error of genes with near-zero counts in a group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm

from tmeseq.de.linalg import quadratic_diagonal, weighted_crossprod
from tmeseq.de.rstats import nb_log_density

#: R's ridge penalty on the log2-scale coefficients when no beta prior is used.
DEFAULT_LAMBDA = 1e-6
#: Coefficients beyond this (natural log scale) stop IRLS; also the optim bounds (log2).
LARGE = 30.0
#: R ``optim``'s default finite-difference step.
OPTIM_STEP = 1e-3
#: R ``optim``'s default ``factr`` for L-BFGS-B.
OPTIM_FACTR = 1e7


@dataclass(frozen=True)
class NBGLMFit:
    """Coefficients and diagnostics of per-gene negative binomial GLMs.

    Attributes
    ----------
    beta : numpy.ndarray
        Genes x coefficients, natural-log scale.
    covariance : numpy.ndarray
        Genes x coefficients x coefficients, natural-log scale (sandwich estimate).
    mu : numpy.ndarray
        Fitted means (genes x samples), not bounded below.
    hat_diagonals : numpy.ndarray
        Diagonal of the hat matrix (genes x samples) from the IRLS fit.
    converged : numpy.ndarray
        Whether each gene's fit converged (IRLS or the optim fallback).
    iterations : numpy.ndarray
        IRLS iterations per gene.
    optimized : numpy.ndarray
        Which genes were refitted by the optim fallback.
    """

    beta: np.ndarray
    covariance: np.ndarray
    mu: np.ndarray
    hat_diagonals: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    optimized: np.ndarray

    @property
    def standard_errors(self) -> np.ndarray:
        """Standard errors of the coefficients (natural-log scale)."""
        variances = np.diagonal(self.covariance, axis1=1, axis2=2)
        return np.sqrt(np.maximum(variances, 0.0))


def initial_beta(counts: np.ndarray, size_factors: np.ndarray, design: np.ndarray) -> np.ndarray:
    """Starting coefficients as R: least squares of ``log(normalised + 0.1)`` on the design.

    Parameters
    ----------
    counts : numpy.ndarray
        Genes x samples.
    size_factors : numpy.ndarray
        Per sample.
    design : numpy.ndarray
        Samples x coefficients.

    Returns
    -------
    numpy.ndarray
        Genes x coefficients (natural log).
    """
    normed = counts / size_factors
    if np.linalg.matrix_rank(design) == design.shape[1]:
        q, r = np.linalg.qr(design)
        return np.linalg.solve(r, q.T @ np.log(normed.T + 0.1)).T
    beta = np.zeros((counts.shape[0], design.shape[1]))
    with np.errstate(divide="ignore"):
        beta[:, 0] = np.log(normed.mean(axis=1))
    return beta


def fit_nb_glm(
    counts: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
    dispersions: np.ndarray,
    *,
    min_mu: float = 0.5,
    beta_tol: float = 1e-8,
    maxit: int = 100,
    lambda_log2: float = DEFAULT_LAMBDA,
    use_optim: bool = True,
) -> NBGLMFit:
    """Fit one negative binomial GLM per gene, as R DESeq2's ``fitNbinomGLMs``.

    Parameters
    ----------
    counts : numpy.ndarray
        Genes x samples raw counts (no all-zero genes).
    size_factors : numpy.ndarray
        Per-sample size factors.
    design : numpy.ndarray
        Samples x coefficients model matrix.
    dispersions : numpy.ndarray
        Per-gene dispersion.
    min_mu : float
        Lower bound on fitted means inside the fit.
    beta_tol : float
        Convergence tolerance on the relative change of the deviance.
    maxit : int
        Maximum IRLS iterations.
    lambda_log2 : float
        Ridge penalty on the log2-scale coefficients.
    use_optim : bool
        Refit non-converged genes with L-BFGS-B, as R's default ``useOptim = TRUE``.

    Returns
    -------
    NBGLMFit
        Coefficients, covariance, means and diagnostics.
    """
    counts = np.asarray(counts, dtype=float)
    dispersions = np.asarray(dispersions, dtype=float)
    ridge = np.full(design.shape[1], lambda_log2 / np.log(2) ** 2)
    start = initial_beta(counts, size_factors, design)
    irls = _irls(counts, size_factors, design, dispersions, start, ridge, min_mu, beta_tol, maxit)
    beta, mu_bounded, iterations = irls
    covariance, hat = _sandwich(design, mu_bounded, dispersions, ridge)
    converged = iterations < maxit
    variances = np.diagonal(covariance, axis1=1, axis2=2)
    stable = ~np.isnan(beta).any(axis=1)
    to_optimize = ~stable | (variances <= 0).any(axis=1)
    if use_optim:
        to_optimize |= ~converged
    optimized = np.zeros(counts.shape[0], dtype=bool)
    for gene in np.flatnonzero(to_optimize):
        usable = stable[gene] and np.all(np.abs(beta[gene] / np.log(2)) < LARGE)
        row_start = beta[gene] if usable else None
        beta[gene], converged[gene] = _optim_row(
            counts[gene],
            size_factors,
            design,
            dispersions[gene],
            start[gene] if row_start is None else row_start,
            row_start is None,
            lambda_log2,
        )
        optimized[gene] = True
    if optimized.any():
        bounded = np.maximum(size_factors * np.exp(beta[optimized] @ design.T), min_mu)
        covariance[optimized] = _sandwich(design, bounded, dispersions[optimized], ridge)[0]
    mu = size_factors * np.exp(beta @ design.T)
    return NBGLMFit(beta, covariance, mu, hat, converged, iterations, optimized)


def _irls(
    counts: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
    dispersions: np.ndarray,
    start: np.ndarray,
    ridge: np.ndarray,
    min_mu: float,
    tol: float,
    maxit: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IRLS for all genes at once; returns coefficients, bounded means and iterations."""
    n_genes = counts.shape[0]
    beta = start.copy()
    mu = np.maximum(size_factors * np.exp(beta @ design.T), min_mu)
    deviance_old = np.zeros(n_genes)
    iterations = np.zeros(n_genes, dtype=int)
    active = np.ones(n_genes, dtype=bool)
    size = 1.0 / dispersions
    for step in range(maxit):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        iterations[idx] += 1
        beta_new = _irls_step(counts[idx], mu[idx], size_factors, design, dispersions[idx], ridge)
        beta[idx] = beta_new
        diverged = (np.abs(beta_new) > LARGE).any(axis=1)
        iterations[idx[diverged]] = maxit
        active[idx[diverged]] = False
        keep = idx[~diverged]
        mu[keep] = np.maximum(size_factors * np.exp(beta[keep] @ design.T), min_mu)
        deviance = -2.0 * nb_log_density(counts[keep], mu[keep], size[keep, None]).sum(axis=1)
        change = np.abs(deviance - deviance_old[keep]) / (np.abs(deviance) + 0.1)
        failed = np.isnan(change)
        iterations[keep[failed]] = maxit
        done = failed | ((step > 0) & (change < tol))
        active[keep[done]] = False
        deviance_old[keep] = deviance
    return beta, mu, iterations


def _irls_step(
    counts: np.ndarray,
    mu: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
    dispersions: np.ndarray,
    ridge: np.ndarray,
) -> np.ndarray:
    """One weighted least-squares update of the coefficients."""
    weights = mu / (1.0 + dispersions[:, None] * mu)
    working = np.log(mu / size_factors) + (counts - mu) / mu
    lhs = weighted_crossprod(design, weights) + np.diag(ridge)
    rhs = (weights * working) @ design
    return np.linalg.solve(lhs, rhs[:, :, None])[:, :, 0]


def _sandwich(
    design: np.ndarray, mu: np.ndarray, dispersions: np.ndarray, ridge: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sandwich covariance of the coefficients and the hat-matrix diagonal."""
    weights = mu / (1.0 + dispersions[:, None] * mu)
    information = weighted_crossprod(design, weights)
    inverse = np.linalg.inv(information + np.diag(ridge))
    covariance = inverse @ information @ inverse
    hat = weights * quadratic_diagonal(design, inverse)
    return covariance, hat


def _optim_row(
    counts: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
    dispersion: float,
    start: np.ndarray,
    start_is_natural: bool,
    lambda_log2: float,
) -> tuple[np.ndarray, bool]:
    """R's optim fallback for one gene: L-BFGS-B on the log2 coefficients.

    R starts from the IRLS coefficients (log2) when they are usable, and otherwise from the
    initial least-squares coefficients as they are (natural log), a quirk kept here.
    Returns natural-log coefficients and whether optim reported success.
    """
    prior_sd = np.sqrt(1.0 / lambda_log2)
    size = 1.0 / dispersion

    def objective(params: np.ndarray) -> float:
        mu = size_factors * np.exp2(design @ params)
        value = -(
            nb_log_density(counts, mu, size).sum() + norm.logpdf(params, 0.0, prior_sd).sum()
        )
        return float(value) if np.isfinite(value) else 1e300

    x0 = start if start_is_natural else start / np.log(2)
    x0 = np.clip(x0, -LARGE, LARGE)
    result = minimize(
        objective,
        x0,
        jac=lambda params: _finite_difference(objective, params),
        method="L-BFGS-B",
        bounds=[(-LARGE, LARGE)] * design.shape[1],
        options={"maxcor": 5, "ftol": OPTIM_FACTR * np.finfo(float).eps, "gtol": 0.0},
    )
    return result.x * np.log(2), bool(result.success)


def _finite_difference(objective: Callable[[np.ndarray], float], params: np.ndarray) -> np.ndarray:
    """Central differences with R optim's step, shortened at the ±30 bounds as R does."""
    gradient = np.empty_like(params)
    for k in range(params.size):
        up, down = params.copy(), params.copy()
        up[k] = min(params[k] + OPTIM_STEP, LARGE)
        down[k] = max(params[k] - OPTIM_STEP, -LARGE)
        gradient[k] = (objective(up) - objective(down)) / (up[k] - down[k])
    return gradient


def linear_model_mu(
    counts: np.ndarray, size_factors: np.ndarray, design: np.ndarray, min_mu: float
) -> np.ndarray:
    """Means from a linear fit of the normalised counts on the design (R ``linearModelMu``).

    Used for the gene-wise dispersions when the design has one coefficient per group.

    Returns
    -------
    numpy.ndarray
        Genes x samples, bounded below by ``min_mu``.
    """
    q, _ = np.linalg.qr(design)
    normed = counts / size_factors
    fitted = (normed @ q) @ q.T
    return np.maximum(fitted * size_factors, min_mu)

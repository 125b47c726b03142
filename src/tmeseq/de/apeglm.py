"""apeGLM shrinkage of one GLM coefficient, all genes at once.

This module reproduces the estimator R DESeq2 uses for ``lfcShrink(type = "apeglm")``
(apeglm, Zhu, Ibrahim & Love 2018, *Bioinformatics* 35:2084, doi:10.1093/bioinformatics/
bty895) and PyDESeq2 0.5 implements with one scipy L-BFGS-B run per gene
(``DeseqStats.lfc_shrink``, ``pydeseq2.utils.nbinomGLM``):

* the prior scale is adapted to the data (DESeq2's ``apeAdapt = TRUE``): the variance ``A`` of
  a normal distribution of true effects is estimated from the maximum-likelihood estimates and
  their standard errors with Efron & Morris's estimator (apeglm's ``priorVar``), and the Cauchy
  scale is ``min(sqrt(A), 1)`` (:func:`adaptive_prior_scale`);
* per gene, the maximum a posteriori (MAP) coefficients minimise the negative binomial
  negative log-likelihood with log link ``mu = sf * exp(X beta)`` and fixed dispersion, plus
  a normal ``N(0, no_shrink_scale^2)`` prior on every coefficient but the shrunk one and a
  Cauchy ``(0, S)`` prior on the shrunk one; up to constants that do not depend on ``beta``:

  ``sum_j [(y_j + r) log(r + mu_j) - y_j x_j beta] + sum_k beta_k^2 / (2 sigma^2)
  + log(1 + (beta_s / S)^2)``, with ``r = 1 / dispersion``

  (apeglm's ``nbinomFn``; PyDESeq2's ``nbinomFn`` is the same function);
* the posterior SD of the shrunk coefficient is the square root of the corresponding diagonal
  element of the inverse Hessian of that objective at the MAP (apeglm's Laplace
  approximation, computed by R's ``optimHess``; PyDESeq2 0.5.4 instead adds the prior's
  curvature to whole columns of its Hessian, which inflates its SE when the prior is
  narrow -- this module follows apeglm).

How it is solved differs from both: a damped Newton method vectorised over genes (batched
``p x p`` systems), with an Armijo backtracking line search on an objective difference that
is computed without cancellation, so that every accepted step decreases the objective. The
likelihood part is convex in ``beta``; only the Cauchy prior is not (its curvature
``2 (S^2 - b^2) / (S^2 + b^2)^2`` is negative for ``|b| > S``). Where the full Hessian is not
positive definite, the step uses the curvature ``2 / (S^2 + b^2)`` of the Cauchy term's
quadratic majoriser instead, which keeps the direction a descent direction (a gradient step
preconditioned by a positive-definite matrix). A gene has converged when a full Newton step
with a positive-definite Hessian moves no coefficient by more than ``tol``; converged genes
are no longer updated. Nothing overflows: ``mu / (r + mu)`` and ``log(r + mu)`` are the
logistic and softplus of ``x beta + log sf - log r``, and no step changes a linear predictor
by more than ``MAX_PREDICTOR_STEP``. Genes are processed in blocks to bound memory; the
Hessian is formed as one matrix product ``weights @ (x x')`` so no genes x samples x
coefficients^2 array is built. The optimum is solved to ``tol`` where apeglm's and PyDESeq2's
L-BFGS stop on the objective's relative change, so they agree to ~2e-4 log2 (more for genes
with very large counts), and this module's objective is never the higher one.

Genes whose counts are all zero, or whose dispersion is not a positive number, have no
estimate (NaN, not converged), as apeglm returns ``NA`` for all-zero rows and PyDESeq2 skips
them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

#: Bounds of apeglm's ``priorVar`` search for the prior variance (``min.var``, ``max.var``).
MIN_PRIOR_VAR = 1e-6
MAX_PRIOR_VAR = 400.0
#: Genes x samples x coefficients^2 budget of one block. The largest temporaries are about a
#: dozen genes x samples arrays: 12,500 genes x 200 samples x 2 coefficients peak at ~250 MB.
BLOCK_FLOATS = 10_000_000
#: Largest change of any linear predictor in one step (natural log).
MAX_PREDICTOR_STEP = 10.0
#: Armijo sufficient-decrease constant and number of step halvings tried.
ARMIJO = 1e-4
MAX_HALVINGS = 40


@dataclass(frozen=True)
class ApeglmFit:
    """MAP coefficients under the apeGLM prior.

    Attributes
    ----------
    beta : numpy.ndarray
        Genes x coefficients, natural-log scale; NaN where there is no estimate.
    se : numpy.ndarray
        Per gene: posterior SD of the shrunk coefficient (natural log), from the inverse
        Hessian of the negative log posterior at the MAP; NaN where that is not positive.
    converged : numpy.ndarray
        Per gene, whether the Newton iterations converged.
    """

    beta: np.ndarray
    se: np.ndarray
    converged: np.ndarray


@dataclass(frozen=True)
class _Prior:
    """The apeGLM prior: Cauchy(0, ``scale``) on ``index``, N(0, ``sigma``^2) elsewhere."""

    index: int
    scale: float
    sigma: float


@dataclass(frozen=True)
class _Data:
    """One block of genes: counts, log size (``log 1/dispersion``) and the shared design."""

    counts: np.ndarray
    log_size: np.ndarray
    offset: np.ndarray
    design: np.ndarray
    outer: np.ndarray

    def rows(self, index: np.ndarray) -> _Data:
        """The same data restricted to genes ``index``."""
        return _Data(
            self.counts[index], self.log_size[index], self.offset, self.design, self.outer
        )


def adaptive_prior_scale(mle: np.ndarray, se: np.ndarray) -> float:
    """Scale of the Cauchy prior adapted to the data, as apeglm's ``priorVar``.

    The true effects are modelled as ``N(0, A)`` and each estimate as ``N(effect, se^2)``;
    ``A`` is Efron & Morris's (1975) estimator, the root in ``[1e-6, 400]`` of
    ``A = sum((mle^2 - se^2) I) / sum(I)`` with ``I = 1 / (2 (A + se^2)^2)``, or ``1e-6``
    when the right-hand side is already below ``A`` there. As DESeq2 and PyDESeq2, the scale
    is ``min(sqrt(A), 1)``.

    Parameters
    ----------
    mle : numpy.ndarray
        Maximum-likelihood estimates of the shrunk coefficient (natural log).
    se : numpy.ndarray
        Their standard errors (natural log).

    Returns
    -------
    float
        The Cauchy scale ``S`` (natural log).

    Raises
    ------
    ValueError
        If the arrays differ in length or no gene has a finite estimate and SE.
    """
    estimates = np.asarray(mle, dtype=float).ravel()
    errors = np.asarray(se, dtype=float).ravel()
    if estimates.shape != errors.shape:
        raise ValueError(
            f"mle has {estimates.size} values but se has {errors.size}; pass one per gene"
        )
    keep = np.isfinite(estimates) & np.isfinite(errors)
    if not keep.any():
        raise ValueError("no gene has a finite estimate and standard error to adapt the prior")
    squares = estimates[keep] ** 2
    variances = errors[keep] ** 2

    def gap(a: float) -> float:
        weights = 1.0 / (2.0 * (a + variances) ** 2)
        return float(np.sum((squares - variances) * weights) / np.sum(weights) - a)

    if gap(MIN_PRIOR_VAR) < 0:
        prior_var = MIN_PRIOR_VAR
    elif gap(MAX_PRIOR_VAR) > 0:
        prior_var = MAX_PRIOR_VAR
    else:
        prior_var = float(brentq(gap, MIN_PRIOR_VAR, MAX_PRIOR_VAR, xtol=1e-14, rtol=1e-14))
    return min(float(np.sqrt(prior_var)), 1.0)


def map_coefficients(
    counts: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
    dispersions: np.ndarray,
    shrink_index: int,
    prior_scale: float,
    *,
    no_shrink_scale: float = 15.0,
    start: np.ndarray | None = None,
    tol: float = 1e-8,
    max_iter: int = 100,
    block_size: int | None = None,
) -> ApeglmFit:
    """MAP coefficients of negative binomial GLMs under apeGLM's prior, for all genes.

    Parameters
    ----------
    counts : numpy.ndarray
        Genes x samples counts.
    size_factors : numpy.ndarray
        Per sample (the offset is their natural log).
    design : numpy.ndarray
        Samples x coefficients model matrix.
    dispersions : numpy.ndarray
        Per gene (``Var = mu + dispersion mu^2``).
    shrink_index : int
        Column of ``design`` whose coefficient gets the Cauchy prior.
    prior_scale : float
        Scale ``S`` of that Cauchy prior (natural log), e.g. from
        :func:`adaptive_prior_scale`.
    no_shrink_scale : float
        SD of the normal prior on the other coefficients (apeglm's default 15).
    start : numpy.ndarray, optional
        Genes x coefficients starting values (natural log), e.g. the unshrunk GLM fit;
        genes with a non-finite row start from the default. By default, zeros with the
        intercept (a column of ones, if any) at the log mean normalised count. Where the
        posterior has two modes (rare: few counts and a group of zeros), the mode reached
        depends on the start; from the MLE it is the one on the MLE's side, while apeglm
        and PyDESeq2 start near zero.
    tol : float
        Convergence tolerance on the largest coefficient change of a Newton step.
    max_iter : int
        Maximum Newton iterations per gene.
    block_size : int, optional
        Genes per block; by default as many as keep blocks x samples x coefficients^2 below
        ``BLOCK_FLOATS``. Results do not depend on it.

    Returns
    -------
    ApeglmFit
        MAP coefficients, posterior SD of the shrunk coefficient and convergence flags.

    Raises
    ------
    ValueError
        If shapes disagree, ``shrink_index`` is not a column of ``design``, or a scale is not
        a positive number.
    """
    y = np.asarray(counts, dtype=float)
    x = np.asarray(design, dtype=float)
    sf = np.asarray(size_factors, dtype=float).ravel()
    disp = np.asarray(dispersions, dtype=float).ravel()
    _check_inputs(y, sf, x, disp, shrink_index, prior_scale, no_shrink_scale)
    n_genes, n_samples = y.shape
    n_coefs = x.shape[1]
    prior = _Prior(shrink_index, float(prior_scale), float(no_shrink_scale))
    initial = _initial_beta(y, sf, x, start)
    usable = _estimable(y, disp) & np.isfinite(initial).all(axis=1)
    log_size = -np.log(np.where(usable, disp, 1.0))
    beta = np.full((n_genes, n_coefs), np.nan)
    se = np.full(n_genes, np.nan)
    converged = np.zeros(n_genes, dtype=bool)
    offset = np.log(sf)
    outer = (x[:, :, None] * x[:, None, :]).reshape(n_samples, n_coefs * n_coefs)
    step = block_size or max(1, BLOCK_FLOATS // (n_samples * n_coefs * n_coefs))
    genes = np.flatnonzero(usable)
    for first in range(0, genes.size, step):
        block = genes[first : first + step]
        data = _Data(y[block], log_size[block], offset, x, outer)
        beta[block], converged[block] = _newton(data, prior, initial[block], tol, max_iter)
        se[block] = _posterior_sd(data, prior, beta[block])
    failed = ~np.isfinite(beta).all(axis=1)
    beta[failed] = np.nan
    se[failed] = np.nan
    converged[failed] = False
    return ApeglmFit(beta=beta, se=se, converged=converged)


def _check_inputs(
    counts: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
    dispersions: np.ndarray,
    shrink_index: int,
    prior_scale: float,
    no_shrink_scale: float,
) -> None:
    """Raise ValueError unless the inputs have consistent shapes and valid scales."""
    if counts.ndim != 2 or design.ndim != 2:
        raise ValueError("counts (genes x samples) and design (samples x coefficients) are 2-D")
    n_genes, n_samples = counts.shape
    if design.shape[0] != n_samples or size_factors.size != n_samples:
        raise ValueError(
            f"counts have {n_samples} samples but the design has {design.shape[0]} rows and "
            f"there are {size_factors.size} size factors"
        )
    if dispersions.size != n_genes:
        raise ValueError(
            f"counts have {n_genes} genes but there are {dispersions.size} dispersions"
        )
    if not 0 <= shrink_index < design.shape[1]:
        raise ValueError(
            f"shrink_index {shrink_index} is not a column of the {design.shape[1]}-column design"
        )
    if not (size_factors > 0).all():
        raise ValueError("size factors must be positive")
    for name, value in (("prior_scale", prior_scale), ("no_shrink_scale", no_shrink_scale)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value}")


def _estimable(counts: np.ndarray, dispersions: np.ndarray) -> np.ndarray:
    """Genes with finite counts, at least one non-zero, and a positive finite dispersion."""
    finite = np.isfinite(counts).all(axis=1) & np.isfinite(dispersions)
    return finite & (counts > 0).any(axis=1) & (np.where(finite, dispersions, 0.0) > 0)


def _initial_beta(
    counts: np.ndarray, size_factors: np.ndarray, design: np.ndarray, start: np.ndarray | None
) -> np.ndarray:
    """Starting coefficients: ``start`` where finite, else zeros and the log mean intercept."""
    default = np.zeros((counts.shape[0], design.shape[1]))
    intercept = np.flatnonzero((design == 1.0).all(axis=0))
    if intercept.size:
        mean = (counts / size_factors).mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            default[:, intercept[0]] = np.where(mean > 0, np.log(mean), 0.0)
    if start is None:
        return default
    given = np.asarray(start, dtype=float)
    if given.shape != default.shape:
        raise ValueError(f"start has shape {given.shape}, expected {default.shape}")
    return np.where(np.isfinite(given).all(axis=1, keepdims=True), given, default)


def _newton(
    data: _Data, prior: _Prior, start: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Damped Newton iterations on one block; returns coefficients and convergence flags."""
    beta = start.copy()
    converged = np.zeros(beta.shape[0], dtype=bool)
    active = np.arange(beta.shape[0])
    for _ in range(max_iter):
        if active.size == 0:
            break
        rows = data.rows(active)
        current = beta[active]
        gradient, direction, definite = _direction(rows, prior, current)
        done = definite & (np.abs(direction).max(axis=1) < tol)
        beta[active[done]] = current[done] + direction[done]
        converged[active[done]] = True
        moving = ~done
        accepted, new = _line_search(
            rows.rows(np.flatnonzero(moving)),
            prior,
            current[moving],
            gradient[moving],
            direction[moving],
        )
        beta[active[moving]] = new
        active = active[moving][accepted]
    return beta, converged


def _direction(
    data: _Data, prior: _Prior, beta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient, step direction and whether the full Hessian is positive definite.

    The Hessian ``H`` equals ``M - c e_s e_s'`` where ``M`` uses the majoriser's curvature
    for the Cauchy term (always positive definite) and ``c = 4 b^2 / (S^2 + b^2)^2``. With
    ``M u = g`` and ``M v = e_s``, ``H`` is positive definite iff ``c v_s < 1`` and then
    ``H^-1 g = u + c v u_s / (1 - c v_s)`` (Sherman-Morrison); otherwise the step is
    ``-M^-1 g``.
    """
    s = prior.index
    fitted, weights = _weights(data, beta)
    gradient = (fitted - data.counts) @ data.design + _prior_gradient(prior, beta)
    majoriser = _likelihood_hessian(data, weights) + _prior_curvature(prior, beta, full=False)
    unit = np.zeros((beta.shape[0], beta.shape[1], 1))
    unit[:, s, 0] = 1.0
    solved = np.linalg.solve(majoriser, np.concatenate([gradient[:, :, None], unit], axis=2))
    u, v = solved[:, :, 0], solved[:, :, 1]
    b = beta[:, s]
    rank_one = 4.0 * b**2 / (prior.scale**2 + b**2) ** 2
    denominator = 1.0 - rank_one * v[:, s]
    definite = denominator > 1e-10
    safe = np.where(definite, denominator, 1.0)
    newton = u + (rank_one * u[:, s] / safe)[:, None] * v
    direction = -np.where(definite[:, None], newton, u)
    return gradient, direction, definite


def _weights(data: _Data, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(y + r) p`` (the expected part of the score) and ``(y + r) p (1 - p)``.

    ``p = mu / (r + mu)`` is the logistic of ``x beta + offset - log r``.
    """
    size = np.exp(data.log_size)[:, None]
    p = expit(_predictor(data, beta) - data.log_size[:, None])
    total = data.counts + size
    return total * p, total * p * (1.0 - p)


def _predictor(data: _Data, beta: np.ndarray) -> np.ndarray:
    """Linear predictor with offset, ``x beta + log sf`` (genes x samples)."""
    return beta @ data.design.T + data.offset


def _likelihood_hessian(data: _Data, weights: np.ndarray) -> np.ndarray:
    """``X' diag(w) X`` for every gene, as one product with the per-sample outer products."""
    p = data.design.shape[1]
    return (weights @ data.outer).reshape(-1, p, p)


def _prior_gradient(prior: _Prior, beta: np.ndarray) -> np.ndarray:
    """Gradient of the negative log prior."""
    gradient = beta / prior.sigma**2
    b = beta[:, prior.index]
    gradient[:, prior.index] = 2.0 * b / (prior.scale**2 + b**2)
    return gradient


def _prior_curvature(prior: _Prior, beta: np.ndarray, *, full: bool) -> np.ndarray:
    """Diagonal Hessian of the negative log prior (genes x p x p).

    With ``full`` the Cauchy term's true curvature, else its majoriser's ``2 / (S^2 + b^2)``.
    """
    n_genes, p = beta.shape
    diagonal = np.full((n_genes, p), 1.0 / prior.sigma**2)
    b2 = beta[:, prior.index] ** 2
    s2 = prior.scale**2
    diagonal[:, prior.index] = 2.0 * (s2 - b2) / (s2 + b2) ** 2 if full else 2.0 / (s2 + b2)
    curvature = np.zeros((n_genes, p, p))
    curvature[:, np.arange(p), np.arange(p)] = diagonal
    return curvature


def _line_search(
    data: _Data, prior: _Prior, beta: np.ndarray, gradient: np.ndarray, direction: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Backtracking until the objective decreases enough (Armijo); per gene.

    Returns which genes found such a step and the coefficients after the step (unchanged
    where none was found).
    """
    change = direction @ data.design.T
    largest = np.abs(change).max(axis=1, initial=0.0)
    with np.errstate(divide="ignore"):
        step = np.minimum(1.0, MAX_PREDICTOR_STEP / largest)
    slope = np.sum(gradient * direction, axis=1)
    new = beta.copy()
    accepted = np.zeros(beta.shape[0], dtype=bool)
    pending = np.flatnonzero(slope < 0)
    for _ in range(MAX_HALVINGS):
        if pending.size == 0:
            break
        trial = beta[pending] + step[pending, None] * direction[pending]
        decrease = _objective_change(data.rows(pending), prior, beta[pending], trial)
        ok = decrease <= ARMIJO * step[pending] * slope[pending]
        new[pending[ok]] = trial[ok]
        accepted[pending[ok]] = True
        pending = pending[~ok]
        step[pending] /= 2.0
    return accepted, new


def _objective_change(
    data: _Data, prior: _Prior, beta: np.ndarray, trial: np.ndarray
) -> np.ndarray:
    """Negative log posterior at ``trial`` minus at ``beta``, computed without cancellation.

    Per sample, with ``a = x beta + offset - log r`` and ``d = x (trial - beta)``, the change
    of ``(y + r) log(r + mu) - y x beta`` is ``(y + r) log(1 - p + p e^d) - y d`` with
    ``p = logistic(a)``; ``log1p(p expm1(d))`` is exact for small steps, and the difference
    of two ``log(1 + e^a)`` is used where ``p expm1(d)`` is close to -1. Non-finite changes
    are returned as ``+inf`` (rejected).
    """
    a = _predictor(data, beta) - data.log_size[:, None]
    d = (trial - beta) @ data.design.T
    size = np.exp(data.log_size)[:, None]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = expit(a) * np.expm1(d)
        direct = np.logaddexp(a + d, 0.0) - np.logaddexp(a, 0.0)
        per_sample = np.where(z > -0.5, np.log1p(np.maximum(z, -0.5)), direct)
        likelihood = np.sum((data.counts + size) * per_sample - data.counts * d, axis=1)
    s = prior.index
    others = np.ones(beta.shape[1], dtype=bool)
    others[s] = False
    delta = trial - beta
    normal = np.sum(delta[:, others] * (trial + beta)[:, others], axis=1) / (2 * prior.sigma**2)
    b = beta[:, s]
    cauchy = np.log1p(delta[:, s] * (trial[:, s] + b) / (prior.scale**2 + b**2))
    total = likelihood + normal + cauchy
    return np.where(np.isfinite(total), total, np.inf)


def _posterior_sd(data: _Data, prior: _Prior, beta: np.ndarray) -> np.ndarray:
    """``sqrt((H^-1)_ss)`` at ``beta``; NaN where ``H`` is not positive definite."""
    se = np.full(beta.shape[0], np.nan)
    finite = np.flatnonzero(np.isfinite(beta).all(axis=1))
    if finite.size == 0:
        return se
    rows = data.rows(finite)
    values = beta[finite]
    _, weights = _weights(rows, values)
    hessian = _likelihood_hessian(rows, weights) + _prior_curvature(prior, values, full=True)
    unit = np.zeros((finite.size, values.shape[1], 1))
    unit[:, prior.index, 0] = 1.0
    eigen = np.linalg.eigvalsh(hessian)
    definite = eigen[:, 0] > 0
    solvable = np.where(definite[:, None, None], hessian, np.eye(values.shape[1]))
    variance = np.linalg.solve(solvable, unit)[:, prior.index, 0]
    se[finite] = np.where(definite & (variance > 0), np.sqrt(np.abs(variance)), np.nan)
    return se

"""The Wald test of a contrast: standard errors from the fitted model and R's p-values."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from tmeseq.de.glm import DEFAULT_LAMBDA
from tmeseq.de.linalg import quadratic_form, weighted_crossprod
from tmeseq.settings import AltHypothesis

#: R's ridge on the log2-scale coefficients, converted to the natural-log scale.
RIDGE = DEFAULT_LAMBDA / np.log(2) ** 2


def fitted_standard_errors(
    design: np.ndarray,
    beta: np.ndarray,
    size_factors: np.ndarray,
    dispersions: np.ndarray,
    contrast: np.ndarray,
    min_mu: float,
) -> np.ndarray:
    """Standard error of ``contrast @ beta`` (natural log) as R's ``results()`` computes it:
    from the fitted means bounded below by ``min_mu`` and R's ridge.

    Parameters
    ----------
    design : numpy.ndarray
        Samples x coefficients.
    beta : numpy.ndarray
        Genes x coefficients (natural log), in the coding of ``design``.
    size_factors, dispersions : numpy.ndarray
        Per sample and per gene.
    contrast : numpy.ndarray
        Weights over the coefficients.
    min_mu : float
        Lower bound on the fitted means (R ``minmu``).
    """
    mu = np.maximum(size_factors * np.exp(beta @ design.T), min_mu)
    ridge = np.full(design.shape[1], RIDGE)
    return contrast_standard_errors(design, mu, dispersions, ridge, contrast)


def contrast_standard_errors(
    design: np.ndarray,
    mu: np.ndarray,
    dispersions: np.ndarray,
    ridge: np.ndarray,
    contrast: np.ndarray,
) -> np.ndarray:
    """Standard error of ``contrast @ beta`` from the sandwich covariance, per gene.

    Parameters
    ----------
    design : numpy.ndarray
        Samples x coefficients.
    mu : numpy.ndarray
        Fitted means, genes x samples (already bounded below as R does).
    dispersions : numpy.ndarray
        Per gene.
    ridge : numpy.ndarray
        Ridge penalty per coefficient (natural-log scale).
    contrast : numpy.ndarray
        Contrast vector over the coefficients.

    Returns
    -------
    numpy.ndarray
        Standard errors (natural-log scale).
    """
    weights = mu / (1.0 + np.asarray(dispersions)[:, None] * mu)
    information = weighted_crossprod(design, weights)
    inverse = np.linalg.inv(information + np.diag(ridge))
    c = np.asarray(contrast, dtype=float)
    left = inverse @ c
    return np.sqrt(quadratic_form(left, information))


def wald_statistics(
    estimate: np.ndarray,
    se: np.ndarray,
    threshold: float = 0.0,
    alt_hypothesis: AltHypothesis | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Wald statistic and p-value as R's ``results(lfcThreshold, altHypothesis)``.

    Parameters
    ----------
    estimate : numpy.ndarray
        Contrast estimates (same scale as ``se`` and ``threshold``).
    se : numpy.ndarray
        Their standard errors.
    threshold : float
        ``lfcThreshold`` (>= 0).
    alt_hypothesis : {"greaterAbs", "lessAbs", "greater", "less"} or None
        None is R's default, ``greaterAbs``.

    Returns
    -------
    stat, pvalue : numpy.ndarray
        Statistics and p-values (normal distribution).
    """
    alt = alt_hypothesis or "greaterAbs"
    with np.errstate(divide="ignore", invalid="ignore"):
        if threshold == 0 and alt == "greaterAbs":
            stat = estimate / se
            return stat, 2.0 * norm.sf(np.abs(stat))
        if alt == "greaterAbs":
            shifted = (np.abs(estimate) - threshold) / se
            return np.sign(estimate) * np.maximum(shifted, 0), np.minimum(1, 2 * norm.sf(shifted))
        if alt == "lessAbs":
            above, below = (threshold - estimate) / se, (estimate + threshold) / se
            stat = np.minimum(np.maximum(above, 0), np.maximum(below, 0))
            return stat, np.maximum(norm.sf(above), norm.sf(below))
        if alt == "greater":
            shifted = (estimate - threshold) / se
            return np.maximum(shifted, 0), norm.sf(shifted)
        shifted = (estimate + threshold) / se
        return np.minimum(shifted, 0), norm.sf((-threshold - estimate) / se)

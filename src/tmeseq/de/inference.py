"""A PyDESeq2 ``Inference`` whose routines follow R DESeq2 1.38 instead of PyDESeq2's own.

:class:`RCompatInference` keeps PyDESeq2's interface, so it can be passed to
``DeseqDataSet(inference=...)``/``DeseqStats(inference=...)``, and adds the routines
:mod:`tmeseq.de.fit` drives directly (gene-wise and MAP dispersions with R's line search,
R's parametric trend loop and prior variance). What each routine changes, compared with
:class:`pydeseq2.default_inference.DefaultInference`:

==========================  ===============================================================
routine                     R behaviour reproduced
==========================  ===============================================================
``lin_reg_mu``              projection of the normalised counts on the design (QR)
``irls``                    R's IRLS (ridge 1e-6 on log2 scale, means >= ``min_mu`` at every
                            step, 100 iterations) with R's L-BFGS-B fallback
``alpha_mle``               R's Armijo line search on ``log(alpha)`` plus the grid fallback,
                            instead of L-BFGS-B
``wald_test``               standard error from means bounded below by ``min_mu`` (R), and
                            R's formulas for thresholded alternative hypotheses
``dispersion_trend_gamma``  R ``glm(family = Gamma("identity"))`` by IRLS, not L-BFGS-B
==========================  ===============================================================

Per-gene work is vectorised with numpy; with ``n_cpus > 1`` and enough genes it is split into
one chunk per worker (joblib, loky backend, one BLAS thread per worker). Results do not
depend on the number of workers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import fields
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_backend
from pydeseq2.default_inference import DefaultInference
from scipy.stats import norm

from tmeseq.de import dispersion, glm, trend

#: Work (genes x samples x design coefficients) below which one more worker process does not
#: pay for its start-up. Per-gene fits cost about samples x coefficients, so a paired design
#: with dozens of patient coefficients is worth splitting long before a two-group one is.
MIN_WORK_PER_WORKER = 6_000_000

AltHypothesis = Literal["greaterAbs", "lessAbs", "greater", "less"]
T = TypeVar("T")


class RCompatInference(DefaultInference):
    """Inference routines reproducing R DESeq2 (see the module docstring).

    Parameters
    ----------
    n_cpus : int, optional
        Worker processes for per-gene work (``None``: all host cores, as PyDESeq2).
    min_mu : float
        Lower bound on fitted means in GLM fits and standard errors (R ``minmu``, 0.5).
    joblib_verbosity, batch_size, backend
        As :class:`~pydeseq2.default_inference.DefaultInference`.
    """

    def __init__(
        self,
        n_cpus: int | None = None,
        min_mu: float = 0.5,
        joblib_verbosity: int = 0,
        batch_size: int = 128,
        backend: str = "loky",
    ) -> None:
        super().__init__(
            joblib_verbosity=joblib_verbosity,
            batch_size=batch_size,
            n_cpus=n_cpus,
            backend=backend,
        )
        self.min_mu = min_mu

    # -- chunked execution -------------------------------------------------------------------

    @staticmethod
    def _chunks(n_genes: int, work: int) -> list[slice]:
        """Split genes into blocks of about ``MIN_WORK_PER_WORKER`` work.

        The blocks depend on the data only, never on the number of workers, so results are
        identical whatever ``n_cpus`` is (vectorised arithmetic on a block of another shape
        can round differently).
        """
        n_blocks = min(max(1, work // MIN_WORK_PER_WORKER), n_genes)
        edges = np.linspace(0, n_genes, n_blocks + 1).astype(int)
        return [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]

    def _run(self, function: Callable[..., T], per_gene: dict[str, Any], **shared: Any) -> list[T]:
        """Call ``function`` on row blocks of the ``per_gene`` arrays, in parallel if worth it."""
        first = np.asarray(next(iter(per_gene.values())))
        design = shared.get("design")
        coefficients = np.asarray(design).shape[1] if design is not None else 1
        chunks = self._chunks(first.shape[0], first.size * coefficients)
        workers = min(self.n_cpus, len(chunks))
        if workers == 1:
            return [function(**{k: v[c] for k, v in per_gene.items()}, **shared) for c in chunks]
        calls = [
            delayed(function)(**{k: v[c] for k, v in per_gene.items()}, **shared) for c in chunks
        ]
        with parallel_backend(self._backend, inner_max_num_threads=1):
            return Parallel(n_jobs=workers, verbose=self._joblib_verbosity)(calls)

    # -- routines driven by tmeseq.de.fit ------------------------------------------------------

    def fit_glm(
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design: np.ndarray,
        dispersions: np.ndarray,
        beta_tol: float = 1e-8,
        maxit: int = 100,
    ) -> glm.NBGLMFit:
        """Per-gene NB GLMs as R's ``fitNbinomGLMs`` (genes x samples ``counts``)."""
        parts = self._run(
            glm.fit_nb_glm,
            {"counts": counts, "dispersions": dispersions},
            size_factors=size_factors,
            design=design,
            min_mu=self.min_mu,
            beta_tol=beta_tol,
            maxit=maxit,
        )
        return _concatenate(parts)

    def fit_genewise_dispersions(
        self,
        counts: np.ndarray,
        mu: np.ndarray,
        design: np.ndarray,
        start: np.ndarray,
        bounds: dispersion.DispersionBounds,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gene-wise dispersions as R's ``estimateDispersionsGeneEst`` (genes x samples)."""
        parts = self._run(
            dispersion.genewise_dispersions,
            {"counts": counts, "mu": mu, "start": start},
            design=design,
            bounds=bounds,
        )
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def fit_map_dispersions(
        self,
        counts: np.ndarray,
        mu: np.ndarray,
        design: np.ndarray,
        genewise: np.ndarray,
        fitted: np.ndarray,
        prior_var: float,
        bounds: dispersion.DispersionBounds,
    ) -> np.ndarray:
        """MAP dispersions as R's ``estimateDispersionsMAP`` (genes x samples)."""
        parts = self._run(
            dispersion.map_dispersions,
            {"counts": counts, "mu": mu, "genewise": genewise, "fitted": fitted},
            design=design,
            prior_var=prior_var,
            bounds=bounds,
        )
        return np.concatenate(parts)

    def fit_parametric_trend(self, means: np.ndarray, dispersions: np.ndarray) -> np.ndarray:
        """``(asymptDisp, extraPois)`` of R's parametric trend (raises ``TrendFitError``)."""
        return trend.parametric_trend(means, dispersions)

    def fit_prior_variance(
        self,
        genewise: np.ndarray,
        fitted: np.ndarray,
        n_samples: int,
        n_coefs: int,
        min_disp: float,
    ) -> float:
        """Prior variance of ``log(alpha)`` as R's ``estimateDispersionsPriorVar``."""
        return trend.prior_variance(genewise, fitted, n_samples, n_coefs, min_disp)

    # -- PyDESeq2 Inference interface (samples x genes arrays) ---------------------------------

    def lin_reg_mu(
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design_matrix: np.ndarray,
        min_mu: float,
    ) -> np.ndarray:
        """Means from a linear fit of the normalised counts (R ``linearModelMuNormalized``).

        Parameters and return value as :meth:`pydeseq2.inference.Inference.lin_reg_mu`.
        """
        return glm.linear_model_mu(counts.T, size_factors, design_matrix, min_mu).T

    def irls(
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design_matrix: np.ndarray,
        disp: np.ndarray,
        min_mu: float,
        beta_tol: float,
        min_beta: float = -30,
        max_beta: float = 30,
        optimizer: Literal["BFGS", "L-BFGS-B"] = "L-BFGS-B",
        maxit: int = 100,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """NB GLM fits with R's IRLS and optim fallback (R ``fitNbinomGLMs``).

        Parameters and return values as :meth:`pydeseq2.inference.Inference.irls`; ``maxit``
        defaults to R's 100 and ``min_beta``/``max_beta``/``optimizer`` are ignored (R bounds
        the log2 coefficients to [-30, 30] in its L-BFGS-B fallback).
        """
        fit = self.fit_glm(counts.T, size_factors, design_matrix, disp, beta_tol, maxit)
        return fit.beta, fit.mu.T, fit.hat_diagonals.T, fit.converged

    def alpha_mle(
        self,
        counts: np.ndarray,
        design_matrix: np.ndarray,
        mu: np.ndarray,
        alpha_hat: np.ndarray,
        min_disp: float,
        max_disp: float,
        prior_disp_var: float | None = None,
        cr_reg: bool = True,
        prior_reg: bool = False,
        optimizer: Literal["BFGS", "L-BFGS-B"] = "L-BFGS-B",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Dispersions by R's line search (gene-wise without prior, MAP with ``prior_reg``).

        Parameters and return values as :meth:`pydeseq2.inference.Inference.alpha_mle`.
        With ``prior_reg`` the prior is centred on ``log(alpha_hat)``, which is also the
        start (PyDESeq2's convention; :mod:`tmeseq.de.fit` starts the MAP search as R does).
        Means are bounded below by ``min_mu``. ``cr_reg`` and ``optimizer`` are ignored: the
        Cox-Reid term is always used, as in R.
        """
        bounds = dispersion.DispersionBounds(min_disp, max_disp)
        y, means = counts.T.astype(float), np.maximum(mu.T, self.min_mu)
        if not prior_reg:
            estimate, iterations = self.fit_genewise_dispersions(
                y, means, design_matrix, alpha_hat, bounds
            )
            return estimate, iterations < 100
        if prior_disp_var is None:
            raise ValueError("prior_disp_var is required when prior_reg is True")
        estimate = self.fit_map_dispersions(
            y, means, design_matrix, alpha_hat, alpha_hat, prior_disp_var, bounds
        )
        return estimate, np.ones(estimate.size, dtype=bool)

    def wald_test(
        self,
        design_matrix: np.ndarray,
        disp: np.ndarray,
        lfc: np.ndarray,
        mu: np.ndarray,
        ridge_factor: np.ndarray,
        contrast: np.ndarray,
        lfc_null: np.ndarray,
        alt_hypothesis: AltHypothesis | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Wald test with R's standard errors (means bounded below by ``min_mu``).

        Parameters and return values as :meth:`pydeseq2.inference.Inference.wald_test`;
        thresholded alternatives follow R's ``results()`` formulas.
        """
        bounded = np.maximum(np.asarray(mu, dtype=float).T, self.min_mu)
        se = contrast_standard_errors(
            design_matrix, bounded, disp, np.diag(ridge_factor), contrast
        )
        estimate = np.asarray(lfc) @ np.asarray(contrast, dtype=float)
        stat, pvalue = wald_statistics(estimate, se, float(np.abs(lfc_null)), alt_hypothesis)
        return pvalue, stat, se

    def dispersion_trend_gamma_glm(
        self, covariates: pd.Series, targets: pd.Series
    ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Gamma GLM with identity link by IRLS, as R's ``glm`` (one fit, start (0.1, 1)).

        Parameters and return values as
        :meth:`pydeseq2.inference.Inference.dispersion_trend_gamma_glm`.
        """
        x = np.asarray(covariates, dtype=float)
        y = np.asarray(targets, dtype=float)
        try:
            fit = trend.gamma_identity_glm(x, y, np.array([0.1, 1.0]))
        except trend.TrendFitError:
            return np.array([np.nan, np.nan]), np.full(x.size, np.nan), False
        coefs = fit.coefficients
        return coefs, coefs[0] + coefs[1] * x, fit.converged


def _concatenate(parts: list[glm.NBGLMFit]) -> glm.NBGLMFit:
    if len(parts) == 1:
        return parts[0]
    merged = {
        f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(glm.NBGLMFit)
    }
    return glm.NBGLMFit(**merged)


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
    information = np.einsum("gm,mi,mj->gij", weights, design, design)
    inverse = np.linalg.inv(information + np.diag(ridge))
    c = np.asarray(contrast, dtype=float)
    left = inverse @ c
    return np.sqrt(np.einsum("gi,gij,gj->g", left, information, left))


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

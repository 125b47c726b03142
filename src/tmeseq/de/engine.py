"""The numerical engine of the DE layer: R DESeq2 1.38's per-gene routines, run in blocks.

:class:`Engine` is the one object every DE computation goes through (the fit, the QC blind
VST, the apeGLM shrinkage), so they all use the same routines and the same parallelism:

=============================  ==========================================================
method                         R routine reproduced
=============================  ==========================================================
``fit_glm``                    ``fitNbinomGLMs``: IRLS with ridge 1e-6 on the log2 scale,
                               means >= ``min_mu`` at every step, L-BFGS-B fallback
``fit_genewise_dispersions``   ``estimateDispersionsGeneEst``: Armijo line search on
                               ``log(alpha)`` with the grid fallback
``fit_map_dispersions``        ``estimateDispersionsMAP``
``fit_parametric_trend``       ``estimateDispersionsFit(fitType = "parametric")``: Gamma
                               GLM with identity link by IRLS, R's outlier loop
``fit_prior_variance``         ``estimateDispersionsPriorVar``
``shrink``                     ``lfcShrink(type = "apeglm")``: MAP with a Cauchy prior
=============================  ==========================================================

Per-gene work is vectorised with numpy and split into blocks whose size depends on the data
only (genes x samples x coefficients), never on the number of workers, so results are
identical whatever ``n_workers`` is. With more than one worker the blocks run in parallel
(joblib, loky backend, one BLAS thread per worker).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

import numpy as np
from joblib import Parallel, delayed, parallel_backend

from tmeseq.de import apeglm, dispersion, glm, trend

#: Work (genes x samples x design coefficients) below which one more worker process does not
#: pay for its start-up. Per-gene fits cost about samples x coefficients, so a paired design
#: with dozens of patient coefficients is worth splitting long before a two-group one is.
MIN_WORK_PER_WORKER = 6_000_000

T = TypeVar("T")
F = TypeVar("F", glm.NBGLMFit, apeglm.ApeglmFit)


class Engine:
    """R DESeq2's per-gene routines, run in blocks (see the module docstring).

    Parameters
    ----------
    n_workers : int
        Worker processes for per-gene work (BLAS is limited to one thread per worker).
    min_mu : float
        Lower bound on fitted means in GLM fits and standard errors (R ``minmu``, 0.5).
    """

    def __init__(self, n_workers: int = 1, min_mu: float = 0.5) -> None:
        if n_workers < 1:
            raise ValueError(f"n_workers must be >= 1, got {n_workers}")
        self.n_workers = n_workers
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
        workers = min(self.n_workers, len(chunks))
        if workers == 1:
            return [function(**{k: v[c] for k, v in per_gene.items()}, **shared) for c in chunks]
        calls = [
            delayed(function)(**{k: v[c] for k, v in per_gene.items()}, **shared) for c in chunks
        ]
        with parallel_backend("loky", inner_max_num_threads=1):
            return Parallel(n_jobs=workers)(calls)

    # -- R's routines ----------------------------------------------------------------------

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

    def shrink(
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design: np.ndarray,
        dispersions: np.ndarray,
        start: np.ndarray,
        shrink_index: int,
        prior_scale: float,
    ) -> apeglm.ApeglmFit:
        """apeGLM MAP coefficients (R ``lfcShrink(type = "apeglm")``, genes x samples)."""
        parts = self._run(
            apeglm.map_coefficients,
            {"counts": counts, "dispersions": dispersions, "start": start},
            size_factors=size_factors,
            design=design,
            shrink_index=shrink_index,
            prior_scale=prior_scale,
        )
        return _concatenate(parts)


def _concatenate(parts: list[F]) -> F:
    """One per-gene result from the results of consecutive gene blocks."""
    if len(parts) == 1:
        return parts[0]
    kind = type(parts[0])
    merged = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(kind)}
    return kind(**merged)

"""Per-gene linear algebra on the gene axis, shared by the fit, the dispersions and the test.

Every gene ``g`` has its own weights ``w_g`` over the samples, so DESeq2's information matrix
``X' diag(w_g) X`` is a stack of small ``p x p`` matrices. Built with a batched matrix product
(BLAS) rather than a three-operand ``einsum``, whose cost on designs with many coefficients
(paired designs: one per patient) dominated the whole fit.
"""

from __future__ import annotations

import numpy as np


def weighted_crossprod(design: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``X' diag(w_g) X`` for every gene.

    Parameters
    ----------
    design : numpy.ndarray
        Samples x coefficients.
    weights : numpy.ndarray
        Genes x samples.

    Returns
    -------
    numpy.ndarray
        Genes x coefficients x coefficients.
    """
    return np.matmul(design.T[None, :, :] * weights[:, None, :], design)


def quadratic_diagonal(design: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """``x_m' A_g x_m`` for every gene ``g`` and sample ``m`` (rows ``x_m`` of the design).

    Parameters
    ----------
    design : numpy.ndarray
        Samples x coefficients.
    matrices : numpy.ndarray
        Genes x coefficients x coefficients.

    Returns
    -------
    numpy.ndarray
        Genes x samples.
    """
    return np.sum(np.matmul(design[None, :, :], matrices) * design[None, :, :], axis=2)


def quadratic_form(vectors: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """``v_g' A_g v_g`` for every gene.

    Parameters
    ----------
    vectors : numpy.ndarray
        Genes x coefficients.
    matrices : numpy.ndarray
        Genes x coefficients x coefficients.

    Returns
    -------
    numpy.ndarray
        One value per gene.
    """
    return np.sum(np.matmul(matrices, vectors[:, :, None])[:, :, 0] * vectors, axis=1)

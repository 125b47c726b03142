"""The per-gene linear algebra of the DE fit: the batched products equal the textbook sums."""

from __future__ import annotations

import numpy as np

from tmeseq.de.linalg import quadratic_diagonal, quadratic_form, weighted_crossprod


def _inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    design = rng.normal(size=(9, 4))
    weights = rng.uniform(0.1, 5.0, size=(6, 9))
    matrices = rng.normal(size=(6, 4, 4))
    vectors = rng.normal(size=(6, 4))
    return design, weights, matrices, vectors


def test_weighted_crossprod_is_x_transpose_w_x_per_gene() -> None:
    design, weights, _, _ = _inputs()
    stacked = weighted_crossprod(design, weights)
    assert stacked.shape == (6, 4, 4)
    for gene in range(6):
        expected = design.T @ np.diag(weights[gene]) @ design
        np.testing.assert_allclose(stacked[gene], expected, rtol=1e-13, atol=1e-13)


def test_quadratic_diagonal_is_the_diagonal_of_x_a_x_transpose() -> None:
    design, _, matrices, _ = _inputs()
    values = quadratic_diagonal(design, matrices)
    assert values.shape == (6, 9)
    for gene in range(6):
        expected = np.diag(design @ matrices[gene] @ design.T)
        np.testing.assert_allclose(values[gene], expected, rtol=1e-13, atol=1e-13)


def test_quadratic_form_is_v_transpose_a_v_per_gene() -> None:
    _, _, matrices, vectors = _inputs()
    values = quadratic_form(vectors, matrices)
    expected = [vectors[g] @ matrices[g] @ vectors[g] for g in range(6)]
    np.testing.assert_allclose(values, expected, rtol=1e-13, atol=1e-13)

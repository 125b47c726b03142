"""apeGLM shrinkage of exactly the contrast that is reported (R ``lfcShrink(type="apeglm")``).

apeGLM shrinks one design coefficient. A contrast ``test`` vs ``reference`` is a coefficient
only when ``reference`` is the reference level of the fit; for any other pair (e.g. NKTR-214
vs chemotherapy in a fit whose reference is vehicle) the coefficient would be another
comparison. DESeq2 users relevel and refit; here the fit is reparametrised instead: the
design with ``reference`` as the reference level spans the same column space, so
``X_new = X A`` for an invertible ``A`` and the coefficients become ``A^-1 beta`` — the same
model, same fitted means and dispersions, no refit. The coefficient is then checked to be
the contrast (its value must equal the contrast's log2 fold change from the main fit), its
maximum-likelihood SE sets apeglm's adaptive prior scale, and the MAP estimates of all genes
are computed by :meth:`tmeseq.de.engine.Engine.shrink`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from tmeseq.de import apeglm
from tmeseq.de.engine import Engine
from tmeseq.de.fit import MIN_MU
from tmeseq.de.model import DEModel
from tmeseq.de.wald import fitted_standard_errors
from tmeseq.design import design_matrix
from tmeseq.settings import Contrast

logger = logging.getLogger(__name__)

TOLERANCE = 1e-6


def releveled_design(
    metadata: pd.DataFrame, design: str, variable: str, reference: str
) -> pd.DataFrame:
    """The design matrix with ``reference`` as the reference level of ``variable``.

    ``metadata`` is the typed sample sheet the model was fitted on (see
    :func:`tmeseq.samplesheet.covariates`).
    """
    relevelled = metadata.copy()
    levels = list(relevelled[variable].cat.categories)
    order = [reference, *(level for level in levels if level != reference)]
    relevelled[variable] = relevelled[variable].cat.reorder_categories(order)
    return design_matrix(relevelled, design)


def reparametrise(old: pd.DataFrame, beta: np.ndarray, new: pd.DataFrame) -> np.ndarray:
    """Coefficients (genes x coefficients) of the same fit in the coding of ``new``.

    Raises
    ------
    ValueError
        If ``new`` does not span the same space as ``old``.
    """
    old_x = old.to_numpy(dtype=float)
    new_x = new.to_numpy(dtype=float)
    transform, *_ = np.linalg.lstsq(old_x, new_x, rcond=None)
    if not np.allclose(old_x @ transform, new_x, atol=1e-9):
        raise ValueError("the releveled design is not a reparametrisation of the fitted one")
    return np.asarray(beta, dtype=float) @ np.linalg.inv(transform).T


def shrinkable(contrast: Contrast) -> bool:
    """Whether apeGLM can shrink ``contrast``: a level contrast or one coefficient."""
    if contrast.coefficients is None:
        return True
    return len(contrast.coefficients) == 1 and contrast.coefficients[0][1] == 1.0


def shrink_contrast(
    model: DEModel, contrast: Contrast, expected_lfc: pd.Series, engine: Engine
) -> pd.DataFrame:
    """apeGLM-shrunk log2 fold changes of a contrast (see :func:`shrinkable`).

    Parameters
    ----------
    model : DEModel
        The fitted model.
    contrast : Contrast
        A level contrast of the fit, or a single design coefficient with weight 1.
    expected_lfc : pandas.Series
        The contrast's unshrunk log2 fold changes from the main fit (by gene), against which
        the shrunk coefficient is checked.
    engine : Engine
        Runs the per-gene optimisation.

    Returns
    -------
    pandas.DataFrame
        Index genes; columns ``log2FoldChange`` and ``lfcSE`` (shrunk; NaN for genes with
        no counts; the unshrunk estimate for genes whose optimisation gave no finite value,
        as R's apeglm and PyDESeq2 keep them).

    Raises
    ------
    ValueError
        If the contrast is a combination of several coefficients.
    RuntimeError
        If the coefficient that would be shrunk is not the contrast.
    """
    if not shrinkable(contrast):
        raise ValueError(
            f"contrast '{contrast.name}' combines coefficients; apeGLM cannot shrink it"
        )
    design, coefficient = _coding(model, contrast)
    index = list(design.columns).index(coefficient)
    beta = reparametrise(model.design, model.coefficients, design)
    fitted = ~np.isnan(beta).any(axis=1)
    mle = pd.Series(beta[:, index] / np.log(2), index=model.genes)
    _check_is_contrast(mle, expected_lfc, coefficient)
    with threadpool_limits(limits=1):
        shrunk, se = _map_estimates(model, design, beta[fitted], fitted, index, engine)
    table = pd.DataFrame(np.nan, index=model.genes, columns=["log2FoldChange", "lfcSE"])
    table.loc[fitted, "log2FoldChange"] = shrunk / np.log(2)
    table.loc[fitted, "lfcSE"] = se / np.log(2)
    return table


def _coding(model: DEModel, contrast: Contrast) -> tuple[pd.DataFrame, str]:
    """The design coding in which the contrast is one coefficient, and that coefficient."""
    if contrast.coefficients is not None:
        return model.design, contrast.coefficients[0][0]
    variable, reference = str(contrast.variable), str(contrast.reference)
    design = releveled_design(model.metadata, model.design_formula, variable, reference)
    return design, f"{variable}[T.{contrast.test}]"


def _map_estimates(
    model: DEModel,
    design: pd.DataFrame,
    beta: np.ndarray,
    genes: np.ndarray,
    index: int,
    engine: Engine,
) -> tuple[np.ndarray, np.ndarray]:
    """MAP estimate and posterior SD (natural log) of coefficient ``index``, fitted genes."""
    x = design.to_numpy(dtype=float)
    sf = model.size_factors
    dispersions = model.dispersions[genes]
    unit = np.eye(x.shape[1])[index]
    mle_se = fitted_standard_errors(x, beta, sf, dispersions, unit, MIN_MU)
    scale = apeglm.adaptive_prior_scale(beta[:, index], mle_se)
    counts = model.counts[:, genes].T.astype(float)
    fit = engine.shrink(counts, sf, x, dispersions, beta, index, scale)
    estimate, se = fit.beta[:, index], fit.se
    failed = ~np.isfinite(estimate) | ~np.isfinite(se)
    logger.info(
        "apeGLM: prior scale %.4g; %d genes did not converge, %d kept their unshrunk estimate",
        scale,
        int((~fit.converged).sum()),
        int(failed.sum()),
    )
    return np.where(failed, beta[:, index], estimate), np.where(failed, mle_se, se)


def _check_is_contrast(coefficient: pd.Series, expected: pd.Series, name: str) -> None:
    both = pd.concat([coefficient, expected], axis=1, join="inner").dropna()
    gap = float(np.abs(both.iloc[:, 0] - both.iloc[:, 1]).max()) if len(both) else 0.0
    if gap > TOLERANCE:
        raise RuntimeError(
            f"the coefficient {name} differs from the contrast's log2 fold change by up to "
            f"{gap:.3g}; shrinking it would report another comparison"
        )
    logger.info("Shrinking %s: checked equal to the contrast (max difference %.2g)", name, gap)

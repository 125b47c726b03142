"""apeGLM shrinkage of exactly the contrast that is reported.

PyDESeq2 shrinks one design coefficient at a time. A contrast ``test`` vs ``reference`` is a
coefficient only when ``reference`` is the reference level of the fit; for any other pair
(e.g. NKTR-214 vs chemotherapy in a fit whose reference is vehicle) the coefficient that
would be shrunk is a different comparison. DESeq2 users relevel and refit; here the fit is
reparametrised instead: the design with ``reference`` as the reference level spans the same
column space, so ``X_new = X A`` for an invertible ``A`` and the coefficients become
``A^-1 beta`` — the same model, same fitted means and dispersions, no refit. The shrunk
coefficient is then checked to be the contrast: its unshrunk value must equal the contrast's
log2 fold change from the main fit.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from formulaic import model_matrix
from pydeseq2.dds import DeseqDataSet
from pydeseq2.ds import DeseqStats
from pydeseq2.inference import Inference

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
    matrix = model_matrix(design, relevelled)
    return pd.DataFrame(
        np.asarray(matrix, dtype=float), index=metadata.index, columns=list(matrix.columns)
    )


def reparametrise(
    design_matrix: pd.DataFrame, lfc: pd.DataFrame, new_design: pd.DataFrame
) -> pd.DataFrame:
    """Coefficients of the same fit in the coding of ``new_design``.

    Raises
    ------
    ValueError
        If ``new_design`` does not span the same space as ``design_matrix``.
    """
    old = design_matrix.to_numpy(dtype=float)
    new = new_design.to_numpy(dtype=float)
    transform, *_ = np.linalg.lstsq(old, new, rcond=None)
    if not np.allclose(old @ transform, new, atol=1e-9):
        raise ValueError("the releveled design is not a reparametrisation of the fitted one")
    coefficients = lfc.to_numpy(dtype=float) @ np.linalg.inv(transform).T
    return pd.DataFrame(coefficients, index=lfc.index, columns=new_design.columns)


def shrink_level_contrast(
    dds: DeseqDataSet,
    metadata: pd.DataFrame,
    design: str,
    contrast: tuple[str, str, str],
    expected_lfc: pd.Series,
    *,
    inference: Inference,
) -> pd.DataFrame:
    """apeGLM-shrunk log2 fold changes of ``test`` vs ``reference``.

    Parameters
    ----------
    dds : DeseqDataSet
        The fitted model (after ``deseq2()``).
    metadata : pandas.DataFrame
        The typed sample sheet the model was fitted on.
    design : str
        The design formula.
    contrast : tuple of str
        ``(variable, test, reference)``.
    expected_lfc : pandas.Series
        The contrast's unshrunk log2 fold changes from the main fit (by gene), against which
        the shrunk coefficient is checked.
    inference : Inference
        PyDESeq2 inference backend (carries the thread count).

    Returns
    -------
    pandas.DataFrame
        Index genes; columns ``log2FoldChange`` and ``lfcSE`` (shrunk).

    Raises
    ------
    RuntimeError
        If the coefficient that would be shrunk is not the contrast.
    """
    variable, test, reference = contrast
    coefficient = f"{variable}[T.{test}]"
    new_design = releveled_design(metadata, design, variable, reference)
    lfc = reparametrise(dds.obsm["design_matrix"], dds.varm["LFC"], new_design)
    _check_is_contrast(lfc[coefficient] / np.log(2), expected_lfc, coefficient)
    index = new_design.columns.get_loc(coefficient)
    stats = DeseqStats(
        dds,
        contrast=np.eye(new_design.shape[1])[index],
        cooks_filter=False,
        independent_filter=False,
        inference=inference,
        quiet=True,
    )
    # DeseqStats works on its own copies of the design and coefficients; give it the
    # reparametrised ones so that the shrunk coefficient is the contrast.
    stats.design_matrix = new_design
    stats.LFC = lfc
    stats.summary()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stats.lfc_shrink(coeff=coefficient)
    for warning in caught:
        logger.warning("apeGLM shrinkage of %s: %s", coefficient, warning.message)
    return stats.results_df[["log2FoldChange", "lfcSE"]].copy()


def _check_is_contrast(coefficient: pd.Series, expected: pd.Series, name: str) -> None:
    both = pd.concat([coefficient, expected], axis=1, join="inner").dropna()
    gap = float(np.abs(both.iloc[:, 0] - both.iloc[:, 1]).max()) if len(both) else 0.0
    if gap > TOLERANCE:
        raise RuntimeError(
            f"the coefficient {name} differs from the contrast's log2 fold change by up to "
            f"{gap:.3g}; shrinking it would report another comparison"
        )
    logger.info("Shrinking %s: checked equal to the contrast (max difference %.2g)", name, gap)

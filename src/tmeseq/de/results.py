"""The test of one contrast from a fitted model, with R DESeq2's ``results()`` rules.

The Wald statistic of the contrast with its standard error from the fitted model, R's
p-values for thresholded alternatives, R's special cases (genes whose counts are all zero in
the compared groups, genes that became all-zero after outlier replacement, Cook's outliers)
and R's independent filtering.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from tmeseq.de.filtering import independent_filtering
from tmeseq.de.fit import MIN_MU
from tmeseq.de.model import DEModel
from tmeseq.de.rstats import bh_adjust
from tmeseq.de.wald import fitted_standard_errors, wald_statistics
from tmeseq.settings import Contrast, DETestSettings

logger = logging.getLogger(__name__)

RESULT_COLUMNS = ["baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]


def contrast_results(
    model: DEModel, contrast: Contrast | np.ndarray, settings: DETestSettings
) -> pd.DataFrame:
    """Wald test of one contrast with R DESeq2's ``results()`` rules.

    Parameters
    ----------
    model : DEModel
        A model from :func:`tmeseq.de.fit.fit_model`.
    contrast : Contrast or numpy.ndarray
        A contrast of the run, or a vector over the design columns.
    settings : DETestSettings
        Test options (``alpha``, filters, threshold, alternative).

    Returns
    -------
    pandas.DataFrame
        Columns baseMean, log2FoldChange, lfcSE, stat, pvalue, padj, indexed by gene. The
        independent-filtering diagnostics are in ``attrs`` (``filter_threshold``,
        ``filter_theta``, ``alpha``).
    """
    vector = _vector(model, contrast)
    with threadpool_limits(limits=1):
        table = _wald_table(model, vector)
        _apply_contrast_zeros(model, table, contrast, vector)
        table = _apply_threshold(table, settings)
        if settings.cooks_filter:
            table.loc[model.cooks_outlier, "pvalue"] = np.nan
        _apply_now_zero(model, table)
        _adjust(table, settings)
    logger.info(
        "contrast %s: %d genes with padj < %g",
        contrast.name if isinstance(contrast, Contrast) else list(np.round(vector, 3)),
        int((table["padj"] < settings.alpha).sum()),
        settings.alpha,
    )
    return table[RESULT_COLUMNS]


def _vector(model: DEModel, contrast: Contrast | np.ndarray) -> np.ndarray:
    if isinstance(contrast, Contrast):
        return model.contrast_vector(contrast)
    vector = np.asarray(contrast, dtype=float)
    if vector.shape != (len(model.coefficient_names),):
        raise ValueError(
            "the contrast vector must have one entry per design-matrix column "
            f"({model.coefficient_names})"
        )
    return vector


def _wald_table(model: DEModel, vector: np.ndarray) -> pd.DataFrame:
    beta = model.coefficients
    table = pd.DataFrame(np.nan, index=model.genes, columns=RESULT_COLUMNS)
    table["baseMean"] = model.base_mean
    testable = ~np.isnan(beta).any(axis=1)
    se = fitted_standard_errors(
        model.design_array,
        beta[testable],
        model.size_factors,
        model.dispersions[testable],
        vector,
        MIN_MU,
    )
    lfc = beta[testable] @ vector
    stat, pvalue = wald_statistics(lfc, se)
    table.loc[testable, "log2FoldChange"] = lfc / np.log(2)
    table.loc[testable, "lfcSE"] = se / np.log(2)
    table.loc[testable, "stat"] = stat
    table.loc[testable, "pvalue"] = pvalue
    return table


def _contrast_samples(
    model: DEModel, contrast: Contrast | np.ndarray, vector: np.ndarray
) -> np.ndarray | None:
    """Samples whose counts R checks for 'all zero in the compared groups' (None: no check)."""
    if isinstance(contrast, Contrast) and contrast.is_levels:
        levels = [str(contrast.test), str(contrast.reference)]
        return model.metadata[str(contrast.variable)].astype(str).isin(levels).to_numpy()
    if (vector >= 0).all() or (vector <= 0).all():
        return None
    return model.design_array @ (vector != 0).astype(float) != 0


def _apply_contrast_zeros(
    model: DEModel, table: pd.DataFrame, contrast: Contrast | np.ndarray, vector: np.ndarray
) -> None:
    samples = _contrast_samples(model, contrast, vector)
    if samples is None:
        return
    zero = (model.counts[samples] == 0).all(axis=0) & model.nonzero
    table.loc[zero, ["log2FoldChange", "stat"]] = 0.0
    table.loc[zero, "pvalue"] = 1.0


def _apply_threshold(table: pd.DataFrame, settings: DETestSettings) -> pd.DataFrame:
    if settings.lfc_threshold == 0 and settings.alt_hypothesis == "greaterAbs":
        return table
    stat, pvalue = wald_statistics(
        table["log2FoldChange"].to_numpy(),
        table["lfcSE"].to_numpy(),
        settings.lfc_threshold,
        settings.alt_hypothesis,
    )
    return table.assign(stat=stat, pvalue=pvalue)


def _apply_now_zero(model: DEModel, table: pd.DataFrame) -> None:
    table.loc[model.now_zero, ["log2FoldChange", "lfcSE", "stat"]] = 0.0
    table.loc[model.now_zero, "pvalue"] = 1.0


def _adjust(table: pd.DataFrame, settings: DETestSettings) -> None:
    pvalues = table["pvalue"].to_numpy()
    if not settings.independent_filter:
        table["padj"] = bh_adjust(pvalues)
        return
    result = independent_filtering(table["baseMean"].to_numpy(), pvalues, settings.alpha)
    table["padj"] = result.padj
    table.attrs.update(
        filter_threshold=result.threshold, filter_theta=result.theta, alpha=settings.alpha
    )
    logger.info(
        "independent filtering: mean-count threshold %.4g (quantile %.3f)",
        result.threshold,
        result.theta,
    )

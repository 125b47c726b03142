"""Workflow steps ``de_fit`` (one fit of the design) and ``de_results`` (every contrast).

``de_fit`` writes ``de/model.h5ad`` (:func:`tmeseq.de.model_to_anndata`); ``de_results``
reads it and writes the contract table per contrast, the summary and one workbook. Changing
a test option (``de.alpha``, the filters, the threshold, shrinkage) reruns only the second.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from tmeseq.de import Engine, contrast_results, fit_model, model_from_anndata, model_to_anndata
from tmeseq.de.model import DEModel
from tmeseq.de.prefilter import prefilter_mask
from tmeseq.de.shrinkage import shrink_contrast, shrinkable
from tmeseq.de_tables import results_table, summary_table, write_results_tsv, write_workbook
from tmeseq.design import design_variables
from tmeseq.importer import write_h5ad
from tmeseq.samplesheet import covariates, sheet_from_obs
from tmeseq.settings import Contrast, DEModelSettings, DETestSettings
from tmeseq.tables import write_tsv

logger = logging.getLogger(__name__)


def run_fit(h5ad: str | Path, model: str | Path, settings: DEModelSettings, threads: int) -> None:
    """Pre-filter the genes, fit the design once and write ``model.h5ad``.

    Parameters
    ----------
    h5ad : str or Path
        ``counts.h5ad`` from the import step.
    model : str or Path
        Where to write the fitted model.
    settings : DEModelSettings
        The design, contrasts, pre-filter and fit options.
    threads : int
        Worker processes.
    """
    imported = ad.read_h5ad(h5ad)
    typed = covariates(sheet_from_obs(imported.obs), settings.categorical, settings.references)
    metadata = typed[design_variables(settings.design)]
    counts = pd.DataFrame(imported.X, index=imported.obs_names, columns=imported.var_names)
    tested = prefilter_mask(imported, settings)
    fitted = fit_model(counts.loc[:, tested], metadata, settings, Engine(n_workers=threads))
    logger.info("Design coefficients: %s", ", ".join(fitted.coefficient_names))
    stored = model_to_anndata(fitted, imported, tested, settings.contrasts, settings.categorical)
    write_h5ad(stored, model)


def run_results(
    model: str | Path,
    tables: Mapping[str, str | Path],
    summary: str | Path,
    workbook: str | Path,
    contrasts: Sequence[Contrast],
    settings: DETestSettings,
    threads: int,
) -> None:
    """Test (and optionally shrink) every contrast of the fitted model; write the tables.

    Parameters
    ----------
    model : str or Path
        ``model.h5ad`` from :func:`run_fit`.
    tables : mapping
        Contrast name -> TSV path.
    summary, workbook : str or Path
        The summary TSV and the workbook.
    contrasts : sequence of Contrast
        The contrasts, in the config's order.
    settings : DETestSettings
        The test options.
    threads : int
        Worker processes for the shrinkage.
    """
    stored = ad.read_h5ad(model)
    fitted = model_from_anndata(stored)
    engine = Engine(n_workers=threads)
    results = {c.name: _contrast_table(fitted, c, settings, engine, stored.var) for c in contrasts}
    for name, table in results.items():
        write_results_tsv(table, tables[name])
    counts = summary_table(results, settings.alpha, settings.lfc_threshold)
    _log_summary(counts)
    write_tsv(counts, summary)
    write_workbook(results, counts, workbook)


def _contrast_table(
    model: DEModel,
    contrast: Contrast,
    settings: DETestSettings,
    engine: Engine,
    var: pd.DataFrame,
) -> pd.DataFrame:
    results = contrast_results(model, contrast, settings)
    shrunk = None
    if settings.shrink:
        shrunk = _shrink(model, contrast, results, engine)
    return results_table(results, var, shrunk)


def _shrink(
    model: DEModel, contrast: Contrast, results: pd.DataFrame, engine: Engine
) -> pd.DataFrame:
    if not shrinkable(contrast):
        logger.warning(
            "contrast '%s' is a combination of coefficients; apeGLM shrinks single "
            "coefficients only, so its shrunk columns are NA",
            contrast.name,
        )
        return pd.DataFrame(np.nan, index=results.index, columns=["log2FoldChange", "lfcSE"])
    return shrink_contrast(model, contrast, results["log2FoldChange"], engine)


def _log_summary(summary: pd.DataFrame) -> None:
    for row in summary.itertuples(index=False):
        logger.info(
            "%s: %d up, %d down at padj < %g (%d genes tested, %d Cook's outliers, "
            "%d removed by independent filtering)",
            row.contrast,
            row.n_up,
            row.n_down,
            row.alpha,
            row.n_tested,
            row.n_outliers,
            row.n_low_counts,
        )

"""Workflow step ``qc``: library sizes, detected genes, blind-VST PCA, sample correlation."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import anndata as ad
import matplotlib

from tmeseq import qc
from tmeseq.settings import QCSettings
from tmeseq.tables import write_tsv

logger = logging.getLogger(__name__)


def run(
    h5ad: str | Path,
    outputs: Mapping[str, str | Path],
    *,
    settings: QCSettings,
    threads: int,
) -> None:
    """Compute the QC tables and figures of one cohort.

    Parameters
    ----------
    h5ad : str or Path
        ``counts.h5ad`` from the import step.
    outputs : mapping
        Paths keyed ``stats``, ``library_plot``, ``pca``, ``variance``, ``pca_plot``,
        ``correlation``, ``correlation_plot``.
    settings : QCSettings
        Genes used for the PCA and the sample-sheet columns that colour and shape the figures.
    threads : int
        Worker processes for the VST.
    """
    matplotlib.use("Agg")
    from tmeseq.plots import qc as plots

    adata = ad.read_h5ad(h5ad)
    n_top_genes = settings.n_top_genes
    # Sheet columns as read (missing values stay missing), rows in sheet order: the figures
    # colour the levels in that order, as every other figure of the cohort.
    groups = adata.obs[settings.colour_by] if settings.colour_by else None
    shapes = adata.obs[settings.shape_by] if settings.shape_by else None
    logger.info("QC of %d samples x %d genes", adata.n_obs, adata.n_vars)
    vst = qc.blind_vst(adata, threads=threads)
    scores, variance = qc.pca(vst, adata.obs_names, n_top=n_top_genes)
    correlation = qc.sample_correlation(vst, adata.obs_names)
    stats = qc.library_stats(adata, outliers=qc.flag_outliers(correlation))
    flagged = stats.loc[stats["outlier"], "sample"].tolist()
    if flagged:
        logger.warning("possible outlier sample(s): %s (see library_stats.tsv)", flagged)
    logger.info(
        "PC1 explains %.1f%%, PC2 %.1f%% of the variance of the %d most variable genes",
        100 * variance["variance_explained"].iloc[0],
        100 * variance["variance_explained"].iloc[1],
        min(n_top_genes, adata.n_vars),
    )
    write_tsv(stats, outputs["stats"])
    write_tsv(scores, outputs["pca"])
    write_tsv(variance, outputs["variance"])
    write_tsv(correlation, outputs["correlation"], index=True)
    plots.plot_library_sizes(stats, outputs["library_plot"], colour_by=groups)
    plots.plot_pca(scores, variance, outputs["pca_plot"], colour_by=groups, shape_by=shapes)
    plots.plot_correlation_heatmap(correlation, outputs["correlation_plot"], annotate_by=groups)

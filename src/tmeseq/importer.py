"""The import stage: counts + sample sheet + annotation -> one validated AnnData.

The AnnData is samples x genes with raw integer counts in ``X``, the sample sheet as ``obs``
(index = sample names) and ``var`` with columns ``gene_id`` and ``symbol`` (index = gene IDs as
in the count file). Provenance goes to ``uns["tmeseq"]["import"]``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np

from tmeseq import __version__
from tmeseq.annotation import annotate, read_annotation
from tmeseq.readers import read_counts
from tmeseq.samplesheet import read_sample_sheet
from tmeseq.validation import check_counts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportSettings:
    """What the import needs to know besides the files.

    Attributes
    ----------
    format : str
        Count format name or ``"auto"``.
    star_strand : str
        STAR column choice: ``"unstranded"``, ``"forward"`` or ``"reverse"``.
    tx2gene : str or None
        Transcript-to-gene map for salmon/kallisto.
    annotation : str or None
        Gene annotation table or GTF.
    """

    format: str = "auto"
    star_strand: str = "unstranded"
    tx2gene: str | None = None
    annotation: str | None = None


def import_counts(
    counts_path: str | Path, sheet_path: str | Path, settings: ImportSettings
) -> ad.AnnData:
    """Read, validate and annotate a cohort's counts.

    Parameters
    ----------
    counts_path : str or Path
        Count file or folder.
    sheet_path : str or Path
        Sample sheet.
    settings : ImportSettings
        Format and annotation options.

    Returns
    -------
    anndata.AnnData
        Samples x genes, raw integer counts.

    Raises
    ------
    InputError
        Any problem with the files (see :mod:`tmeseq.validation`).
    """
    sheet = read_sample_sheet(sheet_path)
    table = read_counts(
        counts_path, settings.format, star_strand=settings.star_strand, tx2gene=settings.tx2gene
    )
    logger.info(
        "Read %d genes x %d samples (%s format) from %s",
        table.counts.shape[0],
        table.counts.shape[1],
        table.format,
        counts_path,
    )
    checked = check_counts(
        table.counts,
        list(sheet.index),
        estimated=table.estimated,
        counts_file=counts_path,
        sheet_file=sheet_path,
    )
    annotation = read_annotation(settings.annotation) if settings.annotation else None
    symbols = table.symbols.reindex(checked.counts.index) if table.symbols is not None else None
    var, report = annotate(
        checked.counts.index,
        checked.counts.sum(axis=1),
        annotation,
        symbols=symbols,
        source=settings.annotation,
    )
    logger.info("Annotation: %s", report.summary())
    adata = ad.AnnData(
        X=np.ascontiguousarray(checked.counts.to_numpy(dtype=np.int64).T),
        obs=sheet.copy(),
        var=var,
    )
    adata.obs.index.name = None
    adata.uns["tmeseq"] = {
        "import": {
            "counts_path": str(counts_path),
            "format": table.format,
            "estimated_counts": bool(table.estimated),
            "n_rounded": int(checked.n_rounded),
            "ignored_columns": list(checked.ignored_columns),
            "annotation": str(settings.annotation or ""),
            "annotation_summary": report.summary(),
            "tmeseq_version": __version__,
        }
    }
    logger.info("Imported %d samples x %d genes", adata.n_obs, adata.n_vars)
    return adata


def write_h5ad(adata: ad.AnnData, path: str | Path) -> None:
    """Write ``adata`` atomically: to a temporary file first, renamed when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    adata.write_h5ad(partial, compression="gzip")
    partial.replace(path)

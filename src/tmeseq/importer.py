"""The import stage: counts + sample sheet + annotation -> one validated AnnData.

The AnnData is samples x genes with raw integer counts in ``X``, the sample sheet as ``obs``
(index = sample names) and ``var`` with columns ``gene_id`` and ``symbol`` (index = gene IDs as
in the count file), then, when known:

* ``biotype``: from the annotation (a GTF's ``gene_type``/``gene_biotype``, a table's biotype
  column) or the bundled human tables (NCBI Gene types); strings, NaN for genes without one;
  absent when the source has no biotypes (e.g. the bundled mouse table);
* ``length``: gene length in base pairs, float64, from the count input when it carries lengths
  (featureCounts ``Length``; RSEM ``effective_length``; salmon/kallisto lengths from
  pytximport; nf-core ``gene_lengths`` tables), else from a GTF given as ``annotation``
  (exon-union length); NaN where unknown. Per-sample lengths (all but featureCounts and GTF)
  are kept as ``layers["length"]`` (samples x genes, float64) and ``var["length"]`` is their
  mean across the sheet's samples (missing values skipped).

Without ``annotation``, the symbols come from the bundled table of the IDs' type for the
configured species (:func:`tmeseq.idmap.bundled_annotation`), after the symbols the count file
carries itself. Provenance goes to ``uns["tmeseq"]["import"]``: besides the files and counts,
``annotation_source`` (the user's file, or the bundled table with its sources and versions, or
``""``), ``id_type`` (:data:`tmeseq.idmap.KIND_LABELS`) and ``length_source``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from tmeseq import __version__
from tmeseq.annotation import annotate, read_annotation, strip_version
from tmeseq.idmap import bundled_annotation, detect_id_type, table_paths
from tmeseq.readers import GeneLengths, read_counts
from tmeseq.samplesheet import count_columns, read_sample_sheet
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
    species : {"human", "mouse"} or None
        The configured species. Without ``annotation`` it picks the bundled ID table and is
        checked against the IDs; None takes no bundled table (genes keep their IDs unless the
        count file carries symbols).
    id_tables : tuple of str
        Paths of the bundled ID tables (the workflow passes them as rule inputs); empty for
        the bundled copies of the source tree.
    """

    format: str = "auto"
    star_strand: str = "unstranded"
    tx2gene: str | None = None
    annotation: str | None = None
    species: str | None = None
    id_tables: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class _Annotation:
    """The annotation the import uses: the frame for :func:`annotate` and its provenance."""

    frame: pd.DataFrame | None
    source: str
    shown: str | None
    counts_first: bool
    id_type: str


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
        count_columns(sheet),
        estimated=table.estimated,
        counts_file=counts_path,
        sheet_file=sheet_path,
    )
    genes = checked.counts.index
    symbols = table.symbols.reindex(genes) if table.symbols is not None else None
    annotation = _choose_annotation(settings, genes, symbols is not None, counts_path)
    var, report = annotate(
        genes,
        checked.counts.sum(axis=1),
        annotation.frame,
        symbols=symbols,
        source=annotation.shown,
        counts_first=annotation.counts_first,
    )
    lengths, length_source = _lengths(table.lengths, annotation, genes, count_columns(sheet))
    if lengths is not None:
        var["length"] = lengths.per_gene.to_numpy()
    adata = ad.AnnData(
        X=np.ascontiguousarray(checked.counts.to_numpy(dtype=np.int64).T),
        obs=sheet.copy(),
        var=var,
    )
    if lengths is not None and lengths.per_sample is not None:
        adata.layers["length"] = np.ascontiguousarray(lengths.per_sample.to_numpy().T)
    adata.obs.index.name = None
    adata.uns["tmeseq"] = {
        "import": {
            "counts_path": str(counts_path),
            "format": table.format,
            "estimated_counts": bool(table.estimated),
            "n_rounded": int(checked.n_rounded),
            "ignored_columns": list(checked.ignored_columns),
            "annotation": str(settings.annotation or ""),
            "annotation_source": annotation.source,
            "annotation_summary": report.summary(),
            "id_type": annotation.id_type,
            "length_source": length_source,
            "tmeseq_version": __version__,
        }
    }
    logger.info("Imported %d samples x %d genes", adata.n_obs, adata.n_vars)
    return adata


def _choose_annotation(
    settings: ImportSettings, genes: pd.Index, has_symbols: bool, counts_path: str | Path
) -> _Annotation:
    """The user's annotation when given, else the bundled table for the species (if any)."""
    if settings.annotation:
        frame = read_annotation(settings.annotation)
        kind = detect_id_type(genes).kind
        return _Annotation(frame, settings.annotation, settings.annotation, False, kind)
    if settings.species is None:
        return _Annotation(None, "", None, False, detect_id_type(genes).kind)
    found = bundled_annotation(
        genes,
        settings.species,
        tables=table_paths(settings.id_tables),
        has_symbols=has_symbols,
        file=counts_path,
    )
    shown = found.table.file if found.table is not None else None
    return _Annotation(found.annotation, found.source, shown, True, found.guess.kind)


def _lengths(
    lengths: GeneLengths | None,
    annotation: _Annotation,
    genes: pd.Index,
    columns: Mapping[str, str],
) -> tuple[GeneLengths | None, str]:
    """Gene lengths for the checked genes and samples, and where they came from.

    The count input's own lengths first (per-sample ones selected and renamed like the counts:
    ``columns`` maps each sample to its count column), else a GTF annotation's.
    """
    if lengths is not None:
        logger.info("Gene lengths: %s", lengths.source)
        if lengths.per_sample is None:
            per_gene = lengths.per_gene.set_axis(lengths.per_gene.index.astype(str))
            return GeneLengths.from_genes(per_gene.reindex(genes), lengths.source), lengths.source
        per_sample = lengths.per_sample.set_axis(lengths.per_sample.index.astype(str), axis=0)
        per_sample = per_sample.loc[genes, list(columns.values())]
        per_sample.columns = pd.Index(list(columns), dtype=object)
        return GeneLengths.from_samples(per_sample, lengths.source), lengths.source
    frame = annotation.frame
    if frame is not None and "length" in frame.columns:
        table = pd.Series(frame["length"].to_numpy(), index=strip_version(frame.index))
        per_gene = table[~table.index.duplicated()].reindex(strip_version(genes))
        source = f"exon-union lengths from {annotation.source}"
        logger.info("Gene lengths: %s (%d genes)", source, int(per_gene.notna().sum()))
        return GeneLengths.from_genes(pd.Series(per_gene.to_numpy(), index=genes), source), source
    return None, ""


def write_h5ad(adata: ad.AnnData, path: str | Path) -> None:
    """Write ``adata`` atomically: to a temporary file first, renamed when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    adata.write_h5ad(partial, compression="gzip")
    partial.replace(path)

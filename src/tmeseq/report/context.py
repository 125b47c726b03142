"""A finished result tree, read into typed data for the report.

The report step receives every file it reads as a rule input; :class:`ReportInputs` names
them (one :class:`ContrastFiles` per contrast) and :func:`load_results` reads them into a
:class:`CohortResults`. Tables are read the way the workflow writes them (tab-separated,
``NA`` for missing values) with names (samples, genes, scores, terms) kept as text. The two
AnnData files are opened in backed mode: only the sample sheet and the gene annotations are
read, never the count matrices, so a 1,000-sample cohort loads quickly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd

from tmeseq.settings import Contrast

#: Columns read as text whatever they hold (names a user or a gene-set file chose).
TEXT_COLUMNS = ("sample", "gene_id", "symbol", "score", "term", "collection", "contrast")


def read_table(path: str | Path) -> pd.DataFrame:
    """A result table written by :func:`tmeseq.tables.write_tsv`: ``NA`` is missing, nothing
    else is (a gene called ``NaN`` or ``null`` stays a name), names stay text."""
    header = pd.read_csv(path, sep="\t", nrows=0).columns
    dtypes: dict[Any, Any] = {c: str for c in header if c in TEXT_COLUMNS}
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA"], dtype=dtypes)


@dataclass(frozen=True)
class ContrastFiles:
    """The files of one contrast the report reads.

    Attributes
    ----------
    de_table : Path
        ``de/<contrast>.tsv``.
    ma_plot : Path
        ``de/plots/<contrast>.ma.png``.
    scores : Path
        ``scores/<contrast>.tsv``.
    gsea : Path
        ``gsea/<contrast>.tsv``.
    collections : Path
        ``gsea/<contrast>.collections.tsv``.
    enrichment_plot : Path
        ``gsea/plots/<contrast>.enrichment.png``.
    """

    de_table: Path
    ma_plot: Path
    scores: Path
    gsea: Path
    collections: Path
    enrichment_plot: Path


#: Per-contrast input names of the report rule (lists in contrast order) -> ContrastFiles field.
CONTRAST_INPUTS: Mapping[str, str] = {
    "de_tables": "de_table",
    "ma_plots": "ma_plot",
    "score_tables": "scores",
    "gsea_tables": "gsea",
    "gsea_collections": "collections",
    "enrichment_plots": "enrichment_plot",
}


@dataclass(frozen=True)
class ReportInputs:
    """Every result file the report reads, by role.

    Attributes
    ----------
    counts, model : Path
        ``counts.h5ad`` (sample sheet, genes) and ``de/model.h5ad`` (genes tested, fit).
    library_stats, library_plot : Path
        ``qc/library_stats.tsv`` and ``qc/library_sizes.png``.
    pca, pca_variance, pca_plot, correlation_plot : Path
        ``qc/pca.tsv``, ``qc/pca_variance.tsv``, ``qc/pca.png``,
        ``qc/sample_correlation.png``.
    de_summary : Path
        ``de/summary.tsv``.
    sample_scores, coverage, tme, score_boxes : Path
        ``scores/sample_scores.tsv``, ``scores/coverage.tsv``,
        ``scores/tme_comparison.tsv``, ``scores/score_boxplots.png``.
    nes_dotplot : Path
        ``gsea/nes_dotplot.png``.
    signatures : Path
        The TME signature YAML (for the signatures' citations).
    contrasts : mapping of str to ContrastFiles
        Per contrast, in config order.
    """

    counts: Path
    model: Path
    library_stats: Path
    library_plot: Path
    pca: Path
    pca_variance: Path
    pca_plot: Path
    correlation_plot: Path
    de_summary: Path
    sample_scores: Path
    coverage: Path
    tme: Path
    score_boxes: Path
    nes_dotplot: Path
    signatures: Path
    contrasts: Mapping[str, ContrastFiles]

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any], contrasts: Sequence[str]) -> ReportInputs:
        """From the report rule's named inputs (``snakemake.input``) and the contrasts' names.

        Raises
        ------
        ValueError
            If a per-contrast input does not list one file per contrast.
        """
        per_contrast: dict[str, dict[str, Path]] = {name: {} for name in contrasts}
        for key, field in CONTRAST_INPUTS.items():
            files = [Path(p) for p in inputs[key]]
            if len(files) != len(contrasts):
                raise ValueError(
                    f"input {key!r} lists {len(files)} files for {len(contrasts)} contrasts"
                )
            for name, path in zip(contrasts, files, strict=True):
                per_contrast[name][field] = path
        single = {
            name: Path(str(inputs[name]))
            for name in cls.__dataclass_fields__
            if name != "contrasts"
        }
        return cls(
            **single,
            contrasts={name: ContrastFiles(**files) for name, files in per_contrast.items()},
        )


@dataclass(frozen=True)
class ContrastResults:
    """What one contrast produced.

    Attributes
    ----------
    contrast : Contrast
        The contrast as configured.
    de : pandas.DataFrame
        Its DE table, sorted by p-value.
    summary : dict
        Its row of ``de/summary.tsv`` (``n_up``, ``n_down``, ``n_tested``, ...).
    scores : pandas.DataFrame
        Its score comparison table.
    gsea, collections : pandas.DataFrame
        Its GSEA table and the collections tested.
    files : ContrastFiles
        Where its files are (figures are embedded from them).
    """

    contrast: Contrast
    de: pd.DataFrame
    summary: dict[str, Any]
    scores: pd.DataFrame
    gsea: pd.DataFrame
    collections: pd.DataFrame
    files: ContrastFiles


@dataclass(frozen=True)
class CohortResults:
    """A finished result tree.

    Attributes
    ----------
    samples : pandas.DataFrame
        The sample sheet as imported (index: sample names, columns: covariates).
    count_format : str
        The count format the import read (``auto`` resolved).
    n_genes : int
        Genes imported.
    tested : numpy.ndarray
        Per gene of the model, whether it passed the pre-filter and was fitted.
    fit : dict
        The fit's record (``uns["de"]`` of the model: design, fit options, trend).
    library_stats, pca, pca_variance : pandas.DataFrame
        The QC tables.
    sample_scores, coverage, tme : pandas.DataFrame
        The score tables.
    contrasts : list of ContrastResults
        Per contrast, in config order.
    inputs : ReportInputs
        Where everything came from.
    """

    samples: pd.DataFrame
    count_format: str
    n_genes: int
    tested: np.ndarray
    fit: dict[str, Any]
    library_stats: pd.DataFrame
    pca: pd.DataFrame
    pca_variance: pd.DataFrame
    sample_scores: pd.DataFrame
    coverage: pd.DataFrame
    tme: pd.DataFrame
    contrasts: list[ContrastResults]
    inputs: ReportInputs


def read_samples(path: str | Path) -> tuple[pd.DataFrame, str]:
    """The sample sheet stored in ``counts.h5ad`` (``obs``) and the count format the import
    read, without reading the counts."""
    adata = ad.read_h5ad(path, backed="r")
    try:
        obs = adata.obs.copy()
        record = adata.uns.get("tmeseq", {}).get("import", {})
    finally:
        adata.file.close()
    obs.index = obs.index.astype(str)
    return obs.drop(columns=["sample"], errors="ignore"), str(record.get("format", "unknown"))


def read_model_record(path: str | Path) -> tuple[np.ndarray, dict[str, Any]]:
    """Whether each gene was tested, and the fit's record, from ``de/model.h5ad``."""
    adata = ad.read_h5ad(path, backed="r")
    try:
        tested = adata.var["tested"].to_numpy(dtype=bool)
        record = dict(adata.uns["de"])
    finally:
        adata.file.close()
    return tested, record


def load_results(inputs: ReportInputs, contrasts: Sequence[Contrast]) -> CohortResults:
    """Read a finished result tree.

    Parameters
    ----------
    inputs : ReportInputs
        The files.
    contrasts : sequence of Contrast
        The contrasts as configured, in config order (names must match ``inputs``).

    Returns
    -------
    CohortResults
    """
    samples, count_format = read_samples(inputs.counts)
    tested, record = read_model_record(inputs.model)
    summary = read_table(inputs.de_summary).set_index("contrast")
    per_contrast = []
    for contrast in contrasts:
        files = inputs.contrasts[contrast.name]
        row = summary.loc[contrast.name].to_dict() if contrast.name in summary.index else {}
        per_contrast.append(
            ContrastResults(
                contrast=contrast,
                de=read_table(files.de_table),
                summary=row,
                scores=read_table(files.scores),
                gsea=read_table(files.gsea),
                collections=read_table(files.collections),
                files=files,
            )
        )
    return CohortResults(
        samples=samples,
        count_format=count_format,
        n_genes=len(tested),
        tested=tested,
        fit=record,
        library_stats=read_table(inputs.library_stats),
        pca=read_table(inputs.pca),
        pca_variance=read_table(inputs.pca_variance),
        sample_scores=read_table(inputs.sample_scores),
        coverage=read_table(inputs.coverage),
        tme=read_table(inputs.tme),
        contrasts=per_contrast,
        inputs=inputs,
    )

"""An AnnData file (``.h5ad``) of bulk samples.

Layout: samples x genes, ``obs_names`` = sample names, ``var_names`` = gene IDs. The counts
are taken from ``layers["counts"]`` when that layer exists (the usual place for raw counts
when ``X`` holds normalised values), else from ``X``; dense or sparse. Symbols come from the
first ``var`` column among ``symbol``, ``gene_name``, ``gene_symbols``, ``SYMBOL``. Samples
keep the file's order. ``estimated`` is False.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from tmeseq.errors import InputError
from tmeseq.readers._counttable import CountTable
from tmeseq.readers._samples import check_sample_names, require_file
from tmeseq.readers._tables import gene_index, sample_columns

if TYPE_CHECKING:  # anndata is imported when a file is read, not at workflow load
    import anndata as ad

logger = logging.getLogger(__name__)

COUNTS_LAYER = "counts"
SYMBOL_COLUMNS = ("symbol", "gene_name", "gene_symbols", "SYMBOL")


def _load(path: Path) -> ad.AnnData:
    try:
        import anndata as ad

        return ad.read_h5ad(path)
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise InputError(
            f"could not be read as an AnnData file ({type(error).__name__}: {error})",
            file=path,
            fix="give an .h5ad written by anndata (samples x genes)",
        ) from error


def _matrix(path: Path, adata: ad.AnnData) -> tuple[np.ndarray, str]:
    """The counts as a dense samples x genes array, and where they were found."""
    if COUNTS_LAYER in adata.layers:
        matrix, where = adata.layers[COUNTS_LAYER], f"layers['{COUNTS_LAYER}']"
    else:
        matrix, where = adata.X, "X"
    if matrix is None:
        raise InputError(
            "has no count matrix: X is empty and there is no layers['counts']",
            file=path,
            fix="store the raw counts in X or in layers['counts']",
        )
    dense = matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)
    return dense, where


def _symbols(adata: ad.AnnData, genes: pd.Index) -> pd.Series | None:
    column = next((c for c in SYMBOL_COLUMNS if c in adata.var.columns), None)
    if column is None:
        return None
    values = adata.var[column].astype(object).to_numpy()
    return pd.Series(values, index=genes, name="symbol", dtype=object)


def read(path: str | Path) -> CountTable:
    """Read bulk counts from an ``.h5ad`` file.

    Parameters
    ----------
    path : str or Path
        The AnnData file.

    Returns
    -------
    CountTable
        Genes x samples (the transpose of the file's matrix).

    Raises
    ------
    InputError
        If the file cannot be read, has no matrix, or repeats a sample name.
    """
    path = require_file(path, "an .h5ad file")
    adata = _load(path)
    dense, where = _matrix(path, adata)
    samples = check_sample_names(
        path, [str(s) for s in adata.obs_names], first_column=1, where="obs_names"
    )
    genes = gene_index([str(g) for g in adata.var_names])
    counts = pd.DataFrame(dense.T, index=genes)
    counts.columns = sample_columns(samples)
    symbols = _symbols(adata, genes)
    logger.info("Read AnnData %s: %d genes x %d samples from %s", path, *counts.shape, where)
    return CountTable(
        counts=counts,
        format="h5ad",
        estimated=False,
        symbols=symbols,
        sources=dict.fromkeys(samples, str(path)),
    )

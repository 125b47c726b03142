"""A plain genes x samples count matrix (TSV or CSV, optionally gzipped).

Layout: the first line is a header whose fields after the first are the sample names; every
other line is a gene ID followed by one count per sample. A header with one field fewer than
the data lines (R's ``write.table`` with row names) is accepted: all its fields are then
sample names.

The delimiter is chosen from the header line: tab if it has one, else comma, else semicolon.
Quoted fields (``"T-01"``) are unquoted as in any CSV file. Sample names are taken exactly as
written (``1``, ``a.b`` and ``3 mice`` stay those strings).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers._counttable import CountTable
from tmeseq.readers._samples import check_sample_names, require_file
from tmeseq.readers._tables import Table, gene_index, read_table, sample_columns
from tmeseq.readers._text import peek_lines

logger = logging.getLogger(__name__)

DELIMITERS = ("\t", ",", ";")
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}


def sniff_delimiter(path: Path, line: str) -> str:
    """The delimiter of a table whose header line is ``line``.

    Raises
    ------
    InputError
        If the header has none of tab, comma or semicolon (a single column).
    """
    for delimiter in DELIMITERS:
        if delimiter in line:
            return delimiter
    raise InputError(
        "has a single column: no tab, comma or semicolon in its first line",
        file=path,
        where="line 1",
        fix="a count matrix needs a header 'gene_id<TAB>sample1<TAB>sample2...' and one line "
        "per gene; save it as TSV or CSV",
    )


def read(path: str | Path) -> CountTable:
    """Read a genes x samples count matrix.

    Parameters
    ----------
    path : str or Path
        The matrix file (``.tsv``, ``.csv``, ``.txt``, optionally ``.gz``).

    Returns
    -------
    CountTable
        Columns in file order; ``estimated`` False; no symbols.

    Raises
    ------
    InputError
        If the file is missing, empty, has no sample columns, ragged lines, or duplicate or
        empty sample names.
    """
    path = require_file(path, "a count matrix")
    lines = peek_lines(path, 1)
    if not lines:
        raise InputError("is empty", file=path, fix="check that the file is complete")
    delimiter = sniff_delimiter(path, lines[0])
    table = read_table(path, delimiter, short_header_ok=True)
    samples = check_sample_names(path, (table.header or [])[1:], first_column=2)
    counts = _counts(table, samples)
    logger.info(
        "Read a %s-separated matrix: %d genes x %d samples from %s",
        _DELIMITER_NAMES[delimiter],
        counts.shape[0],
        counts.shape[1],
        path,
    )
    return CountTable(
        counts=counts,
        format="matrix",
        estimated=False,
        symbols=None,
        sources=dict.fromkeys(samples, str(path)),
    )


def _counts(table: Table, samples: list[str]) -> pd.DataFrame:
    """Genes x samples from a parsed matrix whose first column holds the gene IDs."""
    counts = table.frame.iloc[:, 1:].copy()
    counts.index = gene_index(table.frame[0])
    counts.columns = sample_columns(samples)
    return counts

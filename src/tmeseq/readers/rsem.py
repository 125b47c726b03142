"""RSEM gene-level results (``rsem-calculate-expression`` -> ``<sample>.genes.results``).

Layout (tab-separated, with header)::

    gene_id  transcript_id(s)  length  effective_length  expected_count  TPM  FPKM  [...]

The ``expected_count`` column is used: RSEM's estimate of the reads per gene, which may be
fractional (``estimated`` is True). The ``effective_length`` column gives the per-sample gene
lengths (as tximport uses for RSEM; ``length`` is not used). Extra columns (e.g. from
``--calc-pme``) are ignored.

``counts.path`` is a folder with ``<sample>.genes.results`` files (optionally ``.gz``),
directly in it or one folder down (``<sample>/<sample>.genes.results``); the sample name is
the file name without ``.genes.results``. ``.isoforms.results`` files are ignored. A single
``.genes.results`` file is also accepted. Samples are sorted by name.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers._counttable import CountTable, GeneLengths
from tmeseq.readers._samples import SampleColumn, align_samples, require_path, unique_samples
from tmeseq.readers._tables import read_table

logger = logging.getLogger(__name__)

FILE_SUFFIXES = (".genes.results", ".genes.results.gz")
ID_COLUMN = "gene_id"
COUNT_COLUMN = "expected_count"
LENGTH_COLUMN = "effective_length"
GENES_HEADER = ("gene_id", "transcript_id(s)")
ISOFORMS_HEADER = ("transcript_id", "gene_id")
LOOKED_FOR = "<sample>.genes.results or <sample>/<sample>.genes.results, optionally .gz"


def sample_name(path: Path) -> str | None:
    """The sample name of a ``.genes.results`` file, or None for other files."""
    for suffix in FILE_SUFFIXES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return path.name[: -len(suffix)]
    return None


def find_files(folder: Path) -> list[tuple[str, Path]]:
    """``.genes.results`` files in ``folder`` and its immediate subfolders."""
    candidates = [*folder.iterdir()]
    candidates += [p for d in candidates if d.is_dir() for p in d.iterdir()]
    found = []
    for path in sorted(candidates):
        name = sample_name(path) if path.is_file() else None
        if name:
            found.append((name, path))
    return found


def looks_like(fields: list[str]) -> bool:
    """Whether header ``fields`` are those of a ``genes.results`` file."""
    return tuple(fields[:2]) == GENES_HEADER and COUNT_COLUMN in fields


def read_one(path: Path) -> tuple[SampleColumn, SampleColumn | None]:
    """One sample's expected counts and effective lengths from its ``genes.results`` file."""
    table = read_table(path, "\t", id_columns=2)
    header = table.header or []
    if tuple(header[:2]) == ISOFORMS_HEADER:
        raise InputError(
            "is RSEM's transcript-level output (isoforms.results), not gene-level",
            file=path,
            where="line 1 (header)",
            fix="use the <sample>.genes.results files",
        )
    if header[:1] != [ID_COLUMN] or COUNT_COLUMN not in header:
        raise InputError(
            f"lacks the columns RSEM writes: expected '{ID_COLUMN}' first and an "
            f"'{COUNT_COLUMN}' column, found {', '.join(repr(h) for h in header)}",
            file=path,
            where="line 1 (header)",
            fix="give the <sample>.genes.results files as written by rsem-calculate-expression",
        )
    frame = table.frame
    genes = list(frame[0])
    values = frame[header.index(COUNT_COLUMN)].reset_index(drop=True)
    lengths = None
    if LENGTH_COLUMN in header:
        lengths = SampleColumn(genes, frame[header.index(LENGTH_COLUMN)].reset_index(drop=True))
    return SampleColumn(genes, values), lengths


def read(path: str | Path) -> CountTable:
    """Read RSEM ``genes.results`` files (a folder of them, or one file).

    Parameters
    ----------
    path : str or Path
        Folder (see the module docstring) or one ``.genes.results`` file.

    Returns
    -------
    CountTable
        Expected counts, samples sorted by name; ``estimated`` True; per-sample lengths from
        ``effective_length`` when every file has that column.

    Raises
    ------
    InputError
        No files, a name clash, or a file without ``gene_id``/``expected_count`` columns.
    """
    path = require_path(path)
    if path.is_dir():
        files = unique_samples(find_files(path), path, LOOKED_FOR)
    else:
        files = {sample_name(path) or path.name: path}
    columns = {s: read_one(f) for s, f in files.items()}
    counts = align_samples({s: c for s, (c, _) in columns.items()}, files)
    logger.info(
        "Read RSEM expected_count for %d samples (%d genes)", counts.shape[1], counts.shape[0]
    )
    return CountTable(
        counts=counts,
        format="rsem",
        estimated=True,
        symbols=None,
        sources={sample: str(file) for sample, file in files.items()},
        lengths=_lengths(columns, files, counts),
    )


def _lengths(
    columns: dict[str, tuple[SampleColumn, SampleColumn | None]],
    files: dict[str, Path],
    counts: pd.DataFrame,
) -> GeneLengths | None:
    """Per-sample effective lengths, aligned like the counts; None if a file lacks them."""
    lengths = {s: length for s, (_, length) in columns.items() if length is not None}
    if len(lengths) != len(columns):
        return None
    frame = align_samples(lengths, files)
    frame.index, frame.columns = counts.index, counts.columns
    return GeneLengths.from_samples(frame, f"RSEM {LENGTH_COLUMN} column (per sample)")

"""A cheap look at a count input: its sample names and first gene IDs, without reading it all.

The workflow checks the sample sheet against the counts when it loads, before any job runs;
reading a whole matrix (or every per-sample file) for that would be slow, so
:func:`read_header` reads only what names the samples (a header line, the per-sample file
names, an AnnData's ``obs_names``) and the first lines of gene IDs. Sample names are derived
by the readers' own rules (:mod:`tmeseq.readers.featurecounts` for BAM columns, the file
and folder rules of STAR, htseq-count, RSEM, salmon and kallisto), so they are exactly the
names the import will produce.

Gene IDs come from the first :data:`N_GENES` data lines (of the first sample's file for
per-sample formats). salmon and kallisto files list transcripts, whose genes are known only
after summarising with the transcript-to-gene map: for them ``gene_ids`` is empty.
"""

from __future__ import annotations

import csv
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from tmeseq.errors import InputError
from tmeseq.readers import featurecounts, h5ad, htseq, kallisto, nfcore, rsem, salmon, star
from tmeseq.readers._counttable import FORMATS
from tmeseq.readers._samples import (
    check_sample_names,
    require_file,
    require_path,
    unique_samples,
)
from tmeseq.readers._text import peek_lines, unreadable
from tmeseq.readers.detect import detect
from tmeseq.readers.matrix import sniff_delimiter

#: Gene IDs read from the top of the counts (enough to tell the ID type).
N_GENES = 2000


@dataclass(frozen=True)
class CountHeader:
    """What :func:`read_header` learned about a count input.

    Attributes
    ----------
    path : Path
        The count file or folder.
    format : str
        The format (detected when ``"auto"`` was asked for).
    samples : tuple of str
        Sample names as the import will name them, in the order the reader gives them.
    gene_ids : tuple of str
        The first gene IDs (up to :data:`N_GENES`); empty for salmon and kallisto.
    has_symbols : bool
        Whether the counts carry gene symbols of their own (a featureCounts ``gene_name``
        attribute, an nf-core ``gene_name`` column, a symbol column of an AnnData's ``var``).
    """

    path: Path
    format: str
    samples: tuple[str, ...]
    gene_ids: tuple[str, ...]
    has_symbols: bool = False


def read_header(path: str | Path, fmt: str = "auto", *, n_genes: int = N_GENES) -> CountHeader:
    """Sample names and first gene IDs of a count file or folder, read cheaply.

    Parameters
    ----------
    path : str or Path
        What ``counts.path`` points at.
    fmt : str
        One of :data:`tmeseq.readers.FORMATS`, or ``"auto"`` to detect it.
    n_genes : int
        How many gene IDs to read at most.

    Returns
    -------
    CountHeader

    Raises
    ------
    InputError
        If the path is missing or unreadable (permission denied, corrupt gzip, not UTF-8),
        the format is not recognised, or the sample names are empty or repeated.
    """
    path = require_path(path)
    require_readable(path)
    if fmt != "auto" and fmt not in FORMATS:
        raise InputError(
            f"unknown count format '{fmt}'",
            where="key counts.format",
            fix=f"use one of: auto, {', '.join(FORMATS)}",
        )
    try:
        if fmt == "auto":
            fmt = detect(path).format
        peeked = _PEEKERS[fmt](path, n_genes)
    except zlib.error as error:  # a corrupt deflate stream inside a gzip file
        raise unreadable(path, error) from error
    return CountHeader(
        path, fmt, tuple(peeked.samples), tuple(peeked.gene_ids[:n_genes]), peeked.has_symbols
    )


class _Peek(NamedTuple):
    samples: list[str]
    gene_ids: list[str]
    has_symbols: bool = False


def require_readable(path: Path) -> None:
    """Raise naming ``path`` if the user running the workflow may not read it."""
    wanted = os.R_OK | os.X_OK if path.is_dir() else os.R_OK
    if not os.access(path, wanted):
        kind = "folder" if path.is_dir() else "file"
        raise InputError(
            f"cannot be read: permission denied (the {kind} is not readable by this user)",
            file=path,
            fix=f"make the {kind} readable by the user running snakemake (e.g. chmod "
            f"{'a+rx' if path.is_dir() else 'a+r'}), or point counts.path at a readable copy",
        )


def _first_fields(lines: list[str], delimiter: str = "\t") -> list[str]:
    """The first field of each non-blank line (csv quoting undone)."""
    return [row[0] for row in csv.reader(lines, delimiter=delimiter) if row]


def _matrix(path: Path, n_genes: int) -> _Peek:
    lines = peek_lines(require_file(path, "a count matrix"), n_genes + 1)
    if not lines:
        raise InputError("is empty", file=path, fix="check that the file is complete")
    delimiter = sniff_delimiter(path, lines[0])
    rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
    header = rows[0]
    # a header one field short of the data lines (R's write.table) names only samples
    short = len(rows) > 1 and len(rows[1]) == len(header) + 1
    names = header if short else header[1:]
    samples = check_sample_names(path, names, first_column=2)
    return _Peek(samples, [row[0] for row in rows[1:]])


def _featurecounts(path: Path, n_genes: int) -> _Peek:
    lines = peek_lines(require_file(path, "a featureCounts table"), n_genes + 2)
    if featurecounts.is_summary(lines):
        raise featurecounts.summary_error(path)
    program_line = (
        lines[0] if lines and lines[0].startswith(featurecounts.PROGRAM_PREFIX) else None
    )
    skip = 1 if program_line else 0
    header = next(csv.reader(lines[skip : skip + 1], delimiter="\t"), [])
    featurecounts._check_header(path, header, skip + 1)
    # the reader's own rules (header, annotation columns), so the names match the import
    width = featurecounts._annotation_width(header, program_line)
    samples = featurecounts.sample_names(path, header[width:], first_column=width + 1)
    return _Peek(samples, _first_fields(lines[skip + 1 :]), "gene_name" in header[:width])


def _nfcore(path: Path, n_genes: int) -> _Peek:
    lines = peek_lines(require_file(path, "an nf-core merged table"), n_genes + 1)
    header = next(csv.reader(lines[:1], delimiter="\t"), [])
    _, has_symbols, bam_names = nfcore._layout(path, header)
    if bam_names:
        samples = featurecounts.sample_names(path, header[2:], first_column=3)
    else:
        samples = check_sample_names(path, header[2:], first_column=3)
    return _Peek(samples, _first_fields(lines[1:]), has_symbols)


def _per_sample(
    files: dict[str, Path], n_genes: int, skip: Callable[[str], bool], header: bool
) -> _Peek:
    """Samples of a per-sample format, and the gene IDs of its first file."""
    for file in files.values():
        require_readable(file)
    first = next(iter(files.values()))
    lines = peek_lines(first, n_genes + 5)
    ids = _first_fields(lines[1:] if header else lines)
    return _Peek(list(files), [gene for gene in ids if not skip(gene)])


def _found(
    path: Path,
    finder: Callable[[Path], list[tuple[str, Path]]],
    looked_for: str,
    single: Callable[[Path], str | None],
) -> dict[str, Path]:
    if path.is_dir():
        return unique_samples(finder(path), path, looked_for)
    return {single(path) or path.name: path}


def _star(path: Path, n_genes: int) -> _Peek:
    files = _found(path, star.find_files, star.LOOKED_FOR, star.sample_name)
    return _per_sample(files, n_genes, lambda g: g in star.STATISTICS_ROWS, header=False)


def _htseq(path: Path, n_genes: int) -> _Peek:
    files = _found(path, htseq.find_files, htseq.LOOKED_FOR, htseq.sample_name)
    return _per_sample(
        files, n_genes, lambda g: g.startswith(htseq.STATISTICS_PREFIX), header=False
    )


def _rsem(path: Path, n_genes: int) -> _Peek:
    files = _found(path, rsem.find_files, rsem.LOOKED_FOR, rsem.sample_name)
    return _per_sample(files, n_genes, lambda g: False, header=True)


def _transcripts(
    sample_files: Callable[[Path], dict[str, Path]],
) -> Callable[[Path, int], _Peek]:
    def peek(path: Path, n_genes: int) -> _Peek:
        files = sample_files(path)
        for file in files.values():
            require_readable(file)
        return _Peek(list(files), [])

    return peek


def _h5ad(path: Path, n_genes: int) -> _Peek:
    require_file(path, "an .h5ad file")
    try:
        import anndata as ad  # only for .h5ad counts: not at every workflow load

        adata = ad.read_h5ad(path, backed="r")
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise InputError(
            f"could not be read as an AnnData file ({type(error).__name__}: {error})",
            file=path,
            fix="give an .h5ad written by anndata (samples x genes)",
        ) from error
    try:
        names = [str(s) for s in adata.obs_names]
        genes = [str(g) for g in adata.var_names[:n_genes]]
        has_symbols = any(c in adata.var.columns for c in h5ad.SYMBOL_COLUMNS)
    finally:
        adata.file.close()
    samples = check_sample_names(path, names, first_column=1, where="obs_names")
    return _Peek(samples, genes, has_symbols)


_PEEKERS: dict[str, Callable[[Path, int], _Peek]] = {
    "matrix": _matrix,
    "featurecounts": _featurecounts,
    "nfcore": _nfcore,
    "star": _star,
    "htseq": _htseq,
    "rsem": _rsem,
    "salmon": _transcripts(salmon.sample_files),
    "kallisto": _transcripts(kallisto.sample_files),
    "h5ad": _h5ad,
}

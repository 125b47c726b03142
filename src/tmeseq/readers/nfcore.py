"""nf-core/rnaseq merged gene tables.

Layouts (tab-separated, header, one line per gene, samples in the remaining columns):

- ``salmon.merged.gene_counts.tsv``, ``salmon.merged.gene_counts_length_scaled.tsv``,
  ``salmon.merged.gene_counts_scaled.tsv`` (nf-core/rnaseq 3.x, written by its tximport
  script; also ``<prefix>.gene_counts*.tsv``): ``gene_id  gene_name  <samples...>``.
  ``gene_name`` becomes the symbols; the values are salmon estimates (``estimated`` True).
- ``rsem.merged.gene_counts.tsv`` (STAR-RSEM route): ``gene_id  transcript_id(s)
  <samples...>``; RSEM expected counts (``estimated`` True), no symbols.
- ``featureCounts/merged_gene_counts.txt`` (nf-core/rnaseq 1.x, pasted from per-sample
  featureCounts outputs run with ``--extraAttributes gene_name``): ``Geneid  gene_name
  <samples...>``, the sample columns being BAM names; they are cleaned with the featureCounts
  rule (:func:`tmeseq.readers.featurecounts.sample_name`). Integer counts (``estimated``
  False).

Transcript-level tables (``salmon.merged.transcript_counts.tsv``, first column ``tx``) are
refused. Samples keep the file's order.

Gene lengths: nf-core/rnaseq writes them beside the salmon counts as
``<prefix>.gene_lengths.tsv`` (same layout: ``gene_id  gene_name  <samples...>``, each
sample's abundance-weighted mean effective length). When that file sits next to a
``<prefix>.gene_counts*.tsv`` table and lists the same genes and samples, it gives the
per-sample gene lengths; otherwise (or for the RSEM and featureCounts tables, which have no
such file) there are none.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers import featurecounts
from tmeseq.readers._counttable import CountTable, GeneLengths
from tmeseq.readers._samples import check_sample_names, require_file
from tmeseq.readers._tables import gene_index, read_table, sample_columns
from tmeseq.readers._text import peek_lines

logger = logging.getLogger(__name__)

#: (first two header fields) -> (estimated, symbols from column 2, featureCounts sample names)
LAYOUTS = {
    ("gene_id", "gene_name"): (True, True, False),
    ("gene_id", "transcript_id(s)"): (True, False, False),
    ("Geneid", "gene_name"): (False, True, True),
}
TRANSCRIPT_FIRST_FIELDS = ("tx", "transcript_id")
_COUNTS_NAME = re.compile(
    r"^(?P<prefix>.+)\.gene_counts(?:_length_scaled|_scaled)?\.tsv(?:\.gz)?$"
)


def looks_like(fields: list[str]) -> bool:
    """Whether header ``fields`` are those of an nf-core merged gene table."""
    return tuple(fields[:2]) in LAYOUTS and len(fields) > 2


def is_transcript_table(fields: list[str]) -> bool:
    """Whether header ``fields`` are those of an nf-core merged transcript table."""
    return bool(fields) and fields[0] in TRANSCRIPT_FIRST_FIELDS and "gene_id" in fields[1:2]


def _layout(path: Path, header: list[str]) -> tuple[bool, bool, bool]:
    if is_transcript_table(header):
        raise InputError(
            "is an nf-core transcript-level table (first column 'tx')",
            file=path,
            where="line 1 (header)",
            fix="use the gene-level table, e.g. salmon.merged.gene_counts.tsv",
        )
    key = (header[0] if header else "", header[1] if len(header) > 1 else "")
    if key not in LAYOUTS:
        expected = "; ".join(" + ".join(k) for k in LAYOUTS)
        raise InputError(
            f"does not start with the columns of an nf-core merged table (expected {expected}; "
            f"found {' + '.join(repr(h) for h in header[:2])})",
            file=path,
            where="line 1 (header)",
            fix="give salmon.merged.gene_counts.tsv (or rsem.merged.gene_counts.tsv) as "
            "written by nf-core/rnaseq, or set counts.format to 'matrix' for a plain matrix",
        )
    return LAYOUTS[key]


def read(path: str | Path) -> CountTable:
    """Read an nf-core/rnaseq merged gene table.

    Parameters
    ----------
    path : str or Path
        The merged table (gzip allowed).

    Returns
    -------
    CountTable
        Samples in file order; symbols from ``gene_name`` where present.

    Raises
    ------
    InputError
        A header of another layout, a transcript-level table, no sample columns, ragged
        lines or repeated sample names.
    """
    path = require_file(path, "an nf-core merged table")
    lines = peek_lines(path, 1)
    estimated, has_symbols, bam_names = _layout(path, lines[0].split("\t") if lines else [])
    table = read_table(path, "\t", id_columns=2)
    header = table.header or []
    if bam_names:
        names = featurecounts.sample_names(path, header[2:], first_column=3)
    else:
        names = check_sample_names(path, header[2:], first_column=3)
    frame = table.frame
    counts = frame.iloc[:, 2:].copy()
    counts.index = gene_index(frame[0])
    counts.columns = sample_columns(names)
    symbols = None
    if has_symbols:
        symbols = pd.Series(frame[1].to_numpy(), index=counts.index, name="symbol", dtype=object)
    logger.info(
        "Read nf-core merged table %s (%s + %s): %d genes x %d samples",
        path,
        header[0],
        header[1],
        counts.shape[0],
        counts.shape[1],
    )
    return CountTable(
        counts=counts,
        format="nfcore",
        estimated=estimated,
        symbols=symbols,
        sources=dict.fromkeys(names, str(path)),
        lengths=_lengths(path, counts),
    )


def lengths_file(path: Path) -> Path | None:
    """The ``<prefix>.gene_lengths.tsv`` (or ``.gz``) beside a ``<prefix>.gene_counts*`` table."""
    match = _COUNTS_NAME.match(path.name)
    if match is None:
        return None
    for suffix in (".gene_lengths.tsv", ".gene_lengths.tsv.gz"):
        candidate = path.with_name(match.group("prefix") + suffix)
        if candidate.is_file():
            return candidate
    return None


def _lengths(path: Path, counts: pd.DataFrame) -> GeneLengths | None:
    """The per-sample lengths of the table's ``gene_lengths`` file, aligned like the counts."""
    found = lengths_file(path)
    if found is None:
        return None
    table = read_table(found, "\t", id_columns=2)
    lengths = table.frame.iloc[:, 2:].copy()
    lengths.index = gene_index(table.frame[0])
    lengths.columns = sample_columns((table.header or [])[2:])
    same = (
        lengths.index.is_unique
        and counts.index.is_unique
        and set(lengths.index) == set(counts.index)
        and set(lengths.columns) == set(counts.columns)
    )
    if not same:
        logger.warning(
            "%s does not list the same genes and samples as %s: its gene lengths are not used",
            found,
            path,
        )
        return None
    aligned = lengths.loc[counts.index, counts.columns]
    return GeneLengths.from_samples(aligned, f"nf-core {found.name} (per sample)")

"""STAR gene counts (``STAR --quantMode GeneCounts`` -> ``ReadsPerGene.out.tab``).

Layout: one tab-separated file per sample, no header, four columns::

    N_unmapped       1234  1234  1234
    N_multimapping    567   567   567
    N_noFeature       890  4567   901
    N_ambiguous        12     3     4
    ENSG00000223972     0     0     0

Column 1 is the gene ID; the count columns, and the ``star_strand`` value that picks each:

- ``"unstranded"``: column 2, counts for an unstranded library;
- ``"forward"``: column 3, reads whose 1st read strand aligns with the RNA
  (``htseq-count -s yes``, e.g. ligation/SOLiD kits);
- ``"reverse"``: column 4, reads whose 2nd read strand aligns with the RNA
  (``htseq-count -s reverse``, e.g. dUTP/Illumina TruSeq Stranded kits).

The first four rows (``N_unmapped``, ``N_multimapping``, ``N_noFeature``, ``N_ambiguous``)
are statistics, not genes, and are dropped.

Where the files are found (``counts.path``):

- a folder with ``<sample>.ReadsPerGene.out.tab``, ``<sample>_ReadsPerGene.out.tab`` or
  ``<sample>ReadsPerGene.out.tab`` (STAR's ``--outFileNamePrefix`` is pasted in front);
- a folder of per-sample folders, ``<sample>/ReadsPerGene.out.tab`` (or a prefixed file
  inside them);
- a single ``ReadsPerGene.out.tab`` file.

The sample name is the prefix without its trailing ``.`` or ``_``; a file with no prefix is
named after its folder. Any of these may be gzipped (``.gz``). Samples are sorted by name.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tmeseq.errors import InputError
from tmeseq.readers._counttable import CountTable
from tmeseq.readers._samples import (
    SampleColumn,
    align_samples,
    require_path,
    unique_samples,
)
from tmeseq.readers._tables import read_table

logger = logging.getLogger(__name__)

FILE_SUFFIX = "ReadsPerGene.out.tab"
STATISTICS_ROWS = ("N_unmapped", "N_multimapping", "N_noFeature", "N_ambiguous")
#: ``star_strand`` value -> 0-based column in ReadsPerGene.out.tab.
STRAND_COLUMNS = {"unstranded": 1, "forward": 2, "reverse": 3}
LOOKED_FOR = (
    "<sample>.ReadsPerGene.out.tab, <sample>_ReadsPerGene.out.tab or "
    "<sample>/ReadsPerGene.out.tab, optionally .gz"
)


def is_star_file(path: Path) -> bool:
    """Whether ``path`` is named like a STAR ReadsPerGene file."""
    name = path.name
    return path.is_file() and (name.endswith(FILE_SUFFIX) or name.endswith(FILE_SUFFIX + ".gz"))


def sample_name(path: Path) -> str:
    """The sample a ReadsPerGene file belongs to: its prefix, else its folder's name."""
    prefix = path.name.split(FILE_SUFFIX)[0]
    if prefix.endswith((".", "_")):
        prefix = prefix[:-1]
    return prefix or path.resolve().parent.name


def find_files(folder: Path) -> list[tuple[str, Path]]:
    """ReadsPerGene files in ``folder`` and in its immediate subfolders, with sample names."""
    candidates = [
        *folder.iterdir(),
        *(p for d in folder.iterdir() if d.is_dir() for p in d.iterdir()),
    ]
    return [(sample_name(path), path) for path in sorted(candidates) if is_star_file(path)]


def strand_column(star_strand: str) -> int:
    """The 0-based ReadsPerGene column for ``star_strand``; raise for an unknown value."""
    try:
        return STRAND_COLUMNS[star_strand]
    except KeyError:
        raise InputError(
            f"unknown STAR strandedness '{star_strand}'",
            where="key counts.star_strand",
            fix="set counts.star_strand to 'unstranded' (STAR column 2), 'forward' (column 3, "
            "htseq-count -s yes) or 'reverse' (column 4, htseq-count -s reverse; dUTP/TruSeq "
            "Stranded libraries)",
        ) from None


def read_one(path: Path, column: int) -> SampleColumn:
    """One sample's counts from its ReadsPerGene file (statistics rows dropped)."""
    table = read_table(path, "\t", has_header=False)
    frame = table.frame
    if frame.shape[1] != len(STATISTICS_ROWS):
        raise InputError(
            f"has {frame.shape[1]} columns; a STAR ReadsPerGene.out.tab file has 4 (gene ID, "
            "unstranded, forward, reverse)",
            file=path,
            where="line 1",
            fix="give the ReadsPerGene.out.tab files written by STAR --quantMode GeneCounts",
        )
    first = tuple(frame[0].iloc[: len(STATISTICS_ROWS)])
    if first != STATISTICS_ROWS:
        raise InputError(
            f"does not start with STAR's statistics rows {', '.join(STATISTICS_ROWS)} "
            f"(found {', '.join(first)})",
            file=path,
            where="lines 1-4",
            fix="give the ReadsPerGene.out.tab files written by STAR --quantMode GeneCounts, "
            "unedited",
        )
    genes = frame.iloc[len(STATISTICS_ROWS) :]
    return SampleColumn(list(genes[0]), genes[column].reset_index(drop=True))


def read(path: str | Path, star_strand: str = "unstranded") -> CountTable:
    """Read STAR ReadsPerGene.out.tab files (a folder of them, or one file).

    Parameters
    ----------
    path : str or Path
        Folder (see the module docstring for the layouts) or a single file.
    star_strand : str
        ``"unstranded"``, ``"forward"`` or ``"reverse"``: which count column to use.

    Returns
    -------
    CountTable
        Samples sorted by name; ``estimated`` False.

    Raises
    ------
    InputError
        Unknown ``star_strand``, no files found, sample name clashes, or a file that is not
        a ReadsPerGene table.
    """
    column = strand_column(star_strand)
    path = require_path(path)
    if path.is_dir():
        files = unique_samples(find_files(path), path, LOOKED_FOR)
    else:
        files = {sample_name(path): path}
    counts = align_samples({s: read_one(f, column) for s, f in files.items()}, files)
    logger.info(
        "Read STAR ReadsPerGene counts for %d samples (%d genes), column %d (%s); dropped the "
        "rows %s",
        counts.shape[1],
        counts.shape[0],
        column + 1,
        star_strand,
        ", ".join(STATISTICS_ROWS),
    )
    return CountTable(
        counts=counts,
        format="star",
        estimated=False,
        symbols=None,
        sources={sample: str(file) for sample, file in files.items()},
    )

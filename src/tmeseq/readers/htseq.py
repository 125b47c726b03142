"""htseq-count output: one two-column file per sample.

Layout (tab-separated, no header)::

    ENSG00000000003    1021
    ENSG00000000005       0
    ...
    __no_feature       50123
    __ambiguous         2311
    __too_low_aQual      120
    __not_aligned        310
    __alignment_not_unique  8822

Rows whose ID starts with ``__`` are htseq-count's statistics and are dropped.

``counts.path`` is a folder holding one file per sample (not its subfolders), named
``<sample>`` plus one of ``.htseq.counts``, ``.htseq.txt``, ``.htseq.tsv``, ``.counts.txt``,
``.counts.tsv``, ``.htseq``, ``.counts``, ``.txt``, ``.tsv`` (the longest that matches is
removed to give the sample name), optionally followed by ``.gz``. Hidden files are ignored.
Every matching file must be an htseq-count table. A single file is also accepted. Samples
are sorted by name.
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
    strip_suffix,
    unique_samples,
)
from tmeseq.readers._tables import read_table

logger = logging.getLogger(__name__)

SUFFIXES = (
    ".htseq.counts",
    ".htseq.txt",
    ".htseq.tsv",
    ".counts.txt",
    ".counts.tsv",
    ".htseq",
    ".counts",
    ".txt",
    ".tsv",
)
STATISTICS_PREFIX = "__"
LOOKED_FOR = "<sample>.txt, .tsv, .counts, .htseq or .htseq.counts files, optionally .gz"


def sample_name(path: Path) -> str | None:
    """The sample name for an htseq-count file, or None if its name does not fit."""
    name = path.name[: -len(".gz")] if path.name.endswith(".gz") else path.name
    if name.startswith(".") or not name.endswith(SUFFIXES):
        return None
    return strip_suffix(name, SUFFIXES)


def find_files(folder: Path) -> list[tuple[str, Path]]:
    """Files in ``folder`` named like htseq-count outputs, with their sample names."""
    found = []
    for path in sorted(folder.iterdir()):
        name = sample_name(path) if path.is_file() else None
        if name:
            found.append((name, path))
    return found


def looks_like(lines: list[str]) -> bool:
    """Whether peeked ``lines`` look like htseq-count output (2 columns, integer counts)."""
    rows = [line.split("\t") for line in lines if line]
    return bool(rows) and all(len(row) == 2 for row in rows) and rows[0][1].isdigit()


def read_one(path: Path) -> tuple[SampleColumn, list[str]]:
    """One sample's counts and the statistics rows that were dropped."""
    frame = read_table(path, "\t", has_header=False).frame
    if frame.shape[1] != 2:
        raise InputError(
            f"has {frame.shape[1]} columns; htseq-count output has 2 (gene ID, count) and no "
            "header",
            file=path,
            where="line 1",
            fix="give the files written by htseq-count (without --additional-attr), and keep "
            "other files out of the folder",
        )
    statistics = frame[0].str.startswith(STATISTICS_PREFIX)
    genes = frame[~statistics]
    column = SampleColumn(list(genes[0]), genes[1].reset_index(drop=True))
    return column, list(frame.loc[statistics, 0])


def read(path: str | Path) -> CountTable:
    """Read htseq-count outputs (a folder of per-sample files, or one file).

    Parameters
    ----------
    path : str or Path
        Folder of per-sample files, or one file.

    Returns
    -------
    CountTable
        Samples sorted by name; ``estimated`` False.

    Raises
    ------
    InputError
        No files found, a name clash, or a file that is not a two-column table.
    """
    path = require_path(path)
    if path.is_dir():
        files = unique_samples(find_files(path), path, LOOKED_FOR)
    else:
        files = {sample_name(path) or path.name: path}
    columns, dropped = {}, set()
    for sample, file in files.items():
        columns[sample], statistics = read_one(file)
        dropped.update(statistics)
    counts = align_samples(columns, files)
    logger.info(
        "Read htseq-count outputs for %d samples (%d genes); dropped the rows %s",
        counts.shape[1],
        counts.shape[0],
        ", ".join(sorted(dropped)) or "(none)",
    )
    return CountTable(
        counts=counts,
        format="htseq",
        estimated=False,
        symbols=None,
        sources={sample: str(file) for sample, file in files.items()},
    )

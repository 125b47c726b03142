"""Count-matrix readers: every supported layout -> one genes x samples :class:`CountTable`.

The readers check layout only (files present, expected columns, same number of fields on
every line, known options) and raise :class:`~tmeseq.errors.InputError` naming the file and
a fix. They never clean values: text cells stay strings, NaN stays NaN, negative numbers and
duplicate gene IDs are kept, for :mod:`tmeseq.validation` to report.

One module per format: :mod:`~tmeseq.readers.matrix`, :mod:`~tmeseq.readers.featurecounts`,
:mod:`~tmeseq.readers.star`, :mod:`~tmeseq.readers.htseq`, :mod:`~tmeseq.readers.salmon`,
:mod:`~tmeseq.readers.kallisto`, :mod:`~tmeseq.readers.rsem`, :mod:`~tmeseq.readers.nfcore`,
:mod:`~tmeseq.readers.h5ad`; each module's docstring gives the layout it expects and how
sample names are derived. :mod:`~tmeseq.readers.detect` recognises formats from content.

Gene lengths come with the counts when the input carries them (:class:`GeneLengths`):
featureCounts' ``Length`` column (one per gene), RSEM's ``effective_length``, salmon/kallisto
lengths from pytximport and nf-core ``gene_lengths`` tables (per sample).

Output column order: file order for single-file formats (matrix, featurecounts, nfcore,
h5ad), sample names sorted for per-sample folder formats (star, htseq, rsem, salmon,
kallisto).
"""

from __future__ import annotations

import logging
from pathlib import Path

from tmeseq.errors import InputError
from tmeseq.readers import (
    featurecounts,
    h5ad,
    htseq,
    kallisto,
    matrix,
    nfcore,
    rsem,
    salmon,
    star,
)
from tmeseq.readers._counttable import FORMATS, CountTable, GeneLengths
from tmeseq.readers._samples import require_path
from tmeseq.readers.detect import detect

__all__ = ["FORMATS", "CountTable", "GeneLengths", "detect_format", "read_counts"]

logger = logging.getLogger(__name__)


def detect_format(path: str | Path) -> str:
    """Recognise the count format of ``path`` from its content.

    Parameters
    ----------
    path : str or Path
        A count file or a folder of per-sample outputs.

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    InputError
        If nothing matches; the message lists what was looked for.

    See Also
    --------
    tmeseq.readers.detect : the signatures and how ties are broken.
    """
    return detect(path).format


def read_counts(
    path: str | Path,
    fmt: str = "auto",
    *,
    star_strand: str = "unstranded",
    tx2gene: str | Path | None = None,
) -> CountTable:
    """Read a count table in any supported format.

    Parameters
    ----------
    path : str or Path
        The count file, or the folder of per-sample outputs.
    fmt : str
        One of :data:`FORMATS`, or ``"auto"`` to recognise it from the content (logged at
        INFO with the reason).
    star_strand : str
        For STAR: ``"unstranded"``, ``"forward"`` or ``"reverse"`` (see
        :mod:`tmeseq.readers.star`).
    tx2gene : str or Path, optional
        For salmon and kallisto: the transcript-to-gene map (table or GTF).

    Returns
    -------
    CountTable
        Genes x samples, values as in the files.

    Raises
    ------
    InputError
        Unknown format name, missing path, or a layout problem (the message names the file
        and the fix).
    """
    path = require_path(path)
    if fmt == "auto":
        found = detect(path)
        logger.info("Detected %s counts in %s: %s", found.format, path, found.reason)
        fmt = found.format
    elif fmt not in FORMATS:
        raise InputError(
            f"unknown count format '{fmt}'",
            where="key counts.format",
            fix=f"use one of: auto, {', '.join(FORMATS)}",
        )
    else:
        logger.info("Reading %s as %s counts (format given)", path, fmt)
    return _read(path, fmt, star_strand, tx2gene)


def _read(path: Path, fmt: str, star_strand: str, tx2gene: str | Path | None) -> CountTable:
    """Dispatch to the reader of ``fmt``."""
    if fmt == "star":
        return star.read(path, star_strand)
    if fmt == "salmon":
        return salmon.read(path, tx2gene)
    if fmt == "kallisto":
        return kallisto.read(path, tx2gene)
    readers = {
        "matrix": matrix.read,
        "featurecounts": featurecounts.read,
        "htseq": htseq.read,
        "rsem": rsem.read,
        "nfcore": nfcore.read,
        "h5ad": h5ad.read,
    }
    return readers[fmt](path)

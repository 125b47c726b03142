"""salmon quantifications (``salmon quant -o <sample>`` -> ``<sample>/quant.sf``).

``quant.sf`` is tab-separated with the header ``Name Length EffectiveLength TPM NumReads``,
one line per transcript. The ``NumReads`` estimates are summed to genes with pytximport using
``counts.tx2gene`` (see :mod:`tmeseq.readers._summarise`); ``estimated`` is True.

``counts.path`` is a folder of per-sample folders, ``<sample>/quant.sf`` (or
``quant.sf.gz``), the sample name being the folder's name (as nf-core/rnaseq lays out
``star_salmon/`` and ``salmon/``). A folder that itself holds ``quant.sf``, or a ``quant.sf``
file, is read as one sample named after that folder. Samples are sorted by name.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers._counttable import CountTable
from tmeseq.readers._samples import unique_samples
from tmeseq.readers._summarise import read_quantifications
from tmeseq.readers._text import is_gzip, peek_lines

logger = logging.getLogger(__name__)

QUANT_FILES = ("quant.sf", "quant.sf.gz")
COLUMNS = ("Name", "Length", "EffectiveLength", "TPM", "NumReads")
LOOKED_FOR = "<sample>/quant.sf or <sample>/quant.sf.gz"


def looks_like(fields: list[str]) -> bool:
    """Whether header ``fields`` are those of a salmon ``quant.sf``."""
    return set(COLUMNS) <= set(fields)


def _quant_file(folder: Path) -> Path | None:
    return next((folder / n for n in QUANT_FILES if (folder / n).is_file()), None)


def find_files(folder: Path) -> list[tuple[str, Path]]:
    """``<sample>/quant.sf`` files one level below ``folder``."""
    found = []
    for sample_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        quant = _quant_file(sample_dir)
        if quant is not None:
            found.append((sample_dir.name, quant))
    return found


def sample_files(path: Path) -> dict[str, Path]:
    """Sample -> quant.sf for what ``counts.path`` points at."""
    if path.is_file():
        return {path.resolve().parent.name: path}
    own = _quant_file(path)
    if own is not None:
        return {path.resolve().name: own}
    return unique_samples(find_files(path), path, LOOKED_FOR)


def transcript_ids(path: Path) -> list[str]:
    """The ``Name`` column of a quant.sf, after checking its header."""
    lines = peek_lines(path, 1)
    header = lines[0].split("\t") if lines else []
    if not looks_like(header):
        missing = [c for c in COLUMNS if c not in header]
        raise InputError(
            f"lacks the quant.sf columns {', '.join(missing)} (header: {', '.join(header)})",
            file=path,
            where="line 1 (header)",
            fix="give the quant.sf files written by salmon quant, unedited",
        )
    names = pd.read_csv(
        path,
        sep="\t",
        usecols=["Name"],
        dtype=str,
        keep_default_na=False,
        compression="gzip" if is_gzip(path) else None,
    )["Name"]
    return names.tolist()


def read(path: str | Path, tx2gene: str | Path | None) -> CountTable:
    """Read salmon quantifications and sum them to genes.

    Parameters
    ----------
    path : str or Path
        Folder of ``<sample>/quant.sf`` folders (or one sample's folder or file).
    tx2gene : str or Path or None
        Transcript-to-gene map (table or GTF). Required.

    Returns
    -------
    CountTable
        Gene-level summed estimated counts, samples sorted; ``estimated`` True.

    Raises
    ------
    InputError
        No map, no quant.sf found, a file with other columns or transcripts, or a map that
        matches none of the transcripts.
    """
    return read_quantifications(path, tx2gene, "salmon", sample_files, transcript_ids)

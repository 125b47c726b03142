"""kallisto quantifications (``kallisto quant -o <sample>`` -> ``<sample>/abundance.*``).

kallisto writes ``abundance.h5`` (HDF5: ``/est_counts``, ``/aux/ids``, ``/aux/lengths``,
``/aux/eff_lengths``, ``/bootstrap/bs*``) and ``abundance.tsv`` (tab-separated, header
``target_id length eff_length est_counts tpm``). The ``est_counts`` are summed to genes with
pytximport using ``counts.tx2gene`` (see :mod:`tmeseq.readers._summarise`); ``estimated`` is
True.

``counts.path`` is a folder of per-sample folders, the sample name being the folder's name.
If every sample has ``abundance.h5`` those are read; otherwise, if every sample has
``abundance.tsv``, those are; a mix is an error. A folder that itself holds the files, or one
abundance file, is read as one sample named after that folder. Samples are sorted by name.
"""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers._counttable import CountTable
from tmeseq.readers._samples import unique_samples
from tmeseq.readers._summarise import read_quantifications
from tmeseq.readers._text import peek_lines

logger = logging.getLogger(__name__)

FILES = ("abundance.h5", "abundance.tsv")
TSV_COLUMNS = ("target_id", "length", "eff_length", "est_counts", "tpm")
H5_DATASETS = ("est_counts", "aux/ids", "aux/eff_lengths")
LOOKED_FOR = "<sample>/abundance.h5 or <sample>/abundance.tsv"


def looks_like(fields: list[str]) -> bool:
    """Whether header ``fields`` are those of a kallisto ``abundance.tsv``."""
    return set(TSV_COLUMNS) <= set(fields)


def is_abundance_h5(path: Path) -> bool:
    """Whether the HDF5 file ``path`` has kallisto's datasets."""
    try:
        with h5py.File(path, "r") as handle:
            return all(name in handle for name in H5_DATASETS)
    except OSError:
        return False


def _sample_dirs(path: Path) -> dict[str, Path]:
    """Sample -> its folder, for what ``counts.path`` points at."""
    if path.is_file():
        return {path.resolve().parent.name: path.parent}
    if any((path / name).is_file() for name in FILES):
        return {path.resolve().name: path}
    found = [(d.name, d) for d in sorted(path.iterdir()) if d.is_dir()]
    found = [(s, d) for s, d in found if any((d / name).is_file() for name in FILES)]
    return unique_samples(found, path, LOOKED_FOR)


def find_files(folder: Path) -> list[tuple[str, Path]]:
    """``<sample>/abundance.h5`` or ``.tsv`` files one level below ``folder``."""
    found = []
    for sample_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for name in FILES:
            if (sample_dir / name).is_file():
                found.append((sample_dir.name, sample_dir / name))
                break
    return found


def sample_files(path: Path) -> dict[str, Path]:
    """Sample -> abundance file, all of one kind (h5 preferred)."""
    if path.is_file():
        return {path.resolve().parent.name: path}
    dirs = _sample_dirs(path)
    for name in FILES:
        if all((d / name).is_file() for d in dirs.values()):
            return {sample: d / name for sample, d in dirs.items()}
    h5 = sorted(s for s, d in dirs.items() if (d / FILES[0]).is_file())
    tsv = sorted(s for s, d in dirs.items() if s not in h5)
    raise InputError(
        f"mixes kallisto outputs: samples {', '.join(h5[:3])} have only abundance.h5 and "
        f"{', '.join(tsv[:3])} only abundance.tsv",
        file=path,
        fix="give every sample the same kind of output (kallisto writes abundance.h5 and, "
        "with --plaintext or h5dump, abundance.tsv)",
    )


def _tsv_ids(path: Path) -> list[str]:
    lines = peek_lines(path, 1)
    header = lines[0].split("\t") if lines else []
    if not looks_like(header):
        missing = [c for c in TSV_COLUMNS if c not in header]
        raise InputError(
            f"lacks the abundance.tsv columns {', '.join(missing)}",
            file=path,
            where="line 1 (header)",
            fix="give the abundance.tsv files written by kallisto quant, unedited",
        )
    ids = pd.read_csv(path, sep="\t", usecols=["target_id"], dtype=str, keep_default_na=False)
    return ids["target_id"].tolist()


def _h5_ids(path: Path) -> list[str]:
    if not is_abundance_h5(path):
        raise InputError(
            f"is not a kallisto abundance.h5 (it lacks {', '.join('/' + d for d in H5_DATASETS)})",
            file=path,
            fix="give the abundance.h5 files written by kallisto quant",
        )
    with h5py.File(path, "r") as handle:
        raw = handle["aux/ids"][:]
    return [i.decode() if isinstance(i, bytes) else str(i) for i in raw]


def transcript_ids(path: Path) -> list[str]:
    """Transcript IDs of one abundance file, after checking its layout."""
    return _h5_ids(path) if path.suffix == ".h5" else _tsv_ids(path)


def read(path: str | Path, tx2gene: str | Path | None) -> CountTable:
    """Read kallisto quantifications and sum them to genes.

    Parameters
    ----------
    path : str or Path
        Folder of per-sample kallisto output folders (or one sample's folder or file).
    tx2gene : str or Path or None
        Transcript-to-gene map (table or GTF). Required.

    Returns
    -------
    CountTable
        Gene-level summed estimated counts, samples sorted; ``estimated`` True.

    Raises
    ------
    InputError
        No map, no abundance files, mixed kinds, a file with another layout or other
        transcripts, or a map that matches none of the transcripts.
    """
    return read_quantifications(path, tx2gene, "kallisto", sample_files, transcript_ids)

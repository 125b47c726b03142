"""Summarising salmon/kallisto transcript estimates to genes with pytximport, offline.

The transcript-to-gene map is always built here and handed to pytximport as a table, so
pytximport never fetches an annotation (it would go to Ensembl BioMart only when no map is
given). Transcript IDs are matched to the map first exactly, then, for those not found, with
a trailing version (``.12``) removed on both sides; pytximport is then called with
``ignore_transcript_version=False`` so that it does not cut IDs at their first dot (which
would merge e.g. GENCODE ``_PAR_Y`` transcripts with their X-chromosome twins). The part of
an ID after ``|`` is dropped, as salmon indexes built from GENCODE FASTA headers carry it.

Gene counts are plain sums of the transcripts' estimated counts (``counts_from_abundance``
None, tximport's default). pytximport's length matrix (per sample, each gene's
abundance-weighted mean effective transcript length) becomes the per-sample gene lengths.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers._counttable import CountTable, GeneLengths
from tmeseq.readers._samples import require_path
from tmeseq.readers._tables import gene_index, sample_columns
from tmeseq.readers.tx2gene import FIX, read_tx2gene

logger = logging.getLogger(__name__)

Tool = Literal["salmon", "kallisto"]
_VERSION = r"\.\d+$"


def require_tx2gene(tx2gene: str | Path | None, tool: Tool) -> Path:
    """The map's path; raise asking for ``counts.tx2gene`` when there is none."""
    if tx2gene is None or str(tx2gene) == "":
        raise InputError(
            f"{tool} quantifies transcripts; summing them to genes needs a transcript-to-gene "
            "map, and none was given",
            where="key counts.tx2gene",
            fix=FIX,
        )
    return Path(tx2gene)


def check_same_transcripts(ids: dict[str, list[str]], files: dict[str, Path]) -> list[str]:
    """Return the transcript IDs shared by all samples; raise if a file lists others.

    pytximport stacks the files' columns by position, so every file must list the same
    transcripts in the same order (as quantification against one index does).
    """
    samples = list(ids)
    reference = ids[samples[0]]
    for sample in samples[1:]:
        if ids[sample] != reference:
            raise InputError(
                f"lists {len(ids[sample])} transcripts that differ (in IDs or order) from the "
                f"{len(reference)} of {files[samples[0]]}",
                file=files[sample],
                fix="quantify every sample against the same index, or remove this sample's "
                "output from the folder",
            )
    return reference


def _strip_versions(ids: pd.Index) -> pd.Index:
    return pd.Index(ids.str.replace(_VERSION, "", regex=True), dtype=object)


def _version_free_map(exact: pd.Series) -> pd.Series:
    """The map keyed by version-less transcript IDs, keys that became ambiguous dropped."""
    pairs = pd.DataFrame({"tx": _strip_versions(exact.index), "gene": exact.to_numpy()})
    pairs = pairs.drop_duplicates()
    pairs = pairs[~pairs["tx"].duplicated(keep=False)]
    return pd.Series(pairs["gene"].to_numpy(), index=pd.Index(pairs["tx"], dtype=object))


def gene_map(transcripts: list[str], tx2gene: Path, example_file: Path) -> pd.DataFrame:
    """The map restricted to the quantified transcripts, keyed exactly as pytximport sees them.

    Parameters
    ----------
    transcripts : list of str
        Transcript IDs as written in the quantification files.
    tx2gene : Path
        The user's map.
    example_file : Path
        One quantification file (for the messages).

    Returns
    -------
    pandas.DataFrame
        Columns ``transcript_id`` (as in the data, cut at ``|``) and ``gene_id``.

    Raises
    ------
    InputError
        If no quantified transcript is in the map.
    """
    mapping = read_tx2gene(tx2gene)
    exact = pd.Series(mapping["gene_id"].to_numpy(), index=pd.Index(mapping["transcript_id"]))
    ids = pd.Index([t.split("|")[0] for t in transcripts], dtype=object).unique()
    genes = pd.Series(ids.map(exact), index=ids, dtype=object)
    unmatched = genes.isna()
    if unmatched.any():
        genes[unmatched] = _strip_versions(ids[unmatched]).map(_version_free_map(exact))
    _report_matches(genes, int(unmatched.sum()), tx2gene, example_file, exact)
    found = genes.dropna()
    return pd.DataFrame({"transcript_id": found.index, "gene_id": found.to_numpy()}, dtype=object)


def _report_matches(
    genes: pd.Series, inexact: int, tx2gene: Path, example_file: Path, exact: pd.Series
) -> None:
    missing = genes[genes.isna()].index
    if len(missing) == len(genes):
        raise InputError(
            f"has none of the {len(genes)} transcript IDs of {example_file} (the quantification "
            f"has e.g. {', '.join(repr(t) for t in genes.index[:3])}; the map has e.g. "
            f"{', '.join(repr(t) for t in exact.index[:3])})",
            file=tx2gene,
            where="key counts.tx2gene",
            fix="use the map (or GTF) of the annotation the salmon/kallisto index was built from",
        )
    logger.info(
        "Matched %d of %d transcripts to genes (%d exactly, %d after removing version suffixes)",
        len(genes) - len(missing),
        len(genes),
        len(genes) - inexact,
        inexact - len(missing),
    )
    if len(missing):
        logger.warning(
            "%d of %d transcripts are not in the transcript-to-gene map %s and are left out of "
            "the gene counts (e.g. %s)",
            len(missing),
            len(genes),
            tx2gene,
            ", ".join(repr(t) for t in missing[:3]),
        )


class _ToDebug(logging.Filter):
    """A root-logger filter: pytximport's messages go to our DEBUG log instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        logger.debug("pytximport: %s", record.getMessage())
        return False


@contextmanager
def _pytximport_logging() -> Iterator[None]:
    """Keep pytximport from configuring or writing to the root logger during the call.

    pytximport logs through ``logging.warning``/``logging.log`` on the root logger, which
    calls ``logging.basicConfig`` when the root has no handler and would then duplicate every
    later message on stderr. A temporary null handler prevents that, and a temporary filter
    redirects its messages to this module's DEBUG log. Both are removed afterwards.
    """
    root = logging.getLogger()
    guard = logging.NullHandler() if not root.handlers else None
    redirect = _ToDebug()
    if guard is not None:
        root.addHandler(guard)
    root.addFilter(redirect)
    try:
        yield
    finally:
        root.removeFilter(redirect)
        if guard is not None:
            root.removeHandler(guard)


def summarise(
    files: dict[str, Path], tool: Tool, mapping: pd.DataFrame, folder: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gene-level estimated counts and lengths (genes x samples) from quantification files.

    Parameters
    ----------
    files : dict of str to Path
        Sample -> quantification file, in output order.
    tool : {"salmon", "kallisto"}
        pytximport's ``data_type``.
    mapping : pandas.DataFrame
        From :func:`gene_map`.
    folder : Path
        What the user gave (for the messages).

    Returns
    -------
    counts : pandas.DataFrame
        Summed estimated counts; genes in the order pytximport returns them.
    lengths : pandas.DataFrame
        pytximport's length matrix (abundance-weighted mean effective transcript length per
        gene and sample), same index and columns.
    """
    from pytximport import tximport

    with _pytximport_logging():
        try:
            result = tximport(
                [str(path) for path in files.values()],
                data_type=tool,
                transcript_gene_map=mapping.copy(),
                counts_from_abundance=None,
                ignore_transcript_version=False,
                ignore_after_bar=True,
                output_type="anndata",
            )
        except (AssertionError, ValueError, KeyError, ImportError, OSError) as error:
            raise InputError(
                f"could not be summarised to genes by pytximport ({type(error).__name__}: "
                f"{error})",
                file=folder,
                fix=f"check that every sample's {tool} output is complete and unedited",
            ) from error
    genes, samples = gene_index(result.var_names), sample_columns(list(files))
    counts = pd.DataFrame(np.asarray(result.X).T, index=genes, columns=samples)
    lengths = pd.DataFrame(np.asarray(result.obsm["length"]).T, index=genes, columns=samples)
    return counts, lengths


def read_quantifications(
    path: str | Path,
    tx2gene: str | Path | None,
    tool: Tool,
    sample_files: Callable[[Path], dict[str, Path]],
    transcript_ids: Callable[[Path], list[str]],
) -> CountTable:
    """Read per-sample salmon or kallisto output and sum it to gene-level estimated counts.

    Parameters
    ----------
    path : str or Path
        Folder of per-sample output folders (or one sample's folder or file).
    tx2gene : str or Path or None
        Transcript-to-gene map (table or GTF). Required.
    tool : {"salmon", "kallisto"}
        Which tool wrote the files.
    sample_files : callable
        The tool's sample -> quantification file lookup.
    transcript_ids : callable
        The tool's reader of one file's transcript IDs (which also checks its layout).

    Returns
    -------
    CountTable
        Gene-level summed estimated counts, samples sorted; ``estimated`` True; per-sample
        gene lengths.
    """
    map_path = require_tx2gene(tx2gene, tool)
    folder = require_path(path)
    files = sample_files(folder)
    ids = {sample: transcript_ids(file) for sample, file in files.items()}
    transcripts = check_same_transcripts(ids, files)
    first = next(iter(files.values()))
    counts, lengths = summarise(files, tool, gene_map(transcripts, map_path, first), folder)
    logger.info(
        "Summed %s estimates (%s) of %d transcripts to %d genes for %d samples",
        tool,
        first.name,
        len(transcripts),
        counts.shape[0],
        counts.shape[1],
    )
    return CountTable(
        counts=counts,
        format=tool,
        estimated=True,
        symbols=None,
        sources={sample: str(file) for sample, file in files.items()},
        lengths=GeneLengths.from_samples(
            lengths, f"{tool} effective lengths via pytximport (abundance-weighted, per sample)"
        ),
    )

"""Recognising a count format from content.

For a file, the first lines are read (gzip or not, whatever the name) and the first of these
signatures that matches wins:

1. first field ``Status`` with ``Assigned``/``Unassigned_*`` rows: a featureCounts
   ``.summary`` -- refused with a pointer to the counts file;
2. first line ``# Program:featureCounts``, or a header starting
   ``Geneid Chr Start End Strand Length``: **featurecounts**;
3. first field ``N_unmapped``: **star** (one ReadsPerGene.out.tab);
4. header with ``Name Length EffectiveLength TPM NumReads``: **salmon** (one quant.sf);
5. header with ``target_id length eff_length est_counts tpm``: **kallisto** (one
   abundance.tsv);
6. header ``gene_id transcript_id(s) ... expected_count``: **rsem** (one genes.results);
7. header ``gene_id gene_name``, ``gene_id transcript_id(s)`` or ``Geneid gene_name`` followed
   by samples, or an nf-core transcript table: **nfcore**;
8. two tab-separated columns, no header, an integer in the first line: **htseq**;
9. any other table with at least two tab-, comma- or semicolon-separated columns and the
   same number of fields on every peeked line: **matrix**.

An HDF5 file is **kallisto** if it has ``/est_counts`` and ``/aux/ids``, **h5ad** if it is an
AnnData file.

For a folder, the per-sample outputs it holds are listed: salmon ``<sample>/quant.sf``,
kallisto ``<sample>/abundance.h5|tsv``, RSEM ``*.genes.results``, STAR
``*ReadsPerGene.out.tab`` and htseq-count ``*.txt|.tsv|.counts|.htseq`` files whose first
line has two columns with an integer count. When several kinds are present the first in the
fixed order salmon > kallisto > rsem > star > htseq wins, and the reason says what else was
seen (set ``counts.format`` to choose another).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py

from tmeseq.errors import InputError
from tmeseq.readers import featurecounts, htseq, kallisto, nfcore, rsem, salmon, star
from tmeseq.readers._samples import require_path
from tmeseq.readers._text import HDF5_MAGIC, peek_lines, starts_with
from tmeseq.readers.matrix import DELIMITERS

FOLDER_ORDER = ("salmon", "kallisto", "rsem", "star", "htseq")
_FOLDER_DESCRIPTIONS = {
    "salmon": "salmon <sample>/quant.sf",
    "kallisto": "kallisto <sample>/abundance.h5|abundance.tsv",
    "rsem": "RSEM <sample>.genes.results",
    "star": "STAR <sample>ReadsPerGene.out.tab",
    "htseq": "htseq-count <sample>.txt|.tsv|.counts|.htseq (two columns)",
}
_FILE_SIGNATURES = (
    "a featureCounts table ('# Program:featureCounts' line or 'Geneid Chr Start End Strand "
    "Length' header)",
    "a STAR ReadsPerGene.out.tab (first field 'N_unmapped')",
    "a salmon quant.sf header",
    "a kallisto abundance.tsv header",
    "an RSEM genes.results header",
    "an nf-core merged table header ('gene_id gene_name ...')",
    "an htseq-count table (two columns, no header)",
    "a matrix (a header and at least two tab/comma/semicolon-separated columns)",
    "an HDF5 file (AnnData .h5ad or kallisto abundance.h5)",
)


@dataclass(frozen=True)
class Detection:
    """A detected format and the evidence, in words.

    Attributes
    ----------
    format : str
        One of :data:`tmeseq.readers.FORMATS`.
    reason : str
        What in the content gave it away.
    """

    format: str
    reason: str


def detect(path: str | Path) -> Detection:
    """Recognise the count format of a file or folder from its content.

    Parameters
    ----------
    path : str or Path
        What ``counts.path`` points at.

    Returns
    -------
    Detection
        The format and why.

    Raises
    ------
    InputError
        If the path is missing or nothing matches (the message lists what was looked for),
        or the file is a featureCounts ``.summary``.
    """
    path = require_path(path)
    return _detect_folder(path) if path.is_dir() else _detect_file(path)


def _no_match(path: Path, looked_for: list[str]) -> InputError:
    return InputError(
        "is not in a count format that could be recognised; looked for " + "; ".join(looked_for),
        file=path,
        fix="set counts.format explicitly (matrix, featurecounts, star, htseq, salmon, "
        "kallisto, rsem, nfcore, h5ad), or point counts.path at the count file or folder "
        "of per-sample outputs",
    )


def _detect_file(path: Path) -> Detection:
    if starts_with(path, HDF5_MAGIC):
        return _detect_hdf5(path)
    lines = peek_lines(path, 20)
    if not lines:
        raise InputError("is empty", file=path, fix="check that the file is complete")
    if featurecounts.is_summary(lines):
        raise featurecounts.summary_error(path)
    fields = lines[0].split("\t")
    for check in _TEXT_CHECKS:
        found = check(fields, lines)
        if found is not None:
            return found
    raise _no_match(path, list(_FILE_SIGNATURES))


def _featurecounts(fields: list[str], lines: list[str]) -> Detection | None:
    if lines[0].startswith(featurecounts.PROGRAM_PREFIX):
        why = f"first line starts with {featurecounts.PROGRAM_PREFIX!r}"
        return Detection("featurecounts", why)
    if featurecounts.has_counts_header(fields):
        return Detection("featurecounts", "header starts with Geneid Chr Start End Strand Length")
    return None


def _star(fields: list[str], lines: list[str]) -> Detection | None:
    if fields[0] == star.STATISTICS_ROWS[0]:
        return Detection("star", "first field is 'N_unmapped' (a STAR ReadsPerGene.out.tab)")
    return None


def _quantifiers(fields: list[str], lines: list[str]) -> Detection | None:
    if salmon.looks_like(fields):
        return Detection("salmon", "header has salmon's quant.sf columns")
    if kallisto.looks_like(fields):
        return Detection("kallisto", "header has kallisto's abundance.tsv columns")
    if rsem.COUNT_COLUMN in fields and (
        rsem.looks_like(fields) or tuple(fields[:2]) == rsem.ISOFORMS_HEADER
    ):
        return Detection("rsem", f"header is RSEM's ({', '.join(fields[:2])}, ... expected_count)")
    return None


def _nfcore(fields: list[str], lines: list[str]) -> Detection | None:
    if nfcore.looks_like(fields) or nfcore.is_transcript_table(fields):
        return Detection("nfcore", f"header starts with {fields[0]!r}, {fields[1]!r} (nf-core)")
    return None


def _htseq(fields: list[str], lines: list[str]) -> Detection | None:
    if htseq.looks_like(lines):
        return Detection("htseq", "two tab-separated columns, no header, integer counts")
    return None


def _matrix(fields: list[str], lines: list[str]) -> Detection | None:
    delimiter = next((d for d in DELIMITERS if d in lines[0]), None)
    if delimiter is None:
        return None
    widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
    header, body = widths[0], widths[1:]
    if body and len(set(body)) == 1 and body[0] >= 2 and body[0] in (header, header + 1):
        name = {"\t": "tab", ",": "comma", ";": "semicolon"}[delimiter]
        why = f"no tool signature; a header and {body[0]} {name}-separated columns per line"
        return Detection("matrix", why)
    return None


_TEXT_CHECKS: tuple[Callable[[list[str], list[str]], Detection | None], ...] = (
    _featurecounts,
    _star,
    _quantifiers,
    _nfcore,
    _htseq,
    _matrix,
)


def _detect_hdf5(path: Path) -> Detection:
    if kallisto.is_abundance_h5(path):
        return Detection("kallisto", "HDF5 with /est_counts and /aux/ids (kallisto abundance.h5)")
    try:
        with h5py.File(path, "r") as handle:
            is_anndata = handle.attrs.get("encoding-type") == "anndata" or {
                "X",
                "obs",
                "var",
            } <= set(handle.keys())
    except OSError as error:
        raise InputError(f"could not be opened as HDF5 ({error})", file=path) from error
    if is_anndata:
        return Detection("h5ad", "HDF5 file with AnnData's X/obs/var")
    raise _no_match(path, ["AnnData (X, obs, var)", "kallisto abundance.h5 (/est_counts)"])


def _htseq_files(folder: Path) -> list[tuple[str, Path]]:
    return [(s, p) for s, p in htseq.find_files(folder) if htseq.looks_like(peek_lines(p, 5))]


def _own_files(folder: Path, names: tuple[str, ...]) -> list[tuple[str, Path]]:
    return [(folder.name, folder / name) for name in names if (folder / name).is_file()][:1]


_FOLDER_FINDERS: dict[str, Callable[[Path], list[tuple[str, Path]]]] = {
    "salmon": lambda f: _own_files(f, salmon.QUANT_FILES) or salmon.find_files(f),
    "kallisto": lambda f: _own_files(f, kallisto.FILES) or kallisto.find_files(f),
    "rsem": rsem.find_files,
    "star": star.find_files,
    "htseq": _htseq_files,
}


def _detect_folder(folder: Path) -> Detection:
    found = {kind: files for kind in FOLDER_ORDER if (files := _FOLDER_FINDERS[kind](folder))}
    if not found:
        raise _no_match(folder, [f"per-sample {d}" for d in _FOLDER_DESCRIPTIONS.values()])
    chosen, *others = found
    reason = f"folder holds {len(found[chosen])} {_FOLDER_DESCRIPTIONS[chosen]} file(s)"
    if others:
        also = ", ".join(f"{len(found[k])} {k}" for k in others)
        reason += (
            f"; it also holds {also} output(s): {chosen} wins by the fixed order "
            f"{' > '.join(FOLDER_ORDER)} (set counts.format to choose another)"
        )
    return Detection(chosen, reason)

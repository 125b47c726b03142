"""featureCounts output (Subread ``featureCounts -o counts.txt a.bam b.bam ...``).

Layout (tab-separated)::

    # Program:featureCounts v2.0.6; Command:"featureCounts" "-a" "genes.gtf" ...
    Geneid  Chr  Start  End  Strand  Length  [extra attributes...]  /path/to/a.bam  ...
    ENSG...  1;1  11869;12010  12227;12057  +;+  1735  [...]  12  ...

The ``# Program`` line is optional (it is often stripped). The six annotation columns, and
any ``--extraAttributes`` columns named in the ``# Program`` line's command, are dropped; an
extra ``gene_name`` attribute becomes the symbols and ``Length`` (the gene's exon-union length,
as featureCounts computes it) the gene lengths. Without the ``# Program`` line, columns
right after ``Length`` named ``gene_name``, ``gene_biotype``, ``gene_type`` or
``gene_symbol`` are taken as attributes too. The ``<output>.summary`` file (first line
``Status``) is refused: it holds assignment statistics, not counts.

Sample names come from the BAM column headers by this rule:

1. take the basename (the part after the last ``/`` or ``\\``);
2. strip a ``.bam`` or ``.sam`` extension;
3. repeatedly strip the aligner suffixes ``Aligned.sortedByCoord.out`` and ``Aligned.out``
   (with a ``.`` or ``_`` before them, if any), ``.sorted`` and ``.markdup``, as long as
   something is left.

So ``/data/T-01_Aligned.sortedByCoord.out.bam`` -> ``T-01``,
``S2.markdup.sorted.bam`` -> ``S2`` and ``3 mice.bam`` -> ``3 mice``. Two columns ending up
with the same name are an error.
"""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers._counttable import CountTable, GeneLengths
from tmeseq.readers._samples import check_sample_names, require_file, strip_suffix
from tmeseq.readers._tables import gene_index, read_table, sample_columns
from tmeseq.readers._text import peek_lines

logger = logging.getLogger(__name__)

PROGRAM_PREFIX = "# Program:featureCounts"
ANNOTATION_COLUMNS = ("Geneid", "Chr", "Start", "End", "Strand", "Length")
SUMMARY_FIRST_FIELD = "Status"
KNOWN_ATTRIBUTES = ("gene_name", "gene_biotype", "gene_type", "gene_symbol")
ALIGNER_SUFFIXES = (
    "_Aligned.sortedByCoord.out",
    ".Aligned.sortedByCoord.out",
    "Aligned.sortedByCoord.out",
    "_Aligned.out",
    ".Aligned.out",
    "Aligned.out",
    ".sorted",
    ".markdup",
)
FILE_EXTENSIONS = (".bam", ".sam")


def is_summary(lines: list[str]) -> bool:
    """Whether the peeked ``lines`` are a featureCounts ``.summary`` file."""
    return (
        bool(lines)
        and lines[0].split("\t")[0] == SUMMARY_FIRST_FIELD
        and any(line.startswith(("Assigned\t", "Unassigned_")) for line in lines[1:])
    )


def has_counts_header(fields: list[str]) -> bool:
    """Whether header ``fields`` start with featureCounts' six annotation columns."""
    return tuple(fields[: len(ANNOTATION_COLUMNS)]) == ANNOTATION_COLUMNS


def summary_error(path: Path) -> InputError:
    """The error for a ``.summary`` file given in place of the counts."""
    return InputError(
        "is a featureCounts summary (assignment statistics per BAM), not the counts table",
        file=path,
        where="line 1 ('Status' header)",
        fix="point counts.path at the featureCounts output without the '.summary' suffix",
    )


def sample_name(column: str) -> str:
    """The sample name for a featureCounts BAM column header (rule in the module docstring)."""
    name = column.replace("\\", "/").rsplit("/", 1)[-1]
    lowered = name.lower()
    for extension in FILE_EXTENSIONS:
        if lowered.endswith(extension) and len(name) > len(extension):
            name = name[: -len(extension)]
            break
    while (stripped := strip_suffix(name, ALIGNER_SUFFIXES)) != name:
        name = stripped
    return name


def sample_names(path: Path, columns: list[str], first_column: int) -> list[str]:
    """Sample names for BAM ``columns``; raise if two columns give the same name."""
    names = [sample_name(column) for column in columns]
    by_name: dict[str, list[str]] = {}
    for name, column in zip(names, columns, strict=True):
        by_name.setdefault(name, []).append(column)
    for name, sources in by_name.items():
        if len(sources) > 1:
            raise InputError(
                f"columns {', '.join(repr(s) for s in sources)} all give the sample name "
                f"'{name}' once the folder and BAM suffixes are removed",
                file=path,
                where="header",
                fix="rename the BAM files (or the header fields) so each sample has its own "
                "name, or convert the table to a plain matrix with your own sample names",
            )
    check_sample_names(path, names, first_column)
    return names


def extra_attributes(program_line: str) -> list[str]:
    """The ``--extraAttributes`` named in featureCounts' ``# Program ... Command:`` line."""
    _, _, command = program_line.partition("Command:")
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.replace('"', " ").split()
    for index, word in enumerate(words):
        if word.startswith("--extraAttributes="):
            return word.split("=", 1)[1].split(",")
        if word == "--extraAttributes" and index + 1 < len(words):
            return words[index + 1].split(",")
    return []


def _annotation_width(header: list[str], program_line: str | None) -> int:
    """How many leading columns are annotation (6 plus any extra attributes)."""
    named = extra_attributes(program_line) if program_line else list(KNOWN_ATTRIBUTES)
    width = len(ANNOTATION_COLUMNS)
    while width < len(header) and header[width] in named:
        width += 1
    return width


def _check_header(path: Path, header: list[str], header_line: int) -> None:
    if has_counts_header(header):
        return
    missing = [
        name for name in ANNOTATION_COLUMNS if name not in header[: len(ANNOTATION_COLUMNS)]
    ]
    raise InputError(
        "does not have featureCounts' header: expected the columns "
        f"{', '.join(ANNOTATION_COLUMNS)} first, missing {', '.join(missing) or 'their order'}",
        file=path,
        where=f"line {header_line}",
        fix="give the featureCounts output file as written by featureCounts (optionally "
        "without its '# Program' line), or set counts.format to 'matrix' for a plain matrix",
    )


def read(path: str | Path) -> CountTable:
    """Read a featureCounts counts table.

    Parameters
    ----------
    path : str or Path
        The featureCounts output (gzip allowed).

    Returns
    -------
    CountTable
        Samples in file order, ``estimated`` False, symbols from a ``gene_name`` attribute,
        lengths from the ``Length`` column.

    Raises
    ------
    InputError
        For a ``.summary`` file, a header without the annotation columns, no BAM columns,
        ragged lines, or sample names that clash.
    """
    path = require_file(path, "a featureCounts table")
    lines = peek_lines(path, 20)
    if is_summary(lines):
        raise summary_error(path)
    program_line = lines[0] if lines and lines[0].startswith(PROGRAM_PREFIX) else None
    skip = 1 if program_line else 0
    header = lines[skip].split("\t") if len(lines) > skip else []
    _check_header(path, header, skip + 1)
    width = _annotation_width(header, program_line)
    table = read_table(path, "\t", id_columns=width, skip_lines=skip)
    header = table.header or header
    names = sample_names(path, header[width:], first_column=width + 1)
    frame = table.frame
    counts = frame.iloc[:, width:].copy()
    counts.index = gene_index(frame[0])
    counts.columns = sample_columns(names)
    symbols = _symbols(frame, header[:width], counts.index)
    logger.info(
        "Read featureCounts table %s: %d genes x %d samples; dropped annotation columns %s",
        path,
        counts.shape[0],
        counts.shape[1],
        ", ".join(header[1:width]),
    )
    return CountTable(
        counts=counts,
        format="featurecounts",
        estimated=False,
        symbols=symbols,
        sources=dict.fromkeys(names, str(path)),
        lengths=GeneLengths.from_genes(
            pd.Series(frame[ANNOTATION_COLUMNS.index("Length")].to_numpy(), index=counts.index),
            "featureCounts Length column",
        ),
    )


def _symbols(frame: pd.DataFrame, annotation: list[str], genes: pd.Index) -> pd.Series | None:
    """The ``gene_name`` attribute column as gene ID -> symbol, if present."""
    if "gene_name" not in annotation:
        return None
    values = frame[annotation.index("gene_name")].to_numpy()
    return pd.Series(values, index=genes, name="symbol", dtype=object)

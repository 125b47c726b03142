"""The transcript-to-gene map that salmon and kallisto outputs are summarised with.

``counts.tx2gene`` may be (gzip allowed):

- a GTF: ``transcript_id`` -> ``gene_id`` is read from the attributes of the ``transcript``
  and ``exon`` lines (GFF3 is not supported);
- a table (tab- or comma-separated). If its first line names a transcript column
  (``transcript_id``, ``transcript``, ``tx``, ``txname``, ``tx_id``, ``target_id``,
  ``ensembl_transcript_id``, ``transcript stable id``; any case) and a gene column
  (``gene_id``, ``gene``, ``geneid``, ``ensembl_gene_id``, ``gene stable id``), those columns
  are used; otherwise the table has no header and columns 1 and 2 are transcript and gene
  (as in nf-core/rnaseq's ``tx2gene.tsv``).

A transcript listed twice with the same gene is fine (GTF exons); with two different genes it
is an error.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers._text import open_text, peek_lines, unreadable

logger = logging.getLogger(__name__)

TRANSCRIPT_HEADERS = (
    "transcript_id",
    "transcript",
    "tx",
    "txname",
    "tx_id",
    "target_id",
    "ensembl_transcript_id",
    "transcript stable id",
)
GENE_HEADERS = ("gene_id", "gene", "geneid", "ensembl_gene_id", "gene stable id")
GTF_FEATURES = ("transcript", "exon")
_ATTRIBUTE = re.compile(r'(transcript_id|gene_id) "([^"]*)"')
FIX = (
    "set counts.tx2gene to the GTF the salmon/kallisto index was built from, or to a "
    "two-column table (transcript ID, gene ID)"
)


def is_gtf(lines: list[str]) -> bool:
    """Whether peeked ``lines`` look like a GTF (9 tab fields, ``gene_id "..."`` attributes)."""
    data = [line for line in lines if line and not line.startswith("#")]
    return bool(data) and all(
        len(fields := line.split("\t")) == 9 and 'gene_id "' in fields[8] for line in data
    )


def is_gff3(lines: list[str]) -> bool:
    """Whether peeked ``lines`` look like GFF3 (``##gff-version 3`` or ``ID=`` attributes)."""
    if any(line.startswith("##gff-version 3") for line in lines):
        return True
    data = [line.split("\t") for line in lines if line and not line.startswith("#")]
    return bool(data) and all(len(f) == 9 and "=" in f[8] for f in data)


def read_tx2gene(path: str | Path) -> pd.DataFrame:
    """Read a transcript -> gene map from a GTF or a table.

    Parameters
    ----------
    path : str or Path
        The map (see the module docstring for what is accepted).

    Returns
    -------
    pandas.DataFrame
        Columns ``transcript_id`` and ``gene_id`` (strings), one row per transcript.

    Raises
    ------
    InputError
        Missing file, GFF3, too few columns, empty IDs, no rows, or a transcript mapped to two
        genes.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "does not exist (the transcript-to-gene map)",
            file=path,
            where="key counts.tx2gene",
            fix=FIX,
        )
    lines = peek_lines(path, 50)
    if is_gtf(lines):
        pairs = _gtf_pairs(path)
        kind = "GTF"
    elif is_gff3(lines):
        raise InputError(
            "is GFF3, which is not supported as a transcript-to-gene map", file=path, fix=FIX
        )
    else:
        pairs = _table_pairs(path, lines)
        kind = "table"
    mapping = _unique_map(path, pairs)
    logger.info("Read %d transcript -> gene pairs from the %s %s", len(mapping), kind, path)
    return mapping


def _gtf_pairs(path: Path) -> Iterator[tuple[int, str, str]]:
    """``(line, transcript, gene)`` from a GTF's transcript and exon lines."""
    try:
        with open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                fields = line.split("\t", 8)
                if len(fields) < 9 or fields[2] not in GTF_FEATURES:
                    continue
                attributes = dict(_ATTRIBUTE.findall(fields[8]))
                if "transcript_id" in attributes and "gene_id" in attributes:
                    yield number, attributes["transcript_id"], attributes["gene_id"]
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise unreadable(path, error) from error


def _table_pairs(path: Path, lines: list[str]) -> Iterator[tuple[int, str, str]]:
    """``(line, transcript, gene)`` from a tab- or comma-separated table."""
    delimiter = "\t" if lines and "\t" in lines[0] else ","
    try:
        with open_text(path) as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            columns: tuple[int, int] | None = None
            for fields in reader:
                if not fields:
                    continue
                if columns is None:
                    columns = _columns(path, fields)
                    if _is_header(fields):
                        continue
                yield _pair(path, reader.line_num, fields, columns)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as error:
        raise unreadable(path, error) from error


def _is_header(fields: list[str]) -> bool:
    lowered = [field.strip().lower() for field in fields]
    return any(h in lowered for h in TRANSCRIPT_HEADERS) and any(
        h in lowered for h in GENE_HEADERS
    )


def _columns(path: Path, fields: list[str]) -> tuple[int, int]:
    """0-based (transcript, gene) columns, from the header if it has known names."""
    if len(fields) < 2:
        raise InputError(
            f"has {len(fields)} column(s); a transcript-to-gene table needs two",
            file=path,
            where="line 1",
            fix=FIX,
        )
    if not _is_header(fields):
        return 0, 1
    lowered = [field.strip().lower() for field in fields]
    transcript = next(i for i, name in enumerate(lowered) if name in TRANSCRIPT_HEADERS)
    gene = next(i for i, name in enumerate(lowered) if name in GENE_HEADERS)
    return transcript, gene


def _pair(
    path: Path, line: int, fields: list[str], columns: tuple[int, int]
) -> tuple[int, str, str]:
    transcript_column, gene_column = columns
    if len(fields) <= max(columns):
        raise InputError(
            f"has {len(fields)} column(s), fewer than the {max(columns) + 1} needed",
            file=path,
            where=f"line {line}",
            fix=FIX,
        )
    transcript, gene = fields[transcript_column].strip(), fields[gene_column].strip()
    if not transcript or not gene:
        raise InputError(
            "has an empty transcript or gene ID", file=path, where=f"line {line}", fix=FIX
        )
    return line, transcript, gene


def _unique_map(path: Path, pairs: Iterable[tuple[int, str, str]]) -> pd.DataFrame:
    """One gene per transcript; raise if a transcript is mapped to two genes."""
    genes: dict[str, tuple[int, str]] = {}
    for line, transcript, gene in pairs:
        first = genes.setdefault(transcript, (line, gene))
        if first[1] != gene:
            raise InputError(
                f"maps transcript '{transcript}' to two genes: '{first[1]}' (line {first[0]}) "
                f"and '{gene}'",
                file=path,
                where=f"line {line}",
                fix="give each transcript exactly one gene in the map",
            )
    if not genes:
        raise InputError(
            "contains no transcript -> gene pairs (for a GTF: no transcript or exon lines with "
            "both transcript_id and gene_id)",
            file=path,
            fix=FIX,
        )
    return pd.DataFrame(
        {"transcript_id": list(genes), "gene_id": [gene for _, gene in genes.values()]},
        dtype=object,
    )

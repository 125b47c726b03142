"""Reading delimited count tables without touching their values.

Two passes: :mod:`csv` first checks the layout (same number of fields on every line, header
as plain strings), then pandas parses the cells. The gene-ID columns are read as strings with
no missing-value conversion (a gene called ``NA`` stays ``"NA"``); the value columns keep what
the file says: numbers become numbers, the usual missing-value tokens become NaN, and any
other text stays a string in an ``object`` column. Duplicate gene IDs are kept.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers._text import ENCODING, is_gzip, open_text, refuse_zip, unreadable

#: Cells read as missing in value columns: the tokens pandas treats as NaN by default.
NA_TOKENS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)


@dataclass(frozen=True)
class Layout:
    """What the layout pass learned about a table.

    Attributes
    ----------
    header : list of str or None
        The header fields, exactly as written (None for header-less files).
    n_fields : int
        Fields on every data line.
    skip : int
        Physical lines before the first data line.
    n_rows : int
        Data lines (blank lines not counted).
    """

    header: list[str] | None
    n_fields: int
    skip: int
    n_rows: int


@dataclass(frozen=True)
class Table:
    """A parsed table: the header and the cells, columns labelled ``0 .. n-1``."""

    header: list[str] | None
    frame: pd.DataFrame


def _rows(path: Path, delimiter: str, skip_lines: int) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, fields)`` for the non-blank lines after ``skip_lines``."""
    try:
        with open_text(path) as handle:
            for _ in range(skip_lines):
                handle.readline()
            reader = csv.reader(handle, delimiter=delimiter)
            for fields in reader:
                if fields:
                    yield reader.line_num + skip_lines, fields
    except (OSError, EOFError, UnicodeDecodeError, zlib.error, csv.Error) as error:
        raise unreadable(path, error) from error


def _field_count_error(path: Path, line: int, found: int, expected: int, what: str) -> InputError:
    return InputError(
        f"has {found} columns where {what} has {expected}",
        file=path,
        where=f"line {line}",
        fix="every line needs the same number of tab/comma-separated fields; look for a "
        "missing or extra separator (or an unquoted separator inside a name) on that line",
    )


def scan_layout(
    path: Path,
    delimiter: str,
    *,
    skip_lines: int = 0,
    has_header: bool = True,
    short_header_ok: bool = False,
) -> Layout:
    """Check that every line has the same number of fields and return the header.

    Parameters
    ----------
    path : Path
        The table.
    delimiter : str
        Field separator.
    skip_lines : int
        Physical lines to ignore at the top (e.g. featureCounts' ``# Program`` line).
    has_header : bool
        Whether the first non-blank line is a header.
    short_header_ok : bool
        Accept a header with one field fewer than the data lines (R's ``write.table`` with
        row names); an empty name is then put in front of it for the ID column.

    Returns
    -------
    Layout
        Header, field count, lines to skip and number of data lines.

    Raises
    ------
    InputError
        If the file is a zip archive, is empty, has no data lines, or a line has a different
        number of fields.
    """
    refuse_zip(path)
    header: list[str] | None = None
    header_line = 0
    expected: int | None = None
    n_rows = 0
    for line, fields in _rows(path, delimiter, skip_lines):
        if has_header and header is None:
            header, header_line = fields, line
            continue
        if expected is None:
            header, expected = _match_header(path, header, fields, line, short_header_ok)
        elif len(fields) != expected:
            what = "the first data line" if header is None else "the header"
            raise _field_count_error(path, line, len(fields), expected, what)
        n_rows += 1
    if expected is None:
        problem = "has a header but no data lines" if header is not None else "is empty"
        raise InputError(problem, file=path, fix="check that the file is complete")
    skip = header_line if has_header else skip_lines
    return Layout(header=header, n_fields=expected, skip=skip, n_rows=n_rows)


def _match_header(
    path: Path, header: list[str] | None, fields: list[str], line: int, short_ok: bool
) -> tuple[list[str] | None, int]:
    """Reconcile the header with the first data line; return the header and field count."""
    if header is None or len(fields) == len(header):
        return header, len(fields)
    if short_ok and len(fields) == len(header) + 1:
        return ["", *header], len(fields)
    raise _field_count_error(path, line, len(fields), len(header), "the header")


def read_table(
    path: Path,
    delimiter: str,
    *,
    id_columns: int = 1,
    skip_lines: int = 0,
    has_header: bool = True,
    short_header_ok: bool = False,
) -> Table:
    """Read a delimited table, IDs as strings and values as written.

    Parameters
    ----------
    path : Path
        The table (gzip allowed).
    delimiter : str
        Field separator.
    id_columns : int
        How many leading columns are identifiers/annotation (read as strings, never NaN).
    skip_lines, has_header, short_header_ok
        See :func:`scan_layout`.

    Returns
    -------
    Table
        Header and a frame with integer column labels.

    Raises
    ------
    InputError
        For layout problems (see :func:`scan_layout`) or unreadable files.
    """
    layout = scan_layout(
        path,
        delimiter,
        skip_lines=skip_lines,
        has_header=has_header,
        short_header_ok=short_header_ok,
    )
    id_columns = min(id_columns, layout.n_fields)
    value_columns = range(id_columns, layout.n_fields)
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            header=None,
            names=list(range(layout.n_fields)),
            skiprows=layout.skip,
            dtype=dict.fromkeys(range(id_columns), str),
            keep_default_na=False,
            na_values={column: list(NA_TOKENS) for column in value_columns},
            skip_blank_lines=True,
            encoding=ENCODING,
            compression="gzip" if is_gzip(path) else None,
            engine="c",
            low_memory=False,
        )
    except (OSError, EOFError, UnicodeDecodeError, zlib.error, pd.errors.ParserError) as error:
        raise unreadable(path, error) from error
    for column in value_columns:
        frame[column] = keep_text_cells(frame[column])
    return Table(header=layout.header, frame=frame)


def keep_text_cells(column: pd.Series) -> pd.Series:
    """Turn a parsed value column into numbers where possible, leaving other text as is.

    A numeric column is returned unchanged. In a column that pandas left as text because some
    cells are not numbers, the numeric cells become floats and the others stay strings (an
    ``object`` column), so that a later check can point at the offending cells. A column that
    pandas read as booleans (all ``True``/``False``) goes back to text.

    Parameters
    ----------
    column : pandas.Series
        One value column as parsed by pandas.

    Returns
    -------
    pandas.Series
        Numeric dtype when every cell is a number or missing, else ``object``.
    """
    if pd.api.types.is_bool_dtype(column):
        return column.map(str).astype(object)
    if pd.api.types.is_numeric_dtype(column):
        return column
    text = column.astype(object)
    numbers = pd.to_numeric(text, errors="coerce")
    not_numbers = numbers.isna() & text.notna()
    if not not_numbers.any():
        return numbers
    mixed = numbers.astype(object)
    mixed[not_numbers] = text[not_numbers]
    return mixed


def gene_index(values: pd.Series | list[str]) -> pd.Index:
    """A gene-ID index of plain strings named ``gene_id`` (duplicates kept)."""
    return pd.Index(list(values), dtype=object, name="gene_id")


def sample_columns(names: list[str]) -> pd.Index:
    """A column index of sample names, kept as plain strings."""
    return pd.Index([str(name) for name in names], dtype=object)

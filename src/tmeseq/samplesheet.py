"""Reading and checking the sample sheet.

The sheet is read as text (so that sample names such as ``3 mice``, ``T-01`` or ``a.b`` and
codes such as ``007`` survive unchanged); :func:`covariates` then decides which columns are
numbers (continuous covariates) and which are categories.

Two columns are not covariates: ``sample`` (the name used everywhere in the results) and the
optional ``count_column`` (the sample's column in the count file, e.g.
``day14_immuno_treat2.bam``, so that names in the results can stay readable; an empty cell
means the column is named like the sample). :func:`count_columns` gives the mapping.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from tmeseq.errors import InputError

SAMPLE_COLUMN = "sample"
#: Optional column naming each sample's column in the count file.
COUNT_COLUMN = "count_column"


#: Sheets are read as UTF-8; a byte-order mark (Excel's "CSV UTF-8") is dropped.
ENCODING = "utf-8-sig"
#: Cell values read as missing in covariate columns.
MISSING_WORDS = frozenset({"NA", "N/A", "NaN", "nan", "na", "null", "NULL", ""})


def _delimiter(path: Path) -> str:
    """Tab for .tsv/.txt, comma for .csv; otherwise sniffed from the header line."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] == ".csv":
        return ","
    if suffixes and suffixes[-1] in (".tsv", ".txt", ".tab"):
        return "\t"
    with path.open(newline="", encoding=ENCODING) as handle:
        header = handle.readline()
    return "\t" if header.count("\t") >= header.count(",") else ","


def read_sample_sheet(path: str | Path) -> pd.DataFrame:
    """Read a sample sheet and check its structure.

    Parameters
    ----------
    path : str or Path
        TSV or CSV file with a header row; column ``sample`` is required.

    Returns
    -------
    pandas.DataFrame
        One row per sample, all cells as strings (empty cells as missing), indexed by sample
        name in file order; the ``sample`` column is kept.

    Raises
    ------
    InputError
        If the file is missing or empty, has no ``sample`` column, repeats a column name, or
        has empty or duplicated sample names.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "the sample sheet does not exist",
            file=path,
            fix="set `samples:` in the config to the path of your sample sheet (TSV or CSV)",
        )
    try:
        delimiter = _delimiter(path)
        header = _header(path, delimiter)
        sheet = pd.read_csv(
            path,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=False,
            encoding=ENCODING,
        )
    except OSError as error:
        raise InputError(
            f"the sample sheet cannot be read ({error.strerror or error})",
            file=path,
            fix="make the file readable by the user running snakemake (e.g. chmod a+r), or "
            "point `samples:` at a readable copy",
        ) from error
    except UnicodeDecodeError as error:
        raise InputError(
            f"the sample sheet is not UTF-8 text (byte {error.object[error.start]:#04x} at "
            f"position {error.start} cannot be read)",
            file=path,
            fix="save the sheet as UTF-8 (in Excel: 'CSV UTF-8'; or iconv -f latin1 -t utf-8)",
        ) from error
    sheet.columns = [c.strip() for c in header]
    _check_columns(sheet, path)
    sheet = _missing_as_na(sheet)
    sheet[SAMPLE_COLUMN] = sheet[SAMPLE_COLUMN].str.strip()
    _check_sample_names(sheet, path)
    sheet.index = pd.Index(sheet[SAMPLE_COLUMN].tolist(), dtype=str)
    _check_count_columns(sheet, path)
    return sheet


def _missing_as_na(sheet: pd.DataFrame) -> pd.DataFrame:
    """Covariate and ``count_column`` cells written as a missing-value word (``NA``, ``N/A``,
    ``NaN``) are missing, not a level called "NA"; sample names are left as written."""
    columns = [c for c in sheet.columns if c != SAMPLE_COLUMN]
    stripped = sheet[columns].apply(lambda column: column.str.strip())
    sheet[columns] = stripped.mask(stripped.isin(MISSING_WORDS))
    return sheet


def _header(path: Path, delimiter: str) -> list[str]:
    with path.open(newline="", encoding=ENCODING) as handle:
        row = next(csv.reader(handle, delimiter=delimiter), None)
    if not row or not any(cell.strip() for cell in row):
        raise InputError(
            "the sample sheet is empty",
            file=path,
            fix="write a header row with a `sample` column, then one row per sample",
        )
    return row


def _check_columns(sheet: pd.DataFrame, path: Path) -> None:
    columns = list(sheet.columns)
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InputError(
            f"column name(s) {_quote(repeated)} appear more than once in the header",
            file=path,
            where="header (line 1)",
            fix="give every column a distinct name",
        )
    if SAMPLE_COLUMN not in columns:
        raise InputError(
            f"no `{SAMPLE_COLUMN}` column; the columns are {_quote(columns)}",
            file=path,
            where="header (line 1)",
            fix=f"name the column holding the sample names `{SAMPLE_COLUMN}`",
        )
    if sheet.empty:
        raise InputError(
            "the sample sheet has a header but no samples",
            file=path,
            fix="add one row per sample",
        )


def _check_sample_names(sheet: pd.DataFrame, path: Path) -> None:
    names = sheet[SAMPLE_COLUMN]
    empty = [row_line(i) for i in range(len(names)) if pd.isna(names.iloc[i]) or not names.iloc[i]]
    if empty:
        raise InputError(
            "empty sample name",
            file=path,
            where=f"column `{SAMPLE_COLUMN}`, line(s) {', '.join(map(str, empty))}",
            fix="give every row a sample name, or delete the row",
        )
    duplicated = names[names.duplicated(keep=False)]
    if not duplicated.empty:
        details = "; ".join(
            f"'{name}' on lines {', '.join(str(row_line(i)) for i in _positions(names, name))}"
            for name in dict.fromkeys(duplicated)
        )
        raise InputError(
            f"duplicate sample IDs: {details}",
            file=path,
            where=f"column `{SAMPLE_COLUMN}`",
            fix="every sample must appear once; remove the repeated rows or rename them",
        )


def _check_count_columns(sheet: pd.DataFrame, path: Path) -> None:
    """Every sample's count column (its ``count_column`` cell, else its name) is its own."""
    columns = pd.Series(count_columns(sheet))
    repeated = columns[columns.duplicated(keep=False)]
    if repeated.empty:
        return
    positions = {sample: i for i, sample in enumerate(sheet.index)}
    details = "; ".join(
        f"'{column}' for samples "
        + ", ".join(
            f"'{s}' (line {row_line(positions[s])})" for s in repeated.index[repeated == column]
        )
        for column in dict.fromkeys(repeated)
    )
    raise InputError(
        f"two samples read the same count column: {details}",
        file=path,
        where=f"column `{COUNT_COLUMN}`",
        fix=f"give every sample its own `{COUNT_COLUMN}` (an empty cell means the count "
        "column is named like the sample)",
    )


def count_columns(sheet: pd.DataFrame) -> dict[str, str]:
    """Sample -> the name of its column in the count file, in sheet order.

    The ``count_column`` cell when the sheet has that column and the cell is filled, else the
    sample's own name.
    """
    samples = [str(s) for s in sheet.index]
    if COUNT_COLUMN not in sheet.columns:
        return {s: s for s in samples}
    cells = sheet[COUNT_COLUMN].tolist()
    return {
        s: s if cell is None or pd.isna(cell) else str(cell)
        for s, cell in zip(samples, cells, strict=True)
    }


def sample_line(sheet: pd.DataFrame, sample: str) -> int:
    """File line of ``sample``'s row in a sheet read by :func:`read_sample_sheet`."""
    return row_line(list(sheet.index).index(sample))


def _positions(names: pd.Series, name: str) -> list[int]:
    return [i for i, value in enumerate(names) if value == name]


def row_line(position: int) -> int:
    """File line of the sheet's row at ``position`` (0-based; the header is line 1)."""
    return position + 2


def _quote(items: Iterable[str]) -> str:
    return ", ".join(f"'{item}'" for item in items)


def is_numeric(values: pd.Series) -> bool:
    """True when every non-missing value parses as a number (and there is at least one)."""
    present = values.dropna()
    if present.empty:
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def covariates(
    sheet: pd.DataFrame,
    categorical: Iterable[str] = (),
    references: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Type the sheet's columns for a design.

    Columns whose values are all numbers become continuous (float) covariates unless listed in
    ``categorical``; every other column is a factor, stored as a pandas Categorical whose
    first category is the reference level: the one given in ``references``, else the first
    in sorted order (as R and formulaic do). The ``count_column`` column names files, not
    samples' properties: it is left out.

    Parameters
    ----------
    sheet : pandas.DataFrame
        The sample sheet from :func:`read_sample_sheet`.
    categorical : iterable of str
        Columns to keep as categories even when they hold numbers (e.g. batch 1/2/3).
    references : mapping of str to str, optional
        Reference level per factor column.

    Returns
    -------
    pandas.DataFrame
        A copy with numeric columns as float and factor columns as Categorical; the
        ``sample`` column is left as text and ``count_column`` is dropped.
    """
    references = references or {}
    keep = set(categorical)
    typed = sheet.drop(columns=[COUNT_COLUMN], errors="ignore")
    for column in typed.columns:
        if column == SAMPLE_COLUMN:
            continue
        if column not in keep and is_numeric(typed[column]):
            typed[column] = pd.to_numeric(typed[column]).astype(float)
        else:
            typed[column] = _factor(typed[column], references.get(column))
    return typed


def _factor(values: pd.Series, reference: str | None) -> pd.Series:
    levels = sorted(values.dropna().astype(str).unique())
    if reference is not None and reference in levels:
        levels = [reference, *(level for level in levels if level != reference)]
    return pd.Series(
        pd.Categorical(values.astype("string").astype(object), categories=levels),
        index=values.index,
        name=values.name,
    )


def sheet_from_obs(obs: pd.DataFrame) -> pd.DataFrame:
    """The sample sheet as text again from an AnnData ``obs`` (h5ad stores text as categories).

    Missing values stay missing (``None``); everything else becomes ``str``, so that
    :func:`covariates` types the columns exactly as it did for the sheet read from disk.
    """
    sheet = pd.DataFrame(index=obs.index.astype(str))
    for column in obs.columns:
        values = obs[column].astype(object)
        sheet[column] = values.where(values.notna(), None).map(
            lambda v: None if v is None else str(v)
        )
    return sheet

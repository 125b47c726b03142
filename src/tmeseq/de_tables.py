"""Differential-expression result tables: the per-contrast contract table, a summary of all
contrasts, and their TSV and Excel files.

The per-contrast table (``results/<cohort>/de/<contrast>.tsv``) has one row per gene of the
annotation, columns :data:`RESULT_COLUMNS` (then :data:`SHRUNK_COLUMNS` when LFC shrinkage
is on), and is sorted by p-value. Genes the model never saw (removed by a pre-filter before
the fit) stay in the table with every statistic missing, so a table always lists the same
genes as ``counts.h5ad``; they sort last, with genes that were fitted but have no p-value.

Summary counts, per contrast (see :func:`summary_table`):

``n_genes``
    rows of the table.
``n_tested``
    genes with a p-value.
``n_up`` / ``n_down``
    genes with ``padj < alpha`` and ``log2FoldChange`` above ``lfc_threshold`` / below
    ``-lfc_threshold`` (the unshrunken estimate, the one the test is about).
``n_outliers``
    genes with a positive ``baseMean`` but no p-value: DESeq2 sets the p-value of genes
    with a Cook's-distance outlier to NA.
``n_low_counts``
    genes with a p-value but no adjusted p-value: removed by independent filtering because
    their mean count is too low to reach significance.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tmeseq.tables import write_tsv

STAT_COLUMNS = ("baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj")
RESULT_COLUMNS = ("gene_id", "symbol", *STAT_COLUMNS)
SHRUNK_COLUMNS = ("log2FoldChange_shrunk", "lfcSE_shrunk")
SUMMARY_COLUMNS = (
    "contrast",
    "n_genes",
    "n_tested",
    "n_up",
    "n_down",
    "n_outliers",
    "n_low_counts",
    "alpha",
    "lfc_threshold",
)

SUMMARY_SHEET = "summary"
MAX_SHEET_NAME = 31
_INVALID_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_NAMES = frozenset({SUMMARY_SHEET, "history"})
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_XML_TIME = b"1980-01-01T00:00:00Z"
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")
_MIN_WIDTH, _MAX_WIDTH, _NUMBER_WIDTH = 8.0, 50.0, 13.0


# --- the per-contrast table ------------------------------------------------------------


def _check_frame(frame: pd.DataFrame, required: Iterable[str], name: str) -> None:
    """Raise ValueError if ``frame`` lacks a column of ``required`` or repeats a gene."""
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {', '.join(missing)}; it has: "
            f"{', '.join(map(str, frame.columns))}"
        )
    repeated = frame.index[frame.index.duplicated()].unique()
    if len(repeated) > 0:
        raise ValueError(
            f"{name} lists gene(s) more than once: {', '.join(map(str, repeated[:5]))}"
        )


def _check_known(frame: pd.DataFrame, var: pd.DataFrame, name: str) -> None:
    """Raise ValueError if ``frame`` has genes that are not in the annotation ``var``."""
    unknown = frame.index.difference(var.index)
    if len(unknown) > 0:
        raise ValueError(
            f"{name} has {len(unknown)} gene(s) missing from the gene annotation (var), "
            f"e.g. {', '.join(map(str, unknown[:5]))}; results must come from the same "
            "count matrix as the annotation"
        )


def _floats(frame: pd.DataFrame, columns: Iterable[str], index: pd.Index) -> pd.DataFrame:
    """``frame[columns]`` aligned to ``index`` as float64 (missing genes get NaN)."""
    aligned = frame.loc[:, list(columns)].reindex(index)
    return pd.DataFrame(
        {
            column: pd.to_numeric(aligned[column]).to_numpy(dtype=np.float64, na_value=np.nan)
            for column in aligned.columns
        },
        index=index,
    )


def _text_or_nan(values: pd.Series) -> np.ndarray:
    """``values`` as an object array with NaN for every kind of missing value."""
    return values.astype(object).where(values.notna(), np.nan).to_numpy(dtype=object)


def results_table(
    results: pd.DataFrame, var: pd.DataFrame, shrunk: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Build the contract table of one contrast.

    Parameters
    ----------
    results : pandas.DataFrame
        Indexed by gene ID, with columns ``baseMean log2FoldChange lfcSE stat pvalue padj``
        (PyDESeq2's ``results_df``; R DESeq2 uses the same names). Every gene must be in
        ``var``; genes of ``var`` missing here get NA for every statistic.
    var : pandas.DataFrame
        Gene annotation indexed by gene ID, with columns ``gene_id`` and ``symbol``
        (``counts.h5ad``'s ``var``). Defines the rows of the table.
    shrunk : pandas.DataFrame, optional
        Shrunken estimates indexed by gene ID, with columns ``log2FoldChange`` and
        ``lfcSE`` (apeGLM). When given, they are appended as :data:`SHRUNK_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        One row per gene of ``var``; columns :data:`RESULT_COLUMNS` (+ :data:`SHRUNK_COLUMNS`),
        statistics as float64 with NaN for missing values. Sorted by ``pvalue`` ascending,
        missing p-values last, ties broken by ``gene_id``; a fresh 0..n-1 index.
    """
    _check_frame(var, ("gene_id", "symbol"), "gene annotation (var)")
    _check_frame(results, STAT_COLUMNS, "DE results")
    _check_known(results, var, "DE results")
    table = pd.DataFrame(
        {"gene_id": var["gene_id"].astype(str).to_numpy(), "symbol": _text_or_nan(var["symbol"])},
        index=var.index,
    )
    table = table.join(_floats(results, STAT_COLUMNS, var.index))
    if shrunk is not None:
        _check_frame(shrunk, ("log2FoldChange", "lfcSE"), "shrunken estimates")
        _check_known(shrunk, var, "shrunken estimates")
        estimates = _floats(shrunk, ("log2FoldChange", "lfcSE"), var.index)
        table = table.join(estimates.set_axis(list(SHRUNK_COLUMNS), axis=1))
    return sort_results(table)


def sort_results(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` sorted by ``pvalue`` (missing last), then ``gene_id``, reindexed."""
    order = np.lexsort((table["gene_id"].astype(str).to_numpy(), table["pvalue"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


# --- summary -------------------------------------------------------------------------------


def _counts(table: pd.DataFrame, alpha: float, lfc_threshold: float) -> dict[str, int]:
    """The summary counts of one contrast table."""
    _check_frame(table, RESULT_COLUMNS, "DE table")
    has_p = table["pvalue"].notna()
    significant = table["padj"].lt(alpha)
    lfc = table["log2FoldChange"]
    return {
        "n_genes": len(table),
        "n_tested": int(has_p.sum()),
        "n_up": int((significant & lfc.gt(lfc_threshold)).sum()),
        "n_down": int((significant & lfc.lt(-lfc_threshold)).sum()),
        "n_outliers": int((~has_p & table["baseMean"].gt(0)).sum()),
        "n_low_counts": int((has_p & table["padj"].isna()).sum()),
    }


def summary_table(
    tables: Mapping[str, pd.DataFrame], alpha: float, lfc_threshold: float = 0.0
) -> pd.DataFrame:
    """Count tested, significant, outlier and filtered genes per contrast.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Contrast name to its table from :func:`results_table`, in display order.
    alpha : float
        Significance level for ``padj``.
    lfc_threshold : float
        A gene counts as up (down) only if its ``log2FoldChange`` is above
        ``lfc_threshold`` (below ``-lfc_threshold``). With 0, the sign decides.

    Returns
    -------
    pandas.DataFrame
        One row per contrast, columns :data:`SUMMARY_COLUMNS` (counts as int64); the
        definitions are in this module's docstring.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if lfc_threshold < 0:
        raise ValueError(f"lfc_threshold must be zero or positive, got {lfc_threshold}")
    rows = [
        {
            "contrast": name,
            **_counts(table, alpha, lfc_threshold),
            "alpha": float(alpha),
            "lfc_threshold": float(lfc_threshold),
        }
        for name, table in tables.items()
    ]
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    counts = [column for column in SUMMARY_COLUMNS if column.startswith("n_")]
    return summary.astype(dict.fromkeys(counts, "int64"))


# --- files ---------------------------------------------------------------------------------


def write_results_tsv(table: pd.DataFrame, path: str | Path) -> None:
    """Write a contrast table as the contract TSV (tab-separated, ``NA``, atomic).

    Floats are written with full precision (shortest text that reads back to the same
    float64), so the file round-trips exactly.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`results_table`; its columns must be the contract's.
    path : str or Path
        Output file; its folder is created.
    """
    allowed = (list(RESULT_COLUMNS), [*RESULT_COLUMNS, *SHRUNK_COLUMNS])
    if list(table.columns) not in allowed:
        raise ValueError(
            f"a DE table must have columns {' '.join(RESULT_COLUMNS)} "
            f"[{' '.join(SHRUNK_COLUMNS)}]; got {' '.join(map(str, table.columns))}"
        )
    write_tsv(table, path)


def _clean_sheet_name(name: str) -> str:
    """``name`` made acceptable to Excel: no ``[]:*?/\\``, no edge quotes, 1-31 chars."""
    cleaned = _INVALID_SHEET_CHARACTERS.sub("_", str(name)).strip().strip("'")
    return cleaned[:MAX_SHEET_NAME] or "contrast"


def sheet_names(contrasts: Iterable[str]) -> dict[str, str]:
    """Map contrast names to distinct Excel sheet names, deterministically.

    Invalid characters become ``_`` and names are cut to 31 characters. A name that
    collides (case-insensitively, as Excel compares) with an earlier one or with
    ``summary`` gets the first free suffix ``~2``, ``~3``, ... within the 31 characters.

    Parameters
    ----------
    contrasts : iterable of str
        Contrast names in workbook order.

    Returns
    -------
    dict
        Contrast name to sheet name, in the order given.
    """
    taken = set(_RESERVED_SHEET_NAMES)
    names: dict[str, str] = {}
    for contrast in contrasts:
        base = _clean_sheet_name(contrast)
        name, number = base, 1
        while name.casefold() in taken:
            number += 1
            suffix = f"~{number}"
            name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        taken.add(name.casefold())
        names[contrast] = name
    return names


def _column_width(values: pd.Series, header: str) -> float:
    """A readable Excel column width for ``values`` under ``header``."""
    if pd.api.types.is_numeric_dtype(values):
        return max(_NUMBER_WIDTH, len(header) + 2.0)
    longest = values.dropna().astype(str).str.len().max() if values.notna().any() else 0
    return min(_MAX_WIDTH, max(_MIN_WIDTH, float(max(longest, len(header))) + 2.0))


def _format_sheet(sheet: Worksheet, table: pd.DataFrame) -> None:
    """Autofilter over the table and column widths to fit its contents."""
    sheet.auto_filter.ref = sheet.dimensions
    for position, column in enumerate(table.columns, start=1):
        width = _column_width(table[column], str(column))
        sheet.column_dimensions[get_column_letter(position)].width = width


def _write_sheet(writer: pd.ExcelWriter, table: pd.DataFrame, name: str) -> None:
    """Write ``table`` to sheet ``name``: header frozen, autofilter, widths, NA as empty."""
    table.to_excel(writer, sheet_name=name, index=False, na_rep="", freeze_panes=(1, 0))
    _format_sheet(writer.sheets[name], table)


def _write_reproducible_zip(data: bytes, path: Path) -> None:
    """Copy the .xlsx archive ``data`` to ``path`` with fixed timestamps, atomically.

    openpyxl stamps the save time into the archive entries and ``docProps/core.xml``;
    fixing both makes the workbook byte-identical across reruns.
    """
    partial = path.with_name(f".{path.name}.partial")
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>" + _FIXED_XML_TIME + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(entry.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
    partial.replace(path)


def write_workbook(
    tables: Mapping[str, pd.DataFrame], summary: pd.DataFrame, path: str | Path
) -> None:
    """Write the summary and every contrast table into one Excel workbook.

    The first sheet is ``summary``; then one sheet per contrast, in the order of
    ``tables``, named by :func:`sheet_names`. Each sheet has its header row frozen, an
    autofilter, column widths that fit, and empty cells for missing values. The file is
    written to a temporary name and renamed, and is byte-identical for identical input.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Contrast name to its table from :func:`results_table`.
    summary : pandas.DataFrame
        From :func:`summary_table`.
    path : str or Path
        Output ``.xlsx`` file; its folder is created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _write_sheet(writer, summary, SUMMARY_SHEET)
        for contrast, name in sheet_names(tables).items():
            _write_sheet(writer, tables[contrast], name)
    _write_reproducible_zip(buffer.getvalue(), path)

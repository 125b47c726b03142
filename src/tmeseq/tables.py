"""Writing result tables the same way everywhere: tab-separated, ``NA`` for missing values,
UTF-8, no index column unless it is named, written atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_tsv(table: pd.DataFrame, path: str | Path, *, index: bool = False) -> None:
    """Write ``table`` as TSV that opens cleanly in a spreadsheet and in R/pandas.

    Parameters
    ----------
    table : pandas.DataFrame
        The table; with ``index=True`` its index becomes the first column (it must be named).
    path : str or Path
        Output file; its folder is created. Written to a temporary name first, then renamed,
        so an interrupted run never leaves a half-written table.
    index : bool
        Whether to write the index as the first column.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    table.to_csv(partial, sep="\t", index=index, na_rep="NA", lineterminator="\n")
    partial.replace(path)


def write_text(text: str, path: str | Path) -> None:
    """Write ``text`` (UTF-8) atomically: to a temporary name in the same folder, then renamed,
    so an interrupted run never leaves a half-written file that looks complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)

"""Per-sample files: finding them, naming the samples, and putting their columns together."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.readers._tables import gene_index, sample_columns

PATH_FIX = "check counts.path in the config (a typo, or a relative path from another folder?)"


@dataclass(frozen=True)
class SampleColumn:
    """One sample's counts as read from its own file.

    Attributes
    ----------
    gene_ids : list of str
        Gene IDs in file order.
    values : pandas.Series
        The counts, positionally aligned with ``gene_ids``.
    """

    gene_ids: list[str]
    values: pd.Series


def require_path(path: str | Path) -> Path:
    """Return ``path`` as a Path, or raise if nothing is there."""
    path = Path(path)
    if not path.exists():
        raise InputError("does not exist", file=path, fix=PATH_FIX)
    return path


def require_file(path: str | Path, what: str) -> Path:
    """Return ``path`` if it is a regular file, else raise naming ``what`` was expected."""
    path = require_path(path)
    if not path.is_file():
        raise InputError(
            f"is a folder, but {what} is a single file",
            file=path,
            fix="point counts.path at the file itself, or set counts.format to the format of "
            "the per-sample files in this folder",
        )
    return path


def strip_suffix(name: str, suffixes: Iterable[str]) -> str:
    """Remove the first of ``suffixes`` that ``name`` ends with (and that leaves something)."""
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def unique_samples(
    found: Iterable[tuple[str, Path]], folder: Path, looked_for: str
) -> dict[str, Path]:
    """Map sample -> file, sorted by sample name; raise on none found or on a name clash.

    Parameters
    ----------
    found : iterable of (str, Path)
        Sample names and the files they come from.
    folder : Path
        The folder searched (for the messages).
    looked_for : str
        The file patterns searched for, as the user should read them.

    Returns
    -------
    dict of str to Path
        Sorted by sample name.
    """
    files: dict[str, list[Path]] = {}
    for sample, path in found:
        files.setdefault(sample, []).append(path)
    if not files:
        raise InputError(
            f"no sample files found (looked for {looked_for})",
            file=folder,
            fix="point counts.path at the folder holding the per-sample outputs, or set "
            "counts.format to the format the files are in",
        )
    clashes = {sample: paths for sample, paths in files.items() if len(paths) > 1}
    if clashes:
        sample, paths = next(iter(sorted(clashes.items())))
        listed = ", ".join(str(p.relative_to(folder)) for p in sorted(paths))
        raise InputError(
            f"{len(clashes)} sample name(s) come from more than one file, e.g. '{sample}' from "
            f"{listed}",
            file=folder,
            fix="keep one output per sample in the folder (remove or move the extra files)",
        )
    return {sample: files[sample][0] for sample in sorted(files)}


def align_samples(columns: dict[str, SampleColumn], files: dict[str, Path]) -> pd.DataFrame:
    """Put per-sample columns side by side (genes x samples), checking they list the same genes.

    Files listing the same genes in a different order are reordered to the first file's order
    when the IDs are unique; otherwise a differing gene list is an error naming the file.

    Parameters
    ----------
    columns : dict of str to SampleColumn
        Sample -> its column, in output order.
    files : dict of str to Path
        Sample -> its file (for the messages).

    Returns
    -------
    pandas.DataFrame
        Genes (first sample's order, duplicates kept) x samples.
    """
    samples = list(columns)
    reference = columns[samples[0]].gene_ids
    aligned = {samples[0]: columns[samples[0]].values.to_numpy()}
    for sample in samples[1:]:
        column = columns[sample]
        if column.gene_ids != reference:
            column = _reorder(column, reference, files[sample], files[samples[0]])
        aligned[sample] = column.values.to_numpy()
    frame = pd.DataFrame(aligned, index=gene_index(reference))
    frame.columns = sample_columns(samples)
    return frame


def _reorder(
    column: SampleColumn, reference: list[str], path: Path, ref_path: Path
) -> SampleColumn:
    """Reorder ``column`` to ``reference`` if it holds the same unique genes, else raise."""
    mine, theirs = pd.Index(column.gene_ids), pd.Index(reference)
    if mine.is_unique and theirs.is_unique and set(mine) == set(theirs):
        order = mine.get_indexer(theirs)
        return SampleColumn(reference, column.values.iloc[order].reset_index(drop=True))
    raise InputError(
        f"lists different genes than {ref_path.name}: {_gene_difference(mine, theirs)}",
        file=path,
        fix="quantify every sample against the same annotation (GTF) and index, or remove "
        "this file from the folder",
    )


def _gene_difference(mine: pd.Index, theirs: pd.Index) -> str:
    """Describe how two gene lists differ, with a few examples."""
    missing = theirs.difference(mine, sort=False)
    extra = mine.difference(theirs, sort=False)
    if missing.empty and extra.empty:
        return "the same genes in another order, with duplicated IDs"
    parts = []
    for label, genes in (("missing", missing), ("extra", extra)):
        part = f"{len(genes)} {label}"
        if len(genes):
            part += " (e.g. " + ", ".join(repr(g) for g in genes[:3]) + ")"
        parts.append(part)
    return " and ".join(parts)


def check_sample_names(
    path: Path, names: list[str], first_column: int, where: str = "line 1 (header)"
) -> list[str]:
    """Return ``names`` if there is at least one and none is empty or repeated.

    Parameters
    ----------
    path : Path
        The file (for the messages).
    names : list of str
        Sample names, in file order.
    first_column : int
        1-based position of the first name (for the messages).
    where : str
        Where the names are in the file (for the messages).

    Returns
    -------
    list of str
        The same names.

    Raises
    ------
    InputError
        If there are no names, an empty one, or a repeated one.
    """
    if not names:
        raise InputError(
            "has no sample columns: only gene ID/annotation columns were found",
            file=path,
            where=where,
            fix="add one column of counts per sample, with the sample name in the header",
        )
    for offset, name in enumerate(names):
        if not name.strip():
            raise InputError(
                f"has a sample without a name (position {first_column + offset})",
                file=path,
                where=where,
                fix="name every count column after its sample (remove a trailing separator "
                "if the column is empty)",
            )
    repeated = [name for name, times in Counter(names).items() if times > 1]
    if repeated:
        raise InputError(
            f"has the sample name '{repeated[0]}' more than once",
            file=path,
            where=where,
            fix="give every sample a unique name",
        )
    return names

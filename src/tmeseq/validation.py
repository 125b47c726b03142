"""Checks of a count table against the sample sheet, before anything is fitted.

Every problem is reported with the file, the gene and sample (or the list of samples), what is
wrong and how to fix it. The checks run in the import rule, so a bad count file stops the run
before any later stage starts.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tmeseq.errors import InputError

logger = logging.getLogger(__name__)

MAX_LISTED = 10
#: Largest count held exactly by the float64 the DE fit computes with (2**53).
MAX_COUNT = 2**53
#: Fewest genes with counts from which dispersions (and so DE) can be estimated.
MIN_GENES = 100
#: A library detecting fewer genes than this fraction of the median library is flagged.
LOW_DETECTION = 0.2


@dataclass(frozen=True)
class CountCheck:
    """The outcome of :func:`check_counts`.

    Attributes
    ----------
    counts : pandas.DataFrame
        Genes x samples, int64, columns in sample-sheet order.
    ignored_columns : list of str
        Count columns that are not in the sample sheet (dropped).
    n_rounded : int
        Number of values rounded to integers (estimated counts only).
    """

    counts: pd.DataFrame
    ignored_columns: list[str]
    n_rounded: int


def check_counts(
    counts: pd.DataFrame,
    samples: Mapping[str, str] | Sequence[str],
    *,
    estimated: bool,
    counts_file: str | Path,
    sheet_file: str | Path | None = None,
    min_genes: int = MIN_GENES,
) -> CountCheck:
    """Validate a genes x samples count table and align it to the sample sheet.

    Parameters
    ----------
    counts : pandas.DataFrame
        Genes x samples as read (values not yet checked: may hold text, NaN, negatives).
    samples : mapping of str to str, or sequence of str
        The sample sheet's samples in sheet order: sample -> its column in the counts
        (:func:`tmeseq.samplesheet.count_columns`), or the names alone when every column is
        named like its sample.
    estimated : bool
        True for estimated counts (salmon, kallisto, RSEM): non-integers are rounded with a
        logged note. False for read counts: a non-integer is an error.
    counts_file, sheet_file : str or Path
        Named in messages.
    min_genes : int
        Fewest genes with a count that the table must have.

    Returns
    -------
    CountCheck
        The integer counts for the sheet's samples (columns named by sample), and what was
        ignored or rounded.

    Raises
    ------
    InputError
        Duplicate or empty gene IDs; sheet samples absent from the counts; non-numeric,
        missing, negative, too large (above 2**53) or (for read counts) non-integer values;
        samples with zero total counts; fewer than ``min_genes`` genes with counts.
    """
    columns = dict(samples) if isinstance(samples, Mapping) else {s: s for s in samples}
    _check_gene_ids(counts, counts_file)
    ignored = _align_samples(counts, columns, counts_file, sheet_file)
    selected = counts.loc[:, list(columns.values())]
    selected.columns = pd.Index(list(columns), dtype=object)
    values = _numeric_values(selected, counts_file)
    _check_missing(values, selected, counts_file)
    _check_negative(values, selected, counts_file)
    _check_too_large(values, selected, counts_file)
    values, n_rounded = _integers(values, selected, estimated, counts_file)
    _check_zero_samples(values, selected, counts_file)
    _check_enough_genes(values, counts_file, min_genes)
    _warn_low_detection(values, selected, counts_file)
    result = pd.DataFrame(values.astype(np.int64), index=selected.index, columns=selected.columns)
    result.index = result.index.astype(str)
    result.index.name = "gene_id"
    return CountCheck(result, ignored, n_rounded)


def _check_gene_ids(counts: pd.DataFrame, counts_file: str | Path) -> None:
    ids = counts.index.astype(str)
    missing = [i for i, gene in enumerate(counts.index) if pd.isna(gene) or str(gene) == ""]
    if missing:
        raise InputError(
            f"{len(missing)} gene(s) have an empty gene ID (first at data row {missing[0] + 1})",
            file=counts_file,
            where="gene ID column",
            fix="give every row a gene ID, or delete the rows without one",
        )
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        raise InputError(
            f"{len(duplicated)} gene ID(s) appear more than once: {_listed(duplicated)}",
            file=counts_file,
            where="gene ID column",
            fix="make gene IDs unique (sum or drop the repeated rows upstream); if these are "
            "symbols, use a count file keyed by stable gene IDs and give `annotation:`",
        )


def _align_samples(
    counts: pd.DataFrame,
    columns: Mapping[str, str],
    counts_file: str | Path,
    sheet_file: str | Path | None,
) -> list[str]:
    names = [str(c) for c in counts.columns]
    counts.columns = pd.Index(names, dtype=object)
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise InputError(
            f"sample column(s) {_listed(repeated)} appear more than once",
            file=counts_file,
            where="header",
            fix="give every sample column a distinct name",
        )
    absent = [sample for sample, column in columns.items() if column not in names]
    if absent:
        shown = [_sample_and_column(s, columns[s]) for s in absent]
        hints = _close_matches([columns[s] for s in absent], names)
        raise InputError(
            f"{len(absent)} sample(s) of the sample sheet are not in the counts: "
            f"{_joined(shown)}{hints}. The count columns are: {_listed(names)}",
            file=counts_file,
            where=f"samples named in {sheet_file}" if sheet_file else "sample columns",
            fix="spell the sample names in the sheet exactly as in the counts (case, dashes, "
            "dots and spaces matter), or name each sample's count column in a `count_column` "
            "column of the sheet, or remove samples that were not sequenced",
        )
    wanted = set(columns.values())
    ignored = [c for c in names if c not in wanted]
    if ignored:
        logger.warning(
            "%s: %d count column(s) are not in the sample sheet and are ignored: %s",
            counts_file,
            len(ignored),
            _listed(ignored),
        )
    return ignored


def _sample_and_column(sample: str, column: str) -> str:
    return f"'{sample}'" if sample == column else f"'{sample}' (count column '{column}')"


def _close_matches(absent: Sequence[str], columns: Sequence[str]) -> str:
    lowered = {c.lower(): c for c in columns}
    pairs = []
    for name in absent[:MAX_LISTED]:
        match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        if match:
            pairs.append(f"'{name}' -> '{lowered[match[0]]}'?")
    return f" (close matches: {', '.join(pairs)})" if pairs else ""


def _numeric_values(selected: pd.DataFrame, counts_file: str | Path) -> np.ndarray:
    numeric = selected.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & selected.notna()
    if bad.to_numpy().any():
        gene, sample = _first(bad)
        raise InputError(
            f"non-numeric count '{selected.at[gene, sample]}' for gene '{gene}', sample "
            f"'{sample}' ({int(bad.to_numpy().sum())} such value(s) in all)",
            file=counts_file,
            where=f"row '{gene}', column '{sample}'",
            fix="counts must be numbers; check the delimiter and that no annotation column "
            "sits among the sample columns",
        )
    return numeric.to_numpy(dtype=float)


def _check_missing(values: np.ndarray, selected: pd.DataFrame, counts_file: str | Path) -> None:
    mask = np.isnan(values)
    if mask.any():
        gene, sample = _first(pd.DataFrame(mask, index=selected.index, columns=selected.columns))
        raise InputError(
            f"missing count for gene '{gene}', sample '{sample}' ({int(mask.sum())} missing "
            "value(s) in all)",
            file=counts_file,
            where=f"row '{gene}', column '{sample}'",
            fix="counts must be complete; a gene with no reads has count 0, not an empty cell",
        )


def _check_negative(values: np.ndarray, selected: pd.DataFrame, counts_file: str | Path) -> None:
    mask = values < 0
    if mask.any():
        gene, sample = _first(pd.DataFrame(mask, index=selected.index, columns=selected.columns))
        raise InputError(
            f"negative count {selected.at[gene, sample]} for gene '{gene}', sample '{sample}' "
            f"({int(mask.sum())} negative value(s) in all)",
            file=counts_file,
            where=f"row '{gene}', column '{sample}'",
            fix="give raw read counts, not log-transformed, centred or batch-corrected values",
        )


def _check_too_large(values: np.ndarray, selected: pd.DataFrame, counts_file: str | Path) -> None:
    mask = ~(np.abs(values) <= MAX_COUNT)
    if mask.any():
        gene, sample = _first(pd.DataFrame(mask, index=selected.index, columns=selected.columns))
        raise InputError(
            f"count {selected.at[gene, sample]} for gene '{gene}', sample '{sample}' is larger "
            f"than 2**53 ({MAX_COUNT}), the largest count computed exactly "
            f"({int(mask.sum())} such value(s) in all)",
            file=counts_file,
            where=f"row '{gene}', column '{sample}'",
            fix="give raw read counts; a value this large is an export or unit error (e.g. "
            "scientific notation, or values multiplied by a scale factor)",
        )


def _integers(
    values: np.ndarray, selected: pd.DataFrame, estimated: bool, counts_file: str | Path
) -> tuple[np.ndarray, int]:
    rounded = np.rint(values)
    changed = ~np.isclose(values, rounded, rtol=0, atol=1e-8)
    n_changed = int(changed.sum())
    if n_changed == 0:
        return rounded, 0
    if not estimated:
        gene, sample = _first(
            pd.DataFrame(changed, index=selected.index, columns=selected.columns)
        )
        raise InputError(
            f"non-integer count {selected.at[gene, sample]} for gene '{gene}', sample "
            f"'{sample}' ({n_changed} non-integer value(s) in all)",
            file=counts_file,
            where=f"row '{gene}', column '{sample}'",
            fix="DESeq2 needs raw integer read counts, not TPM/FPKM/normalised values; for "
            "salmon, kallisto or RSEM output set counts.format so that estimated counts are "
            "summarised and rounded",
        )
    logger.info(
        "%s: rounded %d estimated count(s) to the nearest integer, as DESeq2 requires "
        "(largest change %.3g)",
        counts_file,
        n_changed,
        float(np.abs(values - rounded).max()),
    )
    return rounded, n_changed


def _check_zero_samples(
    values: np.ndarray, selected: pd.DataFrame, counts_file: str | Path
) -> None:
    totals = values.sum(axis=0)
    zero = [str(s) for s, t in zip(selected.columns, totals, strict=True) if t == 0]
    if zero:
        raise InputError(
            f"sample(s) {_listed(zero)} have zero counts in total",
            file=counts_file,
            where="sample columns",
            fix="remove the failed libraries from the sample sheet (they cannot be normalised)",
        )
    if values.sum() == 0 or not (values.sum(axis=1) > 0).any():
        raise InputError("every gene has zero counts", file=counts_file, fix="check the file")


def _check_enough_genes(values: np.ndarray, counts_file: str | Path, min_genes: int) -> None:
    with_counts = int((values.sum(axis=1) > 0).sum())
    if with_counts < min_genes:
        raise InputError(
            f"only {with_counts} of {values.shape[0]} gene(s) have any counts; at least "
            f"{min_genes} are needed to estimate the dispersions DESeq2 tests with",
            file=counts_file,
            where="gene rows",
            fix="give the whole genes x samples count table (all genes, not a selection of "
            "genes of interest)",
        )


def _warn_low_detection(
    values: np.ndarray, selected: pd.DataFrame, counts_file: str | Path
) -> None:
    """Log a warning naming libraries that detect far fewer genes than the cohort's median."""
    detected = (values > 0).sum(axis=0)
    typical = float(np.median(detected))
    low = [
        f"'{sample}' ({int(n)} genes)"
        for sample, n in zip(selected.columns, detected, strict=True)
        if n < LOW_DETECTION * typical
    ]
    if low:
        logger.warning(
            "%s: %d librar%s detect far fewer genes than the median library (%d genes "
            "detected): %s; check these samples (failed libraries, or the wrong column?) "
            "before reading their results",
            counts_file,
            len(low),
            "y" if len(low) == 1 else "ies",
            int(typical),
            ", ".join(low[:MAX_LISTED]) + (" ..." if len(low) > MAX_LISTED else ""),
        )


def _first(mask: pd.DataFrame) -> tuple[str, str]:
    """Gene and sample of the first True cell, scanning genes in file order."""
    rows, cols = np.nonzero(mask.to_numpy())
    order = np.lexsort((cols, rows))[0]
    return str(mask.index[rows[order]]), str(mask.columns[cols[order]])


def _listed(items: Sequence[str] | np.ndarray | pd.Index) -> str:
    return _joined([f"'{i}'" for i in items])


def _joined(items: Sequence[str]) -> str:
    """``items`` joined with commas, the first :data:`MAX_LISTED` only."""
    shown = ", ".join(items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown

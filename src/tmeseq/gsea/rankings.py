"""The ranked gene list GSEA runs on, built from one contrast's DE results table.

Rules, in the order they are applied (:func:`ranking`):

1. **Key.** Each row is keyed by its ``symbol``; a row without a symbol (missing or blank) is
   keyed by its ``gene_id``. A symbol of the form ``<symbol>_<gene_id>`` (how tmeseq's
   annotation step renames the lesser copies of a duplicated symbol) is folded back to
   ``<symbol>``, so that every copy competes in step 3 and the set members still match.
2. **Missing values.** Rows whose metric is missing (NaN: genes without a p-value, e.g.
   Cook's outliers or all-zero genes) or infinite are dropped.
3. **Duplicate keys.** Among rows sharing a key, the one with the largest ``|metric|`` is
   kept; an exact tie is decided by the smallest ``gene_id`` (string order).
4. **Order.** Descending by metric; genes with exactly the same value are ordered by key
   (string order), so the order, and with it the running enrichment score, never depends on
   the input's row order. GSEA is sensitive to that order, so ties are counted and logged.

Metrics
-------
``"stat"``
    The Wald statistic (the default; the usual choice for DESeq2 results).
``"shrunk_lfc"``
    The apeGLM-shrunk log2 fold change (``log2FoldChange_shrunk``; needs shrinkage on).
``"signed_log10_p"``
    ``sign(log2FoldChange) * -log10(pvalue)``. A p-value of exactly 0 (below double
    precision) is replaced by the smallest non-zero p-value of the table (or by the smallest
    positive double if none is), so those genes rank first without an infinite value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import get_args

import numpy as np
import pandas as pd

from tmeseq.errors import InputError
from tmeseq.settings import Metric

__all__ = ["METRIC_COLUMNS", "Metric", "Ranking", "gene_keys", "ranking"]

logger = logging.getLogger(__name__)


METRIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "stat": ("stat",),
    "shrunk_lfc": ("log2FoldChange_shrunk",),
    "signed_log10_p": ("log2FoldChange", "pvalue"),
}
"""The DE-table columns each metric is computed from."""

_KEY_COLUMNS = ("gene_id", "symbol")


@dataclass(frozen=True, eq=False)
class Ranking:
    """A ranked gene list: one value per gene key, sorted descending.

    Attributes
    ----------
    metric : {"stat", "shrunk_lfc", "signed_log10_p"}
        What the values are.
    values : pandas.Series
        The metric, indexed by gene key (symbol, or gene ID where there is none), sorted
        descending with ties ordered by key; float64, finite, unique index.
    gene_ids : pandas.Series
        The ``gene_id`` of the row kept for each key, same index and order as ``values``.
    n_input : int
        Rows of the DE table.
    n_missing : int
        Rows dropped because the metric was missing or infinite.
    n_without_symbol : int
        Kept rows keyed by their gene ID because they had no symbol.
    n_unrenamed : int
        Rows whose ``<symbol>_<gene_id>`` symbol was folded back to ``<symbol>``.
    n_collapsed : int
        Rows dropped as duplicates of a key (rule 3 of the module docstring).
    n_collapse_ties : int
        Duplicate groups where the largest ``|metric|`` was shared, decided by gene ID.
    n_tied : int
        Genes of the ranking whose value equals that of at least one other gene.
    n_capped : int
        p-values of 0 replaced before taking logs (``signed_log10_p`` only).
    """

    metric: Metric
    values: pd.Series
    gene_ids: pd.Series
    n_input: int
    n_missing: int
    n_without_symbol: int
    n_unrenamed: int
    n_collapsed: int
    n_collapse_ties: int
    n_tied: int
    n_capped: int = 0

    def __len__(self) -> int:
        return len(self.values)

    @property
    def genes(self) -> pd.Index:
        """Gene keys in rank order (highest metric first)."""
        return self.values.index

    def summary(self) -> str:
        """One line for logs and reports: what was kept, dropped, collapsed and tied."""
        text = (
            f"ranking on {self.metric!r}: {len(self)} genes from {self.n_input} rows "
            f"({self.n_missing} without a value dropped, {self.n_without_symbol} keyed by "
            f"gene ID for lack of a symbol, {self.n_unrenamed} '<symbol>_<gene_id>' names "
            f"folded back); {self.n_collapsed} duplicate-symbol rows collapsed (largest "
            f"|{self.metric}| kept, {self.n_collapse_ties} ties decided by gene ID); "
            f"{self.n_tied} genes share their value with another gene (ordered by symbol)"
        )
        if self.n_capped:
            text += f"; {self.n_capped} p-values of 0 capped at the smallest non-zero p-value"
        return text

    def to_frame(self) -> pd.DataFrame:
        """The ranking as a table: ``rank gene gene_id value`` (rank 1 = highest value)."""
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(self) + 1),
                "gene": self.values.index.to_numpy(),
                "gene_id": self.gene_ids.to_numpy(),
                "value": self.values.to_numpy(),
            }
        )


def ranking(table: pd.DataFrame, metric: Metric = "stat") -> Ranking:
    """Rank the genes of one contrast's DE results for GSEA.

    Parameters
    ----------
    table : pandas.DataFrame
        A DE results table with the contract columns ``gene_id symbol baseMean
        log2FoldChange lfcSE stat pvalue padj`` (and ``log2FoldChange_shrunk lfcSE_shrunk``
        when shrinkage is on); missing values as NaN. Only ``gene_id``, ``symbol`` and the
        metric's columns (:data:`METRIC_COLUMNS`) are read.
    metric : {"stat", "shrunk_lfc", "signed_log10_p"}
        The ranking metric (see the module docstring).

    Returns
    -------
    Ranking
        Also logged (INFO) as :meth:`Ranking.summary`; ties get a WARNING.

    Raises
    ------
    ValueError
        If ``metric`` is not one of the three names.
    InputError
        If a needed column is missing (e.g. ``shrunk_lfc`` without shrinkage), holds
        non-numbers, or fewer than two genes have a value.
    """
    if metric not in get_args(Metric):
        raise ValueError(f"metric must be one of {get_args(Metric)}, not {metric!r}")
    _check_columns(table, metric)
    table = table.reset_index(drop=True)
    keys, no_symbol, n_unrenamed = _keys(table)
    values, n_capped = _metric_values(table, metric)
    values = values.where(np.isfinite(values))
    frame = pd.DataFrame(
        {"key": keys, "gene_id": _text(table["gene_id"]), "value": values}
    ).dropna(subset=["value"])
    n_missing = len(table) - len(frame)
    kept, n_collapse_ties = _collapse(frame)
    ordered = kept.sort_values(["value", "key"], ascending=[False, True], kind="mergesort")
    index = pd.Index(ordered["key"].to_numpy(dtype=object), name="gene")
    series = pd.Series(ordered["value"].to_numpy(dtype=np.float64), index=index, name=metric)
    if len(series) < 2:
        raise InputError(
            f"only {len(series)} gene(s) have a value for the ranking metric {metric!r}",
            where=f"column(s) {', '.join(METRIC_COLUMNS[metric])}",
            fix="GSEA needs a ranked list of genes; check that the DE step produced results",
        )
    result = Ranking(
        metric=metric,
        values=series,
        gene_ids=pd.Series(ordered["gene_id"].to_numpy(dtype=object), index=index),
        n_input=len(table),
        n_missing=n_missing,
        n_without_symbol=int(no_symbol.loc[kept.index].sum()),
        n_unrenamed=n_unrenamed,
        n_collapsed=len(frame) - len(kept),
        n_collapse_ties=n_collapse_ties,
        n_tied=int(series.duplicated(keep=False).sum()),
        n_capped=n_capped,
    )
    _log(result)
    return result


def gene_keys(table: pd.DataFrame) -> pd.Index:
    """The key every row of a table with ``gene_id`` and ``symbol`` columns (a DE table, or
    the ``var`` of ``counts.h5ad``) would have in a ranking (rule 1), in row order, whether
    or not it has a value to rank."""
    keys, _, _ = _keys(table.reset_index(drop=True))
    return pd.Index(keys.to_numpy(dtype=object), name="gene")


def _check_columns(table: pd.DataFrame, metric: Metric) -> None:
    """Raise :class:`InputError` if a column the metric needs is absent or not numeric."""
    needed = METRIC_COLUMNS[metric]
    missing = [c for c in (*_KEY_COLUMNS, *needed) if c not in table.columns]
    if missing:
        fix = "give a DE results table with the contract columns (see DESIGN.md)"
        if metric == "shrunk_lfc":
            fix = (
                "turn LFC shrinkage on (de: shrink: true in the config) so the table has "
                "log2FoldChange_shrunk, or rank on metric 'stat'"
            )
        raise InputError(
            f"the DE table lacks column(s) {missing} needed for the ranking metric {metric!r}",
            where="columns",
            fix=fix,
        )
    for column in needed:
        if not pd.api.types.is_numeric_dtype(table[column]):
            raise InputError(
                f"column {column!r} holds values that are not numbers",
                where=f"column {column!r}",
                fix="missing values must be NA/empty, everything else a number",
            )


def _text(values: pd.Series) -> pd.Series:
    """Values as stripped strings; missing and blank values become None."""
    return values.map(lambda v: None if _is_missing(v) else str(v).strip() or None).astype(object)


def _is_missing(value: object) -> bool:
    """True for None, NaN and pandas' NA."""
    return value is None or bool(pd.isna(value))


def _keys(table: pd.DataFrame) -> tuple[pd.Series, pd.Series, int]:
    """Gene keys (rule 1), a mask of rows keyed by gene ID, and how many names were unfolded."""
    gene_ids = _text(table["gene_id"])
    symbols = _text(table["symbol"])
    no_symbol = symbols.isna()
    folded = pd.Series(
        [
            _unrename(symbol, gene_id) if symbol and gene_id else symbol
            for symbol, gene_id in zip(symbols, gene_ids, strict=True)
        ],
        index=table.index,
        dtype=object,
    )
    n_unrenamed = int((folded[~no_symbol] != symbols[~no_symbol]).sum())
    keys = folded.where(~no_symbol, gene_ids)
    if keys.isna().any():
        row = int(np.flatnonzero(keys.isna().to_numpy())[0]) + 1
        raise InputError(
            "a row has neither a symbol nor a gene ID",
            where=f"row {row}",
            fix="every row of a DE table needs a gene_id",
        )
    return keys, no_symbol, n_unrenamed


def _unrename(symbol: str, gene_id: str) -> str:
    """``"Actb"`` from ``"Actb_ENSMUSG00000029580"`` when the suffix is the row's gene ID."""
    suffix = f"_{gene_id}"
    if symbol.endswith(suffix) and len(symbol) > len(suffix):
        return symbol[: -len(suffix)]
    return symbol


def _metric_values(table: pd.DataFrame, metric: Metric) -> tuple[pd.Series, int]:
    """The metric per row (NaN where it cannot be computed) and how many p-values were capped."""
    if metric == "stat":
        return table["stat"].astype(np.float64), 0
    if metric == "shrunk_lfc":
        return table["log2FoldChange_shrunk"].astype(np.float64), 0
    pvalue = table["pvalue"].astype(np.float64)
    zero = pvalue == 0
    positive = pvalue[pvalue > 0]
    floor = float(positive.min()) if len(positive) else float(np.finfo(np.float64).tiny)
    capped = pvalue.where(~zero, floor)
    sign = np.sign(table["log2FoldChange"].astype(np.float64))
    return sign * -np.log10(capped), int((zero & sign.notna()).sum())


def _collapse(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per key: largest ``|value|``, ties by smallest gene ID (rule 3).

    Returns the kept rows and the number of keys whose largest ``|value|`` was shared.
    """
    work = frame.assign(magnitude=frame["value"].abs(), order=frame["gene_id"].fillna(""))
    ordered = work.sort_values(
        ["key", "magnitude", "order"], ascending=[True, False, True], kind="mergesort"
    )
    first = ~ordered["key"].duplicated(keep="first")
    best = ordered.loc[first].set_index("key")["magnitude"]
    runner_up = ordered.loc[~first].drop_duplicates("key").set_index("key")["magnitude"]
    ties = int((runner_up == best.reindex(runner_up.index)).sum())
    return ordered.loc[first].drop(columns=["magnitude", "order"]), ties


def _log(result: Ranking) -> None:
    """INFO summary; WARNING when values are tied (their order is then by symbol)."""
    logger.info("GSEA %s", result.summary())
    if result.n_tied:
        share = result.n_tied / len(result)
        logger.warning(
            "%d of %d genes (%.1f%%) share their %r value with another gene; their relative "
            "order (by symbol) is arbitrary and can move enrichment scores slightly",
            result.n_tied,
            len(result),
            100 * share,
            result.metric,
        )

"""One contrast's GSEA over several collections: the result table and the collections table."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import gseapy
import pandas as pd

from tmeseq.genesets import Collection
from tmeseq.gsea.matching import collections_table, match_collection
from tmeseq.gsea.prerank import (
    DEFAULT_SEED,
    Method,
    PrerankSettings,
    empty_result,
    prerank_match,
)
from tmeseq.gsea.rankings import Ranking

__all__ = ["GseaResult", "run_gsea", "run_gsea_sized"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class GseaResult:
    """GSEA of one ranking against several collections.

    Attributes
    ----------
    table : pandas.DataFrame
        The contract table (``collection term size es nes pvalue fdr leading_edge``): each
        collection's rows in the order collections were given, each sorted as
        :func:`tmeseq.gsea.run_prerank` sorts them.
    collections : pandas.DataFrame
        One row per collection (:data:`tmeseq.gsea.COLLECTION_COLUMNS`): version, SHA-256,
        source, sets in the file and tested, gene coverage, the ``low_coverage`` flag and a
        ``note`` saying why coverage is low or nothing was tested.
    parameters : dict of str to object
        What a report must state: metric, method, permutations, seed, size bounds, weight,
        gseapy version, ranking counts.
    """

    table: pd.DataFrame
    collections: pd.DataFrame
    parameters: Mapping[str, object]


def run_gsea(
    ranking: Ranking,
    collections: Sequence[Collection],
    *,
    permutations: int = 1000,
    seed: int = DEFAULT_SEED,
    min_size: int = 15,
    max_size: int = 500,
    method: Method = "permutation",
    threads: int = 1,
    in_counts: AbstractSet[str] | None = None,
) -> GseaResult:
    """Run preranked GSEA of every collection separately on one ranking.

    Parameters
    ----------
    ranking : Ranking
        From :func:`tmeseq.gsea.ranking`.
    collections : sequence of Collection
        E.g. from :func:`tmeseq.gsea.load_collections`; names must be unique.
    permutations, seed, min_size, max_size, method, threads
        See :class:`tmeseq.gsea.PrerankSettings`; the same for every collection.
    in_counts : set of str, optional
        Keys of every gene of the DE table (:func:`tmeseq.gsea.rankings.gene_keys`), so that
        the note of an untested collection says whether its genes are in the counts at all.

    Returns
    -------
    GseaResult

    Raises
    ------
    ValueError
        If a setting is invalid, no collection is given, or two share a name.
    """
    settings = PrerankSettings(permutations, seed, min_size, max_size, method, threads)
    _check_names(collections)
    matches = [
        match_collection(ranking, c, min_size=min_size, max_size=max_size, in_counts=in_counts)
        for c in collections
    ]
    tables = [t for t in (prerank_match(ranking, m, settings) for m in matches) if len(t)]
    table = pd.concat(tables, ignore_index=True) if tables else empty_result()
    return GseaResult(
        table=table,
        collections=collections_table(matches),
        parameters=_parameters(ranking, settings),
    )


def run_gsea_sized(
    ranking: Ranking,
    tested: Sequence[tuple[Collection, int]],
    *,
    permutations: int,
    seed: int,
    max_size: int,
    method: Method,
    threads: int,
    in_counts: AbstractSet[str] | None = None,
) -> GseaResult:
    """:func:`run_gsea` of each collection with its own smallest set size, results stacked.

    Parameters
    ----------
    ranking : Ranking
        From :func:`tmeseq.gsea.ranking`.
    tested : sequence of (Collection, int)
        Each collection with its ``min_size``, e.g. from
        :func:`tmeseq.genesets.gsea_collections`; names must be unique.
    permutations, seed, max_size, method, threads, in_counts
        As for :func:`run_gsea`, the same for every collection.

    Returns
    -------
    GseaResult
        Tables in the order of ``tested``; ``parameters["min_size"]`` maps each collection's
        name to its smallest set size.
    """
    _check_names([collection for collection, _ in tested])
    parts = [
        run_gsea(
            ranking,
            [collection],
            permutations=permutations,
            seed=seed,
            min_size=min_size,
            max_size=max_size,
            method=method,
            threads=threads,
            in_counts=in_counts,
        )
        for collection, min_size in tested
    ]
    parameters = dict(parts[0].parameters)
    parameters["min_size"] = {c.name: size for c, size in tested}
    tables = [p.table for p in parts if len(p.table)]
    return GseaResult(
        table=pd.concat(tables, ignore_index=True) if tables else empty_result(),
        collections=pd.concat([p.collections for p in parts], ignore_index=True),
        parameters=parameters,
    )


def _check_names(collections: Sequence[Collection]) -> None:
    """Reject an empty list and duplicated collection names."""
    if not collections:
        raise ValueError("run_gsea needs at least one gene-set collection")
    names = [c.name for c in collections]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"collection names must be unique; repeated: {repeated}")


def _parameters(ranking: Ranking, settings: PrerankSettings) -> dict[str, object]:
    """The settings and ranking counts a report should state (threads excluded: no effect)."""
    return {
        "metric": ranking.metric,
        "method": settings.method,
        "permutations": settings.permutations,
        "seed": settings.seed,
        "min_size": settings.min_size,
        "max_size": settings.max_size,
        "weight": 1.0,
        "gseapy_version": gseapy.__version__,
        "n_genes_ranked": len(ranking),
        "n_rows_missing_metric": ranking.n_missing,
        "n_duplicates_collapsed": ranking.n_collapsed,
        "n_tied_genes": ranking.n_tied,
    }

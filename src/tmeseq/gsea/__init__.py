"""Gene-set enrichment analysis (preranked GSEA with gseapy), offline and reproducible.

The chain for one contrast::

    table = pd.read_csv("de/<contrast>.tsv", sep="\\t")          # DE contract table
    ranked = ranking(table, metric="stat")                        # collapse, order, ties
    collections = load_collections("mouse")                       # Hallmarks, signatures
    result = run_gsea(ranked, collections, permutations=1000, seed=123, threads=2)
    write_tsv(result.table, "gsea/<contrast>.tsv")                 # contract columns
    write_tsv(result.collections, "gsea/<contrast>.collections.tsv")

:func:`run_prerank` runs a single collection. Every collection is tested on its own, genes
are matched exactly, gene sets reach gseapy only as dicts (never a name it could download),
and the same inputs and seed give byte-identical tables.
"""

from __future__ import annotations

from tmeseq.gsea.analysis import GseaResult, run_gsea, run_gsea_sized
from tmeseq.gsea.curve import EnrichmentCurve, running_enrichment
from tmeseq.gsea.matching import (
    COLLECTION_COLUMNS,
    MIN_COVERAGE,
    NOT_TESTED,
    CollectionMatch,
    collection_status,
    collections_table,
    diagnose_mismatch,
    display_source,
    load_collections,
    match_collection,
    testable,
    untested_reasons,
)
from tmeseq.gsea.prerank import (
    DEFAULT_SEED,
    RESULT_COLUMNS,
    Method,
    PrerankSettings,
    empty_result,
    p_floor,
    prerank_match,
    require_gene_set_dict,
    run_prerank,
)
from tmeseq.gsea.rankings import METRIC_COLUMNS, Metric, Ranking, gene_keys, ranking

__all__ = [
    "COLLECTION_COLUMNS",
    "DEFAULT_SEED",
    "METRIC_COLUMNS",
    "MIN_COVERAGE",
    "NOT_TESTED",
    "RESULT_COLUMNS",
    "CollectionMatch",
    "EnrichmentCurve",
    "GseaResult",
    "Method",
    "Metric",
    "PrerankSettings",
    "Ranking",
    "collection_status",
    "collections_table",
    "diagnose_mismatch",
    "display_source",
    "empty_result",
    "gene_keys",
    "load_collections",
    "match_collection",
    "p_floor",
    "prerank_match",
    "ranking",
    "require_gene_set_dict",
    "run_gsea",
    "run_gsea_sized",
    "run_prerank",
    "running_enrichment",
    "testable",
    "untested_reasons",
]

"""Preranked GSEA of one collection with gseapy, offline and reproducible.

How gseapy is called (:func:`run_prerank`):

- **Offline.** ``gene_sets`` is always a dict, checked by :func:`require_gene_set_dict`: any
  string would be read by gseapy as a GMT path or, failing that, as an Enrichr library name
  to download.
- **One collection per call**, so a set's FDR does not depend on what else was tested
  (gseapy pools the null of all sets of a call; gseapy issue #323).
- **Exact matching.** Sets are matched to the ranking here
  (:func:`tmeseq.gsea.matching.match_collection`) and gseapy sees opaque gene codes
  (``g0``, ``g1``, ...) in rank order, with ``ascending=None`` so it keeps that order. Its
  name heuristics (upper-casing a ranking when the sets look upper-case, renaming duplicate
  names) therefore never apply.
- **Reproducible.** With the same ranking, sets, settings and seed, gseapy 1.3.1 returns
  bit-identical numbers across runs, processes and thread counts (measured for both
  methods); values are then rounded (:data:`ES_DECIMALS`, :data:`P_DIGITS`) and rows sorted
  by ``fdr``, ``pvalue``, ``|nes|`` (descending), ``term``, so written tables are
  byte-identical.

Result columns (:data:`RESULT_COLUMNS`): ``collection term size es nes pvalue fdr
leading_edge``. ``size`` counts the set's genes present in the ranking; ``leading_edge``
lists the genes up to the enrichment peak (``;``-separated, from the end of the ranking
nearest the peak). With ``method="permutation"`` a ``pvalue`` or ``fdr`` of 0 means no
permutation reached the observed score, i.e. below ``1 / permutations``: the tables keep the
number, and what a person reads writes the bound instead (:func:`p_floor` with
:func:`tmeseq.formatting.format_p`, e.g. ``< 0.001``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import get_args

import gseapy
import numpy as np
import pandas as pd

from tmeseq.formatting import permutation_floor
from tmeseq.genesets import Collection
from tmeseq.gsea.matching import CollectionMatch, match_collection
from tmeseq.gsea.rankings import Ranking
from tmeseq.settings import GseaMethod as Method

__all__ = [
    "DEFAULT_SEED",
    "ES_DECIMALS",
    "P_DIGITS",
    "RESULT_COLUMNS",
    "Method",
    "PrerankSettings",
    "empty_result",
    "p_floor",
    "prerank_match",
    "require_gene_set_dict",
    "run_prerank",
]

logger = logging.getLogger(__name__)


DEFAULT_SEED = 123
"""gseapy's own default seed; record whichever seed a run used."""
ES_DECIMALS = 4
"""Decimals kept for ``es`` and ``nes``."""
P_DIGITS = 4
"""Significant digits kept for ``pvalue`` and ``fdr``."""

RESULT_COLUMNS = ("collection", "term", "size", "es", "nes", "pvalue", "fdr", "leading_edge")
_DTYPES: Mapping[str, str] = {
    "collection": "object",
    "term": "object",
    "size": "int64",
    "es": "float64",
    "nes": "float64",
    "pvalue": "float64",
    "fdr": "float64",
    "leading_edge": "object",
}


@dataclass(frozen=True)
class PrerankSettings:
    """Settings of a prerank run (validated on creation).

    Attributes
    ----------
    permutations : int
        Gene-set permutations (``permutation_num``); the smallest non-zero permutation
        p-value is about ``1 / permutations``. With ``multilevel`` it sets the size of the
        null used to normalise ES into NES.
    seed : int
        Random seed passed to gseapy.
    min_size, max_size : int
        Bounds on a set's genes present in the ranking.
    method : {"permutation", "multilevel"}
        Classic gene-set permutation, or fgsea's multilevel p-values (gseapy >= 1.3).
    threads : int
        Threads for gseapy; results do not depend on it. gseapy caps it at the machine's
        CPU count minus one.
    """

    permutations: int = 1000
    seed: int = DEFAULT_SEED
    min_size: int = 15
    max_size: int = 500
    method: Method = "permutation"
    threads: int = 1

    def __post_init__(self) -> None:
        if self.method not in get_args(Method):
            raise ValueError(f"method must be one of {get_args(Method)}, not {self.method!r}")
        for name in ("permutations", "min_size", "threads"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)!r}")
        if self.max_size < self.min_size:
            raise ValueError(f"max_size ({self.max_size}) is below min_size ({self.min_size})")


def p_floor(method: Method, permutations: int) -> float | None:
    """The smallest ``pvalue`` / ``fdr`` a run can resolve, for writing them for reading.

    Parameters
    ----------
    method : {"permutation", "multilevel"}
        How p-values were computed.
    permutations : int
        Gene-set permutations of the run.

    Returns
    -------
    float or None
        ``1 / permutations`` for permutation p-values (a 0 means "below it"); None for
        multilevel p-values, which are not bounded by the number of permutations.
    """
    return permutation_floor(permutations) if method == "permutation" else None


def require_gene_set_dict(gene_sets: object) -> dict[str, list[str]]:
    """Return ``gene_sets`` if it is a ``{name: [gene, ...]}`` dict, else raise ``TypeError``.

    The guard in front of every gseapy call: a string (or a list holding one) would make
    gseapy read a file or download an Enrichr library over the network.

    Parameters
    ----------
    gene_sets : object
        What is about to be passed as gseapy's ``gene_sets``.

    Returns
    -------
    dict of str to list of str
        ``gene_sets`` itself.

    Raises
    ------
    TypeError
        If it is not a dict of string keys to lists of strings.
    """
    if not isinstance(gene_sets, dict):
        raise TypeError(
            "gene_sets must be a dict {set name: [genes]}, not "
            f"{type(gene_sets).__name__} {gene_sets!r:.80}; gseapy treats a string as a GMT "
            "path or an Enrichr library to download, and tmeseq never goes online"
        )
    for name, genes in gene_sets.items():
        if not isinstance(name, str) or not isinstance(genes, list):
            raise TypeError(f"gene set {name!r}: expected a str key and a list of genes")
        if not all(isinstance(g, str) for g in genes):
            raise TypeError(f"gene set {name!r}: every gene must be a str")
    return gene_sets


def run_prerank(
    ranking: Ranking,
    collection: Collection,
    *,
    permutations: int = 1000,
    seed: int = DEFAULT_SEED,
    min_size: int = 15,
    max_size: int = 500,
    method: Method = "permutation",
    threads: int = 1,
) -> pd.DataFrame:
    """Run preranked GSEA of one collection on one ranking.

    Parameters
    ----------
    ranking : Ranking
        From :func:`tmeseq.gsea.ranking`.
    collection : Collection
        The gene sets, tested on their own.
    permutations, seed, min_size, max_size, method, threads
        See :class:`PrerankSettings`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RESULT_COLUMNS`, one row per tested set, sorted (see the module
        docstring). Empty, with the same columns, when no set has a testable size; the
        reason is logged as a WARNING.

    Raises
    ------
    ValueError
        If a setting is invalid.
    """
    settings = PrerankSettings(permutations, seed, min_size, max_size, method, threads)
    match = match_collection(ranking, collection, min_size=min_size, max_size=max_size)
    return prerank_match(ranking, match, settings)


def prerank_match(
    ranking: Ranking, match: CollectionMatch, settings: PrerankSettings
) -> pd.DataFrame:
    """Run gseapy on the testable sets of a :class:`CollectionMatch` (see :func:`run_prerank`).

    Parameters
    ----------
    ranking : Ranking
        The ranking ``match`` was made from.
    match : CollectionMatch
        From :func:`tmeseq.gsea.matching.match_collection` with the same size bounds.
    settings : PrerankSettings
        How to run.

    Returns
    -------
    pandas.DataFrame
        As :func:`run_prerank`.
    """
    if not match.sets:
        return empty_result()
    codes = pd.Index([f"g{i}" for i in range(len(ranking))])
    code_of = dict(zip(ranking.genes, codes, strict=True))
    gene_of = dict(zip(codes, ranking.genes, strict=True))
    encoded = {name: [code_of[g] for g in genes] for name, genes in match.sets.items()}
    rnk = pd.Series(ranking.values.to_numpy(), index=codes, name=ranking.metric)
    result = gseapy.prerank(
        rnk=rnk,
        gene_sets=require_gene_set_dict(encoded),
        outdir=None,
        no_plot=True,
        verbose=False,
        ascending=None,
        permutation_num=settings.permutations,
        seed=settings.seed,
        min_size=settings.min_size,
        max_size=settings.max_size,
        method=settings.method,
        threads=settings.threads,
    )
    logger.info(
        "GSEA prerank of %r: %d sets, %s, %d permutations, seed %d",
        match.collection.name,
        len(encoded),
        settings.method,
        settings.permutations,
        settings.seed,
    )
    return _format(result.res2d, match, gene_of)


def empty_result() -> pd.DataFrame:
    """A result table with the contract columns and no rows."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _DTYPES.items()})


def _format(res2d: pd.DataFrame, match: CollectionMatch, gene_of: dict[str, str]) -> pd.DataFrame:
    """gseapy's ``res2d`` in the contract form: decoded, rounded, sorted."""
    terms = res2d["Term"].astype(str)
    table = pd.DataFrame(
        {
            "collection": match.collection.name,
            "term": terms.to_numpy(),
            "size": terms.map(match.sizes).to_numpy(dtype=np.int64),
            "es": _decimals(res2d["ES"]),
            "nes": _decimals(res2d["NES"]),
            "pvalue": _significant(res2d["NOM p-val"]),
            "fdr": _significant(res2d["FDR q-val"]),
            "leading_edge": [_decode(v, gene_of) for v in res2d["Lead_genes"]],
        }
    )
    order = table.assign(_abs_nes=-table["nes"].abs()).sort_values(
        ["fdr", "pvalue", "_abs_nes", "term"], kind="mergesort", na_position="last"
    )
    return table.loc[order.index].reset_index(drop=True).astype(dict(_DTYPES))


def _decimals(values: pd.Series) -> np.ndarray:
    """Float values rounded to :data:`ES_DECIMALS` decimals (``-0.0`` becomes ``0.0``)."""
    return np.round(pd.to_numeric(values).to_numpy(dtype=np.float64), ES_DECIMALS) + 0.0


def _significant(values: pd.Series) -> np.ndarray:
    """Float values rounded to :data:`P_DIGITS` significant digits."""
    array = pd.to_numeric(values).to_numpy(dtype=np.float64)
    return np.array([float(f"{v:.{P_DIGITS}g}") for v in array], dtype=np.float64)


def _decode(lead_genes: object, gene_of: dict[str, str]) -> str:
    """gseapy's ``;``-joined gene codes back to gene symbols."""
    if not isinstance(lead_genes, str) or not lead_genes:
        return ""
    return ";".join(gene_of[code] for code in lead_genes.split(";"))

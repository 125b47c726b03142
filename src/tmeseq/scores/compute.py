"""Per-sample scores of gene sets from a variance-stabilised (VST, log2-like) matrix.

Scales (the ``scale`` column of the coverage table; the arm comparison's ``mean_test``,
``mean_reference`` and ``difference`` are in the same units):

``vst_log2``
    A single-gene set (``ifng``, ``prf1``, ``gzmb``, ``cd274``): the gene's VST value. An
    arm difference is then a log2 fold change on the VST scale (close to DESeq2's LFC for
    well-expressed genes, shrunk towards 0 for low counts). Used by both methods.
``mean_z`` (method ``"zscore"``)
    Each gene's VST is centred and scaled across all samples (z-score, SD with ddof=1), then
    averaged over the set's genes found. Scaling per gene keeps highly expressed or highly
    variable genes from dominating the mean. Units: SDs of a typical member gene across the
    cohort, so values depend on the cohort; compare arms within one cohort only. A gene that is
    constant across samples (e.g. all-zero counts) gets z = 0.
``weighted_z`` (method ``"zscore"``, sets with weights, e.g. ``t_cell_inflamed_gep``)
    ``sum(w_i * z_i)`` over the genes found (weights are not renormalised when genes are
    missing). A relative score: published GEP cut-offs (NanoString, housekeeping-normalised)
    do not apply.
``ssgsea_es`` (method ``"ssgsea"``)
    gseapy's single-sample GSEA enrichment score (ES; not the NES, which gseapy rescales by
    the range over all sets and samples, so a set's NES would depend on the other sets).
    Genes are ranked within each sample (gseapy defaults: rank normalisation, weight 0.25);
    set weights are ignored.
``log2_ratio``
    The derived ratios ``cd8_treg_ratio`` (``cd8_t_cells`` over ``tregs``) and
    ``m1_m2_ratio`` (``m1_macrophages`` over ``m2_macrophages``): mean VST of the first set's
    genes found minus mean VST of the second's. That is the log2 ratio of the sets'
    geometric-mean normalised expression; its level is arbitrary (it depends on the genes'
    baseline expression), but an arm difference is a log2 fold change of the ratio. Not
    z-scores: z-scoring would remove the common scale that makes the difference a ratio.
    Computed with either method, whenever the collection has both sets.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from types import MappingProxyType

import gseapy
import numpy as np
import pandas as pd

from tmeseq.errors import InputError
from tmeseq.genesets import Collection, GeneSet
from tmeseq.scores.coverage import GENE_SEPARATOR, Match, coverage_row, match_set, warn_coverage
from tmeseq.settings import ScoreMethod

logger = logging.getLogger(__name__)


SCALE_VST = "vst_log2"
SCALE_MEAN_Z = "mean_z"
SCALE_WEIGHTED_Z = "weighted_z"
SCALE_SSGSEA = "ssgsea_es"
SCALE_RATIO = "log2_ratio"

#: Derived ratio scores: name -> (numerator set, denominator set).
RATIOS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "cd8_treg_ratio": ("cd8_t_cells", "tregs"),
        "m1_m2_ratio": ("m1_macrophages", "m2_macrophages"),
    }
)

COVERAGE_COLUMNS = (
    "score",
    "n_genes",
    "n_found",
    "low_coverage",
    "genes_found",
    "genes_missing",
    "scale",
    "n_unexpressed",
    "genes_unexpressed",
)


@dataclass(frozen=True)
class ScoreResult:
    """Per-sample scores and the gene coverage behind them.

    Attributes
    ----------
    scores : pandas.DataFrame
        Samples x scores (float; NaN for a score none of whose genes was found). Index: the
        VST matrix's samples; columns: the collection's sets in file order, then the ratios.
    coverage : pandas.DataFrame
        One row per score, columns ``score n_genes n_found low_coverage genes_found
        genes_missing scale n_unexpressed genes_unexpressed`` (gene lists ``;``-separated;
        ``scale`` as in the module docstring). ``n_found`` counts the genes found expressed
        (scored); ``genes_unexpressed`` those in the counts but filtered out, ``genes_missing``
        those not in the counts. A ratio counts the genes of both its sets.
    method : {"zscore", "ssgsea"}
        The method used for multi-gene sets.
    """

    scores: pd.DataFrame
    coverage: pd.DataFrame
    method: ScoreMethod

    def sample_table(self) -> pd.DataFrame:
        """The ``scores/sample_scores.tsv`` form: a ``sample`` column, then one per score."""
        table = self.scores.reset_index(drop=True)
        table.insert(0, "sample", self.scores.index.astype(str))
        return table


def score_samples(
    vst: pd.DataFrame,
    collection: Collection,
    method: ScoreMethod = "zscore",
    threads: int = 1,
    seed: int = 0,
    *,
    present: AbstractSet[str] | None = None,
) -> ScoreResult:
    """Score every set of ``collection`` in every sample, plus the derived ratios.

    Parameters
    ----------
    vst : pandas.DataFrame
        Samples x genes, variance-stabilised (log2-like) expression, e.g. PyDESeq2's
        ``vst_counts``; columns are gene symbols (unique) of the collection's species. Only
        its genes are found: in a workflow run, the expressed genes (kept by the DE
        pre-filter).
    collection : Collection
        The gene sets, e.g. ``read_signatures(signatures_path(), species)``; user sets are
        scored like the bundled ones.
    method : {"zscore", "ssgsea"}
        How multi-gene sets are scored (see the module docstring for the scales).
    threads : int
        Threads for gseapy (method ``"ssgsea"`` only).
    seed : int
        Seed passed to gseapy (ssGSEA without permutations is deterministic; recorded anyway).
    present : set of str, optional
        Symbols of every gene in the counts, expressed or not: a set gene among them but not a
        column of ``vst`` is listed as unexpressed (``genes_unexpressed``) rather than
        missing, and is not counted in ``n_found``. Default: the columns of ``vst``.

    Returns
    -------
    ScoreResult

    Raises
    ------
    InputError
        If the matrix is empty, has fewer than 2 samples, repeated sample or gene names, or
        missing / infinite values; or a set is named like a derived ratio.

    Notes
    -----
    Genes are matched to the columns by exact, case-sensitive symbol (``Cd8a`` is not
    ``CD8A``); the species setting picks the signature lists. A set with fewer than half of
    its genes found is scored on those found, flagged ``low_coverage`` and logged as a
    WARNING; a set with none found gets NA in every sample and a WARNING with the likely
    cause (gene IDs instead of symbols, or the other species' symbols, or genes filtered out
    as not expressed). Nothing is raised for missing genes here: a workflow run stops before
    the DE fit when no gene of the collection is expressed (:mod:`tmeseq.stage_inputs`).
    Z-scores are computed over the samples given, so score the whole cohort at once.
    """
    if method not in ("zscore", "ssgsea"):
        raise ValueError(f"method must be 'zscore' or 'ssgsea', got {method!r}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    data = _checked_vst(vst)
    _check_names(collection)
    matches = {s.name: match_set(s, data.columns, present) for s in collection.sets}
    for match in matches.values():
        warn_coverage(match, data.columns)
    columns, scales = _set_scores(data, collection, matches, method, threads, seed)
    ratios, ratio_rows = _ratio_scores(data, matches)
    columns.update(ratios)
    rows = [coverage_row(matches[name], scales[name]) for name in matches]
    coverage = pd.DataFrame([*rows, *ratio_rows], columns=list(COVERAGE_COLUMNS))
    scores = pd.DataFrame(columns, index=data.index)
    scores.columns.name = "score"
    logger.info(
        "Scored %d sample(s) on %d score(s) with method %r (%d with no gene found expressed)",
        len(scores),
        scores.shape[1],
        method,
        int(scores.isna().all().sum()),
    )
    return ScoreResult(scores=scores, coverage=coverage, method=method)


def symbol_matrix(
    values: np.ndarray, samples: Sequence[str], symbols: Sequence[str | None]
) -> pd.DataFrame:
    """Samples x gene-symbol matrix for :func:`score_samples` from a samples x gene-ID array.

    Genes without a symbol (None, NaN or empty) are dropped. When several gene IDs share a
    symbol, the one with the highest mean expression is kept (the usual choice for
    paralogous or readthrough IDs; the others are counted in an INFO log).

    Parameters
    ----------
    values : numpy.ndarray
        Samples x genes, e.g. PyDESeq2's ``layers["vst_counts"]``.
    samples : sequence of str
        Sample names (rows).
    symbols : sequence of str or None
        Symbol of each gene (column), e.g. ``adata.var["symbol"]``.

    Returns
    -------
    pandas.DataFrame
        Samples x unique symbols, in the order of first appearance.
    """
    data = np.asarray(values, dtype=np.float64)
    if data.shape != (len(samples), len(symbols)):
        raise ValueError(
            f"values have shape {data.shape}, expected ({len(samples)}, {len(symbols)})"
        )
    names = pd.Series(list(symbols), dtype=object).map(clean_symbol)
    keep = names.notna().to_numpy()
    frame = pd.DataFrame({"symbol": names[keep].to_numpy(), "mean": data[:, keep].mean(axis=0)})
    frame["column"] = np.flatnonzero(keep)
    best = frame.sort_values("mean", ascending=False, kind="stable").drop_duplicates("symbol")
    best = best.sort_values("column")
    dropped = int(keep.sum()) - len(best)
    if dropped:
        logger.info("Kept the most expressed of duplicated symbols (%d gene IDs dropped)", dropped)
    return pd.DataFrame(
        data[:, best["column"].to_numpy()],
        index=pd.Index([str(s) for s in samples], name="sample"),
        columns=pd.Index(best["symbol"].to_list(), name="symbol"),
    )


def clean_symbol(symbol: object) -> str | None:
    """A gene symbol as :func:`symbol_matrix` uses it: stripped text, None when missing."""
    if symbol is None or pd.isna(symbol) or not str(symbol).strip():
        return None
    return str(symbol).strip()


def _checked_vst(vst: pd.DataFrame) -> pd.DataFrame:
    """Return ``vst`` as float64 with string column names, or raise :class:`InputError`."""
    where = "VST matrix (samples x genes)"
    if vst.ndim != 2 or vst.shape[0] < 2 or vst.shape[1] < 1:
        raise InputError(
            f"scores need at least 2 samples and 1 gene, got shape {vst.shape}",
            where=where,
            fix="pass the samples x genes VST matrix of the whole cohort",
        )
    data = vst.set_axis(vst.columns.astype(str), axis=1).astype(np.float64)
    for axis, names in (("gene", data.columns), ("sample", data.index)):
        repeated = names[names.duplicated()].unique().tolist()
        if repeated:
            raise InputError(
                f"{axis} name(s) repeated: {', '.join(map(str, repeated[:5]))}",
                where=where,
                fix=f"make {axis} names unique (e.g. sum or drop duplicated gene symbols)",
            )
    if not np.isfinite(data.to_numpy()).all():
        raise InputError(
            "the matrix holds missing or infinite values",
            where=where,
            fix="pass a complete VST matrix (every gene in every sample)",
        )
    return data


def _check_names(collection: Collection) -> None:
    """Refuse sets whose names clash with the derived ratio scores."""
    clash = sorted(set(collection.names) & set(RATIOS))
    if clash:
        raise InputError(
            f"gene set name(s) {clash} are reserved for derived ratio scores",
            file=collection.source,
            fix="rename the set(s)",
        )


def zscores(data: pd.DataFrame) -> pd.DataFrame:
    """Per-gene z-scores across samples (SD with ddof=1); constant genes get 0."""
    values = data.to_numpy(dtype=np.float64)
    centred = values - values.mean(axis=0)
    sd = values.std(axis=0, ddof=1)
    z = np.divide(centred, sd, out=np.zeros_like(centred), where=sd > 0)
    return pd.DataFrame(z, index=data.index, columns=data.columns)


def _set_scores(
    data: pd.DataFrame,
    collection: Collection,
    matches: Mapping[str, Match],
    method: ScoreMethod,
    threads: int,
    seed: int,
) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """Scores and scale names of the collection's sets, in file order."""
    multi = [s for s in collection.sets if len(s.genes) > 1]
    if method == "ssgsea":
        table = ssgsea_scores(data, {s.name: matches[s.name].found for s in multi}, threads, seed)
    else:
        table = _zscore_scores(data, multi, matches)
    columns: dict[str, pd.Series] = {}
    scales: dict[str, str] = {}
    for gene_set in collection.sets:
        found = matches[gene_set.name].found
        if len(gene_set.genes) == 1:
            columns[gene_set.name] = _single_gene(data, found)
            scales[gene_set.name] = SCALE_VST
        else:
            columns[gene_set.name] = table[gene_set.name]
            scales[gene_set.name] = _multi_scale(gene_set, method)
    return columns, scales


def _multi_scale(gene_set: GeneSet, method: ScoreMethod) -> str:
    """Scale name of a multi-gene set's score."""
    if method == "ssgsea":
        return SCALE_SSGSEA
    return SCALE_MEAN_Z if gene_set.weights is None else SCALE_WEIGHTED_Z


def _single_gene(data: pd.DataFrame, found: tuple[str, ...]) -> pd.Series:
    """A single gene's VST values, or NaN when it is absent."""
    if not found:
        return pd.Series(np.nan, index=data.index)
    return data[found[0]].copy()


def _zscore_scores(
    data: pd.DataFrame, sets: list[GeneSet], matches: Mapping[str, Match]
) -> pd.DataFrame:
    """Mean (or weighted sum) of z-scores over each set's genes found; NaN with none."""
    needed = sorted({g for s in sets for g in matches[s.name].found})
    z = zscores(data[needed])
    columns: dict[str, pd.Series] = {}
    for gene_set in sets:
        found = list(matches[gene_set.name].found)
        if not found:
            columns[gene_set.name] = pd.Series(np.nan, index=data.index)
        elif gene_set.weights is None:
            columns[gene_set.name] = z[found].mean(axis=1)
        else:
            weights = np.array([gene_set.weights[g] for g in found])
            columns[gene_set.name] = pd.Series(z[found].to_numpy() @ weights, index=data.index)
    return pd.DataFrame(columns, index=data.index)


def ssgsea_scores(
    data: pd.DataFrame, sets: Mapping[str, tuple[str, ...]], threads: int, seed: int
) -> pd.DataFrame:
    """ssGSEA enrichment scores (ES) of ``sets`` in each sample, computed by gseapy offline.

    Genes and samples are handed to gseapy under neutral placeholder names (``g0``, ``s0``
    ...), and the sets as a dict of those names, so gseapy never looks a library up over the
    network and never upper-cases symbols (which it does for mixed-case data when every set
    is upper-case), keeping the matching exact.

    Parameters
    ----------
    data : pandas.DataFrame
        Samples x genes VST matrix.
    sets : mapping of str to tuple of str
        Set name -> genes found in ``data``; sets with no gene get NaN.
    threads, seed : int
        Passed to :func:`gseapy.ssgsea`.

    Returns
    -------
    pandas.DataFrame
        Samples x sets, ES values.
    """
    result = pd.DataFrame(np.nan, index=data.index, columns=list(sets), dtype=np.float64)
    gene_ids = {g: f"g{i}" for i, g in enumerate(data.columns)}
    gene_sets = {name: [gene_ids[g] for g in genes] for name, genes in sets.items() if genes}
    if not gene_sets:
        return result
    frame = pd.DataFrame(
        data.to_numpy().T,
        index=list(gene_ids.values()),
        columns=[f"s{j}" for j in range(len(data.index))],
    )
    run = gseapy.ssgsea(
        data=frame,
        gene_sets=gene_sets,
        outdir=None,
        min_size=1,
        max_size=max(len(g) for g in gene_sets.values()),
        permutation_num=0,
        no_plot=True,
        threads=threads,
        seed=seed,
    )
    es = run.res2d.pivot(index="Name", columns="Term", values="ES").apply(pd.to_numeric)
    es = es.reindex(index=frame.columns, columns=result.columns)
    result.loc[:, :] = es.to_numpy(dtype=np.float64)
    return result


def _ratio_scores(
    data: pd.DataFrame, matches: Mapping[str, Match]
) -> tuple[dict[str, pd.Series], list[dict[str, object]]]:
    """The derived log2 ratios whose two sets are in the collection, with coverage rows."""
    columns: dict[str, pd.Series] = {}
    rows: list[dict[str, object]] = []
    for name, (top, bottom) in RATIOS.items():
        if top not in matches or bottom not in matches:
            logger.info("Ratio %r not computed: the collection lacks %r or %r", name, top, bottom)
            continue
        first, second = matches[top], matches[bottom]
        columns[name] = _mean_vst(data, first.found) - _mean_vst(data, second.found)
        rows.append(_ratio_row(name, first, second))
    return columns, rows


def _mean_vst(data: pd.DataFrame, genes: tuple[str, ...]) -> pd.Series:
    """Mean VST over ``genes`` per sample; NaN when there are none."""
    if not genes:
        return pd.Series(np.nan, index=data.index)
    return data[list(genes)].mean(axis=1)


def _ratio_row(name: str, first: Match, second: Match) -> dict[str, object]:
    """Coverage row of a ratio: the genes of both sets; low when either set is."""
    return {
        "score": name,
        "n_genes": first.n_genes + second.n_genes,
        "n_found": len(first.found) + len(second.found),
        "low_coverage": first.low_coverage or second.low_coverage,
        "genes_found": GENE_SEPARATOR.join(first.found + second.found),
        "genes_missing": GENE_SEPARATOR.join(first.missing + second.missing),
        "scale": SCALE_RATIO,
        "n_unexpressed": len(first.unexpressed) + len(second.unexpressed),
        "genes_unexpressed": GENE_SEPARATOR.join(first.unexpressed + second.unexpressed),
    }

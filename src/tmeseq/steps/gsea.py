"""Workflow steps ``gsea`` (per contrast) and ``gsea_dotplot`` (across contrasts)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import pandas as pd

from tmeseq.genesets import gsea_collections
from tmeseq.gsea import (
    COLLECTION_COLUMNS,
    GseaResult,
    empty_result,
    gene_keys,
    p_floor,
    ranking,
    run_gsea_sized,
)
from tmeseq.settings import GseaMethod, GSEASettings, Species
from tmeseq.stage_inputs import GSEA, GenePool, check_stage_inputs, planned_gsea
from tmeseq.tables import write_tsv

logger = logging.getLogger(__name__)


def run(
    table: str | Path,
    contrast: str,
    outputs: Mapping[str, str | Path],
    *,
    hallmarks: str | Path | None,
    signatures: str | Path | None,
    signature_sets: Sequence[str | Path],
    replace_signatures: bool,
    gene_sets: Sequence[str | Path],
    species: Species,
    settings: GSEASettings,
    threads: int,
) -> None:
    """Preranked GSEA of one contrast, each collection on its own.

    Parameters
    ----------
    table : str or Path
        The contrast's DE table (``de/<contrast>.tsv``).
    contrast : str
        Its name (for titles and logs).
    outputs : mapping
        ``table``, ``collections`` and ``plot`` paths.
    hallmarks : str or Path, optional
        The Hallmark GMT of the species; None when ``gsea.hallmarks`` is off.
    signatures : str or Path, optional
        The signature YAML; None when ``gsea.signatures`` is off.
    signature_sets : sequence of str or Path
        The scores' extra gene-set files (``scores.gene_sets``), tested with the signatures.
    replace_signatures : bool
        Whether those replace the signature YAML's sets (``scores.replace_bundled``).
    gene_sets : sequence of str or Path
        User GMT files (``gsea.gene_sets``), each its own collection.
    species : {"human", "mouse"}
        Which signature gene lists to use.
    settings : GSEASettings
        Ranking metric, permutations, seed, size bounds, method, plots.
    threads : int
        Threads for gseapy.

    Raises
    ------
    InputError
        When a collection has no set with enough ranked genes to be tested and
        ``settings.allow_empty`` is off (:mod:`tmeseq.stage_inputs`; rule
        ``check_gene_sets`` catches this before the DE fit, this catches later edits).
    """
    results = pd.read_csv(table, sep="\t", keep_default_na=False, na_values=["NA"])
    ranked = ranking(results, metric=settings.metric)
    tested = gsea_collections(
        species,
        hallmarks=hallmarks,
        signatures=signatures,
        extra_signatures=signature_sets,
        replace_signatures=replace_signatures,
        gmts=gene_sets,
        min_size=settings.min_size,
        signature_min_size=settings.signature_min_size,
    )
    keys = gene_keys(results)
    pool = GenePool(
        gene_ids=tuple(str(g) for g in results["gene_id"]),
        symbols=tuple(keys),
        expressed=frozenset(ranked.genes),
    )
    check_stage_inputs(
        pool, planned_gsea(tested, settings.max_size), {GSEA: settings.allow_empty}, species
    )
    if tested:
        result = run_gsea_sized(
            ranked,
            tested,
            permutations=settings.permutations,
            seed=settings.seed,
            max_size=settings.max_size,
            method=settings.method,
            threads=threads,
            in_counts=pool.present,
        )
    else:
        logger.warning("%s: GSEA has no gene-set collection to test (all turned off)", contrast)
        result = GseaResult(empty_result(), pd.DataFrame(columns=list(COLLECTION_COLUMNS)), {})
    write_tsv(result.table, outputs["table"])
    write_tsv(result.collections, outputs["collections"])
    _log(contrast, result.table, result.collections)
    matplotlib.use("Agg")
    from tmeseq.plots import gsea as plots

    plots.plot_top_enrichments(
        ranked,
        result.table,
        [collection for collection, _ in tested],
        outputs["plot"],
        top_n=settings.n_enrichment_plots,
        title=f"{contrast}: top gene sets",
        p_floor=p_floor(settings.method, settings.permutations),
        coverage=result.collections,
    )


def _log(contrast: str, table: pd.DataFrame, coverage: pd.DataFrame) -> None:
    for row in coverage.itertuples(index=False):
        found = table[(table["collection"] == row.collection) & (table["fdr"] < 0.05)]
        logger.info(
            "%s, %s: %d sets tested, %d at FDR < 0.05 (%d up, %d down); gene coverage %.0f%%",
            contrast,
            row.collection,
            row.n_sets_tested,
            len(found),
            int((found["nes"] > 0).sum()),
            int((found["nes"] < 0).sum()),
            100 * float(row.coverage),
        )


def run_dotplot(
    tables: Sequence[str | Path],
    names: Sequence[str],
    output: str | Path,
    *,
    method: GseaMethod,
    permutations: int,
    collections: Sequence[str | Path] = (),
) -> None:
    """NES dot plot across contrasts and collections.

    Parameters
    ----------
    tables : sequence of str or Path
        The contrasts' ``gsea/<contrast>.tsv``.
    names : sequence of str
        The contrasts' names, in the same order.
    output : str or Path
        The figure.
    method, permutations : str, int
        How the p-values were computed (``gsea.method``, ``gsea.permutations``): the FDR
        legend states the run's resolution.
    collections : sequence of str or Path
        The contrasts' ``gsea/<contrast>.collections.tsv`` (same order), so that a figure
        with nothing to show says why collections were not tested.
    """
    matplotlib.use("Agg")
    from tmeseq.plots import gsea as plots

    results = {name: _read(path) for name, path in zip(names, tables, strict=True)}
    coverage = {name: _read(path) for name, path in zip(names, collections, strict=False)}
    plots.plot_nes_dotplot(
        results, output, p_floor=p_floor(method, permutations), collections=coverage
    )


def _read(path: str | Path) -> pd.DataFrame:
    """A TSV written by this stage (``NA`` for missing values, names kept as text)."""
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA"])

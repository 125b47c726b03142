"""Workflow steps ``gsea`` (per contrast) and ``gsea_dotplot`` (across contrasts)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd

from tmeseq.genesets import Collection, read_gmt, read_hallmarks
from tmeseq.gsea import ranking, run_gsea
from tmeseq.steps.scores import score_collection
from tmeseq.tables import write_tsv

logger = logging.getLogger(__name__)


def collections(
    species: str, gsea: Mapping[str, Any], scores: Mapping[str, Any]
) -> list[tuple[Collection, int]]:
    """The collections to test with their minimum set size: Hallmarks, the TME signatures
    (with the scores' extra sets, tested with ``signature_min_size``), user GMTs."""
    chosen: list[tuple[Collection, int]] = []
    min_size = int(gsea.get("min_size", 15))
    if gsea.get("hallmarks", True):
        chosen.append((read_hallmarks(species), min_size))  # type: ignore[arg-type]
    if gsea.get("signatures", True):
        chosen.append((score_collection(species, scores), int(gsea["signature_min_size"])))
    chosen += [(read_gmt(path), min_size) for path in gsea.get("gene_sets", [])]
    return chosen


def run(
    table: str | Path,
    contrast: str,
    outputs: Mapping[str, str | Path],
    *,
    species: str,
    gsea: Mapping[str, Any],
    scores: Mapping[str, Any],
    threads: int = 1,
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
    species : {"human", "mouse"}
        Picks the Hallmark file and signature gene lists.
    gsea, scores : mapping
        The config's ``gsea`` and ``scores`` sections.
    threads : int
        Threads for gseapy.
    """
    results = pd.read_csv(table, sep="\t", keep_default_na=False, na_values=["NA"])
    ranked = ranking(results, metric=gsea.get("metric", "stat"))
    tested = collections(species, gsea, scores)
    parts = [
        run_gsea(
            ranked,
            [collection],
            permutations=int(gsea.get("permutations", 1000)),
            seed=int(gsea.get("seed", 123)),
            min_size=min_size,
            max_size=int(gsea.get("max_size", 500)),
            method=gsea.get("method", "permutation"),
            threads=threads,
        )
        for collection, min_size in tested
    ]
    combined = pd.concat([p.table for p in parts], ignore_index=True)
    coverage = pd.concat([p.collections for p in parts], ignore_index=True)
    write_tsv(combined, outputs["table"])
    write_tsv(coverage, outputs["collections"])
    _log(contrast, combined, coverage)
    matplotlib.use("Agg")
    from tmeseq.plots import gsea as plots

    plots.plot_top_enrichments(
        ranked,
        combined,
        [c for c, _ in tested],
        outputs["plot"],
        top_n=int(gsea.get("n_enrichment_plots", 6)),
        title=f"{contrast}: top gene sets",
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


def run_dotplot(tables: Sequence[str | Path], names: Sequence[str], output: str | Path) -> None:
    """NES dot plot across contrasts and collections."""
    matplotlib.use("Agg")
    from tmeseq.plots import gsea as plots

    results = {
        name: pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA"])
        for name, path in zip(names, tables, strict=True)
    }
    plots.plot_nes_dotplot(results, output)

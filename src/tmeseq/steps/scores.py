"""Workflow step ``scores``: effector genes and TME signatures scored per sample from the
model's design-aware VST, compared between arms on the DE design, and laid out as the TME
comparison table."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anndata as ad
import matplotlib
import numpy as np
import pandas as pd

from tmeseq.genesets import Collection, combine, read_gene_sets, read_signatures, signatures_path
from tmeseq.scores import compare_scores, score_samples, symbol_matrix, tme_comparison
from tmeseq.tables import write_tsv

logger = logging.getLogger(__name__)


def score_collection(species: str, scores: Mapping[str, Any]) -> Collection:
    """The bundled signatures of ``species`` combined with the config's extra gene sets."""
    bundled = read_signatures(signatures_path(), species)  # type: ignore[arg-type]
    extra = [read_gene_sets(path, species) for path in scores.get("gene_sets", [])]  # type: ignore[arg-type]
    if not extra:
        return bundled
    return combine(bundled, extra, replace=bool(scores.get("replace_bundled", False)))


def run(
    model: str | Path,
    outputs: Mapping[str, Any],
    *,
    species: str,
    scores: Mapping[str, Any],
    contrasts: Sequence[Mapping[str, Any]],
    alpha: float,
    threads: int = 1,
) -> None:
    """Score, compare and plot.

    Parameters
    ----------
    model : str or Path
        ``de/model.h5ad`` (layer ``vst``, ``obsm["design_matrix"]``, contrast vectors).
    outputs : mapping
        ``samples``, ``coverage``, ``tme``, ``boxes``, ``tme_plot``, ``heatmap`` paths and
        ``tables``: contrast name -> TSV path.
    species : {"human", "mouse"}
        Which signature gene lists to use.
    scores : mapping
        The config's ``scores`` section.
    contrasts : sequence of mapping
        The config's contrasts.
    alpha : float
        Significance level for the TME table's directions.
    threads : int
        Threads for ssGSEA.
    """
    fitted = ad.read_h5ad(model)
    collection = score_collection(species, scores)
    vst = symbol_matrix(fitted.layers["vst"], list(fitted.obs_names), list(fitted.var["symbol"]))
    result = score_samples(
        vst, collection, scores.get("method", "zscore"), threads, int(scores.get("seed", 0))
    )
    design = fitted.obsm["design_matrix"]
    vectors = fitted.uns["de"]["contrast_vectors"]
    tables = {}
    for contrast in contrasts:
        test_samples, reference_samples = _groups(fitted.obs, contrast)
        tables[contrast["name"]] = compare_scores(
            result.scores,
            design,
            np.asarray(vectors[contrast["name"]], dtype=float),
            test_samples,
            reference_samples,
            coverage=result.coverage,
        )
    write_tsv(result.sample_table(), outputs["samples"])
    write_tsv(result.coverage, outputs["coverage"])
    for name, table in tables.items():
        write_tsv(table, outputs["tables"][name])
    tme = tme_comparison(tables, alpha)
    write_tsv(tme, outputs["tme"])
    _log_tme(tme, list(tables))
    _plot(fitted, vst, result.scores, collection, tables, tme, contrasts, outputs, alpha)


def _groups(
    obs: pd.DataFrame, contrast: Mapping[str, Any]
) -> tuple[list[str] | None, list[str] | None]:
    if "variable" not in contrast:
        return None, None
    values = obs[contrast["variable"]].astype(str)
    return (
        list(values.index[values == str(contrast["test"])]),
        list(values.index[values == str(contrast["reference"])]),
    )


def _log_tme(tme: pd.DataFrame, names: list[str]) -> None:
    for name in names:
        calls = ", ".join(
            f"{row['score']} {row[f'{name}_direction']}" for _, row in tme.iterrows()
        )
        logger.info("TME comparison %s: %s", name, calls)


def _plot(
    fitted: ad.AnnData,
    vst: pd.DataFrame,
    scores: pd.DataFrame,
    collection: Collection,
    tables: Mapping[str, pd.DataFrame],
    tme: pd.DataFrame,
    contrasts: Sequence[Mapping[str, Any]],
    outputs: Mapping[str, Any],
    alpha: float,
) -> None:
    matplotlib.use("Agg")
    from tmeseq.plots import scores as plots

    variable = next((str(c["variable"]) for c in contrasts if "variable" in c), None)
    if variable:
        values = fitted.obs[variable].astype(str)
        # arms in sample-sheet order (the example lists vehicle first)
        groups = pd.Series(
            pd.Categorical(values, categories=list(dict.fromkeys(values))),
            index=values.index,
            name=variable,
        )
    else:
        groups = pd.Series("all samples", index=fitted.obs_names)
    pairs = {
        str(c["name"]): (str(c["test"]), str(c["reference"])) for c in contrasts if "variable" in c
    }
    plots.plot_score_boxes(scores, groups, outputs["boxes"], results=tables, pairs=pairs)
    plots.plot_tme_comparison(tme, outputs["tme_plot"], alpha)
    plots.plot_signature_heatmap(vst, collection, groups, outputs["heatmap"])

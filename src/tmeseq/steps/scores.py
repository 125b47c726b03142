"""Workflow step ``scores``: effector genes and TME signatures scored per sample from the
model's design-aware VST, compared between arms on the DE design, and laid out as the TME
comparison table.

A signature gene counts as found only if it is expressed: the VST scored holds the genes the
DE pre-filter kept (``var["tested"]`` of ``de/model.h5ad``); a gene in the counts but filtered
out is listed as unexpressed in ``scores/coverage.tsv``, not scored and not counted in
``n_found``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anndata as ad
import matplotlib
import pandas as pd

from tmeseq.design import design_variables
from tmeseq.genesets import read_gene_sets, signature_collection
from tmeseq.scores import (
    clean_symbol,
    compare_contrasts,
    paired_by,
    plot_groups,
    score_samples,
    symbol_matrix,
    tme_comparison,
)
from tmeseq.settings import Contrast, ScoreSettings, Species
from tmeseq.stage_inputs import SCORES, check_stage_inputs, gene_pool, planned_scores
from tmeseq.tables import write_tsv

logger = logging.getLogger(__name__)


def run(
    model: str | Path,
    outputs: Mapping[str, Any],
    *,
    signatures: str | Path,
    gene_sets: Sequence[str | Path],
    species: Species,
    settings: ScoreSettings,
    contrasts: Sequence[Contrast],
    alpha: float,
    threads: int,
) -> None:
    """Score, compare and plot.

    Parameters
    ----------
    model : str or Path
        ``de/model.h5ad`` (layer ``vst``, ``obsm["design_matrix"]``, contrast vectors).
    outputs : mapping
        ``samples``, ``coverage``, ``tme``, ``boxes``, ``tme_plot``, ``heatmap`` paths and
        ``tables``: contrast name -> TSV path.
    signatures : str or Path
        The signature YAML (the bundled ``tme_signatures.yaml``).
    gene_sets : sequence of str or Path
        The user's extra gene-set files (``scores.gene_sets``).
    species : {"human", "mouse"}
        Which signature gene lists to use.
    settings : ScoreSettings
        Method, seed, and whether the user's sets replace the signatures.
    contrasts : sequence of Contrast
        The DE contrasts.
    alpha : float
        Significance level for the TME table's directions.
    threads : int
        Threads for ssGSEA.

    Raises
    ------
    InputError
        When no gene of the signature collection, or of one file of ``gene_sets``, is
        expressed and ``settings.allow_empty`` is off (:mod:`tmeseq.stage_inputs`; rule
        ``check_gene_sets`` catches this before the DE fit, this catches later edits).
    """
    fitted = ad.read_h5ad(model)
    collection = signature_collection(
        signatures, species, gene_sets, replace=settings.replace_bundled
    )
    tested = fitted.var["tested"].to_numpy(dtype=bool)
    check_stage_inputs(
        gene_pool(fitted.var, tested),
        planned_scores(collection, [read_gene_sets(path, species) for path in gene_sets]),
        {SCORES: settings.allow_empty},
        species,
    )
    vst, present = expressed_matrix(fitted)
    result = score_samples(
        vst, collection, settings.method, threads, settings.seed, present=present
    )
    tables = compare_contrasts(
        result,
        fitted.obsm["design_matrix"],
        fitted.uns["de"]["contrast_vectors"],
        fitted.obs,
        contrasts,
    )
    tme = tme_comparison(tables, alpha)
    write_tsv(result.sample_table(), outputs["samples"])
    write_tsv(result.coverage, outputs["coverage"])
    for name, table in tables.items():
        write_tsv(table, outputs["tables"][name])
    write_tsv(tme, outputs["tme"])
    _log_tme(tme, list(tables))

    matplotlib.use("Agg")
    from tmeseq.plots import scores as plots

    groups, pairs = plot_groups(
        fitted.obs,
        fitted.obsm["design_matrix"],
        fitted.uns["de"]["contrast_vectors"],
        contrasts,
    )
    pairing = paired_by(fitted.obs, design_variables(fitted.uns["de"]["design"]), groups)
    plots.plot_score_boxes(
        result.scores,
        groups,
        outputs["boxes"],
        results=tables,
        pairs=pairs,
        paired_by=pairing,
    )
    plots.plot_tme_comparison(tme, outputs["tme_plot"], alpha)
    plots.plot_signature_heatmap(vst, collection, groups, outputs["heatmap"])


def expressed_matrix(fitted: ad.AnnData) -> tuple[pd.DataFrame, set[str]]:
    """The samples x symbol VST of the genes the DE fit tested (the expressed ones), and the
    symbols of every gene in the counts.

    Parameters
    ----------
    fitted : anndata.AnnData
        ``de/model.h5ad``: layer ``vst``, ``var["symbol"]`` and ``var["tested"]``.

    Returns
    -------
    vst : pandas.DataFrame
        :func:`tmeseq.scores.symbol_matrix` of the tested genes.
    present : set of str
        Every gene's symbol, tested or not.
    """
    tested = fitted.var["tested"].to_numpy(dtype=bool)
    symbols = list(fitted.var["symbol"])
    vst = symbol_matrix(
        fitted.layers["vst"][:, tested],
        list(fitted.obs_names),
        [symbol for symbol, kept in zip(symbols, tested, strict=True) if kept],
    )
    present = {name for name in map(clean_symbol, symbols) if name is not None}
    logger.info(
        "Scoring on the %d of %d genes kept by the DE pre-filter (expressed)",
        int(tested.sum()),
        tested.size,
    )
    return vst, present


def _log_tme(tme: pd.DataFrame, names: list[str]) -> None:
    for name in names:
        calls = ", ".join(
            f"{row['score']} {row[f'{name}_direction']}" for _, row in tme.iterrows()
        )
        logger.info("TME comparison %s: %s", name, calls)

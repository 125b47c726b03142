"""Workflow step ``de``: one PyDESeq2 fit of the design, every contrast from that fit.

Writes the contract table per contrast, a summary, one workbook, and ``model.h5ad`` (raw
and normalised counts, size factors, dispersions, the design-aware VST layer and the
design) for the later stages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference

from tmeseq import __version__
from tmeseq.de import DESettings, contrast_results, fit_model
from tmeseq.de.prefilter import keep_genes, smallest_group
from tmeseq.de.shrinkage import shrink_level_contrast
from tmeseq.de.vst import vst_mean, vst_parametric
from tmeseq.de_tables import results_table, summary_table, write_results_tsv, write_workbook
from tmeseq.design import design_variables, reference_levels
from tmeseq.importer import write_h5ad
from tmeseq.samplesheet import covariates
from tmeseq.tables import write_tsv

logger = logging.getLogger(__name__)

MODEL_VAR_COLUMNS = (
    "baseMean",
    "genewise_dispersions",
    "fitted_dispersions",
    "MAP_dispersions",
    "dispersions",
    "dispersion_outlier",
    "replaced",
    "refitted",
)


def settings_from_config(de: Mapping[str, Any]) -> DESettings:
    """The fit and test settings from the config's ``de`` section."""
    threshold = float(de.get("lfc_threshold", 0.0))
    return DESettings(
        size_factors=de.get("size_factors", "ratio"),
        fit_type=de.get("fit_type", "parametric"),
        cooks_filter=bool(de.get("cooks_filter", True)),
        refit_cooks=bool(de.get("refit_cooks", True)),
        min_replicates=int(de.get("min_replicates", 7)),
        independent_filter=bool(de.get("independent_filter", True)),
        alpha=float(de.get("alpha", 0.05)),
        lfc_threshold=threshold,
        alt_hypothesis=de.get("alt_hypothesis", "greaterAbs") if threshold > 0 else None,
    )


def sheet_from_obs(obs: pd.DataFrame) -> pd.DataFrame:
    """The sample sheet as text again (h5ad stores text columns as categoricals)."""
    sheet = pd.DataFrame(index=obs.index.astype(str))
    for column in obs.columns:
        values = obs[column].astype(object)
        sheet[column] = values.where(values.notna(), None).map(
            lambda v: None if v is None else str(v)
        )
    return sheet


def run(
    h5ad: str | Path,
    outputs: Mapping[str, Any],
    *,
    de: Mapping[str, Any],
    threads: int = 1,
) -> None:
    """Fit the design once, test and (optionally) shrink every contrast, write the outputs.

    Parameters
    ----------
    h5ad : str or Path
        ``counts.h5ad`` from the import step.
    outputs : mapping
        ``model``, ``summary``, ``workbook`` paths and ``tables``: contrast name -> TSV path.
    de : mapping
        The config's ``de`` section (defaults filled in).
    threads : int
        Worker processes for PyDESeq2.
    """
    adata = ad.read_h5ad(h5ad)
    contrasts: Sequence[Mapping[str, Any]] = de["contrasts"]
    settings = settings_from_config(de)
    typed = covariates(
        sheet_from_obs(adata.obs), de.get("categorical", []), reference_levels(contrasts)
    )
    metadata = typed[design_variables(de["design"])]
    counts = pd.DataFrame(adata.X, index=adata.obs_names, columns=adata.var_names)
    tested = _prefilter(counts, typed, de, contrasts)
    dds = fit_model(counts.loc[:, tested], metadata, de["design"], settings, threads)
    logger.info("Design coefficients: %s", ", ".join(dds.obsm["design_matrix"].columns))
    tables = {
        contrast["name"]: _contrast_table(
            dds, metadata, contrast, de, settings, threads, adata.var
        )
        for contrast in contrasts
    }
    for name, table in tables.items():
        write_results_tsv(table, outputs["tables"][name])
    summary = summary_table(tables, settings.alpha, settings.lfc_threshold)
    _log_summary(summary)
    write_tsv(summary, outputs["summary"])
    write_workbook(tables, summary, outputs["workbook"])
    model = model_anndata(adata, dds, tested, de)
    model.uns["de"]["contrast_vectors"] = {
        str(c["name"]): contrast_vector(c, dds).tolist() for c in contrasts
    }
    write_h5ad(model, outputs["model"])


def _prefilter(
    counts: pd.DataFrame,
    typed: pd.DataFrame,
    de: Mapping[str, Any],
    contrasts: Sequence[Mapping[str, Any]],
) -> np.ndarray:
    rule = de.get("prefilter", {})
    min_samples = rule.get("min_samples") or smallest_group(typed, contrasts)
    return keep_genes(counts.to_numpy(), int(rule.get("min_count", 10)), int(min_samples))


def _contrast_table(
    dds: DeseqDataSet,
    metadata: pd.DataFrame,
    contrast: Mapping[str, Any],
    de: Mapping[str, Any],
    settings: DESettings,
    threads: int,
    var: pd.DataFrame,
) -> pd.DataFrame:
    spec = _contrast_spec(contrast, dds)
    results = contrast_results(dds, spec, settings, threads)
    shrunk = None
    if de.get("shrink", True):
        shrunk = _shrink(dds, metadata, contrast, de["design"], results, threads)
    return results_table(results, var, shrunk)


def _contrast_spec(contrast: Mapping[str, Any], dds: DeseqDataSet) -> list[str] | np.ndarray:
    if "coefficients" not in contrast:
        return [str(contrast["variable"]), str(contrast["test"]), str(contrast["reference"])]
    return contrast_vector(contrast, dds)


def contrast_vector(contrast: Mapping[str, Any], dds: DeseqDataSet) -> np.ndarray:
    """The contrast's weights over the design-matrix columns (what the scores stage tests)."""
    if "coefficients" not in contrast:
        vector = dds.contrast(
            str(contrast["variable"]), str(contrast["reference"]), str(contrast["test"])
        )
        return np.asarray(vector, dtype=float)
    columns = list(dds.obsm["design_matrix"].columns)
    vector = np.zeros(len(columns))
    for name, weight in contrast["coefficients"].items():
        vector[columns.index(name)] = float(weight)
    return vector


def _shrink(
    dds: DeseqDataSet,
    metadata: pd.DataFrame,
    contrast: Mapping[str, Any],
    design: str,
    results: pd.DataFrame,
    threads: int,
) -> pd.DataFrame:
    if "coefficients" in contrast:
        logger.warning(
            "contrast '%s' is a combination of coefficients; apeGLM shrinks single "
            "coefficients only, so its shrunk columns are NA",
            contrast["name"],
        )
        return pd.DataFrame(np.nan, index=results.index, columns=["log2FoldChange", "lfcSE"])
    spec = (str(contrast["variable"]), str(contrast["test"]), str(contrast["reference"]))
    return shrink_level_contrast(
        dds,
        metadata,
        design,
        spec,
        results["log2FoldChange"],
        inference=DefaultInference(n_cpus=threads),
    )


def _log_summary(summary: pd.DataFrame) -> None:
    for row in summary.itertuples(index=False):
        logger.info(
            "%s: %d up, %d down at padj < %g (%d genes tested, %d Cook's outliers, "
            "%d removed by independent filtering)",
            row.contrast,
            row.n_up,
            row.n_down,
            row.alpha,
            row.n_tested,
            row.n_outliers,
            row.n_low_counts,
        )


def model_vst(normed: np.ndarray, dds: DeseqDataSet) -> np.ndarray:
    """The design-aware VST of ``normed`` from the model's dispersion trend."""
    if dds.uns.get("disp_function_type") == "mean":
        return vst_mean(normed, float(dds.uns["mean_disp"]))
    a0, a1 = (float(v) for v in dds.uns["trend_coeffs"])
    return vst_parametric(normed, a0, a1)


def model_anndata(
    adata: ad.AnnData, dds: DeseqDataSet, tested: np.ndarray, de: Mapping[str, Any]
) -> ad.AnnData:
    """The fitted model for later stages: counts, normalised counts, VST, dispersions."""
    size_factors = dds.obs["size_factors"].to_numpy(dtype=float)
    normed = np.asarray(adata.X, dtype=float) / size_factors[:, None]
    model = ad.AnnData(
        X=np.asarray(adata.X),
        obs=adata.obs.copy(),
        var=adata.var[["gene_id", "symbol"]].copy(),
        layers={"normed_counts": normed, "vst": model_vst(normed, dds)},
    )
    model.obs["size_factors"] = size_factors
    model.obsm["design_matrix"] = dds.obsm["design_matrix"].set_axis(model.obs_names)
    model.var["tested"] = tested
    var = dds.var.rename(
        columns={"_normed_means": "baseMean", "_outlier_genes": "dispersion_outlier"}
    )
    for column in MODEL_VAR_COLUMNS:
        if column in var:
            values = var[column]
            fill = False if values.dtype == bool else np.nan
            model.var[column] = values.reindex(model.var_names, fill_value=fill)
    model.uns["de"] = _model_uns(dds, de)
    return model


def _model_uns(dds: DeseqDataSet, de: Mapping[str, Any]) -> dict[str, Any]:
    uns: dict[str, Any] = {
        "design": str(de["design"]),
        "categorical": [str(c) for c in de.get("categorical", [])],
        "coefficients": [str(c) for c in dds.obsm["design_matrix"].columns],
        "dispersion_trend": str(dds.uns.get("disp_function_type", "parametric")),
        "prior_dispersion_variance": float(dds.uns.get("prior_disp_var", np.nan)),
        "tmeseq_version": __version__,
    }
    if "trend_coeffs" in dds.uns:
        a0, a1 = (float(v) for v in dds.uns["trend_coeffs"])
        uns["trend_coefficients"] = {"asymptDisp": a0, "extraPois": a1}
    if "mean_disp" in dds.uns:
        uns["mean_dispersion"] = float(dds.uns["mean_disp"])
    return uns

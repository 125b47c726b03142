"""What each section of the report shows: rows and texts ready to print.

Every number a reader sees is formatted here through :mod:`tmeseq.formatting` (p-values
with :func:`~tmeseq.formatting.format_p`, permutation p-values with their floor); the
template only places these strings, and Jinja2 escapes them. Sortable cells also carry the
raw value (``sort``) so a table sorts by number, not by text.

A section with nothing to show keeps its place and says why (``note`` fields): no gene at
``alpha``, a score whose genes were not found, GSEA without sets, an arm with too few samples.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from tmeseq import qc
from tmeseq.formatting import MISSING, format_number, format_p, permutation_floor
from tmeseq.gsea.matching import untested_reasons
from tmeseq.plots._style import palette, sample_levels
from tmeseq.report import sentences, svg
from tmeseq.report.context import CohortResults, ContrastResults
from tmeseq.report.images import png_data_uri
from tmeseq.settings import Contrast, Settings

#: Arrows of the calls in the TME table.
ARROWS: Mapping[str, str] = {
    sentences.UP: "↑",
    sentences.DOWN: "↓",
    sentences.NOT_SIGNIFICANT: "–",
    sentences.NOT_TESTED: "·",
}
#: How a score's scale reads.
SCALES: Mapping[str, str] = {
    "mean_z": "mean z-score",
    "weighted_z": "weighted z-score",
    "log2_ratio": "log2 ratio",
    "vst_log2": "log2 expression (VST)",
    "ssgsea": "ssGSEA score",
}
#: Factors with more levels than this are not drawn as coloured scatters.
MAX_LEVELS = 12
#: Leading principal components tested against the covariates.
N_COMPONENTS = 5
#: Smallest arm with which a contrast's p-values mean much.
MIN_ARM = 2


def slug(name: str) -> str:
    """``name`` with every character outside ``[A-Za-z0-9_-]`` replaced by ``-`` (for ids)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def sort_key(value: float) -> str:
    """A cell's raw value for sorting (``""`` when missing)."""
    return "" if value is None or math.isnan(value) else f"{value:.6g}"


def _float(value: Any) -> float:
    """``value`` as a float, NaN when missing or not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _first_order(values: pd.Series) -> list[str]:
    """Distinct values as text, in order of first appearance."""
    return list(dict.fromkeys(values.astype(str)))


# --- answer first ----------------------------------------------------------------------------


def arm_counts(samples: pd.DataFrame, contrasts: Sequence[Contrast]) -> list[dict[str, Any]]:
    """Samples per level of each contrast variable, in sample-sheet order."""
    variables = list(dict.fromkeys(str(c.variable) for c in contrasts if c.is_levels))
    counts = []
    for variable in variables:
        column = samples[variable].astype(str)
        levels = [
            {"level": level, "n": int((column == level).sum())} for level in _first_order(column)
        ]
        counts.append({"variable": variable, "levels": levels})
    return counts


def tme_rows(tme: pd.DataFrame, contrasts: Sequence[Contrast], alpha: float) -> list[dict]:
    """Rows of the TME comparison table: parameter, scale, and per contrast the call, its
    arrow, the signed difference and padj."""
    rows = []
    for _, row in tme.iterrows():
        cells = []
        for contrast in contrasts:
            difference = _float(row.get(f"{contrast.name}_difference"))
            padj = _float(row.get(f"{contrast.name}_padj"))
            call = sentences.call(difference, padj, alpha)
            cells.append(
                {
                    "call": call,
                    "arrow": ARROWS[call],
                    "difference": format_number(difference, signed=True),
                    "padj": format_p(padj),
                }
            )
        scale = str(row.get("scale", MISSING))
        rows.append(
            {
                "parameter": str(row["parameter"]),
                "score": str(row["score"]),
                "scale": SCALES.get(scale, scale),
                "cells": cells,
            }
        )
    return rows


# --- QC --------------------------------------------------------------------------------------


def covariates(samples: pd.DataFrame) -> pd.DataFrame:
    """The sample sheet's covariates (bookkeeping columns of later stages left out)."""
    return samples.drop(columns=["size_factors"], errors="ignore")


def association_rows(association: pd.DataFrame) -> tuple[list[str], list[dict[str, Any]]]:
    """The PC-covariate table: components, then per covariate one cell per component."""
    components = list(dict.fromkeys(association["component"]))
    rows = []
    for name, block in association.groupby("covariate", sort=False):
        cells = []
        for record in block.itertuples(index=False):
            r_squared, pvalue = float(record.r_squared), float(record.pvalue)
            cells.append(
                {
                    "r_squared": format_number(r_squared),
                    "pvalue": format_p(pvalue),
                    "strong": bool(pvalue < 0.05),
                    "note": str(record.note),
                }
            )
        kind = str(block["kind"].iloc[0])
        rows.append({"covariate": str(name), "kind": kind, "cells": cells})
    return components, rows


def covariate_scatters(
    pca: pd.DataFrame, variance: pd.DataFrame, samples: pd.DataFrame, categorical: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """PC1 against PC2 coloured by each covariate, and notes for those not drawn."""
    if "PC2" not in pca.columns:
        return [], ["PCA has fewer than two components: no scatter drawn."]
    labels = [
        f"{c} ({100 * float(v):.1f}%)"
        for c, v in zip(variance["component"][:2], variance["variance_explained"][:2], strict=True)
    ]
    table = covariates(samples).reindex(pca["sample"].astype(str))
    scatters, notes = [], []
    for name in table.columns:
        colouring, note = _colouring(str(name), table[name], categorical)
        if colouring is None:
            notes.append(note)
            continue
        figure = svg.scatter(
            pca["PC1"].to_numpy(dtype=np.float64),
            pca["PC2"].to_numpy(dtype=np.float64),
            list(pca["sample"].astype(str)),
            colouring,
            axis_labels=(labels[0], labels[1]),
            title=f"PCA coloured by {name}",
        )
        scatters.append({"covariate": str(name), "svg": figure})
    return scatters, notes


def _colouring(
    name: str, column: pd.Series, categorical: Sequence[str]
) -> tuple[svg.Colouring | None, str]:
    if column.dropna().nunique() < 2:
        return None, f"{name}: a single value for every sample (not drawn)."
    if qc.is_numeric_covariate(column) and name not in categorical:
        return svg.numeric_colouring(name, column.to_numpy(dtype=np.float64)), ""
    values, levels = sample_levels(column)
    if len(levels) > MAX_LEVELS:
        return None, f"{name}: {len(levels)} levels, too many to colour (not drawn)."
    return svg.categorical_colouring(name, list(values), palette(levels)), ""


def qc_view(results: CohortResults, settings: Settings) -> dict[str, Any]:
    """Everything the QC section shows."""
    categorical = settings.de.model.categorical
    association = qc.pc_covariate_association(
        results.pca,
        covariates(results.samples),
        n_components=N_COMPONENTS,
        categorical=categorical,
    )
    components, rows = association_rows(association)
    scatters, notes = covariate_scatters(
        results.pca, results.pca_variance, results.samples, categorical
    )
    stats = results.library_stats
    flagged = stats[stats["outlier"].astype(str) == "True"] if "outlier" in stats else stats[:0]
    n_tested = int(results.tested.sum())
    return {
        "n_samples": len(results.samples),
        "library_plot": png_data_uri(results.inputs.library_plot),
        "pca_plot": png_data_uri(results.inputs.pca_plot),
        "correlation_plot": png_data_uri(results.inputs.correlation_plot),
        "scatters": scatters,
        "scatter_notes": notes,
        "components": components,
        "association": rows,
        "outliers": [
            {"sample": str(r.sample), "reason": str(r.outlier_reason)}
            for r in flagged.itertuples(index=False)
        ],
        "library_range": _library_range(stats),
        "n_genes": results.n_genes,
        "n_tested": n_tested,
        "n_filtered": results.n_genes - n_tested,
        "prefilter": _prefilter_text(settings),
    }


def _library_range(stats: pd.DataFrame) -> str:
    sizes = stats["library_size"].to_numpy(dtype=np.float64)
    if not sizes.size:
        return MISSING
    low, median, high = np.min(sizes), np.median(sizes), np.max(sizes)
    return f"{low / 1e6:.2f}–{high / 1e6:.2f} million reads (median {median / 1e6:.2f})"


def _prefilter_text(settings: Settings) -> str:
    model = settings.de.model
    if model.prefilter_min_count == 0:
        return "no pre-filter (de.prefilter.min_count is 0)"
    samples = (
        str(model.prefilter_min_samples)
        if model.prefilter_min_samples is not None
        else "the smallest group's number of"
    )
    return f"at least {model.prefilter_min_count} reads in at least {samples} samples"


# --- per contrast ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContrastOptions:
    """Settings a contrast section uses.

    Attributes
    ----------
    alpha : float
        Significance level of the DE tests and scores.
    top_genes, volcano_points, gsea_top_sets : int
        Rows and points shown (``report`` settings).
    permutations : int or None
        GSEA permutations, for the p-value floor (None for the multilevel method).
    html_dir : Path
        The report's folder: links to the full tables are relative to it.
    """

    alpha: float
    top_genes: int
    volcano_points: int
    gsea_top_sets: int
    permutations: int | None
    html_dir: Path


def top_gene_rows(table: pd.DataFrame, n: int) -> tuple[list[str], list[list[dict[str, str]]]]:
    """Headers and cells (``text``, ``sort``) of the top ``n`` genes by p-value."""
    columns = [("symbol", "symbol"), ("gene_id", "gene ID"), ("baseMean", "base mean")]
    columns += [("log2FoldChange", "log2FC")]
    if "log2FoldChange_shrunk" in table.columns:
        columns.append(("log2FoldChange_shrunk", "shrunk log2FC"))
    columns += [("pvalue", "p-value"), ("padj", "padj")]
    rows = []
    for _, gene in table.head(n).iterrows():
        cells = []
        for column, _label in columns:
            value = gene[column]
            if column in ("symbol", "gene_id"):
                cells.append({"text": value if isinstance(value, str) else MISSING, "sort": ""})
                continue
            number = _float(value)
            text = (
                format_p(number)
                if column in ("pvalue", "padj")
                else format_number(
                    number, 1 if column == "baseMean" else 2, signed="log2" in column
                )
            )
            cells.append({"text": text, "sort": sort_key(number)})
        rows.append(cells)
    return [label for _, label in columns], rows


def de_note(result: ContrastResults, alpha: float) -> str:
    """Why a contrast has no DE gene to show, or ``""``."""
    padj = pd.to_numeric(result.de["padj"]).to_numpy(dtype=np.float64, na_value=np.nan)
    pvalue = pd.to_numeric(result.de["pvalue"]).to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(pvalue).any():
        return "No gene could be tested in this contrast: every p-value is missing."
    if (padj < alpha).any():
        return ""
    smallest = format_p(float(np.nanmin(padj))) if np.isfinite(padj).any() else MISSING
    return (
        f"No gene has padj < {alpha:g} in this contrast "
        f"({int(np.isfinite(pvalue).sum()):,} genes tested; smallest padj {smallest})."
    )


def arm_note(samples: pd.DataFrame, contrast: Contrast) -> str:
    """A warning when an arm of a level contrast has fewer than :data:`MIN_ARM` samples."""
    if not contrast.is_levels:
        return ""
    column = samples[str(contrast.variable)].astype(str)
    small = [
        f"{level} has {int((column == level).sum())}"
        for level in (str(contrast.test), str(contrast.reference))
        if (column == level).sum() < MIN_ARM
    ]
    if not small:
        return ""
    return (
        f"Too few samples to compare: {'; '.join(small)} sample(s) (at least {MIN_ARM} per "
        "arm are needed for a variance estimate); its tests are unreliable or missing."
    )


#: Said once under the notes of scores none of whose genes was found.
FOUND_MEANS_EXPRESSED = (
    "A gene counts as found only if it is expressed (in the counts and kept by the DE "
    "pre-filter); scores/coverage.tsv lists each score's genes missing from the counts "
    "(genes_missing) and those filtered out (genes_unexpressed). These scores were not tested."
)


def score_rows(result: ContrastResults) -> tuple[list[dict[str, str]], list[str]]:
    """The contrast's score table, and a note for each score that could not be computed
    (then one saying what found means and that those scores were not tested)."""
    rows, notes = [], []
    for record in result.scores.itertuples(index=False):
        n_found, n_genes = _float(record.n_found), _float(record.n_genes)
        if n_found == 0:
            genes = f"{int(n_genes)} genes" if math.isfinite(n_genes) else "genes"
            notes.append(
                f"{record.score}: none of its {genes} was found in the data (not scored)."
            )
        scale = str(getattr(record, "scale", MISSING))
        rows.append(
            {
                "score": str(record.score),
                "genes": (
                    f"{int(n_found)}/{int(n_genes)}"
                    if math.isfinite(n_found) and math.isfinite(n_genes)
                    else MISSING
                ),
                "difference": format_number(_float(record.difference), signed=True),
                "difference_sort": sort_key(_float(record.difference)),
                "scale": SCALES.get(scale, scale),
                "padj": format_p(_float(record.padj)),
                "padj_sort": sort_key(_float(record.padj)),
            }
        )
    if notes:
        notes.append(FOUND_MEANS_EXPRESSED)
    return rows, notes


def box_panels(
    results: CohortResults, contrast: Contrast, scores: Sequence[str]
) -> tuple[list[Markup], str]:
    """One box-plot panel per score for the contrast's two arms, or a note why there are
    none."""
    if not contrast.is_levels:
        return [], (
            "This contrast combines design coefficients and has no two arms to draw; the box "
            "plots by arm are in the first section."
        )
    sheet, levels = sample_levels(results.samples[str(contrast.variable)])
    values = results.sample_scores.set_index(results.sample_scores["sample"].astype(str))
    colours = palette(levels)
    units = dict(zip(results.coverage["score"], results.coverage.get("scale", []), strict=False))
    panels = []
    for score in scores:
        if score not in values.columns:
            continue
        groups = []
        for level in (str(contrast.reference), str(contrast.test)):
            members = [s for s in sheet.index[sheet == level] if s in values.index]
            data = pd.to_numeric(values.loc[members, score]).to_numpy(dtype=np.float64)
            groups.append(svg.BoxGroup(level, svg.hex_colour(colours[level]), members, data))
        if not any(np.isfinite(g.values).any() for g in groups):
            continue
        unit = str(units.get(score, ""))
        panels.append(svg.box_panel(score, groups, unit=SCALES.get(unit, unit)))
    return panels, "" if panels else "No score has values in these arms."


def gsea_rows(
    result: ContrastResults, n: int, permutations: int | None
) -> tuple[list[dict[str, str]], str]:
    """The top ``n`` gene sets by FDR (then p-value, then the largest |NES|), and a note when
    there are none or when a collection was not tested (its reason)."""
    table = result.gsea
    if table.empty:
        return [], _gsea_empty_note(result.collections)
    floor = permutation_floor(permutations) if permutations else None
    top = table.assign(
        _fdr=pd.to_numeric(table["fdr"]),
        _p=pd.to_numeric(table["pvalue"]),
        _nes=-pd.to_numeric(table["nes"]).abs(),
    ).sort_values(["_fdr", "_p", "_nes", "collection", "term"], kind="stable")
    rows = []
    for record in top.head(n).itertuples(index=False):
        rows.append(
            {
                "collection": str(record.collection),
                "term": str(record.term),
                "size": str(record.size),
                "nes": format_number(_float(record.nes), signed=True),
                "nes_sort": sort_key(_float(record.nes)),
                "pvalue": format_p(_float(record.pvalue), floor=floor),
                "fdr": format_p(_float(record.fdr), floor=floor),
                "fdr_sort": sort_key(_float(record.fdr)),
            }
        )
    untested = [
        f"{reason[0].upper()}{reason[1:]}." for reason in untested_reasons(result.collections)
    ]
    return rows, " ".join(untested)


def _gsea_empty_note(collections: pd.DataFrame) -> str:
    if collections.empty:
        return (
            "GSEA was skipped: no gene-set collection was configured (gsea.hallmarks and "
            "gsea.signatures are off and gsea.gene_sets is empty)."
        )
    parts = [
        f"{r.collection}: {int(_float(r.n_sets_tested))} of {int(_float(r.n_sets))} sets within "
        f"the size limits, gene coverage {100 * _float(r.coverage):.0f}%"
        for r in collections.itertuples(index=False)
    ]
    reasons = [f"{reason[0].upper()}{reason[1:]}." for reason in untested_reasons(collections)]
    return " ".join(["No gene set was tested: " + "; ".join(parts) + ".", *reasons])


def contrast_view(
    results: CohortResults, result: ContrastResults, options: ContrastOptions
) -> dict[str, Any]:
    """Everything one contrast's section shows."""
    contrast = result.contrast
    label = sentences.contrast_label(contrast)
    headers, genes = top_gene_rows(result.de, options.top_genes)
    scores, score_notes = score_rows(result)
    panels, panel_note = box_panels(results, contrast, [row["score"] for row in scores])
    gsea, gsea_note = gsea_rows(result, options.gsea_top_sets, options.permutations)
    link = os.path.relpath(result.files.de_table, options.html_dir)
    return {
        "name": contrast.name,
        "slug": slug(contrast.name),
        "label": label,
        "arm_note": arm_note(results.samples, contrast),
        "n_up": int(_float(result.summary.get("n_up", 0))),
        "n_down": int(_float(result.summary.get("n_down", 0))),
        "n_tested": int(_float(result.summary.get("n_tested", 0))),
        "de_note": de_note(result, options.alpha),
        "volcano": svg.volcano(
            result.de,
            alpha=options.alpha,
            n_points=options.volcano_points,
            title=f"Volcano plot, {label}",
        ),
        "ma_plot": png_data_uri(result.files.ma_plot),
        "gene_headers": headers,
        "genes": genes,
        "n_top": len(genes),
        "table_link": Path(link).as_posix(),
        "scores": scores,
        "score_notes": score_notes,
        "box_panels": panels,
        "box_note": panel_note,
        "gsea": gsea,
        "gsea_note": gsea_note,
        "enrichment_plot": png_data_uri(result.files.enrichment_plot) if gsea else "",
    }

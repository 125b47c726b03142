"""Score figures: per-score box plots by arm, the TME comparison grid, the signature heatmap.

Each function draws one figure from the tables of :mod:`tmeseq.scores`, saves it to ``path``
(the extension picks the format: ``.png`` at 150 dpi, ``.pdf``, ``.svg`` ...) and closes it.
Nothing needs a display and no global matplotlib settings are changed; the calling script
selects the backend (``matplotlib.use("Agg")``). Group annotations are :class:`pandas.Series`
indexed by sample name (e.g. the sample sheet's ``arm`` column); the Series name titles the
legend or axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Patch, Rectangle

from tmeseq.genesets import Collection
from tmeseq.plots._style import GREY, MISSING, Colour, message_figure, save, text
from tmeseq.plots._style import palette as palette_for
from tmeseq.scores.compute import zscores
from tmeseq.scores.tme import DIFFERENCE, PADJ, contrast_names

SCALE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "vst_log2": "VST (log2)",
        "mean_z": "mean z-score",
        "weighted_z": "weighted z-score",
        "ssgsea_es": "ssGSEA ES",
        "log2_ratio": "log2 ratio (VST)",
    }
)
JITTER = 0.12
MAX_STACKED = 4
CHAR_WIDTH = 0.085
"""Approximate width (inches) of one character of a 10-point tick label."""
LABEL_MARGIN = 0.8
"""Inches kept free right of the heatmap for the gene names."""


def _groups(groups: pd.Series, samples: pd.Index) -> tuple[pd.Series, list[str]]:
    """Group label (text) of each sample in ``samples`` order, and the levels in display order.

    Categorical groups keep their category order; others are sorted. Missing values show as
    ``NA`` (last).
    """
    by_name = groups.set_axis(groups.index.astype(str))
    names = pd.Index(samples.astype(str))
    missing = names.difference(by_name.index)
    if len(missing) > 0:
        raise ValueError(f"{groups.name!r} has no value for samples: {', '.join(missing)}")
    values = by_name.reindex(names)
    if isinstance(values.dtype, pd.CategoricalDtype):
        order = [str(c) for c in values.cat.categories if c in set(values.dropna())]
    else:
        order = sorted(str(v) for v in values.dropna().unique())
    labels = values.map(lambda v: MISSING if pd.isna(v) else str(v)).astype(str)
    if (labels == MISSING).any():
        order.append(MISSING)
    return labels, order


def _format_p(p: float) -> str:
    """``padj`` as short text (``NA`` when missing)."""
    if np.isnan(p):
        return "NA"
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


# ---------------------------------------------------------------------------------------------
# Box plots


def plot_score_boxes(
    scores: pd.DataFrame,
    groups: pd.Series,
    path: str | Path,
    results: Mapping[str, pd.DataFrame] | None = None,
    pairs: Mapping[str, tuple[str, str]] | None = None,
    score_names: Sequence[str] | None = None,
    ncols: int = 4,
    title: str | None = None,
) -> None:
    """One panel per score: a box per group with the samples as jittered points.

    Parameters
    ----------
    scores : pandas.DataFrame
        Samples x scores (:attr:`tmeseq.scores.ScoreResult.scores`).
    groups : pandas.Series
        Group (arm) of each sample, indexed by sample name; categorical order is kept.
    path : str or Path
        Output file; the extension decides the format.
    results : mapping of str to pandas.DataFrame, optional
        Contrast name -> :func:`tmeseq.scores.compare_scores` table; each panel is annotated
        with the contrasts' ``padj`` (and the y axis labelled by the table's ``scale``).
    pairs : mapping of str to (str, str), optional
        Contrast name -> (test level, reference level). A contrast with a pair whose levels
        are both plotted is drawn as a bracket between the two boxes; the others are listed
        as text under the panel title.
    score_names : sequence of str, optional
        Scores to draw, in order; all columns of ``scores`` by default.
    ncols : int
        Panels per row.
    title : str, optional
        Figure title.
    """
    names = list(score_names) if score_names is not None else list(scores.columns)
    ncols = max(1, min(ncols, len(names)))
    labels, order = _groups(groups, scores.index)
    palette = palette_for(order)
    nrows = max(1, -(-len(names) // ncols))
    width = ncols * max(2.6, 0.75 * len(order) + 1.2)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width, 3.6 * nrows), layout="constrained", squeeze=False
    )
    rng = np.random.default_rng(0)
    for ax, name in zip(axes.flat, names, strict=False):
        values = scores[name].to_numpy(dtype=np.float64)
        _box_panel(ax, values, labels.to_numpy(), order, palette, rng)
        _annotate_panel(ax, name, values, order, results or {}, pairs or {})
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(title or f"Scores by {text(groups.name or 'group')} (boxes: quartiles)")
    save(fig, path)


def _box_panel(
    ax: Axes,
    values: np.ndarray,
    labels: np.ndarray,
    order: list[str],
    palette: Mapping[str, Colour],
    rng: np.random.Generator,
) -> None:
    """Boxes per level and the jittered points of one score."""
    data = [values[(labels == level) & ~np.isnan(values)] for level in order]
    positions = np.arange(len(order))
    if any(len(d) for d in data):
        boxes = ax.boxplot(
            [d if len(d) else [np.nan] for d in data],
            positions=positions,
            widths=0.55,
            showfliers=False,
            patch_artist=True,
            medianprops={"color": "black"},
        )
        for patch, level in zip(boxes["boxes"], order, strict=True):
            patch.set_facecolor((*palette[level], 0.35))
    for x, (level, points) in enumerate(zip(order, data, strict=True)):
        jitter = rng.uniform(-JITTER, JITTER, size=len(points))
        ax.scatter(
            x + jitter,
            points,
            s=18,
            color=palette[level],
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
        )
    ax.set_xticks(positions, [text(level) for level in order], rotation=30, ha="right")
    ax.set_xlim(-0.6, len(order) - 0.4)


def _annotate_panel(
    ax: Axes,
    name: str,
    values: np.ndarray,
    order: list[str],
    results: Mapping[str, pd.DataFrame],
    pairs: Mapping[str, tuple[str, str]],
) -> None:
    """Title, y label, padj brackets and text lines of one panel."""
    lines: list[str] = []
    brackets: list[tuple[int, int, str]] = []
    scale = ""
    for contrast, table in results.items():
        row = table.loc[table["score"] == name]
        if row.empty:
            continue
        padj = float(pd.to_numeric(row["padj"]).iloc[0])
        if "scale" in row.columns and pd.notna(row["scale"].iloc[0]):
            scale = str(row["scale"].iloc[0])
        pair = pairs.get(contrast)
        if pair is not None and pair[0] in order and pair[1] in order:
            brackets.append((order.index(pair[0]), order.index(pair[1]), _format_p(padj)))
        else:
            lines.append(f"{text(contrast)}: padj {_format_p(padj)}")
    heading = text(name) + "".join(f"\n{line}" for line in lines)
    ax.set_title(heading, fontsize=9)
    ax.set_ylabel(SCALE_LABELS.get(scale, scale), fontsize=8)
    if np.isnan(values).all():
        ax.text(0.5, 0.5, "NA (no gene found)", transform=ax.transAxes, ha="center")
        ax.set_yticks([])
        return
    _draw_brackets(ax, values, brackets)


def _draw_brackets(ax: Axes, values: np.ndarray, brackets: list[tuple[int, int, str]]) -> None:
    """Stack brackets (left box, right box, label) above the data."""
    if not brackets:
        return
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    step = (high - low) * 0.12 or 0.5
    for level, (a, b, label) in enumerate(brackets[:MAX_STACKED]):
        y = high + step * (level + 0.6)
        left, right = sorted((a, b))
        ax.plot([left, left, right, right], [y - step * 0.2, y, y, y - step * 0.2], color="black")
        ax.text((left + right) / 2, y, f"padj {label}", ha="center", va="bottom", fontsize=7)
    ax.set_ylim(top=high + step * (min(len(brackets), MAX_STACKED) + 0.9))


# ---------------------------------------------------------------------------------------------
# TME comparison grid


def plot_tme_comparison(
    table: pd.DataFrame, path: str | Path, alpha: float, title: str | None = None
) -> None:
    """Grid of parameters x contrasts, coloured by difference, framed where padj < alpha.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`tmeseq.scores.tme_comparison`.
    path : str or Path
        Output file; the extension decides the format.
    alpha : float
        Cells with ``padj < alpha`` get a black frame.
    title : str, optional
        Figure title.

    Notes
    -----
    Differences are in each score's own units (mean z-score, log2 ...), shown in the row
    labels; the colour scale is shared, so compare colours within a row.
    """
    contrasts = contrast_names(table)
    diff = table[[f"{c}{DIFFERENCE}" for c in contrasts]].to_numpy(dtype=np.float64)
    padj = table[[f"{c}{PADJ}" for c in contrasts]].to_numpy(dtype=np.float64)
    finite = np.abs(diff[np.isfinite(diff)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad=GREY)
    labels = _row_labels(table)
    label_width = CHAR_WIDTH * max((len(label) for label in labels), default=10)
    fig, ax = plt.subplots(
        figsize=(label_width + 1.5 + 1.1 * len(contrasts), 1.5 + 0.5 * len(table)),
        layout="constrained",
    )
    image = ax.imshow(
        np.ma.masked_invalid(diff),
        cmap=cmap,
        norm=TwoSlopeNorm(0.0, -limit, limit),
        aspect="auto",
    )
    _grid_text(ax, diff, padj, alpha)
    ax.set_xticks(range(len(contrasts)), [text(c) for c in contrasts], rotation=30, ha="right")
    ax.set_yticks(range(len(table)), labels)
    fig.colorbar(image, ax=ax, label="difference (score units)", shrink=0.8)
    ax.set_title(title or f"TME comparison (framed: padj < {alpha:g})")
    save(fig, path)


def _row_labels(table: pd.DataFrame) -> list[str]:
    """Row labels: the parameter and its score's scale."""
    scales = table["scale"] if "scale" in table.columns else pd.Series(pd.NA, index=table.index)
    labels = []
    for parameter, scale in zip(table["parameter"], scales, strict=True):
        unit = SCALE_LABELS.get(str(scale), str(scale)) if pd.notna(scale) else ""
        labels.append(f"{text(parameter)} [{unit}]" if unit else text(parameter))
    return labels


def _grid_text(ax: Axes, diff: np.ndarray, padj: np.ndarray, alpha: float) -> None:
    """Write the difference and padj in each cell; frame the significant ones."""
    for (i, j), d in np.ndenumerate(diff):
        if np.isnan(d):
            ax.text(j, i, "NA", ha="center", va="center", fontsize=7)
            continue
        ax.text(
            j, i, f"{d:+.2f}\n{_format_p(float(padj[i, j]))}", ha="center", va="center", fontsize=7
        )
        if padj[i, j] < alpha:
            frame = Rectangle((j - 0.47, i - 0.47), 0.94, 0.94, fill=False, linewidth=1.8)
            ax.add_patch(frame)


# ---------------------------------------------------------------------------------------------
# Signature heatmap


def plot_signature_heatmap(
    vst: pd.DataFrame,
    collection: Collection,
    groups: pd.Series,
    path: str | Path,
    sets: Sequence[str] | None = None,
    cluster_samples: bool = True,
    clip: float = 3.0,
    title: str | None = None,
) -> None:
    """Heatmap of the signatures' genes (VST z-scored per gene) across samples.

    Rows are genes grouped by signature (a gene in several signatures appears under each),
    with a row colour bar for the signature; columns are samples with a colour bar for the
    group. Only genes present in ``vst`` are drawn.

    Parameters
    ----------
    vst : pandas.DataFrame
        Samples x genes, variance-stabilised expression.
    collection : Collection
        The gene sets scored.
    groups : pandas.Series
        Group (arm) of each sample, indexed by sample name.
    path : str or Path
        Output file; the extension decides the format.
    sets : sequence of str, optional
        Sets to draw, in order; by default every set with more than one gene.
    cluster_samples : bool
        Order samples by hierarchical clustering (else by group).
    clip : float
        Colour scale limits (z-scores beyond are drawn at the limit).
    title : str, optional
        Figure title.
    """
    rows, set_of_row = _heatmap_rows(vst, collection, sets)
    if not rows:
        message_figure(
            path,
            title or "Signature genes",
            "None of the signature genes is among the cohort's gene symbols\n"
            "(gene IDs without an annotation, or the other species' symbols?)",
        )
        return
    labels, order = _groups(groups, vst.index)
    samples = _sample_order(labels, order, cluster_samples)
    z = zscores(vst[sorted(set(rows))]).loc[samples.index]
    data = pd.DataFrame(
        z[rows].to_numpy().T, index=[text(g) for g in rows], columns=samples.index.astype(str)
    )
    set_palette = palette_for(list(dict.fromkeys(set_of_row)))
    group_palette = palette_for(order)
    width = max(7.0, 0.3 * data.shape[1] + 4.0)
    right = 1.0 + LABEL_MARGIN / width
    grid = sns.clustermap(
        data.reset_index(drop=True),
        row_cluster=False,
        col_cluster=cluster_samples and data.shape[1] > 2,
        row_colors=[set_palette[s] for s in set_of_row],
        col_colors=[group_palette[label] for label in samples],
        cmap="RdBu_r",
        # Symmetric limits centre the colour map on 0; seaborn's ``center=`` would do the same
        # through a matplotlib call that is being deprecated (Colormap.set_bad).
        vmin=-clip,
        vmax=clip,
        figsize=(width, max(6.0, 0.16 * len(rows) + 3.0)),
        yticklabels=False,
        xticklabels=[text(s) for s in data.columns],
        cbar_kws={"label": "z-score of VST"},
        cbar_pos=(right, 0.1, 0.02, 0.25),
        dendrogram_ratio=(0.02, 0.1),
    )
    _label_genes(grid.ax_heatmap, rows)
    _heatmap_legends(grid.ax_heatmap, right, set_palette, group_palette, groups.name)
    grid.ax_heatmap.set_xlabel("")
    grid.figure.suptitle(title or "Signature genes across samples", y=1.02)
    save(grid.figure, path)


def _heatmap_rows(
    vst: pd.DataFrame, collection: Collection, sets: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """The genes to draw (repeats allowed) and the set each row belongs to."""
    chosen = (
        [collection.get(name) for name in sets]
        if sets is not None
        else [s for s in collection.sets if len(s.genes) > 1]
    )
    present = set(vst.columns.astype(str))
    rows: list[str] = []
    owners: list[str] = []
    for gene_set in chosen:
        genes = [g for g in gene_set.genes if g in present]
        rows.extend(genes)
        owners.extend([gene_set.name] * len(genes))
    return rows, owners


def _sample_order(labels: pd.Series, order: list[str], clustered: bool) -> pd.Series:
    """Samples' group labels, sorted by group unless the columns are clustered."""
    if clustered:
        return labels
    rank = {level: i for i, level in enumerate(order)}
    return labels.iloc[np.argsort([rank[v] for v in labels], kind="stable")]


def _label_genes(ax: Axes, rows: list[str]) -> None:
    """Gene names as row labels when they fit."""
    if len(rows) > 150:
        return
    ax.set_yticks(np.arange(len(rows)) + 0.5, [text(g) for g in rows], fontsize=6)
    ax.yaxis.set_ticks_position("right")


def _heatmap_legends(
    ax: Axes,
    left: float,
    set_palette: Mapping[str, Colour],
    group_palette: Mapping[str, Colour],
    group_name: object,
) -> None:
    """Legends for the group (columns) and signature (rows) colour bars, right of ``left``.

    They are attached to the heatmap's axes (placed in figure coordinates) so that saving
    with a tight bounding box keeps them.
    """
    groups = [Patch(facecolor=c, label=text(n)) for n, c in group_palette.items()]
    sets = [Patch(facecolor=c, label=text(n)) for n, c in set_palette.items()]
    transform = ax.figure.transFigure
    first = ax.legend(
        handles=groups,
        title=text(group_name or "group"),
        loc="upper left",
        bbox_to_anchor=(left, 1.0),
        bbox_transform=transform,
    )
    ax.add_artist(first)
    ax.legend(
        handles=sets,
        title="signature",
        loc="upper left",
        bbox_to_anchor=(left, 0.8),
        bbox_transform=transform,
        fontsize=7,
    )

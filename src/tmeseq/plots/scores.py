"""Score figures: per-score box plots by arm, the TME comparison table, the signature heatmap.

Each ``plot_*`` function draws one figure from the tables of :mod:`tmeseq.scores`, saves it to
``path`` (the extension picks the format: ``.png`` at 150 dpi, ``.pdf``, ``.svg`` ...) and
closes it; a matching private ``_*_figure`` function returns the open figure. Nothing needs a
display and no global matplotlib settings are changed; the calling script selects the backend
(``matplotlib.use("Agg")``). Group annotations are :class:`pandas.Series` indexed by sample
name in sample-sheet order (e.g. the sheet's ``arm`` column); the Series name titles the
legend or axis, and the groups are coloured by :func:`tmeseq.plots._style.palette` in that
order, as in every other figure. Numbers are written by :mod:`tmeseq.formatting`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from tmeseq.formatting import format_number, format_p
from tmeseq.genesets import Collection
from tmeseq.plots._style import (
    Colour,
    category_palette,
    message_figure,
    sample_levels,
    save,
    text,
)
from tmeseq.plots._style import palette as palette_for
from tmeseq.scores.compute import zscores
from tmeseq.scores.tme import (
    DIFFERENCE,
    DIRECTION,
    DOWN,
    NOT_SIGNIFICANT,
    NOT_TESTED,
    PADJ,
    UP,
    contrast_names,
    scale_name,
)

JITTER = 0.12
MAX_STACKED = 4
CHAR_WIDTH = 0.085
"""Approximate width (inches) of one character of a 10-point tick label."""
LABEL_MARGIN = 0.8
"""Inches kept free right of the heatmap for the gene names."""
PAIR_LINES = "pair lines"
"""``gid`` of the lines joining paired samples in a box-plot panel."""
NOT_SCORED = "not scored:\nno gene of the set expressed"
"""What a box-plot panel of a score that is NA in every sample says (nothing was tested)."""
NO_SIGNATURE_GENE = (
    "Nothing to draw: no signature gene is expressed (in the counts and kept by the DE\n"
    "pre-filter). scores/coverage.tsv lists each set's genes missing from the counts\n"
    "(gene IDs without an annotation, or the other species' symbols?) and those filtered out."
)
"""What the signature heatmap says when none of its genes is among the genes scored."""

#: How each TME call is drawn: cell tint, mark and text colour.
CALL_STYLE: Mapping[str, tuple[Colour, str, Colour]] = {
    UP: ((0.98, 0.82, 0.80), "\u25b2", (0.70, 0.10, 0.12)),
    DOWN: ((0.80, 0.88, 0.97), "\u25bc", (0.08, 0.32, 0.62)),
    NOT_SIGNIFICANT: ((0.97, 0.97, 0.97), "", (0.25, 0.25, 0.25)),
    NOT_TESTED: ((0.85, 0.85, 0.85), "", (0.35, 0.35, 0.35)),
}


def _groups(groups: pd.Series, samples: pd.Index) -> tuple[pd.Series, list[str]]:
    """Group label (text) of each sample in ``samples`` order, and the levels in sample-sheet
    order (first appearance in ``groups``; ``NA`` last)."""
    by_name = groups.set_axis(groups.index.astype(str))
    names = pd.Index(samples.astype(str))
    missing = names.difference(by_name.index)
    if len(missing) > 0:
        raise ValueError(f"{groups.name!r} has no value for samples: {', '.join(missing)}")
    _, order = sample_levels(by_name)
    labels, _ = sample_levels(by_name.reindex(names))
    present = set(labels)
    return labels, [level for level in order if level in present]


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
    paired_by: pd.Series | None = None,
) -> None:
    """One panel per score: a box per group with the samples as jittered points.

    Parameters
    ----------
    scores : pandas.DataFrame
        Samples x scores (:attr:`tmeseq.scores.ScoreResult.scores`).
    groups : pandas.Series
        Group (arm) of each sample, indexed by sample name, in sample-sheet order (boxes and
        colours follow it).
    path : str or Path
        Output file; the extension decides the format.
    results : mapping of str to pandas.DataFrame, optional
        Contrast name -> :func:`tmeseq.scores.compare_scores` table; each panel is annotated
        with the contrasts' ``padj`` (and the y axis labelled by the table's ``scale``).
    pairs : mapping of str to (str, str), optional
        Contrast name -> (test group, reference group) (:func:`tmeseq.scores.plot_groups`).
        A contrast with a pair whose groups are both plotted is drawn as a bracket between
        the two boxes; the others are listed as text under the panel title.
    score_names : sequence of str, optional
        Scores to draw, in order; all columns of ``scores`` by default.
    ncols : int
        Panels per row.
    title : str, optional
        Figure title.
    paired_by : pandas.Series, optional
        The term pairing samples across groups (:func:`tmeseq.scores.paired_by`), indexed by
        sample: samples sharing its level are joined by a thin line.
    """
    figure = _score_boxes_figure(
        scores, groups, results, pairs, score_names, ncols, title, paired_by
    )
    save(figure, path)


def _score_boxes_figure(
    scores: pd.DataFrame,
    groups: pd.Series,
    results: Mapping[str, pd.DataFrame] | None = None,
    pairs: Mapping[str, tuple[str, str]] | None = None,
    score_names: Sequence[str] | None = None,
    ncols: int = 4,
    title: str | None = None,
    paired_by: pd.Series | None = None,
) -> Figure:
    """Draw :func:`plot_score_boxes` and return the open figure."""
    names = list(score_names) if score_names is not None else list(scores.columns)
    ncols = max(1, min(ncols, len(names)))
    labels, order = _groups(groups, scores.index)
    palette = palette_for(sample_levels(groups)[1])
    units = _pair_units(paired_by, scores.index)
    nrows = max(1, -(-len(names) // ncols))
    width = ncols * max(2.6, 0.75 * len(order) + 1.2)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width, 3.6 * nrows), layout="constrained", squeeze=False
    )
    rng = np.random.default_rng(0)
    for ax, name in zip(axes.flat, names, strict=False):
        values = scores[name].to_numpy(dtype=np.float64)
        _box_panel(ax, values, labels.to_numpy(), order, palette, rng, units)
        _annotate_panel(ax, name, values, order, results or {}, pairs or {})
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(title or _boxes_title(groups, paired_by))
    return fig


def _boxes_title(groups: pd.Series, paired_by: pd.Series | None) -> str:
    """Default title: the grouping, what the boxes show, and the pairing lines."""
    heading = f"Scores by {text(groups.name or 'group')} (boxes: quartiles"
    if paired_by is None:
        return heading + ")"
    return heading + f"; lines join the samples of one {text(paired_by.name or 'pair')})"


def _pair_units(paired_by: pd.Series | None, samples: pd.Index) -> np.ndarray | None:
    """Each sample's pairing unit (text, ``samples`` order), or None without pairing."""
    if paired_by is None:
        return None
    by_name = paired_by.set_axis(paired_by.index.astype(str))
    return by_name.reindex(samples.astype(str)).astype(object).to_numpy()


def _box_panel(
    ax: Axes,
    values: np.ndarray,
    labels: np.ndarray,
    order: list[str],
    palette: Mapping[str, Colour],
    rng: np.random.Generator,
    units: np.ndarray | None = None,
) -> None:
    """Boxes per level, the jittered points of one score, and lines joining pairs."""
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
    x = np.full(len(values), np.nan)
    for position, level in enumerate(order):
        members = np.flatnonzero((labels == level) & ~np.isnan(values))
        x[members] = position + rng.uniform(-JITTER, JITTER, size=len(members))
        ax.scatter(
            x[members],
            values[members],
            s=18,
            color=palette[level],
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
        )
    if units is not None:
        _pair_lines(ax, x, values, units)
    ax.set_xticks(positions, [text(level) for level in order], rotation=30, ha="right")
    ax.set_xlim(-0.6, len(order) - 0.4)


def _pair_lines(ax: Axes, x: np.ndarray, values: np.ndarray, units: np.ndarray) -> None:
    """A thin line through the points of each pairing unit, left to right."""
    segments = []
    drawn = np.isfinite(x) & np.isfinite(values)
    for unit in pd.unique(units[drawn]):
        members = np.flatnonzero(drawn & (units == unit))
        if len(members) > 1:
            members = members[np.argsort(x[members])]
            segments.append(np.column_stack([x[members], values[members]]))
    if segments:
        lines = LineCollection(segments, colors="0.45", linewidths=0.6, alpha=0.8, zorder=2)
        lines.set_gid(PAIR_LINES)
        ax.add_collection(lines)


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
        padj = format_p(float(pd.to_numeric(row["padj"]).iloc[0]))
        if "scale" in row.columns and pd.notna(row["scale"].iloc[0]):
            scale = str(row["scale"].iloc[0])
        pair = pairs.get(contrast)
        if pair is not None and pair[0] in order and pair[1] in order:
            brackets.append((order.index(pair[0]), order.index(pair[1]), padj))
        else:
            lines.append(f"{text(contrast)}: padj {padj}")
    heading = text(name) + "".join(f"\n{line}" for line in lines)
    ax.set_title(heading, fontsize=9)
    ax.set_ylabel(scale_name(scale), fontsize=8)
    if np.isnan(values).all():
        ax.text(0.5, 0.5, NOT_SCORED, transform=ax.transAxes, ha="center", va="center")
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
# TME comparison table


def plot_tme_comparison(
    table: pd.DataFrame, path: str | Path, alpha: float, title: str | None = None
) -> None:
    """The TME comparison as a table of calls: parameters x contrasts, numbers written.

    Each cell gives the call (``up`` / ``down`` / ``not significant`` / ``not tested``), the
    difference (test minus reference, rounded) and the labelled padj. Cells are tinted by the
    call only, never by the difference: rows are in different units (each row label names its
    scale in words), so a shared colour scale would compare what cannot be compared.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`tmeseq.scores.tme_comparison`.
    path : str or Path
        Output file; the extension decides the format.
    alpha : float
        The significance level the calls used (stated in the figure).
    title : str, optional
        Figure title.
    """
    save(_tme_figure(table, alpha, title), path)


def _tme_figure(table: pd.DataFrame, alpha: float, title: str | None = None) -> Figure:
    """Draw :func:`plot_tme_comparison` and return the open figure."""
    contrasts = contrast_names(table)
    labels = _row_labels(table)
    longest = max((len(line) for label in labels for line in label.split("\n")), default=10)
    fig, ax = plt.subplots(
        figsize=(CHAR_WIDTH * longest + 1.0 + 1.7 * len(contrasts), 1.9 + 0.62 * len(table)),
        layout="constrained",
    )
    for i, (_, row) in enumerate(table.iterrows()):
        for j, contrast in enumerate(contrasts):
            _tme_cell(ax, i, j, row, contrast)
    ax.set_xlim(-0.5, len(contrasts) - 0.5)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.xaxis.tick_top()
    ax.set_xticks(range(len(contrasts)), [text(c) for c in contrasts], fontsize=9)
    ax.set_yticks(range(len(table)), labels, fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title or "TME parameters: test arm minus reference arm", pad=12)
    ax.text(
        0.0,
        -0.02,
        f"up / down: padj < {alpha:g} (adjusted across scores); not significant: padj \u2265 "
        f"{alpha:g}; not tested: no p-value.\nEach difference is in its row's own units, "
        "named under the parameter; compare rows by their calls, not their numbers.",
        transform=ax.transAxes,
        va="top",
        fontsize=8,
    )
    return fig


def _tme_cell(ax: Axes, i: int, j: int, row: pd.Series, contrast: str) -> None:
    """One cell: tint and mark of the call, the rounded difference, the labelled padj."""
    call = str(row[f"{contrast}{DIRECTION}"])
    tint, mark, colour = CALL_STYLE.get(call, CALL_STYLE[NOT_TESTED])
    ax.add_patch(
        Rectangle((j - 0.5, i - 0.5), 1.0, 1.0, facecolor=tint, edgecolor="white", linewidth=2)
    )
    heading = f"{mark} {call}" if mark else call
    bold = "bold" if call in (UP, DOWN) else "normal"
    ax.text(j, i - 0.24, heading, ha="center", va="center", fontsize=8, color=colour, weight=bold)
    if call == NOT_TESTED and pd.isna(row[f"{contrast}{DIFFERENCE}"]):
        return
    difference = format_number(float(row[f"{contrast}{DIFFERENCE}"]), signed=True)
    ax.text(j, i + 0.02, difference, ha="center", va="center", fontsize=8)
    padj = f"padj {format_p(float(row[f'{contrast}{PADJ}']))}"
    ax.text(j, i + 0.27, padj, ha="center", va="center", fontsize=7, color="0.3")


def _row_labels(table: pd.DataFrame) -> list[str]:
    """Row labels: the parameter, and under it the units of its difference in words."""
    scales = table["scale"] if "scale" in table.columns else pd.Series(pd.NA, index=table.index)
    labels = []
    for parameter, scale in zip(table["parameter"], scales, strict=True):
        unit = scale_name(scale)
        labels.append(f"{text(parameter)}\n(difference in {unit})" if unit else text(parameter))
    return labels


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
    group. Only genes present in ``vst`` (the expressed genes, in a workflow run) are drawn.

    Parameters
    ----------
    vst : pandas.DataFrame
        Samples x genes, variance-stabilised expression.
    collection : Collection
        The gene sets scored.
    groups : pandas.Series
        Group (arm) of each sample, indexed by sample name, in sample-sheet order.
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
    rows, _ = _heatmap_rows(vst, collection, sets)
    if not rows:
        message_figure(path, title or "Signature genes", NO_SIGNATURE_GENE)
        return
    figure = _signature_heatmap_figure(
        vst, collection, groups, sets=sets, cluster_samples=cluster_samples, clip=clip, title=title
    )
    save(figure, path)


def _signature_heatmap_figure(
    vst: pd.DataFrame,
    collection: Collection,
    groups: pd.Series,
    *,
    sets: Sequence[str] | None = None,
    cluster_samples: bool = True,
    clip: float = 3.0,
    title: str | None = None,
) -> Figure:
    """Draw :func:`plot_signature_heatmap` (at least one gene present)."""
    rows, set_of_row = _heatmap_rows(vst, collection, sets)
    labels, order = _groups(groups, vst.index)
    samples = _sample_order(labels, order, cluster_samples)
    z = zscores(vst[sorted(set(rows))]).loc[samples.index]
    data = pd.DataFrame(
        z[rows].to_numpy().T, index=[text(g) for g in rows], columns=samples.index.astype(str)
    )
    set_palette = category_palette(list(dict.fromkeys(set_of_row)))
    colours = palette_for(sample_levels(groups)[1])
    group_palette = {level: colours[level] for level in order}
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
    return grid.figure


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

"""QC figures: library sizes, sample PCA and the sample-correlation heatmap.

Each function draws one figure from the tables of :mod:`tmeseq.qc`, saves it to ``path``
(the extension picks the format: ``.png`` at 150 dpi, ``.pdf``, ``.svg`` ...) and closes it.
Nothing needs a display and no global matplotlib settings are changed; the calling script
selects the backend (``matplotlib.use("Agg")``).

Colour and shape annotations are :class:`pandas.Series` indexed by sample name (e.g. a
column of the sample sheet); every plotted sample must be in the index. Missing values are
shown as ``"NA"``. The Series name titles the legend.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from tmeseq.plots._style import DEFAULT, GREY, Colour, sample_levels, save, text
from tmeseq.plots._style import palette as palette_for

Palette = dict[str, Colour]

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
MAX_LABELLED = 30


def _tick_size(n: int) -> float:
    """Font size for per-sample tick labels, shrinking for large cohorts."""
    return 8.0 if n <= 40 else max(4.0, 320.0 / n)


def _aligned(series: pd.Series, samples: pd.Series | pd.Index) -> pd.Series:
    """Return ``series`` reordered to ``samples`` (matched as text), indexed by ``samples``."""
    by_name = series.set_axis(series.index.astype(str))
    names = pd.Index(samples, dtype=object).astype(str)
    missing = names.difference(by_name.index)
    if len(missing) > 0:
        raise ValueError(
            f"annotation {series.name!r} has no value for samples: {', '.join(missing)}"
        )
    return by_name.reindex(names)


def _groups(series: pd.Series, samples: pd.Series | pd.Index) -> tuple[pd.Series, Palette]:
    """Labels of ``samples`` (as text, ``NA`` for missing) and the colours of the levels
    present, in sample-sheet order (the order of ``series``; see :func:`sample_levels`)."""
    _, order = sample_levels(series)
    labels, _ = sample_levels(_aligned(series, samples))
    colours = palette_for(order)
    return labels, {level: colours[level] for level in order if level in set(labels)}


def _is_continuous(values: pd.Series) -> bool:
    """True for numeric annotations with many distinct values (drawn with a colour map)."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return bool(numeric and values.nunique() > 10)


def _colour_legend(palette: dict[str, Colour]) -> list[Patch]:
    """Legend handles: one coloured patch per level."""
    return [Patch(facecolor=colour, label=text(level)) for level, colour in palette.items()]


def plot_library_sizes(
    stats: pd.DataFrame,
    path: str | Path,
    colour_by: pd.Series | None = None,
) -> None:
    """Bar charts of library size (millions of counts) and detected genes per sample.

    Parameters
    ----------
    stats : pandas.DataFrame
        From :func:`tmeseq.qc.library_stats` (columns ``sample``, ``library_size``,
        ``detected_genes``).
    path : str or Path
        Output file; the extension decides the format.
    colour_by : pandas.Series, optional
        Categorical annotation indexed by sample name; bars are coloured by it.
    """
    save(_library_sizes_figure(stats, colour_by), path)


def _library_sizes_figure(stats: pd.DataFrame, colour_by: pd.Series | None) -> Figure:
    """Draw :func:`plot_library_sizes` and return the open figure."""
    n = len(stats)
    x = np.arange(n)
    colours = [DEFAULT] * n
    palette: Palette = {}
    if colour_by is not None:
        labels, palette = _groups(colour_by, stats["sample"])
        colours = [palette[label] for label in labels]
    width = min(40.0, max(6.0, 0.28 * n + 2.0))
    fig, axes = plt.subplots(2, 1, figsize=(width, 7.0), sharex=True, layout="constrained")
    panels = (
        (stats["library_size"] / 1e6, "Library size (million counts)"),
        (stats["detected_genes"], "Detected genes (count > 0)"),
    )
    for ax, (values, label) in zip(axes, panels, strict=True):
        ax.bar(x, values, color=colours, edgecolor="black", linewidth=0.3)
        ax.axhline(float(np.median(values)), color="black", linestyle="--", linewidth=0.8)
        ax.set_ylabel(label)
    axes[1].set_xticks(x, [text(s) for s in stats["sample"]], rotation=90)
    axes[1].tick_params(axis="x", labelsize=_tick_size(n))
    axes[1].set_xlim(-0.6, n - 0.4)
    axes[1].set_xlabel("Sample")
    if colour_by is not None:
        axes[0].legend(
            handles=_colour_legend(palette),
            title=text(colour_by.name),
            loc="upper left",
            bbox_to_anchor=(1, 1),
        )
    fig.suptitle("Library size and detected genes per sample (dashed line: median)")
    return fig


def _pca_groups(
    scores: pd.DataFrame, colour_by: pd.Series | None, shape_by: pd.Series | None
) -> pd.DataFrame:
    """Per-sample colour and shape labels (``""`` when not annotated)."""
    frame = scores[["sample", "PC1", "PC2"]].copy()
    for key, series in (("colour", colour_by), ("shape", shape_by)):
        if series is None:
            frame[key] = ""
        else:
            frame[key] = _aligned(series, frame["sample"]).array
    return frame


def _markers(shapes: pd.Series, annotated: bool) -> tuple[pd.Series, list[Line2D]]:
    """Marker per sample for a shape annotation, and its legend handles."""
    if not annotated:
        return pd.Series("o", index=shapes.index), []
    labels, order = sample_levels(shapes)
    markers = {level: MARKERS[i % len(MARKERS)] for i, level in enumerate(order)}
    handles = [
        Line2D([], [], marker=m, color="grey", linestyle="", label=text(level))
        for level, m in markers.items()
    ]
    return labels.map(markers), handles


def _scatter_categorical(
    ax: plt.Axes, frame: pd.DataFrame, colour_by: pd.Series | None
) -> list[Patch]:
    """Draw samples coloured by level; return the colour legend handles (if annotated)."""
    if colour_by is None:
        labels, palette = frame["colour"], {"": DEFAULT}
    else:
        labels, palette = _groups(colour_by, frame["sample"])
        labels = labels.set_axis(frame.index)
    for level in palette:
        sub = frame[labels == level]
        for marker, part in sub.groupby("marker", sort=False):
            ax.scatter(
                part["PC1"],
                part["PC2"],
                color=palette[level],
                marker=marker,
                s=60,
                edgecolors="black",
                linewidths=0.5,
                zorder=3,
            )
    return _colour_legend(palette) if colour_by is not None else []


def _scatter_continuous(fig: Figure, ax: plt.Axes, frame: pd.DataFrame, name: object) -> None:
    """Draw samples coloured on a continuous scale, with a colour bar."""
    values = pd.to_numeric(frame["colour"])
    norm = Normalize(float(values.min()), float(values.max()))
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad=GREY)
    for marker, part in frame.groupby("marker", sort=False):
        ax.scatter(
            part["PC1"],
            part["PC2"],
            c=values[part.index],
            cmap=cmap,
            norm=norm,
            plotnonfinite=True,
            marker=marker,
            s=60,
            edgecolors="black",
            linewidths=0.5,
            zorder=3,
        )
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=text(name))


def plot_pca(
    scores: pd.DataFrame,
    variance: pd.DataFrame,
    path: str | Path,
    colour_by: pd.Series | None = None,
    shape_by: pd.Series | None = None,
    title: str | None = None,
) -> None:
    """Scatter of PC1 against PC2, coloured (and optionally shaped) by sample annotations.

    Parameters
    ----------
    scores, variance : pandas.DataFrame
        From :func:`tmeseq.qc.pca`.
    path : str or Path
        Output file; the extension decides the format.
    colour_by : pandas.Series, optional
        Annotation indexed by sample name, typically the first contrast's variable; its
        name titles the legend. Numeric annotations with more than 10 values get a colour
        bar instead of a legend.
    shape_by : pandas.Series, optional
        A second categorical annotation shown by marker shape.
    title : str, optional
        Figure title; a description of the plot by default.
    """
    save(_pca_figure(scores, variance, colour_by, shape_by, title), path)


def _pca_figure(
    scores: pd.DataFrame,
    variance: pd.DataFrame,
    colour_by: pd.Series | None,
    shape_by: pd.Series | None,
    title: str | None,
) -> Figure:
    """Draw :func:`plot_pca` and return the open figure."""
    if "PC2" not in scores.columns:
        raise ValueError("plot_pca needs at least two principal components (PC1 and PC2)")
    frame = _pca_groups(scores, colour_by, shape_by)
    frame["marker"], shape_handles = _markers(frame["shape"], shape_by is not None)
    n = len(frame)
    side = min(12.0, 5.5 + 0.04 * n)
    fig, ax = plt.subplots(figsize=(side * 1.25, side), layout="constrained")
    colour_handles: list[Patch] = []
    if colour_by is not None and _is_continuous(frame["colour"]):
        _scatter_continuous(fig, ax, frame, colour_by.name)
    else:
        colour_handles = _scatter_categorical(ax, frame, colour_by)
    if n <= MAX_LABELLED:
        for _, row in frame.iterrows():
            ax.annotate(
                text(row["sample"]),
                (row["PC1"], row["PC2"]),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=8,
            )
    _pca_legends(ax, colour_by, colour_handles, shape_by, shape_handles)
    fractions = variance.set_index("component")["variance_explained"]
    ax.set_xlabel(f"PC1 ({100 * fractions['PC1']:.1f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * fractions['PC2']:.1f}% of variance)")
    ax.axhline(0, color="grey", linewidth=0.5, zorder=0)
    ax.axvline(0, color="grey", linewidth=0.5, zorder=0)
    ax.set_title(title or f"PCA of {n} samples (blind VST, most variable genes)")
    return fig


def _pca_legends(
    ax: plt.Axes,
    colour_by: pd.Series | None,
    colour_handles: list[Patch],
    shape_by: pd.Series | None,
    shape_handles: list[Line2D],
) -> None:
    """Place the colour and shape legends outside the axes, one above the other."""
    legend = None
    if colour_handles and colour_by is not None:
        legend = ax.legend(
            handles=colour_handles,
            title=text(colour_by.name),
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
        )
    if shape_handles and shape_by is not None:
        if legend is not None:
            ax.add_artist(legend)
        ax.legend(
            handles=shape_handles,
            title=text(shape_by.name),
            loc="lower left",
            bbox_to_anchor=(1.02, 0.0),
        )


def _correlation_linkage(corr: pd.DataFrame) -> np.ndarray | None:
    """Average-linkage tree on the distance ``1 - r``; None if it cannot be built."""
    values = corr.to_numpy(dtype=np.float64)
    if len(values) < 2 or not np.isfinite(values).all():
        return None
    distance = np.clip(1.0 - (values + values.T) / 2, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    return linkage(squareform(distance, checks=False), method="average")


def plot_correlation_heatmap(
    corr: pd.DataFrame,
    path: str | Path,
    annotate_by: pd.Series | None = None,
    title: str | None = None,
) -> None:
    """Clustered heatmap of sample-to-sample correlation with an annotation colour bar.

    Samples are ordered by average-linkage clustering on ``1 - r``. The colour scale ends
    at the highest off-diagonal correlation, so the diagonal (r = 1) does not compress it.

    Parameters
    ----------
    corr : pandas.DataFrame
        From :func:`tmeseq.qc.sample_correlation`.
    path : str or Path
        Output file; the extension decides the format.
    annotate_by : pandas.Series, optional
        Categorical annotation indexed by sample name, drawn as a row colour bar.
    title : str, optional
        Figure title; a description of the plot by default.
    """
    save(_correlation_figure(corr, annotate_by, title), path)


def _correlation_figure(
    corr: pd.DataFrame, annotate_by: pd.Series | None, title: str | None
) -> Figure:
    """Draw :func:`plot_correlation_heatmap` and return the open figure."""
    n = len(corr)
    names = [text(s) for s in corr.index]
    data = pd.DataFrame(corr.to_numpy(dtype=np.float64), index=names, columns=names)
    row_colours = None
    handles: list[Patch] = []
    legend_title = ""
    if annotate_by is not None:
        legend_title = text(annotate_by.name)
        labels, palette = _groups(annotate_by, corr.index)
        row_colours = pd.Series([palette[label] for label in labels], index=names)
        row_colours.name = legend_title
        handles = _colour_legend(palette)
    tree = _correlation_linkage(corr)
    side = min(30.0, max(6.0, 0.18 * n + 4.0))
    off_diagonal = data.to_numpy()[~np.eye(n, dtype=bool)]
    vmax = float(np.nanmax(off_diagonal)) if n > 1 else None
    grid = sns.clustermap(
        data,
        row_linkage=tree,
        col_linkage=tree,
        row_cluster=tree is not None,
        col_cluster=tree is not None,
        row_colors=row_colours,
        cmap="viridis",
        vmax=vmax,
        figsize=(side, side),
        xticklabels=n <= 150,
        yticklabels=n <= 150,
        cbar_kws={"label": "Pearson r"},
        cbar_pos=(1.02, 0.1, 0.025, 0.4),
        dendrogram_ratio=0.12,
    )
    grid.ax_heatmap.tick_params(labelsize=8 if n <= 100 else 6)
    grid.ax_heatmap.set_xlabel("")
    grid.ax_heatmap.set_ylabel("")
    if handles:
        grid.figure.legend(
            handles=handles,
            title=legend_title,
            loc="upper left",
            bbox_to_anchor=(1.0, 0.9),
        )
    default = "Sample-to-sample Pearson correlation (blind VST, all genes)"
    grid.figure.suptitle(title or default, y=1.02, fontsize="x-large")
    return grid.figure

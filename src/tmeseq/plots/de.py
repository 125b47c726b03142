"""Differential-expression figures: volcano, MA, p-value histogram and dispersion estimates.

Each public ``plot_*`` function draws one figure, saves it to ``path`` (the extension picks
the format: ``.png`` at 150 dpi, ``.pdf``, ``.svg`` ...) and closes it. The drawing is done
by a matching private ``_*_figure`` function that returns the open
:class:`~matplotlib.figure.Figure`, so its texts can be inspected before saving. Nothing
needs a display and no global matplotlib settings are changed; the calling script selects
the backend (``matplotlib.use("Agg")``).

Tables are the per-contrast tables of :func:`tmeseq.de_tables.results_table`. Genes are
labelled by symbol (gene ID when the symbol is missing). A significant gene has
``padj < alpha``; up and down follow the sign of the plotted fold change. A table in which
no gene can be drawn gives a figure that says so instead of an error.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import TextToPath

from tmeseq.plots._style import DEFAULT, GREY, Colour, empty, save, text

UP: Colour = (0.84, 0.15, 0.16)
DOWN: Colour = (0.12, 0.47, 0.71)
LABEL_SIZE = 7.0
BINS = 50
NA_NOTE_FRACTION = 0.1
SHRUNK_LFC = "log2FoldChange_shrunk"
PLAIN_LFC = "log2FoldChange"

# Label placement works on text boxes in points.
_LINE_HEIGHT = 1.2  # text height, in font sizes
_LABEL_PAD = 1.5
_LABEL_GAP = 4.0
_NUDGE_ROUNDS = 300


# --- shared helpers ------------------------------------------------------------------------


def _require(table: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    """Raise ValueError naming the columns of ``columns`` missing from ``table``."""
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(
            f"{what} needs column(s) {', '.join(missing)}; the table has: "
            f"{', '.join(map(str, table.columns))}"
        )


def _headings(fig: Figure, ax: Axes, title: str, description: str) -> None:
    """The caller's title above the figure and a one-line description above the axes.

    The title names the figure (e.g. ``"<contrast>: volcano plot"``); the description only
    adds what it does not say (how many genes are drawn), so nothing is said twice.
    """
    fig.suptitle(text(title), fontsize="large")
    ax.set_title(description, fontsize="small")


def _point_size(n: int) -> float:
    """Marker area for ``n`` points: smaller as the cloud grows."""
    return float(np.clip(14.0 * np.sqrt(1000.0 / max(n, 1)), 2.0, 14.0))


def _finite(values: pd.Series) -> pd.Series:
    """Boolean mask of finite numeric values."""
    return pd.Series(np.isfinite(values.to_numpy(dtype=np.float64)), index=values.index)


def _label_texts(frame: pd.DataFrame) -> pd.Series:
    """Symbols as label text, the gene ID where the symbol is missing or empty."""
    symbols = frame["symbol"].astype(object).where(frame["symbol"].notna(), "")
    symbols = symbols.astype(str).str.strip()
    return symbols.where(symbols != "", frame["gene_id"].astype(str))


def _classes(frame: pd.DataFrame, lfc: pd.Series, alpha: float) -> pd.Series:
    """``"up"``, ``"down"`` or ``"ns"`` per gene (significance from ``padj < alpha``)."""
    significant = frame["padj"].lt(alpha).to_numpy()
    values = lfc.to_numpy(dtype=np.float64)
    labels = np.select(
        [significant & (values > 0), significant & (values < 0)], ["up", "down"], default="ns"
    )
    return pd.Series(labels, index=frame.index)


def _top_genes(frame: pd.DataFrame, lfc: pd.Series, classes: pd.Series, n: int) -> pd.Index:
    """The ``n`` significant genes with the smallest padj, then the largest |LFC|."""
    if n <= 0:
        return frame.index[:0]
    chosen = classes != "ns"
    ranking = pd.DataFrame(
        {
            "padj": frame["padj"][chosen],
            "size": -lfc[chosen].abs(),
            "gene_id": frame["gene_id"][chosen].astype(str),
        }
    )
    return ranking.sort_values(["padj", "size", "gene_id"], kind="stable").index[:n]


def _legend_counts(classes: pd.Series, alpha: float) -> dict[str, str]:
    """Legend text per class, with its gene count."""
    counts = classes.value_counts()
    return {
        "up": f"Up, padj < {alpha:g} ({counts.get('up', 0):,})",
        "down": f"Down, padj < {alpha:g} ({counts.get('down', 0):,})",
        "ns": f"Not significant ({counts.get('ns', 0):,})",
    }


_STYLE: dict[str, tuple[Colour, int]] = {"up": (UP, 2), "down": (DOWN, 2), "ns": (GREY, 1)}


def _scatter_classes(
    ax: Axes, x: np.ndarray, y: np.ndarray, classes: pd.Series, legend: dict[str, str]
) -> None:
    """Draw the genes coloured by class (grey underneath), legend entries up, down, other."""
    size = _point_size(len(classes))
    for name, (colour, order) in _STYLE.items():
        mask = (classes == name).to_numpy()
        ax.scatter(
            x[mask],
            y[mask],
            s=size,
            color=colour,
            alpha=0.6 if name == "ns" else 0.85,
            linewidths=0,
            label=legend[name],
            zorder=order,
            rasterized=True,
        )


def _lfc_label(column: str) -> str:
    """Axis label for an LFC column."""
    shrunk = " (shrunken)" if column.endswith("_shrunk") else ""
    return f"log2 fold change{shrunk}"


# --- label placement -------------------------------------------------------------------


def _label_boxes(texts: list[str]) -> np.ndarray:
    """(width, height) in points of each label as drawn, padding included.

    Widths are measured from the font's glyphs, without a renderer, so this works on any
    backend before the figure is drawn.
    """
    measure = TextToPath()
    font = FontProperties(size=LABEL_SIZE)
    widths = [measure.get_text_width_height_descent(t, font, ismath=False)[0] for t in texts]
    heights = np.full(len(texts), LABEL_SIZE * _LINE_HEIGHT)
    return np.column_stack([np.asarray(widths, dtype=np.float64), heights]) + 2 * _LABEL_PAD


def _push(centres: np.ndarray, half: np.ndarray) -> np.ndarray | None:
    """One round of separating overlapping boxes; None when nothing overlaps.

    Each overlapping pair moves apart along the axis where they overlap least, each box
    by half the overlap; exact ties move the later label up (or right).
    """
    delta = centres[:, None, :] - centres[None, :, :]
    overlap = half[:, None, :] + half[None, :, :] - np.abs(delta)
    clash = (overlap > 0).all(axis=2)
    np.fill_diagonal(clash, False)
    if not clash.any():
        return None
    order = np.arange(len(centres))
    tie = np.sign(order[:, None] - order[None, :]).astype(np.float64)
    direction = np.where(delta != 0, np.sign(delta), tie[:, :, None])
    along_y = overlap[:, :, 1] <= overlap[:, :, 0]
    move = np.zeros_like(delta)
    move[:, :, 1] = np.where(clash & along_y, direction[:, :, 1] * overlap[:, :, 1], 0)
    move[:, :, 0] = np.where(clash & ~along_y, direction[:, :, 0] * overlap[:, :, 0], 0)
    return centres + 0.5 * move.sum(axis=1) + 0.01 * np.sign(move.sum(axis=1))


def _nudge(centres: np.ndarray, sizes: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Move label boxes (centres, in points) apart and keep them inside ``bounds``."""
    half = sizes / 2
    low = np.minimum(bounds[:2] + half, bounds[2:] - half)
    high = bounds[2:] - half
    placed = np.clip(centres, low, high)
    for _ in range(_NUDGE_ROUNDS):
        moved = _push(placed, half)
        if moved is None:
            break
        placed = np.clip(moved, low, high)
    return placed


def _label_points(
    ax: Axes, x: np.ndarray, y: np.ndarray, texts: list[str], directions: np.ndarray
) -> None:
    """Label the points ``(x, y)`` with ``texts``, nudged apart, joined by thin lines.

    The axis limits and scales must be final: boxes are placed in points from the data
    transform. ``directions`` (n x 2, entries in -1..1) says on which side of its point each
    label starts.
    """
    if not texts:
        return
    to_points = 72.0 / ax.figure.dpi
    anchors = ax.transData.transform(np.column_stack([x, y])) * to_points
    bounds = np.asarray(ax.bbox.extents) * to_points
    sizes = _label_boxes(texts)
    start = anchors + directions * (sizes / 2 + _LABEL_GAP)
    centres = _nudge(start, sizes, bounds)
    for label, x0, y0, centre, anchor in zip(texts, x, y, centres, anchors, strict=True):
        ax.annotate(
            text(label),
            xy=(x0, y0),
            xytext=tuple(centre - anchor),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=LABEL_SIZE,
            zorder=5,
            arrowprops={"arrowstyle": "-", "color": "0.3", "linewidth": 0.5, "shrinkA": 1},
        )


def _label_top(
    ax: Axes, frame: pd.DataFrame, x: np.ndarray, y: np.ndarray, genes: pd.Index, side: str
) -> None:
    """Label ``genes`` (rows of ``frame``, positions ``x``/``y``) by symbol.

    ``side`` is ``"x"`` to start labels left/right of their point by the sign of ``x``
    (volcano) or ``"y"`` to start them above/below by the sign of ``y`` (MA plot).
    """
    rows = frame.index.get_indexer(genes)
    if side == "x":
        directions = np.column_stack([np.where(x[rows] < 0, -1.0, 1.0), np.full(len(rows), 0.6)])
    else:
        directions = np.column_stack([np.zeros(len(rows)), np.where(y[rows] < 0, -1.0, 1.0)])
    texts = _label_texts(frame.loc[genes]).tolist()
    _label_points(ax, x[rows], y[rows], texts, directions)


# --- volcano -------------------------------------------------------------------------------


def _neg_log10(pvalues: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """-log10 of p-values, zeros drawn at the smallest positive p-value; and the zero mask."""
    values = pvalues.to_numpy(dtype=np.float64)
    zero = values <= 0
    positive = values[~zero]
    floor = positive.min() if positive.size else np.finfo(np.float64).tiny
    return -np.log10(np.where(zero, floor, values)), zero


def _volcano_figure(
    table: pd.DataFrame,
    *,
    alpha: float,
    title: str,
    n_labels: int = 15,
    lfc_column: str = PLAIN_LFC,
) -> Figure:
    """Draw the volcano plot of :func:`plot_volcano` and return the open figure."""
    _require(table, ("gene_id", "symbol", "pvalue", "padj", lfc_column), "A volcano plot")
    frame = table.loc[table["pvalue"].notna() & _finite(table[lfc_column])]
    fig, ax = plt.subplots(figsize=(7.5, 6.0))
    _headings(fig, ax, title, f"{len(frame):,} genes with a p-value")
    ax.set_xlabel(_lfc_label(lfc_column))
    ax.set_ylabel("-log10 p-value")
    if frame.empty:
        empty(ax, "No genes tested: every p-value (or fold change) is NA")
        return fig
    x = frame[lfc_column].to_numpy(dtype=np.float64)
    y, capped = _neg_log10(frame["pvalue"])
    classes = _classes(frame, frame[lfc_column], alpha)
    _scatter_classes(ax, x, y, classes, _legend_counts(classes, alpha))
    if capped.any():
        ax.scatter(
            x[capped],
            y[capped],
            s=30,
            marker="^",
            facecolors="none",
            edgecolors="black",
            linewidths=0.6,
            zorder=4,
            label=f"p = 0, drawn at the top ({capped.sum():,})",
        )
    reach = max(float(np.abs(x).max()) * 1.2, 1.0)
    ax.set_xlim(-reach, reach)
    ax.set_ylim(0, max(float(y.max()) * 1.1, 1.0))
    ax.axvline(0, color="0.8", linewidth=0.8, zorder=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", markerscale=1.5)
    genes = _top_genes(frame, frame[lfc_column], classes, n_labels)
    _label_top(ax, frame, x, y, genes, side="x")
    return fig


def plot_volcano(
    table: pd.DataFrame,
    path: str | Path,
    *,
    alpha: float,
    title: str,
    n_labels: int = 15,
    lfc_column: str = PLAIN_LFC,
) -> None:
    """Volcano plot: fold change against -log10 p-value, significant genes coloured.

    Genes with ``padj < alpha`` are red (up) or blue (down), the rest grey; the legend
    gives each count. The ``n_labels`` significant genes with the smallest padj (then the
    largest |LFC|) are labelled by symbol, nudged apart so labels do not overlap. Genes
    without a p-value or fold change are left out. A p-value of 0 (below float precision)
    is drawn at the smallest positive p-value, marked by an open triangle.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`tmeseq.de_tables.results_table`.
    path : str or Path
        Output file; the extension decides the format.
    alpha : float
        Significance level for ``padj``.
    title : str
        Figure title, e.g. the contrast.
    n_labels : int
        How many genes to label (0 for none).
    lfc_column : str
        Fold-change column for the x axis.
    """
    save(
        _volcano_figure(table, alpha=alpha, title=title, n_labels=n_labels, lfc_column=lfc_column),
        path,
    )


# --- MA plot -------------------------------------------------------------------------------


def _lfc_limit(lfc: np.ndarray) -> float:
    """Half-height of the MA plot: 1.5 times the 99.9th percentile of |LFC|, at least 1.

    The percentile is an observed value (never interpolated towards the maximum), so a
    single wild estimate in a small table is still drawn at the edge.
    """
    return max(1.0, 1.5 * float(np.quantile(np.abs(lfc), 0.999, method="lower")))


def _ma_figure(
    table: pd.DataFrame,
    *,
    alpha: float,
    title: str,
    n_labels: int = 10,
    lfc_column: str | None = None,
) -> Figure:
    """Draw the MA plot of :func:`plot_ma` and return the open figure."""
    column = lfc_column or (SHRUNK_LFC if SHRUNK_LFC in table.columns else PLAIN_LFC)
    _require(table, ("gene_id", "symbol", "baseMean", "padj", column), "An MA plot")
    frame = table.loc[table["baseMean"].gt(0) & _finite(table[column])]
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    _headings(fig, ax, title, f"{len(frame):,} genes with a mean count above 0")
    ax.set_xlabel("Mean of normalised counts (baseMean)")
    ax.set_ylabel(_lfc_label(column))
    if frame.empty:
        empty(ax, "No genes tested: no gene has a mean count above 0 and a fold change")
        return fig
    x = frame["baseMean"].to_numpy(dtype=np.float64)
    lfc = frame[column].to_numpy(dtype=np.float64)
    limit = _lfc_limit(lfc)
    y = np.clip(lfc, -limit, limit)
    classes = _classes(frame, frame[column], alpha)
    _scatter_classes(ax, x, y, classes, _legend_counts(classes, alpha))
    _mark_clipped(ax, x, lfc, limit)
    ax.set_xscale("log")
    ax.set_xlim(x.min() / 1.5, x.max() * 1.5)
    ax.set_ylim(-limit * 1.08, limit * 1.08)
    ax.axhline(0, color="black", linewidth=0.8, zorder=3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", markerscale=1.5)
    genes = _top_genes(frame, frame[column], classes, n_labels)
    _label_top(ax, frame, x, y, genes, side="y")
    return fig


def _mark_clipped(ax: Axes, x: np.ndarray, lfc: np.ndarray, limit: float) -> None:
    """Open triangles at the edge for fold changes beyond the plotted range."""
    for sign, marker in ((1.0, "^"), (-1.0, "v")):
        beyond = sign * lfc > limit
        if beyond.any():
            ax.scatter(
                x[beyond],
                np.full(beyond.sum(), sign * limit),
                s=24,
                marker=marker,
                facecolors="none",
                edgecolors="black",
                linewidths=0.6,
                zorder=4,
            )


def plot_ma(
    table: pd.DataFrame,
    path: str | Path,
    *,
    alpha: float,
    title: str,
    n_labels: int = 10,
    lfc_column: str | None = None,
) -> None:
    """MA plot: mean expression (log axis) against fold change, significant genes coloured.

    Genes with ``baseMean > 0`` are drawn; those with ``padj < alpha`` red (up) or blue
    (down). Fold changes beyond 1.5 times the 99.9th percentile of |LFC| are drawn at the
    edge as open triangles. A line marks no change; the ``n_labels`` most significant
    genes are labelled by symbol.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`tmeseq.de_tables.results_table`.
    path : str or Path
        Output file; the extension decides the format.
    alpha : float
        Significance level for ``padj``.
    title : str
        Figure title, e.g. the contrast.
    n_labels : int
        How many genes to label (0 for none).
    lfc_column : str, optional
        Fold-change column; ``log2FoldChange_shrunk`` when the table has it, else
        ``log2FoldChange``.
    """
    figure = _ma_figure(table, alpha=alpha, title=title, n_labels=n_labels, lfc_column=lfc_column)
    save(figure, path)


# --- p-value histogram ---------------------------------------------------------------------


def _pvalue_note(n_missing: int, n_total: int) -> str | None:
    """A note on missing p-values when they are more than :data:`NA_NOTE_FRACTION`."""
    if n_total == 0 or n_missing / n_total <= NA_NOTE_FRACTION:
        return None
    return (
        f"{n_missing:,} of {n_total:,} genes ({100 * n_missing / n_total:.0f}%) have no "
        "p-value (not fitted, all-zero counts or count outliers)"
    )


def _pvalue_histogram_figure(table: pd.DataFrame, *, title: str) -> Figure:
    """Draw the histogram of :func:`plot_pvalue_histogram` and return the open figure."""
    _require(table, ("pvalue",), "A p-value histogram")
    values = table["pvalue"].dropna().to_numpy(dtype=np.float64)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    _headings(fig, ax, title, f"{values.size:,} genes with a p-value, {BINS} bins")
    ax.set_xlabel("p-value")
    ax.set_ylabel("Genes")
    note = _pvalue_note(len(table) - values.size, len(table))
    if note is not None:
        ax.text(0.0, -0.16, note, transform=ax.transAxes, va="top", fontsize="small")
    if values.size == 0:
        empty(ax, "No genes tested: every p-value is NA")
        return fig
    ax.hist(
        values,
        bins=np.linspace(0.0, 1.0, BINS + 1).tolist(),
        color=DEFAULT,
        edgecolor="white",
        linewidth=0.3,
    )
    expected = values.size / BINS
    ax.axhline(
        expected,
        color="black",
        linestyle="--",
        linewidth=1.0,
        label=f"Uniform expectation if no gene changed ({expected:,.1f} per bin)",
    )
    ax.set_xlim(0.0, 1.0)
    ax.legend(loc="upper right", fontsize="small")
    return fig


def plot_pvalue_histogram(table: pd.DataFrame, path: str | Path, *, title: str) -> None:
    """Histogram of p-values in 50 bins over [0, 1], with the uniform expectation.

    Under no differential expression p-values are uniform: the dashed line is the count
    per bin expected then. A peak near 0 is the signal; a hump elsewhere hints at a
    mis-specified model. When more than 10% of genes have no p-value, a note below the
    plot says how many.

    Parameters
    ----------
    table : pandas.DataFrame
        A table with a ``pvalue`` column (from :func:`tmeseq.de_tables.results_table`).
    path : str or Path
        Output file; the extension decides the format.
    title : str
        Figure title, e.g. the contrast.
    """
    save(_pvalue_histogram_figure(table, title=title), path)


# --- dispersions ---------------------------------------------------------------------------


def _flags(values: pd.Series) -> pd.Series:
    """Boolean flags with missing values read as False."""
    return values.astype("boolean").fillna(False).astype(bool)


def _dispersion_frame(model_var: pd.DataFrame) -> pd.DataFrame:
    """Means, dispersions and outlier flags of the genes that can go on log-log axes."""
    mean, final = "baseMean", "dispersions"
    _require(
        model_var, (mean, "genewise_dispersions", "fitted_dispersions", final), "A dispersion plot"
    )
    outlier = "dispersion_outlier" if "dispersion_outlier" in model_var.columns else None
    frame = pd.DataFrame(
        {
            "mean": pd.to_numeric(model_var[mean]),
            "genewise": pd.to_numeric(model_var["genewise_dispersions"]),
            "fitted": pd.to_numeric(model_var["fitted_dispersions"]),
            "final": pd.to_numeric(model_var[final]),
            "outlier": False if outlier is None else _flags(model_var[outlier]),
        }
    ).astype(
        {"mean": np.float64, "genewise": np.float64, "fitted": np.float64, "final": np.float64}
    )
    keep = frame["mean"].gt(0) & frame["genewise"].gt(0) & _finite(frame["genewise"])
    return frame.loc[keep].sort_values("mean", kind="stable")


def _dispersion_handles(frame: pd.DataFrame) -> list[Line2D]:
    """Legend entries for the dispersion plot, with gene counts."""
    return [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color="black",
            markersize=4,
            label=f"Gene-wise estimate ({len(frame):,})",
        ),
        Line2D([], [], color="red", linewidth=1.5, label="Fitted trend"),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=DOWN,
            markersize=4,
            label="Final (MAP) estimate",
        ),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="none",
            markeredgecolor=DOWN,
            markersize=7,
            label=f"Outlier, gene-wise kept ({int(frame['outlier'].sum()):,})",
        ),
    ]


def _dispersions_figure(model_var: pd.DataFrame, *, title: str) -> Figure:
    """Draw the dispersion plot of :func:`plot_dispersions` and return the open figure."""
    frame = _dispersion_frame(model_var)
    fig, ax = plt.subplots(figsize=(7.0, 5.5))
    _headings(fig, ax, title, f"{len(frame):,} genes with a mean count and a dispersion above 0")
    ax.set_xlabel("Mean of normalised counts")
    ax.set_ylabel("Dispersion")
    if frame.empty:
        empty(ax, "No genes tested: no gene has a mean count and a dispersion above 0")
        return fig
    size = _point_size(len(frame))
    ax.scatter(
        frame["mean"],
        frame["genewise"],
        s=size,
        color="black",
        linewidths=0,
        zorder=2,
        rasterized=True,
    )
    shown = frame.loc[frame["final"].gt(0)]
    ax.scatter(
        shown["mean"],
        shown["final"],
        s=size,
        color=DOWN,
        linewidths=0,
        alpha=0.8,
        zorder=3,
        rasterized=True,
    )
    outliers = shown.loc[shown["outlier"]]
    ax.scatter(
        outliers["mean"],
        outliers["final"],
        s=size * 6 + 10,
        facecolors="none",
        edgecolors=DOWN,
        linewidths=0.8,
        zorder=4,
    )
    trend = frame.loc[frame["fitted"].gt(0)]
    ax.plot(trend["mean"], trend["fitted"], color="red", linewidth=1.5, zorder=5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend(
        handles=_dispersion_handles(frame),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize="small",
    )
    return fig


def plot_dispersions(model_var: pd.DataFrame, path: str | Path, *, title: str) -> None:
    """Dispersion estimates against mean expression, like DESeq2's ``plotDispEsts``.

    Gene-wise estimates are black, the fitted mean-dispersion trend is a red line, final
    estimates (shrunk towards the trend; MAP) are blue, and outliers, whose gene-wise
    estimate lies so far above the trend that it is kept instead of the MAP, are circled.
    Both axes are logarithmic; genes with a mean or gene-wise dispersion of 0 or NA are
    left out.

    Parameters
    ----------
    model_var : pandas.DataFrame
        One row per gene (``model.h5ad``'s ``var``), with columns

        - ``baseMean``: mean of normalised counts;
        - ``genewise_dispersions``, ``fitted_dispersions``;
        - ``dispersions``: the final estimates;
        - optional boolean ``dispersion_outlier``.
    path : str or Path
        Output file; the extension decides the format.
    title : str
        Figure title, e.g. the design.
    """
    save(_dispersions_figure(model_var, title=title), path)

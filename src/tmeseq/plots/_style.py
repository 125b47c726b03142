"""What every tmeseq figure shares: resolution, colours, literal text, saving.

Colours of sample groups come from one place: :func:`sample_levels` orders a sample
annotation's levels as the sample sheet lists them and :func:`palette` colours them, so an arm
has the same colour in every figure of a cohort (PCA, library sizes, correlation and
signature heatmaps, score box plots). Other categories (gene-set names) take
:func:`category_palette`, whose colours are not the arms'.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend

Colour = tuple[float, float, float]

DPI = 150
GREY: Colour = (0.6, 0.6, 0.6)
DEFAULT: Colour = (0.3, 0.45, 0.69)
#: How a missing annotation is labelled (and drawn grey).
MISSING = "NA"


def text(label: object) -> str:
    """Return ``label`` as text that matplotlib prints literally (no mathtext on ``$``)."""
    return str(label).replace("$", r"\$")


def save(fig: Figure, path: str | Path) -> None:
    """Write ``fig`` to ``path`` (format from the extension) and close it.

    The tight bounding box keeps every artist: titles, notes below the axes, and legends
    placed outside the axes, including a first legend kept with ``add_artist`` when a second
    one is drawn (matplotlib leaves those out of its default list). The file is written to a
    temporary name in the same folder, then renamed, so an interrupted run never leaves a
    half-written figure that looks complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = list(fig.get_default_bbox_extra_artists())
    extra += [a for ax in fig.axes for a in ax.get_children() if isinstance(a, Legend)]
    partial = path.with_name(f".{path.name}.partial")
    fig.savefig(
        partial,
        format=path.suffix.removeprefix("."),
        dpi=DPI,
        bbox_inches="tight",
        bbox_extra_artists=extra,
    )
    plt.close(fig)
    partial.replace(path)


def empty(ax: Axes, message: str) -> None:
    """Replace the plot by ``message`` in the middle of the axes (nothing to draw)."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", wrap=True)


def message_figure(path: str | Path, title: str, message: str) -> None:
    """Save a figure that only says why there is nothing to show."""
    fig, ax = plt.subplots(figsize=(7, 3))
    fig.suptitle(text(title))
    empty(ax, message)
    save(fig, path)


def sample_levels(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Text label of each sample and the levels in sample-sheet order.

    Parameters
    ----------
    values : pandas.Series
        A sample annotation (e.g. the sheet's ``arm`` column) in the sheet's row order.

    Returns
    -------
    labels : pandas.Series
        ``values`` as text (same index), missing values as ``NA``.
    levels : list of str
        The levels in the order they first appear (a categorical's category order is
        ignored: anndata stores categories sorted), ``NA`` last.
    """
    labels = values.map(lambda v: MISSING if pd.isna(v) else str(v)).astype(str)
    levels = [level for level in dict.fromkeys(labels) if level != MISSING]
    if (labels == MISSING).any():
        levels.append(MISSING)
    return labels, levels


def palette(levels: list[str]) -> dict[str, Colour]:
    """The colour of each sample group, given the levels in sample-sheet order.

    Distinct colours (``tab10``, ``tab20``, ``husl`` beyond 20) by position, grey for ``NA``;
    every figure calls it with :func:`sample_levels`' order, so a level keeps its colour.
    """
    return _colours(levels, "tab10" if len(levels) <= 10 else "tab20")


def category_palette(levels: list[str]) -> dict[str, Colour]:
    """Colours for categories that are not sample groups (e.g. gene sets): ``Set3`` (12),
    ``husl`` beyond, so they do not read as arms."""
    return _colours(levels, "Set3" if len(levels) <= 12 else "husl")


def _colours(levels: list[str], name: str) -> dict[str, Colour]:
    colours = sns.color_palette(name if len(levels) <= 20 else "husl", len(levels))
    chosen = {
        level: (float(r), float(g), float(b))
        for level, (r, g, b) in zip(levels, colours, strict=True)
    }
    if MISSING in chosen:
        chosen[MISSING] = GREY
    return chosen

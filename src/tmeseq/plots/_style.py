"""What every tmeseq figure shares: resolution, colours, literal text, saving."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
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
    one is drawn (matplotlib leaves those out of its default list).
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    extra = list(fig.get_default_bbox_extra_artists())
    extra += [a for ax in fig.axes for a in ax.get_children() if isinstance(a, Legend)]
    fig.savefig(path, dpi=DPI, bbox_inches="tight", bbox_extra_artists=extra)
    plt.close(fig)


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


def palette(levels: list[str]) -> dict[str, Colour]:
    """Distinct colours per level (``tab10``, ``tab20``, ``husl`` beyond 20); grey for ``NA``."""
    name = "tab10" if len(levels) <= 10 else "tab20" if len(levels) <= 20 else "husl"
    colours = sns.color_palette(name, len(levels))
    chosen = {
        level: (float(r), float(g), float(b))
        for level, (r, g, b) in zip(levels, colours, strict=True)
    }
    if MISSING in chosen:
        chosen[MISSING] = GREY
    return chosen

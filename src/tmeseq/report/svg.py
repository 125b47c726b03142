"""Inline SVG figures of the report: the interactive volcano, scatters and box plots.

Every figure is a string of SVG markup returned as :class:`markupsafe.Markup`; every piece of
text in it that comes from the data (gene symbols, sample names, levels) goes through
:func:`markupsafe.escape`, so nothing a user named can open a tag or leave an attribute.
Interactive marks carry a ``data-tip`` attribute (the text of their tooltip, lines separated
by newlines) and the class ``tip``; ``report.js`` shows it on hover or focus.

Coordinates are rounded to one decimal, so the markup is small and byte-identical across runs.
A large volcano draws only its most significant genes as interactive points; the rest are
binned on a pixel grid into one static path per colour, which keeps the size bounded by the
plot's area instead of the number of genes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from tmeseq.formatting import format_number, format_p

#: Fill colours of up / down / not significant genes.
CLASS_COLOURS: Mapping[str, str] = {"up": "#c0392b", "down": "#2c6fbb", "ns": "#9a9a9a"}
#: Side of a background bin, in SVG units (pixels at 100% zoom).
BIN = 3.0
#: Largest number of points drawn per arm in a box plot; beyond it only the box is drawn.
MAX_BOX_POINTS = 60


@dataclass(frozen=True)
class Frame:
    """Size of a figure and its plotting area (SVG units).

    Attributes
    ----------
    width, height : float
        The whole figure.
    left, right, top, bottom : float
        Margins around the plotting area (axes labels, legend).
    """

    width: float = 640.0
    height: float = 420.0
    left: float = 56.0
    right: float = 170.0
    top: float = 16.0
    bottom: float = 44.0

    @property
    def x0(self) -> float:
        """Left edge of the plotting area."""
        return self.left

    @property
    def x1(self) -> float:
        """Right edge of the plotting area."""
        return self.width - self.right

    @property
    def y0(self) -> float:
        """Bottom edge of the plotting area (SVG y grows downwards)."""
        return self.height - self.bottom

    @property
    def y1(self) -> float:
        """Top edge of the plotting area."""
        return self.top


Scale = Callable[[np.ndarray], np.ndarray]


def linear(domain: tuple[float, float], extent: tuple[float, float]) -> Scale:
    """A linear map from data ``domain`` to SVG ``extent`` (either may be reversed)."""
    (d0, d1), (r0, r1) = domain, extent
    span = d1 - d0 if d1 != d0 else 1.0
    return lambda values: r0 + (np.asarray(values, dtype=np.float64) - d0) * (r1 - r0) / span


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick positions covering ``[low, high]``: steps of 1, 2 or 5 times a power of 10.

    Parameters
    ----------
    low, high : float
        The axis range (``low < high``; equal values give one tick).
    count : int
        About how many ticks.

    Returns
    -------
    list of float
        Increasing tick values inside ``[low, high]``.
    """
    if not high > low:
        return [low]
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    ticks = [(first + i) * step for i in range(int((high - low) / step) + 2)]
    return [round(t, 10) for t in ticks if low - 1e-9 <= t <= high + 1e-9]


def _num(value: float) -> str:
    """A coordinate with one decimal (``-0.0`` written ``0``)."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _tick_label(value: float) -> str:
    return f"{value:g}"


def _text(x: float, y: float, content: str, *, cls: str = "", anchor: str = "start") -> str:
    """A ``<text>`` element; ``content`` is escaped."""
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{klass}>{escape(content)}</text>'
    )


def _axes(
    frame: Frame,
    x: tuple[Scale, tuple[float, float]],
    y: tuple[Scale, tuple[float, float]],
    labels: tuple[str, str],
    *,
    x_ticks: bool = True,
) -> list[str]:
    """Axis lines, ticks, tick labels and axis titles (no x ticks when ``x_ticks`` is off,
    for categories)."""
    (xs, (xlo, xhi)), (ys, (ylo, yhi)) = x, y
    parts = [
        f'<path class="axis" d="M{_num(frame.x0)} {_num(frame.y1)}V{_num(frame.y0)}'
        f'H{_num(frame.x1)}"/>'
    ]
    for tick in nice_ticks(xlo, xhi) if x_ticks else []:
        px = float(xs(np.array([tick]))[0])
        parts.append(f'<path class="tick" d="M{_num(px)} {_num(frame.y0)}v4"/>')
        parts.append(_text(px, frame.y0 + 16, _tick_label(tick), anchor="middle"))
    for tick in nice_ticks(ylo, yhi):
        py = float(ys(np.array([tick]))[0])
        parts.append(f'<path class="tick" d="M{_num(frame.x0)} {_num(py)}h-4"/>')
        parts.append(_text(frame.x0 - 6, py + 4, _tick_label(tick), anchor="end"))
    middle_x = (frame.x0 + frame.x1) / 2
    middle_y = (frame.y0 + frame.y1) / 2
    parts.append(_text(middle_x, frame.height - 6, labels[0], cls="label", anchor="middle"))
    parts.append(
        f'<text class="label" text-anchor="middle" transform="translate(14 {_num(middle_y)}) '
        f'rotate(-90)">{escape(labels[1])}</text>'
    )
    return parts


def _svg(frame: Frame, title: str, body: Sequence[str], cls: str) -> Markup:
    """Wrap ``body`` in an ``<svg>`` element with an accessible, escaped title."""
    head = (
        f'<svg class="figure {cls}" role="img" viewBox="0 0 {_num(frame.width)} '
        f'{_num(frame.height)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


def _legend(frame: Frame, entries: Sequence[tuple[str, str]], heading: str = "") -> list[str]:
    """Colour swatches with escaped labels, right of the plotting area."""
    x = frame.x1 + 14
    y = frame.y1 + 10
    parts = []
    if heading:
        parts.append(_text(x, y + 4, heading, cls="legend-title"))
        y += 18
    for colour, label in entries:
        parts.append(f'<circle cx="{_num(x + 5)}" cy="{_num(y)}" r="5" fill="{colour}"/>')
        parts.append(_text(x + 15, y + 4, label))
        y += 18
    return parts


# --- volcano ---------------------------------------------------------------------------------


def gene_classes(lfc: np.ndarray, padj: np.ndarray, alpha: float) -> np.ndarray:
    """``"up"``, ``"down"`` or ``"ns"`` per gene: significant when ``padj < alpha``."""
    significant = np.nan_to_num(padj, nan=1.0) < alpha
    return np.where(significant & (lfc > 0), "up", np.where(significant, "down", "ns"))


def _neg_log10(pvalues: np.ndarray) -> np.ndarray:
    """-log10 p; a p-value of 0 is drawn at the smallest positive p-value."""
    positive = pvalues[pvalues > 0]
    floor = float(positive.min()) if positive.size else 1e-300
    return -np.log10(np.where(pvalues > 0, pvalues, floor))


def _background(
    px: np.ndarray, py: np.ndarray, classes: np.ndarray, cls_name: str, colour: str
) -> str:
    """The genes of one class binned on a :data:`BIN` grid, drawn as one path of squares."""
    chosen = classes == cls_name
    if not chosen.any():
        return ""
    cells = np.unique(
        np.stack([np.floor(px[chosen] / BIN), np.floor(py[chosen] / BIN)], axis=1), axis=0
    )
    side = _num(BIN - 1)
    path = "".join(
        f"M{_num(cx * BIN)} {_num(cy * BIN)}h{side}v{side}h-{side}z" for cx, cy in cells
    )
    return f'<path class="background" fill="{colour}" d="{path}"/>'


def _volcano_tip(symbol: str, lfc: float, padj: float, shrunk: float | None) -> str:
    lines = [symbol, f"LFC {format_number(lfc, signed=True)}"]
    if shrunk is not None:
        lines.append(f"shrunk LFC {format_number(shrunk, signed=True)}")
    lines.append(f"padj {format_p(padj)}")
    return "\n".join(lines)


def volcano(
    table: pd.DataFrame,
    *,
    alpha: float,
    n_points: int,
    title: str,
    frame: Frame | None = None,
) -> Markup:
    """An interactive volcano plot of one contrast's DE table.

    Parameters
    ----------
    table : pandas.DataFrame
        ``de/<contrast>.tsv`` (``symbol``, ``log2FoldChange``, ``pvalue``, ``padj``; the
        shrunk LFC, when present, is shown in the tooltips).
    alpha : float
        Significance level for ``padj`` (colours and the dashed line).
    n_points : int
        The genes with the smallest p-values drawn as points with a tooltip (symbol, LFC,
        padj); the others are binned into a static background.
    title : str
        Accessible title of the figure.
    frame : Frame, optional
        Figure size and margins.

    Returns
    -------
    markupsafe.Markup
        The ``<svg>`` element (class ``volcano``).
    """
    frame = frame or Frame()
    lfc_all = pd.to_numeric(table["log2FoldChange"]).to_numpy(dtype=np.float64, na_value=np.nan)
    p_all = pd.to_numeric(table["pvalue"]).to_numpy(dtype=np.float64, na_value=np.nan)
    keep = np.isfinite(lfc_all) & np.isfinite(p_all)
    data = table.loc[keep].copy()
    data["_lfc"], data["_p"] = lfc_all[keep], p_all[keep]
    data["_padj"] = pd.to_numeric(data["padj"]).to_numpy(dtype=np.float64, na_value=np.nan)
    data = data.sort_values(["_p", "symbol"], kind="stable")
    lfc, padj = data["_lfc"].to_numpy(), data["_padj"].to_numpy()
    y = _neg_log10(data["_p"].to_numpy())
    classes = gene_classes(lfc, padj, alpha)
    limit = max(1.0, float(np.abs(lfc).max(initial=0.0)) * 1.05)
    top = max(1.0, float(y.max(initial=0.0)) * 1.05)
    xs = linear((-limit, limit), (frame.x0, frame.x1))
    ys = linear((0.0, top), (frame.y0, frame.y1))
    px, py = xs(lfc), ys(y)
    body = _axes(frame, (xs, (-limit, limit)), (ys, (0.0, top)), ("log2 fold change", "-log10 p"))
    body += _threshold(frame, ys, data["_p"].to_numpy(), padj, alpha)
    rest = np.arange(len(data)) >= n_points
    for name in ("ns", "down", "up"):
        body.append(_background(px[rest], py[rest], classes[rest], name, CLASS_COLOURS[name]))
    body += _volcano_points(data, px, py, classes, min(n_points, len(data)))
    counts = {name: int((classes == name).sum()) for name in ("up", "down", "ns")}
    legend = [
        (CLASS_COLOURS["up"], f"up, padj < {alpha:g} ({counts['up']:,})"),
        (CLASS_COLOURS["down"], f"down, padj < {alpha:g} ({counts['down']:,})"),
        (CLASS_COLOURS["ns"], f"not significant ({counts['ns']:,})"),
    ]
    body += _legend(frame, legend)
    return _svg(frame, title, body, "volcano")


def _threshold(
    frame: Frame, ys: Scale, pvalues: np.ndarray, padj: np.ndarray, alpha: float
) -> list[str]:
    """A dashed line at the largest p-value still significant at ``alpha``, if any."""
    significant = np.nan_to_num(padj, nan=1.0) < alpha
    if not significant.any():
        return []
    level = float(ys(_neg_log10(np.array([pvalues[significant].max()])))[0])
    return [
        f'<path class="threshold" d="M{_num(frame.x0)} {_num(level)}H{_num(frame.x1)}"/>',
        _text(frame.x1 + 4, level + 4, f"padj {alpha:g}", cls="small"),
    ]


def _volcano_points(
    data: pd.DataFrame, px: np.ndarray, py: np.ndarray, classes: np.ndarray, n: int
) -> list[str]:
    """The ``n`` most significant genes as circles with tooltips, the most significant last
    (drawn on top)."""
    shrunk = (
        pd.to_numeric(data["log2FoldChange_shrunk"]).to_numpy(dtype=np.float64, na_value=np.nan)
        if "log2FoldChange_shrunk" in data.columns
        else None
    )
    symbols = data["symbol"].astype(str).to_numpy()
    lfc, padj = data["_lfc"].to_numpy(), data["_padj"].to_numpy()
    parts = []
    for i in reversed(range(n)):
        tip = _volcano_tip(
            symbols[i], lfc[i], padj[i], None if shrunk is None else float(shrunk[i])
        )
        parts.append(
            f'<circle class="tip {classes[i]}" cx="{_num(px[i])}" cy="{_num(py[i])}" r="3" '
            f'fill="{CLASS_COLOURS[classes[i]]}" tabindex="0" data-tip="{escape(tip)}"/>'
        )
    return parts


# --- scatter (PCA) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Colouring:
    """How the points of a scatter are coloured.

    Attributes
    ----------
    name : str
        The covariate (legend heading, tooltips).
    values : list of str
        Each point's value as text (tooltips, legend).
    colours : list of str
        Each point's fill colour (``#rrggbb``).
    legend : list of (str, str)
        ``(colour, label)`` entries.
    """

    name: str
    values: list[str]
    colours: list[str]
    legend: list[tuple[str, str]]


def hex_colour(rgb: Sequence[float]) -> str:
    """``#rrggbb`` from red, green, blue in [0, 1]."""
    return "#" + "".join(f"{round(255 * max(0.0, min(1.0, c))):02x}" for c in rgb[:3])


def categorical_colouring(
    name: str, values: Sequence[str], palette: Mapping[str, Sequence[float]]
) -> Colouring:
    """Colour points by level, with ``palette`` mapping each level to an RGB colour."""
    colours = {level: hex_colour(rgb) for level, rgb in palette.items()}
    return Colouring(
        name=name,
        values=[str(v) for v in values],
        colours=[colours[str(v)] for v in values],
        legend=[(colours[level], level) for level in palette],
    )


def numeric_colouring(name: str, values: Sequence[float]) -> Colouring:
    """Colour points on a light-to-dark blue ramp from the smallest to the largest value."""
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    span = high - low if high > low else 1.0

    def ramp(value: float) -> str:
        if not math.isfinite(value):
            return "#bbbbbb"
        t = (value - low) / span
        return hex_colour((0.85 - 0.75 * t, 0.9 - 0.55 * t, 1.0 - 0.35 * t))

    return Colouring(
        name=name,
        values=[format_number(v, 3).rstrip("0").rstrip(".") for v in array],
        colours=[ramp(v) for v in array],
        legend=[(ramp(low), f"{low:g} (lowest)"), (ramp(high), f"{high:g} (highest)")],
    )


def scatter(
    x: np.ndarray,
    y: np.ndarray,
    labels: Sequence[str],
    colouring: Colouring,
    *,
    axis_labels: tuple[str, str],
    title: str,
    frame: Frame | None = None,
) -> Markup:
    """A scatter plot with one hoverable point per sample.

    Parameters
    ----------
    x, y : numpy.ndarray
        Coordinates (e.g. PC1 and PC2).
    labels : sequence of str
        Each point's name (the sample), shown in its tooltip.
    colouring : Colouring
        Colours, legend and the covariate's value of each point.
    axis_labels : (str, str)
        The x and y axis titles.
    title : str
        Accessible title of the figure.
    frame : Frame, optional
        Figure size and margins.

    Returns
    -------
    markupsafe.Markup
        The ``<svg>`` element (class ``scatter``).
    """
    frame = frame or Frame(width=460.0, height=340.0, right=150.0)
    xlo, xhi = _padded(x)
    ylo, yhi = _padded(y)
    xs = linear((xlo, xhi), (frame.x0, frame.x1))
    ys = linear((ylo, yhi), (frame.y0, frame.y1))
    px, py = xs(x), ys(y)
    body = _axes(frame, (xs, (xlo, xhi)), (ys, (ylo, yhi)), axis_labels)
    radius = "4" if len(labels) <= 200 else "2.5"
    for i, label in enumerate(labels):
        tip = f"{label}\n{colouring.name}: {colouring.values[i]}"
        body.append(
            f'<circle class="tip" cx="{_num(px[i])}" cy="{_num(py[i])}" r="{radius}" '
            f'fill="{colouring.colours[i]}" tabindex="0" data-tip="{escape(tip)}"/>'
        )
    body += _legend(frame, colouring.legend, colouring.name)
    return _svg(frame, title, body, "scatter")


def _padded(values: np.ndarray) -> tuple[float, float]:
    """Axis range of ``values`` with 5% padding on each side."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    pad = (high - low) * 0.05 or 1.0
    return low - pad, high + pad


# --- box plots -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoxGroup:
    """The values of one arm in one panel.

    Attributes
    ----------
    level : str
        The arm.
    colour : str
        Its colour (``#rrggbb``).
    samples : list of str
        Sample names (tooltips).
    values : numpy.ndarray
        The score of each sample.
    """

    level: str
    colour: str
    samples: list[str]
    values: np.ndarray


def box_stats(values: np.ndarray) -> tuple[float, float, float, float, float]:
    """Lower whisker, first quartile, median, third quartile, upper whisker (Tukey: the
    most extreme values within 1.5 IQR of the box)."""
    finite = np.sort(values[np.isfinite(values)])
    q1, median, q3 = (float(v) for v in np.percentile(finite, [25, 50, 75]))
    reach = 1.5 * (q3 - q1)
    low = float(finite[finite >= q1 - reach].min())
    high = float(finite[finite <= q3 + reach].max())
    return low, q1, median, q3, high


def box_panel(title: str, groups: Sequence[BoxGroup], *, unit: str) -> Markup:
    """Box plots of one score across arms, with each sample as a point when there are few.

    Parameters
    ----------
    title : str
        The score (panel title).
    groups : sequence of BoxGroup
        One box per arm, left to right.
    unit : str
        The score's scale (y axis title).

    Returns
    -------
    markupsafe.Markup
        The ``<svg>`` element (class ``boxes``); an arm without values gets no box.
    """
    frame = Frame(width=220.0, height=210.0, left=46.0, right=8.0, top=22.0, bottom=40.0)
    values = np.concatenate([g.values for g in groups]) if groups else np.array([])
    ylo, yhi = _padded(values)
    ys = linear((ylo, yhi), (frame.y0, frame.y1))
    width = (frame.x1 - frame.x0) / max(len(groups), 1)
    xs = linear((-0.5, len(groups) - 0.5), (frame.x0, frame.x1))
    body = _axes(frame, (xs, (0.0, 0.0)), (ys, (ylo, yhi)), ("", unit), x_ticks=False)
    body.append(_text(frame.width / 2, 14, title, cls="panel-title", anchor="middle"))
    for i, group in enumerate(groups):
        centre = float(xs(np.array([i]))[0])
        body.append(_text(centre, frame.y0 + 16, group.level, anchor="middle"))
        if np.isfinite(group.values).any():
            body += _box(centre, width * 0.28, ys, group)
    return _svg(frame, title, body, "boxes")


def _box(centre: float, half: float, ys: Scale, group: BoxGroup) -> list[str]:
    low, q1, median, q3, high = (
        float(v) for v in ys(np.array(box_stats(group.values), dtype=np.float64))
    )
    parts = [
        f'<path class="whisker" d="M{_num(centre)} {_num(low)}V{_num(q1)}'
        f'M{_num(centre)} {_num(q3)}V{_num(high)}"/>',
        f'<rect class="box" x="{_num(centre - half)}" y="{_num(q3)}" width="{_num(2 * half)}" '
        f'height="{_num(max(q1 - q3, 0.5))}" fill="{group.colour}"/>',
        f'<path class="median" d="M{_num(centre - half)} {_num(median)}h{_num(2 * half)}"/>',
    ]
    if len(group.values) <= MAX_BOX_POINTS:
        offsets = np.linspace(-half * 0.6, half * 0.6, max(len(group.values), 1))
        py = ys(group.values)
        for offset, sample, value, y in zip(offsets, group.samples, group.values, py, strict=True):
            if not math.isfinite(float(value)):
                continue
            tip = f"{sample}\n{group.level}: {format_number(float(value))}"
            parts.append(
                f'<circle class="tip sample" cx="{_num(centre + offset)}" cy="{_num(y)}" '
                f'r="2.5" tabindex="0" data-tip="{escape(tip)}"/>'
            )
    return parts

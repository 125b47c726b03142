"""GSEA figures: an NES dot plot across contrasts and enrichment plots of top sets.

Each public ``plot_*`` function draws one figure, saves it to ``path`` (the extension picks
the format: ``.png`` at 150 dpi, ``.pdf``, ``.svg`` ...) and closes it; a matching private
``_*_figure`` function returns the open figure. Nothing needs a display and no global
matplotlib settings are changed; the calling script selects the backend
(``matplotlib.use("Agg")``). Inputs with nothing to draw give a figure that says so.

Tables are GSEA result tables (``collection term size es nes pvalue fdr leading_edge``, from
:func:`tmeseq.gsea.run_gsea` or read back from ``gsea/<contrast>.tsv``). Set names are shown
readably: ``HALLMARK_`` dropped, underscores as spaces (:func:`readable_term`). FDRs are
written by :func:`tmeseq.formatting.format_p` with the run's resolution (``p_floor``, from
:func:`tmeseq.gsea.p_floor`): a permutation FDR of 0 reads ``< 0.001``, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Colormap, TwoSlopeNorm
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D

from tmeseq.formatting import format_number, format_p
from tmeseq.genesets import Collection
from tmeseq.gsea.curve import running_enrichment
from tmeseq.gsea.matching import untested_reasons
from tmeseq.gsea.rankings import Ranking
from tmeseq.plots._style import GREY, empty, save, text

__all__ = [
    "dotplot_empty_message",
    "enrichment_empty_message",
    "plot_enrichment",
    "plot_nes_dotplot",
    "plot_top_enrichments",
    "readable_term",
    "select_dotplot_terms",
]

FDR_THRESHOLD = 0.25
"""The GSEA convention for a set worth showing."""
FDR_FLOOR = 1e-3
"""FDRs below this are drawn at this size when the run has no permutation floor."""
TOP_N = 10
MIN_DOT, MAX_DOT = 15.0, 220.0
UP = (0.84, 0.15, 0.16)
DOWN = (0.12, 0.47, 0.71)
_NEEDED = ("collection", "term", "nes", "fdr")
_PANEL_RATIOS = (3.0, 0.5, 1.4)
_PANEL_COLUMNS = 3


def readable_term(term: str) -> str:
    """``"INTERFERON GAMMA RESPONSE"`` from ``"HALLMARK_INTERFERON_GAMMA_RESPONSE"``."""
    return term.removeprefix("HALLMARK_").replace("_", " ")


def _require(table: pd.DataFrame, what: str) -> None:
    """Raise ValueError naming the GSEA columns ``table`` lacks."""
    missing = [c for c in _NEEDED if c not in table.columns]
    if missing:
        raise ValueError(f"{what} needs GSEA result column(s) {', '.join(missing)}")


# --- NES dot plot --------------------------------------------------------------------------


def _long_table(results: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """All contrasts' tables stacked, with a ``contrast`` column."""
    frames = []
    for contrast, table in results.items():
        _require(table, f"the GSEA table of contrast {contrast!r}")
        frames.append(table.loc[:, list(_NEEDED)].assign(contrast=str(contrast)))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=[*_NEEDED, "contrast"])
    long = pd.concat(frames, ignore_index=True)
    long["nes"] = pd.to_numeric(long["nes"], errors="coerce")
    long["fdr"] = pd.to_numeric(long["fdr"], errors="coerce")
    return long.dropna(subset=["nes", "fdr"])


def select_dotplot_terms(
    results: Mapping[str, pd.DataFrame],
    *,
    fdr_threshold: float = FDR_THRESHOLD,
    top_n: int = TOP_N,
) -> pd.DataFrame:
    """The rows a dot plot shows: per collection, the top sets with ``fdr < fdr_threshold``.

    A set qualifies if it passes the threshold in at least one contrast; per collection the
    ``top_n`` with the smallest FDR (then largest ``|NES|``, then name) are kept, and all
    their rows (every contrast) returned.

    Parameters
    ----------
    results : mapping of str to pandas.DataFrame
        Contrast name -> GSEA result table, in display order.
    fdr_threshold : float
        FDR below which a set is shown.
    top_n : int
        Sets kept per collection.

    Returns
    -------
    pandas.DataFrame
        Columns ``collection term nes fdr contrast``.
    """
    long = _long_table(results)
    passing = long[long["fdr"] < fdr_threshold]
    if passing.empty:
        return long.iloc[0:0]
    best = (
        passing.assign(abs_nes=passing["nes"].abs())
        .sort_values(
            ["collection", "fdr", "abs_nes", "term"],
            ascending=[True, True, False, True],
            kind="mergesort",
        )
        .drop_duplicates(["collection", "term"])
    )
    chosen = best.groupby("collection", sort=False).head(top_n)[["collection", "term"]]
    return long.merge(chosen, on=["collection", "term"], how="inner")


def _dot_sizes(fdr: pd.Series | np.ndarray, floor: float) -> np.ndarray:
    """Marker areas growing with ``-log10 fdr``, capped at ``floor``."""
    scale = -np.log10(floor)
    score = -np.log10(np.clip(np.asarray(fdr, dtype=np.float64), floor, 1.0))
    return MIN_DOT + (MAX_DOT - MIN_DOT) * score / scale


def _term_order(block: pd.DataFrame) -> list[str]:
    """Terms of one collection, highest mean NES at the top."""
    mean = block.groupby("term")["nes"].mean()
    frame = pd.DataFrame({"term": mean.index, "nes": mean.to_numpy()})
    ordered = frame.sort_values(["nes", "term"], ascending=[True, False], kind="mergesort")
    return ordered["term"].tolist()


def _dot_block(
    ax: Axes,
    block: pd.DataFrame,
    contrasts: list[str],
    style: tuple[Colormap, TwoSlopeNorm, float, float],
) -> None:
    """Draw one collection's dots; significant ones get a black outline, others a grey one."""
    cmap, norm, threshold, floor = style
    terms = _term_order(block)
    y = block["term"].map({t: i for i, t in enumerate(terms)}).to_numpy()
    x = block["contrast"].map({c: i for i, c in enumerate(contrasts)}).to_numpy()
    significant = (block["fdr"] < threshold).to_numpy()
    ax.scatter(
        x,
        y,
        s=_dot_sizes(block["fdr"], floor),
        c=block["nes"].to_numpy(),
        cmap=cmap,
        norm=norm,
        edgecolors=[("black" if flag else GREY) for flag in significant],
        linewidths=[0.8 if flag else 0.4 for flag in significant],
        zorder=3,
    )
    ax.set_yticks(range(len(terms)), [text(readable_term(t)) for t in terms], fontsize=8)
    ax.set_ylim(-0.6, len(terms) - 0.4)
    ax.set_xlim(-0.6, len(contrasts) - 0.4)
    ax.grid(True, color=GREY, linewidth=0.3, alpha=0.5, zorder=0)
    ax.set_title(text(block["collection"].iloc[0]), loc="left", fontsize="medium")


def _size_legend(fig: Figure, floor: float, threshold: float) -> None:
    """Legend of dot sizes in FDR terms; the largest dot stands for ``<= floor``."""
    levels = [v for v in (threshold, 0.05, 0.01) if floor < v <= threshold] + [floor]
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=GREY,
            markeredgecolor="black",
            markersize=float(np.sqrt(_dot_sizes(np.array([v]), floor)[0])),
            label=(f"\u2264 {format_p(v)}" if v == floor else format_p(v)),
        )
        for v in dict.fromkeys(levels)
    ]
    fig.legend(
        handles=handles,
        title="FDR",
        loc="upper left",
        bbox_to_anchor=(1.0, 0.55),
        frameon=False,
        labelspacing=1.2,
    )


def _tested_sets(results: Mapping[str, pd.DataFrame]) -> int:
    """Distinct (collection, term) pairs with a row in any contrast's table."""
    frames = [t.loc[:, ["collection", "term"]] for t in results.values() if len(t)]
    if not frames:
        return 0
    return len(pd.concat(frames, ignore_index=True).drop_duplicates())


def _never_tested(collections: Mapping[str, pd.DataFrame] | None) -> list[str]:
    """Why each collection none of whose sets was tested in any contrast was not."""
    frames = [t for t in (collections or {}).values() if len(t)]
    if not frames:
        return []
    stacked = pd.concat(frames, ignore_index=True)
    tested = stacked.loc[stacked["n_sets_tested"].astype(int) > 0, "collection"]
    return untested_reasons(stacked[~stacked["collection"].isin(set(tested))])


def dotplot_empty_message(
    results: Mapping[str, pd.DataFrame],
    collections: Mapping[str, pd.DataFrame] | None = None,
    *,
    fdr_threshold: float = FDR_THRESHOLD,
) -> str:
    """What the dot plot says when no set reaches ``fdr_threshold``: whether anything was
    tested at all, how many sets were, and why each untested collection was not.

    Parameters
    ----------
    results : mapping of str to pandas.DataFrame
        Contrast name -> GSEA result table.
    collections : mapping of str to pandas.DataFrame, optional
        Contrast name -> collections table (``gsea/<contrast>.collections.tsv``), for the
        reasons (:func:`tmeseq.gsea.untested_reasons`).
    fdr_threshold : float
        The dot plot's FDR threshold.

    Returns
    -------
    str
        E.g. ``"No gene set was tested in any contrast\nnot tested: no gene of hallmark in
        the counts"`` or ``"12 gene sets tested in 2 contrasts; none reached FDR < 0.25"``.
    """
    n_sets = _tested_sets(results)
    if n_sets == 0:
        head = "No gene set was tested in any contrast"
    else:
        sets = f"{n_sets} gene set{'s' if n_sets != 1 else ''}"
        contrasts = f"{len(results)} contrast{'s' if len(results) != 1 else ''}"
        head = f"{sets} tested in {contrasts}; none reached FDR < {fdr_threshold:g}"
    return "\n".join([head, *_never_tested(collections)])


def enrichment_empty_message(collections: pd.DataFrame | None = None) -> str:
    """What the enrichment figure of a contrast with no tested set says: that nothing was
    tested, and why for each collection (from its collections table)."""
    reasons = untested_reasons(collections) if collections is not None else []
    return "\n".join(["No gene set was tested, so there is no enrichment to plot", *reasons])


def _nes_dotplot_figure(
    results: Mapping[str, pd.DataFrame],
    *,
    fdr_threshold: float,
    top_n: int,
    p_floor: float | None,
    title: str,
    collections: Mapping[str, pd.DataFrame] | None = None,
) -> Figure:
    """Build the dot plot (see :func:`plot_nes_dotplot`)."""
    fdr_floor = min(p_floor, fdr_threshold) if p_floor is not None else FDR_FLOOR
    contrasts = [str(c) for c in results]
    shown = select_dotplot_terms(results, fdr_threshold=fdr_threshold, top_n=top_n)
    blocks = [b for _, b in shown.groupby("collection", sort=False)]
    if not blocks:
        fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
        message = dotplot_empty_message(results, collections, fdr_threshold=fdr_threshold)
        empty(ax, text(message))
        fig.suptitle(text(title))
        return fig
    heights = [b["term"].nunique() + 1.0 for b in blocks]
    label_width = max(len(readable_term(t)) for t in shown["term"]) * 0.065
    size = (2.5 + label_width + 0.75 * len(contrasts), 1.2 + 0.3 * sum(heights))
    fig, axes = plt.subplots(
        len(blocks),
        1,
        figsize=size,
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
        layout="constrained",
    )
    limit = max(float(shown["nes"].abs().max()), 1.0)
    cmap = matplotlib.colormaps["RdBu_r"]
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    for ax, block in zip(axes[:, 0], blocks, strict=True):
        _dot_block(ax, block, contrasts, (cmap, norm, fdr_threshold, fdr_floor))
    bottom = axes[-1, 0]
    bottom.set_xticks(range(len(contrasts)), [text(c) for c in contrasts])
    plt.setp(bottom.get_xticklabels(), rotation=30, ha="right")
    bottom.set_xlabel("contrast")
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(mappable, ax=axes[:, 0].tolist(), label="NES", shrink=0.4, anchor=(0, 1))
    _size_legend(fig, fdr_floor, fdr_threshold)
    fig.suptitle(text(title))
    return fig


def plot_nes_dotplot(
    results: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    p_floor: float | None,
    fdr_threshold: float = FDR_THRESHOLD,
    top_n: int = TOP_N,
    title: str = "Gene-set enrichment (preranked GSEA)",
    collections: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """Dot plot of NES across contrasts (x) and gene sets (y), one block per collection.

    Colour is the NES (diverging, centred on 0); dot area grows with ``-log10 FDR``; a black
    outline marks ``fdr < fdr_threshold``. Shown are, per collection, the ``top_n`` sets
    with ``fdr < fdr_threshold`` in at least one contrast (:func:`select_dotplot_terms`),
    with their values in every contrast where they were tested. With none to show, the
    figure says what happened (:func:`dotplot_empty_message`): nothing tested (and why), or
    how many sets were tested without reaching the threshold.

    Parameters
    ----------
    results : mapping of str to pandas.DataFrame
        Contrast name -> GSEA result table; the mapping's order is the x order.
    path : str or Path
        Output file; the extension decides the format.
    p_floor : float or None
        The run's resolution (:func:`tmeseq.gsea.p_floor`): FDRs at or below it (0 included)
        get the largest dot, labelled ``<= floor``; None (multilevel p-values) caps the dot
        size at :data:`FDR_FLOOR`.
    fdr_threshold : float
        FDR below which a set is shown and outlined.
    top_n : int
        Sets per collection.
    title : str
        Figure title.
    collections : mapping of str to pandas.DataFrame, optional
        Contrast name -> collections table, for the reasons collections were not tested.
    """
    fig = _nes_dotplot_figure(
        results,
        fdr_threshold=fdr_threshold,
        top_n=top_n,
        p_floor=p_floor,
        title=title,
        collections=collections,
    )
    save(fig, path)


# --- enrichment plots ----------------------------------------------------------------------


def _draw_enrichment(
    fig: Figure | SubFigure, ranking: Ranking, genes: Sequence[str], heading: str
) -> None:
    """Running ES, hit ticks and the ranked metric, stacked in ``fig``."""
    curve = running_enrichment(ranking, genes)
    es_ax, hit_ax, metric_ax = fig.subplots(
        3, 1, sharex=True, gridspec_kw={"height_ratios": _PANEL_RATIOS, "hspace": 0.05}
    )
    position = np.arange(len(ranking))
    colour = UP if curve.es >= 0 else DOWN
    es_ax.plot(position, curve.running_es, color=colour, linewidth=1.5)
    es_ax.axhline(0, color=GREY, linewidth=0.6)
    es_ax.axvline(curve.peak, color=colour, linestyle="--", linewidth=0.8)
    es_ax.set_ylabel("running ES")
    es_ax.set_title(heading, fontsize="small")
    hit_ax.vlines(curve.hits, 0, 1, color="black", linewidth=0.5)
    hit_ax.set_yticks([])
    hit_ax.set_ylim(0, 1)
    values = ranking.values.to_numpy()
    metric_ax.fill_between(position, values, 0, where=values >= 0, color=UP, linewidth=0)
    metric_ax.fill_between(position, values, 0, where=values < 0, color=DOWN, linewidth=0)
    metric_ax.axhline(0, color=GREY, linewidth=0.6)
    metric_ax.set_ylabel(text(ranking.metric), fontsize="small")
    metric_ax.set_xlabel("gene rank")
    metric_ax.set_xlim(0, len(ranking) - 1)


def _heading(
    term: str,
    nes: float | None,
    fdr: float | None,
    p_floor: float | None,
    collection: str = "",
) -> str:
    """Panel title: readable set name, then NES and FDR (never 0: ``< floor``) when known."""
    name = text(readable_term(term))
    stats = []
    if nes is not None and np.isfinite(nes):
        stats.append(f"NES {format_number(nes, signed=True)}")
    if fdr is not None and np.isfinite(fdr):
        stats.append(f"FDR {format_p(fdr, floor=p_floor)}")
    detail = ", ".join(stats)
    prefix = f"{text(collection)}: " if collection else ""
    return f"{prefix}{name}\n{detail}" if detail else f"{prefix}{name}"


def plot_enrichment(
    ranking: Ranking,
    genes: Sequence[str],
    path: str | Path,
    *,
    term: str,
    p_floor: float | None,
    nes: float | None = None,
    fdr: float | None = None,
) -> None:
    """Classic enrichment plot of one set: running ES, hit ticks and the ranked metric.

    Parameters
    ----------
    ranking : Ranking
        The ranking GSEA ran on.
    genes : sequence of str
        The set's genes (those absent from the ranking are ignored).
    path : str or Path
        Output file; the extension decides the format.
    term : str
        Set name for the title.
    p_floor : float or None
        The run's resolution (:func:`tmeseq.gsea.p_floor`); an FDR below it reads
        ``< floor``.
    nes, fdr : float, optional
        Shown in the title when given.

    Raises
    ------
    ValueError
        If no gene of the set is in the ranking.
    """
    fig = plt.figure(figsize=(5.5, 4.5), layout="constrained")
    _draw_enrichment(fig, ranking, genes, _heading(term, nes, fdr, p_floor))
    save(fig, path)


def _top_rows(table: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The ``top_n`` rows with the smallest FDR (then largest |NES|, then name)."""
    _require(table, "plot_top_enrichments")
    ordered = table.assign(abs_nes=pd.to_numeric(table["nes"]).abs()).sort_values(
        ["fdr", "abs_nes", "collection", "term"],
        ascending=[True, False, True, True],
        kind="mergesort",
        na_position="last",
    )
    return ordered.head(top_n)


def _top_enrichments_figure(
    ranking: Ranking,
    table: pd.DataFrame,
    collections: Sequence[Collection],
    *,
    top_n: int,
    title: str,
    p_floor: float | None,
    coverage: pd.DataFrame | None = None,
) -> Figure:
    """Build the grid of enrichment plots (see :func:`plot_top_enrichments`)."""
    by_name = {c.name: c for c in collections}
    rows = _top_rows(table, top_n)
    rows = rows[rows["collection"].isin(list(by_name))]
    if rows.empty:
        fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
        empty(ax, text(enrichment_empty_message(coverage)))
        fig.suptitle(text(title))
        return fig
    ncols = min(_PANEL_COLUMNS, len(rows))
    nrows = -(-len(rows) // ncols)
    fig = plt.figure(figsize=(4.6 * ncols, 4.2 * nrows), layout="constrained")
    panels = np.atleast_1d(fig.subfigures(nrows, ncols, squeeze=False)).ravel()
    for panel, (_, row) in zip(panels, rows.iterrows(), strict=False):
        genes = by_name[row["collection"]].get(row["term"]).genes
        nes, fdr = float(row["nes"]), float(row["fdr"])
        heading = _heading(row["term"], nes, fdr, p_floor, row["collection"])
        _draw_enrichment(panel, ranking, genes, heading)
    fig.suptitle(text(title))
    return fig


def plot_top_enrichments(
    ranking: Ranking,
    table: pd.DataFrame,
    collections: Sequence[Collection],
    path: str | Path,
    *,
    p_floor: float | None,
    top_n: int = 6,
    title: str = "Top gene sets",
    coverage: pd.DataFrame | None = None,
) -> None:
    """Enrichment plots of one contrast's top sets, in a grid of up to three columns.

    The ``top_n`` sets with the smallest FDR (then largest ``|NES|``) over all collections
    are drawn, whatever their FDR (the panel titles give it). A table with no rows gives a
    figure that says nothing was tested, and why.

    Parameters
    ----------
    ranking : Ranking
        The ranking GSEA ran on.
    table : pandas.DataFrame
        That contrast's GSEA result table.
    collections : sequence of Collection
        The collections tested (to look the sets' genes up by ``collection`` and ``term``).
    path : str or Path
        Output file; the extension decides the format.
    p_floor : float or None
        The run's resolution (:func:`tmeseq.gsea.p_floor`); an FDR below it reads
        ``< floor`` in the panel titles.
    top_n : int
        Number of sets.
    title : str
        Figure title, e.g. the contrast's name.
    coverage : pandas.DataFrame, optional
        The contrast's collections table: with no set to draw, the figure says why each
        collection was not tested (:func:`enrichment_empty_message`).
    """
    fig = _top_enrichments_figure(
        ranking, table, collections, top_n=top_n, title=title, p_floor=p_floor, coverage=coverage
    )
    save(fig, path)

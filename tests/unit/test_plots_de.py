"""Tests for the differential-expression figures (tmeseq.plots.de)."""

from __future__ import annotations

import re
from itertools import combinations, pairwise
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from PIL import Image

from tests.helpers import REPO
from tests.unit.test_de_tables import DOWN, UP, build_inputs
from tmeseq import de_tables
from tmeseq.plots import de as de_plots


@pytest.fixture
def table() -> pd.DataFrame:
    results, var, shrunk = build_inputs()
    return de_tables.results_table(results, var, shrunk)


@pytest.fixture
def crowded() -> pd.DataFrame:
    """30 significant genes packed close together, to test label placement."""
    rng = np.random.default_rng(3)
    n = 400
    ids = [f"G{i:04d}" for i in range(n)]
    var = pd.DataFrame({"gene_id": ids, "symbol": [f"Sym_{i}$" for i in range(n)]}, index=ids)
    pvalue = rng.uniform(0.01, 1, n)
    pvalue[:30] = 10 ** -rng.uniform(20, 21, 30)
    lfc = rng.normal(0, 0.3, n)
    lfc[:30] = rng.uniform(2.0, 2.4, 30)
    results = pd.DataFrame(
        {
            "baseMean": rng.lognormal(5, 1, n),
            "log2FoldChange": lfc,
            "lfcSE": 0.2,
            "stat": lfc / 0.2,
            "pvalue": pvalue,
            "padj": np.minimum(pvalue * 10, 1),
        },
        index=ids,
    )
    return de_tables.results_table(results, var)


@pytest.fixture(autouse=True)
def no_figures_left() -> None:
    yield
    assert not plt.get_fignums()


def assert_png(path: Path) -> None:
    assert path.stat().st_size > 5000
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert round(image.info["dpi"][0]) == 150
        assert min(image.size) > 300


def annotations(fig: Figure) -> list[Annotation]:
    return [t for ax in fig.axes for t in ax.texts if isinstance(t, Annotation)]


def all_text(fig: Figure) -> str:
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return "\n".join(texts)


STOP_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "in", "is", "of", "on", "or", "per", "the"}
    | {"to", "with"}
)


def phrases(words: str) -> set[str]:
    """The two-word phrases of ``words`` (lower case) that are not only stop words."""
    tokens = re.findall(r"[a-z0-9][a-z0-9+-]*", words.lower())
    return {f"{a} {b}" for a, b in pairwise(tokens) if not {a, b} <= STOP_WORDS}


def headings(fig: Figure) -> list[str]:
    """The figure's title and its axes' titles, as shown."""
    titles = [fig.get_suptitle()] if fig.get_suptitle() else []
    return titles + [ax.get_title() for ax in fig.axes if ax.get_title()]


def assert_says_once(fig: Figure, caption: str | None = None) -> None:
    """No heading repeats another (no shared two-word phrase between the figure title and
    an axes title), and the caption (a ``workflow/report`` file name) repeats none."""
    shown = headings(fig)
    assert shown
    if fig.get_suptitle():
        for axes_title in shown[1:]:
            assert not phrases(shown[0]) & phrases(axes_title), (shown[0], axes_title)
    if caption is not None:
        words = (REPO / "workflow" / "report" / caption).read_text()
        for heading in shown:
            assert not phrases(heading) & phrases(words), (heading, caption)


def expected_labels(table: pd.DataFrame, n: int) -> list[str]:
    significant = table.loc[table["padj"] < 0.05].copy()
    significant["size"] = -significant["log2FoldChange"].abs()
    top = significant.sort_values(["padj", "size", "gene_id"]).head(n)
    symbols = top["symbol"].where(top["symbol"].notna(), top["gene_id"])
    return [s.replace("$", r"\$") for s in symbols]


# --- volcano -------------------------------------------------------------------------------


def test_volcano_labels_top_genes_by_symbol(table: pd.DataFrame) -> None:
    fig = de_plots._volcano_figure(table, alpha=0.05, title="NKTR214 vs chemo", n_labels=6)
    try:
        labels = [a.get_text() for a in annotations(fig)]
        assert labels == expected_labels(table, 6)
        assert "H2-Aa" in labels
        assert r"Cd8\$a" in labels
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert legend[:2] == [f"Up, padj < 0.05 ({len(UP)})", f"Down, padj < 0.05 ({len(DOWN)})"]
        assert fig.get_suptitle() == "NKTR214 vs chemo"
        drawn = int((table["pvalue"].notna() & table["log2FoldChange"].notna()).sum())
        assert fig.axes[0].get_title() == f"{drawn:,} genes with a p-value"
    finally:
        plt.close(fig)


def test_volcano_labels_can_be_switched_off(table: pd.DataFrame) -> None:
    fig = de_plots._volcano_figure(table, alpha=0.05, title="t", n_labels=0)
    try:
        assert annotations(fig) == []
    finally:
        plt.close(fig)


def test_volcano_labels_do_not_overlap_badly(crowded: pd.DataFrame) -> None:
    fig = de_plots._volcano_figure(crowded, alpha=0.05, title="crowded", n_labels=20)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        # The text alone, without the connector line that Annotation adds to its extent.
        boxes = [Text.get_window_extent(a, renderer) for a in annotations(fig)]
        assert len(boxes) == 20
        for a, b in combinations(boxes, 2):
            width = min(a.x1, b.x1) - max(a.x0, b.x0)
            height = min(a.y1, b.y1) - max(a.y0, b.y0)
            shared = max(width, 0) * max(height, 0)
            assert shared <= 0.15 * min(a.width * a.height, b.width * b.height)
        axes_box = fig.axes[0].get_window_extent(renderer)
        for box in boxes:
            assert axes_box.x0 - 2 <= box.x0 and box.x1 <= axes_box.x1 + 2
    finally:
        plt.close(fig)


def test_volcano_survives_zero_pvalues(table: pd.DataFrame, tmp_path: Path) -> None:
    zeros = table.copy()
    zeros.loc[:2, ["pvalue", "padj"]] = 0.0
    fig = de_plots._volcano_figure(zeros, alpha=0.05, title="zeros")
    try:
        ax = fig.axes[0]
        assert np.isfinite(ax.get_ylim()).all()
        assert "p = 0, drawn at the top (3)" in all_text(fig)
    finally:
        plt.close(fig)
    everything_zero = zeros.assign(pvalue=0.0, padj=0.0)
    de_plots.plot_volcano(everything_zero, tmp_path / "all_zero.png", alpha=0.05, title="z")
    assert_png(tmp_path / "all_zero.png")


# --- MA plot -------------------------------------------------------------------------------


def test_ma_uses_shrunken_fold_changes_when_present(table: pd.DataFrame) -> None:
    fig = de_plots._ma_figure(table, alpha=0.05, title="ma", n_labels=4)
    try:
        ax = fig.axes[0]
        assert "shrunken" in ax.get_ylabel()
        assert ax.get_xscale() == "log"
        assert [a.get_text() for a in annotations(fig)] == expected_labels(table, 4)
    finally:
        plt.close(fig)
    plain = table.drop(columns=list(de_tables.SHRUNK_COLUMNS))
    fig = de_plots._ma_figure(plain, alpha=0.05, title="ma")
    try:
        assert fig.axes[0].get_ylabel() == "log2 fold change"
    finally:
        plt.close(fig)


def test_ma_clips_extreme_fold_changes(table: pd.DataFrame) -> None:
    wild = table.copy()
    wild.loc[10, "log2FoldChange_shrunk"] = 40.0
    fig = de_plots._ma_figure(wild, alpha=0.05, title="wild")
    try:
        ax = fig.axes[0]
        low, high = ax.get_ylim()
        assert high < 40 and low > -40
        edge = ax.collections[-1].get_offsets()
        assert len(edge) == 1 and edge[0, 1] < high
    finally:
        plt.close(fig)


# --- p-value histogram ---------------------------------------------------------------------


def test_pvalue_histogram_bins_and_expectation(table: pd.DataFrame) -> None:
    fig = de_plots._pvalue_histogram_figure(table, title="p")
    try:
        ax = fig.axes[0]
        n_tested = int(table["pvalue"].notna().sum())
        assert len(ax.patches) == 50
        assert sum(p.get_height() for p in ax.patches) == n_tested
        assert ax.get_lines()[0].get_ydata()[0] == pytest.approx(n_tested / 50)
        assert "no p-value" not in all_text(fig)
    finally:
        plt.close(fig)


def test_pvalue_histogram_notes_many_missing(table: pd.DataFrame) -> None:
    sparse = table.copy()
    sparse.loc[20:, "pvalue"] = np.nan
    fig = de_plots._pvalue_histogram_figure(sparse, title="p")
    try:
        assert "60 of 80 genes (75%) have no p-value" in all_text(fig)
    finally:
        plt.close(fig)


# --- dispersions ---------------------------------------------------------------------------


def model_var(n: int = 300, seed: int = 5) -> pd.DataFrame:
    """Dispersion columns as model.h5ad names them, with a few outliers and all-zero genes."""
    rng = np.random.default_rng(seed)
    mean = rng.lognormal(4, 2, n)
    fitted = 0.05 + 2.0 / mean
    genewise = fitted * rng.lognormal(0, 0.8, n)
    frame = pd.DataFrame(
        {"baseMean": mean, "genewise_dispersions": genewise, "fitted_dispersions": fitted}
    )
    frame["map_dispersions"] = np.sqrt(genewise * fitted)
    frame["dispersion_outlier"] = genewise > 4 * fitted
    frame["dispersions"] = frame["map_dispersions"].where(~frame["dispersion_outlier"], genewise)
    frame.loc[:4, ["baseMean", "genewise_dispersions", "map_dispersions"]] = [
        0.0,
        np.nan,
        np.nan,
    ]
    return frame


def test_dispersion_plot_draws_all_layers() -> None:
    model = model_var()
    fig = de_plots._dispersions_figure(model, title="~ arm")
    try:
        ax = fig.axes[0]
        assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
        genewise, _, circled = ax.collections[:3]
        kept = len(model) - 5
        assert len(genewise.get_offsets()) == kept
        assert len(circled.get_offsets()) == int(model["dispersion_outlier"].sum()) > 0
        assert len(ax.get_lines()[0].get_xdata()) == kept
        assert f"Gene-wise estimate ({kept})" in all_text(fig)
    finally:
        plt.close(fig)


def test_dispersion_plot_names_missing_columns() -> None:
    with pytest.raises(ValueError, match="fitted_dispersions"):
        de_plots._dispersions_figure(model_var().drop(columns="fitted_dispersions"), title="x")


# --- titles --------------------------------------------------------------------------------


def test_no_figure_repeats_its_title(table: pd.DataFrame) -> None:
    """The title names the figure, the axes title adds counts, the caption explains: none
    says what another already says (as the step titles them)."""
    figures = [
        (
            de_plots._volcano_figure(table, alpha=0.05, title="a_vs_b: volcano plot"),
            "de_volcano.rst",
        ),
        (de_plots._ma_figure(table, alpha=0.05, title="a_vs_b: MA plot"), "de_ma.rst"),
        (
            de_plots._pvalue_histogram_figure(table, title="a_vs_b: p-value distribution"),
            "de_pvalues.rst",
        ),
        (
            de_plots._dispersions_figure(model_var(), title="Dispersion estimates (~ arm)"),
            "de_dispersions.rst",
        ),
    ]
    try:
        for fig, caption in figures:
            assert_says_once(fig, caption)
    finally:
        for fig, _ in figures:
            plt.close(fig)


# --- files and degenerate input ------------------------------------------------------------


def test_every_plot_writes_a_png(table: pd.DataFrame, tmp_path: Path) -> None:
    de_plots.plot_volcano(table, tmp_path / "v" / "volcano.png", alpha=0.05, title="v")
    de_plots.plot_ma(table, tmp_path / "ma.png", alpha=0.05, title="ma")
    de_plots.plot_pvalue_histogram(table, tmp_path / "p.png", title="p")
    de_plots.plot_dispersions(model_var(), tmp_path / "d.png", title="d")
    for name in ("v/volcano.png", "ma.png", "p.png", "d.png"):
        assert_png(tmp_path / name)
    de_plots.plot_volcano(table, tmp_path / "volcano.pdf", alpha=0.05, title="v")
    assert (tmp_path / "volcano.pdf").read_bytes()[:4] == b"%PDF"


def test_untested_tables_say_so(table: pd.DataFrame, tmp_path: Path) -> None:
    empty = table.assign(
        **{column: np.nan for column in table.columns[2:]},
    )
    figures = [
        de_plots._volcano_figure(empty, alpha=0.05, title="v"),
        de_plots._ma_figure(empty, alpha=0.05, title="ma"),
        de_plots._pvalue_histogram_figure(empty, title="p"),
        de_plots._dispersions_figure(model_var().assign(genewise_dispersions=np.nan), title="d"),
    ]
    for fig in figures:
        try:
            assert "No genes tested" in all_text(fig)
        finally:
            plt.close(fig)
    de_plots.plot_volcano(empty, tmp_path / "v.png", alpha=0.05, title="v")
    de_plots.plot_ma(empty.iloc[:0], tmp_path / "ma.png", alpha=0.05, title="ma")
    de_plots.plot_pvalue_histogram(empty, tmp_path / "p.png", title="p")
    for name in ("v.png", "ma.png", "p.png"):
        assert (tmp_path / name).stat().st_size > 1000

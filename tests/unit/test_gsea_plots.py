"""Tests of tmeseq.plots.gsea: the NES dot plot and enrichment plots write valid PNGs."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tmeseq.genesets import Collection, read_hallmarks
from tmeseq.gsea import Ranking, empty_result, load_collections, ranking, run_gsea
from tmeseq.plots import gsea as plots

UP = "HALLMARK_INTERFERON_GAMMA_RESPONSE"
DOWN = "HALLMARK_E2F_TARGETS"


def contrast_ranking(shift: float, seed: int) -> Ranking:
    """Human Hallmark genes, N(0,1) statistics, UP shifted by ``shift`` and DOWN by -shift."""
    hallmarks = read_hallmarks("human")
    genes = sorted({g for s in hallmarks.sets for g in s.genes})
    up, down = set(hallmarks.get(UP).genes), set(hallmarks.get(DOWN).genes)
    effect = np.array([shift if g in up else -shift if g in down else 0.0 for g in genes])
    stat = np.random.default_rng(seed).normal(size=len(genes)) + effect
    table = pd.DataFrame({"gene_id": genes, "symbol": genes, "stat": stat})
    table[["log2FoldChange", "pvalue"]] = np.nan
    return ranking(table)


@pytest.fixture(scope="module")
def collections() -> list[Collection]:
    return load_collections("human")


@pytest.fixture(scope="module")
def results(collections: list[Collection]) -> dict[str, tuple[Ranking, pd.DataFrame]]:
    out = {}
    for seed, (name, shift) in enumerate((("il2_vs_ctrl", 1.2), ("chemo_vs_ctrl", -0.8))):
        ranked = contrast_ranking(shift, seed)
        out[name] = (ranked, run_gsea(ranked, collections, permutations=200, seed=1).table)
    return out


def assert_png(path: Path) -> None:
    assert path.stat().st_size > 1000
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.verify()


def test_readable_term() -> None:
    assert plots.readable_term(UP) == "INTERFERON GAMMA RESPONSE"
    assert plots.readable_term("cd8_t_cells") == "cd8 t cells"


def test_dotplot_selection_keeps_top_sets_below_the_threshold(results) -> None:
    tables = {name: table for name, (_, table) in results.items()}
    shown = plots.select_dotplot_terms(tables, fdr_threshold=0.25, top_n=3)
    assert shown["term"].nunique() <= 3
    assert {UP, DOWN} <= set(shown["term"])
    best = shown.groupby("term")["fdr"].min()
    assert (best < 0.25).all()
    assert set(shown["contrast"]) == set(tables)


def test_nes_dotplot_writes_a_png(tmp_path: Path, results) -> None:
    tables = {name: table for name, (_, table) in results.items()}
    plots.plot_nes_dotplot(tables, tmp_path / "dotplot.png", top_n=8)
    assert_png(tmp_path / "dotplot.png")


def test_nes_dotplot_with_nothing_significant_still_writes_a_png(tmp_path: Path) -> None:
    plots.plot_nes_dotplot({"a_vs_b": empty_result()}, tmp_path / "empty.png")
    assert_png(tmp_path / "empty.png")


def test_enrichment_plots_write_pngs(tmp_path: Path, results, collections) -> None:
    ranked, table = results["il2_vs_ctrl"]
    genes = read_hallmarks("human").get(UP).genes
    row = table.set_index("term").loc[UP]
    plots.plot_enrichment(
        ranked, genes, tmp_path / "one.png", term=UP, nes=row["nes"], fdr=row["fdr"]
    )
    plots.plot_top_enrichments(ranked, table, collections, tmp_path / "top.png", top_n=4)
    plots.plot_top_enrichments(ranked, empty_result(), collections, tmp_path / "none.png")
    for name in ("one.png", "top.png", "none.png"):
        assert_png(tmp_path / name)


def test_enrichment_figure_shows_the_top_sets(results, collections) -> None:
    ranked, table = results["il2_vs_ctrl"]
    fig = plots._top_enrichments_figure(ranked, table, collections, top_n=2, title="t")
    titles = [ax.get_title() for ax in fig.get_axes() if ax.get_title()]
    assert any("INTERFERON GAMMA RESPONSE" in t for t in titles)
    assert any("E2F TARGETS" in t for t in titles)
    assert len(titles) == 2
    plt.close(fig)

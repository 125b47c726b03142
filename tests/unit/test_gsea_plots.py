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

from tests.unit.test_plots_de import assert_says_once
from tmeseq.genesets import Collection, read_hallmarks
from tmeseq.gsea import Ranking, empty_result, load_collections, p_floor, ranking, run_gsea
from tmeseq.plots import gsea as plots

FLOOR = p_floor("permutation", 200)

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
    plots.plot_nes_dotplot(tables, tmp_path / "dotplot.png", top_n=8, p_floor=FLOOR)
    assert_png(tmp_path / "dotplot.png")


def test_nes_dotplot_with_nothing_significant_still_writes_a_png(tmp_path: Path) -> None:
    plots.plot_nes_dotplot({"a_vs_b": empty_result()}, tmp_path / "empty.png", p_floor=FLOOR)
    assert_png(tmp_path / "empty.png")


def test_enrichment_plots_write_pngs(tmp_path: Path, results, collections) -> None:
    ranked, table = results["il2_vs_ctrl"]
    genes = read_hallmarks("human").get(UP).genes
    row = table.set_index("term").loc[UP]
    plots.plot_enrichment(
        ranked,
        genes,
        tmp_path / "one.png",
        term=UP,
        nes=row["nes"],
        fdr=row["fdr"],
        p_floor=FLOOR,
    )
    plots.plot_top_enrichments(
        ranked, table, collections, tmp_path / "top.png", top_n=4, p_floor=FLOOR
    )
    plots.plot_top_enrichments(
        ranked, empty_result(), collections, tmp_path / "none.png", p_floor=FLOOR
    )
    for name in ("one.png", "top.png", "none.png"):
        assert_png(tmp_path / name)


def test_enrichment_figure_shows_the_top_sets(results, collections) -> None:
    ranked, table = results["il2_vs_ctrl"]
    fig = plots._top_enrichments_figure(
        ranked, table, collections, top_n=2, title="t", p_floor=FLOOR
    )
    titles = [ax.get_title() for ax in fig.get_axes() if ax.get_title()]
    assert any("INTERFERON GAMMA RESPONSE" in t for t in titles)
    assert any("E2F TARGETS" in t for t in titles)
    assert len(titles) == 2
    plt.close(fig)


def test_permutation_fdr_of_zero_is_written_as_its_bound(results, collections) -> None:
    """A permutation FDR (or p) of 0 means "below 1/permutations": titles give that bound,
    never 0; multilevel p-values have no such floor."""
    ranked, table = results["il2_vs_ctrl"]
    zero = table.loc[table["term"] == UP].assign(fdr=0.0)
    assert p_floor("permutation", 1000) == 0.001
    assert p_floor("multilevel", 1000) is None
    fig = plots._top_enrichments_figure(
        ranked,
        zero,
        collections,
        top_n=1,
        title="il2_vs_ctrl",
        p_floor=p_floor("permutation", 1000),
    )
    (heading,) = [ax.get_title() for ax in fig.get_axes() if ax.get_title()]
    nes = zero.set_index("term").loc[UP, "nes"]
    assert heading == f"hallmark_human: INTERFERON GAMMA RESPONSE\nNES +{nes:.2f}, FDR < 0.001"
    assert "FDR 0" not in heading
    assert_says_once(fig, "gsea_enrichment.rst")
    plt.close(fig)


def test_dotplot_legend_states_the_permutation_floor(results) -> None:
    """The largest dot stands for FDRs at or below 1/permutations (0 included)."""
    tables = {name: table.assign(fdr=0.0) for name, (_, table) in results.items()}
    fig = plots._nes_dotplot_figure(
        tables,
        fdr_threshold=0.25,
        top_n=3,
        p_floor=p_floor("permutation", 100),
        title="Gene-set enrichment (preranked GSEA)",
    )
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["0.25", "0.05", "\u2264 0.01"]
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert not any(t in ("0", "0.0", "\u2264 0") for t in texts)
    assert_says_once(fig, "gsea_dotplot.rst")
    plt.close(fig)

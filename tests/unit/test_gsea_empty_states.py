"""A figure or sentence never claims a result for something that was not tested: the empty
states of the GSEA and score figures, the collections' notes and the report's texts say what
actually happened (nothing tested and why, or how many sets were tested)."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from tmeseq.genesets import Collection, GeneSet
from tmeseq.gsea import (
    COLLECTION_COLUMNS,
    collection_status,
    empty_result,
    gene_keys,
    match_collection,
    p_floor,
    ranking,
    run_gsea,
    untested_reasons,
)
from tmeseq.plots import gsea as plots
from tmeseq.plots import scores as score_plots
from tmeseq.report import sections, sentences
from tmeseq.settings import Contrast

FLOOR = p_floor("permutation", 100)
GENES = [f"g{i}" for i in range(300)]


def collection(name: str, sets: dict[str, list[str]]) -> Collection:
    gene_sets = tuple(GeneSet(n, tuple(g), None, "", "") for n, g in sets.items())
    return Collection(name, "1", "0" * 64, f"{name}.gmt", gene_sets)


def de_table(genes: list[str], stat: np.ndarray) -> pd.DataFrame:
    """A DE table keyed by ``genes`` (symbols), NA statistics where ``stat`` is NaN."""
    return pd.DataFrame(
        {
            "gene_id": [f"id_{g}" for g in genes],
            "symbol": genes,
            "stat": stat,
            "log2FoldChange": stat / 4,
            "pvalue": 0.5,
        }
    )


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """300 genes; g250..g299 are in the counts but have no statistic (not expressed)."""
    stat = np.random.default_rng(2).normal(size=len(GENES))
    stat[250:] = np.nan
    return de_table(GENES, stat)


ABSENT = collection("absent", {"a": [f"Other{i}" for i in range(20)]})
UNEXPRESSED = collection("quiet", {"q": [f"g{i}" for i in range(250, 270)]})
SMALL = collection("small", {"s": ["g1", "g2", "g3"]})
TESTED = collection("user", {"up": GENES[:20], "flat": GENES[100:120]})


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# --- the collections' notes -------------------------------------------------------------------


def test_notes_say_why_a_collection_was_not_tested(table: pd.DataFrame) -> None:
    ranked = ranking(table)
    in_counts = set(gene_keys(table))
    notes = {
        c.name: match_collection(
            ranked, c, min_size=15, max_size=500, in_counts=in_counts
        ).note.split("; ")[0]
        for c in (ABSENT, UNEXPRESSED, SMALL, TESTED)
    }
    assert notes == {
        "absent": "not tested: no gene of absent in the counts",
        "quiet": "not tested: 20 gene(s) of quiet are in the counts but none is expressed "
        "(none passed the DE pre-filter or has a value to rank), so nothing was tested",
        "small": "not tested: no set has between 15 and 500 of its genes in the ranking "
        "(largest: 3), so nothing was tested",
        "user": "",
    }
    # without the counts' genes the note can only speak of the ranking
    alone = match_collection(ranked, ABSENT, min_size=15, max_size=500).note
    assert alone.startswith("not tested: no gene of absent in the ranking, so nothing was tested")
    assert list(gene_keys(table)[:2]) == ["g0", "g1"]


def test_collection_status_lines() -> None:
    assert collection_status("user", 2, "") == "user: 2 sets tested"
    assert collection_status("one", 1, "") == "one: 1 set tested"
    assert (
        collection_status("absent", 0, "not tested: no gene of absent in the counts; only 0")
        == "not tested: no gene of absent in the counts"
    )
    assert collection_status("old", 0, "") == "not tested: old (no set within the size limits)"


@pytest.fixture(scope="module")
def result(table: pd.DataFrame) -> Any:
    ranked = ranking(table)
    return run_gsea(
        ranked,
        [ABSENT, UNEXPRESSED, TESTED],
        permutations=100,
        seed=1,
        in_counts=set(gene_keys(table)),
    )


def test_untested_reasons_come_from_the_collections_table(result: Any) -> None:
    assert list(result.collections.columns) == list(COLLECTION_COLUMNS)
    assert result.collections["n_sets_tested"].tolist() == [0, 0, 2]
    assert untested_reasons(result.collections) == [
        "not tested: no gene of absent in the counts",
        "not tested: 20 gene(s) of quiet are in the counts but none is expressed (none "
        "passed the DE pre-filter or has a value to rank), so nothing was tested",
    ]
    # stacked tables of several contrasts give each reason once
    stacked = pd.concat([result.collections, result.collections], ignore_index=True)
    assert len(untested_reasons(stacked)) == 2


# --- GSEA figures -----------------------------------------------------------------------------


def test_dotplot_says_nothing_was_tested_and_why(result: Any) -> None:
    collections = {"b_vs_a": result.collections[result.collections["n_sets_tested"] == 0]}
    message = plots.dotplot_empty_message({"b_vs_a": empty_result()}, collections)
    assert message == (
        "No gene set was tested in any contrast\n"
        "not tested: no gene of absent in the counts\n"
        "not tested: 20 gene(s) of quiet are in the counts but none is expressed (none passed "
        "the DE pre-filter or has a value to rank), so nothing was tested"
    )
    fig = plots._nes_dotplot_figure(
        {"b_vs_a": empty_result()},
        fdr_threshold=0.25,
        top_n=10,
        p_floor=FLOOR,
        title="GSEA",
        collections=collections,
    )
    try:
        assert texts(fig) == [message]
        assert not any("reached" in t for t in texts(fig))
    finally:
        plt.close(fig)


def test_dotplot_with_sets_tested_but_none_significant_says_how_many(result: Any) -> None:
    quiet = result.table.assign(fdr=0.9)
    tables = {"b_vs_a": quiet, "c_vs_a": quiet}
    collections = {"b_vs_a": result.collections, "c_vs_a": result.collections}
    message = plots.dotplot_empty_message(tables, collections, fdr_threshold=0.25)
    assert message.splitlines() == [
        "2 gene sets tested in 2 contrasts; none reached FDR < 0.25",
        "not tested: no gene of absent in the counts",
        "not tested: 20 gene(s) of quiet are in the counts but none is expressed (none "
        "passed the DE pre-filter or has a value to rank), so nothing was tested",
    ]
    # a collection tested in one contrast is not listed as untested
    tested_once = {"b_vs_a": result.collections, "c_vs_a": result.collections.iloc[2:]}
    assert plots.dotplot_empty_message(tables, tested_once).count("not tested") == 2
    one = plots.dotplot_empty_message({"b_vs_a": quiet.iloc[:1]}, fdr_threshold=0.1)
    assert one == "1 gene set tested in 1 contrast; none reached FDR < 0.1"


def test_enrichment_figure_of_nothing_tested_says_why(table: pd.DataFrame, result: Any) -> None:
    ranked = ranking(table)
    untested = result.collections.iloc[:2]
    fig = plots._top_enrichments_figure(
        ranked,
        empty_result(),
        [ABSENT, UNEXPRESSED],
        top_n=6,
        title="b_vs_a: top gene sets",
        p_floor=FLOOR,
        coverage=untested,
    )
    try:
        assert texts(fig) == [plots.enrichment_empty_message(untested)]
        assert texts(fig)[0].splitlines()[:2] == [
            "No gene set was tested, so there is no enrichment to plot",
            "not tested: no gene of absent in the counts",
        ]
    finally:
        plt.close(fig)
    assert plots.enrichment_empty_message() == (
        "No gene set was tested, so there is no enrichment to plot"
    )


# --- score figures ----------------------------------------------------------------------------


def test_box_panel_of_an_untested_score_says_not_scored() -> None:
    samples = [f"s{i}" for i in range(6)]
    scores = pd.DataFrame({"cd8_t_cells": np.nan, "mine": np.arange(6.0)}, index=samples)
    groups = pd.Series(["ctrl", "trt"] * 3, index=samples, name="arm")
    fig = score_plots._score_boxes_figure(scores, groups)
    try:
        empty_panel, drawn_panel = fig.axes[:2]
        assert [t.get_text() for t in empty_panel.texts] == [score_plots.NOT_SCORED]
        assert score_plots.NOT_SCORED == "not scored:\nno gene of the set expressed"
        assert list(drawn_panel.texts) == []
    finally:
        plt.close(fig)


# --- report texts -----------------------------------------------------------------------------


def tme(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parameter": [r[0] for r in rows],
            "score": [r[0] for r in rows],
            "b_vs_a_difference": [r[1] for r in rows],
            "b_vs_a_padj": [r[2] for r in rows],
        }
    )


CONTRAST = Contrast("b_vs_a", "arm", "b", "a")


def test_sentence_never_claims_a_result_for_untested_parameters() -> None:
    nothing = tme([("cd8_t_cells", math.nan, math.nan), ("tregs", math.nan, math.nan)])
    assert sentences.contrast_sentence(nothing, CONTRAST, 0.05) == (
        "b vs a (padj < 0.05): no TME parameter was tested (no score has a p-value)."
    )
    some = tme([("cd8_t_cells", 0.2, 0.6), ("tregs", math.nan, math.nan)])
    assert sentences.contrast_sentence(some, CONTRAST, 0.05) == (
        "b vs a (padj < 0.05): no tested TME parameter differs; Treg not tested."
    )
    tested = tme([("cd8_t_cells", 0.2, 0.6), ("tregs", 0.1, 0.9)])
    assert sentences.contrast_sentence(tested, CONTRAST, 0.05) == (
        "b vs a (padj < 0.05): no TME parameter differs."
    )


def test_report_notes_say_what_was_not_tested(result: Any) -> None:
    empty = SimpleNamespace(gsea=empty_result(), collections=result.collections.iloc[:2])
    rows, note = sections.gsea_rows(empty, 20, 100)  # type: ignore[arg-type]
    assert rows == []
    assert note == (
        "No gene set was tested: absent: 0 of 1 sets within the size limits, gene coverage "
        "0%; quiet: 0 of 1 sets within the size limits, gene coverage 0%. Not tested: no gene "
        "of absent in the counts. Not tested: 20 gene(s) of quiet are in the counts but none "
        "is expressed (none passed the DE pre-filter or has a value to rank), so nothing was "
        "tested."
    )
    scores = pd.DataFrame(
        {
            "score": ["cd8_t_cells", "mine"],
            "n_genes": [2, 3],
            "n_found": [0, 3],
            "difference": [np.nan, 0.4],
            "padj": [np.nan, 0.2],
            "scale": ["mean_z", "mean_z"],
        }
    )
    _, notes = sections.score_rows(SimpleNamespace(scores=scores))  # type: ignore[arg-type]
    assert notes == [
        "cd8_t_cells: none of its 2 genes was found in the data (not scored).",
        sections.FOUND_MEANS_EXPRESSED,
    ]
    assert "expressed" in notes[1] and "not tested" in notes[1]
    _, none = sections.score_rows(SimpleNamespace(scores=scores.iloc[1:]))  # type: ignore[arg-type]
    assert none == []

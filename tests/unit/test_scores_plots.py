"""Tests for the score figures (tmeseq.plots.scores): what each draws (calls, numbers, units,
colours, pair lines, groups) and that it writes a valid image."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import PathPatch, Rectangle
from PIL import Image

from tests.unit.test_plots_de import assert_says_once
from tmeseq import qc
from tmeseq.genesets import read_signatures, signatures_path
from tmeseq.plots import qc as qc_plots
from tmeseq.plots import scores as score_plots
from tmeseq.plots._style import palette
from tmeseq.scores import (
    OTHER_SAMPLES,
    compare_scores,
    paired_by,
    plot_groups,
    score_samples,
    tme_comparison,
)
from tmeseq.scores.tme import DOWN, NOT_SIGNIFICANT, NOT_TESTED, UP
from tmeseq.settings import Contrast

ARMS = ("vehicle", "drug", "chemo")


@pytest.fixture(scope="module")
def scored() -> dict[str, object]:
    """Random VST-like data on the mouse signature genes (one set's genes left out), scored
    and compared between arms."""
    collection = read_signatures(signatures_path(), "mouse")
    genes = sorted({g for s in collection.sets for g in s.genes} - {"Ifng"})
    names = [f"{arm}$ {i}" for arm in ARMS for i in range(4)]
    rng = np.random.default_rng(0)
    vst = pd.DataFrame(rng.normal(8.0, 1.0, (len(names), len(genes))), index=names, columns=genes)
    vst.iloc[4:8, : len(genes) // 3] += 1.5
    groups = pd.Series(
        pd.Categorical(np.repeat(ARMS, 4), categories=ARMS), index=names, name="arm"
    )
    result = score_samples(vst, collection)
    design = pd.DataFrame(
        {
            "Intercept": 1.0,
            "drug": (groups == "drug").astype(float),
            "chemo": (groups == "chemo").astype(float),
        },
        index=names,
    )
    members = {arm: list(groups.index[groups == arm]) for arm in ARMS}
    contrasts = {
        "drug_vs_vehicle": (np.array([0.0, 1.0, 0.0]), "drug", "vehicle"),
        "chemo_vs_vehicle": (np.array([0.0, 0.0, 1.0]), "chemo", "vehicle"),
    }
    results = {
        name: compare_scores(
            result.scores, design, c, members[test], members[ref], result.coverage
        )
        for name, (c, test, ref) in contrasts.items()
    }
    return {
        "vst": vst,
        "groups": groups,
        "collection": collection,
        "result": result,
        "results": results,
        "pairs": {name: (test, ref) for name, (_, test, ref) in contrasts.items()},
    }


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert min(image.size) > 100


def test_box_plots_with_brackets_and_text(tmp_path: Path, scored: dict) -> None:
    scores = scored["result"].scores
    assert scores["ifng"].isna().all()
    score_plots.plot_score_boxes(
        scores,
        scored["groups"],
        tmp_path / "boxes.png",
        results=scored["results"],
        pairs={"drug_vs_vehicle": scored["pairs"]["drug_vs_vehicle"]},
        ncols=5,
    )
    assert_png(tmp_path / "boxes.png")
    score_plots.plot_score_boxes(
        scores, scored["groups"], tmp_path / "plain.png", score_names=["ifng", "effector"]
    )
    assert_png(tmp_path / "plain.png")


def test_tme_comparison_writes_a_png(tmp_path: Path, scored: dict) -> None:
    table = tme_comparison(scored["results"], alpha=0.05)
    assert table.loc[table["score"] == "ifng", "drug_vs_vehicle_direction"].item() == "not tested"
    score_plots.plot_tme_comparison(table, tmp_path / "tme.png", alpha=0.05)
    assert_png(tmp_path / "tme.png")


def score_table(rows: dict[str, tuple[float, float, str]]) -> pd.DataFrame:
    """A compare_scores-like table: score -> (difference, padj, scale)."""
    return pd.DataFrame(
        [(score, d, q, scale) for score, (d, q, scale) in rows.items()],
        columns=["score", "difference", "padj", "scale"],
    )


def texts_of(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def test_tme_figure_never_mixes_units_and_writes_each_call() -> None:
    """Rows of different scales share no colour scale: cells are tinted by the call, each row
    names its units in words, numbers are rounded, padj is labelled, and a padj above alpha
    reads "not significant"."""
    drug = score_table(
        {
            "cd8_t_cells": (1.23456, 0.00123, "mean_z"),
            "cd8_treg_ratio": (-0.87654, 0.0301, "log2_ratio"),
            "ifng": (0.0432, 0.61, "vst_log2"),
        }
    )
    table = tme_comparison({"drug_vs_vehicle": drug}, alpha=0.05)
    calls = table.set_index("score")["drug_vs_vehicle_direction"]
    assert calls[["cd8_t_cells", "cd8_treg_ratio", "ifng", "tregs"]].tolist() == [
        UP,
        DOWN,
        NOT_SIGNIFICANT,
        NOT_TESTED,
    ]
    fig = score_plots._tme_figure(table, alpha=0.05)
    try:
        (ax,) = fig.axes  # no colour bar: nothing is coloured by a difference
        rows = [t.get_text() for t in ax.get_yticklabels()]
        assert rows[:2] == [
            "CD8+ T-cell infiltration\n(difference in mean z-score)",
            "CD8+ T-cell / Treg ratio\n(difference in log2 ratio)",
        ]
        assert rows[6] == "IFN-gamma (IFNG)\n(difference in log2 expression (VST))"
        assert rows[3] == "Treg infiltration"  # not tested: no scale to name
        shown = texts_of(fig)
        for expected in ("\u25b2 up", "+1.23", "padj 0.0012", "\u25bc down", "-0.88"):
            assert expected in shown, expected
        assert "padj 0.03" in shown and "+0.04" in shown and "padj 0.61" in shown
        assert shown.count(NOT_SIGNIFICANT) == 1 and shown.count(NOT_TESTED) == 7
        assert not any("no change" in t or "1.2345" in t or "0.8765" in t for t in shown)
        tints = [p.get_facecolor()[:3] for p in ax.patches if isinstance(p, Rectangle)]
        assert tints[0] == pytest.approx(score_plots.CALL_STYLE[UP][0])
        assert tints[1] == pytest.approx(score_plots.CALL_STYLE[DOWN][0])
        assert_says_once(fig, "scores_tme.rst")
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------------------------
# One colour per arm, pairs, coefficient contrasts


SHEET_ORDER = ["vehicle", "NKTR214", "chemo"]


def as_stored(values: list[str], index: list[str]) -> pd.Series:
    """An arm column as anndata stores it: categorical with alphabetical categories."""
    return pd.Series(pd.Categorical(values), index=index, name="arm")


def rgb(colour: object) -> tuple[float, ...]:
    return tuple(round(float(c), 6) for c in matplotlib.colors.to_rgb(colour))


def legend_colours(legend: Legend) -> dict[str, tuple[float, ...]]:
    return {
        text.get_text(): rgb(handle.get_facecolor())
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }


def test_every_figure_gives_an_arm_the_same_colour(scored: dict) -> None:
    """Arms are coloured in sample-sheet order (vehicle first), whatever order the stored
    categories have, in the QC figures, the score box plots and the signature heatmap."""
    samples = list(scored["vst"].index)
    arm = as_stored(np.repeat(SHEET_ORDER, 4).tolist(), samples)
    assert list(arm.cat.categories) != SHEET_ORDER
    expected = {level: rgb(c) for level, c in palette(SHEET_ORDER).items()}
    assert expected["vehicle"] == rgb(matplotlib.colormaps["tab10"](0))
    stats = pd.DataFrame({"sample": samples, "library_size": 1e6, "detected_genes": 100})
    vst = scored["vst"]
    pcs, variance = qc.pca(vst.to_numpy(), pd.Index(samples))
    corr = qc.sample_correlation(vst.to_numpy(), pd.Index(samples))
    figures = [
        qc_plots._library_sizes_figure(stats, arm),
        qc_plots._pca_figure(pcs, variance, arm, None, None),
        qc_plots._correlation_figure(corr, arm, None),
        score_plots._score_boxes_figure(scored["result"].scores, arm, score_names=["nk_cells"]),
        score_plots._signature_heatmap_figure(vst, scored["collection"], arm),
    ]
    try:
        library, pca, correlation, boxes, heatmap = figures
        assert legend_colours(library.axes[0].get_legend()) == expected
        assert [rgb(bar.get_facecolor()) for bar in library.axes[0].patches[::4]] == [
            expected[level] for level in SHEET_ORDER
        ]
        assert legend_colours(pca.axes[0].get_legend()) == expected
        assert legend_colours(correlation.legends[0]) == expected
        box_faces = [p for p in boxes.axes[0].patches if isinstance(p, PathPatch)]
        assert [rgb(p.get_facecolor()) for p in box_faces] == list(expected.values())
        points = [c for c in boxes.axes[0].collections if isinstance(c, PathCollection)]
        assert [rgb(c.get_facecolor()[0]) for c in points] == list(expected.values())
        legends = [c for ax in heatmap.axes for c in ax.get_children() if isinstance(c, Legend)]
        arm_legend = next(g for g in legends if g.get_title().get_text() == "arm")
        assert legend_colours(arm_legend) == expected
        sets = next(g for g in legends if g.get_title().get_text() == "signature")
        assert not set(legend_colours(sets).values()) & set(expected.values())
    finally:
        for fig in figures:
            plt.close(fig)


@pytest.fixture
def paired() -> dict[str, object]:
    """Three patients before and on treatment (``~ patient + timepoint``), two batches."""
    samples = [f"{p}_{t}" for p in ("P1", "P2", "P3") for t in ("pre", "on")]
    obs = pd.DataFrame(
        {
            "patient": [s.split("_")[0] for s in samples],
            "timepoint": [s.split("_")[1] for s in samples],
            "batch": ["b1", "b1", "b1", "b1", "b2", "b2"],
        },
        index=samples,
    )
    scores = pd.DataFrame({"cd8_t_cells": [0.1, 1.1, -0.4, 0.9, 0.3, 1.6]}, index=samples)
    return {"obs": obs, "scores": scores}


def test_paired_design_joins_each_pair_in_the_box_plots(paired: dict) -> None:
    obs, scores = paired["obs"], paired["scores"]
    groups = pd.Series(
        pd.Categorical(obs["timepoint"], categories=["pre", "on"]),
        index=obs.index,
        name="timepoint",
    )
    pairing = paired_by(obs, ["batch", "patient", "timepoint"], groups)
    assert pairing is not None and pairing.name == "patient"  # batch has 2 per group
    assert paired_by(obs, ["batch", "timepoint"], groups) is None
    fig = score_plots._score_boxes_figure(scores, groups, paired_by=pairing)
    try:
        ax = fig.axes[0]
        (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
        assert lines.get_gid() == score_plots.PAIR_LINES
        segments = lines.get_segments()
        assert len(segments) == 3
        for patient, segment in zip(("P1", "P2", "P3"), segments, strict=True):
            assert segment[:, 0].round() == pytest.approx([0.0, 1.0])  # pre, then on
            expected = scores.loc[[f"{patient}_pre", f"{patient}_on"], "cd8_t_cells"]
            assert segment[:, 1] == pytest.approx(expected.to_numpy())
        assert "lines join the samples of one patient" in fig.get_suptitle()
        assert_says_once(fig, "scores_boxes.rst")
    finally:
        plt.close(fig)
    unpaired = score_plots._score_boxes_figure(scores, groups)
    try:
        assert not [c for c in unpaired.axes[0].collections if isinstance(c, LineCollection)]
    finally:
        plt.close(unpaired)


def interaction_design(obs: pd.DataFrame) -> pd.DataFrame:
    ko = (obs["genotype"] == "KO").astype(float)
    drug = (obs["treatment"] == "drug").astype(float)
    return pd.DataFrame(
        {
            "Intercept": 1.0,
            "genotype[T.KO]": ko,
            "treatment[T.drug]": drug,
            "genotype[T.KO]:treatment[T.drug]": ko * drug,
        },
        index=obs.index,
    )


def test_coefficient_contrasts_show_the_samples_carrying_their_terms() -> None:
    samples = [f"{g}_{t}_{i}" for g in ("WT", "KO") for t in ("ctrl", "drug") for i in (1, 2)]
    obs = pd.DataFrame(
        {
            "genotype": [s.split("_")[0] for s in samples],
            "treatment": [s.split("_")[1] for s in samples],
        },
        index=samples,
    )
    design = interaction_design(obs)
    interaction = Contrast(
        "ko_drug_interaction", coefficients=(("genotype[T.KO]:treatment[T.drug]", 1.0),)
    )
    vectors = {interaction.name: [0.0, 0.0, 0.0, 1.0]}
    groups, pairs = plot_groups(obs, design, vectors, [interaction])
    term = "genotype[T.KO]:treatment[T.drug]"
    assert groups.name == "terms of ko_drug_interaction"
    assert groups.tolist() == [OTHER_SAMPLES] * 6 + [term] * 2
    assert pairs == {"ko_drug_interaction": (term, OTHER_SAMPLES)}
    scores = pd.DataFrame({"effector": np.arange(8.0)}, index=samples)
    results = {
        interaction.name: pd.DataFrame(
            {"score": ["effector"], "padj": [0.0123], "scale": "mean_z"}
        )
    }
    fig = score_plots._score_boxes_figure(scores, groups, results=results, pairs=pairs)
    try:
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.get_xticklabels()] == [OTHER_SAMPLES, term]
        assert "padj 0.012" in texts_of(fig)
        assert ax.get_ylabel() == "mean z-score"
    finally:
        plt.close(fig)


def test_coefficient_contrast_between_two_arms_is_drawn_between_them() -> None:
    """With a level contrast present the boxes stay the arms; a coefficient contrast whose
    sides are two arms (drug - chemo) gets its bracket between those arms."""
    samples = [f"{arm}_{i}" for arm in ("vehicle", "drug", "chemo") for i in (1, 2)]
    obs = pd.DataFrame({"arm": [s.split("_")[0] for s in samples]}, index=samples)
    design = pd.DataFrame(
        {
            "Intercept": 1.0,
            "arm[T.drug]": (obs["arm"] == "drug").astype(float),
            "arm[T.chemo]": (obs["arm"] == "chemo").astype(float),
        }
    )
    contrasts = [
        Contrast("drug_vs_vehicle", variable="arm", test="drug", reference="vehicle"),
        Contrast("drug_vs_chemo", coefficients=(("arm[T.drug]", 1.0), ("arm[T.chemo]", -1.0))),
    ]
    vectors = {"drug_vs_vehicle": [0.0, 1.0, 0.0], "drug_vs_chemo": [0.0, 1.0, -1.0]}
    groups, pairs = plot_groups(obs, design, vectors, contrasts)
    assert groups.name == "arm" and list(groups.cat.categories) == ["vehicle", "drug", "chemo"]
    assert pairs == {"drug_vs_vehicle": ("drug", "vehicle"), "drug_vs_chemo": ("drug", "chemo")}


@pytest.mark.parametrize("cluster", [True, False])
def test_signature_heatmap(tmp_path: Path, scored: dict, cluster: bool) -> None:
    path = tmp_path / "heatmap.png"
    score_plots.plot_signature_heatmap(
        scored["vst"], scored["collection"], scored["groups"], path, cluster_samples=cluster
    )
    assert_png(path)
    fig = score_plots._signature_heatmap_figure(
        scored["vst"], scored["collection"], scored["groups"], cluster_samples=cluster
    )
    try:
        assert_says_once(fig, "scores_heatmap.rst")
    finally:
        plt.close(fig)


def test_signature_heatmap_without_genes_says_why(tmp_path: Path, scored: dict) -> None:
    """A cohort whose IDs match no signature gene still finishes: the figure says why."""
    vst = scored["vst"].set_axis([f"X{i}" for i in range(scored["vst"].shape[1])], axis=1)
    with patch.object(score_plots, "message_figure") as message:
        score_plots.plot_signature_heatmap(
            vst, scored["collection"], scored["groups"], tmp_path / "x.png"
        )
    assert message.call_args.args[2] == score_plots.NO_SIGNATURE_GENE
    assert message.call_args.args[2].startswith(
        "Nothing to draw: no signature gene is expressed (in the counts and kept by the DE\n"
    )
    score_plots.plot_signature_heatmap(
        vst, scored["collection"], scored["groups"], tmp_path / "x.png"
    )
    assert (tmp_path / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

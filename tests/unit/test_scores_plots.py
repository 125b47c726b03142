"""Tests for the score figures (tmeseq.plots.scores): each writes a valid image."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tmeseq.genesets import read_signatures, signatures_path
from tmeseq.plots import scores as score_plots
from tmeseq.scores import compare_scores, score_samples, tme_comparison

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


def test_tme_comparison_grid(tmp_path: Path, scored: dict) -> None:
    table = tme_comparison(scored["results"], alpha=0.05)
    assert table.loc[table["score"] == "ifng", "drug_vs_vehicle_direction"].item() == "not tested"
    score_plots.plot_tme_comparison(table, tmp_path / "tme.png", alpha=0.05)
    assert_png(tmp_path / "tme.png")


@pytest.mark.parametrize("cluster", [True, False])
def test_signature_heatmap(tmp_path: Path, scored: dict, cluster: bool) -> None:
    path = tmp_path / "heatmap.png"
    score_plots.plot_signature_heatmap(
        scored["vst"], scored["collection"], scored["groups"], path, cluster_samples=cluster
    )
    assert_png(path)


def test_signature_heatmap_without_genes_says_why(tmp_path: Path, scored: dict) -> None:
    """A cohort whose IDs match no signature gene still finishes: the figure says why."""
    vst = scored["vst"].set_axis([f"X{i}" for i in range(scored["vst"].shape[1])], axis=1)
    with patch.object(score_plots, "message_figure") as message:
        score_plots.plot_signature_heatmap(
            vst, scored["collection"], scored["groups"], tmp_path / "x.png"
        )
    assert "None of the signature genes" in message.call_args.args[2]
    score_plots.plot_signature_heatmap(
        vst, scored["collection"], scored["groups"], tmp_path / "x.png"
    )
    assert (tmp_path / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

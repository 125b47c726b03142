"""The per-contrast sentences of the report, generated from the TME table's numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tmeseq.report import sentences
from tmeseq.settings import Contrast

DRUG = Contrast("drug_vs_vehicle", "arm", "drug", "vehicle")


def tme_table(rows: list[tuple[str, str, float, float]], name: str = DRUG.name) -> pd.DataFrame:
    """A TME table of one contrast from ``(parameter, score, difference, padj)`` rows."""
    return pd.DataFrame(
        {
            "parameter": [r[0] for r in rows],
            "score": [r[1] for r in rows],
            f"{name}_direction": ["ignored"] * len(rows),
            f"{name}_difference": [r[2] for r in rows],
            f"{name}_padj": [r[3] for r in rows],
            "scale": ["mean_z"] * len(rows),
        }
    )


@pytest.mark.parametrize(
    ("difference", "padj", "expected"),
    [
        (1.2, 0.01, "up"),
        (-0.4, 0.049, "down"),
        (2.0, 0.05, "not significant"),
        (2.0, math.nan, "not tested"),
        (math.nan, 0.01, "not tested"),
    ],
)
def test_call_needs_padj_below_alpha(difference: float, padj: float, expected: str) -> None:
    assert sentences.call(difference, padj, 0.05) == expected


def test_sentence_lists_up_down_and_not_significant_from_the_numbers() -> None:
    table = tme_table(
        [
            ("CD8+ T-cell infiltration", "cd8_t_cells", 1.7, 1e-5),
            ("NK-cell infiltration", "nk_cells", 1.6, 2e-9),
            ("Treg infiltration", "tregs", -0.2, 0.27),
            ("Effector genes", "effector", 1.7, 2e-8),
            ("Macrophage polarisation (M1/M2 ratio)", "m1_m2_ratio", -1.6, 0.001),
            ("A user parameter", "mine", 0.5, math.nan),
        ]
    )
    assert sentences.contrast_sentence(table, DRUG, 0.05) == (
        "drug vs vehicle (padj < 0.05): CD8+ T-cell, NK and effector up; M1/M2 ratio down; "
        "Treg not significant; A user parameter not tested."
    )


def test_sentence_when_nothing_differs_and_for_coefficient_contrasts() -> None:
    slope = Contrast("dose_slope", coefficients=(("dose", 1.0),))
    table = tme_table(
        [("Treg infiltration", "tregs", 3.0, 0.2), ("PD-L1 (CD274)", "cd274", -3.0, 0.9)],
        name="dose_slope",
    )
    assert sentences.contrast_sentence(table, slope, 0.1) == (
        "dose_slope (padj < 0.1): no TME parameter differs."
    )


def test_join_names() -> None:
    assert sentences.join_names([]) == ""
    assert sentences.join_names(["a"]) == "a"
    assert sentences.join_names(["a", "b", "c"]) == "a, b and c"

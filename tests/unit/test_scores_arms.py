"""Tests of tmeseq.scores.arms: the contrasts' arms among the samples, every contrast tested."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tmeseq.scores import (
    ScoreResult,
    arm_groups,
    compare_contrasts,
    contrast_groups,
    contrast_pairs,
)
from tmeseq.settings import Contrast

DRUG = Contrast("drug_vs_vehicle", variable="arm", test="drug", reference="vehicle")
SLOPE = Contrast("late_effect", coefficients=(("time", 1.0),))


@pytest.fixture
def obs() -> pd.DataFrame:
    """Six samples; the sheet lists the drug arm first."""
    return pd.DataFrame(
        {"arm": ["drug", "vehicle", "drug", "vehicle", "drug", "vehicle"], "time": [0, 0, 1] * 2},
        index=[f"s{i}" for i in range(6)],
    )


def test_level_contrast_groups_and_coefficient_contrast_has_none(obs: pd.DataFrame) -> None:
    assert contrast_groups(obs, DRUG) == (["s0", "s2", "s4"], ["s1", "s3", "s5"])
    assert contrast_groups(obs, SLOPE) == (None, None)


def test_arms_follow_sheet_order_of_the_first_level_contrast(obs: pd.DataFrame) -> None:
    groups = arm_groups(obs, [SLOPE, DRUG])
    assert groups.name == "arm"
    assert list(groups.cat.categories) == ["drug", "vehicle"]
    assert groups.astype(str).tolist() == obs["arm"].tolist()
    alone = arm_groups(obs, [SLOPE])
    assert alone.tolist() == ["all samples"] * 6
    assert contrast_pairs([SLOPE, DRUG]) == {"drug_vs_vehicle": ("drug", "vehicle")}


def test_every_contrast_is_tested_with_the_model_vector(obs: pd.DataFrame) -> None:
    design = pd.DataFrame(
        {
            "Intercept": 1.0,
            "arm[T.drug]": (obs["arm"] == "drug").astype(float),
            "time": obs["time"].astype(float),
        }
    )
    noise = np.array([0.1, -0.1, 0.05, 0.0, -0.05, 0.02])
    scores = pd.DataFrame({"effector": 2.0 * design["arm[T.drug]"] + 0.5 * design["time"] + noise})
    coverage = pd.DataFrame(
        {"score": ["effector"], "n_genes": [5], "n_found": [4], "low_coverage": [False]}
    )
    result = ScoreResult(scores=scores, coverage=coverage, method="zscore")
    vectors = {"drug_vs_vehicle": [0.0, 1.0, 0.0], "late_effect": [0.0, 0.0, 1.0]}
    tables = compare_contrasts(result, design, vectors, obs, [DRUG, SLOPE])
    assert list(tables) == ["drug_vs_vehicle", "late_effect"]
    drug = tables["drug_vs_vehicle"].iloc[0]
    assert drug["difference"] == pytest.approx(2.0, abs=0.15)
    assert drug["mean_test"] == pytest.approx(scores.loc[["s0", "s2", "s4"], "effector"].mean())
    assert (drug["n_genes"], drug["n_found"]) == (5, 4)
    late = tables["late_effect"].iloc[0]
    assert late["difference"] == pytest.approx(0.5, abs=0.15)
    assert pd.isna(late["mean_test"]) and pd.isna(late["mean_reference"])

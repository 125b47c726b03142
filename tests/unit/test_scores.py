"""Tests for signature scores (tmeseq.scores): scoring, the arm comparison, the TME table.

The cohorts are simulated with tests.simulate (negative-binomial counts with planted shifts),
transformed with the blind VST of tmeseq.qc, and compared with designs built by formulaic.
"""

from __future__ import annotations

import logging
import socket
from typing import cast

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix
from scipy import stats

from tests.simulate import combine_effects, draw_base_means, effects_for, simulate_counts
from tmeseq.de.rstats import bh_adjust
from tmeseq.errors import InputError
from tmeseq.genesets import Collection, GeneSet, Species, read_signatures, signatures_path
from tmeseq.qc import blind_vst
from tmeseq.scores import (
    CONTRACT_COLUMNS,
    DIRECTIONS,
    TME_PARAMETERS,
    compare_scores,
    scale_name,
    score_samples,
    symbol_matrix,
    tme_comparison,
    zscores,
)

ARMS = ("A", "B", "C")
PER_ARM = 6
N_FILLER = 1200
MARKER_MIN_MEAN = 200.0
PLANTS = {
    "B": {"effector": 1.5, "cd8_t_cells": 1.5, "nk_cells": 1.5, "cd274": 1.5},
    "C": {"icd": 1.5, "m1_macrophages": 1.5, "m2_macrophages": -1.5, "tregs": -1.5},
}
HELD_IN_B = ("tregs",)

# What the plants imply for each score (partially planted sets are left out: ifng_6gene and
# t_cell_inflamed_gep share a few genes with planted sets, il2_cd122 shares IL2RA with tregs).
EXPECTED = {
    "B_vs_A": {
        "up": {
            "ifng",
            "prf1",
            "gzmb",
            "cd274",
            "effector",
            "cytolytic_activity",
            "cd8_t_cells",
            "nk_cells",
            "cd8_treg_ratio",
        },
        "down": set(),
        "none": {"tregs", "m1_macrophages", "m2_macrophages", "m1_m2_ratio", "icd", "il2_cd122"},
    },
    "C_vs_A": {
        "up": {"icd", "m1_macrophages", "m1_m2_ratio", "cd8_treg_ratio"},
        "down": {"tregs", "m2_macrophages"},
        "none": {
            "ifng",
            "prf1",
            "gzmb",
            "cd274",
            "effector",
            "cytolytic_activity",
            "cd8_t_cells",
            "nk_cells",
            "ifng_6gene",
        },
    },
    "C_vs_B": {
        "up": {"icd", "m1_macrophages", "m1_m2_ratio"},
        "down": {"tregs", "m2_macrophages", "effector", "cd8_t_cells", "nk_cells", "ifng"},
        "none": set(),
    },
}
CONTRASTS = {"B_vs_A": ("B", "A"), "C_vs_A": ("C", "A"), "C_vs_B": ("C", "B")}
# The unplanted scores' p-values are uniform (checked over 30 simulated cohorts: 5.6% below
# 0.05, Kolmogorov-Smirnov p = 0.9), so with ~15 null checks per cohort some seeds give a
# false positive by chance, and a planted single gene is occasionally missed (a few of 70
# cohorts tried, padj up to 0.08). This seed gives both species clear margins (planted
# padj < 1e-3, unplanted padj > 0.2).
ARM_SEED = 28


# ---------------------------------------------------------------------------------------------
# Cohorts


def signatures_for(species: str) -> Collection:
    """The bundled TME signatures for ``species`` ("human" or "mouse")."""
    return read_signatures(signatures_path(), cast(Species, species))


def arm_samples() -> pd.DataFrame:
    """3 arms x 6 samples, batches b1/b2 balanced 3 + 3 within each arm."""
    rows = [
        {"sample": f"{arm}{i}", "arm": arm, "batch": "b1" if i <= PER_ARM // 2 else "b2"}
        for arm in ARMS
        for i in range(1, PER_ARM + 1)
    ]
    return pd.DataFrame(rows)


def planted_effects(
    samples: pd.DataFrame, signatures: Collection, genes: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Arm shifts of the planted sets (each gene keeps its first shift) plus a batch effect."""
    parts = []
    for arm, plants in PLANTS.items():
        held = {g for name in HELD_IN_B if arm == "B" for g in signatures.get(name).genes}
        taken: dict[str, float] = {}
        for name, shift in plants.items():
            for gene in signatures.get(name).genes:
                if gene not in held:
                    taken.setdefault(gene, shift * rng.uniform(0.85, 1.15))
        parts.append(effects_for(samples, "arm", arm, list(taken), list(taken.values())))
    batch_genes = sorted(rng.choice(genes, size=len(genes) // 10, replace=False))
    shifts = rng.normal(0.0, 0.6, size=len(batch_genes))
    parts.append(effects_for(samples, "batch", "b2", batch_genes, shifts))
    return combine_effects(*parts)


def vst_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """Blind VST of genes x samples counts, as a samples x genes frame."""
    values = blind_vst(ad.AnnData(X=counts.T.to_numpy()))
    return pd.DataFrame(values, index=counts.columns, columns=counts.index)


def simulate_arm_cohort(species: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A 3-arm cohort with the planted shifts: (sample sheet, samples x genes VST)."""
    signatures = signatures_for(species)
    markers = sorted({g for s in signatures.sets for g in s.genes})
    prefix = "FILLER" if species == "human" else "Filler"
    genes = markers + [f"{prefix}{i:04d}" for i in range(N_FILLER)]
    rng = np.random.default_rng(seed)
    samples = arm_samples()
    base = draw_base_means(len(genes), rng)
    base[: len(markers)] = np.maximum(base[: len(markers)], MARKER_MIN_MEAN)
    effects = planted_effects(samples, signatures, genes, rng)
    counts = simulate_counts(genes, samples, effects, seed=seed + 1, base_mean=base)
    return samples, vst_frame(counts)


def design(samples: pd.DataFrame, formula: str, references: dict[str, str]) -> pd.DataFrame:
    """formulaic model matrix (samples x coefficients) with the given reference levels."""
    typed = samples.set_index("sample").copy()
    for column, reference in references.items():
        levels = [reference, *sorted(set(typed[column]) - {reference})]
        typed[column] = pd.Categorical(typed[column], categories=levels)
    matrix = model_matrix(formula, typed)
    return pd.DataFrame(np.asarray(matrix, dtype=float), index=typed.index, columns=matrix.columns)


def arm_contrast(matrix: pd.DataFrame, test: str, reference: str) -> np.ndarray:
    """Contrast vector ``arm[T.test] - arm[T.reference]`` (the reference level A has none)."""
    weights = np.zeros(matrix.shape[1])
    for level, sign in ((test, 1.0), (reference, -1.0)):
        if f"arm[T.{level}]" in matrix.columns:
            weights[list(matrix.columns).index(f"arm[T.{level}]")] += sign
    return weights


def compare_all(
    samples: pd.DataFrame, result_scores: pd.DataFrame, coverage: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Every contrast of :data:`CONTRASTS` on ``~ batch + arm``."""
    matrix = design(samples, "~ batch + arm", {"arm": "A", "batch": "b1"})
    by_arm = samples.groupby("arm")["sample"].apply(list)
    return {
        name: compare_scores(
            result_scores,
            matrix,
            arm_contrast(matrix, test, reference),
            by_arm[test],
            by_arm[reference],
            coverage,
        )
        for name, (test, reference) in CONTRASTS.items()
    }


@pytest.fixture(scope="module", params=["mouse", "human"])
def arm_cohort(request: pytest.FixtureRequest) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    samples, vst = simulate_arm_cohort(request.param, seed=ARM_SEED)
    return request.param, samples, vst


# ---------------------------------------------------------------------------------------------
# Planted shifts are found, in both species


def check_calls(tables: dict[str, pd.DataFrame], alpha: float = 0.05) -> None:
    for contrast, expected in EXPECTED.items():
        table = tables[contrast].set_index("score")
        for score in expected["up"]:
            assert table.loc[score, "padj"] < alpha, (contrast, score, table.loc[score])
            assert table.loc[score, "difference"] > 0, (contrast, score)
        for score in expected["down"]:
            assert table.loc[score, "padj"] < alpha, (contrast, score, table.loc[score])
            assert table.loc[score, "difference"] < 0, (contrast, score)
        for score in expected["none"]:
            assert table.loc[score, "padj"] >= alpha, (contrast, score, table.loc[score])


def test_planted_shifts_are_called(arm_cohort: tuple[str, pd.DataFrame, pd.DataFrame]) -> None:
    species, samples, vst = arm_cohort
    result = score_samples(vst, signatures_for(species))
    assert not result.coverage["low_coverage"].any()
    tables = compare_all(samples, result.scores, result.coverage)
    check_calls(tables)
    for table in tables.values():
        assert list(table.columns[: len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
        assert table["score"].tolist() == list(result.scores.columns)


def test_planted_shifts_with_ssgsea_offline(
    arm_cohort: tuple[str, pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    species, samples, vst = arm_cohort
    collection = signatures_for(species)
    result = score_samples(vst, collection, method="ssgsea", threads=1, seed=3)
    scales = result.coverage.set_index("score")["scale"]
    assert scales["effector"] == "ssgsea_es"
    assert scales["ifng"] == "vst_log2"
    assert scales["cd8_treg_ratio"] == "log2_ratio"
    table = compare_all(samples, result.scores, result.coverage)["B_vs_A"].set_index("score")
    for score in ("effector", "cd8_t_cells", "nk_cells", "cytolytic_activity"):
        assert table.loc[score, "padj"] < 0.05 and table.loc[score, "difference"] > 0
    for score in ("m2_macrophages", "icd"):
        assert table.loc[score, "padj"] >= 0.05


def test_batch_adjusted_difference_differs_from_raw_means() -> None:
    """``difference`` is c'beta; with an unbalanced batch it is not the raw mean difference."""
    rng = np.random.default_rng(5)
    samples = pd.DataFrame(
        {
            "sample": [f"s{i}" for i in range(10)],
            "arm": ["A"] * 5 + ["B"] * 5,
            "batch": ["b1"] * 4 + ["b2"] + ["b1"] + ["b2"] * 4,
        }
    )
    batch_shift = np.where(samples["batch"] == "b2", 3.0, 0.0)
    arm_shift = np.where(samples["arm"] == "B", 1.0, 0.0)
    scores = pd.DataFrame(
        {"x": batch_shift + arm_shift + rng.normal(0, 0.1, 10)}, index=samples["sample"]
    )
    matrix = design(samples, "~ batch + arm", {"arm": "A", "batch": "b1"})
    table = compare_scores(
        scores,
        matrix,
        arm_contrast(matrix, "B", "A"),
        samples["sample"][5:],
        samples["sample"][:5],
    )
    row = table.iloc[0]
    assert row["difference"] == pytest.approx(1.0, abs=0.2)
    assert row["mean_test"] - row["mean_reference"] == pytest.approx(2.8, abs=0.3)


# ---------------------------------------------------------------------------------------------
# Pairing


PATIENT_SD = 2.0
TIME_SHIFT = 0.8


def simulate_paired(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """8 patients x 2 timepoints; effector genes shifted after, hidden by patient shifts.

    Each patient shifts all effector genes by one N(0, PATIENT_SD) draw (log2); the second
    timepoint adds TIME_SHIFT to them.
    """
    signatures = read_signatures(signatures_path(), "human")
    effector = list(signatures.get("effector").genes)
    genes = sorted({g for s in signatures.sets for g in s.genes}) + [
        f"FILLER{i:04d}" for i in range(N_FILLER)
    ]
    patients = [f"P{i}" for i in range(1, 9)]
    samples = pd.DataFrame(
        [
            {"sample": f"{p}_{t}", "patient": p, "timepoint": t}
            for p in patients
            for t in ("pre", "post")
        ]
    )
    rng = np.random.default_rng(seed)
    patient_shift = rng.normal(0.0, PATIENT_SD, size=len(patients))
    parts = [
        effects_for(samples, "patient", p, effector, shift)
        for p, shift in zip(patients, patient_shift, strict=True)
    ]
    parts.append(effects_for(samples, "timepoint", "post", effector, TIME_SHIFT))
    base = np.full(len(genes), 400.0)
    base[len(effector) :] = draw_base_means(len(genes) - len(effector), rng)
    counts = simulate_counts(genes, samples, combine_effects(*parts), seed=seed, base_mean=base)
    return samples, vst_frame(counts)


def test_pairing_reveals_a_shift_hidden_by_patients() -> None:
    samples, vst = simulate_paired(seed=21)
    result = score_samples(vst, read_signatures(signatures_path(), "human"))
    post = samples.loc[samples["timepoint"] == "post", "sample"]
    pre = samples.loc[samples["timepoint"] == "pre", "sample"]
    refs = {"timepoint": "pre", "patient": "P1"}
    tables = {}
    for formula in ("~ patient + timepoint", "~ timepoint"):
        matrix = design(samples, formula, refs)
        contrast = (matrix.columns == "timepoint[T.post]").astype(float)
        tables[formula] = compare_scores(
            result.scores, matrix, contrast, post, pre, result.coverage
        ).set_index("score")
    paired = tables["~ patient + timepoint"].loc["effector"]
    unpaired = tables["~ timepoint"].loc["effector"]
    assert paired["padj"] < 0.05 and paired["difference"] > 0
    assert paired["df"] == 7
    assert unpaired["pvalue"] > 0.05
    assert paired["difference"] == pytest.approx(unpaired["difference"])


# ---------------------------------------------------------------------------------------------
# Statistics against independent computations


def two_group(n_a: int, n_b: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    names = [f"s{i}" for i in range(n_a + n_b)]
    groups = pd.DataFrame({"sample": names, "group": ["a"] * n_a + ["b"] * n_b})
    scores = pd.DataFrame(rng.normal(size=(n_a + n_b, 3)), index=names, columns=["x", "y", "z"])
    scores.iloc[n_a:, 0] += 1.0
    return groups, scores


def test_two_group_test_matches_scipy_ttest_ind() -> None:
    groups, scores = two_group(5, 7, seed=1)
    matrix = design(groups, "~ group", {"group": "a"})
    a, b = groups["sample"][:5], groups["sample"][5:]
    table = compare_scores(scores, matrix, np.array([0.0, 1.0]), b, a).set_index("score")
    for score in scores.columns:
        expected = stats.ttest_ind(scores.loc[b, score], scores.loc[a, score], equal_var=True)
        assert table.loc[score, "stat"] == pytest.approx(expected.statistic, rel=1e-10)
        assert table.loc[score, "pvalue"] == pytest.approx(expected.pvalue, rel=1e-10)
        difference = scores.loc[b, score].mean() - scores.loc[a, score].mean()
        assert table.loc[score, "difference"] == pytest.approx(difference, rel=1e-10)
        assert table.loc[score, "mean_test"] == pytest.approx(scores.loc[b, score].mean())
    assert table["df"].eq(10).all()
    expected_padj = stats.false_discovery_control(table["pvalue"].to_numpy(), method="bh")
    np.testing.assert_allclose(table["padj"].to_numpy(), expected_padj)


def test_paired_design_matches_scipy_ttest_rel() -> None:
    rng = np.random.default_rng(2)
    patients = [f"P{i}" for i in range(6)]
    samples = pd.DataFrame(
        [{"sample": f"{p}{t}", "patient": p, "time": t} for p in patients for t in ("0", "1")]
    )
    values = rng.normal(size=12) + np.repeat(rng.normal(0, 3, 6), 2) + np.tile([0, 0.8], 6)
    scores = pd.DataFrame({"s": values}, index=samples["sample"])
    matrix = design(samples, "~ patient + time", {"patient": "P0", "time": "0"})
    contrast = (matrix.columns == "time[T.1]").astype(float)
    row = compare_scores(scores, matrix, contrast).iloc[0]
    expected = stats.ttest_rel(values[1::2], values[::2])
    assert row["stat"] == pytest.approx(expected.statistic, rel=1e-10)
    assert row["pvalue"] == pytest.approx(expected.pvalue, rel=1e-10)
    assert pd.isna(row["mean_test"]) and pd.isna(row["n_genes"])


def test_continuous_covariate_matches_scipy_linregress() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, 15)
    y = 0.3 * x + rng.normal(size=15)
    names = [f"s{i}" for i in range(15)]
    matrix = pd.DataFrame({"Intercept": 1.0, "dose": x}, index=names)
    row = compare_scores(pd.DataFrame({"s": y}, index=names), matrix, np.array([0, 1])).iloc[0]
    expected = stats.linregress(x, y)
    assert row["difference"] == pytest.approx(expected.slope, rel=1e-10)
    assert row["se"] == pytest.approx(expected.stderr, rel=1e-10)
    assert row["pvalue"] == pytest.approx(expected.pvalue, rel=1e-10)


def test_bh_skips_missing_values() -> None:
    adjusted = bh_adjust(np.array([0.01, np.nan, 0.04, 0.03]))
    assert np.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2, 3]], [0.03, 0.04, 0.04])


def test_rank_deficient_design_is_a_clear_error() -> None:
    groups, scores = two_group(4, 4, seed=4)
    groups["batch"] = groups["group"].map({"a": "b1", "b": "b2"})
    matrix = design(groups, "~ batch + group", {"group": "a", "batch": "b1"})
    with pytest.raises(InputError, match=r"not of full rank.*group"):
        compare_scores(scores, matrix, np.array([0.0, 0.0, 1.0]))


def test_no_residual_df_is_a_clear_error() -> None:
    groups, scores = two_group(1, 1, seed=5)
    matrix = design(groups, "~ group", {"group": "a"})
    with pytest.raises(InputError, match="no residual degrees of freedom"):
        compare_scores(scores, matrix, np.array([0.0, 1.0]))


def test_contrast_and_samples_are_checked() -> None:
    groups, scores = two_group(3, 3, seed=6)
    matrix = design(groups, "~ group", {"group": "a"})
    with pytest.raises(InputError, match="2 columns"):
        compare_scores(scores, matrix, np.array([0.0, 1.0, 0.0]))
    with pytest.raises(InputError, match="no scores for design sample"):
        compare_scores(scores.iloc[1:], matrix, np.array([0.0, 1.0]))
    with pytest.raises(InputError, match="unknown: nobody"):
        compare_scores(scores, matrix, np.array([0.0, 1.0]), ["nobody"], None)


# ---------------------------------------------------------------------------------------------
# Score definitions, coverage and gene-ID problems


def tiny_collection() -> Collection:
    def gene_set(name: str, genes: list[str], weights: dict[str, float] | None = None) -> GeneSet:
        return GeneSet(name, tuple(genes), weights, "test set", "none")

    sets = (
        gene_set("ifng", ["Ifng"]),
        gene_set("pair", ["Ga", "Gb", "Gmissing"]),
        gene_set("weighted", ["Ga", "Gc"], {"Ga": 0.5, "Gc": -2.0}),
        gene_set("cd8_t_cells", ["Ga", "Gb"]),
        gene_set("tregs", ["Gc", "Gx1", "Gx2", "Gx3"]),
    )
    return Collection("tiny", "1", "", "memory", sets)


def test_score_definitions_and_scales(caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(7)
    vst = pd.DataFrame(
        rng.normal(8, 1, size=(6, 4)),
        index=[f"s{i}" for i in range(6)],
        columns=["Ifng", "Ga", "Gb", "Gc"],
    )
    with caplog.at_level(logging.WARNING, logger="tmeseq"):
        result = score_samples(vst, tiny_collection())
    z = (vst - vst.mean()) / vst.std(ddof=1)
    scores = result.scores
    pd.testing.assert_series_equal(scores["ifng"], vst["Ifng"], check_names=False)
    pd.testing.assert_series_equal(scores["pair"], z[["Ga", "Gb"]].mean(axis=1), check_names=False)
    np.testing.assert_allclose(scores["weighted"], 0.5 * z["Ga"] - 2.0 * z["Gc"])
    ratio = vst[["Ga", "Gb"]].mean(axis=1) - vst["Gc"]
    np.testing.assert_allclose(scores["cd8_treg_ratio"], ratio)
    assert "m1_m2_ratio" not in scores.columns
    coverage = result.coverage.set_index("score")
    assert coverage.loc["pair", ["n_genes", "n_found"]].tolist() == [3, 2]
    assert coverage.loc["pair", "genes_missing"] == "Gmissing"
    assert not coverage.loc["pair", "low_coverage"]
    assert coverage.loc["tregs", "low_coverage"]  # 1 of 4 found
    assert coverage.loc["cd8_treg_ratio", "low_coverage"]
    assert coverage["scale"].to_dict() == {
        "ifng": "vst_log2",
        "pair": "mean_z",
        "weighted": "weighted_z",
        "cd8_t_cells": "mean_z",
        "tregs": "mean_z",
        "cd8_treg_ratio": "log2_ratio",
    }
    assert "'tregs': only 1 of 4 genes found" in caplog.text
    table = result.sample_table()
    assert table.columns[0] == "sample" and table["sample"].tolist() == list(vst.index)


def test_constant_gene_gets_zero_z() -> None:
    vst = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [1.0, 2.0, 3.0]})
    np.testing.assert_allclose(zscores(vst)["a"], 0.0)
    np.testing.assert_allclose(zscores(vst)["b"], [-1.0, 0.0, 1.0])


def test_ensembl_ids_give_na_scores_and_a_clear_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = np.random.default_rng(8)
    samples = arm_samples()
    ids = [f"ENSMUSG{i:011d}" for i in range(300)]
    vst = pd.DataFrame(rng.normal(6, 1, (len(samples), 300)), index=samples["sample"], columns=ids)
    collection = read_signatures(signatures_path(), "mouse")
    with caplog.at_level(logging.WARNING, logger="tmeseq"):
        result = score_samples(vst, collection)
    assert result.scores.isna().all().all()
    assert (result.coverage["n_found"] == 0).all() and result.coverage["low_coverage"].all()
    assert "Score 'cd8_t_cells': none of its 2 gene(s)" in caplog.text
    assert "look like mouse Ensembl gene IDs" in caplog.text
    tables = compare_all(samples, result.scores, result.coverage)
    assert tables["B_vs_A"][["difference", "pvalue", "padj"]].isna().all().all()


def test_other_species_symbols_hint_at_species(caplog: pytest.LogCaptureFixture) -> None:
    human = read_signatures(signatures_path(), "human")
    genes = sorted({g for s in human.sets for g in s.genes})
    vst = pd.DataFrame(np.random.default_rng(9).normal(size=(4, len(genes))), columns=genes)
    with caplog.at_level(logging.WARNING, logger="tmeseq"):
        result = score_samples(vst, read_signatures(signatures_path(), "mouse"))
    assert result.scores["effector"].isna().all()
    assert "match only when letter case is ignored" in caplog.text
    assert "set `species`" in caplog.text


def test_partially_missing_score_and_bad_input_are_errors() -> None:
    groups, scores = two_group(3, 3, seed=10)
    scores.iloc[0, 0] = np.nan
    matrix = design(groups, "~ group", {"group": "a"})
    with pytest.raises(InputError, match="missing for some samples only"):
        compare_scores(scores, matrix, np.array([0.0, 1.0]))
    bad = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["Ga", "Ga"])
    with pytest.raises(InputError, match="gene name"):
        score_samples(bad, tiny_collection())
    with pytest.raises(InputError, match="at least 2 samples"):
        score_samples(bad.iloc[:1, :1], tiny_collection())


def test_symbol_matrix_keeps_the_most_expressed_duplicate() -> None:
    values = np.array([[1.0, 5.0, 2.0, 9.0], [1.0, 7.0, 2.0, 9.0]])
    frame = symbol_matrix(values, ["s1", "s2"], ["Cd8a", "Cd8a", None, ""])
    assert frame.columns.tolist() == ["Cd8a"]
    assert frame["Cd8a"].tolist() == [5.0, 7.0]


# ---------------------------------------------------------------------------------------------
# TME comparison table


def hand_table(rows: dict[str, tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "score": list(rows),
            "difference": [d for d, _ in rows.values()],
            "padj": [p for _, p in rows.values()],
            "scale": "mean_z",
        }
    )


def test_tme_comparison_shape_order_and_calls() -> None:
    first = hand_table(
        {
            "cd8_t_cells": (1.2, 0.001),
            "tregs": (-0.8, 0.01),
            "nk_cells": (0.3, 0.5),
            "effector": (-0.5, 0.05),
            "cd274": (0.9, np.nan),
        }
    )
    second = hand_table({"cd8_t_cells": (-0.4, 0.04), "m1_m2_ratio": (0.2, 0.2)})
    table = tme_comparison({"drug_vs_ctrl": first, "chemo_vs_ctrl": second}, alpha=0.05)
    assert table["score"].tolist() == [p.score for p in TME_PARAMETERS]
    assert table["parameter"].tolist()[:2] == [
        "CD8+ T-cell infiltration",
        "CD8+ T-cell / Treg ratio",
    ]
    assert table.columns.tolist() == [
        "parameter",
        "score",
        "drug_vs_ctrl_direction",
        "drug_vs_ctrl_difference",
        "drug_vs_ctrl_padj",
        "chemo_vs_ctrl_direction",
        "chemo_vs_ctrl_difference",
        "chemo_vs_ctrl_padj",
        "scale",
    ]
    calls = table.set_index("score")
    assert calls.loc["cd8_t_cells", "drug_vs_ctrl_direction"] == "up"
    assert calls.loc["tregs", "drug_vs_ctrl_direction"] == "down"
    assert calls.loc["nk_cells", "drug_vs_ctrl_direction"] == "not significant"
    assert calls.loc["effector", "drug_vs_ctrl_direction"] == "not significant"  # padj == alpha
    assert calls.loc["cd274", "drug_vs_ctrl_direction"] == "not tested"
    assert calls.loc["ifng", "drug_vs_ctrl_direction"] == "not tested"
    assert pd.isna(calls.loc["ifng", "drug_vs_ctrl_difference"])
    assert calls.loc["cd8_t_cells", "chemo_vs_ctrl_direction"] == "down"
    assert calls.loc["m1_m2_ratio", "chemo_vs_ctrl_direction"] == "not significant"
    assert calls.loc["m1_m2_ratio", "scale"] == "mean_z"
    directions = table[["drug_vs_ctrl_direction", "chemo_vs_ctrl_direction"]]
    assert set(directions.to_numpy().ravel()) == set(DIRECTIONS)
    assert DIRECTIONS == ("up", "down", "not significant", "not tested")
    # full precision stays in the table (figures and the report round)
    assert calls.loc["cd8_t_cells", "drug_vs_ctrl_padj"] == 0.001


def test_scales_are_named_in_words() -> None:
    assert [scale_name(s) for s in ("mean_z", "log2_ratio", "vst_log2")] == [
        "mean z-score",
        "log2 ratio",
        "log2 expression (VST)",
    ]
    assert scale_name("weighted_z") == "weighted z-score"
    assert scale_name("ssgsea_es") == "ssGSEA enrichment score"
    assert scale_name("my_units") == "my_units"
    assert scale_name(pd.NA) == scale_name(np.nan) == scale_name(None) == ""


def test_tme_comparison_checks_inputs() -> None:
    with pytest.raises(ValueError, match="alpha"):
        tme_comparison({"c": hand_table({})}, alpha=1.5)
    with pytest.raises(ValueError, match="lacks column"):
        tme_comparison({"c": pd.DataFrame({"score": ["x"]})}, alpha=0.05)

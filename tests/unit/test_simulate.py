"""Tests of tests.simulate: the count simulator and the bundled example cohort."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.simulate import (
    ARMS,
    DispersionTrend,
    combine_effects,
    effects_for,
    main,
    make_example_cohort,
    simulate_counts,
)
from tmeseq.genesets import bundled_path, read_hallmarks, read_signatures, signatures_path

EXAMPLE_FILES = ("counts.tsv.gz", "samples.tsv", "truth.tsv", "batch_truth.tsv", "README.md")


def _samples(n_per_group: int) -> pd.DataFrame:
    groups = ["A"] * n_per_group + ["B"] * n_per_group
    batches = ["x", "y"] * n_per_group
    return pd.DataFrame(
        {"sample": [f"s{i:03d}" for i in range(len(groups))], "group": groups, "batch": batches}
    )


def _genes(n: int) -> list[str]:
    return [f"g{i:05d}" for i in range(n)]


def _log2_normalised(counts: pd.DataFrame) -> pd.DataFrame:
    """Median-of-ratios normalisation (as DESeq2), then log2(x + 1)."""
    positive = counts[(counts > 0).all(axis=1)]
    logs = np.log(positive)
    size_factors = np.exp(logs.sub(logs.mean(axis=1), axis=0).median())
    return np.log2(counts / size_factors + 1)


def _difference(log_counts: pd.DataFrame, samples: pd.DataFrame, column: str) -> pd.Series:
    """Mean log2 level of the second level minus the first, per gene."""
    first, second = sorted(samples[column].unique())
    ids = samples.set_index("sample")[column]
    return log_counts[ids.index[ids == second]].mean(axis=1) - log_counts[
        ids.index[ids == first]
    ].mean(axis=1)


# --------------------------------------------------------------------------------------------
# Simulator


def test_same_seed_same_counts_different_seed_different() -> None:
    samples = _samples(3)
    genes = _genes(200)
    first = simulate_counts(genes, samples, seed=1)
    again = simulate_counts(genes, samples, seed=1)
    other = simulate_counts(genes, samples, seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_shape_type_and_labels() -> None:
    samples = _samples(4)
    genes = _genes(300)
    counts = simulate_counts(genes, samples, seed=3)
    assert counts.shape == (300, 8)
    assert list(counts.index) == genes
    assert counts.index.name == "gene_id"
    assert list(counts.columns) == samples["sample"].tolist()
    assert counts.dtypes.unique().tolist() == [np.dtype("int64")]
    assert (counts >= 0).all().all()
    assert counts.to_numpy().sum() > 0


def test_base_means_are_realistic() -> None:
    counts = simulate_counts(_genes(5000), _samples(5), seed=4)
    means = counts.mean(axis=1)
    assert 100 <= means.median() <= 300
    assert means.max() > 20 * means.median()  # long right tail
    assert (means < 10).mean() > 0.03  # some lowly expressed genes


def test_dispersion_trend_gives_extra_poisson_variance() -> None:
    genes = _genes(3000)
    base = np.full(3000, 1000.0)
    counts = simulate_counts(
        genes,
        _samples(20),
        seed=5,
        base_mean=base,
        dispersion=DispersionTrend(asymptotic=0.08, extra_poisson=1.0, scatter_sd=0.0),
        size_factors=np.ones(40),
    )
    # Var = mu + alpha mu^2 with alpha = 0.08 + 1/1000 -> 82,000 at mu = 1,000.
    ratio = counts.var(axis=1).median() / (1000 + 0.081 * 1000**2)
    assert 0.85 < ratio < 1.15


def test_planted_effects_recovered() -> None:
    samples = _samples(20)
    genes = _genes(4000)
    up, down = genes[:300], genes[300:500]
    effects = combine_effects(
        effects_for(samples, "group", "B", up, 1.0),
        effects_for(samples, "group", "B", down, -0.7),
    )
    base = np.full(len(genes), 300.0)
    counts = simulate_counts(genes, samples, effects, seed=6, base_mean=base)
    difference = _difference(_log2_normalised(counts), samples, "group")
    assert abs(difference[up].mean() - 1.0) < 0.3
    assert abs(difference[down].mean() + 0.7) < 0.3
    assert abs(difference[genes[500:]].mean()) < 0.05
    assert difference[genes[500:]].abs().quantile(0.95) < 0.5


def test_batch_effect_present() -> None:
    samples = _samples(10)
    genes = _genes(2000)
    batch_genes = genes[:200]
    effects = effects_for(samples, "batch", "y", batch_genes, np.linspace(-1.5, 1.5, 200))
    counts = simulate_counts(genes, samples, effects, seed=7, base_mean=np.full(2000, 500.0))
    difference = _difference(_log2_normalised(counts), samples, "batch")
    assert np.corrcoef(difference[batch_genes], np.linspace(-1.5, 1.5, 200))[0, 1] > 0.9
    assert difference[batch_genes].abs().mean() > 3 * difference[genes[200:]].abs().mean()


def test_effects_for_and_combine() -> None:
    samples = _samples(2)
    single = effects_for(samples, "group", "B", ["g1", "g2"], {"g1": 1.0, "g2": -2.0})
    assert single.loc["g1"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert single.loc["g2", "s003"] == -2.0
    both = combine_effects(single, effects_for(samples, "batch", "y", ["g2", "g3"], 0.5))
    assert both.loc["g2"].tolist() == [0.0, 0.5, -2.0, -1.5]
    assert both.loc["g3"].tolist() == [0.0, 0.5, 0.0, 0.5]
    with pytest.raises(ValueError, match="level"):
        effects_for(samples, "group", "C", ["g1"], 1.0)
    with pytest.raises(ValueError, match="column"):
        effects_for(samples, "arm", "A", ["g1"], 1.0)
    with pytest.raises(ValueError, match="values for"):
        effects_for(samples, "group", "A", ["g1", "g2"], [1.0])


def test_simulate_counts_rejects_inconsistent_input() -> None:
    samples = _samples(2)
    genes = _genes(10)
    unknown = effects_for(samples, "group", "B", ["nope"], 1.0)
    with pytest.raises(ValueError, match="unknown genes"):
        simulate_counts(genes, samples, unknown, seed=1)
    with pytest.raises(ValueError, match="unique"):
        simulate_counts(["a", "a"], samples, seed=1)
    with pytest.raises(ValueError, match="base_mean"):
        simulate_counts(genes, samples, seed=1, base_mean=np.ones(3))
    with pytest.raises(ValueError, match="positive"):
        simulate_counts(genes, samples, seed=1, dispersion=0.0)
    with pytest.raises(ValueError, match="'sample'"):
        simulate_counts(genes, samples.drop(columns="sample"), seed=1)


# --------------------------------------------------------------------------------------------
# The bundled example cohort


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example")
    assert main(["--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_regenerates_byte_identically(regenerated: Path, name: str) -> None:
    bundled = bundled_path("example") / name
    fresh = regenerated / name
    if name.endswith(".gz"):
        assert gzip.decompress(fresh.read_bytes()) == gzip.decompress(bundled.read_bytes()), (
            "content differs: rerun python -m tests.simulate --out workflow/resources/example"
        )
    assert fresh.read_bytes() == bundled.read_bytes()


def test_example_layout() -> None:
    folder = bundled_path("example")
    samples = pd.read_csv(folder / "samples.tsv", sep="\t")
    assert list(samples.columns[:3]) == ["sample", "arm", "batch"]
    assert tuple(samples["arm"].unique()) == ARMS
    assert samples.groupby(["arm", "batch"]).size().eq(3).all()
    counts = pd.read_csv(folder / "counts.tsv.gz", sep="\t", index_col="gene_id")
    assert counts.shape == (10_000, 18)
    assert list(counts.columns) == samples["sample"].tolist()
    assert counts.index.is_unique
    assert (counts.dtypes == np.int64).all()
    assert (folder / "counts.tsv.gz").stat().st_size < 1_500_000
    assert "SIMULATED" in (folder / "README.md").read_text(encoding="utf-8")


def test_example_truth_is_the_planned_biology() -> None:
    folder = bundled_path("example")
    truth = pd.read_csv(folder / "truth.tsv", sep="\t")
    mouse = read_signatures(signatures_path(), "mouse")
    hallmarks = read_hallmarks("mouse")
    nktr = truth[truth["arm"] == "NKTR214"].set_index("gene")["log2_effect"]
    chemo = truth[truth["arm"] == "chemo"].set_index("gene")["log2_effect"]
    assert set(truth["arm"]) == {"NKTR214", "chemo"}
    for name in ("effector", "cd8_t_cells", "nk_cells", "cd274"):
        assert (nktr[list(mouse.get(name).genes)] >= 1.0).all(), name
    assert not set(mouse.get("tregs").genes) & set(nktr.index)
    assert (chemo[list(mouse.get("tregs").genes)] < -0.5).all()
    assert (chemo[list(mouse.get("m2_macrophages").genes)] < -0.5).all()
    assert (chemo[list(mouse.get("icd").genes)] > 0.5).all()
    assert (chemo[list(mouse.get("m1_macrophages").genes)] > 0.5).all()
    ifng = hallmarks.get("HALLMARK_INTERFERON_GAMMA_RESPONSE").genes
    assert 0.6 <= np.mean([g in nktr.index for g in ifng]) <= 0.8
    for name in ("HALLMARK_E2F_TARGETS", "HALLMARK_G2M_CHECKPOINT"):
        genes = hallmarks.get(name).genes
        assert 0.6 <= np.mean([g in chemo.index for g in genes]) <= 0.8
    hypoxia = hallmarks.get("HALLMARK_HYPOXIA").genes
    assert np.mean([g in truth["gene"].values for g in hypoxia]) < 0.05


def test_example_counts_show_the_planted_biology() -> None:
    folder = bundled_path("example")
    counts = pd.read_csv(folder / "counts.tsv.gz", sep="\t", index_col="gene_id")
    samples = pd.read_csv(folder / "samples.tsv", sep="\t")
    truth = pd.read_csv(folder / "truth.tsv", sep="\t")
    batch = pd.read_csv(folder / "batch_truth.tsv", sep="\t")
    log_counts = _log2_normalised(counts)
    arm = samples.set_index("sample")["arm"]

    def shift(level: str) -> pd.Series:
        return log_counts[arm.index[arm == level]].mean(axis=1) - log_counts[
            arm.index[arm == "vehicle"]
        ].mean(axis=1)

    for level in ("NKTR214", "chemo"):
        planted = truth[truth["arm"] == level].set_index("gene")["log2_effect"]
        observed = shift(level)
        assert abs(observed[planted.index].mean() - planted.mean()) < 0.15
        assert abs(observed.drop(planted.index).mean()) < 0.05
    batch_shift = _difference(log_counts, samples, "batch")
    assert np.corrcoef(batch_shift[batch["gene"]], batch["log2_effect"])[0, 1] > 0.8


def test_example_other_seed_differs(tmp_path: Path, regenerated: Path) -> None:
    paths = make_example_cohort(tmp_path, seed=1)
    assert sorted(paths) == sorted(EXAMPLE_FILES)
    assert paths["samples.tsv"].read_bytes() == (regenerated / "samples.tsv").read_bytes()
    assert paths["counts.tsv.gz"].read_bytes() != (regenerated / "counts.tsv.gz").read_bytes()
    assert paths["truth.tsv"].read_bytes() != (regenerated / "truth.tsv").read_bytes()

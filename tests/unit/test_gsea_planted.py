"""GSEA recovers planted Hallmark shifts in simulated counts, for mouse and human.

Counts come from :func:`tests.simulate.simulate_counts` (negative binomial): every Hallmark
gene of the species plus 500 filler genes, 6 + 6 samples. In arm B, 60% of the genes of one
set go up and 60% of another go down (log2 effects 0.5-0.9). The ranking statistic is a
DESeq2-like Wald statistic computed directly (median-of-ratios size factors, moment
dispersions, delta-method standard errors), which takes milliseconds; the Wald statistic of
tmeseq's own DE model (:func:`tmeseq.de.fit_model`, as the workflow ranks genes) runs with
``--runslow``.

Bounds were measured over seeds 1-8 for both species (1000 permutations): planted sets always
had FDR 0; of the ~33 sets with fewer than 5% of their genes shifted, at most 1 reached
FDR < 0.05; with nothing planted, at most 1 of the 50 sets did. Sets overlapping the planted
ones (e.g. interferon alpha, G2M) are legitimately enriched and not counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers import de_settings
from tests.simulate import combine_effects, effects_for, simulate_counts
from tmeseq.de import Engine, contrast_results, fit_model
from tmeseq.genesets import Collection, read_hallmarks
from tmeseq.gsea import ranking, run_prerank
from tmeseq.samplesheet import covariates

UP = "HALLMARK_INTERFERON_GAMMA_RESPONSE"
DOWN = "HALLMARK_E2F_TARGETS"
FRACTION = 0.6
EFFECT = (0.5, 0.9)
N_PER_ARM = 6
CLEAN = 0.05
MAX_CLEAN_HITS = 1
MAX_NULL_HITS = 1


def _samples() -> pd.DataFrame:
    arms = ["A"] * N_PER_ARM + ["B"] * N_PER_ARM
    return pd.DataFrame({"sample": [f"s{i:02d}" for i in range(len(arms))], "arm": arms})


def _genes(hallmarks: Collection) -> list[str]:
    real = sorted({g for s in hallmarks.sets for g in s.genes})
    return real + [f"Simgene{i:05d}" for i in range(1, 501)]


def _plant(hallmarks: Collection, samples: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Log2 effects in arm B: 60% of UP's genes up, 60% of DOWN's (not already up) down."""
    parts = []
    taken: set[str] = set()
    for name, sign in ((UP, 1.0), (DOWN, -1.0)):
        genes = [g for g in hallmarks.get(name).genes if g not in taken]
        chosen = sorted(rng.choice(len(genes), size=round(FRACTION * len(genes)), replace=False))
        picked = [genes[i] for i in chosen]
        taken.update(picked)
        effects = sign * rng.uniform(*EFFECT, size=len(picked))
        parts.append(effects_for(samples, "arm", "B", picked, effects))
    return combine_effects(*parts)


def wald_statistic(counts: pd.DataFrame, arm: np.ndarray) -> pd.Series:
    """A DESeq2-like Wald statistic of B vs A (natural-log fold change over its SE)."""
    logs = np.log(counts.where(counts > 0))
    centre = logs.mean(axis=1)
    usable = centre.notna()
    size_factors = np.exp(logs[usable].sub(centre[usable], axis=0).median())
    normed = counts / size_factors
    a, b = normed.loc[:, arm == "A"], normed.loc[:, arm == "B"]
    mean_a, mean_b = a.mean(axis=1) + 0.5, b.mean(axis=1) + 0.5
    pooled = (a.var(axis=1) + b.var(axis=1)) / 2
    mean = (mean_a + mean_b) / 2
    dispersion = ((pooled - mean) / mean**2).clip(lower=0.01)
    se = np.sqrt((1 / mean_a + dispersion) / a.shape[1] + (1 / mean_b + dispersion) / b.shape[1])
    return np.log(mean_b / mean_a) / se


def de_table(genes: list[str], stat: pd.Series) -> pd.DataFrame:
    """The DE contract columns that ranking on ``stat`` reads."""
    return pd.DataFrame(
        {
            "gene_id": [f"GENE{i:05d}" for i in range(len(genes))],
            "symbol": genes,
            "log2FoldChange": stat.to_numpy() / 5,
            "stat": stat.to_numpy(),
            "pvalue": np.nan,
        }
    )


def simulate(species: str, seed: int, planted: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts (genes x samples) and the planted effects (empty when ``planted`` is False)."""
    hallmarks = read_hallmarks(species)  # type: ignore[arg-type]
    samples = _samples()
    rng = np.random.default_rng(seed)
    effects = _plant(hallmarks, samples, rng) if planted else pd.DataFrame()
    counts = simulate_counts(
        _genes(hallmarks), samples, effects if planted else None, seed=seed + 100
    )
    return counts, effects


def gsea_of(species: str, stat: pd.Series, genes: list[str]) -> pd.DataFrame:
    hallmarks = read_hallmarks(species)  # type: ignore[arg-type]
    return run_prerank(ranking(de_table(genes, stat)), hallmarks, permutations=1000, seed=1)


def shifted_share(hallmarks: Collection, effects: pd.DataFrame) -> pd.Series:
    """Per set, the share of its genes that carry a planted effect."""
    shifted = set(effects.index)
    return pd.Series({s.name: len(shifted & set(s.genes)) / len(s.genes) for s in hallmarks.sets})


def check_planted(species: str, table: pd.DataFrame, effects: pd.DataFrame) -> None:
    result = table.set_index("term")
    assert result.loc[UP, "fdr"] < 0.05 and result.loc[UP, "nes"] > 0
    assert result.loc[DOWN, "fdr"] < 0.05 and result.loc[DOWN, "nes"] < 0
    share = shifted_share(read_hallmarks(species), effects)  # type: ignore[arg-type]
    clean = result[share.reindex(result.index) < CLEAN]
    assert len(clean) >= 25
    assert (clean["fdr"] < 0.05).sum() <= MAX_CLEAN_HITS, clean[clean["fdr"] < 0.05]


@pytest.mark.parametrize(("species", "seed"), [("mouse", 1), ("human", 2)])
def test_planted_hallmark_shifts_are_found(species: str, seed: int) -> None:
    counts, effects = simulate(species, seed, planted=True)
    stat = wald_statistic(counts, np.array(["A"] * N_PER_ARM + ["B"] * N_PER_ARM))
    check_planted(species, gsea_of(species, stat, list(counts.index)), effects)


def test_nothing_planted_gives_almost_nothing() -> None:
    counts, _ = simulate("mouse", 5, planted=False)
    stat = wald_statistic(counts, np.array(["A"] * N_PER_ARM + ["B"] * N_PER_ARM))
    table = gsea_of("mouse", stat, list(counts.index))
    assert len(table) == 50
    assert (table["fdr"] < 0.05).sum() <= MAX_NULL_HITS


@pytest.mark.slow
def test_planted_shifts_are_found_on_the_model_wald_statistic() -> None:
    counts, effects = simulate("mouse", 3, planted=True)
    contrast = {"name": "b_vs_a", "variable": "arm", "test": "B", "reference": "A"}
    settings = de_settings("~ arm", [contrast])
    samples = _samples().set_index("sample")
    metadata = covariates(samples, references=settings.model.references)
    model = fit_model(counts.T, metadata, settings.model, Engine(n_workers=1))
    results = contrast_results(model, settings.model.contrasts[0], settings.test)
    stat = results["stat"].reindex(counts.index)
    check_planted("mouse", gsea_of("mouse", stat, list(counts.index)), effects)
